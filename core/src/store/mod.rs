//! SQLite plumbing under the memory graph: an encrypted (SQLCipher) database, one writer
//! connection and a small pool of readers in WAL mode, schema migrations. No rusqlite type leaves
//! the crate's `graph` and `store` modules.

mod error;
mod schema;

pub use error::StoreError;
pub use schema::VERSION;

use crate::keystore::{KeyStore, SecretKey};
use rusqlite::{Connection, OpenFlags, Transaction, TransactionBehavior};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

/// File name of the database inside the data directory.
pub const DATABASE_FILE: &str = "heirloom.db";
/// Name under which the database key is kept in the [`KeyStore`].
pub const DATABASE_KEY_NAME: &str = "heirloom.store.v1";

const MAX_IDLE_READERS: usize = 4;

/// An open, unlocked, migrated database.
pub struct Database {
    path: PathBuf,
    key: SecretKey,
    writer: Mutex<Connection>,
    readers: Mutex<Vec<Connection>>,
}

impl fmt::Debug for Database {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Database").field("path", &self.path).finish_non_exhaustive()
    }
}

impl Database {
    /// Opens (creating if needed) the database in `data_dir`, keyed by the store key from `keys`.
    ///
    /// A new data directory gets a fresh random key; an existing database whose key is missing
    /// or different fails with [`StoreError::KeyMissing`] / [`StoreError::WrongKey`].
    pub fn open(data_dir: &Path, keys: &dyn KeyStore) -> Result<Self, StoreError> {
        std::fs::create_dir_all(data_dir)
            .map_err(|e| StoreError::io("create data directory", &e))?;
        let path = data_dir.join(DATABASE_FILE);
        let exists = path.exists();
        let key = match keys.load(DATABASE_KEY_NAME)? {
            Some(key) => key,
            None if exists => return Err(StoreError::KeyMissing),
            None => {
                let key = SecretKey::generate()?;
                keys.store(DATABASE_KEY_NAME, &key)?;
                key
            }
        };
        Self::open_with_key(path, key)
    }

    /// Opens the database file at `path` with an explicit key (tests and tools).
    pub fn open_with_key(path: PathBuf, key: SecretKey) -> Result<Self, StoreError> {
        let mut writer = open_connection(&path, &key, false)?;
        schema::migrate(&mut writer)?;
        Ok(Self { path, key, writer: Mutex::new(writer), readers: Mutex::new(Vec::new()) })
    }

    /// A key for another purpose (`purpose` names it, e.g. `"heirloom/audio/v1"`), derived from
    /// the store key with HKDF-SHA256: one secret in the key store unlocks everything, and no
    /// derived key can be turned back into the database key.
    pub fn derive_key(&self, purpose: &str) -> SecretKey {
        self.key.derive(purpose)
    }

    /// Path of the database file.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Runs `f` in one immediate write transaction: committed if `f` returns `Ok`, rolled back
    /// otherwise. All multi-row changes go through here.
    pub(crate) fn write<T, E>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let mut conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
        let tx = conn
            .transaction_with_behavior(TransactionBehavior::Immediate)
            .map_err(|e| E::from(StoreError::from(e)))?;
        let value = f(&tx)?;
        tx.commit().map_err(|e| E::from(StoreError::from(e)))?;
        Ok(value)
    }

    /// Runs `f` on a reader connection (a consistent snapshot inside one read transaction).
    pub(crate) fn read<T, E>(
        &self,
        f: impl FnOnce(&Transaction<'_>) -> Result<T, E>,
    ) -> Result<T, E>
    where
        E: From<StoreError>,
    {
        let pooled = self.readers.lock().unwrap_or_else(|p| p.into_inner()).pop();
        let mut conn = match pooled {
            Some(conn) => conn,
            None => open_connection(&self.path, &self.key, true).map_err(E::from)?,
        };
        let result = (|| {
            let tx = conn.transaction().map_err(|e| E::from(StoreError::from(e)))?;
            let value = f(&tx)?;
            tx.finish().map_err(|e| E::from(StoreError::from(e)))?;
            Ok(value)
        })();
        let mut idle = self.readers.lock().unwrap_or_else(|p| p.into_inner());
        if idle.len() < MAX_IDLE_READERS {
            idle.push(conn);
        }
        result
    }

    /// Re-keys the database under `new_key` and checkpoints, so no page under the old key is
    /// left in the file. Idle readers are dropped: they hold the old key.
    ///
    /// Crash safety is the caller's: keep the new key in the key store under a pending name
    /// before calling, promote it after, and on open try the pending key if the current fails.
    pub fn rekey(&mut self, new_key: SecretKey) -> Result<(), StoreError> {
        {
            let conn = self.writer.lock().unwrap_or_else(|p| p.into_inner());
            let pragma =
                zeroize::Zeroizing::new(format!("PRAGMA rekey = \"x'{}'\"", &*new_key.to_hex()));
            conn.execute_batch(&pragma)?;
            // The re-encrypted pages sit in the WAL until a checkpoint; until then the main file
            // still holds pages under the old key. Fold them in now.
            let (busy, log, done): (i64, i64, i64) =
                conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |r| {
                    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
                })?;
            if busy != 0 || log != done {
                return Err(StoreError::Sqlite {
                    code: rusqlite::ErrorCode::DatabaseBusy,
                    extended: 5,
                });
            }
        }
        self.readers.lock().unwrap_or_else(|p| p.into_inner()).clear();
        self.key = new_key;
        Ok(())
    }
}

/// Opens a read-write connection to an encrypted database that is not the memory graph (the
/// kiosk's device database), keyed and checked like the graph's.
/// Its `migrations` are applied like the graph's.
pub(crate) fn open_encrypted(
    path: &Path,
    key: &SecretKey,
    migrations: &[&str],
) -> Result<Connection, StoreError> {
    let mut conn = open_connection(path, key, false)?;
    schema::apply(&mut conn, migrations, migrations.len() as u32)?;
    Ok(conn)
}

/// Opens one connection, applies the key, and proves the key is right by reading the schema.
fn open_connection(
    path: &Path,
    key: &SecretKey,
    read_only: bool,
) -> Result<Connection, StoreError> {
    let flags = if read_only {
        OpenFlags::SQLITE_OPEN_READ_ONLY | OpenFlags::SQLITE_OPEN_NO_MUTEX
    } else {
        OpenFlags::SQLITE_OPEN_READ_WRITE
            | OpenFlags::SQLITE_OPEN_CREATE
            | OpenFlags::SQLITE_OPEN_NO_MUTEX
    };
    let conn = Connection::open_with_flags(path, flags)?;
    // Raw 32-byte key: no passphrase KDF, so opening stays cheap (~0.4 s saved per open).
    let pragma = zeroize::Zeroizing::new(format!("PRAGMA key = \"x'{}'\"", &*key.to_hex()));
    conn.execute_batch(&pragma)?;
    drop(pragma);
    // Keep SQLCipher quiet: its log could otherwise name files or internal state.
    let _ = conn.execute_batch("PRAGMA cipher_log_level = NONE");
    match conn.query_row("SELECT count(*) FROM sqlite_master", [], |row| row.get::<_, i64>(0)) {
        Ok(_) => {}
        Err(rusqlite::Error::SqliteFailure(err, _))
            if err.code == rusqlite::ErrorCode::NotADatabase =>
        {
            return Err(StoreError::WrongKey)
        }
        Err(e) => return Err(e.into()),
    }
    conn.execute_batch(
        "PRAGMA foreign_keys = ON;
         PRAGMA busy_timeout = 5000;
         PRAGMA temp_store = MEMORY;
         PRAGMA cache_size = -16384;",
    )?;
    if !read_only {
        conn.execute_batch(
            "PRAGMA journal_mode = WAL;
             PRAGMA synchronous = NORMAL;",
        )?;
    }
    conn.set_prepared_statement_cache_capacity(64);
    Ok(conn)
}

#[cfg(test)]
mod tests;

//! A resident's vault, opened: their memory graph (its own SQLCipher database and media folder
//! under `residents/<id>/`) and the secrets it needs, held only while the vault is open.
//!
//! The graph asks a [`KeyStore`] for its secrets. Here that key store is [`VaultKeys`]: the
//! resident's secrets, each wrapped in the device database under the resident's own vault key,
//! unwrapped into memory when the vault opens and zeroized when it closes. Another resident's
//! vault key is never in memory at the same time, so this one cannot open their secrets.

use super::{wrap, KioskError};
use crate::graph::{MemoryGraph, SharedGraph};
use crate::keystore::{KeyStore, KeyStoreError, SecretKey};
use rusqlite::{params, Connection};
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

/// Where a resident's vault lives under the kiosk's folder.
pub(crate) fn vault_dir(kiosk_dir: &Path, resident_id: &str) -> PathBuf {
    kiosk_dir.join("residents").join(resident_id)
}

struct Open {
    vault_key: SecretKey,
    secrets: HashMap<String, SecretKey>,
}

/// The open vault's secrets, as a [`KeyStore`] for its graph. Closing forgets (zeroizes) them.
pub struct VaultKeys {
    resident_id: String,
    db: Arc<Mutex<Connection>>,
    open: Mutex<Option<Open>>,
}

impl std::fmt::Debug for VaultKeys {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("VaultKeys").field("resident_id", &self.resident_id).finish_non_exhaustive()
    }
}

fn context<'a>(resident_id: &'a str, name: &'a str) -> [&'a [u8]; 3] {
    [b"vault secret", resident_id.as_bytes(), name.as_bytes()]
}

impl VaultKeys {
    /// Unwraps every secret of `resident_id` under `vault_key`. A secret that does not open
    /// (altered, moved from another resident's row) fails the whole vault.
    pub(crate) fn unlock(
        db: Arc<Mutex<Connection>>,
        resident_id: &str,
        vault_key: SecretKey,
    ) -> Result<Self, KioskError> {
        let rows: Vec<(String, Vec<u8>)> = {
            let conn = db.lock().unwrap_or_else(|p| p.into_inner());
            let mut stmt =
                conn.prepare("SELECT name, wrapped FROM vault_secret WHERE resident_id = ?1")?;
            let rows = stmt.query_map([resident_id], |r| Ok((r.get(0)?, r.get(1)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut secrets = HashMap::new();
        for (name, blob) in rows {
            let key = wrap::unwrap_key(&vault_key, &context(resident_id, &name), &blob)
                .ok_or(KioskError::VaultKey)?;
            secrets.insert(name, key);
        }
        Ok(Self {
            resident_id: resident_id.to_owned(),
            db,
            open: Mutex::new(Some(Open { vault_key, secrets })),
        })
    }

    /// Forgets every secret (they zeroize as they drop); later loads and stores fail.
    pub fn close(&self) {
        // Assigning drops the secrets in place: they are zeroized where they lie, not moved.
        *self.open.lock().unwrap_or_else(|p| p.into_inner()) = None;
    }

    pub fn is_open(&self) -> bool {
        self.open.lock().unwrap_or_else(|p| p.into_inner()).is_some()
    }
}

fn closed() -> KeyStoreError {
    KeyStoreError::Unavailable { reason: "the resident's vault is closed".into() }
}

impl KeyStore for VaultKeys {
    fn load(&self, name: &str) -> Result<Option<SecretKey>, KeyStoreError> {
        let open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let open = open.as_ref().ok_or_else(closed)?;
        Ok(open.secrets.get(name).cloned())
    }

    fn store(&self, name: &str, secret: &SecretKey) -> Result<(), KeyStoreError> {
        let mut open = self.open.lock().unwrap_or_else(|p| p.into_inner());
        let open = open.as_mut().ok_or_else(closed)?;
        let blob = wrap::wrap_key(&open.vault_key, &context(&self.resident_id, name), secret)
            .map_err(|_| KeyStoreError::Unavailable { reason: "wrapping failed".into() })?;
        let conn = self.db.lock().unwrap_or_else(|p| p.into_inner());
        conn.execute(
            "INSERT INTO vault_secret (resident_id, name, wrapped) VALUES (?1, ?2, ?3) \
             ON CONFLICT(resident_id, name) DO UPDATE SET wrapped = ?3",
            params![self.resident_id, name, blob],
        )
        .map_err(|_| KeyStoreError::Unavailable { reason: "the device database failed".into() })?;
        open.secrets.insert(name.to_owned(), secret.clone());
        Ok(())
    }
}

/// A resident's open vault. Cheap to clone; [`ResidentVault::close`] closes it for every clone
/// (the kiosk does so on switch and lock): the database connections close, the secrets are
/// zeroized, and every handle still held fails from then on.
#[derive(Debug, Clone)]
pub struct ResidentVault {
    id: String,
    graph: Arc<SharedGraph>,
    keys: Arc<VaultKeys>,
}

impl ResidentVault {
    pub(crate) fn open(kiosk_dir: &Path, keys: VaultKeys) -> Result<Self, KioskError> {
        let dir = vault_dir(kiosk_dir, &keys.resident_id);
        let graph = MemoryGraph::open(&dir, &keys)?;
        Ok(Self {
            id: keys.resident_id.clone(),
            graph: Arc::new(SharedGraph::new(graph)),
            keys: Arc::new(keys),
        })
    }

    /// The resident's id.
    pub fn resident_id(&self) -> &str {
        &self.id
    }

    /// The resident's memory graph, shared with the app's handles.
    pub fn graph(&self) -> Arc<SharedGraph> {
        self.graph.clone()
    }

    /// The vault's key store (the resident's identity and proxies' keys live in it).
    pub fn keys(&self) -> Arc<VaultKeys> {
        self.keys.clone()
    }

    /// Runs `f` on the open graph.
    pub fn with<T>(
        &self,
        f: impl FnOnce(&MemoryGraph) -> Result<T, KioskError>,
    ) -> Result<T, KioskError> {
        self.graph.with(f).unwrap_or(Err(KioskError::Locked))
    }

    pub fn is_open(&self) -> bool {
        self.graph.is_open() && self.keys.is_open()
    }

    /// Whether `other` is a handle on this same opening of the vault (not an earlier one).
    pub fn same_vault(&self, other: &ResidentVault) -> bool {
        Arc::ptr_eq(&self.graph, &other.graph)
    }

    /// Closes the graph and forgets the keys.
    pub fn close(&self) {
        self.graph.close();
        self.keys.close();
    }
}

//! What the enclave remembers, in SQLite: key epochs, uploads (with the consent they came
//! under), derived records, revoked consents and the receipts it signed. Calls are short; the
//! connection sits behind a mutex.

use rusqlite::{params, Connection, OptionalExtension};
use std::path::Path;
use std::sync::Mutex;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS epoch (
    epoch      INTEGER PRIMARY KEY,
    not_before INTEGER NOT NULL,
    expires    INTEGER NOT NULL,
    retired    INTEGER NOT NULL DEFAULT 0
);
CREATE TABLE IF NOT EXISTS upload (
    upload_id          TEXT PRIMARY KEY,
    object_key         TEXT NOT NULL,
    multipart_id       TEXT NOT NULL,
    purpose            TEXT NOT NULL,
    consent_receipt_id TEXT NOT NULL,
    principal          TEXT NOT NULL,
    -- Who signed the grant (the owner or a proxy): they, or the owner, may withdraw it.
    grant_signer       TEXT NOT NULL,
    sealed_sha256      TEXT NOT NULL,
    sealed_bytes       INTEGER NOT NULL,
    part_bytes         INTEGER NOT NULL,
    key_epoch          INTEGER NOT NULL,
    state              TEXT NOT NULL CHECK (state IN ('open', 'accepted', 'rejected', 'erased')),
    receipt            TEXT,
    created_at         INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS upload_consent ON upload (principal, consent_receipt_id);
-- What the enclave made from an accepted upload (here: its plaintext digest and size); erased
-- with the object.
CREATE TABLE IF NOT EXISTS derived (
    upload_id        TEXT PRIMARY KEY REFERENCES upload (upload_id),
    plaintext_sha256 TEXT NOT NULL,
    plaintext_bytes  INTEGER NOT NULL,
    accepted_at      INTEGER NOT NULL
);
-- Revocations, per owner: a receipt id is the signer's choice, so it is only unique together
-- with the owner (principal) it is about.
CREATE TABLE IF NOT EXISTS revoked (
    principal             TEXT NOT NULL,
    consent_receipt_id    TEXT NOT NULL,
    revocation_receipt_id TEXT NOT NULL,
    revocation            TEXT NOT NULL,
    erasure_receipt       TEXT,
    at                    INTEGER NOT NULL,
    PRIMARY KEY (principal, consent_receipt_id)
);
";

/// An upload the enclave knows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Upload {
    pub upload_id: String,
    pub object_key: String,
    pub multipart_id: String,
    pub purpose: String,
    pub consent_receipt_id: String,
    pub principal: String,
    pub grant_signer: String,
    pub sealed_sha256: String,
    pub sealed_bytes: u64,
    pub part_bytes: u64,
    pub key_epoch: u64,
    pub state: String,
    pub receipt: Option<String>,
}

/// A key epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Epoch {
    pub epoch: u64,
    pub not_before: i64,
    pub expires: i64,
    pub retired: bool,
}

/// The enclave's database.
#[derive(Debug)]
pub struct State(Mutex<Connection>);

pub type Result<T> = rusqlite::Result<T>;

fn upload_from(r: &rusqlite::Row<'_>) -> Result<Upload> {
    Ok(Upload {
        upload_id: r.get(0)?,
        object_key: r.get(1)?,
        multipart_id: r.get(2)?,
        purpose: r.get(3)?,
        consent_receipt_id: r.get(4)?,
        principal: r.get(5)?,
        grant_signer: r.get(6)?,
        sealed_sha256: r.get(7)?,
        sealed_bytes: r.get::<_, i64>(8)? as u64,
        part_bytes: r.get::<_, i64>(9)? as u64,
        key_epoch: r.get::<_, i64>(10)? as u64,
        state: r.get(11)?,
        receipt: r.get(12)?,
    })
}

const UPLOAD_COLUMNS: &str =
    "upload_id, object_key, multipart_id, purpose, consent_receipt_id, principal, \
     grant_signer, sealed_sha256, sealed_bytes, part_bytes, key_epoch, state, receipt";

impl State {
    pub fn open(path: &Path) -> Result<Self> {
        let conn = Connection::open(path)?;
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.execute_batch(SCHEMA)?;
        conn.execute_batch(crate::learn::SCHEMA)?;
        Ok(Self(Mutex::new(conn)))
    }

    pub(crate) fn with<T>(&self, f: impl FnOnce(&mut Connection) -> Result<T>) -> Result<T> {
        let mut conn = self.0.lock().unwrap_or_else(|p| p.into_inner());
        f(&mut conn)
    }

    /// The newest epoch that is not retired.
    pub fn current_epoch(&self) -> Result<Option<Epoch>> {
        self.with(|c| {
            c.query_row(
                "SELECT epoch, not_before, expires, retired FROM epoch WHERE retired = 0 ORDER BY epoch DESC LIMIT 1",
                [],
                |r| Ok(Epoch { epoch: r.get::<_, i64>(0)? as u64, not_before: r.get(1)?, expires: r.get(2)?, retired: false }),
            )
            .optional()
        })
    }

    pub fn epoch(&self, epoch: u64) -> Result<Option<Epoch>> {
        self.with(|c| {
            c.query_row(
                "SELECT epoch, not_before, expires, retired FROM epoch WHERE epoch = ?1",
                [epoch as i64],
                |r| {
                    Ok(Epoch {
                        epoch: r.get::<_, i64>(0)? as u64,
                        not_before: r.get(1)?,
                        expires: r.get(2)?,
                        retired: r.get::<_, i64>(3)? != 0,
                    })
                },
            )
            .optional()
        })
    }

    /// Starts a new epoch after the highest one.
    pub fn new_epoch(&self, not_before: i64, expires: i64) -> Result<Epoch> {
        self.with(|c| {
            let next: i64 =
                c.query_row("SELECT COALESCE(MAX(epoch), 0) + 1 FROM epoch", [], |r| r.get(0))?;
            c.execute(
                "INSERT INTO epoch (epoch, not_before, expires) VALUES (?1, ?2, ?3)",
                params![next, not_before, expires],
            )?;
            Ok(Epoch { epoch: next as u64, not_before, expires, retired: false })
        })
    }

    pub fn retire_epoch(&self, epoch: u64) -> Result<bool> {
        self.with(|c| {
            Ok(c.execute("UPDATE epoch SET retired = 1 WHERE epoch = ?1", [epoch as i64])? == 1)
        })
    }

    pub fn upload(&self, upload_id: &str) -> Result<Option<Upload>> {
        self.with(|c| {
            c.query_row(
                &format!("SELECT {UPLOAD_COLUMNS} FROM upload WHERE upload_id = ?1"),
                [upload_id],
                upload_from,
            )
            .optional()
        })
    }

    /// The uploads one owner made under one grant.
    pub fn uploads_under(&self, principal: &str, consent_receipt_id: &str) -> Result<Vec<Upload>> {
        self.with(|c| {
            let mut stmt = c.prepare(&format!(
                "SELECT {UPLOAD_COLUMNS} FROM upload WHERE principal = ?1 AND consent_receipt_id = ?2 ORDER BY upload_id"
            ))?;
            let rows = stmt.query_map([principal, consent_receipt_id], upload_from)?;
            rows.collect()
        })
    }

    pub fn insert_upload(&self, u: &Upload, now: i64) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT INTO upload (upload_id, object_key, multipart_id, purpose, consent_receipt_id, principal, \
                 grant_signer, sealed_sha256, sealed_bytes, part_bytes, key_epoch, state, created_at) \
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, 'open', ?12)",
                params![
                    u.upload_id,
                    u.object_key,
                    u.multipart_id,
                    u.purpose,
                    u.consent_receipt_id,
                    u.principal,
                    u.grant_signer,
                    u.sealed_sha256,
                    u.sealed_bytes as i64,
                    u.part_bytes as i64,
                    u.key_epoch as i64,
                    now
                ],
            )?;
            Ok(())
        })
    }

    /// Records the accepted upload, what was derived from it and its signed receipt, together.
    /// A family share has nothing derived (`plaintext` is `None`: the enclave cannot open it).
    pub fn accept(
        &self,
        upload_id: &str,
        plaintext: Option<(&str, u64)>,
        receipt: &str,
        now: i64,
    ) -> Result<bool> {
        self.with(|c| {
            let tx = c.transaction()?;
            let n = tx.execute(
                "UPDATE upload SET state = 'accepted', receipt = ?2 WHERE upload_id = ?1 AND state = 'open'",
                params![upload_id, receipt],
            )?;
            if let (1, Some((plaintext_sha256, plaintext_bytes))) = (n, plaintext) {
                tx.execute(
                    "INSERT OR REPLACE INTO derived (upload_id, plaintext_sha256, plaintext_bytes, accepted_at) \
                     VALUES (?1, ?2, ?3, ?4)",
                    params![upload_id, plaintext_sha256, plaintext_bytes as i64, now],
                )?;
            }
            tx.commit()?;
            Ok(n == 1)
        })
    }

    pub fn set_state(&self, upload_id: &str, state: &str) -> Result<()> {
        self.with(|c| {
            c.execute(
                "UPDATE upload SET state = ?2 WHERE upload_id = ?1",
                params![upload_id, state],
            )?;
            Ok(())
        })
    }

    pub fn derived_count(&self, upload_id: &str) -> Result<i64> {
        self.with(|c| {
            c.query_row("SELECT COUNT(*) FROM derived WHERE upload_id = ?1", [upload_id], |r| {
                r.get(0)
            })
        })
    }

    /// The revocation recorded for an owner's grant, with its erasure receipt once signed.
    pub fn revocation(
        &self,
        principal: &str,
        consent_receipt_id: &str,
    ) -> Result<Option<(String, Option<String>)>> {
        self.with(|c| {
            c.query_row(
                "SELECT revocation_receipt_id, erasure_receipt FROM revoked WHERE principal = ?1 AND consent_receipt_id = ?2",
                [principal, consent_receipt_id],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
        })
    }

    pub fn record_revocation(
        &self,
        principal: &str,
        consent_receipt_id: &str,
        revocation_id: &str,
        revocation: &str,
        now: i64,
    ) -> Result<()> {
        self.with(|c| {
            c.execute(
                "INSERT OR IGNORE INTO revoked (principal, consent_receipt_id, revocation_receipt_id, revocation, at) \
                 VALUES (?1, ?2, ?3, ?4, ?5)",
                params![principal, consent_receipt_id, revocation_id, revocation, now],
            )?;
            Ok(())
        })
    }

    /// Marks an owner's uploads under a grant erased, deletes what was derived from them, and
    /// stores the erasure receipt. Only rows of that owner and grant are touched.
    pub fn erase(
        &self,
        principal: &str,
        consent_receipt_id: &str,
        upload_ids: &[String],
        receipt: &str,
    ) -> Result<()> {
        self.with(|c| {
            let tx = c.transaction()?;
            for id in upload_ids {
                let n = tx.execute(
                    "UPDATE upload SET state = 'erased' WHERE upload_id = ?1 AND principal = ?2 AND consent_receipt_id = ?3",
                    params![id, principal, consent_receipt_id],
                )?;
                if n == 1 {
                    tx.execute("DELETE FROM derived WHERE upload_id = ?1", [id])?;
                    // A model update not yet averaged goes too (one already averaged into a
                    // published model cannot be taken out of it: see docs/SECURITY.md).
                    tx.execute("DELETE FROM learn_update WHERE upload_id = ?1", [id])?;
                }
            }
            tx.execute(
                "UPDATE revoked SET erasure_receipt = ?3 WHERE principal = ?1 AND consent_receipt_id = ?2",
                params![principal, consent_receipt_id, receipt],
            )?;
            tx.commit()
        })
    }
}

//! The kiosk's audit log: who (a staff id) did what (open, record, read, export, delete,
//! consent, lock) to which resident's vault, and when — never what a memory says. Each entry
//! carries HMAC-SHA256, under a device audit key, of its fields and the previous entry's MAC,
//! so editing, removing, inserting or reordering any entry breaks the chain from there on, and
//! without the key nobody can re-chain what follows. A head row (the last sequence number and
//! MAC, itself MACed) catches entries cut off the end. What this cannot catch alone is the
//! whole table and head rolled back to an older copy: that needs the head anchored outside the
//! device (the enclave's receipts, a monotonic counter), a later step.

use super::KioskError;
use crate::keystore::SecretKey;
use hmac::{Hmac, KeyInit, Mac};
use rusqlite::{params, Connection, OptionalExtension};
use sha2::Sha256;

type HmacSha256 = Hmac<Sha256>;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS kiosk_audit (
    seq       INTEGER PRIMARY KEY,
    at_ms     INTEGER NOT NULL,
    actor     TEXT NOT NULL,
    action    TEXT NOT NULL,
    resident  TEXT NOT NULL,
    object    TEXT,
    mac       TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS kiosk_audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    mac  TEXT NOT NULL,
    seal TEXT NOT NULL
);
CREATE TRIGGER IF NOT EXISTS kiosk_audit_no_update BEFORE UPDATE ON kiosk_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER IF NOT EXISTS kiosk_audit_no_delete BEFORE DELETE ON kiosk_audit
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
";

/// What was done.
#[derive(Debug, Clone, Copy, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum AuditAction {
    Open,
    Record,
    Read,
    Export,
    Delete,
    Consent,
    Lock,
    LogIn,
    LogInFailed,
    /// A staff member tried something their role does not allow (the object names it).
    Refused,
    AddResident,
    /// Staff added, removed, given a new PIN; kiosk settings changed.
    ChangeStaff,
    /// Someone joined a resident's family circle.
    Family,
}

impl AuditAction {
    pub fn as_str(self) -> &'static str {
        match self {
            AuditAction::Open => "open",
            AuditAction::Record => "record",
            AuditAction::Read => "read",
            AuditAction::Export => "export",
            AuditAction::Delete => "delete",
            AuditAction::Consent => "consent",
            AuditAction::Lock => "lock",
            AuditAction::LogIn => "log_in",
            AuditAction::LogInFailed => "log_in_failed",
            AuditAction::Refused => "refused",
            AuditAction::AddResident => "add_resident",
            AuditAction::ChangeStaff => "change_staff",
            AuditAction::Family => "family",
        }
    }
}

/// One entry as stored.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct AuditEntry {
    pub seq: i64,
    pub at_ms: i64,
    /// Staff id (never a name typed by someone).
    pub actor: String,
    pub action: String,
    /// Resident id.
    pub resident: String,
    /// What it was done to, by id ("memory:12"), never by content.
    pub object: Option<String>,
    pub mac: String,
}

/// Where verification failed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AuditProblem {
    #[error("entry {seq} does not match its MAC (edited, forged or moved)")]
    BadEntry { seq: i64 },
    #[error("entry {seq} is missing or out of order")]
    Gap { seq: i64 },
    #[error("the log ends at {found} but its head says {expected}")]
    Truncated { expected: i64, found: i64 },
    #[error("the head does not verify")]
    BadHead,
}

/// The audit log in a kiosk database.
pub struct AuditLog<'c> {
    conn: &'c Connection,
    key: SecretKey,
}

impl std::fmt::Debug for AuditLog<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AuditLog")
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Ids only: short, plain, no spaces (content cannot hide in them).
fn check_id(id: &str) -> Result<(), KioskError> {
    let ok = !id.is_empty()
        && id.len() <= 64
        && id.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_:.".contains(&b));
    if ok {
        Ok(())
    } else {
        Err(KioskError::InvalidInput { reason: "audit ids are short plain identifiers" })
    }
}

impl<'c> AuditLog<'c> {
    /// The log in `conn` (created if absent), chained under `key` (the device audit key).
    pub fn open(conn: &'c Connection, key: SecretKey) -> Result<Self, KioskError> {
        conn.execute_batch(SCHEMA)?;
        Ok(Self { conn, key })
    }

    fn mac(&self, parts: &[&[u8]]) -> String {
        // Any key length is valid for HMAC.
        let mut mac = <HmacSha256 as KeyInit>::new_from_slice(self.key.expose())
            .unwrap_or_else(|_| unreachable!("HMAC takes keys of any length"));
        for part in parts {
            mac.update(&(part.len() as u64).to_be_bytes());
            mac.update(part);
        }
        hex(&mac.finalize().into_bytes())
    }

    fn entry_mac(&self, e: &AuditEntry, prev: &str) -> String {
        self.mac(&[
            b"heirloom audit entry v1",
            &e.seq.to_be_bytes(),
            &e.at_ms.to_be_bytes(),
            e.actor.as_bytes(),
            e.action.as_bytes(),
            e.resident.as_bytes(),
            e.object.as_deref().unwrap_or("").as_bytes(),
            &[u8::from(e.object.is_some())],
            prev.as_bytes(),
        ])
    }

    fn head_seal(&self, seq: i64, mac: &str) -> String {
        self.mac(&[b"heirloom audit head v1", &seq.to_be_bytes(), mac.as_bytes()])
    }

    /// Appends an entry; returns it. Ids only: `actor`, `resident` and `object` must be plain
    /// identifiers.
    pub fn append(
        &self,
        at_ms: i64,
        actor: &str,
        action: AuditAction,
        resident: &str,
        object: Option<&str>,
    ) -> Result<AuditEntry, KioskError> {
        check_id(actor)?;
        check_id(resident)?;
        if let Some(o) = object {
            check_id(o)?;
        }
        let tx = self.conn.unchecked_transaction()?;
        let last: Option<(i64, String)> = tx
            .query_row("SELECT seq, mac FROM kiosk_audit ORDER BY seq DESC LIMIT 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })
            .optional()?;
        let (seq, prev) = last.map_or((1, String::new()), |(s, m)| (s + 1, m));
        let mut entry = AuditEntry {
            seq,
            at_ms,
            actor: actor.to_owned(),
            action: action.as_str().to_owned(),
            resident: resident.to_owned(),
            object: object.map(str::to_owned),
            mac: String::new(),
        };
        entry.mac = self.entry_mac(&entry, &prev);
        tx.execute(
            "INSERT INTO kiosk_audit (seq, at_ms, actor, action, resident, object, mac) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
            params![seq, at_ms, entry.actor, entry.action, entry.resident, entry.object, entry.mac],
        )?;
        tx.execute(
            "INSERT INTO kiosk_audit_head (id, seq, mac, seal) VALUES (1, ?1, ?2, ?3) \
             ON CONFLICT(id) DO UPDATE SET seq = ?1, mac = ?2, seal = ?3",
            params![seq, entry.mac, self.head_seal(seq, &entry.mac)],
        )?;
        tx.commit()?;
        Ok(entry)
    }

    /// Every entry, in order.
    pub fn entries(&self) -> Result<Vec<AuditEntry>, KioskError> {
        let mut stmt = self.conn.prepare(
            "SELECT seq, at_ms, actor, action, resident, object, mac FROM kiosk_audit ORDER BY rowid",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(AuditEntry {
                seq: r.get(0)?,
                at_ms: r.get(1)?,
                actor: r.get(2)?,
                action: r.get(3)?,
                resident: r.get(4)?,
                object: r.get(5)?,
                mac: r.get(6)?,
            })
        })?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    }

    /// Checks the whole chain and its head; returns how many entries verified.
    pub fn verify(&self) -> Result<i64, KioskError> {
        let mut prev = String::new();
        let mut expected_seq = 1;
        for e in self.entries()? {
            if e.seq != expected_seq {
                return Err(KioskError::AuditBroken(AuditProblem::Gap { seq: expected_seq }));
            }
            if self.entry_mac(&e, &prev) != e.mac {
                return Err(KioskError::AuditBroken(AuditProblem::BadEntry { seq: e.seq }));
            }
            prev = e.mac;
            expected_seq += 1;
        }
        let found = expected_seq - 1;
        let head: Option<(i64, String, String)> = self
            .conn
            .query_row("SELECT seq, mac, seal FROM kiosk_audit_head WHERE id = 1", [], |r| {
                Ok((r.get(0)?, r.get(1)?, r.get(2)?))
            })
            .optional()?;
        match head {
            None if found == 0 => Ok(0),
            None => Err(KioskError::AuditBroken(AuditProblem::BadHead)),
            Some((seq, mac, seal)) => {
                if self.head_seal(seq, &mac) != seal {
                    return Err(KioskError::AuditBroken(AuditProblem::BadHead));
                }
                if seq != found || mac != prev {
                    return Err(KioskError::AuditBroken(AuditProblem::Truncated {
                        expected: seq,
                        found,
                    }));
                }
                Ok(found)
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key() -> SecretKey {
        SecretKey::from_slice(&[7u8; 32]).expect("key")
    }

    fn filled(conn: &Connection) -> AuditLog<'_> {
        let log = AuditLog::open(conn, key()).expect("open");
        log.append(1_000, "staff-ann", AuditAction::Open, "resident-1", None).expect("a");
        log.append(2_000, "staff-ann", AuditAction::Record, "resident-1", Some("memory:4"))
            .expect("b");
        log.append(3_000, "staff-ann", AuditAction::Read, "resident-1", Some("memory:4"))
            .expect("c");
        log.append(4_000, "staff-bob", AuditAction::Export, "resident-2", Some("memory:9"))
            .expect("d");
        log
    }

    /// Tampering goes around the triggers, as someone with the database file could.
    fn tamper(conn: &Connection, sql: &str) {
        conn.execute_batch(&format!(
            "DROP TRIGGER kiosk_audit_no_update; DROP TRIGGER kiosk_audit_no_delete; {sql}"
        ))
        .expect("tamper");
    }

    #[test]
    fn an_untouched_log_verifies_and_refuses_updates_and_deletes() {
        let conn = Connection::open_in_memory().expect("db");
        let log = filled(&conn);
        assert_eq!(log.verify().expect("verifies"), 4);
        assert!(conn.execute("UPDATE kiosk_audit SET actor = 'x' WHERE seq = 2", []).is_err());
        assert!(conn.execute("DELETE FROM kiosk_audit WHERE seq = 4", []).is_err());
        // Content cannot be written into it.
        assert!(log
            .append(5_000, "staff-ann", AuditAction::Read, "resident-1", Some("Joan died in 2019"))
            .is_err());
        assert_eq!(log.verify().expect("still"), 4);
    }

    #[test]
    fn edits_removals_reorders_truncation_and_a_wrong_key_are_caught() {
        type Expect = fn(&AuditProblem) -> bool;
        let cases: [(&str, Expect); 5] = [
            ("UPDATE kiosk_audit SET actor = 'staff-eve' WHERE seq = 2", |p| {
                matches!(p, AuditProblem::BadEntry { seq: 2 })
            }),
            ("UPDATE kiosk_audit SET at_ms = 2500 WHERE seq = 3", |p| {
                matches!(p, AuditProblem::BadEntry { seq: 3 })
            }),
            ("DELETE FROM kiosk_audit WHERE seq = 2", |p| matches!(p, AuditProblem::Gap { seq: 2 })),
            // Swapping two entries' contents (keeping their sequence numbers).
            (
                "UPDATE kiosk_audit SET seq = -2 WHERE seq = 2; UPDATE kiosk_audit SET seq = 2 WHERE seq = 3; \
                 UPDATE kiosk_audit SET seq = 3 WHERE seq = -2",
                |p| matches!(p, AuditProblem::Gap { .. } | AuditProblem::BadEntry { .. }),
            ),
            ("DELETE FROM kiosk_audit WHERE seq = 4", |p| {
                matches!(p, AuditProblem::Truncated { expected: 4, found: 3 })
            }),
        ];
        for (sql, expected) in cases {
            let conn = Connection::open_in_memory().expect("db");
            let log = filled(&conn);
            tamper(&conn, sql);
            match log.verify() {
                Err(KioskError::AuditBroken(p)) => assert!(expected(&p), "{sql}: {p:?}"),
                other => panic!("{sql}: {other:?}"),
            }
        }
        // Re-chaining after an edit needs the key: with another key nothing verifies.
        let conn = Connection::open_in_memory().expect("db");
        filled(&conn);
        let other =
            AuditLog::open(&conn, SecretKey::from_slice(&[8u8; 32]).expect("k")).expect("o");
        assert!(matches!(
            other.verify(),
            Err(KioskError::AuditBroken(AuditProblem::BadEntry { seq: 1 }))
        ));
    }
}

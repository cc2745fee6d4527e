//! Errors of the SQLite plumbing. Messages never carry SQL values or user text: SQLite's own
//! message (which can quote a search query) is reduced to its error code.

use crate::keystore::KeyStoreError;

/// A failure to open, unlock, migrate or query the database.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The key does not open this database.
    #[error("the database key is wrong")]
    WrongKey,
    /// A database exists but its key is not in the key store.
    #[error("the database key is missing from the key store")]
    KeyMissing,
    /// The key store failed.
    #[error(transparent)]
    KeyStore(#[from] KeyStoreError),
    /// The database was written by a newer version of Heirloom.
    #[error("database schema version {found} is newer than this build supports ({supported})")]
    TooNew { found: u32, supported: u32 },
    /// A file-system failure.
    #[error("could not {op}: {kind}")]
    Io { op: &'static str, kind: std::io::ErrorKind },
    /// SQLite failed; only the result code is kept.
    #[error("database error: {code:?} (extended code {extended})")]
    Sqlite { code: rusqlite::ErrorCode, extended: i32 },
    /// rusqlite failed outside SQLite (type conversion, wrong column).
    #[error("database access error: {kind}")]
    Access { kind: &'static str },
}

impl StoreError {
    pub(crate) fn io(op: &'static str, e: &std::io::Error) -> Self {
        Self::Io { op, kind: e.kind() }
    }

    /// True if SQLite reported a constraint violation.
    pub fn is_constraint(&self) -> bool {
        matches!(self, Self::Sqlite { code: rusqlite::ErrorCode::ConstraintViolation, .. })
    }
}

impl From<rusqlite::Error> for StoreError {
    fn from(e: rusqlite::Error) -> Self {
        use rusqlite::Error as E;
        match e {
            E::SqliteFailure(err, _) => {
                if err.code == rusqlite::ErrorCode::NotADatabase {
                    Self::WrongKey
                } else {
                    Self::Sqlite { code: err.code, extended: err.extended_code }
                }
            }
            E::QueryReturnedNoRows => Self::Access { kind: "no rows" },
            E::FromSqlConversionFailure(..) | E::InvalidColumnType(..) => {
                Self::Access { kind: "column type" }
            }
            E::IntegralValueOutOfRange(..) => Self::Access { kind: "integer range" },
            E::Utf8Error(..) => Self::Access { kind: "text encoding" },
            E::InvalidParameterName(..) | E::InvalidColumnIndex(..) | E::InvalidColumnName(..) => {
                Self::Access { kind: "statement shape" }
            }
            _ => Self::Access { kind: "other" },
        }
    }
}

//! Schema as code: [`VERSION`] and the numbered migrations that reach it. A fresh database
//! runs every migration in order; an older one runs the ones it lacks, in one transaction.
//! `user_version` records where a database stands.

use super::StoreError;
use rusqlite::Connection;

/// Each entry takes the schema from version `i` to `i + 1`.
pub(crate) const MIGRATIONS: &[&str] = &[
    include_str!("migrations/001_memory_graph.sql"),
    include_str!("migrations/002_segment_search.sql"),
    include_str!("migrations/003_transcripts.sql"),
    include_str!("migrations/004_understanding.sql"),
    include_str!("migrations/005_interview.sql"),
    include_str!("migrations/006_embeddings.sql"),
    include_str!("migrations/007_consent.sql"),
    include_str!("migrations/008_outbox.sql"),
    include_str!("migrations/009_photos.sql"),
    include_str!("migrations/010_storyboard.sql"),
    include_str!("migrations/011_family.sql"),
    include_str!("migrations/012_share.sql"),
    include_str!("migrations/013_care.sql"),
    include_str!("migrations/014_learn.sql"),
];

/// The schema version this build writes.
pub const VERSION: u32 = MIGRATIONS.len() as u32;

/// Brings `conn` to [`VERSION`], refusing databases from a newer build.
pub(crate) fn migrate(conn: &mut Connection) -> Result<(), StoreError> {
    migrate_to(conn, VERSION)
}

/// Brings `conn` to `target` (tests use targets below [`VERSION`]).
pub(crate) fn migrate_to(conn: &mut Connection, target: u32) -> Result<(), StoreError> {
    apply(conn, MIGRATIONS, target)
}

/// Runs the `migrations` a database lacks, up to `target`, in one transaction; refuses one
/// from a newer build. Shared with other encrypted databases (the kiosk's device database).
pub(crate) fn apply(
    conn: &mut Connection,
    migrations: &[&str],
    target: u32,
) -> Result<(), StoreError> {
    let newest = migrations.len() as u32;
    let found: u32 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if found > newest {
        return Err(StoreError::TooNew { found, supported: newest });
    }
    if found >= target {
        return Ok(());
    }
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Exclusive)?;
    for sql in &migrations[found as usize..target as usize] {
        tx.execute_batch(sql)?;
    }
    tx.pragma_update(None, "user_version", target)?;
    tx.commit()?;
    Ok(())
}

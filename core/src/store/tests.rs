//! The store's promises: encrypted at rest, typed failure on a wrong key, schema migrations that
//! end where a fresh database starts.

use super::*;
use crate::keystore::FileKeyStore;

fn schema_of(conn: &Connection) -> Vec<(String, String, Option<String>)> {
    let mut stmt = conn
        .prepare("SELECT type, name, sql FROM sqlite_master WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name")
        .expect("prepare");
    let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?))).expect("query");
    rows.collect::<Result<Vec<_>, _>>().expect("rows")
}

#[test]
fn new_directory_gets_a_key_and_reopens_with_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    let db = Database::open(&dir.path().join("data"), &keys).expect("create");
    drop(db);
    assert!(keys.load(DATABASE_KEY_NAME).expect("load").is_some());
    Database::open(&dir.path().join("data"), &keys).expect("reopen");
}

#[test]
fn wrong_key_is_a_typed_error() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    drop(Database::open(dir.path(), &keys).expect("create"));
    let other = FileKeyStore::new(dir.path().join("other-keys"));
    other.store(DATABASE_KEY_NAME, &SecretKey::generate().expect("rng")).expect("store");
    assert!(matches!(Database::open(dir.path(), &other), Err(StoreError::WrongKey)));
    let empty = FileKeyStore::new(dir.path().join("no-keys"));
    assert!(matches!(Database::open(dir.path(), &empty), Err(StoreError::KeyMissing)));
}

#[test]
fn garbage_file_is_a_typed_error_not_a_crash() {
    let dir = tempfile::tempdir().expect("tempdir");
    std::fs::write(dir.path().join(DATABASE_FILE), vec![0x5au8; 8192]).expect("write");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    keys.store(DATABASE_KEY_NAME, &SecretKey::generate().expect("rng")).expect("store");
    assert!(matches!(Database::open(dir.path(), &keys), Err(StoreError::WrongKey)));
}

#[test]
fn rekey_keeps_data_and_retires_the_old_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join(DATABASE_FILE);
    let old = SecretKey::generate().expect("rng");
    let new = SecretKey::generate().expect("rng");
    let mut db = Database::open_with_key(path.clone(), old.clone()).expect("create");
    db.write(|tx| {
        tx.execute_batch("CREATE TABLE t (x); INSERT INTO t VALUES (42);").map_err(StoreError::from)
    })
    .expect("write");
    db.rekey(new.clone()).expect("rekey");
    drop(db);
    assert!(matches!(Database::open_with_key(path.clone(), old), Err(StoreError::WrongKey)));
    let db = Database::open_with_key(path, new).expect("open with new key");
    let x: i64 = db
        .read(|tx| tx.query_row("SELECT x FROM t", [], |r| r.get(0)).map_err(StoreError::from))
        .expect("read");
    assert_eq!(x, 42);
}

#[test]
fn migrated_database_equals_a_fresh_one_and_keeps_its_data() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::generate().expect("rng");
    let old_path = dir.path().join("old.db");
    {
        let mut conn = open_connection(&old_path, &key, false).expect("open");
        schema::migrate_to(&mut conn, 1).expect("to v1");
        conn.execute_batch(
            "INSERT INTO memory (id, title, told_at_ms, source, created_at_ms, updated_at_ms) \
             VALUES (1, 'The farm', 0, 'text', 0, 0); \
             INSERT INTO segment (memory_id, ordinal, start_ms, end_ms, machine_text, confidence) \
             VALUES (1, 0, 0, 0, 'we kept goats on the farm', 1.0);",
        )
        .expect("v1 data");
    }
    let migrated = Database::open_with_key(old_path, key.clone()).expect("migrate");
    let fresh = Database::open_with_key(dir.path().join("fresh.db"), key).expect("fresh");
    let schema = |db: &Database| db.read(|tx| Ok::<_, StoreError>(schema_of(tx))).expect("schema");
    assert_eq!(schema(&migrated), schema(&fresh));
    let version = |db: &Database| {
        db.read(|tx| {
            tx.query_row("PRAGMA user_version", [], |r| r.get::<_, u32>(0))
                .map_err(StoreError::from)
        })
        .expect("version")
    };
    assert_eq!(version(&migrated), VERSION);
    assert_eq!(version(&fresh), VERSION);
    // Segments written before search existed are found after the migration.
    let found: i64 = migrated
        .read(|tx| {
            tx.query_row(
                "SELECT count(*) FROM segment_fts WHERE segment_fts MATCH 'goats'",
                [],
                |r| r.get(0),
            )
            .map_err(StoreError::from)
        })
        .expect("search");
    assert_eq!(found, 1);
}

#[test]
fn newer_schema_is_refused() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::generate().expect("rng");
    let path = dir.path().join("future.db");
    {
        let conn = open_connection(&path, &key, false).expect("open");
        conn.pragma_update(None, "user_version", VERSION + 1).expect("bump");
    }
    assert!(matches!(
        Database::open_with_key(path, key),
        Err(StoreError::TooNew { found, supported }) if found == VERSION + 1 && supported == VERSION
    ));
}

#[test]
fn readers_and_writer_work_from_many_threads() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = std::sync::Arc::new(
        Database::open_with_key(
            dir.path().join(DATABASE_FILE),
            SecretKey::generate().expect("rng"),
        )
        .expect("open"),
    );
    db.write(|tx| tx.execute_batch("CREATE TABLE n (v INTEGER)").map_err(StoreError::from))
        .expect("create");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let db = db.clone();
            std::thread::spawn(move || {
                for i in 0..50 {
                    db.write(|tx| {
                        tx.execute("INSERT INTO n VALUES (?1)", [t * 100 + i])
                            .map_err(StoreError::from)
                    })
                    .expect("insert");
                    db.read(|tx| {
                        tx.query_row("SELECT count(*) FROM n", [], |r| r.get::<_, i64>(0))
                            .map_err(StoreError::from)
                    })
                    .expect("count");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    let n: i64 = db
        .read(|tx| {
            tx.query_row("SELECT count(*) FROM n", [], |r| r.get(0)).map_err(StoreError::from)
        })
        .expect("count");
    assert_eq!(n, 400);
}

#[test]
fn derived_keys_are_stable_distinct_and_not_the_store_key() {
    let dir = tempfile::tempdir().expect("tempdir");
    let key = SecretKey::generate().expect("rng");
    let db = Database::open_with_key(dir.path().join(DATABASE_FILE), key.clone()).expect("open");
    let audio = db.derive_key("heirloom/audio/v1");
    assert_eq!(audio, db.derive_key("heirloom/audio/v1"));
    assert_ne!(audio, db.derive_key("heirloom/photos/v1"));
    assert_ne!(audio, key);
    let other =
        Database::open_with_key(dir.path().join("other.db"), SecretKey::generate().expect("rng"))
            .expect("open");
    assert_ne!(audio, other.derive_key("heirloom/audio/v1"));
}

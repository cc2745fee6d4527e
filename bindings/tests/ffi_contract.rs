//! The bindings' own promises, from Rust: error mapping, the foreign key-store path called from
//! many threads, zeroized key bytes, closed handles.

use heirloom::{file_key_store, ApiError, Heirloom, KeyStore, MemoryChanges};
use heirloom_core::graph::{AboutWhen, EntityAttributes, EntityKind, FactStatus, NewEntity, Span};
use std::collections::HashMap;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};

/// A key store like an app's: a map, counting calls, recording which threads called.
#[derive(Default)]
struct AppKeys {
    keys: Mutex<HashMap<String, Vec<u8>>>,
    calls: AtomicUsize,
    threads: Mutex<Vec<std::thread::ThreadId>>,
}

impl KeyStore for AppKeys {
    fn load(&self, name: String) -> Result<Option<Vec<u8>>, ApiError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.threads.lock().expect("lock").push(std::thread::current().id());
        Ok(self.keys.lock().expect("lock").get(&name).cloned())
    }
    fn store(&self, name: String, secret: Vec<u8>) -> Result<(), ApiError> {
        self.calls.fetch_add(1, Ordering::SeqCst);
        self.keys.lock().expect("lock").insert(name, secret);
        Ok(())
    }
}

struct BrokenKeys;
impl KeyStore for BrokenKeys {
    fn load(&self, _: String) -> Result<Option<Vec<u8>>, ApiError> {
        Err(ApiError::KeyStore { reason: "device locked".into() })
    }
    fn store(&self, _: String, _: Vec<u8>) -> Result<(), ApiError> {
        Err(ApiError::KeyStore { reason: "device locked".into() })
    }
}

fn dir() -> (tempfile::TempDir, String) {
    let d = tempfile::tempdir().expect("tempdir");
    let data = d.path().join("data").to_string_lossy().into_owned();
    (d, data)
}

#[test]
fn errors_map_to_actionable_variants() {
    let (_d, data) = dir();
    let keys = Arc::new(AppKeys::default());
    let h = Heirloom::open(data.clone(), keys.clone()).expect("open");
    let m = h.memories();
    assert!(matches!(m.get(7), Err(ApiError::NotFound { ref what, id: 7 }) if what == "memory"));
    assert!(matches!(m.add_text(" ".into(), "x".into(), None), Err(ApiError::InvalidInput { .. })));
    assert!(matches!(
        m.add_text("t".into(), "x".into(), Some(AboutWhen::Decade { start: 1961 })),
        Err(ApiError::InvalidInput { .. })
    ));
    assert!(matches!(h.merges().undo(1), Err(ApiError::NotFound { .. })));
    let e = h
        .people()
        .create(NewEntity {
            kind: EntityKind::Person,
            display_name: "Rosa".into(),
            aliases: vec![],
            attributes: EntityAttributes::default(),
            status: FactStatus::Inferred,
        })
        .expect("person");
    assert!(matches!(h.merges().propose(e.id, e.id, 0.5), Err(ApiError::InvalidInput { .. })));
    drop(h);

    let mut other = AppKeys::default();
    other.keys.get_mut().expect("lock").insert("heirloom.store.v1".into(), vec![9; 32]);
    assert!(matches!(Heirloom::open(data.clone(), Arc::new(other)), Err(ApiError::WrongKey)));
    assert!(matches!(
        Heirloom::open(data.clone(), Arc::new(AppKeys::default())),
        Err(ApiError::KeyMissing)
    ));
    let mut short = AppKeys::default();
    short.keys.get_mut().expect("lock").insert("heirloom.store.v1".into(), vec![1; 31]);
    assert!(matches!(
        Heirloom::open(data.clone(), Arc::new(short)),
        Err(ApiError::KeyStore { .. })
    ));
    match Heirloom::open(data, Arc::new(BrokenKeys)) {
        Err(ApiError::KeyStore { reason }) => assert!(reason.contains("device locked")),
        other => panic!("expected KeyStore error, got {:?}", other.err()),
    }
}

#[test]
fn error_messages_carry_no_user_content() {
    let (_d, data) = dir();
    let h = Heirloom::open(data, Arc::new(AppKeys::default())).expect("open");
    let secret = "Tante Lotte's cancer diagnosis ".repeat(30);
    let err = h.memories().add_text(secret.clone(), "x".into(), None).expect_err("too long");
    let shown = format!("{err} {err:?}");
    assert!(!shown.contains("Lotte"), "{shown}");
    let seg = h.memories().add_text("t".into(), "Lotte".into(), None).expect("add").segments[0].id;
    let err = h
        .people()
        .link_mention(
            424242,
            Span { segment_id: seg, char_start: 0, char_end: 5 },
            0.5,
            FactStatus::Inferred,
        )
        .expect_err("no entity");
    assert!(!format!("{err:?}").contains("Lotte"));
}

#[test]
fn one_handle_from_eight_threads_with_a_foreign_key_store() {
    let (_d, data) = dir();
    let keys = Arc::new(AppKeys::default());
    let h = Heirloom::open(data.clone(), keys.clone()).expect("open");
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let h = h.clone();
            std::thread::spawn(move || {
                for i in 0..20 {
                    let d = h
                        .memories()
                        .add_text(format!("t{t} m{i}"), format!("story {i} of thread {t}"), None)
                        .expect("add");
                    h.memories()
                        .update(
                            d.memory.id,
                            MemoryChanges {
                                about_when: Some(AboutWhen::Year { year: 1950 + i }),
                                ..Default::default()
                            },
                        )
                        .expect("update");
                    assert!(!h.search().segments("story".into(), 5).expect("search").is_empty());
                    h.life().timeline(0, 10).expect("timeline");
                }
            })
        })
        .collect();
    for t in threads {
        t.join().expect("thread");
    }
    assert_eq!(h.life().coverage().expect("coverage").memories, 160);
    drop(h);

    // Opening from many threads at once calls the foreign key store from each of them.
    let opens: Vec<_> = (0..8)
        .map(|_| {
            let keys = keys.clone();
            let data = data.clone();
            std::thread::spawn(move || Heirloom::open(data, keys).map(|_| ()))
        })
        .collect();
    for o in opens {
        o.join().expect("thread").expect("open");
    }
    let threads = keys.threads.lock().expect("lock");
    let distinct: std::collections::HashSet<_> = threads.iter().collect();
    assert!(distinct.len() >= 8, "key store called from {} threads", distinct.len());
}

#[test]
fn shutdown_closes_every_sub_object() {
    let (_d, data) = dir();
    let h = Heirloom::open(data.clone(), Arc::new(AppKeys::default())).expect("open");
    let (m, p, s, l, g) = (h.memories(), h.people(), h.search(), h.life(), h.merges());
    h.shutdown();
    assert!(matches!(m.list(0, 10), Err(ApiError::Closed)));
    assert!(matches!(p.list(None, None), Err(ApiError::Closed)));
    assert!(matches!(s.segments("x".into(), 1), Err(ApiError::Closed)));
    assert!(matches!(l.coverage(), Err(ApiError::Closed)));
    assert!(matches!(g.list(None), Err(ApiError::Closed)));
    h.shutdown();
}

#[test]
fn file_key_store_round_trips_through_the_trait() {
    let d = tempfile::tempdir().expect("tempdir");
    let keys = file_key_store(d.path().join("keys").to_string_lossy().into_owned());
    assert_eq!(keys.load("a".into()).expect("load"), None);
    keys.store("a".into(), vec![5; 32]).expect("store");
    assert_eq!(keys.load("a".into()).expect("load"), Some(vec![5; 32]));
    assert!(matches!(keys.store("a".into(), vec![5; 3]), Err(ApiError::InvalidInput { .. })));
}

//! The bindings and the core read and write the same data directory with the same key file: what
//! a phone app writes, the desktop CLI (built on the core) can open, and back.

use heirloom::{file_key_store, Heirloom};
use heirloom_core::graph::{AboutWhen, EntityQuery, MemoryGraph, Page};
use heirloom_core::keystore::FileKeyStore;

#[test]
fn app_and_core_share_one_encrypted_directory() {
    let dir = tempfile::tempdir().expect("tempdir");
    let data = dir.path().join("data");
    let keys = dir.path().join("keys");

    let app = Heirloom::open(
        data.to_string_lossy().into(),
        file_key_store(keys.to_string_lossy().into()),
    )
    .expect("open through bindings");
    let detail = app
        .memories()
        .add_text(
            "Harbour".into(),
            "Opa Willem mended nets in Scheveningen.".into(),
            Some(AboutWhen::Year { year: 1955 }),
        )
        .expect("add");
    app.shutdown();
    drop(app);

    let core = MemoryGraph::open(&data, &FileKeyStore::new(&keys)).expect("open through core");
    assert_eq!(core.memory(detail.memory.id).expect("memory").title, "Harbour");
    assert_eq!(core.search("scheveningen", 5).expect("search").len(), 1);
    let added = core.add_text_memory("Dunes", "We flew kites on the dunes.", None).expect("add");
    let willem = core
        .create_entity(&heirloom_core::graph::NewEntity {
            kind: heirloom_core::graph::EntityKind::Person,
            display_name: "Opa Willem".into(),
            aliases: vec![],
            attributes: Default::default(),
            status: heirloom_core::graph::FactStatus::Confirmed,
        })
        .expect("entity");
    assert_eq!(core.link_name_occurrences(willem.id, detail.memory.id).expect("link").len(), 1);
    drop(core);

    let app = Heirloom::open(
        data.to_string_lossy().into(),
        file_key_store(keys.to_string_lossy().into()),
    )
    .expect("reopen through bindings");
    let timeline = app.life().timeline(0, 10).expect("timeline");
    assert_eq!(timeline.dated.len(), 1);
    assert_eq!(timeline.undated[0].id, added.memory.id);
    let view = app.people().person(willem.id).expect("person");
    assert_eq!(view.mentions[0].quote, "Opa Willem");
    let core_again = MemoryGraph::open(&data, &FileKeyStore::new(&keys)).expect("second reader");
    assert_eq!(core_again.list_entities(&EntityQuery::default()).expect("list").len(), 1);
    assert_eq!(core_again.timeline(Page::default()).expect("timeline").dated_total, 1);
}

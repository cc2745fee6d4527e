//! The memory graph end to end against a real encrypted SQLite file.

use super::*;
use crate::keystore::FileKeyStore;

struct Fixture {
    dir: tempfile::TempDir,
    graph: MemoryGraph,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    let graph = MemoryGraph::open(&dir.path().join("data"), &keys).expect("open");
    Fixture { dir, graph }
}

fn memory(g: &MemoryGraph, title: &str, about: Option<AboutWhen>, told_at_ms: i64) -> Memory {
    g.create_memory(&NewMemory {
        title: title.into(),
        told_at_ms,
        source: MemorySource::Voice,
        about_when: about,
        about_status: FactStatus::Inferred,
    })
    .expect("create memory")
}

fn segment(g: &MemoryGraph, memory: MemoryId, text: &str) -> Segment {
    g.add_segments(
        memory,
        None,
        &[NewSegment { start_ms: 0, end_ms: 1000, text: text.into(), confidence: 0.9 }],
    )
    .expect("segment")
    .remove(0)
}

fn person(g: &MemoryGraph, name: &str) -> Entity {
    g.create_entity(&NewEntity {
        kind: EntityKind::Person,
        display_name: name.into(),
        aliases: vec![],
        attributes: EntityAttributes::default(),
        status: FactStatus::Inferred,
    })
    .expect("entity")
}

fn span_of(seg: &Segment, words: &str) -> Span {
    let byte = seg.text().find(words).expect("words in segment");
    let start = seg.text()[..byte].chars().count() as u32;
    Span { segment_id: seg.id, char_start: start, char_end: start + words.chars().count() as u32 }
}

#[test]
fn memory_lifecycle_create_update_detail() {
    let f = fixture();
    let g = &f.graph;
    let m = memory(g, "Wedding day", Some(AboutWhen::Day { year: 1962, month: 6, day: 16 }), 5);
    let segs = g
        .add_segments(
            m.id,
            None,
            &[
                NewSegment {
                    start_ms: 0,
                    end_ms: 2500,
                    text: "We married in June.".into(),
                    confidence: 0.8,
                },
                NewSegment {
                    start_ms: 2500,
                    end_ms: 4000,
                    text: "It rained all day.".into(),
                    confidence: 0.7,
                },
            ],
        )
        .expect("segments");
    assert_eq!(segs.iter().map(|s| s.ordinal).collect::<Vec<_>>(), [0, 1]);
    let updated = g
        .update_memory(
            m.id,
            &MemoryUpdate {
                title: Some("Our wedding".into()),
                about_when: Some(None),
                ..Default::default()
            },
        )
        .expect("update");
    assert_eq!(updated.title, "Our wedding");
    assert_eq!(updated.about_when, None);
    let detail = g.memory_detail(m.id).expect("detail");
    assert_eq!(detail.segments.len(), 2);
    assert_eq!(detail.segments[1].text(), "It rained all day.");
    assert!(matches!(g.memory(9999), Err(GraphError::NotFound { what: "memory", id: 9999 })));
}

#[test]
fn bad_input_is_rejected_and_nothing_is_half_written() {
    let f = fixture();
    let g = &f.graph;
    let m = memory(g, "Trip", None, 0);
    let good = NewSegment { start_ms: 0, end_ms: 10, text: "fine".into(), confidence: 0.5 };
    let bad = NewSegment { start_ms: 20, end_ms: 10, text: "backwards".into(), confidence: 0.5 };
    assert!(matches!(
        g.add_segments(m.id, None, &[good.clone(), bad]),
        Err(GraphError::InvalidInput { .. })
    ));
    assert!(g.segments(m.id).expect("segments").is_empty(), "all-or-nothing");
    for (text, conf) in [("   ", 0.5), ("ok", 1.5), ("nul\0inside", 0.5)] {
        let s = NewSegment { start_ms: 0, end_ms: 0, text: text.into(), confidence: conf };
        assert!(matches!(g.add_segments(m.id, None, &[s]), Err(GraphError::InvalidInput { .. })));
    }
    let seg = segment(g, m.id, "Rosa");
    let p = person(g, "Rosa");
    let outside = Span { segment_id: seg.id, char_start: 2, char_end: 9 };
    assert!(matches!(
        g.link_mention(p.id, outside, 0.5, FactStatus::Inferred),
        Err(GraphError::InvalidInput { .. })
    ));
    // Error messages carry no user words.
    let err = g.create_memory(&NewMemory {
        title: "x".repeat(600),
        told_at_ms: 0,
        source: MemorySource::Text,
        about_when: None,
        about_status: FactStatus::Inferred,
    });
    assert!(!format!("{:?}", err).contains("xxxx"));
}

#[test]
fn person_view_gathers_memories_mentions_and_relations() {
    let f = fixture();
    let g = &f.graph;
    let m1 = memory(g, "Sunday lunch", Some(AboutWhen::Decade { start: 1950 }), 1);
    let m2 = memory(g, "The bakery", Some(AboutWhen::Year { year: 1948 }), 2);
    let s1 = segment(g, m1.id, "Grandma Rosa made lasagne every Sunday.");
    let s2 = segment(g, m2.id, "Rosa and Tom opened the bakery in Napoli.");
    let rosa = g
        .create_entity(&NewEntity {
            kind: EntityKind::Person,
            display_name: "Rosa".into(),
            aliases: vec!["Grandma Rosa".into(), "Nonna".into()],
            attributes: EntityAttributes {
                relation_to_owner: Some("grandmother".into()),
                birth_year: Some(1921),
                deceased: true,
                sensitive: false,
            },
            status: FactStatus::Confirmed,
        })
        .expect("rosa");
    let tom = person(g, "Tom");
    g.link_mention(rosa.id, span_of(&s1, "Grandma Rosa"), 0.9, FactStatus::Inferred).expect("m1");
    g.link_mention(rosa.id, span_of(&s2, "Rosa"), 0.8, FactStatus::Inferred).expect("m2");
    g.link_mention(tom.id, span_of(&s2, "Tom"), 0.8, FactStatus::Inferred).expect("m3");
    g.add_relation(&NewRelation {
        subject_id: rosa.id,
        object_id: tom.id,
        kind: "married to".into(),
        provenance: Some(span_of(&s2, "Rosa and Tom")),
        confidence: 0.6,
        status: FactStatus::Inferred,
    })
    .expect("relation");
    let view = g.person_view(rosa.id).expect("view");
    assert_eq!(view.entity.aliases, ["Grandma Rosa", "Nonna"]);
    assert_eq!(view.entity.attributes.relation_to_owner.as_deref(), Some("grandmother"));
    assert!(view.entity.attributes.deceased);
    // Timeline order: 1948 before the 1950s.
    assert_eq!(view.memories.iter().map(|m| m.id).collect::<Vec<_>>(), [m2.id, m1.id]);
    assert_eq!(
        view.mentions.iter().map(|m| m.quote.as_str()).collect::<Vec<_>>(),
        ["Grandma Rosa", "Rosa"]
    );
    assert_eq!(view.relations.len(), 1);
    assert_eq!(view.relations[0].direction, RelationDirection::Outgoing);
    assert_eq!(view.relations[0].other.display_name, "Tom");
    let tom_view = g.person_view(tom.id).expect("tom");
    assert_eq!(tom_view.relations[0].direction, RelationDirection::Incoming);
    let found =
        g.list_entities(&EntityQuery { kind: None, name: Some("nonna".into()) }).expect("find");
    assert_eq!(found.iter().map(|e| e.id).collect::<Vec<_>>(), [rosa.id]);
}

#[test]
fn delete_cascades_and_leaves_no_orphans_or_files() {
    let f = fixture();
    let g = &f.graph;
    let keep = memory(g, "Kept", None, 1);
    let gone = memory(g, "Gone", None, 2);
    let s_keep = segment(g, keep.id, "Tom fixed the tractor.");
    let s_gone = segment(g, gone.id, "Tom and Alma went dancing at the Palais.");
    let tom = person(g, "Tom");
    let alma = person(g, "Alma");
    let confirmed = g
        .create_entity(&NewEntity {
            kind: EntityKind::Place,
            display_name: "Palais".into(),
            aliases: vec![],
            attributes: EntityAttributes::default(),
            status: FactStatus::Confirmed,
        })
        .expect("place");
    g.link_mention(tom.id, span_of(&s_keep, "Tom"), 0.9, FactStatus::Inferred).expect("m");
    g.link_mention(tom.id, span_of(&s_gone, "Tom"), 0.9, FactStatus::Inferred).expect("m");
    g.link_mention(alma.id, span_of(&s_gone, "Alma"), 0.9, FactStatus::Inferred).expect("m");
    g.link_mention(confirmed.id, span_of(&s_gone, "Palais"), 0.9, FactStatus::Inferred).expect("m");
    g.add_relation(&NewRelation {
        subject_id: tom.id,
        object_id: alma.id,
        kind: "danced with".into(),
        provenance: Some(span_of(&s_gone, "Tom and Alma")),
        confidence: 0.5,
        status: FactStatus::Inferred,
    })
    .expect("rel");
    std::fs::create_dir_all(g.data_dir().join("audio")).expect("dir");
    std::fs::write(g.data_dir().join("audio/gone.wav"), b"RIFF").expect("audio");
    std::fs::create_dir_all(g.data_dir().join("media")).expect("dir");
    std::fs::write(g.data_dir().join("media/photo.jpg"), b"JPEG").expect("photo");
    g.add_recording(gone.id, "audio/gone.wav", 1000, 16_000).expect("recording");
    let photo = NewMedia {
        kind: MediaKind::Photo,
        path: "media/photo.jpg".into(),
        content_hash: "ab".repeat(32),
        taken_at_ms: None,
        place_entity_id: Some(confirmed.id),
        status: FactStatus::Inferred,
    };
    g.attach_media(gone.id, &photo).expect("media");

    let outcome = g.delete_memory(gone.id).expect("delete");
    assert_eq!(
        outcome.removed_entities, 1,
        "Alma had no other mention; Tom has; Palais is confirmed"
    );
    assert_eq!(outcome.removed_files, ["audio/gone.wav", "media/photo.jpg"]);
    assert!(!g.data_dir().join("audio/gone.wav").exists());
    assert!(!g.data_dir().join("media/photo.jpg").exists());
    assert!(matches!(g.entity(alma.id), Err(GraphError::NotFound { .. })));
    assert!(g.entity(tom.id).is_ok());
    assert!(g.entity(confirmed.id).is_ok());
    let cov = g.coverage().expect("coverage");
    assert_eq!((cov.memories, cov.segments, cov.mentions, cov.relations), (1, 1, 1, 0));
    g.database()
        .read(|tx| {
            let n: i64 = tx.query_row(
                "SELECT (SELECT count(*) FROM media) + (SELECT count(*) FROM recording) \
                 + (SELECT count(*) FROM memory_media) + (SELECT count(*) FROM segment_fts)",
                [],
                |r| r.get(0),
            )?;
            assert_eq!(n, 1, "only the kept segment's index row remains");
            Ok::<_, GraphError>(())
        })
        .expect("orphans");
    assert!(matches!(g.delete_memory(gone.id), Err(GraphError::NotFound { .. })));
}

#[test]
fn merge_accept_then_undo_restores_both_people() {
    let f = fixture();
    let g = &f.graph;
    let m = memory(g, "Kitchen", None, 1);
    let s = segment(g, m.id, "My grandmother sang while Rosa rolled the pasta with Tom.");
    let grandmother = g
        .create_entity(&NewEntity {
            kind: EntityKind::Person,
            display_name: "my grandmother".into(),
            aliases: vec![],
            attributes: EntityAttributes {
                relation_to_owner: Some("grandmother".into()),
                ..Default::default()
            },
            status: FactStatus::Inferred,
        })
        .expect("grandmother");
    let rosa = g
        .create_entity(&NewEntity {
            kind: EntityKind::Person,
            display_name: "Rosa".into(),
            aliases: vec!["Nonna Rosa".into()],
            attributes: EntityAttributes { birth_year: Some(1921), ..Default::default() },
            status: FactStatus::Inferred,
        })
        .expect("rosa");
    let tom = person(g, "Tom");
    g.link_mention(grandmother.id, span_of(&s, "My grandmother"), 0.7, FactStatus::Inferred)
        .expect("m");
    g.link_mention(rosa.id, span_of(&s, "Rosa"), 0.9, FactStatus::Inferred).expect("m");
    g.add_relation(&NewRelation {
        subject_id: tom.id,
        object_id: grandmother.id,
        kind: "grandson of".into(),
        provenance: None,
        confidence: 1.0,
        status: FactStatus::Confirmed,
    })
    .expect("rel");

    let proposal = g.propose_merge(rosa.id, grandmother.id, 0.8).expect("propose");
    assert_eq!(proposal.state, MergeState::Proposed);
    assert_eq!(
        g.propose_merge(rosa.id, grandmother.id, 0.8).expect("again").id,
        proposal.id,
        "no duplicate"
    );
    let accepted = g.accept_merge(proposal.id).expect("accept");
    assert_eq!(accepted.state, MergeState::Accepted);
    let merged = g.person_view(rosa.id).expect("view");
    assert_eq!(merged.mentions.len(), 2);
    assert_eq!(merged.relations.len(), 1);
    assert_eq!(merged.entity.attributes.relation_to_owner.as_deref(), Some("grandmother"));
    assert_eq!(merged.entity.attributes.birth_year, Some(1921));
    assert!(merged.entity.aliases.contains(&"my grandmother".to_string()));
    assert_eq!(g.entity(grandmother.id).expect("follows merge").id, rosa.id);
    assert_eq!(
        g.list_entities(&EntityQuery { kind: Some(EntityKind::Person), name: None })
            .expect("list")
            .len(),
        2
    );
    assert!(matches!(g.accept_merge(proposal.id), Err(GraphError::Conflict { .. })));

    let undone = g.undo_merge(proposal.id).expect("undo");
    assert_eq!(undone.state, MergeState::Undone);
    let rosa_after = g.person_view(rosa.id).expect("rosa");
    let gm_after = g.person_view(grandmother.id).expect("grandmother");
    assert_eq!(rosa_after.entity.id, rosa.id);
    assert_eq!(gm_after.entity.id, grandmother.id);
    assert_eq!(rosa_after.mentions.iter().map(|m| m.quote.as_str()).collect::<Vec<_>>(), ["Rosa"]);
    assert_eq!(
        gm_after.mentions.iter().map(|m| m.quote.as_str()).collect::<Vec<_>>(),
        ["My grandmother"]
    );
    assert_eq!(gm_after.relations.len(), 1);
    assert!(rosa_after.relations.is_empty());
    assert_eq!(rosa_after.entity.attributes.relation_to_owner, None);
    assert_eq!(rosa_after.entity.aliases, ["Nonna Rosa"]);
    assert!(matches!(g.undo_merge(proposal.id), Err(GraphError::Conflict { .. })));

    let other = g.propose_merge(rosa.id, tom.id, 0.1).expect("propose");
    assert_eq!(g.reject_merge(other.id).expect("reject").state, MergeState::Rejected);
    let place = g
        .create_entity(&NewEntity {
            kind: EntityKind::Place,
            display_name: "Rosa".into(),
            aliases: vec![],
            attributes: EntityAttributes::default(),
            status: FactStatus::Inferred,
        })
        .expect("place");
    assert!(matches!(
        g.propose_merge(rosa.id, place.id, 0.5),
        Err(GraphError::InvalidInput { .. })
    ));
}

#[test]
fn timeline_orders_by_when_then_told_and_keeps_undated_apart() {
    let f = fixture();
    let g = &f.graph;
    let sixties = memory(g, "sixties", Some(AboutWhen::Decade { start: 1960 }), 10);
    let y1962 = memory(g, "1962", Some(AboutWhen::Year { year: 1962 }), 5);
    let day = memory(g, "day", Some(AboutWhen::Day { year: 1962, month: 3, day: 1 }), 1);
    let war = memory(g, "war", Some(AboutWhen::YearRange { from: 1939, to: 1945 }), 7);
    let child = memory(g, "child", Some(AboutWhen::LifeStage { stage: LifeStage::Childhood }), 3);
    let undated = memory(g, "undated", None, 2);
    let typed = g
        .add_text_memory("typed", "a typed memory", Some(AboutWhen::Year { year: 1950 }))
        .expect("typed");
    let t = g.timeline(Page::default()).expect("timeline");
    let ids: Vec<_> = t.dated.iter().map(|m| m.id).collect();
    assert_eq!(ids, [war.id, typed.memory.id, sixties.id, y1962.id, day.id, child.id]);
    assert_eq!(t.undated.iter().map(|m| m.id).collect::<Vec<_>>(), [undated.id]);
    assert_eq!((t.dated_total, t.undated_total), (6, 1));
    let page = g.timeline(Page { offset: 2, limit: 2 }).expect("page");
    assert_eq!(page.dated.iter().map(|m| m.id).collect::<Vec<_>>(), [sixties.id, y1962.id]);
    let cov = g.coverage().expect("coverage");
    assert_eq!(
        cov.memories_by_decade,
        [
            DecadeCount { decade: 1930, count: 1 },
            DecadeCount { decade: 1950, count: 1 },
            DecadeCount { decade: 1960, count: 3 }
        ]
    );
}

#[test]
fn search_ranks_highlights_and_handles_unicode() {
    let f = fixture();
    let g = &f.graph;
    let m = memory(g, "Travels", None, 1);
    let zurich = segment(g, m.id, "We took the night train to Zürich with José and Zoë.");
    segment(g, m.id, "The train was late; the train was always late.");
    let beijing = segment(g, m.id, "我在北京长大，后来去了上海。");
    let flower = segment(g, m.id, "Mum's garden had 🌻 taller than the fence.");
    let hit = |q: &str| g.search(q, 10).expect("search");
    // Diacritics fold both ways.
    assert_eq!(hit("zurich")[0].segment_id, zurich.id);
    assert_eq!(hit("JOSE zoe")[0].segment_id, zurich.id);
    // BM25: the segment saying "train" twice ranks first.
    let trains = hit("train");
    assert_eq!(trains.len(), 2);
    assert_ne!(trains[0].segment_id, zurich.id);
    assert!(trains[0].score > trains[1].score);
    // Highlights point at the matched words in the snippet.
    let h = &hit("zürich")[0];
    let TextRange { start: s, end: e } = h.highlights[0];
    assert_eq!(
        h.snippet.chars().skip(s as usize).take((e - s) as usize).collect::<String>(),
        "Zürich"
    );
    // CJK inside a run, and emoji.
    let cjk = hit("北京");
    assert_eq!(cjk.len(), 1);
    assert_eq!(cjk[0].segment_id, beijing.id);
    let TextRange { start: s, end: e } = cjk[0].highlights[0];
    assert_eq!(
        cjk[0].snippet.chars().skip(s as usize).take((e - s) as usize).collect::<String>(),
        "北京"
    );
    assert_eq!(hit("🌻")[0].segment_id, flower.id);
    // Hostile or empty queries are just words.
    for q in ["\"", "AND OR NOT", "NEAR(", "*", "", "   ", "col:x", "^"] {
        g.search(q, 10).expect("never a syntax error");
    }
    assert!(hit("nothing-like-this").is_empty());
    // Words spread over segments: no segment has both, so any-word matches are ranked instead.
    let spread = hit("zurich late");
    let mut ids: Vec<_> = spread.iter().map(|h| h.segment_id).collect();
    ids.sort_unstable();
    assert_eq!(ids, [zurich.id, zurich.id + 1]);
    // Edits are searchable; machine text no longer is.
    g.edit_segment(zurich.id, Some("We took the night train to Geneva with José and Zoë."))
        .expect("edit");
    assert!(hit("zurich").is_empty());
    assert_eq!(hit("geneva")[0].segment_id, zurich.id);
}

#[test]
fn user_edits_keep_machine_text_and_move_facts() {
    let f = fixture();
    let g = &f.graph;
    let m = memory(g, "Names", None, 1);
    let s = segment(g, m.id, "then aunt carmen baked bread with joe");
    let carmen = person(g, "Carmen");
    let joe = person(g, "Joe");
    let mc =
        g.link_mention(carmen.id, span_of(&s, "carmen"), 0.6, FactStatus::Inferred).expect("m");
    g.link_mention(joe.id, span_of(&s, "joe"), 0.6, FactStatus::Inferred).expect("m");
    let edited = g.edit_segment(s.id, Some("Then Aunt carmen baked bread with Jo.")).expect("edit");
    assert_eq!(edited.machine_text, "then aunt carmen baked bread with joe");
    assert_eq!(edited.text(), "Then Aunt carmen baked bread with Jo.");
    let view = g.person_view(carmen.id).expect("carmen");
    assert_eq!(view.mentions[0].id, mc.id);
    assert_eq!(view.mentions[0].quote, "carmen");
    assert!(g.person_view(joe.id).expect("joe").mentions.is_empty(), "its words are gone");
    let reverted = g.edit_segment(s.id, None).expect("clear edit");
    assert_eq!(reverted.user_text, None);
}

#[test]
fn names_in_many_scripts_survive_round_trips() {
    let f = fixture();
    let g = &f.graph;
    for name in
        ["Zoë Ångström", "Nguyễn Thị Hoa", "李小龍", "Ольга", "ფატიმა", "Tūtū 🌺 Lani", "محمد"]
    {
        let e = person(g, name);
        assert_eq!(g.entity(e.id).expect("entity").display_name, name);
        let found =
            g.list_entities(&EntityQuery { kind: None, name: Some(name.into()) }).expect("find");
        assert!(found.iter().any(|x| x.id == e.id), "{name} findable by name");
    }
    // Wildcards in a name filter are literal.
    let all = g.list_entities(&EntityQuery::default()).expect("all").len();
    assert!(all > 1);
    for wild in ["%", "_", "\\"] {
        let found =
            g.list_entities(&EntityQuery { kind: None, name: Some(wild.into()) }).expect("find");
        assert!(found.is_empty(), "{wild} matched {} entities", found.len());
    }
}

#[test]
fn file_is_unreadable_without_key_and_holds_no_plaintext() {
    let f = fixture();
    let secret_title = "Tilda's secret recipe";
    let secret_text = "the cardamom-rosewater-kladdkaka of Gränna";
    let secret_name = "Sigrún Þórsdóttir";
    {
        let g = &f.graph;
        let m = memory(g, secret_title, None, 1);
        segment(g, m.id, secret_text);
        person(g, secret_name);
    }
    let data = f.dir.path().join("data");
    let db_path = data.join(crate::store::DATABASE_FILE);
    // Before checkpointing, the WAL holds the new pages: it must be ciphertext too.
    let mut bytes = Vec::new();
    for entry in std::fs::read_dir(&data).expect("read dir") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            bytes.extend(std::fs::read(&path).expect("read"));
        }
    }
    assert!(bytes.len() > 4096, "database files exist");
    for needle in
        [secret_title, secret_text, secret_name, "cardamom", "SQLite format 3", "CREATE TABLE"]
    {
        let n = needle.as_bytes();
        assert!(!bytes.windows(n.len()).any(|w| w == n), "plaintext found in database files");
    }
    let output = std::process::Command::new("sqlite3")
        .arg(&db_path)
        .arg("SELECT count(*) FROM sqlite_master;")
        .output()
        .expect("the sqlite3 CLI is installed by scripts/setup");
    assert!(!output.status.success(), "sqlite3 read the encrypted database");
    let err = String::from_utf8_lossy(&output.stderr);
    assert!(err.contains("not a database") || err.contains("encrypted"), "{err}");
}

#[test]
fn eight_threads_share_one_graph() {
    let f = fixture();
    let g = std::sync::Arc::new(f.graph);
    let handles: Vec<_> = (0..8)
        .map(|t| {
            let g = g.clone();
            std::thread::spawn(move || {
                for i in 0..20 {
                    let m = memory(&g, &format!("thread {t} memory {i}"), None, i);
                    segment(&g, m.id, &format!("story number {i} from thread {t}"));
                    g.search("story", 5).expect("search");
                }
            })
        })
        .collect();
    for h in handles {
        h.join().expect("join");
    }
    assert_eq!(g.coverage().expect("coverage").memories, 160);
    assert_eq!(g.search("story", 1000).expect("search").len(), 160);
}

#[test]
fn very_common_words_are_ranked_among_the_newest_matches() {
    let f = fixture();
    let g = &f.graph;
    let m = memory(g, "Many", None, 1);
    // 400 segments say "mum" once; an old one and a new one say it three times.
    let news: Vec<NewSegment> = (0..400)
        .map(|i| {
            let text = if i == 10 || i == 390 {
                format!("mum mum mum {i}")
            } else {
                format!("mum said line {i}")
            };
            NewSegment { start_ms: i, end_ms: i, text, confidence: 1.0 }
        })
        .collect();
    let segs = g.add_segments(m.id, None, &news).expect("segments");
    let hits = g.search("mum", 5).expect("search");
    assert_eq!(hits.len(), 5);
    assert_eq!(hits[0].segment_id, segs[390].id, "best match among the newest");
    assert!(hits.iter().all(|h| h.segment_id != segs[10].id), "too old to be ranked");
    assert_eq!(hits[0].highlights.len(), 3);
    assert!(hits.iter().all(|h| h.score > 0.0));
    let rare = g.search("205", 5).expect("search");
    assert_eq!(rare.len(), 1);
    assert_eq!(rare[0].segment_id, segs[205].id);
}

#[test]
fn timeline_and_person_queries_use_their_indexes() {
    let f = fixture();
    f.graph
        .database()
        .read(|tx| {
            let plan = |sql: &str| -> String {
                let mut stmt = tx.prepare(&format!("EXPLAIN QUERY PLAN {sql}")).expect("plan");
                let rows = stmt.query_map([], |r| r.get::<_, String>(3)).expect("rows");
                rows.map(|r| r.expect("row")).collect::<Vec<_>>().join(" | ")
            };
            let timeline = plan(
                "SELECT id FROM memory WHERE about_sort IS NOT NULL \
                 ORDER BY about_sort, about_to, told_at_ms, id LIMIT 100 OFFSET 10",
            );
            assert!(timeline.contains("memory_timeline"), "{timeline}");
            assert!(!timeline.contains("TEMP B-TREE"), "{timeline}");
            let person =
                plan("SELECT segment_id, char_start, char_end FROM mention WHERE entity_id = 1");
            assert!(person.contains("COVERING INDEX mention_entity"), "{person}");
            Ok::<_, GraphError>(())
        })
        .expect("plans");
}

#[test]
fn file_references_cannot_name_the_database_or_leave_the_data_directory() {
    let f = fixture();
    let g = &f.graph;
    let m = memory(g, "Files", None, 1);
    for bad in [
        "heirloom.db",
        "heirloom.db-wal",
        "audio",
        "audio/../heirloom.db",
        "/etc/passwd",
        "media/x.wav",
        "../keys",
    ] {
        assert!(
            matches!(g.add_recording(m.id, bad, 1, 16_000), Err(GraphError::InvalidInput { .. })),
            "{bad}"
        );
    }
    // A symbolic link inside the data directory is never followed when deleting.
    let outside = f.dir.path().join("outside");
    std::fs::create_dir_all(&outside).expect("dir");
    std::fs::write(outside.join("keep.wav"), b"RIFF").expect("file");
    #[cfg(unix)]
    {
        std::os::unix::fs::symlink(&outside, g.data_dir().join("audio")).expect("symlink");
        g.add_recording(m.id, "audio/keep.wav", 1, 16_000).expect("reference");
        let outcome = g.delete_memory(m.id).expect("delete");
        assert_eq!(outcome.files_left, ["audio/keep.wav"]);
        assert!(outside.join("keep.wav").exists());
    }
}

#[test]
fn deleting_a_memory_keeps_entities_still_in_use() {
    let f = fixture();
    let g = &f.graph;
    let m = memory(g, "Only", None, 1);
    let s = segment(g, m.id, "Bram and Lies and Joop");
    let bram = person(g, "Bram");
    let lies = person(g, "Lies");
    let joop = person(g, "Joop");
    let confirmed = g
        .create_entity(&NewEntity {
            kind: EntityKind::Person,
            display_name: "Abraham".into(),
            aliases: vec![],
            attributes: EntityAttributes::default(),
            status: FactStatus::Confirmed,
        })
        .expect("entity");
    for (e, w) in [(bram.id, "Bram"), (lies.id, "Lies"), (joop.id, "Joop")] {
        g.link_mention(e, span_of(&s, w), 0.9, FactStatus::Inferred).expect("mention");
    }
    // Lies keeps an owner-stated relation; a confirmed person was merged into Bram.
    g.add_relation(&NewRelation {
        subject_id: lies.id,
        object_id: confirmed.id,
        kind: "sister of".into(),
        provenance: None,
        confidence: 1.0,
        status: FactStatus::Confirmed,
    })
    .expect("relation");
    let p = g.propose_merge(bram.id, confirmed.id, 1.0).expect("propose");
    g.accept_merge(p.id).expect("accept");
    let outcome = g.delete_memory(m.id).expect("delete");
    assert_eq!(outcome.removed_entities, 1, "only Joop is unused");
    assert!(g.entity(bram.id).is_ok());
    assert!(g.entity(lies.id).is_ok());
    assert!(matches!(g.entity(joop.id), Err(GraphError::NotFound { .. })));
    let undone = g.undo_merge(p.id).expect("undo still possible");
    assert_eq!(undone.merge.display_name, "Abraham");
}

#[test]
fn merges_into_one_entity_undo_latest_first_and_linking_is_all_or_nothing() {
    let f = fixture();
    let g = &f.graph;
    let m = memory(g, "Names", None, 1);
    segment(g, m.id, "Opa and Grandpa Henk and Hendrik");
    let henk = person(g, "Henk");
    let opa = person(g, "Opa");
    let hendrik = person(g, "Hendrik");
    let first = g.propose_merge(henk.id, opa.id, 1.0).expect("p1");
    let second = g.propose_merge(henk.id, hendrik.id, 1.0).expect("p2");
    g.accept_merge(first.id).expect("a1");
    g.accept_merge(second.id).expect("a2");
    assert!(matches!(g.undo_merge(first.id), Err(GraphError::Conflict { .. })));
    g.undo_merge(second.id).expect("u2");
    g.undo_merge(first.id).expect("u1");
    assert_eq!(g.entity(opa.id).expect("opa").id, opa.id);

    let before = g.coverage().expect("coverage");
    let new = NewEntity {
        kind: EntityKind::Person,
        display_name: "Grandpa Henk".into(),
        aliases: vec![],
        attributes: EntityAttributes::default(),
        status: FactStatus::Confirmed,
    };
    assert!(matches!(
        g.create_entity_linked(&new, &[m.id, 9_999]),
        Err(GraphError::NotFound { .. })
    ));
    assert_eq!(g.coverage().expect("coverage"), before, "nothing half-written");
    let (e, linked) = g.create_entity_linked(&new, &[m.id]).expect("linked");
    assert_eq!(linked.len(), 1);
    assert_eq!(linked[0].quote, "Grandpa Henk");
    assert_eq!(linked[0].entity_id, e.id);
}

#[test]
fn voice_memories_from_recordings_imports_and_recovery() {
    let f = fixture();
    let g = &f.graph;
    // Record, save: a voice memory with its encrypted recording.
    let mut w = g.start_recording(16_000, 1).expect("start");
    let speech: Vec<i16> = (0..40_000).map(|i| ((i * 13) % 3000) as i16 - 1500).collect();
    w.push_i16(&speech).expect("push");
    let mut w = Some(w);
    assert!(matches!(g.save_recording(&mut w, "   "), Err(GraphError::InvalidInput { .. })));
    assert!(w.is_some(), "a rejected title keeps the recording open");
    let (memory, recording) = g.save_recording(&mut w, "Grandad's boat").expect("save");
    assert_eq!(memory.source, MemorySource::Voice);
    assert_eq!((recording.duration_ms, recording.sample_rate), (2_500, 16_000));
    assert!(recording.audio_path.starts_with("audio/") && recording.audio_path.ends_with(".hla"));
    assert_eq!(g.recording_audio(&recording, 60).expect("audio").samples, speech);
    // Import a WAV.
    let wav = f.dir.path().join("clip.wav");
    let spec = hound::WavSpec {
        channels: 2,
        sample_rate: 44_100,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut ww = hound::WavWriter::create(&wav, spec).expect("wav");
    for i in 0..44_100 * 2 {
        ww.write_sample((i % 500) as i16).expect("sample");
    }
    ww.finalize().expect("finalize");
    let (imported, rec) = g.import_audio(&wav, "Imported").expect("import");
    assert_eq!((rec.duration_ms, rec.sample_rate), (1_000, 44_100));
    assert_eq!(g.memory_detail(imported.id).expect("detail").recordings, vec![rec.clone()]);
    // A crash mid-recording: recovered into a memory at the next start.
    let mut crashed = g.start_recording(16_000, 1).expect("start");
    crashed.push_i16(&speech).expect("push");
    crashed.simulate_crash();
    let (recovered, failed) = g.recover_recordings().expect("recover");
    assert_eq!((recovered.len(), failed), (1, 0));
    assert_eq!(recovered[0].0.title, RECOVERED_TITLE);
    assert_eq!(recovered[0].1.duration_ms, 2_000);
    assert!(g.recover_recordings().expect("again").0.is_empty());
    // A finished recording whose memory was never stored (a crash in between) is picked up.
    let mut orphan = g.start_recording(8_000, 1).expect("start");
    orphan.push_i16(&speech[..12_000]).expect("push");
    orphan.finish().expect("finish");
    let (found, _) = g.recover_recordings().expect("orphans");
    assert_eq!(found.len(), 1);
    assert_eq!(found[0].1.duration_ms, 1_500);
    // Deleting the memory deletes its audio.
    let file = g.data_file(&recording.audio_path).expect("path");
    assert!(file.exists());
    g.delete_memory(memory.id).expect("delete");
    assert!(!file.exists());
    // Bad input is typed.
    std::fs::write(&wav, b"not audio").expect("write");
    assert!(matches!(g.import_audio(&wav, "x"), Err(GraphError::Capture(_))));
    assert!(matches!(g.start_recording(192_000, 1), Err(GraphError::Capture(_))));
}

fn new_segment(start_ms: i64, end_ms: i64, text: &str) -> NewSegment {
    NewSegment { start_ms, end_ms, text: text.into(), confidence: 0.8 }
}

#[test]
fn retranscription_replaces_machine_text_and_keeps_corrections() {
    let f = fixture();
    let g = &f.graph;
    let m = memory(g, "Napoli", None, 1);
    let typed = segment(g, m.id, "A note typed before the recording.");
    let rec = g.add_recording(m.id, "audio/0123.hla", 6_000, 16_000).expect("recording");
    let first = g
        .store_transcript(
            rec.id,
            "tiny.en",
            "en",
            &[
                new_segment(0, 2_000, "I grew up in Napoli with Rosa"),
                new_segment(2_000, 4_000, "my brother Tomas stole the crusts"),
                new_segment(4_000, 6_000, "we were happy"),
            ],
        )
        .expect("first transcript");
    assert_eq!(first.len(), 4);
    assert_eq!(first[0].id, typed.id, "typed text keeps its place");
    let (a, b) = (&first[1], &first[2]);
    let rosa = person(g, "Rosa");
    let tomas = person(g, "Tomás");
    let mention = |seg: &Segment, e: &Entity, words: &str| NewMention {
        entity_id: e.id,
        span: span_of(seg, words),
        confidence: 0.7,
        status: FactStatus::Inferred,
    };
    g.link_mentions(&[mention(a, &rosa, "Rosa")]).expect("link");
    let b = g.edit_segment(b.id, Some("my brother Tomás stole the crusts")).expect("edit");
    g.link_mentions(&[mention(&b, &tomas, "Tomás")]).expect("link");
    assert_eq!(g.recordings_to_transcribe("base", 10).expect("queue").len(), 1);

    let second = g
        .store_transcript(
            rec.id,
            "base",
            "en",
            &[
                new_segment(0, 2_100, "I grew up in Naples with Rosa."),
                new_segment(2_100, 3_900, "My brother Thomas stole the crust."),
                new_segment(3_900, 6_000, "We were very happy."),
            ],
        )
        .expect("second transcript");
    let texts: Vec<&str> = second.iter().map(Segment::text).collect();
    assert_eq!(
        texts,
        [
            "A note typed before the recording.",
            "I grew up in Naples with Rosa.",
            "my brother Tomás stole the crusts",
            "We were very happy."
        ]
    );
    assert_eq!(second.iter().map(|s| s.ordinal).collect::<Vec<_>>(), [0, 1, 2, 3]);
    assert_eq!(second[2].id, b.id, "the corrected segment is kept as it was");
    assert_eq!(second[2].machine_text, "my brother Tomas stole the crusts");

    let rosa_view = g.person_view(rosa.id).expect("view");
    let m_rosa = &rosa_view.mentions[0];
    assert_eq!(m_rosa.span.segment_id, second[1].id, "the mention followed its word");
    let moved = char_slice_of(second[1].text(), m_rosa.span.char_start, m_rosa.span.char_end);
    assert_eq!(moved, "Rosa");
    assert_eq!(g.person_view(tomas.id).expect("view").mentions.len(), 1);

    let rec = g.recording(rec.id).expect("recording");
    assert_eq!(rec.transcript_model.as_deref(), Some("base"));
    assert_eq!(rec.transcript_language.as_deref(), Some("en"));
    assert!(g.recordings_to_transcribe("base", 10).expect("queue").is_empty());
    assert!(g.search("napoli", 10).expect("search").is_empty(), "old machine text is gone");
    assert_eq!(g.search("naples", 10).expect("search").len(), 1);
}

fn char_slice_of(text: &str, start: u32, end: u32) -> String {
    text.chars().skip(start as usize).take((end - start) as usize).collect()
}

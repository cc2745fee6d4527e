//! Extraction stored in the graph: spans, people resolved across memories, merges, proposals,
//! rejection, the profile's birth year.

use super::*;
use crate::graph::{MergeState, OwnerProfile};

struct Fixture {
    _dir: tempfile::TempDir,
    graph: MemoryGraph,
}

fn fixture() -> Fixture {
    let (_dir, graph) = crate::graph::test_graph_with_extractor();
    Fixture { _dir, graph }
}

fn tell(g: &MemoryGraph, text: &str) -> MemoryId {
    g.add_text_memory("a memory", text, None).expect("memory").memory.id
}

fn people(g: &MemoryGraph) -> Vec<Entity> {
    g.list_entities(&super::super::EntityQuery { kind: Some(EntityKind::Person), name: None })
        .expect("people")
}

#[test]
fn facts_keep_their_words_and_date_the_memory() {
    let f = fixture();
    let id = tell(&f.graph, "My late husband Tom and I married in Naples in 1962. I was so happy.");
    let facts = f.graph.memory_facts(id).expect("facts");
    let tom = facts.iter().find(|v| v.entity.kind == EntityKind::Person).expect("Tom");
    assert_eq!(tom.entity.display_name, "Tom");
    assert_eq!(tom.entity.attributes.relation_to_owner.as_deref(), Some("husband"));
    assert!(tom.entity.attributes.deceased);
    assert_eq!(tom.quote, "My late husband Tom");
    assert!(matches!(tom.detail, Some(Fact::Person { deceased: true, .. })));
    for kind in [EntityKind::Place, EntityKind::Period, EntityKind::Event, EntityKind::Emotion] {
        assert!(facts.iter().any(|v| v.entity.kind == kind), "{kind:?} missing");
    }
    let period = facts.iter().find(|v| v.entity.kind == EntityKind::Period).expect("period");
    assert_eq!((period.year_from, period.year_to), (Some(1962), Some(1962)));
    let memory = f.graph.memory(id).expect("memory");
    assert_eq!(memory.about_when, Some(AboutWhen::Year { year: 1962 }));
    assert_eq!(memory.about_status, FactStatus::Inferred);
}

#[test]
fn people_resolve_across_memories() {
    let f = fixture();
    let a = tell(&f.graph, "Grandma Rosa made gnocchi every Sunday.");
    let b = tell(&f.graph, "Rosa never measured anything.");
    let c = tell(&f.graph, "My grandmother sang while she cooked.");
    let all = people(&f.graph);
    assert_eq!(all.len(), 1, "{all:?}");
    let rosa = &all[0];
    assert_eq!(rosa.attributes.relation_to_owner.as_deref(), Some("grandmother"));
    let view = f.graph.person_view(rosa.id).expect("view");
    let memories: std::collections::BTreeSet<MemoryId> =
        view.mentions.iter().map(|m| m.memory_id).collect();
    assert_eq!(memories, [a, b, c].into_iter().collect());
    // Another Rosa, a sister: a different person.
    tell(&f.graph, "My sister Rosa lived in Ohio.");
    assert_eq!(people(&f.graph).len(), 2);
}

#[test]
fn a_named_mother_absorbs_the_nameless_one_undoably() {
    let f = fixture();
    tell(&f.graph, "My mother worked at the mill.");
    let report = {
        let id = tell(&f.graph, "My mother Maria sang in the choir.");
        f.graph.memory_facts(id).expect("facts");
        f.graph.merge_proposals(Some(MergeState::Accepted)).expect("proposals")
    };
    assert_eq!(report.len(), 1);
    let all = people(&f.graph);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].display_name, "Maria");
    f.graph.undo_merge(report[0].id).expect("undo");
    assert_eq!(people(&f.graph).len(), 2);
}

#[test]
fn a_named_grandmother_and_a_nameless_one_are_a_proposal() {
    let f = fixture();
    tell(&f.graph, "My grandmother kept chickens.");
    tell(&f.graph, "Grandma Rosa kept bees.");
    let open = f.graph.merge_proposals(Some(MergeState::Proposed)).expect("proposals");
    assert_eq!(open.len(), 1, "two grandmothers are possible: the owner decides");
    assert_eq!(open[0].keep.display_name, "Rosa");
    assert_eq!(people(&f.graph).len(), 2);
}

#[test]
fn rejected_facts_stay_away_and_confirmed_ones_stay() {
    let f = fixture();
    let id = tell(&f.graph, "We went to Lagos in 1970 and I was proud.");
    let facts = f.graph.memory_facts(id).expect("facts");
    let lagos = facts.iter().find(|v| v.entity.kind == EntityKind::Place).expect("place");
    let pride = facts.iter().find(|v| v.entity.kind == EntityKind::Emotion).expect("emotion");
    f.graph.reject_fact(lagos.mention_id).expect("reject");
    f.graph.confirm_fact(pride.mention_id).expect("confirm");
    f.graph.extract_memory(id).expect("again");
    let again = f.graph.memory_facts(id).expect("facts");
    assert!(!again.iter().any(|v| v.entity.kind == EntityKind::Place), "rejected place came back");
    let pride = again.iter().find(|v| v.entity.kind == EntityKind::Emotion).expect("emotion kept");
    assert_eq!(pride.status, FactStatus::Confirmed);
    assert_eq!(again.iter().filter(|v| v.entity.kind == EntityKind::Emotion).count(), 1);
    assert!(f
        .graph
        .list_entities(&super::super::EntityQuery { kind: Some(EntityKind::Place), name: None })
        .expect("places")
        .is_empty());
}

#[test]
fn low_confidence_facts_are_proposals() {
    let f = fixture();
    let id = tell(&f.graph, "We lived in Skibbereen for a while.");
    let proposals = f.graph.fact_proposals(10).expect("proposals");
    assert!(
        proposals.iter().any(|p| p.memory_id == id && p.proposal && p.quote == "Skibbereen"),
        "{proposals:?}"
    );
}

#[test]
fn the_birth_year_places_ages_in_years() {
    let f = fixture();
    let id = tell(&f.graph, "When I was twelve we moved to the coast.");
    let age = |g: &MemoryGraph| {
        g.memory_facts(id)
            .expect("facts")
            .into_iter()
            .find(|v| v.entity.kind == EntityKind::Period)
            .expect("period")
    };
    assert_eq!((age(&f.graph).year_from, age(&f.graph).year_to), (None, None));
    f.graph
        .set_profile(&OwnerProfile { birth_year: Some(1941), ..Default::default() })
        .expect("profile");
    assert_eq!((age(&f.graph).year_from, age(&f.graph).year_to), (Some(1953), Some(1954)));
    assert_eq!(
        f.graph.memory(id).expect("memory").about_when,
        Some(AboutWhen::YearRange { from: 1953, to: 1954 })
    );
    assert!(f
        .graph
        .set_profile(&OwnerProfile { birth_year: Some(99_999), ..Default::default() })
        .is_err());
}

#[test]
fn corrections_are_read_again() {
    let f = fixture();
    let id = tell(&f.graph, "My brother fixed the roof.");
    let segment = f.graph.segments(id).expect("segments").remove(0);
    f.graph.edit_segment(segment.id, Some("My brother Kwame fixed the roof.")).expect("edit");
    let all = people(&f.graph);
    assert_eq!(all.len(), 1);
    assert_eq!(all[0].display_name, "Kwame");
    assert!(f.graph.memories_to_extract().expect("stale").is_empty());
}

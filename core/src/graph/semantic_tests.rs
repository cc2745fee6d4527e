//! Related memories and hybrid search with the real MiniLM model, and the fallback without it.

use super::*;

fn graph(with_model: bool) -> (tempfile::TempDir, MemoryGraph) {
    let (dir, graph) = crate::graph::test_graph_with_extractor();
    if with_model {
        graph.attach_embedder(crate::embed::tests::embedder());
    }
    (dir, graph)
}

fn tell(g: &MemoryGraph, title: &str, text: &str) -> MemoryId {
    g.add_text_memory(title, text, None).expect("memory").memory.id
}

#[test]
fn search_finds_meaning_without_shared_words_and_related_follows_the_topic() {
    let (_dir, g) = graph(true);
    assert!(g.search_capabilities().semantic);
    let bread = tell(&g, "Sundays", "Grandma made loaves in the big oven every Sunday morning.");
    let boat =
        tell(&g, "The boat", "My father took us out on his fishing boat past the lighthouse.");
    let cake = tell(
        &g,
        "Birthdays",
        "For every birthday my aunt baked a chocolate cake with too much icing.",
    );
    let sea = tell(
        &g,
        "Storm",
        "The waves were huge that night and the fishermen stayed in the harbour.",
    );
    // "baking" appears in no story: only meaning finds the bread.
    assert!(g.search("baking", 10).expect("fts").is_empty());
    let hits = g.hybrid_search("baking", 10).expect("hybrid");
    assert!(!hits.is_empty());
    let top_two: Vec<MemoryId> = hits.iter().take(2).map(|h| h.memory_id).collect();
    assert!(top_two.contains(&bread) && top_two.contains(&cake), "{hits:?}");
    // A word match and a meaning match both count.
    let hits = g.hybrid_search("lighthouse", 10).expect("hybrid");
    assert_eq!(hits[0].memory_id, boat);
    let related = g.related(boat, 3).expect("related");
    assert_eq!(related[0].memory_id, sea, "{related:?}");
    assert!(related[0].score > related[2].score);
}

#[test]
fn corrections_are_embedded_again() {
    let (_dir, g) = graph(true);
    let id = tell(&g, "Work", "I worked at the docks.");
    let segment = g.segments(id).expect("segments").remove(0);
    assert!(g.hybrid_search("violin concert", 5).expect("hybrid").iter().all(|h| h.score < 0.1));
    g.edit_segment(segment.id, Some("I played the violin in the town orchestra.")).expect("edit");
    let hits = g.hybrid_search("violin concert", 5).expect("hybrid");
    assert_eq!(hits[0].memory_id, id);
    assert_eq!(g.embed_all().expect("nothing left"), 0);
}

#[test]
fn without_the_model_search_and_related_fall_back() {
    let (_dir, g) = graph(false);
    assert!(!g.search_capabilities().semantic);
    let a = tell(&g, "Naples", "Grandma Rosa cooked in Naples.");
    let b = tell(&g, "Sauce", "Rosa taught me the sauce.");
    tell(&g, "Ohio", "We moved to Ohio in 1970.");
    let hits = g.hybrid_search("sauce", 5).expect("search");
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].memory_id, b);
    let related = g.related(a, 5).expect("related");
    assert_eq!(related.len(), 1, "{related:?}");
    assert_eq!(related[0].memory_id, b);
}

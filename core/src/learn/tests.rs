//! The round protocol's checks, the update format, FedAvg, and resumable training.

use super::protocol::{model_file, read_update, RoundAnnouncement, EMOTION_TASK};
use super::*;
use crate::seal::{self, Identity, SigningIdentity};

fn config() -> RoundConfig {
    RoundConfig {
        task: EMOTION_TASK.into(),
        labels: vec!["joy".into(), "grief".into(), "pride".into()],
        dim: 4,
        learning_rate: 0.5,
        local_epochs: 3,
        batch_size: 8,
        clip_norm: 1.0,
        noise_multiplier: 1.0,
        noise_shares: 1,
        min_clients: 2,
        server_learning_rate: 1.0,
        server_momentum: 0.0,
    }
}

fn announced(signer: &SigningIdentity, weights: &HeadWeights) -> (serde_json::Value, Vec<u8>) {
    let model = model_file(EMOTION_TASK, 7, weights).expect("model");
    let round = RoundAnnouncement {
        round: 7,
        config: config(),
        model_sha256: protocol::sha256_hex(&model),
        model_bytes: model.len() as u64,
        measurement: "m".into(),
        opened_at: 1,
    };
    (round.sign(signer).expect("sign"), model)
}

#[test]
fn a_tampered_or_unsigned_round_or_model_is_refused() {
    let enclave = SigningIdentity::generate().expect("key");
    let other = SigningIdentity::generate().expect("key");
    let pinned = [enclave.verifying_key()];
    let weights =
        HeadWeights::from_flat(4, 3, &(0..15).map(|i| i as f32 / 10.0).collect::<Vec<_>>())
            .expect("weights");
    let (doc, model) = announced(&enclave, &weights);
    let round = RoundAnnouncement::verify(&doc, &pinned).expect("genuine round");
    assert_eq!(round.open_model(&model).expect("genuine model"), weights);

    // Signed by a key the phone does not pin.
    let (forged, _) = announced(&other, &weights);
    assert!(matches!(
        RoundAnnouncement::verify(&forged, &pinned),
        Err(LearnError::Untrusted { .. })
    ));
    // Unsigned, and a signed one with a setting changed (no noise).
    let mut unsigned = doc.clone();
    unsigned.as_object_mut().expect("object").remove("signature");
    assert!(RoundAnnouncement::verify(&unsigned, &pinned).is_err());
    let mut edited = doc.clone();
    edited["config"]["noise_multiplier"] = serde_json::json!("0");
    assert!(matches!(
        RoundAnnouncement::verify(&edited, &pinned),
        Err(LearnError::Untrusted { .. })
    ));
    // A model with one weight changed, truncated, or of another round.
    let mut flipped = model.clone();
    let last = flipped.len() - 1;
    flipped[last] ^= 0x01;
    assert!(matches!(round.open_model(&flipped), Err(LearnError::Untrusted { .. })));
    assert!(round.open_model(&model[..model.len() - 4]).is_err());
    let other_round = model_file(EMOTION_TASK, 8, &weights).expect("model");
    assert!(round.open_model(&other_round).is_err());
    // Garbage is a typed error, never a panic.
    for junk in [&b""[..], b"\x08\0\0\0\0\0\0\0{}", &[0xff; 64]] {
        assert!(HeadWeights::from_safetensors(junk).is_err());
        assert!(read_update(junk).is_err());
    }
}

#[test]
fn a_signed_round_with_unsafe_settings_is_refused() {
    let enclave = SigningIdentity::generate().expect("key");
    for change in [
        |c: &mut RoundConfig| c.noise_multiplier = 0.0,
        |c: &mut RoundConfig| c.clip_norm = f64::INFINITY,
        |c: &mut RoundConfig| c.min_clients = 1,
        |c: &mut RoundConfig| c.noise_shares = 3,
        |c: &mut RoundConfig| c.noise_shares = 0,
        |c: &mut RoundConfig| c.labels = vec!["joy".into(), "joy".into()],
        |c: &mut RoundConfig| c.learning_rate = -1.0,
        |c: &mut RoundConfig| c.server_learning_rate = 0.0,
        |c: &mut RoundConfig| c.server_learning_rate = f64::NAN,
        |c: &mut RoundConfig| c.server_learning_rate = 101.0,
        |c: &mut RoundConfig| c.server_momentum = 1.0,
        |c: &mut RoundConfig| c.server_momentum = -0.1,
    ] {
        let mut c = config();
        change(&mut c);
        let round = RoundAnnouncement {
            round: 1,
            config: c,
            model_sha256: String::new(),
            model_bytes: 0,
            measurement: "m".into(),
            opened_at: 1,
        };
        let doc = round.sign(&enclave).expect("sign");
        assert!(matches!(
            RoundAnnouncement::verify(&doc, &[enclave.verifying_key()]),
            Err(LearnError::InvalidInput { .. })
        ));
    }
}

#[test]
fn an_update_keeps_its_metadata_and_opens_only_with_the_enclave_key() {
    let delta = HeadWeights::from_flat(4, 3, &[0.25; 15]).expect("delta");
    let file =
        delta.to_safetensors(&protocol::model_metadata(EMOTION_TASK, 3, Some(42))).expect("update");
    let (back, header) = read_update(&file).expect("read");
    assert_eq!(back, delta);
    assert_eq!((header.round, header.example_count, header.task.as_str()), (3, 42, EMOTION_TASK));
    // A global model is not an update (no example count).
    assert!(read_update(&model_file(EMOTION_TASK, 3, &delta).expect("model")).is_err());

    let enclave = Identity::generate().expect("enclave");
    let stranger = Identity::generate().expect("stranger");
    let mut sealer = seal::Sealer::new(&[enclave.recipient()], Vec::new()).expect("sealer");
    std::io::Write::write_all(&mut sealer, &file).expect("seal");
    let (sealed, _) = sealer.finish().expect("finish");
    let visible = |needle: &[u8]| sealed.windows(needle.len()).any(|w| w == needle);
    assert!(!visible(b"head.weight") && !visible(b"example_count"), "nothing readable");
    assert!(seal::open(&[stranger], &sealed[..], Vec::new()).is_err(), "only the enclave opens it");
    let (opened, _) = seal::open(&[enclave], &sealed[..], Vec::new()).expect("enclave opens");
    assert_eq!(opened, file);
}

#[test]
fn fedavg_weights_updates_by_example_count_and_refuses_bad_rounds() {
    let global = HeadWeights::from_flat(2, 2, &[1.0; 6]).expect("global");
    let a = HeadWeights::from_flat(2, 2, &[3.0; 6]).expect("a");
    let b = HeadWeights::from_flat(2, 2, &[-1.0; 6]).expect("b");
    // Plain FedAvg: η = 1, β = 0, one noise share (so nothing to top up).
    let fedavg = |updates: &[(HeadWeights, u64)]| {
        aggregate_round(&global, None, updates, &config()).map(|a| a.next)
    };
    let next = fedavg(&[(a.clone(), 30), (b.clone(), 10)]).expect("avg");
    // 1 + (30·3 + 10·(−1)) / 40 = 3
    assert!(next.flat().iter().all(|v| (v - 3.0).abs() < 1e-6), "{:?}", next.flat());
    assert!(fedavg(&[]).is_err());
    assert!(fedavg(&[(a, 0)]).is_err());
    let wrong = HeadWeights::zeros(3, 2).expect("zeros");
    assert!(fedavg(&[(b, 1), (wrong, 1)]).is_err());
}

#[test]
fn the_server_step_follows_its_learning_rate_and_momentum() {
    let mut c = config();
    c.server_learning_rate = 2.0;
    c.server_momentum = 0.5;
    c.noise_shares = 2;
    let previous = HeadWeights::from_flat(2, 2, &[0.0; 6]).expect("previous");
    let global = HeadWeights::from_flat(2, 2, &[1.0; 6]).expect("global");
    let a = HeadWeights::from_flat(2, 2, &[3.0; 6]).expect("a");
    let b = HeadWeights::from_flat(2, 2, &[-1.0; 6]).expect("b");
    // Even counts over `noise_shares` updates: the clients' noise is enough, none is added.
    let out = aggregate_round(&global, Some(&previous), &[(a.clone(), 10), (b.clone(), 10)], &c)
        .expect("aggregate");
    assert_eq!(out.top_up_std, 0.0);
    // Previous step (1 − 0) / η = 0.5; step = mean 1 + β · 0.5 = 1.25; next = 1 + η · 1.25.
    assert!(out.next.flat().iter().all(|v| (v - 3.5).abs() < 1e-6), "{:?}", out.next.flat());
    // Round 1 has no previous step; β then adds nothing.
    let first = aggregate_round(&global, None, &[(a.clone(), 10), (b, 10)], &c).expect("first");
    assert!(first.next.flat().iter().all(|v| (v - 3.0).abs() < 1e-6));
    // Plain FedAvg is η = 1, β = 0.
    let plain = aggregate_round(&global, Some(&previous), &[(a.clone(), 30)], &config());
    assert!(plain.expect("plain").next.flat().iter().all(|v| (v - 4.0).abs() < 1e-6));
    let mut unsafe_settings = config();
    unsafe_settings.server_momentum = 1.0;
    assert!(aggregate_round(&global, None, &[(a, 1)], &unsafe_settings).is_err());
}

#[test]
fn uneven_example_counts_make_the_enclave_add_the_missing_noise() {
    // Even counts over at least `shares` updates need nothing; one share (local noise) neither.
    assert_eq!(top_up_noise_std(&[10; 20], 1.0, 1.0, 20), 0.0);
    assert_eq!(top_up_noise_std(&[10; 25], 1.0, 1.0, 20), 0.0);
    assert_eq!(top_up_noise_std(&[1000, 1, 1], 1.0, 1.0, 1), 0.0);
    // One update with 90 % of the examples among 10 whose noise was split 10 ways: its weight is
    // 0.9 but the average carries only σC·√(Σw²/10) of the clients' noise.
    let counts: [u64; 10] = [900, 12, 12, 12, 12, 12, 12, 12, 12, 4];
    let w: Vec<f64> = counts.iter().map(|n| *n as f64 / 1000.0).collect();
    let expected = (0.81 - w.iter().map(|x| x * x).sum::<f64>() / 10.0).sqrt() * 2.0 * 0.5;
    let got = top_up_noise_std(&counts, 2.0, 0.5, 10);
    assert!((got - expected).abs() < 1e-12 && got > 0.8, "{got} vs {expected}");

    // The enclave adds it: zero updates give an average of pure top-up noise of that scale.
    let mut c = config();
    c.dim = 512;
    c.noise_shares = 2;
    c.noise_multiplier = 2.0;
    let global = HeadWeights::zeros(512, 3).expect("zeros");
    let updates = [(global.clone(), 900), (global.clone(), 100)];
    let out = aggregate_round(&global, None, &updates, &c).expect("aggregate");
    // w = 0.9, 0.1: missing variance (σC)² (0.81 − 0.82 / 2) = 4 · 0.4.
    assert!((out.top_up_std - (1.6f64).sqrt()).abs() < 1e-9, "{}", out.top_up_std);
    let flat = out.next.flat();
    let std = (flat.iter().map(|v| f64::from(*v).powi(2)).sum::<f64>() / flat.len() as f64).sqrt();
    assert!((std / out.top_up_std - 1.0).abs() < 0.1, "sample std {std} vs {}", out.top_up_std);
}

/// Two separable clusters in 4 dimensions.
fn data() -> (Vec<Vec<f32>>, Vec<u32>) {
    let xs: Vec<Vec<f32>> = (0..60)
        .map(|i| {
            let c = i % 3;
            (0..4)
                .map(|d| if d == c { 1.0 } else { 0.1 * ((i * 7 + d) % 5) as f32 / 5.0 })
                .collect()
        })
        .collect();
    let ys = (0..60).map(|i| (i % 3) as u32).collect();
    (xs, ys)
}

#[test]
fn stopped_training_resumes_from_its_checkpoint_to_the_same_weights() {
    let (xs, ys) = data();
    let start = HeadWeights::zeros(4, 3).expect("zeros");
    let straight = TaggerHead::from_weights(&start).expect("head");
    let done =
        straight.train_sgd(&xs, &ys, (0, 4), 8, 0.5, &|| false, &mut |_| Ok(())).expect("train");
    assert_eq!(done, 4);
    assert!(straight.accuracy(&xs, &ys).expect("accuracy") > 0.9);

    // Stop after two epochs (the checkpoint is the weights then), resume in a new head.
    let first = TaggerHead::from_weights(&start).expect("head");
    let mut checkpoint = None;
    let epochs = std::cell::Cell::new(0u32);
    let stop = || epochs.get() >= 2;
    let done = first
        .train_sgd(&xs, &ys, (0, 4), 8, 0.5, &stop, &mut |e| {
            epochs.set(e);
            checkpoint = Some(first.head_weights()?);
            Ok(())
        })
        .expect("train");
    assert_eq!(done, 2, "stopped after two epochs");
    let second = TaggerHead::from_weights(&checkpoint.expect("checkpoint")).expect("head");
    second.train_sgd(&xs, &ys, (2, 4), 8, 0.5, &|| false, &mut |_| Ok(())).expect("resume");
    let (a, b) = (straight.head_weights().expect("w"), second.head_weights().expect("w"));
    let diff = a.flat().iter().zip(b.flat()).map(|(x, y)| (x - y).abs()).fold(0.0f32, f32::max);
    assert!(diff < 1e-6, "resumed training ends where uninterrupted training does ({diff})");
}

/// A 4-wide tagger that reads dimension `i` as label `i` (joy, grief, pride, fear).
/// Stores `v` as `segment`'s sentence embedding.
fn put_vector(graph: &crate::graph::MemoryGraph, segment: i64, v: [f32; 4]) {
    let blob: Vec<u8> = v.iter().flat_map(|x| x.to_le_bytes()).collect();
    graph
        .database()
        .write(|tx| {
            tx.execute(
                "INSERT INTO segment_embedding (segment_id, model, text_hash, vector) VALUES (?1, 't', 0, ?2)",
                rusqlite::params![segment, blob],
            )
            .map_err(crate::store::StoreError::from)
        })
        .expect("vector");
}

fn one_hot_tagger() -> signal::Tagger {
    let mut weight = vec![0.0f32; 16];
    for i in 0..4 {
        weight[i * 4 + i] = 6.0;
    }
    let labels = ["joy", "grief", "pride", "fear"].map(String::from).to_vec();
    signal::Tagger::new(
        Task::Emotion,
        HeadWeights { dim: 4, labels: 4, weight, bias: vec![0.0; 4] },
        labels,
    )
    .expect("tagger")
}

#[test]
fn the_tagger_proposes_what_the_rules_missed_and_a_rejection_sticks() {
    let (_dir, graph) = crate::graph::test_graph_with_extractor();
    let tagger = one_hot_tagger();
    assert_eq!(tagger.tag(&[0.0, 1.0, 0.0, 0.0]).map(|(l, _)| l), Some("grief"));
    assert!(tagger.tag(&[1.0, 0.0]).is_none(), "another width");
    // Segment 1 says its feeling in words the rules know; segment 2 does not.
    let detail = graph
        .add_text_memory(
            "Days",
            "I was so happy at the fair.\nWe stood by the grave in the rain.",
            None,
        )
        .expect("memory");
    let memory = detail.memory.id;
    let (first, second) = (detail.segments[0].id, detail.segments[1].id);
    put_vector(&graph, first, [0.0, 0.0, 1.0, 0.0]); // the tagger would say pride; the rules found joy
    put_vector(&graph, second, [0.0, 1.0, 0.0, 0.0]); // grief, which no rule word says
    let proposed = signal::suggest(&graph, memory, &tagger).expect("suggest");
    assert_eq!(proposed, 1, "only the segment the rules left without an emotion");
    let proposals = graph.fact_proposals(10).expect("proposals");
    let grief = proposals
        .iter()
        .find(|f| f.entity.kind == crate::graph::EntityKind::Emotion && f.span.segment_id == second)
        .expect("a grief proposal for the owner");
    assert_eq!(grief.entity.display_name.to_lowercase(), "grief");
    assert!(grief.confidence < 0.5, "a proposal, never a fact: {}", grief.confidence);
    // The tagger's own guess is never a training label.
    let labels = ["joy", "grief"].map(String::from).to_vec();
    assert!(examples(&graph, Task::Emotion, &labels, 4).expect("examples").0.is_empty());
    // Rejected: reading the memory again brings it back neither from the rules nor the tagger.
    graph.reject_fact(grief.mention_id).expect("reject");
    assert_eq!(signal::suggest(&graph, memory, &tagger).expect("suggest"), 0);
    // The rules' joy, once confirmed, is an example with its segment's vector.
    let facts = graph.memory_facts(memory).expect("facts");
    let joy = facts
        .iter()
        .find(|f| f.entity.kind == crate::graph::EntityKind::Emotion && f.span.segment_id == first)
        .expect("the rules' joy");
    graph.confirm_fact(joy.mention_id).expect("confirm");
    let (xs, ys) = examples(&graph, Task::Emotion, &labels, 4).expect("examples");
    assert_eq!((xs, ys), (vec![vec![0.0, 0.0, 1.0, 0.0]], vec![0]));
}

#[test]
fn calibration_sharpens_a_timid_model_the_owner_agrees_with_and_flattens_one_they_do_not() {
    // A model with the right ranking but small weights (what clipped updates give): 0.3 on the
    // diagonal, so every probability stays below the proposal line.
    let mut weight = vec![0.0f32; 16];
    for i in 0..4 {
        weight[i * 4 + i] = 0.3;
    }
    let timid = HeadWeights { dim: 4, labels: 4, weight, bias: vec![0.0; 4] };
    let labels = ["joy", "grief", "pride", "fear"].map(String::from).to_vec();
    let xs: Vec<Vec<f32>> = (0..40)
        .map(|i| {
            let mut x = vec![0.1f32; 4];
            x[i % 4] = 0.9;
            x
        })
        .collect();
    let right: Vec<u32> = (0..40).map(|i| (i % 4) as u32).collect();
    let p = |w: &HeadWeights| {
        let tagger = signal::Tagger::new(Task::Emotion, w.clone(), labels.clone()).expect("tagger");
        tagger.tag(&xs[0]).map(|(l, p)| (l.to_owned(), p)).expect("tag")
    };
    let (label, before) = p(&timid);
    assert!(label == "joy" && before < signal::SUGGEST_AT, "{before}");
    let (sharp, t) = signal::calibrate(&timid, &xs, &right).expect("calibrate");
    let (label, after) = p(&sharp);
    assert!(t < 0.2 && label == "joy" && after >= signal::SUGGEST_AT, "T {t}, p {after}");

    // Examples that disagree with the model (each labelled as the next label): flatter.
    let wrong: Vec<u32> = (0..40).map(|i| ((i + 1) % 4) as u32).collect();
    let (flat, t) = signal::calibrate(&timid, &xs, &wrong).expect("calibrate");
    assert!(t > 1.0 && p(&flat).1 < before, "T {t}");

    // Examples of another width, or labels the head has not: a typed error.
    assert!(matches!(
        signal::calibrate(&timid, &[vec![0.0; 3]], &[0]),
        Err(LearnError::InvalidInput { .. })
    ));
    assert!(signal::calibrate(&timid, &xs[..1], &[9]).is_err());
    assert!(signal::calibrate(&timid, &[], &[]).is_err());
}

#[test]
fn the_topic_tagger_proposes_life_events_the_rules_missed() {
    let (_dir, graph) = crate::graph::test_graph_with_extractor();
    let labels = ["wedding", "emigration", "war_service", "retirement"].map(String::from).to_vec();
    let mut weight = vec![0.0f32; 16];
    for i in 0..4 {
        weight[i * 4 + i] = 6.0;
    }
    let weights = HeadWeights { dim: 4, labels: 4, weight, bias: vec![0.0; 4] };
    let tagger = signal::Tagger::new(Task::Topic, weights.clone(), labels.clone()).expect("tagger");
    // Labels must be the task's kinds: emotions are not topics, and the other way round.
    let emotions = ["joy", "grief", "pride", "fear"].map(String::from).to_vec();
    assert!(signal::Tagger::new(Task::Topic, weights.clone(), emotions.clone()).is_err());
    assert!(signal::Tagger::new(Task::Emotion, weights.clone(), labels.clone()).is_err());
    let mut c = config();
    c.task = protocol::TOPIC_TASK.into();
    assert!(matches!(c.check(), Err(LearnError::InvalidInput { .. })), "emotion labels");
    c.labels = labels.clone();
    c.check().expect("a topic round");
    c.task = "mood-ring".into();
    assert!(matches!(c.check(), Err(LearnError::InvalidInput { .. })), "unknown task");

    // Segment 1 names its event in words the rules know; segment 2 does not.
    let detail = graph
        .add_text_memory(
            "Leaving",
            "We got married at St Mary's in June.\nWe stood on the deck and waved at Liverpool.",
            None,
        )
        .expect("memory");
    let memory = detail.memory.id;
    let (first, second) = (detail.segments[0].id, detail.segments[1].id);
    let events_in = |segment: i64| {
        graph
            .memory_facts(memory)
            .expect("facts")
            .iter()
            .filter(|f| f.entity.kind == crate::graph::EntityKind::Event)
            .filter(|f| f.span.segment_id == segment)
            .count()
    };
    assert!(events_in(first) > 0 && events_in(second) == 0, "the rules' view of the two");
    put_vector(&graph, first, [0.0, 0.0, 0.0, 1.0]);
    put_vector(&graph, second, [0.0, 1.0, 0.0, 0.0]);
    // Only the segment the rules left without an event gets a proposal.
    assert_eq!(signal::suggest(&graph, memory, &tagger).expect("suggest"), 1);
    let proposals = graph.fact_proposals(10).expect("proposals");
    let emigration = proposals
        .iter()
        .find(|f| f.entity.kind == crate::graph::EntityKind::Event && f.span.segment_id == second)
        .expect("an emigration proposal for the owner");
    assert_eq!(emigration.entity.display_name, "emigration");
    assert!(emigration.confidence < 0.5);
    assert!(
        !proposals
            .iter()
            .any(|f| f.span.segment_id == first && f.entity.display_name == "retirement"),
        "nothing where the rules found the wedding"
    );
    // Confirmed, it is a topic example; it is no emotion example.
    graph.confirm_fact(emigration.mention_id).expect("confirm");
    let (xs, ys) = examples(&graph, Task::Topic, &labels, 4).expect("examples");
    assert!(xs.contains(&vec![0.0, 1.0, 0.0, 0.0]) && ys.contains(&1), "{ys:?}");
    assert!(examples(&graph, Task::Emotion, &emotions, 4).expect("examples").0.is_empty());
    // Rejected facts of one task do not silence the other.
    assert!(!store::rejected(&graph, memory, Task::Emotion, "emigration").expect("rejected"));
}

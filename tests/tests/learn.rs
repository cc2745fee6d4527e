//! A federated round with real parts on loopback: phones with memories whose emotions the owner
//! confirmed (real extraction, real MiniLM embeddings), the reference enclave publishing a
//! signed round, each phone training and sending its clipped, noised update sealed to the
//! enclave through the outbox to a real SeaweedFS, the enclave's signed contribution receipts,
//! FedAvg into the next round's model. And the refusals: no consent, not charging, too few
//! clients, over budget, a withdrawn consent.

use heirloom_core::consent::{self, ConsentRequest, GivenBy, Giver, Purpose, Subject};
use heirloom_core::extract::EmotionKind;
use heirloom_core::graph::{EntityKind, MemoryGraph};
use heirloom_core::keystore::FileKeyStore;
use heirloom_core::learn::{
    self, aggregate_round, Conditions, HeadWeights, JoinOptions, JoinOutcome, LearnError,
    PrivacyBudget, RdpAccountant, RoundAnnouncement, RoundConfig,
};
use heirloom_core::outbox::{CancelFlag, ItemState, Outbox, OutboxConfig, Quiet, UploadReceipt};
use heirloom_core::seal::{OwnerKeys, VerifyingKey};
use heirloom_core::speech::ModelKind;
use heirloom_tests::seaweed::Seaweed;
use heirloom_tests::{LocalEnclave, ADMIN_TOKEN};
use std::time::{Duration, Instant};

struct Phone {
    _dir: tempfile::TempDir,
    graph: MemoryGraph,
    owner: OwnerKeys,
}

const STORIES: [&str; 3] = [
    "I was so happy at the summer fair.\nWe laughed all evening at the dance hall.\n\
     I was delighted when the puppy arrived.\nChristmas morning was wonderful.\n\
     The children were thrilled at the seaside.\nI cried at my mother's funeral.",
    "I cried at my father's funeral.\nI was heartbroken when the dog died.\n\
     We mourned my brother for years.\nIt was the saddest day of my life.\n\
     I was so happy when the war ended.\nI was proud when my son graduated.",
    "I was proud when my daughter qualified as a nurse.\nIt was my proudest moment at the works.\n\
     I was so proud of the garden that year.\nWe laughed at the wedding.\n\
     I was glad to be home again.\nI wept when the letter came.",
];

fn phone(story: &str) -> Phone {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    let graph = MemoryGraph::open(&dir.path().join("data"), &keys).expect("graph");
    let (_, semantic) = graph.attach_understanding(&ModelKind::default_dir(), true);
    assert!(semantic, "the MiniLM model is fetched by scripts/setup");
    let owner = OwnerKeys::load_or_create(&keys).expect("owner keys");
    let memory = graph.add_text_memory("Feelings", story, None).expect("memory");
    // The owner confirms every emotion the extractor read.
    for fact in graph.memory_facts(memory.memory.id).expect("facts") {
        if fact.entity.kind == EntityKind::Emotion {
            graph.confirm_fact(fact.mention_id).expect("confirm");
        }
    }
    Phone { _dir: dir, graph, owner }
}

fn giver(p: &Phone) -> Giver<'_> {
    Giver {
        signer: p.owner.signing(),
        principal: p.owner.public().verifying_key,
        given_by: GivenBy::Owner,
    }
}

fn consent_to_training(p: &Phone) {
    let request = ConsentRequest {
        subject: Subject::Training,
        purpose: Purpose::AiTraining,
        expires_at_ms: None,
    };
    consent::give(&p.graph, &giver(p), &request, &heirloom_tests::policy(), now())
        .expect("consent");
}

fn now() -> i64 {
    heirloom_core::clock::now_ms()
}

fn pinned(enclave: &LocalEnclave) -> Vec<VerifyingKey> {
    vec![enclave.server().enclave.keys.signing().verifying_key()]
}

fn config(enclave: &LocalEnclave) -> OutboxConfig {
    let mut c = OutboxConfig::new(enclave.url(), pinned(enclave));
    c.request_timeout = Duration::from_secs(10);
    c.backoff_base = Duration::from_millis(20);
    c.backoff_cap = Duration::from_millis(500);
    c
}

fn round_config() -> RoundConfig {
    RoundConfig {
        task: learn::protocol::EMOTION_TASK.into(),
        labels: EmotionKind::ALL.iter().map(|k| k.as_str().to_owned()).collect(),
        dim: 384,
        learning_rate: 0.5,
        local_epochs: 5,
        batch_size: 4,
        clip_norm: 1.0,
        noise_multiplier: 1.0,
        noise_shares: 1,
        min_clients: 3,
        server_learning_rate: 2.0,
        server_momentum: 0.0,
    }
}

fn admin(
    enclave: &LocalEnclave,
    path: &str,
    body: Option<serde_json::Value>,
) -> (u16, serde_json::Value) {
    let http = reqwest::blocking::Client::new();
    let mut request = http.post(format!("{}{path}", enclave.url())).bearer_auth(ADMIN_TOKEN);
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().expect("admin call");
    let status = response.status().as_u16();
    (status, response.json().unwrap_or_default())
}

fn charging_and_idle() -> JoinOptions {
    JoinOptions { conditions: Conditions { charging: true, idle: true }, ..JoinOptions::default() }
}

fn join(p: &Phone, enclave: &LocalEnclave) -> Result<JoinOutcome, LearnError> {
    learn::join_round(&p.graph, &config(enclave), &charging_and_idle(), &|| true, now())
}

fn send(p: &Phone, enclave: &LocalEnclave) {
    let outbox = Outbox::new(&p.graph, config(enclave)).expect("outbox");
    outbox
        .run_until_idle(&Quiet, &CancelFlag::new(), Instant::now() + Duration::from_secs(60))
        .expect("run");
}

fn model(enclave: &LocalEnclave, round: u64) -> HeadWeights {
    let url = format!("{}/v1/learn/rounds/{round}/model", enclave.url());
    let bytes = reqwest::blocking::get(url).expect("model").bytes().expect("bytes");
    HeadWeights::from_safetensors(&bytes).expect("model file").0
}

#[test]
fn a_round_goes_from_consenting_phones_through_the_enclave_to_the_next_model() {
    let weed = Seaweed::start();
    let enclave = LocalEnclave::start(&weed, None);
    let phones: Vec<Phone> = STORIES.iter().map(|s| phone(s)).collect();
    let labels = round_config().labels;
    for p in &phones {
        let (xs, _) =
            learn::examples(&p.graph, learn::Task::Emotion, &labels, 384).expect("examples");
        assert!(xs.len() >= learn::MIN_EXAMPLES, "{} confirmed examples", xs.len());
    }

    // No round yet; then the operator opens one.
    consent_to_training(&phones[0]);
    assert!(matches!(join(&phones[0], &enclave), Err(LearnError::Outbox(_))));
    let (status, doc) = admin(
        &enclave,
        "/v1/admin/learn/start",
        Some(serde_json::to_value(round_config()).expect("json")),
    );
    assert_eq!(status, 200, "{doc}");
    let round = RoundAnnouncement::verify(&doc, &pinned(&enclave)).expect("signed round");
    assert_eq!(round.round, 1);

    // Without consent nothing trains and nothing is queued; nor while not charging and idle.
    assert!(matches!(join(&phones[1], &enclave), Err(LearnError::ConsentRequired)));
    assert!(Outbox::new(&phones[1].graph, config(&enclave))
        .expect("outbox")
        .items()
        .expect("items")
        .is_empty());
    let unplugged = JoinOptions::default();
    assert!(matches!(
        learn::join_round(&phones[0].graph, &config(&enclave), &unplugged, &|| true, now()),
        Err(LearnError::NotNow)
    ));

    // Two phones join and send; the round cannot close with two of three.
    consent_to_training(&phones[1]);
    for p in &phones[..2] {
        let JoinOutcome::Queued { round, example_count, update_bytes, epsilon_round, .. } =
            join(p, &enclave).expect("join")
        else {
            panic!("not queued");
        };
        assert_eq!(round, 1);
        assert!(
            example_count >= 5 && update_bytes > 384 * 10 * 4,
            "{example_count} {update_bytes}"
        );
        let mut one = RdpAccountant::default();
        one.add_round(1.0).expect("round");
        assert!((epsilon_round - one.epsilon(1e-5).expect("ε")).abs() < 1e-9);
        assert!(matches!(join(p, &enclave), Ok(JoinOutcome::AlreadyJoined { round: 1 })));
        send(p, &enclave);
    }
    let (status, body) = admin(&enclave, "/v1/admin/learn/close", None);
    assert_eq!((status, body["error"].as_str()), (409, Some("too_few_clients")), "{body}");

    // The third phone joins; the enclave's copies of the three updates give the expected FedAvg.
    consent_to_training(&phones[2]);
    assert!(matches!(join(&phones[2], &enclave), Ok(JoinOutcome::Queued { .. })));
    send(&phones[2], &enclave);
    let held = enclave.server().enclave.state.learn_updates(1).expect("updates");
    assert_eq!(held.len(), 3);
    let deltas: Vec<(HeadWeights, u64)> = held
        .iter()
        .map(|(b, n)| (learn::protocol::read_update(b).expect("update").0, *n))
        .collect();
    for (d, _) in &deltas {
        // Clipped to C = 1, then noised with σC = 1 per weight: far from zero, never huge.
        let norm = learn::l2_norm(&d.flat());
        assert!(norm > 10.0 && norm < 100.0, "{norm}");
    }
    let expected =
        aggregate_round(&model(&enclave, 1), None, &deltas, &round_config()).expect("fedavg").next;
    let (status, closed) = admin(&enclave, "/v1/admin/learn/close", None);
    assert_eq!(status, 200, "{closed}");
    assert_eq!(closed["clients"], 3);
    let next = RoundAnnouncement::verify(&closed["next"], &pinned(&enclave)).expect("round 2");
    assert_eq!(next.round, 2);
    let global = model(&enclave, 2);
    let gap = global
        .flat()
        .iter()
        .zip(expected.flat())
        .map(|(a, b)| (a - b).abs())
        .fold(0.0f32, f32::max);
    assert!(gap < 1e-6, "round 2's model is η × the example-weighted average ({gap})");
    let left = enclave.server().enclave.state.learn_updates(1).expect("updates").len();
    assert_eq!(left, 0, "individual updates are dropped once averaged");

    // Each phone holds a signed receipt recording its contribution.
    for p in &phones {
        let ledger = learn::ledger(&p.graph).expect("ledger");
        assert_eq!(ledger.len(), 1);
        let entry = &ledger[0];
        assert_eq!(entry.state, "uploaded");
        let receipt =
            UploadReceipt::verify(entry.receipt.as_ref().expect("receipt"), &pinned(&enclave))
                .expect("signed receipt");
        let c = receipt.contribution.expect("contribution");
        assert_eq!(
            (c.round, c.example_count, c.update_sha256.as_str()),
            (1, entry.example_count, entry.update_sha256.as_str())
        );
    }

    // Withdrawing consent stops future rounds; a budget too small for a round refuses it.
    let status = learn::status(&phones[0].graph, now()).expect("status");
    assert!(status.consent && status.rounds == 1 && status.spent_epsilon > 4.0);
    consent::revoke(
        &phones[0].graph,
        &giver(&phones[0]),
        Subject::Training,
        Purpose::AiTraining,
        &heirloom_tests::policy(),
        now(),
    )
    .expect("revoke");
    assert!(matches!(join(&phones[0], &enclave), Err(LearnError::ConsentRequired)));
    learn::set_budget(&phones[1].graph, PrivacyBudget { epsilon: 6.0, delta: 1e-5 }, now())
        .expect("budget");
    assert!(matches!(join(&phones[1], &enclave), Err(LearnError::BudgetExceeded { .. })));
    let items =
        Outbox::new(&phones[1].graph, config(&enclave)).expect("outbox").items().expect("items");
    assert_eq!(items.len(), 1, "nothing more was queued");
    assert_eq!(items[0].state, ItemState::Uploaded);
    // The third phone may still join round 2.
    assert!(matches!(join(&phones[2], &enclave), Ok(JoinOutcome::Queued { round: 2, .. })));

    // Withdrawing after sending: the enclave deletes the update it has not averaged yet.
    send(&phones[2], &enclave);
    assert_eq!(enclave.server().enclave.state.learn_updates(2).expect("updates").len(), 1);
    consent::revoke(
        &phones[2].graph,
        &giver(&phones[2]),
        Subject::Training,
        Purpose::AiTraining,
        &heirloom_tests::policy(),
        now(),
    )
    .expect("revoke");
    let outbox = Outbox::new(&phones[2].graph, config(&enclave)).expect("outbox");
    let report = outbox
        .run_until_idle(&Quiet, &CancelFlag::new(), Instant::now() + Duration::from_secs(60))
        .expect("run");
    assert!(report.erased >= 1, "{report:?}");
    assert!(enclave.server().enclave.state.learn_updates(2).expect("updates").is_empty());
    let ledger = learn::ledger(&phones[2].graph).expect("ledger");
    let states: Vec<&str> = ledger.iter().map(|e| e.state.as_str()).collect();
    assert_eq!(states, ["erased", "erased"]);
}

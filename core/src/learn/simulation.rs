//! A federation of simulated phones through a real enclave: each client is a full data
//! directory (its own encrypted database, owner keys, "AI training" consent, outbox), holding
//! a label-skewed share of a labelled set (non-IID: most of a client's examples come from its
//! own two "home" labels). Every round each client joins through the same code a phone uses
//! (signed round, model hash, local SGD, clip, noise, seal, outbox upload, signed receipt), the
//! operator closes the round, and the new global model is scored on a held-out set, next to a
//! head trained centrally on all the clients' examples with the same optimiser.

use super::join::{join_round_with, Conditions, JoinOptions, JoinOutcome};
use super::{HeadWeights, LearnError, PrivacyBudget, RoundAnnouncement, RoundConfig, TaggerHead};
use crate::consent::{self, ConsentRequest, GivenBy, Giver, Policy, Purpose, Subject};
use crate::graph::MemoryGraph;
use crate::keystore::FileKeyStore;
use crate::outbox::client::Client;
use crate::outbox::{CancelFlag, Outbox, OutboxConfig, Quiet};
use crate::seal::OwnerKeys;
use std::path::Path;
use std::time::{Duration, Instant};

/// Labelled embeddings: a training pool the clients share out, and a held-out set.
#[derive(Debug, Clone, Default)]
pub struct Dataset {
    pub train: Vec<(Vec<f32>, u32)>,
    pub test: Vec<(Vec<f32>, u32)>,
}

/// How to run a simulation.
#[derive(Debug, Clone)]
pub struct SimulationConfig {
    pub clients: usize,
    pub rounds: u32,
    /// Examples each client holds.
    pub per_client: usize,
    /// Share of a client's examples drawn from its two home labels (the rest from any label).
    pub skew: f64,
    /// The round settings the operator opens the federation with.
    pub round: RoundConfig,
    /// The enclave's operator token (`/v1/admin/*`).
    pub admin_token: String,
}

/// One round's outcome.
#[derive(Debug, Clone, PartialEq)]
pub struct RoundReport {
    /// The round whose updates were averaged.
    pub round: u64,
    pub clients: usize,
    pub examples: u64,
    /// Held-out accuracy of the global model after this round.
    pub federated_accuracy: f64,
    /// Held-out accuracy of the centrally trained head after as many epochs.
    pub centralised_accuracy: f64,
    /// Mean size of a sealed-to-be update file.
    pub update_bytes: u64,
    /// ε each client has spent after this round (δ of its budget).
    pub epsilon_per_client: f64,
}

/// Deals `per_client` example indices to each of `clients`: a `skew` share from the client's
/// two home labels (client i's are the i-th and (i+1)-th of the labels that have examples),
/// the rest from any such label. Examples are used once while they last, then reused.
/// Deterministic for a given `seed`.
pub fn partition_non_iid(
    labels: &[u32],
    label_count: usize,
    clients: usize,
    per_client: usize,
    skew: f64,
    seed: u64,
) -> Vec<Vec<usize>> {
    let mut by_label: Vec<Vec<usize>> = vec![Vec::new(); label_count];
    for (i, l) in labels.iter().enumerate() {
        if let Some(list) = by_label.get_mut(*l as usize) {
            list.push(i);
        }
    }
    let present: Vec<usize> = (0..label_count).filter(|l| !by_label[*l].is_empty()).collect();
    if present.is_empty() {
        return vec![Vec::new(); clients];
    }
    let mut cursor = vec![0usize; label_count];
    let mut rng = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    let mut next = move || {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng
    };
    let take = |label: usize, cursor: &mut Vec<usize>| -> Option<usize> {
        let list = by_label.get(label).filter(|l| !l.is_empty())?;
        let i = list[cursor[label] % list.len()];
        cursor[label] += 1;
        Some(i)
    };
    (0..clients)
        .map(|c| {
            let home = [present[c % present.len()], present[(c + 1) % present.len()]];
            let skewed = (per_client as f64 * skew.clamp(0.0, 1.0)).round() as usize;
            let mut mine = Vec::with_capacity(per_client);
            for k in 0..per_client {
                let label = if k < skewed {
                    home[k % 2]
                } else {
                    present[(next() % present.len() as u64) as usize]
                };
                if let Some(i) = take(label, &mut cursor) {
                    mine.push(i);
                }
            }
            mine
        })
        .collect()
}

fn split(rows: &[(Vec<f32>, u32)]) -> (Vec<Vec<f32>>, Vec<u32>) {
    rows.iter().map(|(x, y)| (x.clone(), *y)).unzip()
}

/// Held-out accuracy of `weights`.
pub fn accuracy(weights: &HeadWeights, test: &[(Vec<f32>, u32)]) -> Result<f64, LearnError> {
    let (xs, ys) = split(test);
    TaggerHead::from_weights(weights)?.accuracy(&xs, &ys)
}

/// Held-out accuracy of one head trained centrally on `train` with the round's optimiser
/// settings, after each of `epochs` epochs (× the round's local epochs, to match a round), and
/// the head at the end.
pub fn centralised_curve(
    train: &[(Vec<f32>, u32)],
    test: &[(Vec<f32>, u32)],
    round: &RoundConfig,
    epochs: u32,
) -> Result<(Vec<f64>, HeadWeights), LearnError> {
    let head =
        TaggerHead::from_weights(&HeadWeights::zeros(round.dim as usize, round.labels.len())?)?;
    let (xs, ys) = split(train);
    let (txs, tys) = split(test);
    let mut curve = Vec::with_capacity(epochs as usize);
    for e in 0..epochs {
        let from = e * round.local_epochs;
        head.train_sgd(
            &xs,
            &ys,
            (from, from + round.local_epochs),
            round.batch_size as usize,
            round.learning_rate,
            &|| false,
            &mut |_| Ok(()),
        )?;
        curve.push(head.accuracy(&txs, &tys)?);
    }
    Ok((curve, head.head_weights()?))
}

/// The policy simulated owners consent under.
fn policy() -> Policy {
    Policy {
        jurisdiction: "GB".into(),
        controller: "Heirloom federated learning simulation".into(),
        contact: "privacy@heirloom.example".into(),
        policy_url: "https://heirloom.example/privacy".into(),
        policy_version: "simulation".into(),
        language: "en".into(),
    }
}

struct SimClient {
    graph: MemoryGraph,
    examples: (Vec<Vec<f32>>, Vec<u32>),
}

/// What a simulation produced: a report per round, the last global model, and the centrally
/// trained head it is compared with.
#[derive(Debug, Clone)]
pub struct Outcome {
    pub rounds: Vec<RoundReport>,
    pub global: HeadWeights,
    /// The last global model as the first client would use it for proposals: its temperature
    /// fitted to that client's own examples (see [`super::signal::calibrate`]).
    pub device_tagger: HeadWeights,
    /// The temperature fitted.
    pub temperature: f64,
    pub central: HeadWeights,
}

/// Runs the federation against the enclave of `outbox` (which the operator token opens), with
/// client data directories under `dir`. `on_round` sees each round's report as it finishes.
pub fn run(
    dir: &Path,
    outbox: &OutboxConfig,
    data: &Dataset,
    sim: &SimulationConfig,
    on_round: &mut dyn FnMut(&RoundReport),
) -> Result<Outcome, LearnError> {
    if sim.clients < 2 || sim.rounds == 0 || sim.per_client == 0 || data.test.is_empty() {
        return Err(LearnError::InvalidInput { reason: "2 or more clients, rounds and examples" });
    }
    sim.round.check()?;
    let labels: Vec<u32> = data.train.iter().map(|(_, y)| *y).collect();
    let shares = partition_non_iid(
        &labels,
        sim.round.labels.len(),
        sim.clients,
        sim.per_client,
        sim.skew,
        8,
    );
    let now = crate::clock::now_ms;
    let mut clients = Vec::with_capacity(sim.clients);
    let mut pooled = Vec::new();
    for (i, share) in shares.iter().enumerate() {
        let home = dir.join(format!("client-{i:02}"));
        let keys = FileKeyStore::new(home.join("keys"));
        let graph =
            MemoryGraph::open(&home.join("data"), &keys).map_err(|_| LearnError::Storage)?;
        let owner = OwnerKeys::load_or_create(&keys).map_err(|_| LearnError::Storage)?;
        let giver = Giver {
            signer: owner.signing(),
            principal: owner.public().verifying_key,
            given_by: GivenBy::Owner,
        };
        let request = ConsentRequest {
            subject: Subject::Training,
            purpose: Purpose::AiTraining,
            expires_at_ms: None,
        };
        consent::give(&graph, &giver, &request, &policy(), now())
            .map_err(|_| LearnError::Storage)?;
        // Simulated owners allow every round; what they spend is reported.
        super::set_budget(&graph, PrivacyBudget { epsilon: 1e6, delta: 1e-5 }, now())?;
        let rows: Vec<(Vec<f32>, u32)> = share.iter().map(|&k| data.train[k].clone()).collect();
        pooled.extend(rows.iter().cloned());
        clients.push(SimClient { graph, examples: split(&rows) });
    }
    let (central, central_head) = centralised_curve(&pooled, &data.test, &sim.round, sim.rounds)?;
    let http = Client::new(&outbox.enclave_url, outbox.request_timeout, outbox.tls_roots)?;
    let body = serde_json::to_value(&sim.round)
        .map_err(|_| LearnError::InvalidInput { reason: "round settings" })?;
    let started = http.admin("/v1/admin/learn/start", &sim.admin_token, Some(&body))?;
    let mut round = RoundAnnouncement::verify(&started, &outbox.pinned_signers)?;
    let task = super::protocol::Task::parse(&sim.round.task)
        .ok_or(LearnError::InvalidInput { reason: "a known task" })?;
    let options = JoinOptions {
        task,
        conditions: Conditions { charging: true, idle: true },
        time_limit: Duration::from_secs(600),
        cancel: CancelFlag::new(),
    };
    let mut reports = Vec::with_capacity(sim.rounds as usize);
    let mut global = HeadWeights::zeros(sim.round.dim as usize, sim.round.labels.len())?;
    for r in 0..sim.rounds {
        let mut bytes = 0u64;
        let mut epsilon = 0.0f64;
        for c in &clients {
            let outcome = join_round_with(&c.graph, outbox, &options, &|| true, now(), &|_| {
                Ok(c.examples.clone())
            })?;
            let JoinOutcome::Queued { update_bytes, epsilon_total, .. } = outcome else {
                return Err(LearnError::InvalidInput { reason: "a client could not join" });
            };
            bytes += update_bytes;
            epsilon = epsilon.max(epsilon_total);
            Outbox::new(&c.graph, outbox.clone())?.run_until_idle(
                &Quiet,
                &CancelFlag::new(),
                Instant::now() + Duration::from_secs(120),
            )?;
        }
        let close = format!("/v1/admin/learn/close?task={}", task.name());
        let closed = http.admin(&close, &sim.admin_token, None)?;
        let next = RoundAnnouncement::verify(&closed["next"], &outbox.pinned_signers)?;
        let model = http.learn_model(next.round, next.model_bytes)?;
        global = next.open_model(&model)?;
        let report = RoundReport {
            round: round.round,
            clients: closed["clients"].as_u64().unwrap_or_default() as usize,
            examples: closed["examples"].as_u64().unwrap_or_default(),
            federated_accuracy: accuracy(&global, &data.test)?,
            centralised_accuracy: central[r as usize],
            update_bytes: bytes / clients.len() as u64,
            epsilon_per_client: epsilon,
        };
        on_round(&report);
        reports.push(report);
        round = next;
    }
    let (xs, ys) = &clients[0].examples;
    let (device_tagger, temperature) = super::signal::calibrate(&global, xs, ys)?;
    Ok(Outcome { rounds: reports, global, device_tagger, temperature, central: central_head })
}

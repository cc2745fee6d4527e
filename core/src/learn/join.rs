//! The phone's side of a federated round: only when the shell says the device is charging and
//! idle, and only under a live "AI training" consent, fetch the enclave's signed round, check
//! the global model against it, train on the owner's confirmed facts (bounded in time,
//! cancellable, resumable from a checkpoint), and queue the clipped, noised difference in the
//! outbox, sealed to the enclave when it is sent. The privacy budget is spent in the same
//! transaction that queues the update.

use super::protocol::{model_metadata, sha256_hex, RoundAnnouncement, Task};
use super::store::{self, NewUpdate};
use super::{add_gaussian_noise, clip_l2, HeadWeights, LearnError, RoundConfig, TaggerHead};
use crate::consent::{self, Purpose, Subject};
use crate::graph::MemoryGraph;
use crate::outbox::client::Client;
use crate::outbox::OutboxConfig;
use crate::speech::CancelToken;
use std::time::{Duration, Instant};

/// Fewer confirmed examples than this and a round is not joined (an update from a handful of
/// examples says more about them than noise hides well, and helps little).
pub const MIN_EXAMPLES: usize = 5;

/// The largest global model accepted (a 4,096 × 256 head is 4 MiB).
const MAX_MODEL_BYTES: u64 = 8 * 1024 * 1024;

/// What the shell knows about the device now. Training runs only when both hold.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Conditions {
    pub charging: bool,
    pub idle: bool,
}

impl Conditions {
    pub fn allow_training(self) -> bool {
        self.charging && self.idle
    }
}

/// How a join may run.
#[derive(Debug, Clone)]
pub struct JoinOptions {
    /// Which federation to join (each task has its own rounds).
    pub task: Task,
    pub conditions: Conditions,
    /// Training stops (with a checkpoint) after this long; the next join resumes it.
    pub time_limit: Duration,
    pub cancel: CancelToken,
}

impl Default for JoinOptions {
    fn default() -> Self {
        Self {
            task: Task::Emotion,
            conditions: Conditions::default(),
            time_limit: Duration::from_secs(10 * 60),
            cancel: CancelToken::new(),
        }
    }
}

/// How a join ended.
#[derive(Debug, Clone, PartialEq)]
pub enum JoinOutcome {
    /// The update is queued in the outbox (item `item_id`), sealed to the enclave when sent.
    Queued {
        round: u64,
        item_id: i64,
        example_count: u64,
        update_bytes: u64,
        /// ε of this round alone, and the owner's total after it (at the budget's δ).
        epsilon_round: f64,
        epsilon_total: f64,
        /// The update's L2 norm before clipping (after clipping it is at most C).
        norm_before_clip: f64,
    },
    /// Stopped early (time limit, cancel, or conditions); the checkpoint resumes next time.
    Paused { round: u64, epochs_done: u32, epochs: u32 },
    /// This device already sent an update for the open round.
    AlreadyJoined { round: u64 },
}

/// Joins the enclave's open round if everything allows it (see the module's notes), training
/// on the owner's confirmed emotions. `still_allowed` is asked between batches (the shell's
/// conditions may change).
pub fn join_round(
    graph: &MemoryGraph,
    config: &OutboxConfig,
    options: &JoinOptions,
    still_allowed: &dyn Fn() -> bool,
    now_ms: i64,
) -> Result<JoinOutcome, LearnError> {
    join_round_with(graph, config, options, still_allowed, now_ms, &|round| {
        let task =
            Task::parse(&round.task).ok_or(LearnError::InvalidInput { reason: "a known task" })?;
        store::examples(graph, task, &round.labels, round.dim as usize)
    })
}

/// The examples a round trains on, for its settings.
pub type Examples<'a> = dyn Fn(&RoundConfig) -> Result<(Vec<Vec<f32>>, Vec<u32>), LearnError> + 'a;

/// [`join_round`] with the examples from `examples` (the simulation's phones bring their own
/// labelled data; everything else is the same path).
pub fn join_round_with(
    graph: &MemoryGraph,
    config: &OutboxConfig,
    options: &JoinOptions,
    still_allowed: &dyn Fn() -> bool,
    now_ms: i64,
    examples: &Examples<'_>,
) -> Result<JoinOutcome, LearnError> {
    if !options.conditions.allow_training() {
        return Err(LearnError::NotNow);
    }
    if consent::live_grant(graph, Subject::Training, Purpose::AiTraining, now_ms)
        .map_err(|_| LearnError::Storage)?
        .is_none()
    {
        return Err(LearnError::ConsentRequired);
    }
    let client = Client::new(&config.enclave_url, config.request_timeout, config.tls_roots)?;
    let doc = client.learn_round(options.task.name())?;
    let round = RoundAnnouncement::verify(&doc, &config.pinned_signers)?;
    if round.config.task != options.task.name() {
        return Err(LearnError::InvalidInput { reason: "a round of another task" });
    }
    let task = round.config.task.clone();
    if store::joined(graph, &task, round.round)? {
        return Ok(JoinOutcome::AlreadyJoined { round: round.round });
    }
    let (budget, spent) = store::budget(graph)?;
    budget.check_round(&spent, round.config.noise_multiplier)?;
    let model = client.learn_model(round.round, round.model_bytes.min(MAX_MODEL_BYTES))?;
    let global = round.open_model(&model)?;
    let (xs, ys) = examples(&round.config)?;
    // The verified global model is also the device's tagger for this task's proposals, its
    // temperature fitted to the owner's confirmed examples when there are enough of them.
    let tagger = if xs.len() >= MIN_EXAMPLES {
        let (scaled, temperature) = super::signal::calibrate(&global, &xs, &ys)?;
        let mut meta = model_metadata(&task, round.round, None);
        meta.push(("temperature", temperature.to_string()));
        scaled.to_safetensors(&meta)?
    } else {
        model
    };
    store::save_model(graph, &task, round.round, &round.config.labels, &tagger, now_ms)?;
    if xs.len() < MIN_EXAMPLES {
        return Err(LearnError::NotEnoughExamples { have: xs.len(), need: MIN_EXAMPLES });
    }
    // Resume a checkpoint of this very round and model, else start from the global model.
    let resumed = store::checkpoint(graph, &task, round.round, &round.model_sha256)?;
    let (start, epochs_done) = match &resumed {
        Some(c) => (HeadWeights::from_safetensors(&c.weights)?.0, c.epochs_done),
        None => (global.clone(), 0),
    };
    if (start.dim, start.labels) != (global.dim, global.labels) {
        return Err(LearnError::InvalidInput { reason: "a checkpoint of another shape" });
    }
    let head = TaggerHead::from_weights(&start)?;
    let deadline = Instant::now() + options.time_limit;
    let stop = || options.cancel.is_cancelled() || Instant::now() >= deadline || !still_allowed();
    let epochs = round.config.local_epochs;
    let mut on_epoch = |done: u32| {
        let weights = head.head_weights()?;
        store::save_checkpoint(
            graph,
            &task,
            round.round,
            &round.model_sha256,
            done,
            &weights,
            crate::clock::now_ms(),
        )
    };
    let done = head.train_sgd(
        &xs,
        &ys,
        (epochs_done, epochs),
        round.config.batch_size as usize,
        round.config.learning_rate,
        &stop,
        &mut on_epoch,
    )?;
    if options.cancel.is_cancelled() {
        return Err(LearnError::Cancelled);
    }
    if done < epochs {
        return Ok(JoinOutcome::Paused { round: round.round, epochs_done: done, epochs });
    }
    let local = head.head_weights()?;
    let mut delta = local.minus(&global)?.flat();
    let norm_before_clip = clip_l2(&mut delta, round.config.clip_norm)?;
    let shares = f64::from(round.config.noise_shares.max(1));
    add_gaussian_noise(
        &mut delta,
        round.config.noise_multiplier * round.config.clip_norm / shares.sqrt(),
    )?;
    let update = HeadWeights::from_flat(global.dim, global.labels, &delta)?;
    let example_count = xs.len() as u64;
    let file = update.to_safetensors(&model_metadata(&task, round.round, Some(example_count)))?;
    let sha256 = sha256_hex(&file);
    let announcement = crate::seal::canonical_json(&doc)
        .map_err(|_| LearnError::Untrusted { what: "round announcement" })?;
    let (item_id, epsilon_round, epsilon_total) = store::record_update(
        graph,
        &NewUpdate {
            task: &task,
            round: round.round,
            announcement: &announcement,
            file: &file,
            sha256: &sha256,
            example_count,
            noise_multiplier: round.config.noise_multiplier,
            noise_shares: round.config.noise_shares,
        },
        now_ms,
    )?;
    Ok(JoinOutcome::Queued {
        round: round.round,
        item_id,
        example_count,
        update_bytes: file.len() as u64,
        epsilon_round,
        epsilon_total,
        norm_before_clip,
    })
}

/// Where learning stands for the owner.
#[derive(Debug, Clone, PartialEq)]
pub struct LearnStatus {
    /// Whether a live "AI training" consent exists.
    pub consent: bool,
    pub budget_epsilon: f64,
    pub budget_delta: f64,
    /// ε spent so far (at the budget's δ) over `rounds` rounds.
    pub spent_epsilon: f64,
    pub rounds: u32,
    /// Updates this device made (see the ledger).
    pub updates: usize,
}

/// The owner's learning status.
pub fn status(graph: &MemoryGraph, now_ms: i64) -> Result<LearnStatus, LearnError> {
    let consent = consent::live_grant(graph, Subject::Training, Purpose::AiTraining, now_ms)
        .map_err(|_| LearnError::Storage)?
        .is_some();
    let (budget, spent) = store::budget(graph)?;
    Ok(LearnStatus {
        consent,
        budget_epsilon: budget.epsilon,
        budget_delta: budget.delta,
        spent_epsilon: spent.epsilon(budget.delta)?,
        rounds: spent.rounds(),
        updates: store::ledger(graph)?.len(),
    })
}

//! `heirloom learn …`: federated learning from a desktop. `status` and `ledger` read the
//! owner's store; `budget` sets their privacy ceiling; `join` takes part in the enclave's open
//! round (only with the "AI training" consent, `heirloom consent give training --purpose
//! ai_training`) and sends the sealed update; `simulate` runs a federation of simulated phones
//! through an enclave the operator token opens and prints held-out accuracy per round next to
//! central training.

use crate::args::EnclaveArgs;
use crate::output::{CliError, Output};
use clap::Subcommand;
use heirloom_core::embed::Embedder;
use heirloom_core::graph::MemoryGraph;
use heirloom_core::learn::signal::{measure_signal, Detection, Tagger};
use heirloom_core::learn::simulation::{self, Dataset, SimulationConfig};
use heirloom_core::learn::HeadWeights;
use heirloom_core::learn::{
    self, Conditions, JoinOptions, JoinOutcome, PrivacyBudget, RoundConfig, Task,
};
use heirloom_core::outbox::{CancelFlag, Outbox, Quiet};
use serde_json::json;
use std::path::PathBuf;
use std::time::{Duration, Instant};

// Parsed once per process; boxing the simulator's many flags would buy nothing.
#[allow(clippy::large_enum_variant)]
#[derive(Debug, Subcommand)]
pub enum LearnCommand {
    /// Consent, privacy budget and spending, rounds joined.
    Status,
    /// Set the privacy budget: the most ε (at δ) all contributions together may spend.
    Budget {
        #[arg(long)]
        epsilon: f64,
        #[arg(long, default_value_t = 1e-5)]
        delta: f64,
    },
    /// Join the enclave's open round: train on the confirmed emotions, queue the clipped,
    /// noised update and send it. Runs only when the device is charging and idle (say so).
    Join {
        #[command(flatten)]
        enclave: EnclaveArgs,
        /// The device is on its charger.
        #[arg(long)]
        charging: bool,
        /// Nobody is using the device.
        #[arg(long)]
        idle: bool,
        /// Stop training (with a checkpoint the next join resumes) after this many minutes.
        #[arg(long, default_value_t = 10)]
        minutes: u64,
        /// Which federation: `emotion` or `topic`.
        #[arg(long, default_value = "emotion")]
        task: String,
    },
    /// Every update this device made, with the enclave's signed contribution receipts.
    Ledger,
    /// Run a federation of simulated phones through an enclave; print accuracy per round.
    Simulate {
        #[command(flatten)]
        enclave: EnclaveArgs,
        /// The operator's token for the enclave's /v1/admin endpoints.
        #[arg(long, env = "HEIRLOOM_ENCLAVE_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: String,
        /// Labelled sentences: `split<TAB>label<TAB>sentence` (tests/fixtures/emotion_set.tsv,
        /// or topic_set.tsv with `--task topic`).
        #[arg(long)]
        data: PathBuf,
        /// What the federation learns: `emotion` (emotion kinds) or `topic` (life-event kinds).
        #[arg(long, default_value = "emotion")]
        task: String,
        /// Where the simulated phones' data directories go (a fresh temporary folder if unset).
        #[arg(long)]
        work_dir: Option<PathBuf>,
        #[arg(long, default_value_t = 20)]
        clients: usize,
        #[arg(long, default_value_t = 10)]
        rounds: u32,
        /// Examples per client.
        #[arg(long, default_value_t = 48)]
        per_client: usize,
        /// Held-out sentences used (all when unset).
        #[arg(long)]
        test_limit: Option<usize>,
        /// Share of a client's examples from its two home labels.
        #[arg(long, default_value_t = 0.8)]
        skew: f64,
        #[arg(long, default_value_t = 0.5)]
        learning_rate: f64,
        #[arg(long, default_value_t = 2)]
        local_epochs: u32,
        #[arg(long, default_value_t = 8)]
        batch_size: u32,
        #[arg(long, default_value_t = 1.0)]
        clip_norm: f64,
        #[arg(long, default_value_t = 1.0)]
        noise_multiplier: f64,
        /// Split the noise over this many clients (distributed DP; default: all of them). 1
        /// puts the whole σC on every update (local DP).
        #[arg(long)]
        noise_shares: Option<u32>,
        /// η: the enclave moves the model by η × the (momentum) step of the noised average.
        #[arg(long, default_value_t = 3.0)]
        server_learning_rate: f64,
        /// β: the enclave's step adds β × the previous round's step (FedAvgM).
        #[arg(long, default_value_t = 0.5)]
        server_momentum: f64,
        /// Also draw the accuracy per round (federated and central) into this PNG.
        #[arg(long)]
        plot: Option<PathBuf>,
        /// Folder with the MiniLM model (default: $HEIRLOOM_MODELS or the user's models folder).
        #[arg(long)]
        models_dir: Option<PathBuf>,
    },
}

impl LearnCommand {
    pub fn name(&self) -> &'static str {
        match self {
            LearnCommand::Status => "learn status",
            LearnCommand::Budget { .. } => "learn budget",
            LearnCommand::Join { .. } => "learn join",
            LearnCommand::Ledger => "learn ledger",
            LearnCommand::Simulate { .. } => "learn simulate",
        }
    }
}

/// Runs the commands that need the owner's store.
pub fn run(
    graph: &MemoryGraph,
    command: &LearnCommand,
    name: &str,
    out: &Output,
) -> Result<(), CliError> {
    let now = heirloom_core::clock::now_ms();
    match command {
        LearnCommand::Status => {
            let s = learn::status(graph, now)?;
            let data = json!({
                "consent": s.consent,
                "budget": {"epsilon": s.budget_epsilon, "delta": s.budget_delta},
                "spent_epsilon": s.spent_epsilon,
                "rounds": s.rounds,
                "updates": s.updates,
            });
            out.emit(name, &data, |_| {
                format!(
                    "AI training consent: {}\nPrivacy spent: ε = {:.3} of {:.3} (δ = {:e}) over {} round(s)",
                    if s.consent { "given" } else { "not given" },
                    s.spent_epsilon,
                    s.budget_epsilon,
                    s.budget_delta,
                    s.rounds
                )
            });
        }
        LearnCommand::Budget { epsilon, delta } => {
            learn::set_budget(graph, PrivacyBudget { epsilon: *epsilon, delta: *delta }, now)?;
            let data = json!({"epsilon": epsilon, "delta": delta});
            out.emit(name, &data, |_| {
                format!("Privacy budget set: ε = {epsilon} at δ = {delta:e}")
            });
        }
        LearnCommand::Join { enclave, charging, idle, minutes, task } => {
            let config = crate::sharing::outbox_config(enclave)?;
            let options = JoinOptions {
                task: parse_task(task)?,
                conditions: Conditions { charging: *charging, idle: *idle },
                time_limit: Duration::from_secs(minutes.saturating_mul(60)),
                ..JoinOptions::default()
            };
            let outcome = learn::join_round(graph, &config, &options, &|| true, now)?;
            // A queued update goes straight out (sealed to the enclave by the outbox).
            let sent = if matches!(outcome, JoinOutcome::Queued { .. }) {
                let outbox = Outbox::new(graph, config)?;
                let deadline = Instant::now() + Duration::from_secs(120);
                Some(outbox.run_until_idle(&Quiet, &CancelFlag::new(), deadline)?)
            } else {
                None
            };
            let data = match &outcome {
                JoinOutcome::Queued {
                    round,
                    item_id,
                    example_count,
                    update_bytes,
                    epsilon_round,
                    epsilon_total,
                    norm_before_clip,
                } => json!({
                    "state": "queued", "round": round, "outbox_item": item_id,
                    "examples": example_count, "update_bytes": update_bytes,
                    "epsilon_round": epsilon_round, "epsilon_total": epsilon_total,
                    "norm_before_clip": norm_before_clip, "sent": sent,
                }),
                JoinOutcome::Paused { round, epochs_done, epochs } => json!({
                    "state": "paused", "round": round, "epochs_done": epochs_done, "epochs": epochs,
                }),
                JoinOutcome::AlreadyJoined { round } => {
                    json!({"state": "already_joined", "round": round})
                }
            };
            out.emit(name, &data, |_| match &outcome {
                JoinOutcome::Queued { round, example_count, update_bytes, epsilon_total, .. } => format!(
                    "Round {round}: trained on {example_count} confirmed example(s); a {update_bytes}-byte \
                     clipped, noised update was sealed to the enclave{} (privacy spent in all: \
                     ε = {epsilon_total:.3})",
                    if sent.as_ref().is_some_and(|r| r.uploaded > 0) { " and sent" } else { " and waits in the outbox" }
                ),
                JoinOutcome::Paused { round, epochs_done, epochs } => {
                    format!("Round {round}: paused after {epochs_done} of {epochs} epochs; join again to resume")
                }
                JoinOutcome::AlreadyJoined { round } => format!("Round {round}: already joined"),
            });
        }
        LearnCommand::Ledger => {
            let ledger = learn::ledger(graph)?;
            out.emit(name, &ledger, |entries| {
                if entries.is_empty() {
                    return "No contributions yet.".into();
                }
                entries
                    .iter()
                    .map(|e| {
                        format!(
                            "round {} ({}): {} examples, update {}…, ε {:.3} (total {:.3}), {}{}",
                            e.round,
                            e.task,
                            e.example_count,
                            &e.update_sha256[..12.min(e.update_sha256.len())],
                            e.epsilon_round,
                            e.epsilon_total,
                            e.state,
                            if e.receipt.is_some() { ", receipt held" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        LearnCommand::Simulate { .. } => {} // see `simulate`: no owner's store
    }
    Ok(())
}

/// Reads `split<TAB>label<TAB>sentence` lines; labels must be the task's kinds.
fn read_set(path: &PathBuf, labels: &[String]) -> Result<Vec<(bool, u32, String)>, CliError> {
    let text = std::fs::read_to_string(path)
        .map_err(|e| CliError::Input(format!("cannot read the labelled set ({})", e.kind())))?;
    let mut rows = Vec::new();
    for (n, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let mut parts = line.splitn(3, '\t');
        let (Some(split), Some(label), Some(sentence)) = (parts.next(), parts.next(), parts.next())
        else {
            return Err(CliError::Input(format!(
                "line {}: expected three tab-separated fields",
                n + 1
            )));
        };
        let label = labels
            .iter()
            .position(|l| l == label)
            .ok_or_else(|| CliError::Input(format!("line {}: not a label of the task", n + 1)))?;
        rows.push((split == "test", label as u32, sentence.to_owned()));
    }
    Ok(rows)
}

/// `learn simulate`.
pub fn simulate(command: &LearnCommand, name: &str, out: &Output) -> Result<(), CliError> {
    let LearnCommand::Simulate {
        enclave,
        admin_token,
        data,
        task,
        work_dir,
        clients,
        rounds,
        per_client,
        test_limit,
        skew,
        learning_rate,
        local_epochs,
        batch_size,
        clip_norm,
        noise_multiplier,
        noise_shares,
        server_learning_rate,
        server_momentum,
        plot,
        models_dir,
    } = command
    else {
        return Ok(());
    };
    let task = parse_task(task)?;
    // A plot that cannot be written fails now, not after the whole federation has run.
    if let Some(path) = plot {
        let parent = path.parent().filter(|p| !p.as_os_str().is_empty());
        if parent.is_some_and(|p| !p.is_dir()) {
            return Err(CliError::Input("the plot's folder does not exist".into()));
        }
    }
    let labels = task.labels();
    let rows = read_set(data, &labels)?;
    let models = crate::understand::models_dir(models_dir.as_ref());
    let embedder = Embedder::load(&Embedder::default_dir(&models))
        .map_err(|e| CliError::Input(format!("the MiniLM model is needed: {e}")))?;
    // Embed what is used: the clients' pool (every training sentence) and the held-out set.
    let test_rows: Vec<&(bool, u32, String)> =
        rows.iter().filter(|r| r.0).take(test_limit.unwrap_or(usize::MAX)).collect();
    let train_rows: Vec<&(bool, u32, String)> = rows.iter().filter(|r| !r.0).collect();
    let embed = |set: &[&(bool, u32, String)]| -> Result<Vec<(Vec<f32>, u32)>, CliError> {
        let mut out = Vec::with_capacity(set.len());
        for chunk in set.chunks(32) {
            let texts: Vec<&str> = chunk.iter().map(|r| r.2.as_str()).collect();
            let vectors = embedder
                .embed(&texts)
                .map_err(|e| CliError::Input(format!("embedding failed: {e}")))?;
            out.extend(vectors.into_iter().zip(chunk.iter().map(|r| r.1)));
        }
        Ok(out)
    };
    // Only as much of the pool as the clients can use.
    let needed = (clients * per_client).min(train_rows.len());
    let dataset = Dataset { train: embed(&train_rows[..needed])?, test: embed(&test_rows)? };
    let config = crate::sharing::outbox_config(enclave)?;
    let sim = SimulationConfig {
        clients: *clients,
        rounds: *rounds,
        per_client: *per_client,
        skew: *skew,
        round: RoundConfig {
            task: task.name().into(),
            labels,
            dim: embedder.dimension() as u32,
            learning_rate: *learning_rate,
            local_epochs: *local_epochs,
            batch_size: *batch_size,
            clip_norm: *clip_norm,
            noise_multiplier: *noise_multiplier,
            noise_shares: noise_shares.unwrap_or(*clients as u32),
            min_clients: (*clients).min(u32::MAX as usize) as u32,
            server_learning_rate: *server_learning_rate,
            server_momentum: *server_momentum,
        },
        admin_token: admin_token.clone(),
    };
    let scratch;
    let dir = match work_dir {
        Some(d) => d.clone(),
        None => {
            scratch = tempfile::tempdir()
                .map_err(|e| CliError::Input(format!("no temporary folder ({})", e.kind())))?;
            scratch.path().to_path_buf()
        }
    };
    let human = !out.is_json();
    if human {
        println!("round  clients  examples  federated  centralised  update bytes  ε per client");
    }
    let outcome = simulation::run(&dir, &config, &dataset, &sim, &mut |r| {
        if human {
            println!(
                "{:>5}  {:>7}  {:>8}  {:>9.3}  {:>11.3}  {:>12}  {:>12.2}",
                r.round,
                r.clients,
                r.examples,
                r.federated_accuracy,
                r.centralised_accuracy,
                r.update_bytes,
                r.epsilon_per_client
            );
        }
    })?;
    let reports = &outcome.rounds;
    if let Some(path) = plot {
        let federated: Vec<f64> = reports.iter().map(|r| r.federated_accuracy).collect();
        let central: Vec<f64> = reports.iter().map(|r| r.centralised_accuracy).collect();
        let legend = format!(
            "Held-out accuracy (0 to 1, a line every 0.1) over rounds 1–{}: federated, {} clients (blue); central (grey); chance (dashed)",
            reports.len(),
            clients
        );
        crate::plot::accuracy_png(
            path,
            &[
                crate::plot::Curve { accuracy: &federated, colour: crate::plot::FEDERATED },
                crate::plot::Curve { accuracy: &central, colour: crate::plot::CENTRAL },
            ],
            1.0 / dataset_labels(&dataset) as f64,
            &legend,
            &models,
        )?;
    }
    // The tagger as a signal for extraction, on the held-out sentences: the rules alone, then
    // with the federated model, then with the centrally trained head filling in.
    let extractor = heirloom_core::extract::Extractor::load(
        &heirloom_core::extract::Extractor::default_dir(&models),
    )
    .unwrap_or_else(|_| heirloom_core::extract::Extractor::without_lexicon());
    let held: Vec<(&str, &[f32], &str)> = test_rows
        .iter()
        .zip(&dataset.test)
        .map(|(row, (v, _))| {
            (row.2.as_str(), v.as_slice(), sim.round.labels[row.1 as usize].as_str())
        })
        .collect();
    let signal = |weights: &HeadWeights| -> Result<(Detection, Detection), CliError> {
        let tagger = Tagger::new(task, weights.clone(), sim.round.labels.clone())?;
        Ok(measure_signal(&extractor, &tagger, &held))
    };
    let (rules, with_federated) = signal(&outcome.global)?;
    let (_, with_calibrated) = signal(&outcome.device_tagger)?;
    let (_, with_central) = signal(&outcome.central)?;
    let detection = |d: &Detection| json!({"recall": d.recall(), "precision": d.precision(), "hits": d.hits, "false_alarms": d.false_alarms});
    if human {
        println!(
            "{} detection on {} held-out sentences (recall / precision):",
            task.entity_kind().as_str(),
            held.len()
        );
        let calibrated = format!("  … calibrated (T = {:.2})", outcome.temperature);
        for (name, d) in [
            ("rules alone", &rules),
            ("rules + federated tagger", &with_federated),
            (calibrated.as_str(), &with_calibrated),
            ("rules + central tagger", &with_central),
        ] {
            println!("  {name:<26} {:.3} / {:.3}", d.recall(), d.precision());
        }
    }
    let data = json!({
        "extraction": {
            "rules": detection(&rules),
            "rules_with_federated_tagger": detection(&with_federated),
            "rules_with_calibrated_federated_tagger": detection(&with_calibrated),
            "temperature": outcome.temperature,
            "rules_with_central_tagger": detection(&with_central),
        },
        "task": sim.round.task,
        "clients": clients,
        "per_client": per_client,
        "held_out": dataset.test.len(),
        "noise_multiplier": noise_multiplier,
        "noise_shares": noise_shares.unwrap_or(*clients as u32),
        "clip_norm": clip_norm,
        "server_learning_rate": server_learning_rate,
        "server_momentum": server_momentum,
        "rounds": reports.iter().map(|r| json!({
            "round": r.round,
            "clients": r.clients,
            "examples": r.examples,
            "federated_accuracy": r.federated_accuracy,
            "centralised_accuracy": r.centralised_accuracy,
            "update_bytes": r.update_bytes,
            "epsilon_per_client": r.epsilon_per_client,
        })).collect::<Vec<_>>(),
    });
    if !human {
        out.emit(name, &data, |_| String::new());
    }
    Ok(())
}

/// How many distinct labels the held-out set has (chance is one over it).
fn dataset_labels(data: &Dataset) -> usize {
    let mut labels: Vec<u32> = data.test.iter().map(|(_, y)| *y).collect();
    labels.sort_unstable();
    labels.dedup();
    labels.len().max(1)
}

/// `--task emotion|topic`.
fn parse_task(task: &str) -> Result<Task, CliError> {
    match task {
        "emotion" => Ok(Task::Emotion),
        "topic" => Ok(Task::Topic),
        _ => Err(CliError::Input("--task is emotion or topic".into())),
    }
}

//! Learning sub-object: federated learning on the device. The shell says when the device is
//! charging and idle (asked again between training batches); joining needs the owner's "AI
//! training" consent (`Consent.giveTraining`) and room in their privacy budget; the update
//! waits in the outbox, sealed to the enclave when `Outbox.run` sends it.

use crate::outbox::outbox_config;
use crate::session::Session;
use crate::sharing_types::EnclaveConfig;
use crate::speech::CancelHandle;
use crate::ApiError;
use heirloom_core::learn::{
    self, Conditions, JoinOptions, JoinOutcome, LedgerEntry, PrivacyBudget,
};
use heirloom_core::outbox::OutboxConfig;
use std::sync::Arc;
use std::time::Duration;

/// What the shell knows about the device: training runs only while both hold.
#[uniffi::export(with_foreign)]
pub trait DeviceConditions: Send + Sync {
    fn is_charging(&self) -> bool;
    fn is_idle(&self) -> bool;
}

/// What a federation learns: each has its own rounds.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum TrainingTask {
    /// The emotion a segment tells of, from the emotions the owner confirmed.
    Emotion,
    /// Its topic (the kind of life event), from the events the owner confirmed.
    Topic,
}

impl From<TrainingTask> for learn::Task {
    fn from(t: TrainingTask) -> Self {
        match t {
            TrainingTask::Emotion => learn::Task::Emotion,
            TrainingTask::Topic => learn::Task::Topic,
        }
    }
}

/// Where learning stands for the owner.
#[derive(Debug, Clone, uniffi::Record)]
pub struct TrainingStatus {
    /// A live "AI training" consent exists.
    pub consent: bool,
    pub budget_epsilon: f64,
    pub budget_delta: f64,
    /// ε spent so far, at the budget's δ.
    pub spent_epsilon: f64,
    pub rounds: u32,
    pub updates: u32,
}

/// How joining a round ended.
#[derive(Debug, Clone, uniffi::Enum)]
pub enum RoundOutcome {
    /// The update waits in the outbox as item `item_id`.
    Queued {
        round: u64,
        item_id: i64,
        example_count: u64,
        update_bytes: u64,
        epsilon_round: f64,
        epsilon_total: f64,
    },
    /// Stopped early (time limit, cancel, or the device stopped charging or being idle); the
    /// next `joinRound` resumes.
    Paused { round: u64, epochs_done: u32, epochs: u32 },
    /// This device already sent its update for the open round.
    AlreadyJoined { round: u64 },
}

impl From<JoinOutcome> for RoundOutcome {
    fn from(outcome: JoinOutcome) -> Self {
        match outcome {
            JoinOutcome::Queued {
                round,
                item_id,
                example_count,
                update_bytes,
                epsilon_round,
                epsilon_total,
                ..
            } => Self::Queued {
                round,
                item_id,
                example_count,
                update_bytes,
                epsilon_round,
                epsilon_total,
            },
            JoinOutcome::Paused { round, epochs_done, epochs } => {
                Self::Paused { round, epochs_done, epochs }
            }
            JoinOutcome::AlreadyJoined { round } => Self::AlreadyJoined { round },
        }
    }
}

/// One line of the contribution ledger.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ContributionEntry {
    pub task: String,
    pub round: u64,
    pub update_sha256: String,
    pub update_bytes: u64,
    pub example_count: u64,
    pub epsilon_round: f64,
    pub epsilon_total: f64,
    pub epsilon_update: f64,
    pub created_ms: i64,
    /// The outbox item's state: queued, sealed, uploaded, cancelled, failed, erased.
    pub state: String,
    /// The enclave's signed receipt recording the contribution (canonical JSON), once held.
    pub receipt_json: Option<String>,
}

impl From<LedgerEntry> for ContributionEntry {
    fn from(e: LedgerEntry) -> Self {
        Self {
            receipt_json: e
                .receipt
                .as_ref()
                .and_then(|r| heirloom_core::seal::canonical_json(r).ok()),
            task: e.task,
            round: e.round,
            update_sha256: e.update_sha256,
            update_bytes: e.update_bytes,
            example_count: e.example_count,
            epsilon_round: e.epsilon_round,
            epsilon_total: e.epsilon_total,
            epsilon_update: e.epsilon_update,
            created_ms: e.created_ms,
            state: e.state,
        }
    }
}

/// Federated learning for the owner's store.
#[derive(Debug, uniffi::Object)]
pub struct Learning {
    session: Arc<Session>,
    config: OutboxConfig,
}

impl Learning {
    pub(crate) fn new(session: Arc<Session>, enclave: EnclaveConfig) -> Result<Self, ApiError> {
        Ok(Self { session, config: outbox_config(enclave)? })
    }
}

#[uniffi::export]
impl Learning {
    pub fn status(&self) -> Result<TrainingStatus, ApiError> {
        let s = self.session.with(|g| learn::status(g, heirloom_core::clock::now_ms()))?;
        Ok(TrainingStatus {
            consent: s.consent,
            budget_epsilon: s.budget_epsilon,
            budget_delta: s.budget_delta,
            spent_epsilon: s.spent_epsilon,
            rounds: s.rounds,
            updates: s.updates as u32,
        })
    }

    /// The most ε (at δ) all the owner's contributions together may spend.
    pub fn set_budget(&self, epsilon: f64, delta: f64) -> Result<(), ApiError> {
        self.session.with(|g| {
            learn::set_budget(g, PrivacyBudget { epsilon, delta }, heirloom_core::clock::now_ms())
        })
    }

    /// Joins the open round of `task`'s federation (see the module's notes): refuses without
    /// consent (`ConsentRequired`), when the device is not charging and idle, or beyond the
    /// budget; trains for at most `time_limit_ms`; `cancel` stops it. Every round joined, of
    /// either task, spends from the one privacy budget.
    pub fn join_round(
        &self,
        task: TrainingTask,
        device: Arc<dyn DeviceConditions>,
        cancel: Arc<CancelHandle>,
        time_limit_ms: u64,
    ) -> Result<RoundOutcome, ApiError> {
        let options = JoinOptions {
            task: task.into(),
            conditions: Conditions { charging: device.is_charging(), idle: device.is_idle() },
            time_limit: Duration::from_millis(time_limit_ms),
            cancel: cancel.token().clone(),
        };
        let still = || device.is_charging() && device.is_idle();
        let outcome = self.session.with(|g| {
            learn::join_round(g, &self.config, &options, &still, heirloom_core::clock::now_ms())
        })?;
        Ok(outcome.into())
    }

    /// Every update this device made, oldest first.
    pub fn ledger(&self) -> Result<Vec<ContributionEntry>, ApiError> {
        self.session.with(learn::ledger).map(|l| l.into_iter().map(Into::into).collect())
    }

    /// The ledger as a JSON array (with the signed receipts), for the owner to keep or share.
    pub fn export_ledger(&self) -> Result<String, ApiError> {
        let ledger = self.session.with(learn::ledger)?;
        serde_json::to_string_pretty(&ledger)
            .map_err(|_| ApiError::Internal { reason: "ledger encoding".into() })
    }
}

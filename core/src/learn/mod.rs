//! Federated learning on the device (issue 8): a small model trains on the owner's confirmed
//! facts, and only a clipped, noised update leaves, sealed to the enclave, with the owner's
//! "AI training" consent.
//!
//! - `head`: the model, a linear tagging head over the stored sentence embeddings (candle); one
//!   per task (`protocol::Task`: emotions, or topics as life-event kinds).
//! - `model`: its weights as plain numbers, safetensors files, weight differences and FedAvg
//!   (shared with the enclave, which has no candle).
//! - `privacy`: clipping to an L2 bound, Gaussian noise from the OS CSPRNG, a Rényi-DP
//!   accountant and the owner's budget.
//! - `protocol`: the enclave's signed round announcement, update metadata, contributions.
//! - `join`: the phone's side of a round, gated by consent, budget and device conditions.
//! - `store`: budget, updates, checkpoint, labelled examples and the contribution ledger.
//! - `signal`: the learned taggers' confident guesses as emotion and event proposals after
//!   extraction (calibrated on the owner's facts), and how much they add to the rules on
//!   labelled sentences.
//! - `simulation`: a federation of simulated phones through a real enclave, with accuracy
//!   curves next to central training.

mod head;
mod join;
mod model;
mod privacy;
pub mod protocol;
pub mod signal;
pub mod simulation;
mod store;

pub use head::TaggerHead;
pub use join::{
    join_round, status, Conditions, JoinOptions, JoinOutcome, LearnStatus, MIN_EXAMPLES,
};
pub use model::{aggregate_round, HeadWeights, RoundAggregate};
pub use privacy::{
    add_gaussian_noise, clip_l2, l2_norm, top_up_noise_std, PrivacyBudget, RdpAccountant,
    RDP_ORDERS,
};
pub use protocol::{Contribution, RoundAnnouncement, RoundConfig, Task};
pub use store::{budget, examples, ledger, set_budget, LedgerEntry, DEFAULT_BUDGET, MAX_EXAMPLES};
pub(crate) use store::{contribution_matches, write_update};

/// What went wrong in learning. Never carries the owner's data.
#[derive(Debug, thiserror::Error)]
pub enum LearnError {
    /// A parameter broke a rule; `reason` says which.
    #[error("invalid input: {reason}")]
    InvalidInput { reason: &'static str },
    /// Joining would spend more privacy than the owner allowed.
    #[error("the privacy budget would be exceeded (ε {would_be:.3} > {budget:.3})")]
    BudgetExceeded { would_be: f64, budget: f64 },
    #[error("no system randomness")]
    Randomness,
    /// The model failed (candle); `what` names the part, never the data.
    #[error("model failure: {what}")]
    Model { what: &'static str },
    /// Training was cancelled.
    #[error("cancelled")]
    Cancelled,
    /// The owner has not consented to contributing to AI training (or withdrew it).
    #[error("no consent to contribute to AI training")]
    ConsentRequired,
    /// The shell says the device is not charging and idle.
    #[error("training waits until the device is charging and idle")]
    NotNow,
    #[error("too few confirmed examples to train on ({have} of {need})")]
    NotEnoughExamples { have: usize, need: usize },
    /// This device already contributed to that round.
    #[error("already joined round {round}")]
    AlreadyJoined { round: u64 },
    /// A signature or hash did not check out: `what` names the document.
    #[error("{what} is not signed by the enclave or was altered")]
    Untrusted { what: &'static str },
    #[error("learning storage failed")]
    Storage,
    /// Reaching the enclave failed (see the outbox error).
    #[error(transparent)]
    Outbox(#[from] crate::outbox::OutboxError),
}

#[cfg(test)]
mod tests;

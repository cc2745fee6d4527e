//! Federated learning on the device (issue 8): a small model trains on the owner's confirmed
//! facts, and only a clipped, noised update leaves, sealed to the enclave, with the owner's
//! "AI training" consent. Built so far: the privacy side — clipping an update to an L2 bound,
//! Gaussian noise from the operating system's CSPRNG, and a Rényi-DP accountant that says what
//! each round costs in (ε, δ) and refuses rounds beyond the owner's budget; and the model, a
//! linear tagging head over sentence embeddings trained with candle. The round protocol, the
//! labelled data and the simulation follow.

mod head;
mod privacy;

pub use head::TaggerHead;
pub use privacy::{add_gaussian_noise, clip_l2, l2_norm, PrivacyBudget, RdpAccountant, RDP_ORDERS};

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
}

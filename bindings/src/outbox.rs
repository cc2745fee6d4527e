//! Outbox sub-object: queue a consented memory, send with progress and a cancel handle, pause on
//! metered networks, and the receipts that prove what left and what was erased.

use crate::session::Session;
use crate::sharing_types::{EnclaveConfig, OutboxEntry, OutboxRun, UploadProof};
use crate::speech::CancelHandle;
use crate::ApiError;
use heirloom_core::consent::{Purpose, Subject};
use heirloom_core::outbox::{self, ErasureStatus, ItemState, OutboxConfig, OutboxListener};
use heirloom_core::seal::VerifyingKey;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// Hears an outbox run. Called on the thread that runs it.
#[uniffi::export(with_foreign)]
pub trait OutboxProgress: Send + Sync {
    /// `acked` of `total` sealed bytes of `item_id` are acknowledged by the store.
    fn on_progress(&self, item_id: i64, acked: u64, total: u64);
    /// `item_id` moved to `state`.
    fn on_state(&self, item_id: i64, state: ItemState);
}

struct Forward(Arc<dyn OutboxProgress>);

impl OutboxListener for Forward {
    fn on_progress(&self, item: i64, acked: u64, total: u64) {
        self.0.on_progress(item, acked, total);
    }
    fn on_state(&self, item: i64, state: ItemState) {
        self.0.on_state(item, state);
    }
}

/// The uploads queue.
#[derive(Debug, uniffi::Object)]
pub struct Outbox {
    session: Arc<Session>,
    config: OutboxConfig,
}

/// The core's outbox settings for `enclave` (its signing keys pinned).
pub(crate) fn outbox_config(enclave: EnclaveConfig) -> Result<OutboxConfig, ApiError> {
    let pinned = enclave
        .pinned_signers
        .iter()
        .map(|k| k.parse::<VerifyingKey>())
        .collect::<Result<Vec<_>, _>>()?;
    let mut config = OutboxConfig::new(enclave.url, pinned);
    if enclave.part_bytes > 0 {
        config.part_bytes = enclave.part_bytes;
    }
    Ok(config)
}

impl Outbox {
    pub(crate) fn new(session: Arc<Session>, enclave: EnclaveConfig) -> Result<Self, ApiError> {
        Ok(Self { session, config: outbox_config(enclave)? })
    }
}

#[uniffi::export]
impl Outbox {
    /// Queues a memory for a purpose it has a live consent for (else `ConsentRequired`).
    pub fn enqueue(&self, memory_id: i64, purpose: Purpose) -> Result<OutboxEntry, ApiError> {
        self.session
            .with(|g| {
                outbox::enqueue(
                    g,
                    Subject::Memory(memory_id),
                    purpose,
                    heirloom_core::clock::now_ms(),
                )
            })
            .map(Into::into)
    }

    /// Every item, newest first.
    pub fn entries(&self) -> Result<Vec<OutboxEntry>, ApiError> {
        self.session.with(outbox::items).map(|l| l.into_iter().map(Into::into).collect())
    }

    /// Holds every upload (metered network) or releases them. Survives restarts.
    pub fn set_paused(&self, paused: bool) -> Result<(), ApiError> {
        self.session.with(|g| outbox::set_paused(g, paused))
    }

    pub fn is_paused(&self) -> Result<bool, ApiError> {
        self.session.with(outbox::is_paused)
    }

    /// Sends what is due — sealing, parts, completion, erasures — waiting for retries, until
    /// nothing is left, `timeout_ms` passes, the outbox is paused, or `cancel` is used.
    pub fn run(
        &self,
        progress: Arc<dyn OutboxProgress>,
        cancel: Arc<CancelHandle>,
        timeout_ms: u64,
    ) -> Result<OutboxRun, ApiError> {
        let forward = Forward(progress);
        let deadline = Instant::now() + Duration::from_millis(timeout_ms);
        self.session
            .with(|g| {
                outbox::Outbox::new(g, self.config.clone())?.run_until_idle(
                    &forward,
                    cancel.token(),
                    deadline,
                )
            })
            .map(Into::into)
    }

    /// Every erasure request, newest first: pending (and when it is next tried), done, or
    /// refused by the enclave (`Failed`, see `retry_erasure`).
    pub fn erasures(&self) -> Result<Vec<ErasureStatus>, ApiError> {
        self.session.with(outbox::erasures)
    }

    /// Sends a refused erasure request again on the next run; false if it was not refused.
    pub fn retry_erasure(&self, id: i64) -> Result<bool, ApiError> {
        self.session.with(|g| outbox::retry_erasure(g, id, heirloom_core::clock::now_ms()))
    }

    /// Every upload receipt held, with its erasure receipt when there is one.
    pub fn receipts(&self) -> Result<Vec<UploadProof>, ApiError> {
        self.session
            .with(|g| outbox::Outbox::new(g, self.config.clone())?.receipts())
            .map(|l| l.into_iter().map(Into::into).collect())
    }
}

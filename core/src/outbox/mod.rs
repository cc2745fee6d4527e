//! The outbox: a durable queue of what may leave the device. Each item needs a live consent for
//! its purpose; it is sealed once to the enclave's verified key and kept sealed on disk; its
//! parts go to S3-compatible storage through presigned URLs the enclave issues (the phone never
//! holds storage credentials); acknowledged parts are never sent again; retries back off
//! exponentially with jitter and never duplicate (the upload id is the idempotency key and the
//! object key); a pause flag holds everything on metered networks; the state is right after a
//! kill at any point. The enclave's signed upload and erasure receipts are verified and kept.

pub(crate) mod client;
mod export;
pub mod protocol;
mod run;
mod share;
pub(crate) mod store;

pub use export::{export_media, export_memory, export_memory_for_family, EXPORT_FORMAT};
pub use protocol::{ErasureReceipt, ShareManifest, UploadReceipt, SHARE_MANIFEST_FORMAT};
pub use run::RunReport;
pub use share::{
    list_entries, read_share, receive_share, share_manifest, ReceiveConfig, ReceivedShare,
    MAX_SHARE_BYTES,
};

use crate::consent::{self, ConsentError, ConsentReceipt, Purpose, Subject};
use crate::graph::{GraphError, MemoryGraph};
use crate::seal::{SealError, VerifyingKey};
use serde::Serialize;
use std::path::PathBuf;
use std::time::Duration;

/// Errors from the outbox.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    /// No live consent for this item and purpose: nothing is queued or sent.
    #[error("no live consent for {purpose:?} on that item")]
    ConsentRequired { purpose: Purpose },
    /// The network or the service failed; `retryable` says whether trying again may help.
    /// `kind` is a stable word ("timeout", "http 503", or the enclave's error kind).
    #[error("network: {kind}")]
    Network { retryable: bool, kind: String, status: Option<u16> },
    /// The enclave's key bundle or a receipt failed its checks.
    #[error("enclave refused: {0}")]
    Enclave(SealError),
    /// A receipt that does not match what was sent.
    #[error("receipt does not match the upload: {what}")]
    ReceiptMismatch { what: &'static str },
    #[error("outbox item {id} not found")]
    NotFound { id: i64 },
    #[error("local file error while trying to {op}: {kind}")]
    Io { op: &'static str, kind: std::io::ErrorKind },
    #[error("cancelled")]
    Cancelled,
    /// The request cannot be done this way.
    #[error("refused: {reason}")]
    Refused { reason: &'static str },
    #[error("internal error: {what}")]
    Internal { what: &'static str },
    #[error(transparent)]
    Seal(#[from] SealError),
    #[error(transparent)]
    Consent(#[from] ConsentError),
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl OutboxError {
    pub(crate) fn io(op: &'static str, e: &std::io::Error) -> Self {
        Self::Io { op, kind: e.kind() }
    }

    /// Whether trying again later may succeed.
    pub fn is_retryable(&self) -> bool {
        matches!(self, OutboxError::Network { retryable: true, .. } | OutboxError::Io { .. })
    }

    /// A stable word for the item's `last_error`.
    pub(crate) fn kind(&self) -> String {
        match self {
            OutboxError::Network { kind, .. } => kind.clone(),
            OutboxError::ConsentRequired { .. } => "consent required".into(),
            OutboxError::Enclave(_) => "enclave refused".into(),
            OutboxError::ReceiptMismatch { .. } => "receipt mismatch".into(),
            OutboxError::Io { .. } => "local file".into(),
            _ => "internal".into(),
        }
    }
}

impl From<crate::store::StoreError> for OutboxError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Graph(e.into())
    }
}

impl From<rusqlite::Error> for OutboxError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Graph(e.into())
    }
}

/// Where an item is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ItemState {
    /// Waiting to be sealed.
    Queued,
    /// Sealed on disk; parts going up.
    Sealed,
    /// The enclave accepted it; its receipt is kept.
    Uploaded,
    /// Consent was withdrawn before it finished; nothing more is sent.
    Cancelled,
    /// The enclave refused it for good (see `last_error`); the item's data is still on the device.
    Failed,
    /// Withdrawn after upload; the enclave's erasure receipt is kept.
    Erased,
}

impl ItemState {
    fn parse(text: &str) -> ItemState {
        match text {
            "sealed" => ItemState::Sealed,
            "uploaded" => ItemState::Uploaded,
            "cancelled" => ItemState::Cancelled,
            "failed" => ItemState::Failed,
            "erased" => ItemState::Erased,
            _ => ItemState::Queued,
        }
    }
}

/// One thing to send, and how far it got.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OutboxItem {
    pub id: i64,
    pub upload_id: String,
    pub subject: Subject,
    pub purpose: Purpose,
    pub consent_receipt_id: String,
    pub state: ItemState,
    pub sealed_bytes: Option<u64>,
    /// Bytes the store has acknowledged.
    pub acked_bytes: u64,
    pub attempts: u32,
    pub next_attempt_at_ms: i64,
    pub last_error: Option<String>,
    pub created_at_ms: i64,
}

/// A receipt the outbox holds: what left, when, under which consent — and proof of erasure.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HeldReceipt {
    pub item_id: i64,
    pub subject: Subject,
    pub upload: UploadReceipt,
    /// The signed document as received.
    pub upload_document: serde_json::Value,
    pub erasure: Option<ErasureReceipt>,
    pub erasure_document: Option<serde_json::Value>,
}

/// Where an erasure request stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ErasureState {
    /// Waiting to be sent, or to be retried (see `next_attempt_at_ms`).
    Pending,
    /// The enclave erased and its signed receipt is held.
    Done,
    /// The enclave refused it for good (see `last_error`); [`Outbox::retry_erasure`] tries again.
    Failed,
}

/// An erasure request queued by a revocation, as the app shows it: "erasure asked for on …,
/// waiting for the network" or "refused: …".
#[derive(Debug, Clone, Serialize)]
pub struct ErasureStatus {
    pub id: i64,
    /// The grant that was revoked, and the revocation.
    pub consent_receipt_id: String,
    pub revocation_receipt_id: String,
    pub state: ErasureState,
    pub attempts: u32,
    /// When a pending request is next tried.
    pub next_attempt_at_ms: i64,
    /// The kind of the last failure (never user content).
    pub last_error: Option<String>,
    pub created_at_ms: i64,
    pub updated_at_ms: i64,
}

/// How to reach the enclave and how hard to try.
#[derive(Debug, Clone)]
pub struct OutboxConfig {
    /// The enclave service, e.g. `https://enclave.heirloom.example` (`http://127.0.0.1:…` in tests).
    pub enclave_url: String,
    /// The enclave's Ed25519 signing keys the app trusts (the bundle's and receipts' signer).
    pub pinned_signers: Vec<VerifyingKey>,
    /// Part size for every part but the last; at least [`MIN_PART_BYTES`] (S3's minimum).
    pub part_bytes: u64,
    pub request_timeout: Duration,
    /// First retry delay; doubles per attempt up to `backoff_cap`, with jitter.
    pub backoff_base: Duration,
    pub backoff_cap: Duration,
    /// Which certificate authorities HTTPS trusts.
    pub tls_roots: TlsRoots,
}

/// Where the outbox's HTTPS trust comes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TlsRoots {
    /// The operating system's verifier and trust store (`rustls-platform-verifier`): the
    /// default on iOS, macOS, Windows and Linux.
    Platform,
    /// Mozilla's root set compiled into the library (`webpki-root-certs`). The default on
    /// Android, where the platform verifier needs a JNI initialisation with an Android
    /// `Context` and its own Kotlin classes before first use; bundled roots need neither.
    Bundled,
}

impl Default for TlsRoots {
    fn default() -> Self {
        if cfg!(target_os = "android") {
            TlsRoots::Bundled
        } else {
            TlsRoots::Platform
        }
    }
}

impl OutboxConfig {
    /// Production defaults for an enclave at `enclave_url`.
    pub fn new(enclave_url: impl Into<String>, pinned_signers: Vec<VerifyingKey>) -> Self {
        Self {
            enclave_url: enclave_url.into(),
            pinned_signers,
            part_bytes: 8 * 1024 * 1024,
            request_timeout: Duration::from_secs(60),
            backoff_base: Duration::from_secs(1),
            backoff_cap: Duration::from_secs(300),
            tls_roots: TlsRoots::default(),
        }
    }
}

/// Progress and state changes, for a progress bar; called on the outbox's thread.
pub trait OutboxListener: Send + Sync {
    /// `acked` of `total` sealed bytes of `item` are acknowledged by the store.
    fn on_progress(&self, item: i64, acked: u64, total: u64) {
        let _ = (item, acked, total);
    }
    /// `item` moved to `state`.
    fn on_state(&self, item: i64, state: ItemState) {
        let _ = (item, state);
    }
}

/// A listener that ignores everything.
#[derive(Debug, Clone, Copy, Default)]
pub struct Quiet;

impl OutboxListener for Quiet {}

/// Stops a run between requests: the same cancel token transcription uses.
pub use crate::speech::CancelToken as CancelFlag;

/// The outbox of one memory graph. One runner at a time per data directory (the app's
/// background task); several `Outbox` values may read its state.
#[derive(Debug)]
pub struct Outbox<'g> {
    graph: &'g MemoryGraph,
    config: OutboxConfig,
    client: client::Client,
}

/// S3's smallest part (every part but the last): smaller configured parts are raised to it.
pub const MIN_PART_BYTES: u64 = 5 * 1024 * 1024;

/// Folder of the data directory that sealed files wait in.
pub const OUTBOX_DIR: &str = "outbox";

fn outbox_dir(graph: &MemoryGraph) -> PathBuf {
    graph.data_dir().join(OUTBOX_DIR)
}

impl<'g> Outbox<'g> {
    pub fn new(graph: &'g MemoryGraph, config: OutboxConfig) -> Result<Self, OutboxError> {
        let client =
            client::Client::new(&config.enclave_url, config.request_timeout, config.tls_roots)?;
        Ok(Self { graph, config, client })
    }

    /// Queues `subject` for `purpose`, which needs a live consent. An item already waiting for
    /// the same subject and purpose is returned instead of a second one.
    pub fn enqueue(
        &self,
        subject: Subject,
        purpose: Purpose,
        now_ms: i64,
    ) -> Result<OutboxItem, OutboxError> {
        enqueue(self.graph, subject, purpose, now_ms)
    }

    /// Holds (or releases) every upload, e.g. on a metered network. Survives restarts.
    pub fn set_paused(&self, paused: bool) -> Result<(), OutboxError> {
        set_paused(self.graph, paused)
    }

    pub fn is_paused(&self) -> Result<bool, OutboxError> {
        is_paused(self.graph)
    }

    /// Every item, newest first.
    pub fn items(&self) -> Result<Vec<OutboxItem>, OutboxError> {
        items(self.graph)
    }

    /// Every upload receipt held, with its erasure receipt when there is one; each re-verified
    /// against the pinned keys as it is read.
    pub fn receipts(&self) -> Result<Vec<HeldReceipt>, OutboxError> {
        store::receipts(self.graph, &self.config.pinned_signers)
    }

    /// Every erasure request, newest first, with its state.
    pub fn erasures(&self) -> Result<Vec<ErasureStatus>, OutboxError> {
        erasures(self.graph)
    }

    /// Puts a failed erasure request back in the queue, due now. Returns whether it was failed.
    pub fn retry_erasure(&self, id: i64, now_ms: i64) -> Result<bool, OutboxError> {
        retry_erasure(self.graph, id, now_ms)
    }

    /// One pass: seals what is queued, sends every due part, completes uploads, sends due
    /// erasure requests. Failures are recorded on their items with the next attempt time.
    pub fn run_once(
        &self,
        listener: &dyn OutboxListener,
        cancel: &CancelFlag,
        now_ms: i64,
    ) -> Result<RunReport, OutboxError> {
        run::run_once(self, listener, cancel, now_ms)
    }

    /// Runs passes until nothing is left to do, waiting for retries in between, or until
    /// `deadline` passes, the outbox is paused, or `cancel` is set.
    pub fn run_until_idle(
        &self,
        listener: &dyn OutboxListener,
        cancel: &CancelFlag,
        deadline: std::time::Instant,
    ) -> Result<RunReport, OutboxError> {
        run::run_until_idle(self, listener, cancel, deadline)
    }
}

/// Holds (or releases) every upload; the shell sets this on metered networks.
pub fn set_paused(graph: &MemoryGraph, paused: bool) -> Result<(), OutboxError> {
    store::set_setting(graph, "paused", if paused { "1" } else { "0" })
}

/// Whether uploads are held.
pub fn is_paused(graph: &MemoryGraph) -> Result<bool, OutboxError> {
    Ok(store::setting(graph, "paused")?.as_deref() == Some("1"))
}

/// Every item, newest first.
pub fn items(graph: &MemoryGraph) -> Result<Vec<OutboxItem>, OutboxError> {
    store::items(graph)
}

/// Every erasure request, newest first (see [`Outbox::erasures`]); needs no network.
pub fn erasures(graph: &MemoryGraph) -> Result<Vec<ErasureStatus>, OutboxError> {
    store::erasures(graph)
}

/// See [`Outbox::retry_erasure`]; needs no network.
pub fn retry_erasure(graph: &MemoryGraph, id: i64, now_ms: i64) -> Result<bool, OutboxError> {
    store::retry_erasure(graph, id, now_ms)
}

/// Queues `subject` for `purpose` (see [`Outbox::enqueue`]); needs no network.
pub fn enqueue(
    graph: &MemoryGraph,
    subject: Subject,
    purpose: Purpose,
    now_ms: i64,
) -> Result<OutboxItem, OutboxError> {
    if purpose == Purpose::ShareWithFamily {
        // Shares are sealed to the family, never to the enclave: see [`share`].
        return Err(OutboxError::Refused { reason: "family shares go through outbox::share" });
    }
    let grant = consent::live_grant(graph, subject, purpose, now_ms)?
        .ok_or(OutboxError::ConsentRequired { purpose })?;
    store::enqueue(graph, subject, purpose, &grant.receipt_id, None, now_ms)
}

/// Queues `subject` (a memory, with its recordings, transcript and photos, or one photo or
/// video) to share with the family circle, under a live "share with family" consent. It is
/// sealed once to the owner and every current member (the circle as it is now: a member
/// removed later can still open this share, one added later cannot) and uploaded through the
/// enclave's store, which never holds a key that opens it. Needs no network.
pub fn share(
    graph: &MemoryGraph,
    owner: &crate::seal::OwnerPublic,
    subject: Subject,
    now_ms: i64,
) -> Result<OutboxItem, OutboxError> {
    let purpose = Purpose::ShareWithFamily;
    let grant = consent::live_grant(graph, subject, purpose, now_ms)?
        .ok_or(OutboxError::ConsentRequired { purpose })?;
    let recipients = crate::family::share_recipients(graph, owner)
        .map_err(|_| OutboxError::Internal { what: "family circle" })?;
    if recipients.len() < 2 {
        return Err(OutboxError::Refused { reason: "the family circle has no members yet" });
    }
    let list: Vec<String> = recipients.iter().map(ToString::to_string).collect();
    let json =
        serde_json::to_string(&list).map_err(|_| OutboxError::Internal { what: "recipients" })?;
    store::enqueue(graph, subject, purpose, &grant.receipt_id, Some(&json), now_ms)
}

/// Inside the revocation's transaction (see `consent::revoke`): cancels what has not finished
/// under the revoked grant and queues an erasure request if anything may have reached the store.
/// Returns sealed files to delete once the transaction commits.
pub(crate) fn on_revoked_in(
    tx: &rusqlite::Transaction<'_>,
    revocation: &ConsentReceipt,
    now_ms: i64,
) -> rusqlite::Result<Vec<String>> {
    let Some(grant_id) = revocation.revokes.as_deref() else { return Ok(Vec::new()) };
    let files = store::cancel_under_in(tx, grant_id, now_ms)?;
    store::queue_erasure_in(tx, grant_id, &revocation.receipt_id, now_ms)?;
    Ok(files)
}

/// Deletes sealed files that are no longer needed (best effort: a later run sweeps leftovers).
pub(crate) fn remove_sealed_files(graph: &MemoryGraph, files: &[String]) {
    for file in files {
        if is_plain_name(file) {
            let _ = std::fs::remove_file(outbox_dir(graph).join(file));
        }
    }
}

/// Sealed file names are ours (`<upload id>.age`), but never trust a stored path.
fn is_plain_name(name: &str) -> bool {
    !name.is_empty()
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'.' || b == b'-')
        && !name.starts_with('.')
}

#[cfg(test)]
mod tests;

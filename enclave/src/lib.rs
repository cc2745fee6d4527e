//! The reference enclave receiver: what would run inside the TEE (an Oasis ROFL app in
//! production). It publishes its signed key bundle and rotates epochs; issues presigned
//! multipart URLs for an upload manifest after checking its consent; after upload, reassembles,
//! checks and decrypts the object in a streaming way, records what it accepted and returns a
//! signed upload receipt; honours revocation by deleting objects and derived records and
//! returning a signed erasure receipt. Objects live in S3-compatible storage via `object_store`.

pub mod api;
pub mod keys;
pub mod learn;
pub mod objects;
pub mod state;

use heirloom_core::seal::{EnclaveKey, SealError};
use keys::EnclaveKeys;
use objects::{Objects, StoreConfig};
use state::State;
use std::collections::HashMap;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Errors starting the service.
#[derive(Debug, thiserror::Error)]
pub enum EnclaveError {
    #[error(transparent)]
    Keys(#[from] keys::KeyError),
    #[error("enclave state: {0}")]
    State(#[from] rusqlite::Error),
    #[error(transparent)]
    Objects(#[from] objects::ObjectError),
    #[error("cannot listen: {kind}")]
    Listen { kind: std::io::ErrorKind },
    #[error(transparent)]
    Seal(#[from] SealError),
}

/// How to run the service. `Debug` hides the admin token (and the store's secret key).
#[derive(Clone)]
pub struct EnclaveConfig {
    /// Where the root key and the state database live.
    pub state_dir: PathBuf,
    pub listen: SocketAddr,
    pub store: StoreConfig,
    /// How long a key epoch is valid; a new epoch starts automatically in its last quarter.
    pub epoch_validity: Duration,
    /// Bearer token for `/v1/admin/*` (rotate, retire); without one those endpoints do not exist.
    pub admin_token: Option<String>,
}

impl std::fmt::Debug for EnclaveConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EnclaveConfig")
            .field("state_dir", &self.state_dir)
            .field("listen", &self.listen)
            .field("store", &self.store)
            .field("epoch_validity", &self.epoch_validity)
            .field("admin_token", &self.admin_token.as_ref().map(|_| "<redacted>"))
            .finish()
    }
}

/// Unix seconds now.
pub fn now_s() -> i64 {
    heirloom_core::clock::now_ms().div_euclid(1000)
}

/// The operator's bearer token; `Debug` never shows it.
pub(crate) struct AdminToken(pub(crate) String);

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(<redacted>)")
    }
}

/// The running service's shared parts.
#[derive(Debug)]
pub struct Enclave {
    pub keys: EnclaveKeys,
    pub state: State,
    pub objects: Objects,
    epoch_validity: Duration,
    pub(crate) admin_token: Option<AdminToken>,
    locks: Mutex<HashMap<String, Arc<tokio::sync::Mutex<()>>>>,
}

impl Enclave {
    pub fn new(config: &EnclaveConfig) -> Result<Self, EnclaveError> {
        let keys = EnclaveKeys::load_or_create(&config.state_dir)?;
        let state = State::open(&config.state_dir.join("enclave.db"))?;
        let objects = Objects::new(&config.store)?;
        let enclave = Self {
            keys,
            state,
            objects,
            epoch_validity: config.epoch_validity,
            admin_token: config.admin_token.clone().filter(|t| !t.is_empty()).map(AdminToken),
            locks: Mutex::default(),
        };
        if enclave.state.current_epoch()?.is_none() {
            enclave.rotate()?;
        }
        Ok(enclave)
    }

    /// Starts a new key epoch (the previous ones stay openable until retired).
    pub fn rotate(&self) -> Result<(), rusqlite::Error> {
        let now = now_s();
        // A little slack before now, for phones whose clocks run behind.
        self.state.new_epoch(now - 300, now + self.epoch_validity.as_secs() as i64)?;
        Ok(())
    }

    /// The signed bundle of the current epoch, rotating first when it is in its last quarter
    /// (or gone), so phones never meet an expired bundle.
    pub fn bundle(&self) -> Result<serde_json::Value, api::ApiError> {
        let quarter = (self.epoch_validity.as_secs() / 4) as i64;
        let fresh = self.state.current_epoch()?.is_some_and(|e| now_s() < e.expires - quarter);
        if !fresh {
            self.rotate()?;
        }
        let epoch = self
            .state
            .current_epoch()?
            .ok_or_else(|| api::ApiError::from(rusqlite::Error::QueryReturnedNoRows))?;
        let key = EnclaveKey {
            key_id: format!("upload/epoch-{}", epoch.epoch),
            epoch: epoch.epoch,
            recipient: self.keys.upload_identity(epoch.epoch).recipient().to_string(),
            not_before: epoch.not_before,
            expires: epoch.expires,
            measurement: self.keys.measurement().to_owned(),
        };
        Ok(key.sign(self.keys.signing())?)
    }

    /// Serialises work on one owner's grant (its completions and its erasure).
    pub(crate) async fn lock(&self, key: &str) -> tokio::sync::OwnedMutexGuard<()> {
        let lock = {
            let mut locks = self.locks.lock().unwrap_or_else(|p| p.into_inner());
            // Forget locks nobody holds or waits for, so the map stays small.
            if locks.len() > 256 {
                locks.retain(|_, l| Arc::strong_count(l) > 1);
            }
            locks.entry(key.to_owned()).or_default().clone()
        };
        lock.lock_owned().await
    }
}

/// A running service: its address, and a handle that stops it.
#[derive(Debug)]
pub struct Server {
    pub addr: SocketAddr,
    pub enclave: Arc<Enclave>,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<()>,
}

impl Server {
    /// Binds and starts serving on the current tokio runtime.
    pub async fn start(config: &EnclaveConfig) -> Result<Self, EnclaveError> {
        let enclave = Arc::new(Enclave::new(config)?);
        let listener = tokio::net::TcpListener::bind(config.listen)
            .await
            .map_err(|e| EnclaveError::Listen { kind: e.kind() })?;
        let addr = listener.local_addr().map_err(|e| EnclaveError::Listen { kind: e.kind() })?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
        let app = api::router(enclave.clone());
        let task = tokio::spawn(async move {
            let _ = axum::serve(listener, app)
                .with_graceful_shutdown(async {
                    let _ = rx.await;
                })
                .await;
        });
        Ok(Self { addr, enclave, shutdown: Some(tx), task })
    }

    /// The base URL phones use.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops serving and waits for open requests to finish.
    pub async fn stop(mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        let _ = (&mut self.task).await;
    }
}

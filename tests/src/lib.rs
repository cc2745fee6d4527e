//! Cross-crate tests live in tests/tests/. This library holds what they share: a real
//! SeaweedFS on loopback, the reference enclave running in-process, and a fault-injecting proxy.

pub mod faults;
pub mod seaweed;

/// Writes a mono 16 kHz tone of `seconds` at `pitch` Hz as a 16-bit WAV (a stand-in recording).
pub fn tone_wav(path: &std::path::Path, seconds: u32, pitch: f32) {
    let spec = hound::WavSpec {
        channels: 1,
        sample_rate: 16_000,
        bits_per_sample: 16,
        sample_format: hound::SampleFormat::Int,
    };
    let mut w = hound::WavWriter::create(path, spec).expect("wav");
    for i in 0..16_000 * seconds {
        let s = (i as f32 * pitch * std::f32::consts::TAU / 16_000.0).sin();
        w.write_sample((s * 6_000.0) as i16).expect("sample");
    }
    w.finalize().expect("wav done");
}

use heirloom_enclave::objects::StoreConfig;
use heirloom_enclave::{EnclaveConfig, Server};
use std::time::Duration;

/// The operator's bearer token of [`LocalEnclave`] (for `/v1/admin/*`).
pub const ADMIN_TOKEN: &str = "heirloom-test-operator";

/// The reference enclave on its own tokio runtime, in front of `weed`; stopped when dropped.
#[derive(Debug)]
pub struct LocalEnclave {
    runtime: tokio::runtime::Runtime,
    server: Option<Server>,
    _state: tempfile::TempDir,
}

impl LocalEnclave {
    /// Starts the enclave; phones are sent to `public_endpoint` (a proxy) when given.
    pub fn start(weed: &seaweed::Seaweed, public_endpoint: Option<String>) -> Self {
        Self::start_with(weed, public_endpoint, Duration::from_secs(86_400))
    }

    /// As [`LocalEnclave::start`], with key epochs valid for `epoch_validity`.
    pub fn start_with(
        weed: &seaweed::Seaweed,
        public_endpoint: Option<String>,
        epoch_validity: Duration,
    ) -> Self {
        let state = tempfile::tempdir().expect("tempdir");
        let config = EnclaveConfig {
            state_dir: state.path().to_path_buf(),
            listen: "127.0.0.1:0".parse().expect("address"),
            store: StoreConfig {
                endpoint: weed.endpoint(),
                public_endpoint,
                bucket: seaweed::BUCKET.into(),
                region: "us-east-1".into(),
                access_key: seaweed::ACCESS_KEY.into(),
                secret_key: seaweed::SECRET_KEY.into(),
            },
            epoch_validity,
            admin_token: Some(ADMIN_TOKEN.into()),
        };
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("runtime");
        let server = runtime.block_on(Server::start(&config)).expect("enclave starts");
        Self { runtime, server: Some(server), _state: state }
    }

    pub fn server(&self) -> &Server {
        self.server.as_ref().expect("running")
    }

    pub fn url(&self) -> String {
        self.server().url()
    }

    /// Runs an async call against the enclave's parts (e.g. listing the bucket).
    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// Object keys under `prefix` in the bucket.
    pub fn objects(&self, prefix: &str) -> Vec<String> {
        self.block_on(self.server().enclave.objects.list(prefix)).expect("list")
    }
}

impl Drop for LocalEnclave {
    fn drop(&mut self) {
        if let Some(server) = self.server.take() {
            self.runtime.block_on(server.stop());
        }
    }
}

/// `payload` wrapped as a minimal MP4 (an `ftyp` box, then an `mdat` box holding it): what the
/// outbox accepts as a video (it strips metadata boxes, so it must be able to parse the file).
pub fn mp4_with(payload: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(payload.len() + 24);
    out.extend_from_slice(&16u32.to_be_bytes());
    out.extend_from_slice(b"ftypisom\0\0\0\0");
    out.extend_from_slice(&(payload.len() as u32 + 8).to_be_bytes());
    out.extend_from_slice(b"mdat");
    out.extend_from_slice(payload);
    out
}

/// The consent policy the reference deployment records in its receipts.
pub fn policy() -> heirloom_core::consent::Policy {
    heirloom_core::consent::Policy {
        jurisdiction: "GB".into(),
        controller: "Heirloom reference deployment".into(),
        contact: "privacy@heirloom.example".into(),
        policy_url: "https://heirloom.example/privacy".into(),
        policy_version: "2026-11".into(),
        language: "en".into(),
    }
}

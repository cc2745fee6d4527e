//! HTTP to the enclave service and to the object store's presigned URLs, with `reqwest` on
//! rustls (blocking: the core has no async runtime; the outbox runs on one background thread).
//! Every failure is classified once, here, as retryable or not.

use super::protocol::{
    CompleteRequest, CompletedPart, ErasureRequest, ErrorBody, UploadManifest, UploadPlan,
};
use super::OutboxError;
use serde::de::DeserializeOwned;
use serde::Serialize;
use serde_json::Value;
use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::Duration;

/// Talks to one enclave service.
#[derive(Debug, Clone)]
pub(crate) struct Client {
    http: reqwest::blocking::Client,
    base: String,
}

fn network(e: &reqwest::Error) -> OutboxError {
    let kind = if e.is_timeout() {
        "timeout"
    } else if e.is_connect() {
        "connect"
    } else if e.is_body() || e.is_decode() {
        "truncated response"
    } else {
        "transport"
    };
    OutboxError::Network { retryable: true, kind: kind.to_owned(), status: None }
}

/// 408, 425, 429 and 5xx are worth retrying; other statuses are answers.
fn status_error(status: reqwest::StatusCode, body: &[u8]) -> OutboxError {
    let code = status.as_u16();
    let retryable = code == 408 || code == 425 || code == 429 || status.is_server_error();
    let kind = serde_json::from_slice::<ErrorBody>(body)
        .map(|b| b.error)
        .unwrap_or_else(|_| format!("http {code}"));
    OutboxError::Network { retryable, kind, status: Some(code) }
}

/// Counts body bytes as reqwest reads them, for progress.
struct Counting<R> {
    inner: R,
    sent: Arc<AtomicU64>,
}

impl<R: Read> Read for Counting<R> {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.sent.fetch_add(n as u64, Ordering::Relaxed);
        Ok(n)
    }
}

impl Client {
    pub(crate) fn new(
        base: &str,
        timeout: Duration,
        roots: super::TlsRoots,
    ) -> Result<Self, OutboxError> {
        let mut builder = reqwest::blocking::Client::builder()
            .connect_timeout(timeout.min(Duration::from_secs(10)))
            .timeout(timeout)
            .pool_max_idle_per_host(2);
        if roots == super::TlsRoots::Bundled {
            let certs = webpki_root_certs::TLS_SERVER_ROOT_CERTS
                .iter()
                .filter_map(|der| reqwest::Certificate::from_der(der).ok());
            builder = builder.tls_certs_only(certs);
        }
        let http = builder.build().map_err(|_| OutboxError::Internal { what: "HTTP client" })?;
        Ok(Self { http, base: base.trim_end_matches('/').to_owned() })
    }

    fn send<T: DeserializeOwned>(
        &self,
        request: reqwest::blocking::RequestBuilder,
    ) -> Result<T, OutboxError> {
        let response = request.send().map_err(|e| network(&e))?;
        let status = response.status();
        let body = response.bytes().map_err(|e| network(&e))?;
        if !status.is_success() {
            return Err(status_error(status, &body));
        }
        serde_json::from_slice(&body).map_err(|_| OutboxError::Network {
            retryable: true,
            kind: "truncated response".into(),
            status: Some(status.as_u16()),
        })
    }

    fn post<B: Serialize, T: DeserializeOwned>(
        &self,
        path: &str,
        body: &B,
    ) -> Result<T, OutboxError> {
        let body =
            serde_json::to_vec(body).map_err(|_| OutboxError::Internal { what: "request body" })?;
        let request = self
            .http
            .post(format!("{}{path}", self.base))
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .body(body);
        self.send(request)
    }

    /// The enclave's current signed key bundle.
    pub(crate) fn key_bundle(&self) -> Result<Value, OutboxError> {
        self.send(self.http.get(format!("{}/v1/key-bundle", self.base)))
    }

    /// Registers (or finds again) an upload; returns where to put its parts.
    pub(crate) fn plan(&self, manifest: &UploadManifest) -> Result<UploadPlan, OutboxError> {
        self.post("/v1/uploads", manifest)
    }

    /// Asks the enclave to assemble, check and accept the upload; returns its signed receipt.
    pub(crate) fn complete(
        &self,
        upload_id: &str,
        parts: Vec<CompletedPart>,
    ) -> Result<Value, OutboxError> {
        self.post(&format!("/v1/uploads/{upload_id}/complete"), &CompleteRequest { parts })
    }

    /// An operator call (`/v1/admin/…`) with the operator's bearer token.
    pub(crate) fn admin(
        &self,
        path: &str,
        token: &str,
        body: Option<&Value>,
    ) -> Result<Value, OutboxError> {
        let mut request = self.http.post(format!("{}{path}", self.base)).bearer_auth(token);
        if let Some(body) = body {
            let bytes = serde_json::to_vec(body)
                .map_err(|_| OutboxError::Internal { what: "request body" })?;
            request = request.header(reqwest::header::CONTENT_TYPE, "application/json").body(bytes);
        }
        self.send(request)
    }

    /// The enclave's signed announcement of the open federated round.
    pub(crate) fn learn_round(&self, task: &str) -> Result<Value, OutboxError> {
        // Task names are ASCII letters and hyphens: nothing to escape.
        self.send(self.http.get(format!("{}/v1/learn/round?task={task}", self.base)))
    }

    /// The global model of `round` (at most `limit` bytes).
    pub(crate) fn learn_model(&self, round: u64, limit: u64) -> Result<Vec<u8>, OutboxError> {
        let mut out = Vec::new();
        let url = format!("{}/v1/learn/rounds/{round}/model", self.base);
        let n = self.get_to(&url, &mut out, limit)?;
        if n > limit {
            return Err(OutboxError::Network {
                retryable: false,
                kind: "model too large".into(),
                status: None,
            });
        }
        Ok(out)
    }

    /// Sends a revocation; returns the signed erasure receipt.
    pub(crate) fn erase(&self, request: &ErasureRequest) -> Result<Value, OutboxError> {
        self.post("/v1/erasures", request)
    }

    /// PUTs `len` bytes of `file` from `offset` to a presigned URL; returns the store's ETag.
    pub(crate) fn put_part(
        &self,
        url: &str,
        file: &Path,
        offset: u64,
        len: u64,
        sent: Arc<AtomicU64>,
    ) -> Result<String, OutboxError> {
        let mut f = File::open(file).map_err(|e| OutboxError::io("open sealed file", &e))?;
        f.seek(SeekFrom::Start(offset)).map_err(|e| OutboxError::io("read sealed file", &e))?;
        let body = reqwest::blocking::Body::sized(Counting { inner: f.take(len), sent }, len);
        let response = self.http.put(url).body(body).send().map_err(|e| network(&e))?;
        let status = response.status();
        let etag = response
            .headers()
            .get(reqwest::header::ETAG)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned);
        // Read the whole answer: a response cut short is not an acknowledgment.
        let body = response.bytes().map_err(|e| network(&e))?;
        if !status.is_success() {
            return Err(status_error(status, &body));
        }
        etag.filter(|e| !e.is_empty()).ok_or(OutboxError::Network {
            retryable: true,
            kind: "no etag".into(),
            status: Some(status.as_u16()),
        })
    }

    /// Asks the enclave for a short-lived download URL for a share, showing its signed manifest.
    pub(crate) fn share_url(
        &self,
        share_id: &str,
        manifest: &Value,
    ) -> Result<String, OutboxError> {
        let answer: Value = self.post(
            &format!("/v1/shares/{share_id}/download"),
            &serde_json::json!({ "manifest": manifest }),
        )?;
        answer.get("url").and_then(Value::as_str).map(str::to_owned).ok_or(OutboxError::Network {
            retryable: false,
            kind: "no download url".into(),
            status: None,
        })
    }

    /// GETs `url` into `out` (at most `limit` bytes); returns the bytes written.
    pub(crate) fn get_to(
        &self,
        url: &str,
        out: &mut dyn std::io::Write,
        limit: u64,
    ) -> Result<u64, OutboxError> {
        let response = self.http.get(url).send().map_err(|e| network(&e))?;
        let status = response.status();
        if !status.is_success() {
            let body = response.bytes().map_err(|e| network(&e))?;
            return Err(status_error(status, &body));
        }
        let mut body = response.take(limit.saturating_add(1));
        let n = std::io::copy(&mut body, out).map_err(|e| OutboxError::Network {
            retryable: true,
            kind: format!("download cut short ({})", e.kind()),
            status: Some(status.as_u16()),
        })?;
        Ok(n)
    }
}

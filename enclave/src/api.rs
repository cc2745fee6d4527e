//! The HTTP API (axum). Every answer is JSON; errors are `{"error": KIND, "message": TEXT}` with
//! no user content. Handlers are idempotent: a repeated manifest, completion or erasure gets the
//! answer the first one got.

use crate::learn;
use crate::objects::ObjectError;
use crate::{now_s, Enclave};
use axum::extract::{Path as UrlPath, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use heirloom_core::consent::{self, Purpose, ReceiptKind};
use heirloom_core::outbox::protocol::{
    CompleteRequest, ErasureReceipt, ErasureRequest, ErrorBody, PartUrl, UploadManifest,
    UploadPlan, UploadReceipt,
};
use heirloom_core::seal::{self, Opener};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::Read;
use std::sync::Arc;
use std::time::Duration;

/// Presigned URLs last this long.
const URL_TTL: Duration = Duration::from_secs(3600);
/// S3's smallest part (every part but the last); a file that fits one part may be any size.
const MIN_PART: u64 = 5 * 1024 * 1024;
const MAX_PART: u64 = 5 * 1024 * 1024 * 1024;
const MAX_PARTS: u64 = 10_000;

/// An API error: status, stable kind, message without user content.
#[derive(Debug)]
pub struct ApiError {
    status: StatusCode,
    kind: &'static str,
    message: String,
}

impl ApiError {
    pub(crate) fn new(status: StatusCode, kind: &'static str, message: impl Into<String>) -> Self {
        Self { status, kind, message: message.into() }
    }
    pub(crate) fn bad(kind: &'static str, message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, kind, message)
    }

    /// The stable kind (for tests).
    #[cfg(test)]
    pub(crate) fn kind(&self) -> &'static str {
        self.kind
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        let body = ErrorBody { error: self.kind.into(), message: self.message };
        (self.status, Json(body)).into_response()
    }
}

impl From<rusqlite::Error> for ApiError {
    fn from(_: rusqlite::Error) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "state", "enclave state failed")
    }
}

impl From<ObjectError> for ApiError {
    fn from(e: ObjectError) -> Self {
        Self::new(StatusCode::BAD_GATEWAY, "store", e.to_string())
    }
}

impl From<seal::SealError> for ApiError {
    fn from(e: seal::SealError) -> Self {
        Self::new(StatusCode::INTERNAL_SERVER_ERROR, "seal", e.to_string())
    }
}

type Shared = State<Arc<Enclave>>;
type ApiResult<T> = Result<Json<T>, ApiError>;

pub fn router(enclave: Arc<Enclave>) -> Router {
    Router::new()
        .route("/v1/key-bundle", get(key_bundle))
        .route("/v1/uploads", post(plan_upload))
        .route("/v1/uploads/{upload_id}/complete", post(complete_upload))
        .route("/v1/shares/{upload_id}/download", post(share_download))
        .route("/v1/erasures", post(erase))
        .route("/v1/admin/rotate", post(rotate))
        .route("/v1/admin/retire/{epoch}", post(retire))
        .route("/v1/learn/round", get(learn::current_round))
        .route("/v1/learn/rounds", get(learn::rounds))
        .route("/v1/learn/rounds/{round}/model", get(learn::round_model))
        .route("/v1/admin/learn/start", post(learn::start))
        .route("/v1/admin/learn/close", post(learn::close))
        .with_state(enclave)
}

async fn key_bundle(State(enclave): Shared) -> ApiResult<Value> {
    Ok(Json(enclave.bundle()?))
}

/// Admin calls need the operator's bearer token; without a configured token they do not exist.
pub(crate) fn require_admin(enclave: &Enclave, headers: &HeaderMap) -> Result<(), ApiError> {
    let denied = || ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such endpoint");
    let expected = enclave.admin_token.as_ref().map(|t| t.0.as_str()).ok_or_else(denied)?;
    let given = headers
        .get(axum::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or("");
    // Constant time over the expected length.
    let same = given.len() == expected.len()
        && given.bytes().zip(expected.bytes()).fold(0u8, |acc, (a, b)| acc | (a ^ b)) == 0;
    if same {
        Ok(())
    } else {
        Err(denied())
    }
}

async fn rotate(State(enclave): Shared, headers: HeaderMap) -> ApiResult<Value> {
    require_admin(&enclave, &headers)?;
    enclave.rotate()?;
    Ok(Json(enclave.bundle()?))
}

async fn retire(
    State(enclave): Shared,
    headers: HeaderMap,
    UrlPath(epoch): UrlPath<u64>,
) -> ApiResult<Value> {
    require_admin(&enclave, &headers)?;
    if enclave.state.current_epoch()?.is_some_and(|e| e.epoch == epoch) {
        return Err(ApiError::bad("epoch", "rotate before retiring the current epoch"));
    }
    let retired = enclave.state.retire_epoch(epoch)?;
    Ok(Json(serde_json::json!({ "epoch": epoch, "retired": retired })))
}

fn valid_upload_id(id: &str) -> bool {
    id.len() == 32 && id.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

fn valid_hex_digest(text: &str) -> bool {
    text.len() == 64 && text.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase())
}

/// Checks the consent a manifest comes with: a signed grant for this purpose, not revoked.
fn check_consent(
    enclave: &Enclave,
    manifest: &UploadManifest,
) -> Result<consent::ConsentReceipt, ApiError> {
    let receipt = consent::verify_receipt(&manifest.consent).map_err(|_| {
        ApiError::new(StatusCode::FORBIDDEN, "consent_invalid", "consent receipt does not verify")
    })?;
    if receipt.kind != ReceiptKind::Grant {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "consent_invalid",
            "consent receipt is not a grant",
        ));
    }
    let purpose = Purpose::parse(&manifest.purpose).filter(|p| *p != Purpose::DeviceOnly);
    if purpose != Some(receipt.purpose) {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "consent_purpose",
            "consent does not cover this purpose",
        ));
    }
    if receipt.expires_at_ms.is_some_and(|t| t <= now_s() * 1000) {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "consent_expired", "consent has expired"));
    }
    if enclave.state.revocation(&receipt.principal.to_string(), &receipt.receipt_id)?.is_some() {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "consent_revoked", "consent was revoked"));
    }
    Ok(receipt)
}

async fn plan_upload(
    State(enclave): Shared,
    Json(manifest): Json<UploadManifest>,
) -> ApiResult<UploadPlan> {
    if !valid_upload_id(&manifest.upload_id) || !valid_hex_digest(&manifest.sealed_sha256) {
        return Err(ApiError::bad("manifest", "malformed upload id or digest"));
    }
    if manifest.part_bytes == 0 || manifest.part_bytes > MAX_PART || manifest.sealed_bytes == 0 {
        return Err(ApiError::bad("manifest", "part size or file size out of range"));
    }
    let parts = manifest.sealed_bytes.div_ceil(manifest.part_bytes);
    if parts > 1 && manifest.part_bytes < MIN_PART {
        return Err(ApiError::bad("manifest", "parts must be at least 5 MiB (S3's minimum)"));
    }
    if parts > MAX_PARTS {
        return Err(ApiError::bad("manifest", "too many parts"));
    }
    let consent = check_consent(&enclave, &manifest)?;
    if consent.subject == consent::Subject::Training {
        if consent.purpose != Purpose::AiTraining {
            return Err(ApiError::bad("manifest", "model updates are for AI training only"));
        }
        learn::mark_model_upload(&enclave, &manifest.upload_id)?;
    }
    let existing = enclave.state.upload(&manifest.upload_id)?;
    let same_manifest = |u: &crate::state::Upload| {
        u.sealed_sha256 == manifest.sealed_sha256
            && u.sealed_bytes == manifest.sealed_bytes
            && u.part_bytes == manifest.part_bytes
            && u.consent_receipt_id == consent.receipt_id
            && u.principal == consent.principal.to_string()
            && u.key_epoch == manifest.key_epoch
    };
    if let Some(u) = &existing {
        if !same_manifest(u) {
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "upload_conflict",
                "upload id used for another file",
            ));
        }
        if u.state == "accepted" {
            // Done before (the answer was lost): the same receipt, nothing else to send.
            let receipt = u.receipt.as_deref().and_then(|r| serde_json::from_str(r).ok());
            return Ok(Json(UploadPlan {
                upload_id: u.upload_id.clone(),
                object_key: u.object_key.clone(),
                parts: vec![],
                urls_expire: now_s(),
                receipt,
            }));
        }
    }
    let share = consent.purpose == Purpose::ShareWithFamily;
    if share && manifest.key_epoch != 0 {
        return Err(ApiError::bad("manifest", "a family share is sealed to the family, epoch 0"));
    }
    match enclave.state.epoch(manifest.key_epoch)? {
        _ if share => {}
        Some(e) if !e.retired => {}
        _ => {
            // Sealed to a retired key: nothing under this upload id will be opened, so drop
            // what was sent; the phone seals again to the current key under a new id.
            if let Some(u) = existing.as_ref().filter(|u| u.state == "open") {
                abort_or_gone(&enclave, &u.object_key, &u.multipart_id).await?;
                enclave.state.set_state(&u.upload_id, "rejected")?;
            }
            return Err(ApiError::new(
                StatusCode::CONFLICT,
                "key_retired",
                "the key this was sealed to is retired",
            ));
        }
    }
    let upload = match existing {
        Some(u) => {
            if u.state != "open" {
                return Err(ApiError::new(
                    StatusCode::GONE,
                    "upload_closed",
                    "this upload was rejected or erased",
                ));
            }
            u
        }
        None => {
            // Shares apart: the enclave never opens them, and a member may fetch them.
            let folder = if share { "shares" } else { "uploads" };
            let object_key = format!("{folder}/{}.age", manifest.upload_id);
            let multipart_id = enclave.objects.create_multipart(&object_key).await?;
            let u = crate::state::Upload {
                upload_id: manifest.upload_id.clone(),
                object_key,
                multipart_id,
                purpose: manifest.purpose.clone(),
                consent_receipt_id: consent.receipt_id.clone(),
                principal: consent.principal.to_string(),
                grant_signer: consent.signer.to_string(),
                sealed_sha256: manifest.sealed_sha256.clone(),
                sealed_bytes: manifest.sealed_bytes,
                part_bytes: manifest.part_bytes,
                key_epoch: manifest.key_epoch,
                state: "open".into(),
                receipt: None,
            };
            if let Err(e) = enclave.state.insert_upload(&u, now_s()) {
                // Lost a race with the same manifest: use the winner's upload.
                let _ = enclave.objects.abort(&u.object_key, &u.multipart_id).await;
                match enclave.state.upload(&u.upload_id)? {
                    Some(winner) if same_manifest(&winner) => winner,
                    Some(_) => {
                        return Err(ApiError::new(
                            StatusCode::CONFLICT,
                            "upload_conflict",
                            "upload id used for another file",
                        ))
                    }
                    None => return Err(e.into()),
                }
            } else {
                u
            }
        }
    };
    let mut urls = Vec::with_capacity(parts as usize);
    for number in 1..=parts as u32 {
        let url = enclave
            .objects
            .part_url(&upload.object_key, &upload.multipart_id, number, URL_TTL)
            .await?;
        urls.push(PartUrl { number, url });
    }
    Ok(Json(UploadPlan {
        upload_id: upload.upload_id,
        object_key: upload.object_key,
        parts: urls,
        urls_expire: now_s() + URL_TTL.as_secs() as i64,
        receipt: None,
    }))
}

/// Aborts an open multipart upload; one that is already gone is fine, any other failure is not
/// (parts left in the bucket would outlive an erasure receipt).
async fn abort_or_gone(enclave: &Enclave, key: &str, multipart_id: &str) -> Result<(), ApiError> {
    match enclave.objects.abort(key, multipart_id).await {
        Ok(()) => Ok(()),
        Err(e) if e.not_found => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Why a stored object was not accepted.
enum Refusal {
    /// Not sealed to this epoch's key, or altered: the object is dropped.
    Undecryptable,
    /// Reading it failed: try again later; nothing is dropped.
    Unreadable,
}

/// Reads the stored object once: its SHA-256 as sealed, and its plaintext's SHA-256 and size
/// as the epoch's identity opens it, in constant memory.
/// Hashes a sealed share and checks it is an age file (it is sealed to the family, not to us).
fn hash_only(mut reader: impl Read) -> Result<Checked, Refusal> {
    let mut hash = Sha256::new();
    let mut bytes = 0u64;
    let mut buf = vec![0u8; 1 << 16];
    let mut head = Vec::new();
    loop {
        let n = match reader.read(&mut buf) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(_) => return Err(Refusal::Unreadable),
        };
        if head.len() < 64 {
            head.extend_from_slice(&buf[..n.min(64 - head.len())]);
        }
        hash.update(&buf[..n]);
        bytes += n as u64;
    }
    if !head.starts_with(b"age-encryption.org/v1\n") {
        return Err(Refusal::Undecryptable);
    }
    let hex = hash.finalize().iter().map(|b| format!("{b:02x}")).collect::<String>();
    Ok((hex, bytes, None, None, None))
}

/// A member asks for a share with the owner's signed manifest: the share must be accepted, a
/// family share, described exactly by the manifest, signed by the owner whose consent it was
/// uploaded under, and that consent not revoked. The answer is a presigned GET valid for
/// minutes. The enclave learns nothing it did not know at upload.
async fn share_download(
    State(enclave): Shared,
    UrlPath(upload_id): UrlPath<String>,
    Json(body): Json<Value>,
) -> ApiResult<Value> {
    let forbidden = |why: &'static str| ApiError::new(StatusCode::FORBIDDEN, "share_refused", why);
    let doc = body.get("manifest").ok_or_else(|| ApiError::bad("manifest", "no manifest"))?;
    let (manifest, signer) = heirloom_core::outbox::ShareManifest::verify_self_signed(doc)
        .map_err(|_| forbidden("the manifest does not verify"))?;
    let upload = enclave
        .state
        .upload(&upload_id)?
        .filter(|u| u.purpose == Purpose::ShareWithFamily.as_str())
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "not_found", "no such share"))?;
    if upload.state != "accepted" {
        return Err(ApiError::new(StatusCode::GONE, "unavailable", "the share is not available"));
    }
    if manifest.share_id != upload.upload_id
        || manifest.object_key != upload.object_key
        || manifest.sealed_sha256 != upload.sealed_sha256
        || manifest.sealed_bytes != upload.sealed_bytes
    {
        return Err(forbidden("the manifest does not describe this share"));
    }
    if signer.to_string() != upload.principal {
        return Err(forbidden("the manifest is not signed by the share's owner"));
    }
    if enclave.state.revocation(&upload.principal, &upload.consent_receipt_id)?.is_some() {
        return Err(forbidden("the owner withdrew this share"));
    }
    let url = enclave.objects.get_url(&upload.object_key, URL_TTL).await?;
    Ok(Json(serde_json::json!({ "url": url, "expires": now_s() + URL_TTL.as_secs() as i64 })))
}

/// What reading a stored object found: its sealed hash and size, and (when the enclave opened
/// it) its plaintext's hash and size, and the plaintext itself when it was asked to keep it and
/// it fitted.
type Checked = (String, u64, Option<String>, Option<u64>, Option<Vec<u8>>);

fn verify_and_open(
    reader: impl Read,
    identity: &seal::Identity,
    keep: usize,
) -> Result<Checked, Refusal> {
    struct Hashing<R> {
        inner: R,
        hash: Sha256,
        bytes: u64,
    }
    impl<R: Read> Read for Hashing<R> {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            let n = self.inner.read(buf)?;
            self.hash.update(&buf[..n]);
            self.bytes += n as u64;
            Ok(n)
        }
    }
    let mut hashing = Hashing { inner: reader, hash: Sha256::new(), bytes: 0 };
    let refusal = |e: seal::SealError| match e {
        seal::SealError::Io(_) => Refusal::Unreadable,
        _ => Refusal::Undecryptable,
    };
    let mut opener =
        Opener::new(std::slice::from_ref(identity), std::io::BufReader::new(&mut hashing))
            .map_err(refusal)?;
    let mut plain = Sha256::new();
    let mut plain_bytes = 0u64;
    let mut kept = (keep > 0).then(Vec::new);
    loop {
        match opener.next_chunk() {
            Ok(Some(chunk)) => {
                plain.update(chunk);
                plain_bytes += chunk.len() as u64;
                if let Some(k) = kept.as_mut() {
                    if k.len() + chunk.len() > keep {
                        kept = None; // too big to be what it claims: the caller refuses it
                    } else {
                        k.extend_from_slice(chunk);
                    }
                }
            }
            Ok(None) => break,
            Err(e) => return Err(refusal(e)),
        }
    }
    drop(opener);
    let hex = |d: &[u8]| d.iter().map(|b| format!("{b:02x}")).collect::<String>();
    Ok((
        hex(&hashing.hash.finalize()),
        hashing.bytes,
        Some(hex(&plain.finalize())),
        Some(plain_bytes),
        kept,
    ))
}

async fn complete_upload(
    State(enclave): Shared,
    UrlPath(upload_id): UrlPath<String>,
    Json(request): Json<CompleteRequest>,
) -> ApiResult<Value> {
    let upload = enclave
        .state
        .upload(&upload_id)?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "unknown_upload", "no such upload"))?;
    // One lock per owner's grant: a completion and an erasure of the same grant never interleave.
    let _guard = enclave.lock(&format!("{}/{}", upload.principal, upload.consent_receipt_id)).await;
    let upload = enclave.state.upload(&upload.upload_id)?.unwrap_or(upload);
    match upload.state.as_str() {
        "accepted" => {
            let receipt = upload.receipt.as_deref().and_then(|r| serde_json::from_str(r).ok());
            return receipt.map(Json).ok_or_else(|| {
                ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "state", "receipt missing")
            });
        }
        "erased" => return Err(ApiError::new(StatusCode::GONE, "erased", "upload was erased")),
        "rejected" => {
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "rejected",
                "upload was rejected",
            ))
        }
        _ => {}
    }
    if enclave.state.revocation(&upload.principal, &upload.consent_receipt_id)?.is_some() {
        abort_or_gone(&enclave, &upload.object_key, &upload.multipart_id).await?;
        return Err(ApiError::new(StatusCode::FORBIDDEN, "consent_revoked", "consent was revoked"));
    }
    let expected = upload.sealed_bytes.div_ceil(upload.part_bytes) as usize;
    let numbers_ok = request.parts.len() == expected
        && request
            .parts
            .iter()
            .enumerate()
            .all(|(i, p)| p.number as usize == i + 1 && !p.etag.is_empty());
    if !numbers_ok {
        return Err(ApiError::bad("parts", "parts must be 1..n, each with its ETag"));
    }
    // A completion that was done before (the answer lost on the way) finds the object there.
    if enclave.objects.size(&upload.object_key).await? != Some(upload.sealed_bytes) {
        let etags = request.parts.into_iter().map(|p| p.etag).collect();
        enclave.objects.complete(&upload.object_key, &upload.multipart_id, etags).await.map_err(
            |e| {
                ApiError::new(
                    StatusCode::CONFLICT,
                    "parts_incomplete",
                    format!("could not assemble the parts ({})", e.kind),
                )
            },
        )?;
    }
    let share = upload.purpose == Purpose::ShareWithFamily.as_str();
    let training = learn::is_model_upload(&enclave, &upload.upload_id)?;
    let keep = if training { learn::MAX_UPDATE_BYTES } else { 0 };
    let identity = enclave.keys.upload_identity(upload.key_epoch);
    let reader = enclave.objects.reader(&upload.object_key).await?;
    let checked = tokio::task::spawn_blocking(move || {
        if share {
            // Sealed to the family: the enclave can only check it is what was promised.
            hash_only(reader)
        } else {
            verify_and_open(reader, &identity, keep)
        }
    })
    .await
    .map_err(|_| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "internal", "verification task failed")
    })?;
    let (sealed_sha256, sealed_bytes, plaintext_sha256, plaintext_bytes, plaintext) = match checked
    {
        Ok(found) if found.0 == upload.sealed_sha256 && found.1 == upload.sealed_bytes => found,
        Err(Refusal::Unreadable) => {
            return Err(ApiError::new(
                StatusCode::BAD_GATEWAY,
                "store",
                "the stored object could not be read",
            ));
        }
        outcome => {
            // Not what the manifest promised, or not sealed to us: keep none of it.
            enclave.objects.delete(&upload.object_key).await?;
            enclave.state.set_state(&upload.upload_id, "rejected")?;
            let kind = if outcome.is_ok() { "sealed_hash_mismatch" } else { "undecryptable" };
            return Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                kind,
                "the stored object was not accepted",
            ));
        }
    };
    // A model update must be one for the open round; anything else is dropped. The round's lock
    // is held until the update is kept, so closing the round never misses an accepted update.
    let _round_guard = if training { Some(enclave.lock("learn/round").await) } else { None };
    let contribution = if training {
        let checked = match plaintext.as_deref() {
            Some(p) => learn::check_update(&enclave, &upload.principal, p),
            None => Err(ApiError::new(
                StatusCode::UNPROCESSABLE_ENTITY,
                "bad_update",
                "too large for a model update",
            )),
        };
        match checked {
            Ok(c) => Some(c),
            Err(e) => {
                enclave.objects.delete(&upload.object_key).await?;
                enclave.state.set_state(&upload.upload_id, "rejected")?;
                return Err(e);
            }
        }
    } else {
        None
    };
    let receipt = UploadReceipt {
        upload_id: upload.upload_id.clone(),
        object_key: upload.object_key.clone(),
        sealed_sha256,
        sealed_bytes,
        plaintext_sha256: plaintext_sha256.clone(),
        plaintext_bytes,
        consent_receipt_id: upload.consent_receipt_id.clone(),
        purpose: upload.purpose.clone(),
        key_epoch: upload.key_epoch,
        measurement: enclave.keys.measurement().to_owned(),
        accepted_at: now_s(),
        contribution: contribution.clone(),
    }
    .sign(enclave.keys.signing())?;
    let text = seal::canonical_json(&receipt)?;
    let derived = plaintext_sha256.as_deref().zip(plaintext_bytes);
    if !enclave.state.accept(&upload.upload_id, derived, &text, now_s())? {
        // Erased or rejected while it was being checked: it must not stay.
        enclave.objects.delete(&upload.object_key).await?;
        return Err(ApiError::new(StatusCode::GONE, "erased", "upload was erased"));
    }
    if let (Some(c), Some(p)) = (&contribution, &plaintext) {
        learn::keep_update(&enclave, &upload.upload_id, &upload.principal, c, p)?;
    }
    Ok(Json(receipt))
}

async fn erase(State(enclave): Shared, Json(request): Json<ErasureRequest>) -> ApiResult<Value> {
    let revocation = consent::verify_receipt(&request.revocation).map_err(|_| {
        ApiError::new(StatusCode::FORBIDDEN, "consent_invalid", "revocation does not verify")
    })?;
    let Some(grant_id) =
        revocation.revokes.clone().filter(|_| revocation.kind == ReceiptKind::Revocation)
    else {
        return Err(ApiError::new(StatusCode::FORBIDDEN, "consent_invalid", "not a revocation"));
    };
    if request.upload_ids.iter().any(|id| !valid_upload_id(id)) {
        return Err(ApiError::bad("erasure", "malformed upload id"));
    }
    let principal = revocation.principal.to_string();
    let signer = revocation.signer.to_string();
    let _guard = enclave.lock(&format!("{principal}/{grant_id}")).await;
    if let Some((_, Some(done))) = enclave.state.revocation(&principal, &grant_id)? {
        if let Ok(doc) = serde_json::from_str::<Value>(&done) {
            let covered = doc["upload_ids"].as_array().is_some_and(|ids| {
                request.upload_ids.iter().all(|id| ids.iter().any(|v| v.as_str() == Some(id)))
            });
            if covered {
                return Ok(Json(doc));
            }
        }
    }
    // Only this owner's uploads under this grant; the owner, or whoever signed the grant, may
    // withdraw it. A grant the enclave never saw can only be withdrawn by the owner.
    let uploads = enclave.state.uploads_under(&principal, &grant_id)?;
    let allowed = signer == principal
        || (!uploads.is_empty() && uploads.iter().all(|u| u.grant_signer == signer));
    if !allowed {
        return Err(ApiError::new(
            StatusCode::FORBIDDEN,
            "consent_invalid",
            "this signer may not withdraw that consent",
        ));
    }
    let text = seal::canonical_json(&request.revocation)?;
    enclave.state.record_revocation(
        &principal,
        &grant_id,
        &revocation.receipt_id,
        &text,
        now_s(),
    )?;
    let mut object_keys = Vec::new();
    for u in &uploads {
        if u.state == "open" {
            abort_or_gone(&enclave, &u.object_key, &u.multipart_id).await?;
        }
        enclave.objects.delete(&u.object_key).await?;
        object_keys.push(u.object_key.clone());
    }
    let registered: Vec<String> = uploads.iter().map(|u| u.upload_id.clone()).collect();
    // Ids the phone names that the enclave never registered: nothing of them is held. Ids that
    // belong to another grant or owner are left alone and not listed.
    let mut upload_ids = registered.clone();
    for id in &request.upload_ids {
        if !upload_ids.contains(id) && enclave.state.upload(id)?.is_none() {
            upload_ids.push(id.clone());
        }
    }
    upload_ids.sort();
    object_keys.sort();
    let receipt = ErasureReceipt {
        erasure_id: format!("erasure-{}", revocation.receipt_id),
        consent_receipt_id: grant_id.clone(),
        revocation_receipt_id: revocation.receipt_id.clone(),
        upload_ids,
        object_keys,
        measurement: enclave.keys.measurement().to_owned(),
        erased_at: now_s(),
    }
    .sign(enclave.keys.signing())?;
    let text = seal::canonical_json(&receipt)?;
    enclave.state.erase(&principal, &grant_id, &registered, &text)?;
    Ok(Json(receipt))
}

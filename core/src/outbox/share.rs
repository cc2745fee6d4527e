//! Family shares: the owner's signed manifest for an uploaded share, and a member's side —
//! fetch the sealed file through a short-lived URL the enclave issues against the manifest,
//! check it byte for byte against the manifest and the enclave's receipt, and open it with the
//! member's own key. The storage and the enclave only ever hold the sealed file.

use super::client::Client;
use super::protocol::{ShareManifest, UploadReceipt};
use super::{store, ItemState, OutboxError, TlsRoots};
use crate::consent::{self, Purpose, Subject};
use crate::graph::MemoryGraph;
use crate::seal::{self, Identity, OwnerKeys, VerifyingKey};
use serde_json::Value;
use sha2::{Digest, Sha256};
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::time::Duration;

/// Largest share a member will download (a few minutes of 1080p video with its photos).
pub const MAX_SHARE_BYTES: u64 = 4 << 30;

fn hex(d: &[u8]) -> String {
    d.iter().map(|b| format!("{b:02x}")).collect()
}

/// The signed manifest for outbox item `item_id`, a family share that has been uploaded.
/// Deterministic (Ed25519): asking again gives the same document.
pub fn share_manifest(
    graph: &MemoryGraph,
    owner: &OwnerKeys,
    pinned: &[VerifyingKey],
    item_id: i64,
) -> Result<Value, OutboxError> {
    let item = store::item(graph, item_id)?;
    if item.purpose != Purpose::ShareWithFamily || store::recipients(graph, item_id)?.is_none() {
        return Err(OutboxError::Refused { reason: "that item is not a family share" });
    }
    if item.state != ItemState::Uploaded {
        return Err(OutboxError::Refused { reason: "the share has not finished uploading" });
    }
    let held = store::receipts(graph, pinned)?
        .into_iter()
        .find(|r| r.item_id == item_id)
        .ok_or(OutboxError::Internal { what: "share receipt" })?;
    let grant = consent::receipt(graph, &item.consent_receipt_id)?
        .ok_or(OutboxError::ConsentRequired { purpose: item.purpose })?;
    let manifest = ShareManifest {
        share_id: held.upload.upload_id.clone(),
        object_key: held.upload.object_key.clone(),
        payload: match item.subject {
            Subject::Memory(_) => "memory".into(),
            Subject::Media(_) => "media".into(),
            Subject::Training => return Err(OutboxError::Refused { reason: "not a share" }),
        },
        sealed_sha256: held.upload.sealed_sha256.clone(),
        sealed_bytes: held.upload.sealed_bytes,
        consent: grant.document.clone(),
        upload_receipt: held.upload_document.clone(),
        shared_at: held.upload.accepted_at,
    };
    Ok(manifest.sign(owner.signing())?)
}

/// Where a member fetches shares from.
#[derive(Debug, Clone)]
pub struct ReceiveConfig {
    pub enclave_url: String,
    /// The enclave signing keys the member trusts (its receipt is checked).
    pub pinned_signers: Vec<VerifyingKey>,
    pub request_timeout: Duration,
    pub tls_roots: TlsRoots,
}

/// A share fetched, checked and kept (still sealed) on the member's device.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceivedShare {
    pub share_id: String,
    /// The sealed file, as downloaded (it opens only with the member's key).
    pub path: PathBuf,
    pub payload: String,
    /// The entries inside: name and size.
    pub entries: Vec<(String, u64)>,
}

/// Fetches the share `manifest` describes into `dir`, checks it and opens it with `identity`.
/// The manifest must be signed by `owner` (the key the member trusts for that person), carry
/// the owner's live-at-the-time "share with family" grant and an enclave receipt (pinned keys)
/// for exactly this sealed file; the download must hash to it; the member's key must open it.
/// Anything else is an error and nothing is kept.
pub fn receive_share(
    config: &ReceiveConfig,
    manifest_doc: &Value,
    owner: &VerifyingKey,
    identity: &Identity,
    dir: &Path,
) -> Result<ReceivedShare, OutboxError> {
    let manifest = ShareManifest::verify(manifest_doc, owner).map_err(OutboxError::Enclave)?;
    let grant = consent::verify_receipt(&manifest.consent)?;
    let mismatch = |what| OutboxError::ReceiptMismatch { what };
    if grant.kind != consent::ReceiptKind::Grant
        || grant.purpose != Purpose::ShareWithFamily
        || grant.principal != *owner
    {
        return Err(mismatch("consent"));
    }
    let receipt = UploadReceipt::verify(&manifest.upload_receipt, &config.pinned_signers)
        .map_err(OutboxError::Enclave)?;
    if receipt.upload_id != manifest.share_id
        || receipt.object_key != manifest.object_key
        || receipt.sealed_sha256 != manifest.sealed_sha256
        || receipt.sealed_bytes != manifest.sealed_bytes
        || receipt.purpose != Purpose::ShareWithFamily.as_str()
        || receipt.consent_receipt_id != grant.receipt_id
    {
        return Err(mismatch("share receipt"));
    }
    if manifest.sealed_bytes > MAX_SHARE_BYTES
        || !manifest.share_id.bytes().all(|b| b.is_ascii_hexdigit())
        || manifest.share_id.is_empty()
    {
        return Err(mismatch("share size or id"));
    }
    let client = Client::new(&config.enclave_url, config.request_timeout, config.tls_roots)?;
    let url = client.share_url(&manifest.share_id, manifest_doc)?;
    std::fs::create_dir_all(dir).map_err(|e| OutboxError::io("create the shares folder", &e))?;
    let scratch =
        tempfile::NamedTempFile::new_in(dir).map_err(|e| OutboxError::io("write the share", &e))?;
    let (digest, bytes) = {
        let mut hashing = HashingWriter {
            inner: std::io::BufWriter::new(scratch.as_file()),
            hash: Sha256::new(),
            bytes: 0,
        };
        client.get_to(&url, &mut hashing, manifest.sealed_bytes)?;
        hashing.inner.flush().map_err(|e| OutboxError::io("write the share", &e))?;
        (hex(&hashing.hash.finalize()), hashing.bytes)
    };
    if bytes != manifest.sealed_bytes || digest != manifest.sealed_sha256 {
        return Err(mismatch("downloaded share"));
    }
    // Open it now: a share that does not open with this member's key is not kept.
    let entries = list_entries(identity, scratch.path())?;
    scratch.as_file().sync_all().map_err(|e| OutboxError::io("write the share", &e))?;
    let path = dir.join(format!("{}.age", manifest.share_id));
    scratch.persist(&path).map_err(|e| OutboxError::io("keep the share", &e.error))?;
    Ok(ReceivedShare { share_id: manifest.share_id, path, payload: manifest.payload, entries })
}

/// The entries of a received share, opened with `identity` (every byte authenticated).
pub fn list_entries(identity: &Identity, path: &Path) -> Result<Vec<(String, u64)>, OutboxError> {
    let mut out = Vec::new();
    read_share(identity, path, |name, reader| {
        let n = std::io::copy(reader, &mut std::io::sink())
            .map_err(|e| OutboxError::io("open the share", &e))?;
        out.push((name.to_owned(), n));
        Ok(())
    })?;
    Ok(out)
}

/// Opens a received share with `identity` and hands each entry to `each` as it streams.
pub fn read_share(
    identity: &Identity,
    path: &Path,
    mut each: impl FnMut(&str, &mut dyn Read) -> Result<(), OutboxError>,
) -> Result<(), OutboxError> {
    let file = std::fs::File::open(path).map_err(|e| OutboxError::io("open the share", &e))?;
    let opener = seal::Opener::new(std::slice::from_ref(identity), std::io::BufReader::new(file))?;
    let mut archive = tar::Archive::new(opener);
    let entries = archive.entries().map_err(|e| OutboxError::io("open the share", &e))?;
    for entry in entries {
        let mut entry = entry.map_err(|e| OutboxError::io("open the share", &e))?;
        let name = entry
            .path()
            .map_err(|e| OutboxError::io("open the share", &e))?
            .to_string_lossy()
            .into_owned();
        each(&name, &mut entry)?;
    }
    Ok(())
}

struct HashingWriter<W: Write> {
    inner: W,
    hash: Sha256,
    bytes: u64,
}

impl<W: Write> Write for HashingWriter<W> {
    fn write(&mut self, data: &[u8]) -> std::io::Result<usize> {
        let n = self.inner.write(data)?;
        self.hash.update(&data[..n]);
        self.bytes += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

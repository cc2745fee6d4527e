//! One pass of the outbox, and the loop that waits for retries. Each step is idempotent, so a
//! kill at any point is recovered by running again: sealing writes a scratch file and renames
//! it; the enclave answers a repeated manifest or completion with the same upload; a part is
//! recorded only after the store acknowledged it, and re-sending an unrecorded part overwrites
//! the same part of the same upload.

use super::protocol::{CompletedPart, ErasureRequest, UploadManifest, UploadPlan};
use super::store::{self, Sealed};
use super::{
    export, outbox_dir, remove_sealed_files, CancelFlag, ErasureReceipt, ItemState, Outbox,
    OutboxError, OutboxItem, OutboxListener, UploadReceipt,
};
use crate::consent::{self, Subject};
use crate::seal::{self, VerifiedEnclaveKey};
use std::cell::RefCell;
use std::sync::atomic::AtomicU64;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What a pass (or a run of passes) did.
#[derive(Debug, Clone, Default, PartialEq, Eq, serde::Serialize)]
pub struct RunReport {
    pub uploaded: u32,
    pub erased: u32,
    pub failed: u32,
    /// Items or erasures that hit a retryable error and wait for their next attempt.
    pub retrying: u32,
    pub paused: bool,
    /// When the next waiting attempt is due (Unix ms), if anything is waiting.
    pub next_due_ms: Option<i64>,
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn backoff_ms(outbox: &Outbox<'_>, attempts: u32) -> i64 {
    let base = outbox.config.backoff_base.as_millis() as u64;
    let cap = outbox.config.backoff_cap.as_millis() as u64;
    let delay = base.saturating_mul(1u64 << attempts.min(30)).min(cap).max(1);
    // Half fixed, half random: spread retries out without ever retrying at once.
    let mut r = [0u8; 8];
    let _ = getrandom::fill(&mut r);
    (delay / 2 + u64::from_le_bytes(r) % (delay / 2 + 1)) as i64
}

struct Pass<'a, 'g> {
    outbox: &'a Outbox<'g>,
    listener: &'a dyn OutboxListener,
    cancel: &'a CancelFlag,
    now_ms: i64,
    key: RefCell<Option<VerifiedEnclaveKey>>,
}

impl Pass<'_, '_> {
    fn graph(&self) -> &crate::graph::MemoryGraph {
        self.outbox.graph
    }

    fn stop_requested(&self) -> Result<bool, OutboxError> {
        if self.cancel.is_cancelled() {
            return Err(OutboxError::Cancelled);
        }
        self.outbox.is_paused()
    }

    /// The enclave's current key, fetched once per pass and checked against the pinned signers,
    /// the clock and the highest epoch accepted before.
    fn enclave_key(&self) -> Result<VerifiedEnclaveKey, OutboxError> {
        if let Some(key) = self.key.borrow().as_ref() {
            return Ok(key.clone());
        }
        let bundle = self.outbox.client.key_bundle()?;
        let seen =
            store::setting(self.graph(), "highest_epoch")?.and_then(|v| v.parse::<u64>().ok());
        let key = seal::verify_bundle(
            &bundle,
            &self.outbox.config.pinned_signers,
            self.now_ms / 1000,
            seen,
        )
        .map_err(OutboxError::Enclave)?;
        store::raise_epoch(self.graph(), key.key.epoch)?;
        *self.key.borrow_mut() = Some(key.clone());
        Ok(key)
    }

    fn seal_item(&self, item: &OutboxItem) -> Result<(), OutboxError> {
        // A family share is sealed to the circle snapshotted when it was queued (epoch 0: no
        // enclave key is involved); anything else to the enclave's current key.
        let family = store::recipients(self.graph(), item.id)?;
        let (recipients, epoch) = match &family {
            Some(list) => {
                let parsed: Result<Vec<seal::Recipient>, _> =
                    list.iter().map(|r| r.parse::<seal::Recipient>()).collect();
                (parsed.map_err(|_| OutboxError::Internal { what: "family recipient" })?, 0)
            }
            None => {
                let key = self.enclave_key()?;
                (vec![key.recipient], key.key.epoch)
            }
        };
        let dir = outbox_dir(self.graph());
        std::fs::create_dir_all(&dir).map_err(|e| OutboxError::io("create outbox folder", &e))?;
        let name = format!("{}.age", item.upload_id);
        let scratch = dir.join(format!("{name}.partial"));
        let file = std::fs::File::create(&scratch)
            .map_err(|e| OutboxError::io("write sealed file", &e))?;
        let sealer = seal::Sealer::with_digest(&recipients, std::io::BufWriter::new(file))?;
        let sealer = match (item.subject, family.is_some()) {
            (Subject::Memory(id), true) => {
                export::export_memory_for_family(self.graph(), id, sealer)?
            }
            (Subject::Memory(id), false) => export::export_memory(self.graph(), id, sealer)?,
            (Subject::Media(id), _) => export::export_media(self.graph(), id, sealer)?,
            (Subject::Training, _) => {
                let update = store::subject_id(self.graph(), item.id)?;
                crate::learn::write_update(self.graph(), update, sealer)?
            }
        };
        let (writer, summary) = sealer.finish()?;
        let file =
            writer.into_inner().map_err(|e| OutboxError::io("write sealed file", e.error()))?;
        file.sync_all().map_err(|e| OutboxError::io("write sealed file", &e))?;
        drop(file);
        std::fs::rename(&scratch, dir.join(&name))
            .map_err(|e| OutboxError::io("write sealed file", &e))?;
        let sealed = Sealed {
            file: name.clone(),
            sha256: hex(&summary
                .sealed_sha256
                .ok_or(OutboxError::Internal { what: "sealed digest" })?),
            bytes: summary.sealed_bytes,
            part_bytes: self.outbox.config.part_bytes.max(super::MIN_PART_BYTES),
            epoch,
        };
        if !store::mark_sealed(self.graph(), item.id, &sealed, self.now_ms)? {
            // Cancelled while sealing: nothing may go out.
            remove_sealed_files(self.graph(), &[name]);
            return Ok(());
        }
        self.listener.on_state(item.id, ItemState::Sealed);
        Ok(())
    }

    fn check_plan(
        plan: &UploadPlan,
        item: &OutboxItem,
        sealed: &Sealed,
    ) -> Result<(), OutboxError> {
        let parts = sealed.bytes.div_ceil(sealed.part_bytes).max(1);
        let numbers_ok = plan.parts.len() as u64 == parts
            && plan.parts.iter().enumerate().all(|(i, p)| u64::from(p.number) == i as u64 + 1);
        if plan.upload_id != item.upload_id || (plan.receipt.is_none() && !numbers_ok) {
            return Err(OutboxError::ReceiptMismatch { what: "upload plan" });
        }
        Ok(())
    }

    /// Sends the parts not yet acknowledged and completes the upload. Returns whether it finished.
    fn upload_item(&self, item: &OutboxItem) -> Result<bool, OutboxError> {
        let Some(sealed) = store::sealed(self.graph(), item.id)? else { return Ok(false) };
        if !outbox_dir(self.graph()).join(&sealed.file).is_file() {
            // The sealed copy is gone (storage cleared): seal again under a new upload id.
            store::unseal(self.graph(), item.id, self.now_ms)?;
            return Ok(false);
        }
        let grant = consent::receipt(self.graph(), &item.consent_receipt_id)?
            .ok_or(OutboxError::ConsentRequired { purpose: item.purpose })?;
        let manifest = UploadManifest {
            upload_id: item.upload_id.clone(),
            purpose: item.purpose.as_str().into(),
            consent: grant.document.clone(),
            sealed_sha256: sealed.sha256.clone(),
            sealed_bytes: sealed.bytes,
            part_bytes: sealed.part_bytes,
            key_epoch: sealed.epoch,
        };
        let plan = match self.outbox.client.plan(&manifest) {
            Err(OutboxError::Network { kind, .. }) if kind == "key_retired" => {
                // Sealed to a key the enclave no longer holds: seal again to the current one.
                store::unseal(self.graph(), item.id, self.now_ms)?;
                remove_sealed_files(self.graph(), &[sealed.file]);
                return Ok(false);
            }
            other => other?,
        };
        Self::check_plan(&plan, item, &sealed)?;
        if let Some(receipt) = &plan.receipt {
            return self.finish(item, &sealed, receipt);
        }
        store::set_object_key(self.graph(), item.id, &plan.object_key)?;
        let path = outbox_dir(self.graph()).join(&sealed.file);
        let mut acked: Vec<(u32, String)> = store::acked_parts(self.graph(), item.id)?;
        for part in &plan.parts {
            if acked.iter().any(|(n, _)| *n == part.number) {
                continue; // acknowledged before: never sent again
            }
            if self.stop_requested()? {
                return Ok(false);
            }
            if consent::live_grant(self.graph(), item.subject, item.purpose, self.now_ms)?
                .is_none_or(|g| g.receipt_id != item.consent_receipt_id)
            {
                return Ok(false); // revoked meanwhile: the revocation cancelled the item
            }
            let offset = u64::from(part.number - 1) * sealed.part_bytes;
            let len = sealed.part_bytes.min(sealed.bytes - offset);
            let sent = Arc::new(AtomicU64::new(0));
            let etag = self.outbox.client.put_part(&part.url, &path, offset, len, sent)?;
            store::ack_part(self.graph(), item.id, part.number, &etag, crate::clock::now_ms())?;
            acked.push((part.number, etag));
            let done: u64 = acked
                .iter()
                .map(|(n, _)| {
                    sealed.part_bytes.min(sealed.bytes - u64::from(n - 1) * sealed.part_bytes)
                })
                .sum();
            self.listener.on_progress(item.id, done, sealed.bytes);
        }
        acked.sort_by_key(|(n, _)| *n);
        let parts =
            acked.into_iter().map(|(number, etag)| CompletedPart { number, etag }).collect();
        let receipt = self.outbox.client.complete(&item.upload_id, parts)?;
        self.finish(item, &sealed, &receipt)
    }

    /// Verifies the enclave's receipt against what was sent and keeps it.
    fn finish(
        &self,
        item: &OutboxItem,
        sealed: &Sealed,
        doc: &serde_json::Value,
    ) -> Result<bool, OutboxError> {
        let receipt = UploadReceipt::verify(doc, &self.outbox.config.pinned_signers)
            .map_err(OutboxError::Enclave)?;
        let mismatch = |what| Err(OutboxError::ReceiptMismatch { what });
        if receipt.upload_id != item.upload_id {
            return mismatch("upload id");
        }
        if receipt.sealed_sha256 != sealed.sha256 || receipt.sealed_bytes != sealed.bytes {
            return mismatch("sealed file hash");
        }
        if receipt.consent_receipt_id != item.consent_receipt_id
            || receipt.purpose != item.purpose.as_str()
        {
            return mismatch("consent");
        }
        if receipt.key_epoch != sealed.epoch {
            return mismatch("key epoch");
        }
        if item.subject == Subject::Training {
            let update = store::subject_id(self.graph(), item.id)?;
            if !crate::learn::contribution_matches(self.graph(), update, &receipt)? {
                return mismatch("contribution");
            }
        }
        let text = seal::canonical_json(doc)?;
        if store::mark_uploaded(self.graph(), item.id, &text, self.now_ms)? {
            remove_sealed_files(self.graph(), std::slice::from_ref(&sealed.file));
            self.listener.on_state(item.id, ItemState::Uploaded);
            return Ok(true);
        }
        Ok(false)
    }

    fn process_item(&self, item: &OutboxItem) -> Result<bool, OutboxError> {
        if item.state == ItemState::Queued {
            self.seal_item(item)?;
        }
        let item = store::item(self.graph(), item.id)?;
        if item.state != ItemState::Sealed {
            return Ok(false);
        }
        self.upload_item(&item)
    }

    fn process_erasure(&self, erasure: &store::PendingErasure) -> Result<(), OutboxError> {
        let revocation = consent::receipt(self.graph(), &erasure.revocation_receipt_id)?
            .ok_or(OutboxError::Internal { what: "revocation missing" })?;
        let request = ErasureRequest {
            revocation: revocation.document.clone(),
            upload_ids: erasure.upload_ids.clone(),
        };
        let doc = self.outbox.client.erase(&request)?;
        let receipt = ErasureReceipt::verify(&doc, &self.outbox.config.pinned_signers)
            .map_err(OutboxError::Enclave)?;
        if receipt.revocation_receipt_id != revocation.receipt_id
            || Some(receipt.consent_receipt_id.as_str()) != revocation.revokes.as_deref()
            || !erasure.upload_ids.iter().all(|id| receipt.upload_ids.contains(id))
        {
            return Err(OutboxError::ReceiptMismatch { what: "erasure" });
        }
        store::erasure_done(
            self.graph(),
            erasure.id,
            &seal::canonical_json(&doc)?,
            &erasure.upload_ids,
            self.now_ms,
        )
    }
}

pub(super) fn run_once(
    outbox: &Outbox<'_>,
    listener: &dyn OutboxListener,
    cancel: &CancelFlag,
    now_ms: i64,
) -> Result<RunReport, OutboxError> {
    let graph = outbox.graph;
    remove_sealed_files(graph, &store::finished_files(graph)?);
    remove_stale_scratch(graph);
    let pass = Pass { outbox, listener, cancel, now_ms, key: RefCell::new(None) };
    let mut report = RunReport::default();
    for item in store::due_items(graph, now_ms)? {
        if pass.stop_requested()? {
            report.paused = true;
            break;
        }
        match pass.process_item(&item) {
            Ok(true) => report.uploaded += 1,
            Ok(false) => {}
            Err(OutboxError::Cancelled) => return Err(OutboxError::Cancelled),
            Err(e) => {
                let retry = e.is_retryable() || matches!(e, OutboxError::Enclave(_));
                let attempts = store::attempts(graph, "outbox_item", item.id)?;
                let at = retry.then(|| crate::clock::now_ms() + backoff_ms(outbox, attempts));
                store::record_failure(graph, item.id, &e.kind(), at, now_ms)?;
                if retry {
                    report.retrying += 1;
                } else {
                    report.failed += 1;
                    listener.on_state(item.id, ItemState::Failed);
                }
            }
        }
    }
    if !report.paused {
        for erasure in store::due_erasures(graph, now_ms)? {
            if pass.stop_requested()? {
                report.paused = true;
                break;
            }
            match pass.process_erasure(&erasure) {
                Ok(()) => report.erased += 1,
                Err(OutboxError::Cancelled) => return Err(OutboxError::Cancelled),
                Err(e) => {
                    // A refusal that cannot change (a revocation the enclave will not accept)
                    // ends the request; network trouble and receipt problems are retried.
                    let retry = e.is_retryable() || matches!(e, OutboxError::Enclave(_));
                    let attempts = store::attempts(graph, "outbox_erasure", erasure.id)?;
                    let at = retry.then(|| crate::clock::now_ms() + backoff_ms(outbox, attempts));
                    store::erasure_failed(graph, erasure.id, &e.kind(), at, now_ms)?;
                    if retry {
                        report.retrying += 1;
                    } else {
                        report.failed += 1;
                    }
                }
            }
        }
    }
    report.paused |= outbox.is_paused()?;
    report.next_due_ms = store::next_due_ms(graph)?;
    Ok(report)
}

pub(super) fn run_until_idle(
    outbox: &Outbox<'_>,
    listener: &dyn OutboxListener,
    cancel: &CancelFlag,
    deadline: Instant,
) -> Result<RunReport, OutboxError> {
    let mut total = RunReport::default();
    loop {
        let report = run_once(outbox, listener, cancel, crate::clock::now_ms())?;
        total.uploaded += report.uploaded;
        total.erased += report.erased;
        total.failed += report.failed;
        total.retrying = report.retrying;
        total.paused = report.paused;
        total.next_due_ms = report.next_due_ms;
        let Some(due) = report.next_due_ms else { return Ok(total) };
        if report.paused {
            return Ok(total);
        }
        let wait = Duration::from_millis((due - crate::clock::now_ms()).max(0) as u64);
        let now = Instant::now();
        if now >= deadline || now + wait > deadline {
            return Ok(total);
        }
        // Sleep in short steps so a cancel is noticed.
        let until = now + wait;
        while Instant::now() < until {
            if cancel.is_cancelled() {
                return Err(OutboxError::Cancelled);
            }
            std::thread::sleep((until - Instant::now()).min(Duration::from_millis(50)));
        }
    }
}

/// Scratch files of a seal that a kill interrupted: a pass starts with none in flight.
fn remove_stale_scratch(graph: &crate::graph::MemoryGraph) {
    let Ok(entries) = std::fs::read_dir(outbox_dir(graph)) else { return };
    for entry in entries.flatten() {
        if entry.file_name().to_string_lossy().ends_with(".partial") {
            let _ = std::fs::remove_file(entry.path());
        }
    }
}

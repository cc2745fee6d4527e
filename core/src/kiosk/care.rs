//! Consent by proxy and family export in kiosk mode. Consent is recorded in the resident's vault
//! with the privacy stage's signed receipts: the resident's own (signed with their key), or a
//! proxy's (a guardian or family member, signing with their own key, with their relation and a
//! note on the resident's capacity). The kiosk shows who consented to what; without a live
//! "share with family" consent, nothing of the resident's leaves the vault.

use super::audit::AuditAction;
use super::roles::Permission;
use super::{Kiosk, KioskError, ResidentVault};
use crate::consent::{self, ConsentRequest, GivenBy, Giver, Policy, Purpose, ReceiptKind, Subject};
use crate::seal::{OwnerKeys, SigningIdentity};

/// Who is consenting.
#[derive(Clone, PartialEq, Eq)]
pub enum ConsentBy {
    /// The resident, able to decide for themselves.
    Resident,
    /// Someone acting for them.
    Proxy { name: String, relation: String, capacity_note: String },
}

impl std::fmt::Debug for ConsentBy {
    // A proxy's name and the capacity note (health information) stay out of Debug.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            ConsentBy::Resident => "ConsentBy::Resident",
            ConsentBy::Proxy { .. } => "ConsentBy::Proxy(<personal>)",
        })
    }
}

/// Where a consent stands.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConsentState {
    Live,
    Revoked,
    Expired,
}

/// One grant, as the kiosk shows it: what, for which purpose, who gave it, and where it stands.
#[derive(Clone, PartialEq, Eq)]
pub struct ConsentLine {
    pub receipt_id: String,
    pub subject: Subject,
    pub purpose: Purpose,
    pub given_by: GivenBy,
    /// The proxy's name, for a proxy's consent.
    pub proxy_name: Option<String>,
    pub given_at_ms: i64,
    pub expires_at_ms: Option<i64>,
    pub state: ConsentState,
}

impl std::fmt::Debug for ConsentLine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ConsentLine")
            .field("receipt_id", &self.receipt_id)
            .field("subject", &self.subject)
            .field("purpose", &self.purpose)
            .field("state", &self.state)
            .finish_non_exhaustive()
    }
}

/// What a family export did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct FamilyExport {
    /// (memory id, outbox item id) queued as sealed family shares.
    pub queued: Vec<(i64, i64)>,
    /// Memories left in the vault: no live "share with family" consent.
    pub without_consent: Vec<i64>,
}

impl Kiosk {
    pub(super) fn signer(
        &self,
        vault: &ResidentVault,
        by: &ConsentBy,
    ) -> Result<(SigningIdentity, GivenBy, OwnerKeys), KioskError> {
        let keys = vault.keys();
        let owner =
            OwnerKeys::load_or_create(keys.as_ref()).map_err(consent::ConsentError::from)?;
        match by {
            ConsentBy::Resident => Ok((owner.signing().clone(), GivenBy::Owner, owner)),
            ConsentBy::Proxy { name, relation, capacity_note } => {
                // Checked before the proxy is registered, so a refused request leaves no trace.
                if capacity_note.trim().is_empty() {
                    return Err(KioskError::InvalidInput {
                        reason: "a proxy's consent needs a note on the resident's capacity",
                    });
                }
                let now = self.now();
                let (_, signer) = vault
                    .with(|g| Ok(consent::proxy_signer(g, keys.as_ref(), name, relation, now)?))?;
                let given_by = GivenBy::Proxy {
                    relation: relation.trim().to_owned(),
                    capacity_note: capacity_note.trim().to_owned(),
                };
                Ok((signer, given_by, owner))
            }
        }
    }

    /// Signs one consent receipt for memory `memory_id` as `by`, after `precheck` (refusals that
    /// need no signature, so a refused request registers no proxy), and audits it as `consent`.
    fn sign_consent(
        &self,
        vault: &ResidentVault,
        memory_id: i64,
        by: &ConsentBy,
        precheck: impl FnOnce(&crate::graph::MemoryGraph) -> Result<(), KioskError>,
        sign: impl FnOnce(
            &crate::graph::MemoryGraph,
            &Giver<'_>,
            i64,
        ) -> Result<consent::ConsentReceipt, consent::ConsentError>,
    ) -> Result<consent::ConsentReceipt, KioskError> {
        let staff = self.acting_on(vault, Permission::RecordConsent)?;
        vault.with(precheck)?;
        let (signer, given_by, owner) = self.signer(vault, by)?;
        let giver = Giver { signer: &signer, principal: owner.public().verifying_key, given_by };
        let now = self.now();
        let receipt = vault.with(|g| Ok(sign(g, &giver, now)?))?;
        let object = format!("memory:{memory_id}");
        self.audit(&staff.id, AuditAction::Consent, vault.resident_id(), Some(&object))?;
        Ok(receipt)
    }

    /// Records a consent for the open resident's memory (activity coordinators,
    /// administrators); audited as `consent` on `memory:<id>`.
    pub fn give_consent(
        &self,
        vault: &ResidentVault,
        memory_id: i64,
        purpose: Purpose,
        by: &ConsentBy,
        policy: &Policy,
    ) -> Result<consent::ConsentReceipt, KioskError> {
        let request =
            ConsentRequest { subject: Subject::Memory(memory_id), purpose, expires_at_ms: None };
        let precheck = |g: &crate::graph::MemoryGraph| {
            if purpose == Purpose::DeviceOnly {
                return Err(consent::ConsentError::InvalidRequest {
                    reason: "keeping data on the device is the default and needs no consent",
                }
                .into());
            }
            g.memory(memory_id)?;
            Ok(())
        };
        self.sign_consent(vault, memory_id, by, precheck, |g, giver, now| {
            consent::give(g, giver, &request, policy, now)
        })
    }

    /// Withdraws a consent: pending uploads stop, anything sent is queued for erasure.
    pub fn revoke_consent(
        &self,
        vault: &ResidentVault,
        memory_id: i64,
        purpose: Purpose,
        by: &ConsentBy,
        policy: &Policy,
    ) -> Result<consent::ConsentReceipt, KioskError> {
        let subject = Subject::Memory(memory_id);
        let precheck = |g: &crate::graph::MemoryGraph| {
            let granted = consent::history(g, Some(subject))?
                .iter()
                .any(|r| r.kind == ReceiptKind::Grant && r.purpose == purpose);
            if granted {
                Ok(())
            } else {
                Err(consent::ConsentError::NotGranted { purpose }.into())
            }
        };
        self.sign_consent(vault, memory_id, by, precheck, |g, giver, now| {
            consent::revoke(g, giver, subject, purpose, policy, now)
        })
    }

    /// Who consented to what for the open resident, newest first. Any staff member may see it
    /// (it is what tells them what they may do).
    pub fn consent_overview(&self, vault: &ResidentVault) -> Result<Vec<ConsentLine>, KioskError> {
        self.acting_on(vault, Permission::Record)?;
        let now = self.now();
        let (history, proxies) =
            vault.with(|g| Ok((consent::history(g, None)?, consent::proxies(g)?)))?;
        let revoked: std::collections::HashSet<&str> =
            history.iter().filter_map(|r| r.revokes.as_deref()).collect();
        let mut lines: Vec<ConsentLine> = history
            .iter()
            .filter(|r| r.kind == ReceiptKind::Grant)
            .map(|r| ConsentLine {
                receipt_id: r.receipt_id.clone(),
                subject: r.subject,
                purpose: r.purpose,
                given_by: r.given_by.clone(),
                proxy_name: match r.given_by {
                    GivenBy::Proxy { .. } => {
                        proxies.iter().find(|p| p.verifying_key == r.signer).map(|p| p.name.clone())
                    }
                    GivenBy::Owner => None,
                },
                given_at_ms: r.given_at_ms,
                expires_at_ms: r.expires_at_ms,
                state: if revoked.contains(r.receipt_id.as_str()) {
                    ConsentState::Revoked
                } else if r.expires_at_ms.is_some_and(|t| t <= now) {
                    ConsentState::Expired
                } else {
                    ConsentState::Live
                },
            })
            .collect();
        lines.reverse();
        Ok(lines)
    }

    /// Adds someone to the open resident's family circle from their invite (the people family
    /// exports are sealed to). Needs `Export`.
    pub fn add_family_member(
        &self,
        vault: &ResidentVault,
        invite: &str,
    ) -> Result<crate::family::FamilyMember, KioskError> {
        let staff = self.acting_on(vault, Permission::Export)?;
        let member = vault.with(|g| Ok(crate::family::add_member(g, invite)?))?;
        let object = format!("family-member:{}", member.id);
        self.audit(&staff.id, AuditAction::Family, vault.resident_id(), Some(&object))?;
        Ok(member)
    }

    /// Queues the open resident's memories (`memory_ids`, or all of them) as sealed shares for
    /// their family circle. Only memories with a live "share with family" consent go; the rest
    /// are listed and stay. Each one queued is audited as `export`. The outbox uploads them.
    pub fn export_to_family(
        &self,
        vault: &ResidentVault,
        memory_ids: Option<&[i64]>,
    ) -> Result<FamilyExport, KioskError> {
        let staff = self.acting_on(vault, Permission::Export)?;
        // A live grant means the resident's identity exists (it signed, or a proxy signed for
        // it); without one nothing is queued and nothing is created.
        let owner = || -> Result<_, KioskError> {
            Ok(OwnerKeys::load(vault.keys().as_ref())
                .map_err(consent::ConsentError::from)?
                .ok_or(KioskError::Internal { what: "the resident's identity" })?
                .public())
        };
        let now = self.now();
        let ids: Vec<i64> = match memory_ids {
            Some(ids) => ids.to_vec(),
            None => vault.with(|g| {
                let mut ids = Vec::new();
                let mut offset = 0;
                loop {
                    let page = g.list_memories(offset, 200)?;
                    if page.is_empty() {
                        break;
                    }
                    offset += page.len() as u32;
                    ids.extend(page.iter().map(|m| m.id));
                }
                Ok(ids)
            })?,
        };
        let mut export = FamilyExport::default();
        for id in ids {
            let subject = Subject::Memory(id);
            let live = vault.with(|g| {
                g.memory(id)?;
                Ok(consent::live_grant(g, subject, Purpose::ShareWithFamily, now)?)
            })?;
            if live.is_none() {
                export.without_consent.push(id);
                continue;
            }
            let owner = owner()?;
            let item = vault.with(|g| Ok(crate::outbox::share(g, &owner, subject, now)?))?;
            self.audit(
                &staff.id,
                AuditAction::Export,
                vault.resident_id(),
                Some(&format!("memory:{id}")),
            )?;
            export.queued.push((id, item.id));
        }
        Ok(export)
    }
}

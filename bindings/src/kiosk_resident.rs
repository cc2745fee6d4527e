//! One resident's open vault in kiosk mode: the same sub-objects as [`crate::Heirloom`] (each
//! behind the staff member's role), and the care features. Every handle from here fails with
//! `Closed` once staff switch resident or the kiosk locks.

use crate::kiosk_types::{ConsentBy, ConsentLine, FamilyExport, PromptSet, StoryCard};
use crate::session::Session;
use crate::sharing_types::{ConsentPolicy, ConsentRecord, EnclaveConfig};
use crate::{ApiError, FamilyMember, Interview, Memories, Outbox, Photos, Recorder, Transcriber};
use heirloom_core::consent::Purpose;
use heirloom_core::kiosk::{self as core, AuditAction, Permission, ResidentVault};
use std::sync::Arc;

/// A resident's open vault.
#[derive(uniffi::Object)]
pub struct KioskResident {
    kiosk: Arc<core::Kiosk>,
    vault: ResidentVault,
    session: Arc<Session>,
}

impl std::fmt::Debug for KioskResident {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KioskResident").field("resident", &self.vault.resident_id()).finish()
    }
}

impl KioskResident {
    pub(crate) fn new(kiosk: Arc<core::Kiosk>, vault: ResidentVault) -> Self {
        let session = Arc::new(Session::shared(vault.graph()));
        Self { kiosk, vault, session }
    }

    /// Checks this vault is still the open one and the staff member may do `permission`;
    /// optionally audits handing out the capability.
    fn allow(
        &self,
        permission: Permission,
        audit: Option<(AuditAction, &str)>,
    ) -> Result<(), ApiError> {
        if !self.vault.is_open() {
            return Err(ApiError::Closed);
        }
        self.kiosk.require(permission)?;
        if let Some((action, object)) = audit {
            self.kiosk.record_action(&self.vault, action, Some(object))?;
        }
        Ok(())
    }
}

#[uniffi::export]
impl KioskResident {
    /// The resident's id.
    pub fn resident_id(&self) -> String {
        self.vault.resident_id().to_owned()
    }

    /// Whether this vault is still open (false after a switch or lock).
    pub fn is_open(&self) -> bool {
        self.vault.is_open()
    }

    /// Voice recording into the resident's vault (audited as `record`).
    pub fn recorder(&self) -> Result<Arc<Recorder>, ApiError> {
        self.allow(Permission::Record, Some((AuditAction::Record, "recorder")))?;
        Ok(Arc::new(Recorder::new(self.session.clone())))
    }

    /// On-device transcription of the resident's recordings. It returns transcripts, so it
    /// needs the right to read them.
    pub fn transcriber(&self, models_dir: String) -> Result<Arc<Transcriber>, ApiError> {
        self.allow(Permission::ReadTranscripts, None)?;
        Ok(Arc::new(Transcriber::new(self.session.clone(), models_dir.into())))
    }

    /// The interviewer (next question, typed answers) for a session. It reads the graph and
    /// returns what answers say, so it needs the right to read transcripts; care workers use
    /// the prompt sets.
    pub fn interview(&self) -> Result<Arc<Interview>, ApiError> {
        self.allow(Permission::ReadTranscripts, None)?;
        Ok(Arc::new(Interview::new(self.session.clone())))
    }

    /// The resident's photos (import and view any of them), for those who may read the vault.
    pub fn photos(&self) -> Result<Arc<Photos>, ApiError> {
        self.allow(Permission::ReadTranscripts, None)?;
        Ok(Arc::new(Photos::new(self.session.clone())))
    }

    /// Transcripts and memories (needs the right to read transcripts; audited as `read`).
    pub fn memories(&self) -> Result<Arc<Memories>, ApiError> {
        self.allow(Permission::ReadTranscripts, Some((AuditAction::Read, "memories")))?;
        Ok(Arc::new(Memories::new(self.session.clone())))
    }

    /// Who consented to what.
    pub fn consents(&self) -> Result<Vec<ConsentLine>, ApiError> {
        self.allow(Permission::Record, None)?;
        Ok(self.kiosk.consent_overview(&self.vault)?.into_iter().map(Into::into).collect())
    }

    /// Records a consent, by the resident or a proxy.
    pub fn give_consent(
        &self,
        memory_id: i64,
        purpose: Purpose,
        by: ConsentBy,
        policy: ConsentPolicy,
    ) -> Result<ConsentRecord, ApiError> {
        self.allow(Permission::RecordConsent, None)?;
        let receipt =
            self.kiosk.give_consent(&self.vault, memory_id, purpose, &by.into(), &policy.into())?;
        Ok(receipt.into())
    }

    /// Withdraws a consent: pending uploads stop, anything sent is queued for erasure.
    pub fn revoke_consent(
        &self,
        memory_id: i64,
        purpose: Purpose,
        by: ConsentBy,
        policy: ConsentPolicy,
    ) -> Result<ConsentRecord, ApiError> {
        self.allow(Permission::RecordConsent, None)?;
        let receipt = self.kiosk.revoke_consent(
            &self.vault,
            memory_id,
            purpose,
            &by.into(),
            &policy.into(),
        )?;
        Ok(receipt.into())
    }

    /// A draft story card to go through with the resident.
    pub fn story_card_draft(&self) -> Result<String, ApiError> {
        self.allow(Permission::RecordConsent, None)?;
        Ok(self.kiosk.story_card_draft(&self.vault)?)
    }

    /// The resident (or a proxy) approves the card's exact words.
    pub fn approve_story_card(&self, text: String, by: ConsentBy) -> Result<StoryCard, ApiError> {
        self.allow(Permission::RecordConsent, None)?;
        Ok(self.kiosk.approve_story_card(&self.vault, &text, &by.into())?.into())
    }

    /// The approved story card, if any.
    pub fn story_card(&self) -> Result<Option<StoryCard>, ApiError> {
        self.allow(Permission::ViewStoryCards, None)?;
        Ok(self.kiosk.story_card(&self.vault)?.map(Into::into))
    }

    /// Withdraws the story card.
    pub fn withdraw_story_card(&self) -> Result<bool, ApiError> {
        self.allow(Permission::RecordConsent, None)?;
        Ok(self.kiosk.withdraw_story_card(&self.vault)?)
    }

    /// Reminiscence prompt sets by era, theme and people.
    pub fn prompt_sets(&self) -> Result<Vec<PromptSet>, ApiError> {
        self.allow(Permission::ViewStoryCards, None)?;
        Ok(self.kiosk.prompt_sets(&self.vault)?.into_iter().map(Into::into).collect())
    }

    /// Adds someone to the resident's family circle from their invite.
    pub fn add_family_member(&self, invite: String) -> Result<FamilyMember, ApiError> {
        self.allow(Permission::Export, None)?;
        Ok(self.kiosk.add_family_member(&self.vault, &invite)?.into())
    }

    /// Queues the resident's memories (these, or all) with family consent as sealed shares.
    pub fn export_to_family(&self, memory_ids: Option<Vec<i64>>) -> Result<FamilyExport, ApiError> {
        self.allow(Permission::Export, None)?;
        Ok(self.kiosk.export_to_family(&self.vault, memory_ids.as_deref())?.into())
    }

    /// The resident's uploads queue (sends family exports), talking to `enclave`.
    pub fn outbox(&self, enclave: EnclaveConfig) -> Result<Arc<Outbox>, ApiError> {
        self.allow(Permission::Export, None)?;
        Ok(Arc::new(Outbox::new(self.session.clone(), enclave)?))
    }
}

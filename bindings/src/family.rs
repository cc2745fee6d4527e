//! Family sub-object: the circle shares are sealed to (invites, members, removal), sharing a
//! memory or a video with it, the signed manifest a member needs, and, on a member's device,
//! receiving and opening a share.

use crate::key_store::HostKeys;
use crate::session::Session;
use crate::ApiError;
use heirloom_core::consent::Subject;
use heirloom_core::family::{self, FamilyError, FamilyRole};
use heirloom_core::outbox;
use heirloom_core::seal::{OwnerKeys, VerifyingKey};
use std::sync::Arc;
use std::time::Duration;

impl From<FamilyError> for ApiError {
    fn from(e: FamilyError) -> Self {
        let reason = e.to_string();
        match e {
            FamilyError::InvalidInvite { .. } | FamilyError::InvalidName => {
                Self::InvalidInput { reason }
            }
            FamilyError::NotFound { id } => Self::NotFound { what: "family member".into(), id },
            FamilyError::Graph(g) => g.into(),
        }
    }
}

/// A member's role in the circle.
#[derive(Debug, Clone, Copy, PartialEq, Eq, uniffi::Enum)]
pub enum MemberRole {
    Family,
    Guardian,
    Friend,
}

impl From<MemberRole> for FamilyRole {
    fn from(r: MemberRole) -> Self {
        match r {
            MemberRole::Family => FamilyRole::Family,
            MemberRole::Guardian => FamilyRole::Guardian,
            MemberRole::Friend => FamilyRole::Friend,
        }
    }
}

impl From<FamilyRole> for MemberRole {
    fn from(r: FamilyRole) -> Self {
        match r {
            FamilyRole::Family => MemberRole::Family,
            FamilyRole::Guardian => MemberRole::Guardian,
            FamilyRole::Friend => MemberRole::Friend,
        }
    }
}

/// A member of the circle.
#[derive(Debug, Clone, uniffi::Record)]
pub struct FamilyMember {
    pub id: i64,
    pub name: String,
    pub role: MemberRole,
    /// Their age X25519 recipient (`age1…`).
    pub recipient: String,
    pub added_at_ms: i64,
    /// Set once removed: later shares leave them out.
    pub removed_at_ms: Option<i64>,
}

impl From<family::FamilyMember> for FamilyMember {
    fn from(m: family::FamilyMember) -> Self {
        Self {
            id: m.id,
            name: m.name,
            role: m.role.into(),
            recipient: m.recipient,
            added_at_ms: m.added_at_ms,
            removed_at_ms: m.removed_at_ms,
        }
    }
}

/// A share received and opened on this device.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ReceivedShare {
    pub share_id: String,
    /// "memory" or "media".
    pub payload: String,
    /// The sealed file as kept on this device (it opens only with this device's key).
    pub sealed_path: String,
    /// What it holds: `memory.json`, `recording-N.wav`, `photo-N.jpg`, `video-N.mp4`, or
    /// `media.json` and `media.<ext>`.
    pub entries: Vec<ShareEntry>,
}

#[derive(Debug, Clone, uniffi::Record)]
pub struct ShareEntry {
    pub name: String,
    pub bytes: u64,
}

/// Where a member fetches shares from.
#[derive(Debug, Clone, uniffi::Record)]
pub struct ShareSource {
    pub enclave_url: String,
    /// The enclave signing keys this app pins.
    pub pinned_signers: Vec<String>,
}

#[derive(Debug, uniffi::Object)]
pub struct Family {
    session: Arc<Session>,
    keys: Arc<HostKeys>,
}

impl Family {
    pub(crate) fn new(session: Arc<Session>, keys: Arc<HostKeys>) -> Self {
        Self { session, keys }
    }

    fn owner(&self) -> Result<OwnerKeys, ApiError> {
        Ok(OwnerKeys::load_or_create(self.keys.as_ref())?)
    }
}

fn pinned(keys: &[String]) -> Result<Vec<VerifyingKey>, ApiError> {
    keys.iter().map(|k| k.parse::<VerifyingKey>().map_err(ApiError::from)).collect()
}

#[uniffi::export]
impl Family {
    /// This device's invite (about 130 characters, QR-alphanumeric) for someone's circle.
    pub fn invite(&self, name: String, role: MemberRole) -> Result<String, ApiError> {
        Ok(family::Invite::for_owner(&self.owner()?.public(), &name, role.into())?)
    }

    /// Adds the member an invite describes (adding them again updates them, or brings back a
    /// removed member). A mistyped invite is `InvalidInput`.
    pub fn add(&self, invite: String) -> Result<FamilyMember, ApiError> {
        self.session
            .with(|g| family::add_member(g, &invite).map_err(ApiError::from))
            .map(Into::into)
    }

    /// Every member, current and removed.
    pub fn members(&self) -> Result<Vec<FamilyMember>, ApiError> {
        self.session
            .with(|g| family::members(g).map_err(ApiError::from))
            .map(|l| l.into_iter().map(Into::into).collect())
    }

    /// Leaves a member out of every later share (earlier shares stay readable to them: sealed
    /// files cannot be recalled).
    pub fn remove(&self, member_id: i64) -> Result<bool, ApiError> {
        self.session.with(|g| family::remove_member(g, member_id).map_err(ApiError::from))
    }

    /// Queues a memory (voice, transcript, photos) — or, with `media`, one photo or video —
    /// to share with the circle, sealed to the owner and every current member. Needs a live
    /// "share with family" consent; the outbox sends it. Returns the outbox item id.
    pub fn share(&self, id: i64, media: bool) -> Result<i64, ApiError> {
        let owner = self.owner()?.public();
        let subject = if media { Subject::Media(id) } else { Subject::Memory(id) };
        self.session
            .with(|g| outbox::share(g, &owner, subject, heirloom_core::clock::now_ms()))
            .map(|item| item.id)
    }

    /// The owner-signed manifest (JSON) of an uploaded share, for the family: it names the
    /// sealed file, its hash, the consent and the enclave's receipt; no member and no content.
    pub fn manifest(&self, item_id: i64, pinned_signers: Vec<String>) -> Result<String, ApiError> {
        let owner = self.owner()?;
        let pinned = pinned(&pinned_signers)?;
        let doc = self.session.with(|g| {
            outbox::share_manifest(g, &owner, &pinned, item_id).map_err(ApiError::from)
        })?;
        Ok(heirloom_core::seal::canonical_json(&doc)?)
    }

    /// On a member's device: fetches the share `manifest_json` describes, checks it (signed by
    /// `owner_signing_key`, the sharer's key this app trusts; the consent; the enclave's
    /// receipt; the downloaded bytes) and opens it with this device's key. Kept sealed in the
    /// data directory; nothing is kept if any check fails.
    pub fn receive(
        &self,
        manifest_json: String,
        owner_signing_key: String,
        source: ShareSource,
    ) -> Result<ReceivedShare, ApiError> {
        let doc: serde_json::Value = serde_json::from_str(&manifest_json)
            .map_err(|_| ApiError::InvalidInput { reason: "the manifest is not JSON".into() })?;
        let sharer: VerifyingKey = owner_signing_key.parse()?;
        let config = outbox::ReceiveConfig {
            enclave_url: source.enclave_url,
            pinned_signers: pinned(&source.pinned_signers)?,
            request_timeout: Duration::from_secs(60),
            tls_roots: outbox::TlsRoots::default(),
        };
        let me = self.owner()?;
        let dir = self.session.with(|g| Ok::<_, ApiError>(g.data_dir().join("received")))?;
        let got = outbox::receive_share(&config, &doc, &sharer, me.identity(), &dir)?;
        Ok(ReceivedShare {
            share_id: got.share_id,
            payload: got.payload,
            sealed_path: got.path.display().to_string(),
            entries: got
                .entries
                .into_iter()
                .map(|(name, bytes)| ShareEntry { name, bytes })
                .collect(),
        })
    }

    /// One entry of a received share, opened with this device's key (every byte checked).
    pub fn read_entry(&self, sealed_path: String, name: String) -> Result<Vec<u8>, ApiError> {
        let me = self.owner()?;
        let mut found = None;
        outbox::read_share(me.identity(), std::path::Path::new(&sealed_path), |entry, reader| {
            if entry == name {
                let mut bytes = Vec::new();
                reader.read_to_end(&mut bytes).map_err(|e| outbox::OutboxError::Io {
                    op: "open the share",
                    kind: e.kind(),
                })?;
                found = Some(bytes);
            }
            Ok(())
        })?;
        found.ok_or(ApiError::NotFound { what: "share entry".into(), id: 0 })
    }
}

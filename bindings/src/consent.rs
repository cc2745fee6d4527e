//! Consent sub-object: give, revoke and list consent per memory and purpose, signed by the owner
//! or by a proxy (whose signing key the app keeps in its key store under a name it chooses).

use crate::key_store::HostKeys;
use crate::session::Session;
use crate::sharing_types::{ConsentPolicy, ConsentRecord};
use crate::ApiError;
use heirloom_core::consent::{self, ConsentRequest, GivenBy, Giver, Purpose, Subject};
use heirloom_core::keystore::{KeyStore as _, SecretKey};
use heirloom_core::seal::{OwnerKeys, SigningIdentity};
use std::sync::Arc;

/// Consent, per memory and purpose.
#[derive(Debug, uniffi::Object)]
pub struct Consent {
    session: Arc<Session>,
    keys: Arc<HostKeys>,
    policy: ConsentPolicy,
}

impl Consent {
    pub(crate) fn new(session: Arc<Session>, keys: Arc<HostKeys>, policy: ConsentPolicy) -> Self {
        Self { session, keys, policy }
    }

    fn proxy_key(&self, key_name: &str) -> Result<SigningIdentity, ApiError> {
        let name = format!("proxy/{key_name}");
        let seed = match self.keys.load(&name)? {
            Some(seed) => seed,
            None => {
                let seed = SecretKey::generate()?;
                self.keys.store(&name, &seed)?;
                seed
            }
        };
        Ok(SigningIdentity::from_seed(&seed))
    }

    fn now() -> i64 {
        heirloom_core::clock::now_ms()
    }

    fn owner_giver<'a>(owner: &'a OwnerKeys) -> Giver<'a> {
        Giver {
            signer: owner.signing(),
            principal: owner.public().verifying_key,
            given_by: GivenBy::Owner,
        }
    }

    fn give_for(
        &self,
        subject: Subject,
        purpose: Purpose,
        expires_at_ms: Option<i64>,
    ) -> Result<ConsentRecord, ApiError> {
        let owner = OwnerKeys::load_or_create(self.keys.as_ref())?;
        let request = ConsentRequest { subject, purpose, expires_at_ms };
        let policy = self.policy.clone().into();
        self.session
            .with(|g| consent::give(g, &Self::owner_giver(&owner), &request, &policy, Self::now()))
            .map(Into::into)
    }

    fn revoke_for(&self, subject: Subject, purpose: Purpose) -> Result<ConsentRecord, ApiError> {
        let owner = OwnerKeys::load_or_create(self.keys.as_ref())?;
        let policy = self.policy.clone().into();
        self.session
            .with(|g| {
                consent::revoke(
                    g,
                    &Self::owner_giver(&owner),
                    subject,
                    purpose,
                    &policy,
                    Self::now(),
                )
            })
            .map(Into::into)
    }
}

#[uniffi::export]
impl Consent {
    /// The owner consents to `purpose` for a memory; `expires_at_ms` ends it (default: until
    /// revoked). A live grant for the same memory and purpose is returned as it is.
    pub fn give(
        &self,
        memory_id: i64,
        purpose: Purpose,
        expires_at_ms: Option<i64>,
    ) -> Result<ConsentRecord, ApiError> {
        self.give_for(Subject::Memory(memory_id), purpose, expires_at_ms)
    }

    /// The owner consents to contributing to AI training: clipped, noised model updates
    /// trained on this device (never memories) may go, sealed to the enclave, each round the
    /// owner's device joins. `expires_at_ms` ends it (default: until revoked).
    pub fn give_training(&self, expires_at_ms: Option<i64>) -> Result<ConsentRecord, ApiError> {
        self.give_for(Subject::Training, Purpose::AiTraining, expires_at_ms)
    }

    /// The owner withdraws the training consent: no further round is joined, a queued update
    /// stops, and what was sent is queued for erasure.
    pub fn revoke_training(&self) -> Result<ConsentRecord, ApiError> {
        self.revoke_for(Subject::Training, Purpose::AiTraining)
    }

    /// A proxy (guardian or family member) consents for the owner, signing with their own key
    /// (kept in the key store as `proxy/<proxy_key_name>`), with their relation and a note on
    /// the owner's capacity.
    pub fn give_as_proxy(
        &self,
        memory_id: i64,
        purpose: Purpose,
        proxy_key_name: String,
        relation: String,
        capacity_note: String,
    ) -> Result<ConsentRecord, ApiError> {
        let owner = OwnerKeys::load_or_create(self.keys.as_ref())?;
        let proxy = self.proxy_key(&proxy_key_name)?;
        let giver = Giver {
            signer: &proxy,
            principal: owner.public().verifying_key,
            given_by: GivenBy::Proxy { relation, capacity_note },
        };
        let request =
            ConsentRequest { subject: Subject::Memory(memory_id), purpose, expires_at_ms: None };
        let policy = self.policy.clone().into();
        self.session
            .with(|g| consent::give(g, &giver, &request, &policy, Self::now()))
            .map(Into::into)
    }

    /// The owner revokes: pending uploads stop, and anything sent is queued for erasure.
    pub fn revoke(&self, memory_id: i64, purpose: Purpose) -> Result<ConsentRecord, ApiError> {
        self.revoke_for(Subject::Memory(memory_id), purpose)
    }

    /// The grant in force for a memory and purpose, if any.
    pub fn live(
        &self,
        memory_id: i64,
        purpose: Purpose,
    ) -> Result<Option<ConsentRecord>, ApiError> {
        self.session
            .with(|g| consent::live_grant(g, Subject::Memory(memory_id), purpose, Self::now()))
            .map(|r| r.map(Into::into))
    }

    /// Every receipt (for one memory when given), oldest first; each re-verified as it is read.
    pub fn history(&self, memory_id: Option<i64>) -> Result<Vec<ConsentRecord>, ApiError> {
        self.session
            .with(|g| consent::history(g, memory_id.map(Subject::Memory)))
            .map(|list| list.into_iter().map(Into::into).collect())
    }
}

//! Proxies: the guardians and family members who may consent for an owner who cannot. Each
//! signs with a key of their own, made on the device the first time they consent and kept in
//! the key store as `proxy/<verifying key>`; the graph remembers their name and relation, so
//! the app can show who consented to what.

use super::ConsentError;
use crate::graph::MemoryGraph;
use crate::keystore::KeyStore;
use crate::seal::{SealError, SigningIdentity, VerifyingKey};
use rusqlite::{params, OptionalExtension};

/// Someone who may consent for the owner.
#[derive(Clone, PartialEq, Eq)]
pub struct Proxy {
    pub name: String,
    /// "daughter", "legal guardian", …
    pub relation: String,
    pub verifying_key: VerifyingKey,
}

impl std::fmt::Debug for Proxy {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Proxy").field("verifying_key", &self.verifying_key).finish_non_exhaustive()
    }
}

fn check(text: &str) -> Result<&str, ConsentError> {
    let text = text.trim();
    if text.is_empty() || text.chars().count() > 120 || text.chars().any(char::is_control) {
        return Err(ConsentError::InvalidRequest {
            reason: "a proxy's name and relation are 1 to 120 characters",
        });
    }
    Ok(text)
}

fn key_name(key: &VerifyingKey) -> String {
    format!("proxy/{key}")
}

/// The proxy `name` (`relation`) and their signing key, registering them on first use.
pub fn proxy_signer(
    graph: &MemoryGraph,
    keys: &dyn KeyStore,
    name: &str,
    relation: &str,
    now_ms: i64,
) -> Result<(Proxy, SigningIdentity), ConsentError> {
    let (name, relation) = (check(name)?, check(relation)?);
    let known: Option<String> = graph.database().read(|tx| {
        Ok::<_, ConsentError>(
            tx.query_row(
                "SELECT verifying_key FROM consent_proxy WHERE name = ?1 AND relation = ?2",
                params![name, relation],
                |r| r.get(0),
            )
            .optional()?,
        )
    })?;
    if let Some(text) = known {
        let key: VerifyingKey =
            text.parse().map_err(|_| ConsentError::InvalidReceipt { what: "proxy key" })?;
        let seed = keys
            .load(&key_name(&key))
            .map_err(SealError::from)?
            .ok_or(ConsentError::InvalidRequest { reason: "the proxy's signing key is missing" })?;
        let signer = SigningIdentity::from_seed(&seed);
        if signer.verifying_key() != key {
            return Err(ConsentError::BadSignature);
        }
        return Ok((
            Proxy { name: name.into(), relation: relation.into(), verifying_key: key },
            signer,
        ));
    }
    let signer = SigningIdentity::generate()?;
    let key = signer.verifying_key();
    keys.store(&key_name(&key), &signer.to_seed()).map_err(SealError::from)?;
    graph.database().write(|tx| {
        tx.execute(
            "INSERT INTO consent_proxy (verifying_key, name, relation, created_ms) \
             VALUES (?1, ?2, ?3, ?4)",
            params![key.to_string(), name, relation, now_ms],
        )?;
        Ok::<_, ConsentError>(())
    })?;
    Ok((Proxy { name: name.into(), relation: relation.into(), verifying_key: key }, signer))
}

/// Every registered proxy.
pub fn proxies(graph: &MemoryGraph) -> Result<Vec<Proxy>, ConsentError> {
    let rows: Vec<(String, String, String)> = graph.database().read(|tx| {
        let mut stmt = tx.prepare(
            "SELECT name, relation, verifying_key FROM consent_proxy ORDER BY created_ms, name",
        )?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?;
        Ok::<_, ConsentError>(rows.collect::<rusqlite::Result<_>>()?)
    })?;
    rows.into_iter()
        .map(|(name, relation, key)| {
            let verifying_key =
                key.parse().map_err(|_| ConsentError::InvalidReceipt { what: "proxy key" })?;
            Ok(Proxy { name, relation, verifying_key })
        })
        .collect()
}

//! Ed25519 signatures over canonical JSON: what consent receipts, enclave key bundles and
//! upload / erasure receipts are signed with. Canonical JSON is the RFC 8785 (JCS) form for the
//! values these documents hold: object keys sorted, no whitespace, integers only (a float is
//! refused rather than risk two encodings of one number).

use super::SealError;
use crate::keystore::SecretKey;
use base64::engine::general_purpose::STANDARD;
use base64::Engine;
use ed25519_dalek::{Signer, SigningKey};
use serde_json::Value;
use std::fmt;
use std::str::FromStr;

/// The field a signed document keeps its signature in; everything else is signed.
pub const SIGNATURE_FIELD: &str = "signature";

/// Serialises `value` canonically (sorted keys, no whitespace, integers only).
pub fn canonical_json(value: &Value) -> Result<String, SealError> {
    let mut out = String::new();
    write_canonical(value, &mut out)?;
    Ok(out)
}

fn write_canonical(value: &Value, out: &mut String) -> Result<(), SealError> {
    match value {
        Value::Null | Value::Bool(_) | Value::String(_) => {
            // serde_json escapes strings as JCS does: only `"`, `\` and control characters.
            out.push_str(&value.to_string());
        }
        Value::Number(n) => {
            if !(n.is_i64() || n.is_u64()) {
                return Err(SealError::Malformed {
                    what: "signed document holds a non-integer number",
                });
            }
            out.push_str(&n.to_string());
        }
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                write_canonical(item, out)?;
            }
            out.push(']');
        }
        Value::Object(map) => {
            // JCS orders keys by UTF-16 code units; the same as byte order for the ASCII keys
            // these documents use, and close enough to be deterministic for any others.
            let mut keys: Vec<&String> = map.keys().collect();
            keys.sort_by(|a, b| a.encode_utf16().cmp(b.encode_utf16()));
            out.push('{');
            for (i, key) in keys.into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str(&Value::String(key.clone()).to_string());
                out.push(':');
                write_canonical(&map[key], out)?;
            }
            out.push('}');
        }
    }
    Ok(())
}

/// The bytes a document's signature covers: its canonical JSON without the signature field.
pub fn signed_bytes(document: &Value) -> Result<Vec<u8>, SealError> {
    let mut unsigned = document.clone();
    match unsigned.as_object_mut() {
        Some(map) => {
            map.remove(SIGNATURE_FIELD);
        }
        None => return Err(SealError::Malformed { what: "signed document is not a JSON object" }),
    }
    Ok(canonical_json(&unsigned)?.into_bytes())
}

/// An Ed25519 public key, written as unpadded base64 (43 characters).
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct VerifyingKey(ed25519_dalek::VerifyingKey);

impl VerifyingKey {
    /// The key for 32 raw bytes; refused if they are not a valid curve point.
    pub fn from_bytes(bytes: &[u8; 32]) -> Result<Self, SealError> {
        ed25519_dalek::VerifyingKey::from_bytes(bytes)
            .map(Self)
            .map_err(|_| SealError::Malformed { what: "Ed25519 public key" })
    }

    /// The raw 32 bytes.
    pub fn to_bytes(&self) -> [u8; 32] {
        self.0.to_bytes()
    }

    /// Checks a signature strictly (no malleable or small-order forms).
    pub fn verify(&self, message: &[u8], signature: &[u8]) -> Result<(), SealError> {
        let signature =
            ed25519_dalek::Signature::from_slice(signature).map_err(|_| SealError::BadSignature)?;
        self.0.verify_strict(message, &signature).map_err(|_| SealError::BadSignature)
    }

    /// Checks the `signature` field of `document` against the rest of it.
    pub fn verify_document(&self, document: &Value) -> Result<(), SealError> {
        let signature =
            document.get(SIGNATURE_FIELD).and_then(Value::as_str).ok_or(SealError::BadSignature)?;
        let signature = STANDARD.decode(signature).map_err(|_| SealError::BadSignature)?;
        self.verify(&signed_bytes(document)?, &signature)
    }
}

impl fmt::Display for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&super::header::encode_b64(self.0.as_bytes()))
    }
}

impl fmt::Debug for VerifyingKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VerifyingKey({self})")
    }
}

impl FromStr for VerifyingKey {
    type Err = SealError;

    fn from_str(text: &str) -> Result<Self, SealError> {
        let bytes: [u8; 32] = super::header::decode_b64(text.trim().as_bytes())
            .and_then(|b| b.try_into().ok())
            .ok_or(SealError::Malformed { what: "Ed25519 public key" })?;
        Self::from_bytes(&bytes)
    }
}

/// A secret Ed25519 key that signs documents. Zeroized on drop; `Debug` shows the public half.
#[derive(Clone)]
pub struct SigningIdentity(SigningKey);

impl SigningIdentity {
    /// The key for a 32-byte seed kept in a key store.
    pub fn from_seed(seed: &SecretKey) -> Self {
        Self(SigningKey::from_bytes(seed.expose()))
    }

    /// A fresh key from the operating system's CSPRNG.
    pub fn generate() -> Result<Self, SealError> {
        Ok(Self::from_seed(&SecretKey::generate().map_err(|_| SealError::Randomness)?))
    }

    /// The seed, to hand to a key store.
    pub fn to_seed(&self) -> SecretKey {
        SecretKey::from_bytes(self.0.to_bytes())
    }

    /// The public key that checks this identity's signatures.
    pub fn verifying_key(&self) -> VerifyingKey {
        VerifyingKey(self.0.verifying_key())
    }

    /// Signs raw bytes.
    pub fn sign(&self, message: &[u8]) -> [u8; 64] {
        self.0.sign(message).to_bytes()
    }

    /// Sets `document`'s `signature` field (base64) over its canonical form.
    pub fn sign_document(&self, document: &mut Value) -> Result<(), SealError> {
        let signature = self.sign(&signed_bytes(document)?);
        if let Some(map) = document.as_object_mut() {
            map.insert(SIGNATURE_FIELD.into(), Value::String(STANDARD.encode(signature)));
        }
        Ok(())
    }
}

impl fmt::Debug for SigningIdentity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SigningIdentity(<secret> for {})", self.verifying_key())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn canonical_form_sorts_keys_and_refuses_floats() {
        let v = json!({"b": 1, "a": {"z": [true, null, "é\n\"x\""], "c": -5}, "A": "x"});
        assert_eq!(
            canonical_json(&v).expect("canonical"),
            r#"{"A":"x","a":{"c":-5,"z":[true,null,"é\n\"x\""]},"b":1}"#
        );
        assert!(canonical_json(&json!({"x": 1.5})).is_err());
    }

    #[test]
    fn signed_documents_verify_and_any_change_breaks_them() {
        let key = SigningIdentity::generate().expect("key");
        let mut doc = json!({"purpose": "backup", "memory": 7, "given_at": "2026-11-22T08:00:00Z"});
        key.sign_document(&mut doc).expect("sign");
        key.verifying_key().verify_document(&doc).expect("verifies");
        // Field order does not matter; content does.
        let reordered: Value =
            serde_json::from_str(&canonical_json(&doc).expect("canonical")).expect("parse");
        key.verifying_key().verify_document(&reordered).expect("reordered verifies");
        let mut changed = doc.clone();
        changed["memory"] = json!(8);
        assert!(matches!(
            key.verifying_key().verify_document(&changed),
            Err(SealError::BadSignature)
        ));
        let other = SigningIdentity::generate().expect("key");
        assert!(matches!(
            other.verifying_key().verify_document(&doc),
            Err(SealError::BadSignature)
        ));
        let mut unsigned = doc.clone();
        unsigned.as_object_mut().map(|m| m.remove(SIGNATURE_FIELD));
        assert!(key.verifying_key().verify_document(&unsigned).is_err());
    }

    #[test]
    fn keys_print_publicly_and_parse_back() {
        let key = SigningIdentity::generate().expect("key");
        let public = key.verifying_key();
        assert_eq!(public.to_string().parse::<VerifyingKey>().expect("parse"), public);
        let shown = format!("{key:?}");
        assert!(shown.contains(&public.to_string()));
        assert!(!shown.contains(&*key.to_seed().to_hex()));
        assert!("not a key".parse::<VerifyingKey>().is_err());
    }
}

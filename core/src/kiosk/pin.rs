//! Staff PINs. A PIN is never stored: Argon2id stretches it, with a per-staff salt and a pepper
//! derived from the device key (so a copied database alone cannot be brute-forced off the
//! tablet), into a key-encryption key that wraps the kiosk's master key. A wrong PIN is simply a
//! wrap that does not open. Guessing on the tablet is slowed by the lockout in `device.rs`.

use super::KioskError;
use crate::keystore::SecretKey;
use argon2::{Algorithm, Argon2, Params, Version};
use zeroize::Zeroizing;

/// Argon2id cost, stored with each staff member so it can be raised later without locking
/// anyone out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PinCost {
    pub memory_kib: u32,
    pub iterations: u32,
}

impl PinCost {
    /// 64 MiB, 3 passes, one lane: a whole CLI log-in takes 0.21–0.29 s on one core of the
    /// 2-core CI machine (not yet measured on a tablet).
    pub const DEFAULT: PinCost = PinCost { memory_kib: 64 * 1024, iterations: 3 };
    /// The least the device will accept (OWASP's floor for Argon2id: 19 MiB, 2 passes).
    pub const MINIMUM: PinCost = PinCost { memory_kib: 19 * 1024, iterations: 2 };
}

impl Default for PinCost {
    fn default() -> Self {
        Self::DEFAULT
    }
}

/// Shortest PIN accepted.
pub const MIN_PIN_DIGITS: usize = 6;
/// Longest PIN accepted.
pub const MAX_PIN_DIGITS: usize = 12;

/// Refuses PINs that are not 6–12 digits, or that anyone would guess first (one digit
/// repeated, a run up or down).
pub fn check_pin_rules(pin: &str) -> Result<(), KioskError> {
    let bad = |reason| Err(KioskError::InvalidInput { reason });
    let digits: Vec<u8> = pin.bytes().collect();
    if !(MIN_PIN_DIGITS..=MAX_PIN_DIGITS).contains(&digits.len())
        || !digits.iter().all(u8::is_ascii_digit)
    {
        return bad("a PIN is 6 to 12 digits");
    }
    let steps: Vec<i16> = digits.windows(2).map(|w| i16::from(w[1]) - i16::from(w[0])).collect();
    if steps.iter().all(|s| *s == 0) {
        return bad("a PIN cannot be one digit repeated");
    }
    if steps.iter().all(|s| *s == 1) || steps.iter().all(|s| *s == -1) {
        return bad("a PIN cannot be a run of digits");
    }
    Ok(())
}

/// The key-encryption key for `pin`.
pub(crate) fn pin_kek(
    pin: &str,
    salt: &[u8],
    cost: PinCost,
    pepper: &SecretKey,
) -> Result<SecretKey, KioskError> {
    if cost.memory_kib < PinCost::MINIMUM.memory_kib
        || cost.iterations < PinCost::MINIMUM.iterations
    {
        return Err(KioskError::InvalidInput { reason: "the PIN cost is below the minimum" });
    }
    let params = Params::new(cost.memory_kib, cost.iterations, 1, Some(32))
        .map_err(|_| KioskError::InvalidInput { reason: "unusable PIN cost" })?;
    let mut stretched = Zeroizing::new([0u8; 32]);
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(pin.as_bytes(), salt, stretched.as_mut_slice())
        .map_err(|_| KioskError::Crypto)?;
    // Mix in the device pepper: the KEK needs both the PIN and this tablet's key store.
    let mut okm = Zeroizing::new([0u8; 32]);
    let hk = hkdf::Hkdf::<sha2::Sha256>::new(Some(pepper.expose()), stretched.as_slice());
    let _ = hk.expand(b"heirloom/kiosk/pin-kek/v1", okm.as_mut_slice());
    Ok(SecretKey::from_bytes(*okm))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_and_malformed_pins_are_refused() {
        for pin in ["", "12345", "1234567890123", "12a456", "000000", "123456", "987654", "٣٣٣٣٣٣"]
        {
            assert!(check_pin_rules(pin).is_err(), "{pin}");
        }
        for pin in ["482913", "1357924680", "112233"] {
            assert!(check_pin_rules(pin).is_ok(), "{pin}");
        }
    }

    #[test]
    fn kek_depends_on_pin_salt_and_pepper() {
        let pepper = SecretKey::from_bytes([7; 32]);
        let cost = PinCost::MINIMUM;
        let a = pin_kek("482913", b"salt-salt-salt-1", cost, &pepper).expect("kek");
        assert_eq!(a, pin_kek("482913", b"salt-salt-salt-1", cost, &pepper).expect("kek"));
        assert_ne!(a, pin_kek("482914", b"salt-salt-salt-1", cost, &pepper).expect("kek"));
        assert_ne!(a, pin_kek("482913", b"salt-salt-salt-2", cost, &pepper).expect("kek"));
        let other = SecretKey::from_bytes([8; 32]);
        assert_ne!(a, pin_kek("482913", b"salt-salt-salt-1", cost, &other).expect("kek"));
        let cheap = PinCost { memory_kib: 1024, iterations: 1 };
        assert!(pin_kek("482913", b"salt-salt-salt-1", cheap, &pepper).is_err());
    }
}

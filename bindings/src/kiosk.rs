//! Kiosk mode: the root object for a shared care-home tablet. Staff log in with a PIN; a
//! resident's vault opens as a [`KioskResident`], whose handles stop working the moment staff
//! switch resident or the tablet locks.

use crate::key_store::{HostKeys, KeyStore};
use crate::kiosk_resident::KioskResident;
use crate::kiosk_types::{
    AuditRecord, KioskListener, KioskStatus, Resident, ResidentProfile, StaffMember,
};
use crate::ApiError;
use heirloom_core::kiosk::{self as core, IdleWatch, KioskConfig, Role};
use std::path::Path;
use std::sync::{Arc, Mutex};

/// A kiosk tablet.
#[derive(uniffi::Object)]
pub struct Kiosk {
    inner: Arc<core::Kiosk>,
    watch: Mutex<Option<IdleWatch>>,
}

impl std::fmt::Debug for Kiosk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Kiosk")
    }
}

#[uniffi::export]
impl Kiosk {
    /// Opens (or creates) the kiosk in `data_dir`, with the device key from `key_store` (the
    /// platform KeyStore or Keychain).
    #[uniffi::constructor]
    pub fn open(data_dir: String, key_store: Arc<dyn KeyStore>) -> Result<Arc<Self>, ApiError> {
        let keys = HostKeys(key_store);
        let inner = core::Kiosk::open(Path::new(&data_dir), &keys, KioskConfig::default())?;
        Ok(Arc::new(Self { inner: Arc::new(inner), watch: Mutex::new(None) }))
    }

    /// Whether first-run set-up has happened.
    pub fn is_set_up(&self) -> Result<bool, ApiError> {
        Ok(self.inner.is_set_up()?)
    }

    /// First run: the first administrator.
    pub fn set_up(&self, admin_name: String, pin: String) -> Result<StaffMember, ApiError> {
        Ok(self.inner.set_up(&admin_name, &pin)?.into())
    }

    /// Staff for the lock screen's picker.
    pub fn staff(&self) -> Result<Vec<StaffMember>, ApiError> {
        Ok(self.inner.staff()?.into_iter().map(Into::into).collect())
    }

    /// Logs a staff member in. `WrongPin` says how many tries remain before delays;
    /// `LockedOut` says how long to wait.
    pub fn log_in(&self, staff_id: String, pin: String) -> Result<StaffMember, ApiError> {
        Ok(self.inner.log_in(&staff_id, &pin)?.into())
    }

    /// Locks now: the open vault closes and every key in memory is forgotten.
    pub fn lock(&self) -> Result<(), ApiError> {
        Ok(self.inner.lock()?)
    }

    /// Call on every touch (and while recording): postpones the idle lock.
    pub fn touch(&self) -> Result<(), ApiError> {
        Ok(self.inner.touch()?)
    }

    /// Who is logged in, and whose vault is open.
    pub fn status(&self) -> Result<KioskStatus, ApiError> {
        Ok(self.inner.status()?.into())
    }

    /// Starts the idle watchdog: the kiosk locks itself after the idle time and tells
    /// `listener`. Replaces an earlier listener.
    pub fn watch_idle(&self, listener: Arc<dyn KioskListener>) -> Result<(), ApiError> {
        let watch = IdleWatch::start(&self.inner, move |reason| listener.on_locked(reason))?;
        *self.watch.lock().unwrap_or_else(|p| p.into_inner()) = Some(watch);
        Ok(())
    }

    /// Sets the idle time before the kiosk locks (administrators).
    pub fn set_idle_lock_ms(&self, ms: i64) -> Result<(), ApiError> {
        Ok(self.inner.set_idle_lock(ms)?)
    }

    /// Adds a staff member with their first PIN (administrators).
    pub fn add_staff(
        &self,
        name: String,
        role: Role,
        pin: String,
    ) -> Result<StaffMember, ApiError> {
        Ok(self.inner.add_staff(&name, role, &pin)?.into())
    }

    /// Removes a staff member (administrators).
    pub fn remove_staff(&self, staff_id: String) -> Result<(), ApiError> {
        Ok(self.inner.remove_staff(&staff_id)?)
    }

    /// Sets a PIN: your own (with `current_pin`), or anyone's as an administrator.
    pub fn set_pin(
        &self,
        staff_id: String,
        current_pin: Option<String>,
        new_pin: String,
    ) -> Result<(), ApiError> {
        Ok(self.inner.set_pin(&staff_id, current_pin.as_deref(), &new_pin)?)
    }

    /// Adds a resident with a vault of their own; returns their id.
    pub fn add_resident(
        &self,
        profile: ResidentProfile,
        photo: Option<Vec<u8>>,
    ) -> Result<String, ApiError> {
        Ok(self.inner.add_resident(&profile.into(), photo.as_deref())?)
    }

    /// Updates a resident's profile (and photo, when given).
    pub fn update_resident(
        &self,
        resident_id: String,
        profile: ResidentProfile,
        photo: Option<Vec<u8>>,
    ) -> Result<(), ApiError> {
        Ok(self.inner.update_resident(&resident_id, &profile.into(), photo.as_deref())?)
    }

    /// Residents, for the picker.
    pub fn residents(&self) -> Result<Vec<Resident>, ApiError> {
        Ok(self.inner.residents()?.into_iter().map(Into::into).collect())
    }

    /// A resident's profile photo (JPEG), if any.
    pub fn resident_photo(&self, resident_id: String) -> Result<Option<Vec<u8>>, ApiError> {
        Ok(self.inner.resident_photo(&resident_id)?)
    }

    /// Deletes a resident's vault for good (administrators).
    pub fn delete_resident(&self, resident_id: String) -> Result<(), ApiError> {
        Ok(self.inner.delete_resident(&resident_id)?)
    }

    /// Opens a resident's vault (switching: the previous one closes and its handles die).
    pub fn open_resident(&self, resident_id: String) -> Result<Arc<KioskResident>, ApiError> {
        let vault = self.inner.open_resident(&resident_id)?;
        Ok(Arc::new(KioskResident::new(self.inner.clone(), vault)))
    }

    /// Closes the open vault and goes back to the resident picker, staying logged in.
    pub fn close_resident(&self) -> Result<(), ApiError> {
        Ok(self.inner.close_resident()?)
    }

    /// The audit log, verified end to end (administrators).
    pub fn audit_log(&self) -> Result<Vec<AuditRecord>, ApiError> {
        Ok(self.inner.audit_log()?.into_iter().map(Into::into).collect())
    }

    /// The verified audit log as JSON Lines (one entry per line, with its MAC), to hand to an
    /// auditor (administrators).
    pub fn export_audit_log(&self) -> Result<String, ApiError> {
        Ok(self.inner.audit_log_json_lines()?)
    }
}

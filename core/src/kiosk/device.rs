//! The kiosk itself: its device database (SQLCipher under the device key from the platform key
//! store), staff and their PINs, the session of whoever is logged in, the idle lock, residents
//! and opening their vaults.
//!
//! Keys, top down (docs/SECURITY.md, "Kiosk keys"): the device key (platform key store) opens the
//! device database and peppers every PIN. A random master key is wrapped once per staff member
//! under Argon2id(PIN, salt) mixed with the pepper, so only a correct PIN releases it. Each
//! resident has a random vault key wrapped under the master key; the vault key wraps that
//! resident's own secrets (their database key among them). A session holds the master key and
//! at most one resident's keys; locking forgets both.

use super::audit::{AuditAction, AuditEntry, AuditLog};
use super::pin::{self, PinCost};
use super::residents::{profile_photo, Resident, ResidentProfile};
use super::roles::{Permission, Role};
use super::vault::{vault_dir, ResidentVault, VaultKeys};
use super::{wrap, KioskError};
use crate::keystore::{KeyStore, SecretKey};
use rusqlite::{params, Connection, OptionalExtension};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};

/// The device database's file inside the kiosk folder.
pub const KIOSK_DB_FILE: &str = "kiosk.db";
/// Name of the device key in the platform key store.
pub const DEVICE_KEY_NAME: &str = "heirloom.kiosk.device.v1";
/// Failed PIN attempts allowed before delays start.
pub const FREE_ATTEMPTS: u32 = 3;
/// First lockout after the free attempts; each further failure doubles it.
pub const FIRST_LOCKOUT_MS: i64 = 30_000;
/// Longest lockout.
pub const MAX_LOCKOUT_MS: i64 = 60 * 60_000;
/// Idle time before the kiosk locks itself, unless an administrator sets another.
pub const DEFAULT_IDLE_LOCK_MS: i64 = 5 * 60_000;
/// Shortest and longest idle lock an administrator may set.
pub const IDLE_LOCK_RANGE_MS: std::ops::RangeInclusive<i64> = 1_000..=24 * 3_600_000;

const MIGRATIONS: &[&str] = &[include_str!("migrations/001_kiosk.sql")];
/// The audit log's "resident" for events that concern no resident (log-in, staff changes).
pub const NO_RESIDENT: &str = "none";

/// Milliseconds since 1970; replaceable so tests can move time.
pub type Clock = Arc<dyn Fn() -> i64 + Send + Sync>;

/// How a kiosk is opened.
#[derive(Clone)]
pub struct KioskConfig {
    /// Argon2id cost for PINs set from now on.
    pub pin_cost: PinCost,
    pub clock: Clock,
}

impl std::fmt::Debug for KioskConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("KioskConfig").field("pin_cost", &self.pin_cost).finish_non_exhaustive()
    }
}

impl Default for KioskConfig {
    fn default() -> Self {
        Self { pin_cost: PinCost::DEFAULT, clock: Arc::new(crate::clock::now_ms) }
    }
}

/// A staff member as shown on the lock screen.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffMember {
    pub id: String,
    pub name: String,
    pub role: Role,
}

impl std::fmt::Debug for StaffMember {
    // Names are personal: Debug shows the id and role only.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("StaffMember")
            .field("id", &self.id)
            .field("role", &self.role)
            .finish_non_exhaustive()
    }
}

/// Who is logged in and whose vault is open.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KioskStatus {
    pub staff: Option<StaffMember>,
    pub resident_id: Option<String>,
    pub idle_lock_ms: i64,
}

/// Why the kiosk locked.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LockReason {
    /// Staff locked it (or logged out).
    Staff,
    /// Nobody touched it for the idle time.
    Idle,
}

pub(super) struct StaffSession {
    pub(super) staff: StaffMember,
    pub(super) master: SecretKey,
    last_active_ms: i64,
    pub(super) resident: Option<ResidentVault>,
}

impl StaffSession {
    fn close_resident(&mut self) {
        if let Some(vault) = &self.resident {
            vault.close();
        }
        self.resident = None;
    }
}

impl Drop for StaffSession {
    fn drop(&mut self) {
        self.close_resident();
    }
}

/// A kiosk tablet's state: open once per app process.
pub struct Kiosk {
    dir: PathBuf,
    pub(super) db: Arc<Mutex<Connection>>,
    audit_key: SecretKey,
    pub(super) pepper: SecretKey,
    config: KioskConfig,
    idle_lock_ms: AtomicI64,
    session: Mutex<Option<StaffSession>>,
}

impl std::fmt::Debug for Kiosk {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Kiosk").field("dir", &self.dir).finish_non_exhaustive()
    }
}

fn random_id(prefix: &str) -> Result<String, KioskError> {
    let mut bytes = [0u8; 8];
    getrandom::fill(&mut bytes).map_err(|_| KioskError::Randomness)?;
    Ok(format!("{prefix}{}", bytes.iter().map(|b| format!("{b:02x}")).collect::<String>()))
}

fn master_context(staff_id: &str) -> [&[u8]; 2] {
    [b"staff master", staff_id.as_bytes()]
}

fn vault_key_context(resident_id: &str) -> [&[u8]; 2] {
    [b"vault key", resident_id.as_bytes()]
}

fn check_staff_name(name: &str) -> Result<(), KioskError> {
    if name.trim().is_empty() || name.chars().count() > 80 || name.chars().any(char::is_control) {
        return Err(KioskError::InvalidInput {
            reason: "a staff name is 1 to 80 characters, without control characters",
        });
    }
    Ok(())
}

/// The lockout after `failures` consecutive wrong PINs.
pub fn lockout_ms(failures: u32) -> i64 {
    if failures <= FREE_ATTEMPTS {
        return 0;
    }
    let doublings = (failures - FREE_ATTEMPTS - 1).min(20);
    (FIRST_LOCKOUT_MS << doublings).min(MAX_LOCKOUT_MS)
}

struct StaffRow {
    member: StaffMember,
    salt: Vec<u8>,
    cost: PinCost,
    wrapped_master: Vec<u8>,
}

impl Kiosk {
    /// Opens (creating on first use) the kiosk in `dir`, with the device key from `keys` (the
    /// platform key store). An existing kiosk whose device key is gone cannot be opened.
    pub fn open(dir: &Path, keys: &dyn KeyStore, config: KioskConfig) -> Result<Self, KioskError> {
        std::fs::create_dir_all(dir.join("residents"))
            .map_err(|_| KioskError::Io { what: "create the kiosk folder" })?;
        let path = dir.join(KIOSK_DB_FILE);
        let device_key = match keys.load(DEVICE_KEY_NAME)? {
            Some(key) => key,
            None if path.exists() => return Err(KioskError::DeviceKeyMissing),
            None => {
                let key = SecretKey::generate()?;
                keys.store(DEVICE_KEY_NAME, &key)?;
                key
            }
        };
        let db_key = device_key.derive("heirloom/kiosk/database/v1");
        let conn = crate::store::open_encrypted(&path, &db_key, MIGRATIONS)?;
        // Residents share this process: what SQLite frees for one must not linger for the next.
        super::wipe::wipe_sqlite_memory(&conn)?;
        let idle: Option<i64> = conn
            .query_row("SELECT value FROM kiosk_setting WHERE name = 'idle_lock_ms'", [], |r| {
                r.get(0)
            })
            .optional()?;
        AuditLog::open(&conn, device_key.derive("heirloom/kiosk/audit/v1"))?;
        Ok(Self {
            dir: dir.to_path_buf(),
            db: Arc::new(Mutex::new(conn)),
            audit_key: device_key.derive("heirloom/kiosk/audit/v1"),
            pepper: device_key.derive("heirloom/kiosk/pin-pepper/v1"),
            config,
            idle_lock_ms: AtomicI64::new(idle.unwrap_or(DEFAULT_IDLE_LOCK_MS)),
            session: Mutex::new(None),
        })
    }

    pub(super) fn now(&self) -> i64 {
        (self.config.clock)()
    }

    pub(super) fn db(&self) -> MutexGuard<'_, Connection> {
        self.db.lock().unwrap_or_else(|p| p.into_inner())
    }

    pub(super) fn audit(
        &self,
        actor: &str,
        action: AuditAction,
        resident: &str,
        object: Option<&str>,
    ) -> Result<(), KioskError> {
        let conn = self.db();
        AuditLog::open(&conn, self.audit_key.clone())?.append(
            self.now(),
            actor,
            action,
            resident,
            object,
        )?;
        Ok(())
    }

    /// Whether an administrator has been set up.
    pub fn is_set_up(&self) -> Result<bool, KioskError> {
        Ok(self.db().query_row("SELECT count(*) FROM staff", [], |r| r.get::<_, i64>(0))? > 0)
    }

    /// First run: makes the master key and the first administrator. Refused once anyone exists.
    pub fn set_up(&self, admin_name: &str, pin: &str) -> Result<StaffMember, KioskError> {
        check_staff_name(admin_name)?;
        pin::check_pin_rules(pin)?;
        if self.is_set_up()? {
            return Err(KioskError::AlreadySetUp);
        }
        let master = SecretKey::generate()?;
        // Checked again in the insert's transaction: two set-ups racing would otherwise make two
        // administrators with different master keys.
        let member = self.insert_staff(&master, admin_name, Role::Administrator, pin, true)?;
        self.audit(&member.id, AuditAction::ChangeStaff, NO_RESIDENT, Some(&member.id))?;
        Ok(member)
    }

    fn insert_staff(
        &self,
        master: &SecretKey,
        name: &str,
        role: Role,
        pin: &str,
        first: bool,
    ) -> Result<StaffMember, KioskError> {
        let id = random_id("s-")?;
        let (salt, cost, wrapped) = self.wrap_master_for(master, &id, pin)?;
        let mut conn = self.db();
        let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
        let existing: i64 = tx.query_row("SELECT count(*) FROM staff", [], |r| r.get(0))?;
        if first && existing > 0 {
            return Err(KioskError::AlreadySetUp);
        }
        tx.execute(
            "INSERT INTO staff (id, name, role, salt, memory_kib, iterations, wrapped_master, \
             created_ms) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                name.trim(),
                role.as_str(),
                salt,
                cost.memory_kib,
                cost.iterations,
                wrapped,
                self.now()
            ],
        )?;
        tx.commit()?;
        Ok(StaffMember { id, name: name.trim().to_owned(), role })
    }

    fn wrap_master_for(
        &self,
        master: &SecretKey,
        staff_id: &str,
        pin: &str,
    ) -> Result<(Vec<u8>, PinCost, Vec<u8>), KioskError> {
        let mut salt = vec![0u8; 16];
        getrandom::fill(&mut salt).map_err(|_| KioskError::Randomness)?;
        let cost = self.config.pin_cost;
        let kek = pin::pin_kek(pin, &salt, cost, &self.pepper)?;
        let wrapped = wrap::wrap_key(&kek, &master_context(staff_id), master)?;
        Ok((salt, cost, wrapped))
    }

    fn staff_row(&self, id: &str) -> Result<StaffRow, KioskError> {
        let row = self
            .db()
            .query_row(
                "SELECT name, role, salt, memory_kib, iterations, wrapped_master \
                 FROM staff WHERE id = ?1",
                [id],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, String>(1)?,
                        r.get(2)?,
                        r.get(3)?,
                        r.get(4)?,
                        r.get(5)?,
                    ))
                },
            )
            .optional()?
            .ok_or(KioskError::NotFound { what: "staff member" })?;
        let role = Role::parse(&row.1).ok_or(KioskError::Internal { what: "staff role" })?;
        Ok(StaffRow {
            member: StaffMember { id: id.to_owned(), name: row.0, role },
            salt: row.2,
            cost: PinCost { memory_kib: row.3, iterations: row.4 },
            wrapped_master: row.5,
        })
    }

    /// Staff, for the lock screen's picker (names and roles only).
    pub fn staff(&self) -> Result<Vec<StaffMember>, KioskError> {
        let conn = self.db();
        let mut stmt = conn.prepare("SELECT id, name, role FROM staff ORDER BY name, id")?;
        let rows = stmt.query_map([], |r| {
            Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?, r.get::<_, String>(2)?))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (id, name, role) = row?;
            let role = Role::parse(&role).ok_or(KioskError::Internal { what: "staff role" })?;
            out.push(StaffMember { id, name, role });
        }
        Ok(out)
    }

    /// Logs a staff member in with their PIN, ending any other session. After
    /// [`FREE_ATTEMPTS`] wrong PINs in a row, each further one locks the account for longer
    /// ([`lockout_ms`]); while locked, no PIN is even tried.
    pub fn log_in(&self, staff_id: &str, pin: &str) -> Result<StaffMember, KioskError> {
        let (member, master) = self.verify_pin(staff_id, pin)?;
        let now = self.now();
        let mut session = self.session();
        if let Some(previous) = session.as_ref() {
            self.audit(&previous.staff.id, AuditAction::Lock, NO_RESIDENT, Some("log-in"))?;
        }
        self.audit(staff_id, AuditAction::LogIn, NO_RESIDENT, None)?;
        // Assigning drops the previous session in place, zeroizing its keys where they lie.
        *session = Some(StaffSession {
            staff: member.clone(),
            master,
            last_active_ms: now,
            resident: None,
        });
        drop(session);
        super::wipe::scrub_stack();
        Ok(member)
    }

    /// Checks `pin` for `staff_id` and returns the master key it unwraps. The attempt is counted
    /// (and any lockout it earns set) in one transaction *before* the slow Argon2id step, so
    /// parallel guesses cannot share one lockout window; success clears the count.
    fn verify_pin(
        &self,
        staff_id: &str,
        pin: &str,
    ) -> Result<(StaffMember, SecretKey), KioskError> {
        let row = self.staff_row(staff_id)?;
        let now = self.now();
        let failed = {
            let mut conn = self.db();
            let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
            let (failed, locked_until): (u32, i64) = tx
                .query_row(
                    "SELECT failed_attempts, locked_until_ms FROM staff WHERE id = ?1",
                    [staff_id],
                    |r| Ok((r.get(0)?, r.get(1)?)),
                )
                .optional()?
                .ok_or(KioskError::NotFound { what: "staff member" })?;
            if locked_until > now {
                return Err(KioskError::LockedOut { retry_after_ms: locked_until - now });
            }
            let failed = failed.saturating_add(1);
            let delay = lockout_ms(failed);
            tx.execute(
                "UPDATE staff SET failed_attempts = ?2, locked_until_ms = ?3 WHERE id = ?1",
                params![staff_id, failed, if delay > 0 { now + delay } else { 0 }],
            )?;
            tx.commit()?;
            failed
        };
        let kek = pin::pin_kek(pin, &row.salt, row.cost, &self.pepper)?;
        match wrap::unwrap_key(&kek, &master_context(staff_id), &row.wrapped_master) {
            Some(master) => {
                self.db().execute(
                    "UPDATE staff SET failed_attempts = 0, locked_until_ms = 0 WHERE id = ?1",
                    [staff_id],
                )?;
                Ok((row.member, master))
            }
            None => {
                self.audit(staff_id, AuditAction::LogInFailed, NO_RESIDENT, None)?;
                let delay = lockout_ms(failed);
                Err(if delay > 0 {
                    KioskError::LockedOut { retry_after_ms: delay }
                } else {
                    KioskError::WrongPin { attempts_before_delay: FREE_ATTEMPTS - failed }
                })
            }
        }
    }

    fn session(&self) -> MutexGuard<'_, Option<StaffSession>> {
        self.session.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Locks: the open vault closes, every key in memory is forgotten.
    pub fn lock(&self) -> Result<(), KioskError> {
        match self.end_session(false) {
            Some((staff, resident)) => {
                self.audit(&staff, AuditAction::Lock, &resident, Some("staff"))
            }
            None => Ok(()),
        }
    }

    /// Ends the session, dropping it in place (so its keys are zeroized where they lie, not
    /// moved first), and wipes the stack below. Returns who was logged in and whose vault was
    /// open, for the audit log.
    fn end_session(&self, only_if_idle: bool) -> Option<(String, String)> {
        let mut session = self.session();
        if only_if_idle {
            let idle = self.idle_lock_ms.load(Ordering::Relaxed);
            let now = self.now();
            if session.as_ref().is_none_or(|s| now - s.last_active_ms < idle) {
                return None;
            }
        }
        let ended = session.as_ref().map(|s| {
            let resident = s.resident.as_ref().map(|v| v.resident_id().to_owned());
            (s.staff.id.clone(), resident.unwrap_or_else(|| NO_RESIDENT.to_owned()))
        });
        *session = None;
        drop(session);
        super::wipe::scrub_stack();
        ended
    }

    /// Locks if nobody has touched the kiosk for the idle time; returns whether it locked now.
    pub fn lock_if_idle(&self) -> Result<bool, KioskError> {
        // Checked and ended under one guard: a log-in in between is not cut short.
        match self.end_session(true) {
            Some((staff, resident)) => {
                self.audit(&staff, AuditAction::Lock, &resident, Some("idle"))?;
                Ok(true)
            }
            None => Ok(false),
        }
    }

    /// Runs `f` in the live staff session after checking the idle lock and, when given, the
    /// permission. Any activity through here counts as a touch.
    pub(super) fn active<T>(
        &self,
        permission: Option<Permission>,
        f: impl FnOnce(&mut StaffSession) -> Result<T, KioskError>,
    ) -> Result<T, KioskError> {
        if self.lock_if_idle()? {
            return Err(KioskError::Locked);
        }
        let mut guard = self.session();
        let session = guard.as_mut().ok_or(KioskError::Locked)?;
        session.last_active_ms = self.now();
        if let Some(p) = permission {
            if !session.staff.role.allows(p) {
                let (actor, resident) = (
                    session.staff.id.clone(),
                    session.resident.as_ref().map(|v| v.resident_id().to_owned()),
                );
                drop(guard);
                self.audit(
                    &actor,
                    AuditAction::Refused,
                    resident.as_deref().unwrap_or(NO_RESIDENT),
                    Some(p.as_str()),
                )?;
                return Err(KioskError::PermissionDenied { permission: p });
            }
        }
        f(session)
    }

    /// Marks activity (the shell calls this on every touch, and while recording), postponing
    /// the idle lock. Fails with `Locked` if the kiosk already locked.
    pub fn touch(&self) -> Result<(), KioskError> {
        self.active(None, |_| Ok(()))
    }

    /// Checks that the logged-in staff member may do `permission` (the bindings gate the vault's
    /// sub-objects with it); a refusal is audited.
    pub fn require(&self, permission: Permission) -> Result<StaffMember, KioskError> {
        self.active(Some(permission), |s| Ok(s.staff.clone()))
    }

    /// Records in the audit log that the logged-in staff member did `action` on the open
    /// resident's vault (`object` is an id such as `memory:12`).
    pub fn record_action(
        &self,
        vault: &ResidentVault,
        action: AuditAction,
        object: Option<&str>,
    ) -> Result<(), KioskError> {
        let staff = self.acting_on(vault, Permission::Record)?;
        self.audit(&staff.id, action, vault.resident_id(), object)
    }

    /// Who is logged in, and whose vault is open.
    pub fn status(&self) -> Result<KioskStatus, KioskError> {
        self.lock_if_idle()?;
        let session = self.session();
        Ok(KioskStatus {
            staff: session.as_ref().map(|s| s.staff.clone()),
            resident_id: session
                .as_ref()
                .and_then(|s| s.resident.as_ref().map(|v| v.resident_id().to_owned())),
            idle_lock_ms: self.idle_lock_ms.load(Ordering::Relaxed),
        })
    }

    /// Sets the idle time before the kiosk locks (administrators).
    pub fn set_idle_lock(&self, ms: i64) -> Result<(), KioskError> {
        if !IDLE_LOCK_RANGE_MS.contains(&ms) {
            return Err(KioskError::InvalidInput {
                reason: "the idle lock is between 1 second and 24 hours",
            });
        }
        let actor = self.active(Some(Permission::ManageStaff), |s| Ok(s.staff.id.clone()))?;
        self.db().execute(
            "INSERT INTO kiosk_setting (name, value) VALUES ('idle_lock_ms', ?1) \
             ON CONFLICT(name) DO UPDATE SET value = ?1",
            [ms],
        )?;
        self.idle_lock_ms.store(ms, Ordering::Relaxed);
        self.audit(&actor, AuditAction::ChangeStaff, NO_RESIDENT, Some("idle-lock"))
    }

    /// Adds a staff member with their first PIN (administrators).
    pub fn add_staff(&self, name: &str, role: Role, pin: &str) -> Result<StaffMember, KioskError> {
        check_staff_name(name)?;
        pin::check_pin_rules(pin)?;
        let (actor, master) = self.active(Some(Permission::ManageStaff), |s| {
            Ok((s.staff.id.clone(), s.master.clone()))
        })?;
        let member = self.insert_staff(&master, name, role, pin, false)?;
        self.audit(&actor, AuditAction::ChangeStaff, NO_RESIDENT, Some(&member.id))?;
        Ok(member)
    }

    /// Removes a staff member (administrators). Nobody removes themselves, and the last
    /// administrator stays.
    pub fn remove_staff(&self, staff_id: &str) -> Result<(), KioskError> {
        let actor = self.active(Some(Permission::ManageStaff), |s| Ok(s.staff.id.clone()))?;
        if actor == staff_id {
            return Err(KioskError::InvalidInput { reason: "staff cannot remove themselves" });
        }
        let target = self.staff_row(staff_id)?;
        if target.member.role == Role::Administrator && self.administrators()? <= 1 {
            return Err(KioskError::InvalidInput { reason: "the last administrator stays" });
        }
        self.db().execute("DELETE FROM staff WHERE id = ?1", [staff_id])?;
        self.audit(&actor, AuditAction::ChangeStaff, NO_RESIDENT, Some(staff_id))
    }

    fn administrators(&self) -> Result<i64, KioskError> {
        Ok(self.db().query_row(
            "SELECT count(*) FROM staff WHERE role = 'administrator'",
            [],
            |r| r.get(0),
        )?)
    }

    /// Sets a staff member's PIN: their own (with the current PIN), or anyone's by an
    /// administrator (which also clears a lockout).
    pub fn set_pin(
        &self,
        staff_id: &str,
        current_pin: Option<&str>,
        new_pin: &str,
    ) -> Result<(), KioskError> {
        pin::check_pin_rules(new_pin)?;
        let (actor, role, master) =
            self.active(None, |s| Ok((s.staff.id.clone(), s.staff.role, s.master.clone())))?;
        if actor == staff_id {
            let current = current_pin.ok_or(KioskError::InvalidInput {
                reason: "changing your PIN needs the current one",
            })?;
            // Counted and locked out like a log-in: an unlocked tablet is no free guessing.
            self.verify_pin(staff_id, current)?;
        } else if !role.allows(Permission::ManageStaff) {
            self.audit(
                &actor,
                AuditAction::Refused,
                NO_RESIDENT,
                Some(Permission::ManageStaff.as_str()),
            )?;
            return Err(KioskError::PermissionDenied { permission: Permission::ManageStaff });
        }
        self.staff_row(staff_id)?;
        let (salt, cost, wrapped) = self.wrap_master_for(&master, staff_id, new_pin)?;
        self.db().execute(
            "UPDATE staff SET salt = ?2, memory_kib = ?3, iterations = ?4, wrapped_master = ?5, \
             failed_attempts = 0, locked_until_ms = 0 WHERE id = ?1",
            params![staff_id, salt, cost.memory_kib, cost.iterations, wrapped],
        )?;
        self.audit(&actor, AuditAction::ChangeStaff, NO_RESIDENT, Some(staff_id))
    }

    fn profile_key(master: &SecretKey) -> SecretKey {
        master.derive("heirloom/kiosk/profile/v1")
    }

    /// Adds a resident: a new vault with its own key (activity coordinators, administrators).
    pub fn add_resident(
        &self,
        profile: &ResidentProfile,
        photo: Option<&[u8]>,
    ) -> Result<String, KioskError> {
        profile.validate()?;
        let photo = photo.map(profile_photo).transpose()?;
        let (actor, master) = self.active(Some(Permission::CreateResidents), |s| {
            Ok((s.staff.id.clone(), s.master.clone()))
        })?;
        let id = random_id("r-")?;
        let vault_key = SecretKey::generate()?;
        let wrapped = wrap::wrap_key(&master, &vault_key_context(&id), &vault_key)?;
        let profile_key = Self::profile_key(&master);
        let sealed = profile.seal(&profile_key, &id)?;
        let photo = photo
            .map(|p| wrap::seal(&profile_key, &[b"resident photo", id.as_bytes()], &p))
            .transpose()?;
        self.db().execute(
            "INSERT INTO resident (id, created_ms, wrapped_key, profile, photo) \
             VALUES (?1, ?2, ?3, ?4, ?5)",
            params![id, self.now(), wrapped, sealed, photo],
        )?;
        // Create the vault's database now, so a broken folder shows at once, not mid-story; if
        // it cannot be made, the resident is not half-added.
        let created = VaultKeys::unlock(self.db.clone(), &id, vault_key)
            .and_then(|keys| ResidentVault::open(&self.dir, keys));
        match created {
            Ok(vault) => vault.close(),
            Err(e) => {
                let _ = self.db().execute("DELETE FROM vault_secret WHERE resident_id = ?1", [&id]);
                let _ = self.db().execute("DELETE FROM resident WHERE id = ?1", [&id]);
                let _ = std::fs::remove_dir_all(vault_dir(&self.dir, &id));
                return Err(e);
            }
        }
        self.audit(&actor, AuditAction::AddResident, &id, None)?;
        Ok(id)
    }

    /// Updates a resident's profile; `photo` replaces the photo when given.
    pub fn update_resident(
        &self,
        resident_id: &str,
        profile: &ResidentProfile,
        photo: Option<&[u8]>,
    ) -> Result<(), KioskError> {
        profile.validate()?;
        let photo = photo.map(profile_photo).transpose()?;
        let (actor, master) = self.active(Some(Permission::CreateResidents), |s| {
            Ok((s.staff.id.clone(), s.master.clone()))
        })?;
        let profile_key = Self::profile_key(&master);
        let sealed = profile.seal(&profile_key, resident_id)?;
        let conn = self.db();
        let changed = conn.execute(
            "UPDATE resident SET profile = ?2 WHERE id = ?1",
            params![resident_id, sealed],
        )?;
        if changed == 0 {
            return Err(KioskError::NotFound { what: "resident" });
        }
        if let Some(p) = photo {
            let sealed =
                wrap::seal(&profile_key, &[b"resident photo", resident_id.as_bytes()], &p)?;
            conn.execute(
                "UPDATE resident SET photo = ?2 WHERE id = ?1",
                params![resident_id, sealed],
            )?;
        }
        drop(conn);
        self.audit(&actor, AuditAction::AddResident, resident_id, Some("profile"))
    }

    /// Residents with their profiles, for the picker.
    pub fn residents(&self) -> Result<Vec<Resident>, KioskError> {
        let master = self.active(None, |s| Ok(s.master.clone()))?;
        let profile_key = Self::profile_key(&master);
        let rows: Vec<(String, i64, Vec<u8>, bool)> = {
            let conn = self.db();
            let mut stmt = conn.prepare(
                "SELECT id, created_ms, profile, photo IS NOT NULL FROM resident ORDER BY created_ms, id",
            )?;
            let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?;
            rows.collect::<rusqlite::Result<_>>()?
        };
        let mut out = Vec::with_capacity(rows.len());
        for (id, created_ms, blob, has_photo) in rows {
            let profile = ResidentProfile::open(&profile_key, &id, &blob)?;
            out.push(Resident { id, created_ms, profile, has_photo });
        }
        out.sort_by(|a, b| {
            a.profile.display_name.to_lowercase().cmp(&b.profile.display_name.to_lowercase())
        });
        Ok(out)
    }

    /// One resident's profile.
    pub fn resident(&self, resident_id: &str) -> Result<Resident, KioskError> {
        self.residents()?
            .into_iter()
            .find(|r| r.id == resident_id)
            .ok_or(KioskError::NotFound { what: "resident" })
    }

    /// A resident's profile photo (a 256-pixel JPEG), if they have one.
    pub fn resident_photo(&self, resident_id: &str) -> Result<Option<Vec<u8>>, KioskError> {
        let master = self.active(None, |s| Ok(s.master.clone()))?;
        let blob: Option<Option<Vec<u8>>> = self
            .db()
            .query_row("SELECT photo FROM resident WHERE id = ?1", [resident_id], |r| r.get(0))
            .optional()?;
        let Some(blob) = blob.ok_or(KioskError::NotFound { what: "resident" })? else {
            return Ok(None);
        };
        let photo = wrap::open(
            &Self::profile_key(&master),
            &[b"resident photo", resident_id.as_bytes()],
            &blob,
        )
        .ok_or(KioskError::VaultKey)?;
        Ok(Some(photo.to_vec()))
    }

    /// Opens a resident's vault, closing the one open before (its keys are forgotten and its
    /// handles stop working). Needs the `Record` permission.
    pub fn open_resident(&self, resident_id: &str) -> Result<ResidentVault, KioskError> {
        let (actor, vault) = self.active(Some(Permission::Record), |s| {
            s.close_resident();
            let vault = self.unlock_vault(&s.master, resident_id)?;
            s.resident = Some(vault.clone());
            Ok((s.staff.id.clone(), vault))
        })?;
        // The vault key and the resident's secrets passed through the frames below this one.
        super::wipe::scrub_stack();
        self.audit(&actor, AuditAction::Open, resident_id, None)?;
        Ok(vault)
    }

    /// Unwraps a resident's keys and opens their vault. Kept out of line so that no key bytes
    /// sit in `open_resident`'s own frame, only in frames the stack scrub then clears.
    #[inline(never)]
    fn unlock_vault(
        &self,
        master: &SecretKey,
        resident_id: &str,
    ) -> Result<ResidentVault, KioskError> {
        {
            let wrapped: Vec<u8> = self
                .db()
                .query_row("SELECT wrapped_key FROM resident WHERE id = ?1", [resident_id], |r| {
                    r.get(0)
                })
                .optional()?
                .ok_or(KioskError::NotFound { what: "resident" })?;
            let vault_key = wrap::unwrap_key(master, &vault_key_context(resident_id), &wrapped)
                .ok_or(KioskError::VaultKey)?;
            let profile_blob: Vec<u8> = self.db().query_row(
                "SELECT profile FROM resident WHERE id = ?1",
                [resident_id],
                |r| r.get(0),
            )?;
            let profile =
                ResidentProfile::open(&Self::profile_key(master), resident_id, &profile_blob)?;
            let keys = VaultKeys::unlock(self.db.clone(), resident_id, vault_key)?;
            let vault = ResidentVault::open(&self.dir, keys)?;
            if let Err(e) = vault.with(|g| super::story::apply_profile(g, &profile)) {
                vault.close();
                return Err(e);
            }
            Ok(vault)
        }
    }

    /// Checks that `vault` is still the open one (not a handle left over from before a switch)
    /// and that the staff member may do `permission`. The caller then works on `vault` itself:
    /// if staff switch meanwhile it is closed and the work fails, never landing elsewhere.
    pub(super) fn acting_on(
        &self,
        vault: &ResidentVault,
        permission: Permission,
    ) -> Result<StaffMember, KioskError> {
        if !vault.is_open() {
            return Err(KioskError::Locked);
        }
        self.active(Some(permission), |s| match &s.resident {
            Some(open) if open.same_vault(vault) => Ok(s.staff.clone()),
            _ => Err(KioskError::Locked),
        })
    }

    /// The open vault, if any.
    pub fn current_resident(&self) -> Result<ResidentVault, KioskError> {
        self.active(None, |s| s.resident.clone().ok_or(KioskError::NoResident))
    }

    /// Closes the open vault and stays logged in (back to the resident picker).
    pub fn close_resident(&self) -> Result<(), KioskError> {
        self.active(None, |s| {
            s.close_resident();
            Ok(())
        })?;
        super::wipe::scrub_stack();
        Ok(())
    }

    /// Deletes a resident: their wrapped keys go first (from then on the vault cannot be
    /// opened by anyone), then their folder (administrators).
    pub fn delete_resident(&self, resident_id: &str) -> Result<(), KioskError> {
        let actor = self.active(Some(Permission::Delete), |s| {
            if s.resident.as_ref().is_some_and(|v| v.resident_id() == resident_id) {
                s.close_resident();
            }
            Ok(s.staff.id.clone())
        })?;
        let removed = {
            let mut conn = self.db();
            let tx = conn.transaction()?;
            tx.execute("DELETE FROM vault_secret WHERE resident_id = ?1", [resident_id])?;
            let n = tx.execute("DELETE FROM resident WHERE id = ?1", [resident_id])?;
            tx.commit()?;
            n
        };
        if removed == 0 {
            return Err(KioskError::NotFound { what: "resident" });
        }
        // Checkpoint so the wrapped key is not left in the WAL file.
        let _ = self.db().execute_batch("PRAGMA wal_checkpoint(TRUNCATE)");
        let dir = vault_dir(&self.dir, resident_id);
        if dir.exists() {
            std::fs::remove_dir_all(&dir)
                .map_err(|_| KioskError::Io { what: "remove the resident's folder" })?;
        }
        self.audit(&actor, AuditAction::Delete, resident_id, None)
    }

    /// The audit log, after verifying it end to end (administrators).
    pub fn audit_log(&self) -> Result<Vec<AuditEntry>, KioskError> {
        let actor = self.active(Some(Permission::ReadAudit), |s| Ok(s.staff.id.clone()))?;
        let entries = {
            let conn = self.db();
            let log = AuditLog::open(&conn, self.audit_key.clone())?;
            log.verify()?;
            log.entries()?
        };
        self.audit(&actor, AuditAction::Read, NO_RESIDENT, Some("audit-log"))?;
        Ok(entries)
    }

    /// The verified audit log as JSON Lines (one entry per line, with its MAC), to hand to an
    /// auditor (administrators).
    pub fn audit_log_json_lines(&self) -> Result<String, KioskError> {
        let mut out = String::new();
        for entry in self.audit_log()? {
            let line = serde_json::to_string(&entry)
                .map_err(|_| KioskError::Internal { what: "audit entry" })?;
            out.push_str(&line);
            out.push('\n');
        }
        Ok(out)
    }

    /// The kiosk's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

use super::*;
use crate::graph::MemoryGraph;
use crate::interview;
use crate::keystore::{FileKeyStore, KeyStore};
use crate::store::{Database, StoreError, DATABASE_FILE, DATABASE_KEY_NAME};
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::Arc;

const ADMIN_PIN: &str = "482913";
const CARE_PIN: &str = "730215";

struct Fixture {
    _dir: tempfile::TempDir,
    kiosk: Kiosk,
    time: Arc<AtomicI64>,
    admin: StaffMember,
}

fn fixture() -> Fixture {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("platform.keys"));
    let time = Arc::new(AtomicI64::new(1_800_000_000_000));
    let clock = time.clone();
    let config = KioskConfig {
        pin_cost: PinCost::MINIMUM,
        clock: Arc::new(move || clock.load(Ordering::SeqCst)),
    };
    let kiosk = Kiosk::open(&dir.path().join("kiosk"), &keys, config).expect("open kiosk");
    assert!(!kiosk.is_set_up().expect("set up?"));
    let admin = kiosk.set_up("Morag Admin", ADMIN_PIN).expect("set up");
    Fixture { _dir: dir, kiosk, time, admin }
}

impl Fixture {
    fn advance(&self, ms: i64) {
        self.time.fetch_add(ms, Ordering::SeqCst);
    }

    fn as_admin(&self) {
        self.kiosk.log_in(&self.admin.id, ADMIN_PIN).expect("admin logs in");
    }

    fn resident(&self, name: &str) -> String {
        let profile = ResidentProfile {
            display_name: name.into(),
            language: "en-GB".into(),
            ..Default::default()
        };
        self.kiosk.add_resident(&profile, None).expect("add resident")
    }

    fn audit_actions(&self) -> Vec<(String, String, String, Option<String>)> {
        self.as_admin();
        let entries = self.kiosk.audit_log().expect("audit log");
        entries.into_iter().map(|e| (e.actor, e.action, e.resident, e.object)).collect()
    }
}

fn story(vault: &ResidentVault, title: &str, text: &str) -> i64 {
    vault.with(|g| Ok(g.add_text_memory(title, text, None)?.memory.id)).expect("add memory")
}

#[test]
fn set_up_once_then_staff_log_in_with_their_pin() {
    let f = fixture();
    assert!(f.kiosk.is_set_up().expect("set up?"));
    assert!(matches!(f.kiosk.set_up("Someone Else", "562738"), Err(KioskError::AlreadySetUp)));
    assert!(matches!(f.kiosk.touch(), Err(KioskError::Locked)), "set-up does not log in");
    assert!(matches!(
        f.kiosk.log_in(&f.admin.id, "111112"),
        Err(KioskError::WrongPin { attempts_before_delay: 2 })
    ));
    f.as_admin();
    let care = f.kiosk.add_staff("Bea Carer", Role::CareWorker, CARE_PIN).expect("add staff");
    assert!(matches!(
        f.kiosk.add_staff("Weak Pin", Role::CareWorker, "123456"),
        Err(KioskError::InvalidInput { .. })
    ));
    let names: Vec<String> = f.kiosk.staff().expect("staff").into_iter().map(|s| s.name).collect();
    assert_eq!(names, ["Bea Carer", "Morag Admin"]);
    let who = f.kiosk.log_in(&care.id, CARE_PIN).expect("care worker logs in");
    assert_eq!(who.role, Role::CareWorker);
    assert_eq!(f.kiosk.status().expect("status").staff, Some(care.clone()));
    // A PIN is per member: the admin's does not open the carer's account.
    assert!(matches!(f.kiosk.log_in(&care.id, ADMIN_PIN), Err(KioskError::WrongPin { .. })));
    assert!(matches!(
        f.kiosk.log_in("s-0000000000000000", ADMIN_PIN),
        Err(KioskError::NotFound { .. })
    ));
}

#[test]
fn the_permission_table_is_enforced_and_refusals_are_audited() {
    let f = fixture();
    f.as_admin();
    let care = f.kiosk.add_staff("Bea Carer", Role::CareWorker, CARE_PIN).expect("add staff");
    let r1 = f.resident("Arthur Pennington");
    f.kiosk.log_in(&care.id, CARE_PIN).expect("care worker logs in");
    for p in
        [Permission::ReadTranscripts, Permission::Export, Permission::Delete, Permission::ReadAudit]
    {
        assert!(
            matches!(f.kiosk.require(p), Err(KioskError::PermissionDenied { permission }) if permission == p)
        );
    }
    f.kiosk.require(Permission::Record).expect("care workers record");
    let profile =
        ResidentProfile { display_name: "New".into(), language: "en".into(), ..Default::default() };
    assert!(matches!(
        f.kiosk.add_resident(&profile, None),
        Err(KioskError::PermissionDenied { .. })
    ));
    assert!(matches!(f.kiosk.delete_resident(&r1), Err(KioskError::PermissionDenied { .. })));
    assert!(matches!(f.kiosk.audit_log(), Err(KioskError::PermissionDenied { .. })));
    f.kiosk.open_resident(&r1).expect("care workers open a vault to record");
    let refused: Vec<_> = f
        .audit_actions()
        .into_iter()
        .filter(|(actor, action, ..)| actor == &care.id && action == "refused")
        .map(|(_, _, _, object)| object.unwrap_or_default())
        .collect();
    assert_eq!(
        refused,
        [
            "read_transcripts",
            "export",
            "delete",
            "read_audit",
            "create_residents",
            "delete",
            "read_audit"
        ]
    );
    for role in Role::ALL {
        assert!(!role.permissions().is_empty());
        assert!(role.allows(Permission::Record));
    }
    assert!(
        Role::Administrator.permissions().len() > Role::ActivityCoordinator.permissions().len()
    );
    assert!(Role::ActivityCoordinator.permissions().len() > Role::CareWorker.permissions().len());
}

#[test]
fn wrong_pins_lock_the_account_for_longer_each_time() {
    let f = fixture();
    for left in [2, 1, 0] {
        assert!(matches!(
            f.kiosk.log_in(&f.admin.id, "999990"),
            Err(KioskError::WrongPin { attempts_before_delay }) if attempts_before_delay == left
        ));
    }
    assert!(matches!(
        f.kiosk.log_in(&f.admin.id, "999990"),
        Err(KioskError::LockedOut { retry_after_ms: FIRST_LOCKOUT_MS })
    ));
    // While locked out even the right PIN is not tried.
    f.advance(FIRST_LOCKOUT_MS - 1);
    assert!(matches!(
        f.kiosk.log_in(&f.admin.id, ADMIN_PIN),
        Err(KioskError::LockedOut { retry_after_ms: 1 })
    ));
    f.advance(1);
    assert!(matches!(
        f.kiosk.log_in(&f.admin.id, "999990"),
        Err(KioskError::LockedOut { retry_after_ms }) if retry_after_ms == 2 * FIRST_LOCKOUT_MS
    ));
    f.advance(2 * FIRST_LOCKOUT_MS);
    f.as_admin();
    // Success resets the count: three free attempts again.
    assert!(matches!(
        f.kiosk.log_in(&f.admin.id, "999990"),
        Err(KioskError::WrongPin { attempts_before_delay: 2 })
    ));
    assert_eq!(lockout_ms(3), 0);
    assert_eq!(lockout_ms(6), 4 * FIRST_LOCKOUT_MS);
    assert_eq!(lockout_ms(40), MAX_LOCKOUT_MS);
    assert_eq!(lockout_ms(u32::MAX), MAX_LOCKOUT_MS);
    let failed = f.audit_actions().iter().filter(|e| e.1 == "log_in_failed").count();
    assert_eq!(failed, 6, "five failures before the reset and one after");
}

#[test]
fn one_residents_key_cannot_open_anothers_vault() {
    let f = fixture();
    f.as_admin();
    let a = f.resident("Arthur Pennington");
    let b = f.resident("Betty Okafor");
    let vault_b = f.kiosk.open_resident(&b).expect("open B");
    story(&vault_b, "Brass band", "Betty played the cornet in the Grimethorpe colliery band");
    let vault_a = f.kiosk.open_resident(&a).expect("open A");
    assert!(!vault_b.is_open());

    // With A's session open, try B's vault with every key A's session holds.
    let b_dir = f.kiosk.dir().join("residents").join(&b);
    let a_keys = vault_a.keys();
    assert!(matches!(
        MemoryGraph::open(&b_dir, a_keys.as_ref()),
        Err(crate::graph::GraphError::Store(StoreError::WrongKey))
    ));
    let a_store_key = a_keys.load(DATABASE_KEY_NAME).expect("load").expect("A's store key");
    assert!(matches!(
        Database::open_with_key(b_dir.join(DATABASE_FILE), a_store_key.clone()),
        Err(StoreError::WrongKey)
    ));
    // B's secrets, unwrapped with A's keys, do not open either.
    let db = f.kiosk.db.clone();
    assert!(matches!(VaultKeys::unlock(db.clone(), &b, a_store_key), Err(KioskError::VaultKey)));
    // Nor with keys derived from the device key alone (what a process without a staff PIN has).
    let device_guess = f.kiosk.pepper.clone();
    assert!(matches!(VaultKeys::unlock(db, &b, device_guess), Err(KioskError::VaultKey)));
    // And the words are nowhere in B's files in the clear.
    for entry in std::fs::read_dir(&b_dir).expect("B's folder") {
        let path = entry.expect("entry").path();
        if path.is_file() {
            let bytes = std::fs::read(&path).expect("read");
            assert!(!bytes.windows(10).any(|w| w == b"Grimethorp"), "{}", path.display());
        }
    }
    // B's own vault still opens, with B's key, through the kiosk.
    let vault_b = f.kiosk.open_resident(&b).expect("reopen B");
    let n = vault_b.with(|g| Ok(g.list_memories(0, 10)?.len())).expect("list");
    assert_eq!(n, 1);
}

fn open_fds_under(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let dir = dir.canonicalize().expect("canonical");
    std::fs::read_dir("/proc/self/fd")
        .expect("fds")
        .filter_map(|e| std::fs::read_link(e.ok()?.path()).ok())
        .filter(|target| target.starts_with(&dir))
        .collect()
}

#[test]
fn switching_resident_closes_the_vault_and_forgets_its_keys() {
    let f = fixture();
    f.as_admin();
    let a = f.resident("Arthur Pennington");
    let b = f.resident("Betty Okafor");
    let vault_a = f.kiosk.open_resident(&a).expect("open A");
    let id = story(&vault_a, "Milk round", "Forty years on the milk round in Leeds");
    let a_dir = f.kiosk.dir().join("residents").join(&a);
    assert!(!open_fds_under(&a_dir).is_empty(), "A's database is open");
    let keys_a = vault_a.keys();
    assert!(keys_a.load(DATABASE_KEY_NAME).expect("load").is_some());

    let vault_b = f.kiosk.open_resident(&b).expect("switch to B");
    assert_eq!(f.kiosk.status().expect("status").resident_id.as_deref(), Some(b.as_str()));
    // Every handle on A's vault is dead: the graph, its keys, and no file of A's is open.
    assert!(!vault_a.is_open());
    assert!(matches!(vault_a.with(|g| Ok(g.memory(id)?)), Err(KioskError::Locked)));
    assert!(keys_a.load(DATABASE_KEY_NAME).is_err());
    assert!(open_fds_under(&a_dir).is_empty(), "{:?}", open_fds_under(&a_dir));
    assert!(vault_b.is_open());

    // Locking closes B too and forgets the master key: nothing opens until a PIN is entered.
    f.kiosk.lock().expect("lock");
    assert!(!vault_b.is_open());
    assert!(matches!(f.kiosk.open_resident(&a), Err(KioskError::Locked)));
    assert!(matches!(f.kiosk.residents(), Err(KioskError::Locked)));
}

#[test]
fn the_kiosk_locks_itself_when_idle() {
    let f = fixture();
    f.as_admin();
    assert!(matches!(f.kiosk.set_idle_lock(10), Err(KioskError::InvalidInput { .. })));
    f.kiosk.set_idle_lock(60_000).expect("set idle lock");
    let a = f.resident("Arthur Pennington");
    let vault = f.kiosk.open_resident(&a).expect("open");
    f.advance(59_000);
    f.kiosk.touch().expect("still active");
    f.advance(59_000);
    assert!(!f.kiosk.lock_if_idle().expect("check"), "the touch postponed it");
    f.advance(1_000);
    assert!(f.kiosk.lock_if_idle().expect("check"));
    assert!(!vault.is_open());
    assert_eq!(f.kiosk.status().expect("status").staff, None);
    assert!(matches!(f.kiosk.touch(), Err(KioskError::Locked)));
    let locks: Vec<_> = f.audit_actions().into_iter().filter(|e| e.1 == "lock").collect();
    assert_eq!(locks, [(f.admin.id.clone(), "lock".into(), a.clone(), Some("idle".into()))]);
    // The setting is kept across restarts of the app.
    assert_eq!(f.kiosk.status().expect("status").idle_lock_ms, 60_000);
}

#[test]
fn the_watchdog_locks_and_tells_the_shell() {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("platform.keys"));
    let config = KioskConfig { pin_cost: PinCost::MINIMUM, ..Default::default() };
    let kiosk = Arc::new(Kiosk::open(dir.path(), &keys, config).expect("open"));
    let admin = kiosk.set_up("Morag Admin", ADMIN_PIN).expect("set up");
    kiosk.log_in(&admin.id, ADMIN_PIN).expect("log in");
    kiosk.set_idle_lock(1_000).expect("idle lock");
    let (tx, rx) = std::sync::mpsc::channel();
    let _watch = IdleWatch::start(&kiosk, move |reason| {
        let _ = tx.send(reason);
    })
    .expect("watchdog");
    let reason = rx.recv_timeout(std::time::Duration::from_secs(10)).expect("the watchdog fired");
    assert_eq!(reason, LockReason::Idle);
    assert_eq!(kiosk.status().expect("status").staff, None);
}

#[test]
fn profiles_open_only_in_a_staff_session_and_photos_are_cleaned() {
    let f = fixture();
    f.as_admin();
    let profile = ResidentProfile {
        display_name: "Arthur Pennington".into(),
        preferred_name: "Art".into(),
        language: "en-GB".into(),
        large_type: true,
        pacing: Pacing::Gentle,
        bereavement_mode: true,
        avoid_topics: vec!["the war".into()],
        avoid_people: vec!["Joan".into()],
    };
    let mut png = Vec::new();
    image::DynamicImage::new_rgb8(600, 400)
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("png");
    let id = f.kiosk.add_resident(&profile, Some(&png)).expect("add");
    let listed = f.kiosk.resident(&id).expect("resident");
    assert_eq!(listed.profile, profile);
    assert_eq!(listed.profile.name_to_use(), "Art");
    assert!(listed.has_photo);
    let photo = f.kiosk.resident_photo(&id).expect("photo").expect("has one");
    let decoded = image::load_from_memory(&photo).expect("a JPEG");
    assert_eq!((decoded.width(), decoded.height()), (256, 171));
    assert!(!format!("{profile:?}").contains("Arthur") && !format!("{profile:?}").contains("Joan"));

    // Bad input is refused, and nothing is half-added.
    assert!(matches!(
        f.kiosk.add_resident(&profile, Some(&png[..100])),
        Err(KioskError::InvalidInput { .. })
    ));
    let nameless = ResidentProfile { display_name: " ".into(), ..profile.clone() };
    assert!(matches!(f.kiosk.add_resident(&nameless, None), Err(KioskError::InvalidInput { .. })));
    let bad_lang = ResidentProfile { language: "en GB; drop".into(), ..profile.clone() };
    assert!(matches!(f.kiosk.add_resident(&bad_lang, None), Err(KioskError::InvalidInput { .. })));
    assert_eq!(f.kiosk.residents().expect("list").len(), 1);

    // The sealed profile does not open with keys the device has without a PIN.
    let blob: Vec<u8> = f
        .kiosk
        .db()
        .query_row("SELECT profile FROM resident WHERE id = ?1", [&id], |r| r.get(0))
        .expect("blob");
    assert!(matches!(
        ResidentProfile::open(&f.kiosk.pepper, &id, &blob),
        Err(KioskError::VaultKey)
    ));
    f.kiosk.lock().expect("lock");
    assert!(matches!(f.kiosk.residents(), Err(KioskError::Locked)));
}

#[test]
fn deleting_a_resident_destroys_their_keys_and_folder() {
    let f = fixture();
    f.as_admin();
    let a = f.resident("Arthur Pennington");
    let vault = f.kiosk.open_resident(&a).expect("open");
    story(&vault, "Milk round", "Forty years on the milk round");
    f.kiosk.delete_resident(&a).expect("delete");
    assert!(!vault.is_open());
    assert!(!f.kiosk.dir().join("residents").join(&a).exists());
    assert!(matches!(f.kiosk.open_resident(&a), Err(KioskError::NotFound { .. })));
    let secrets: i64 = f
        .kiosk
        .db()
        .query_row("SELECT count(*) FROM vault_secret WHERE resident_id = ?1", [&a], |r| r.get(0))
        .expect("count");
    assert_eq!(secrets, 0);
    assert!(matches!(f.kiosk.delete_resident(&a), Err(KioskError::NotFound { .. })));
}

#[test]
fn pins_change_with_the_old_pin_or_by_an_administrator() {
    let f = fixture();
    f.as_admin();
    let care = f.kiosk.add_staff("Bea Carer", Role::CareWorker, CARE_PIN).expect("add");
    let other = f.kiosk.add_staff("Cal Carer", Role::CareWorker, "620481").expect("add");
    f.kiosk.log_in(&care.id, CARE_PIN).expect("log in");
    assert!(matches!(
        f.kiosk.set_pin(&care.id, Some("000001"), "519264"),
        Err(KioskError::WrongPin { .. })
    ));
    assert!(matches!(
        f.kiosk.set_pin(&care.id, None, "519264"),
        Err(KioskError::InvalidInput { .. })
    ));
    assert!(matches!(
        f.kiosk.set_pin(&other.id, None, "519264"),
        Err(KioskError::PermissionDenied { .. })
    ));
    f.kiosk.set_pin(&care.id, Some(CARE_PIN), "519264").expect("own PIN");
    // Wrong current PINs count toward the lockout like wrong log-ins.
    for _ in 0..3 {
        assert!(matches!(
            f.kiosk.set_pin(&care.id, Some("000002"), "613094"),
            Err(KioskError::WrongPin { .. })
        ));
    }
    assert!(matches!(
        f.kiosk.set_pin(&care.id, Some("000002"), "613094"),
        Err(KioskError::LockedOut { .. })
    ));
    f.advance(FIRST_LOCKOUT_MS);
    f.kiosk.log_in(&care.id, "519264").expect("the right PIN after the wait");
    assert!(matches!(f.kiosk.log_in(&care.id, CARE_PIN), Err(KioskError::WrongPin { .. })));
    f.kiosk.log_in(&care.id, "519264").expect("new PIN");
    // An administrator resets a forgotten PIN, clearing the lockout.
    for _ in 0..4 {
        let _ = f.kiosk.log_in(&other.id, "111112");
    }
    assert!(matches!(f.kiosk.log_in(&other.id, "620481"), Err(KioskError::LockedOut { .. })));
    f.as_admin();
    f.kiosk.set_pin(&other.id, None, "803172").expect("reset");
    f.kiosk.log_in(&other.id, "803172").expect("reset PIN works at once");
    // Staff management guards.
    f.as_admin();
    assert!(matches!(f.kiosk.remove_staff(&f.admin.id), Err(KioskError::InvalidInput { .. })));
    f.kiosk.remove_staff(&other.id).expect("remove");
    assert!(matches!(f.kiosk.log_in(&other.id, "803172"), Err(KioskError::NotFound { .. })));
}

#[test]
fn the_audit_log_records_who_did_what_without_content() {
    let f = fixture();
    f.as_admin();
    let a = f.resident("Arthur Pennington");
    let vault = f.kiosk.open_resident(&a).expect("open");
    let id = story(&vault, "Milk round", "Forty years on the milk round in Leeds");
    f.kiosk
        .record_action(&vault, AuditAction::Record, Some(&format!("memory:{id}")))
        .expect("audit");
    let entries = f.audit_actions();
    let actions: Vec<&str> = entries.iter().map(|e| e.1.as_str()).collect();
    assert_eq!(
        actions,
        ["change_staff", "log_in", "add_resident", "open", "record", "lock", "log_in"]
    );
    let text = format!("{entries:?}");
    for word in ["Arthur", "Pennington", "Milk", "Leeds", "Morag"] {
        assert!(!text.contains(word), "{word} in the audit log");
    }
}

use crate::consent::test_policy as policy;

fn daughter() -> ConsentBy {
    ConsentBy::Proxy {
        name: "Susan Pennington".into(),
        relation: "daughter".into(),
        capacity_note: "advanced dementia; lasting power of attorney registered 2024".into(),
    }
}

fn join_family(vault: &ResidentVault) {
    let dir = tempfile::tempdir().expect("tempdir");
    let member = crate::seal::OwnerKeys::load_or_create(&FileKeyStore::new(dir.path().join("k")))
        .expect("member keys");
    let invite = crate::family::Invite::for_owner(
        &member.public(),
        "Susan",
        crate::family::FamilyRole::Family,
    )
    .expect("invite");
    vault.with(|g| Ok(crate::family::add_member(g, &invite).expect("add member"))).expect("join");
}

use crate::consent::{GivenBy, Purpose};

#[test]
fn proxy_consent_is_shown_and_nothing_leaves_without_it() {
    let f = fixture();
    f.as_admin();
    let coordinator =
        f.kiosk.add_staff("Dee Activities", Role::ActivityCoordinator, "905127").expect("add");
    let care = f.kiosk.add_staff("Bea Carer", Role::CareWorker, CARE_PIN).expect("add");
    let a = f.resident("Arthur Pennington");
    f.kiosk.log_in(&coordinator.id, "905127").expect("log in");
    let vault = f.kiosk.open_resident(&a).expect("open");
    join_family(&vault);
    let shared = story(&vault, "Milk round", "Forty years on the milk round");
    let private = story(&vault, "Hospital", "The weeks in hospital");

    // Nothing consented yet: an export queues nothing.
    let export = f.kiosk.export_to_family(&vault, None).expect("export");
    assert!(export.queued.is_empty());
    assert_eq!(export.without_consent.len(), 2);

    // A proxy without a capacity note is refused; with one, the consent is recorded.
    let no_note = ConsentBy::Proxy {
        name: "Susan".into(),
        relation: "daughter".into(),
        capacity_note: " ".into(),
    };
    assert!(f
        .kiosk
        .give_consent(&vault, shared, Purpose::ShareWithFamily, &no_note, &policy())
        .is_err());
    let receipt = f
        .kiosk
        .give_consent(&vault, shared, Purpose::ShareWithFamily, &daughter(), &policy())
        .expect("consent");
    assert!(matches!(&receipt.given_by, GivenBy::Proxy { relation, .. } if relation == "daughter"));
    let lines = f.kiosk.consent_overview(&vault).expect("overview");
    assert_eq!(lines.len(), 1);
    assert_eq!(lines[0].proxy_name.as_deref(), Some("Susan Pennington"));
    assert_eq!(lines[0].state, ConsentState::Live);
    assert_eq!(lines[0].subject, crate::consent::Subject::Memory(shared));

    let export = f.kiosk.export_to_family(&vault, None).expect("export");
    assert_eq!(export.queued.len(), 1);
    assert_eq!(export.queued[0].0, shared);
    assert_eq!(export.without_consent, [private]);
    let items = vault.with(|g| Ok(crate::outbox::items(g)?)).expect("outbox");
    assert_eq!(items.len(), 1, "only the consented memory is queued");

    // The same proxy signs with the same key next time; revoking shows as revoked.
    f.kiosk
        .revoke_consent(&vault, shared, Purpose::ShareWithFamily, &daughter(), &policy())
        .expect("revoke");
    let lines = f.kiosk.consent_overview(&vault).expect("overview");
    assert_eq!(lines[0].state, ConsentState::Revoked);
    assert_eq!(vault.with(|g| Ok(crate::consent::proxies(g)?.len())).expect("proxies"), 1);

    // Refused requests leave nothing behind: no proxy is registered for a memory that does not
    // exist, nor for withdrawing what was never granted.
    let stranger = ConsentBy::Proxy {
        name: "Someone Else".into(),
        relation: "neighbour".into(),
        capacity_note: "advanced dementia".into(),
    };
    assert!(f
        .kiosk
        .give_consent(&vault, 9_999, Purpose::ShareWithFamily, &stranger, &policy())
        .is_err());
    assert!(f
        .kiosk
        .revoke_consent(&vault, private, Purpose::Research, &stranger, &policy())
        .is_err());
    assert_eq!(vault.with(|g| Ok(crate::consent::proxies(g)?.len())).expect("proxies"), 1);

    // A handle left over from before a switch cannot act on the vault opened since.
    let b = f.resident("Betty Okafor");
    let vault_b = f.kiosk.open_resident(&b).expect("open B");
    assert!(matches!(
        f.kiosk.give_consent(&vault, shared, Purpose::ShareWithFamily, &daughter(), &policy()),
        Err(KioskError::Locked)
    ));
    assert!(matches!(f.kiosk.export_to_family(&vault, None), Err(KioskError::Locked)));
    assert!(f.kiosk.consent_overview(&vault_b).expect("B's overview").is_empty());

    // A care worker sees the overview but may neither consent nor export.
    f.kiosk.log_in(&care.id, CARE_PIN).expect("log in");
    let vault = f.kiosk.open_resident(&a).expect("open");
    assert_eq!(f.kiosk.consent_overview(&vault).expect("overview").len(), 1);
    assert!(matches!(
        f.kiosk.give_consent(&vault, shared, Purpose::ShareWithFamily, &daughter(), &policy()),
        Err(KioskError::PermissionDenied { .. })
    ));
    assert!(matches!(
        f.kiosk.export_to_family(&vault, None),
        Err(KioskError::PermissionDenied { .. })
    ));
    let exports = f.audit_actions().into_iter().filter(|e| e.1 == "export").count();
    assert_eq!(exports, 1);
}

#[test]
fn story_cards_show_only_once_approved_and_untampered() {
    let f = fixture();
    f.as_admin();
    let care = f.kiosk.add_staff("Bea Carer", Role::CareWorker, CARE_PIN).expect("add");
    let profile = ResidentProfile {
        display_name: "Arthur Pennington".into(),
        preferred_name: "Art".into(),
        language: "en-GB".into(),
        avoid_topics: vec!["the war".into()],
        ..Default::default()
    };
    let a = f.kiosk.add_resident(&profile, None).expect("add");
    let vault = f.kiosk.open_resident(&a).expect("open");
    vault
        .with(|g| {
            use crate::graph::{EntityAttributes, EntityKind, NewEntity};
            let joan = NewEntity {
                kind: EntityKind::Person,
                display_name: "Joan".into(),
                attributes: EntityAttributes {
                    relation_to_owner: Some("wife".into()),
                    deceased: true,
                    ..Default::default()
                },
                aliases: Vec::new(),
                status: crate::graph::FactStatus::Confirmed,
            };
            g.create_entity(&joan)?;
            Ok(())
        })
        .expect("joan");
    let draft = f.kiosk.story_card_draft(&vault).expect("draft");
    assert!(draft.contains("likes to be called Art"), "{draft}");
    assert!(draft.contains("wife Joan (died)"), "{draft}");
    assert!(draft.contains("don't ask about Joan unless Art brings it up"), "{draft}");
    assert!(draft.contains("Topics to avoid: the war."), "{draft}");
    assert_eq!(f.kiosk.story_card(&vault).expect("card"), None, "nothing shown before approval");

    let text = "Milkman for 40 years; loves brass bands; wife Joan died 2019 — don't ask about her unless he brings her up.";
    let card = f.kiosk.approve_story_card(&vault, text, &daughter()).expect("approve");
    assert_eq!(card.proxy_name.as_deref(), Some("Susan Pennington"));
    f.kiosk.log_in(&care.id, CARE_PIN).expect("care worker");
    let vault = f.kiosk.open_resident(&a).expect("open");
    assert_eq!(f.kiosk.story_card(&vault).expect("card").map(|c| c.text), Some(text.to_owned()));
    assert!(matches!(f.kiosk.story_card_draft(&vault), Err(KioskError::PermissionDenied { .. })));
    assert!(matches!(
        f.kiosk.approve_story_card(&vault, "x", &ConsentBy::Resident),
        Err(KioskError::PermissionDenied { .. })
    ));

    // Someone edits the stored words: the card is refused, not shown.
    let vault = f.kiosk.current_resident().expect("vault");
    vault
        .with(|g| {
            g.database().write(|tx| {
                tx.execute(
                    "UPDATE story_card SET document = replace(document, 'brass', 'jazz')",
                    [],
                )?;
                Ok::<_, KioskError>(())
            })
        })
        .expect("tamper");
    assert!(matches!(f.kiosk.story_card(&vault), Err(KioskError::Consent(_))));

    // The resident approves a new card themselves; withdrawing hides it.
    f.as_admin();
    let vault = f.kiosk.open_resident(&a).expect("open");
    let card = f
        .kiosk
        .approve_story_card(&vault, "Loves brass bands.", &ConsentBy::Resident)
        .expect("approve");
    assert_eq!(card.approved_by, GivenBy::Owner);
    assert!(f.kiosk.withdraw_story_card(&vault).expect("withdraw"));
    assert_eq!(f.kiosk.story_card(&vault).expect("card"), None);
    let text = format!("{:?}", f.audit_actions());
    assert!(!text.contains("brass") && !text.contains("Joan"));
}

#[test]
fn prompt_sets_honour_avoid_lists_and_bereavement_mode() {
    let f = fixture();
    f.as_admin();
    let profile = ResidentProfile {
        display_name: "Arthur Pennington".into(),
        language: "en-GB".into(),
        avoid_topics: vec!["the war".into(), "hospital".into()],
        avoid_people: vec!["Joan".into()],
        ..Default::default()
    };
    let a = f.kiosk.add_resident(&profile, None).expect("add");
    let vault = f.kiosk.open_resident(&a).expect("open");
    vault
        .with(|g| {
            g.set_profile(&crate::graph::OwnerProfile {
                birth_year: Some(1938),
                ..Default::default()
            })?;
            use crate::graph::{EntityAttributes, EntityKind, NewEntity};
            for (name, relation) in [("Joan", "wife"), ("Susan", "daughter")] {
                let e = g.create_entity(&NewEntity {
                    kind: EntityKind::Person,
                    display_name: name.into(),
                    attributes: EntityAttributes {
                        relation_to_owner: Some(relation.into()),
                        deceased: name == "Joan",
                        ..Default::default()
                    },
                    aliases: Vec::new(),
                    status: crate::graph::FactStatus::Confirmed,
                })?;
                let m =
                    g.add_text_memory("Family", &format!("{name} and I went to Whitby"), None)?;
                g.link_name_occurrences(e.id, m.memory.id)?;
            }
            Ok(())
        })
        .expect("graph");
    // Re-open so the profile's avoid-lists reach the graph (Joan is now sensitive there).
    let vault = f.kiosk.open_resident(&a).expect("reopen");
    let sets = f.kiosk.prompt_sets(&vault).expect("sets");
    let all: Vec<&str> = sets.iter().flat_map(|s| s.prompts.iter().map(String::as_str)).collect();
    let eras: Vec<&str> = sets
        .iter()
        .filter(|s| s.group == interview::SetGroup::Era)
        .map(|s| s.title.as_str())
        .collect();
    assert_eq!(eras.first(), Some(&"The 1940s (age 2 to 11)"));
    assert!(eras.contains(&"The 2020s (age 82 to 91)"), "{eras:?}");
    assert!(sets.iter().any(|s| s.group == interview::SetGroup::Theme && s.title == "School days"));
    assert!(!sets.iter().any(|s| s.title.to_lowercase().contains("war")));
    assert!(all.iter().any(|p| p.contains("Susan")), "{all:?}");
    for p in &all {
        let folded = p.to_lowercase();
        assert!(
            !folded.contains("joan") && !folded.contains("hospital") && !folded.contains(" war"),
            "{p}"
        );
    }
    let entity_sensitive = vault
        .with(|g| {
            let q = crate::graph::EntityQuery { kind: None, name: Some("Joan".into()) };
            Ok(g.list_entities(&q)?.iter().all(|e| e.attributes.sensitive))
        })
        .expect("query");
    assert!(entity_sensitive, "the interviewer will not raise Joan either");

    // Bereavement mode: only gentle themes.
    let gentle = ResidentProfile { bereavement_mode: true, ..profile };
    f.kiosk.update_resident(&a, &gentle, None).expect("update");
    let vault = f.kiosk.open_resident(&a).expect("reopen");
    let sets = f.kiosk.prompt_sets(&vault).expect("sets");
    let themes: Vec<&str> = sets
        .iter()
        .filter(|s| s.group == interview::SetGroup::Theme)
        .map(|s| s.title.as_str())
        .collect();
    assert!(!themes.contains(&"Falling in love"), "{themes:?}");
    assert!(themes.contains(&"School days"), "{themes:?}");
}

#[test]
fn tampered_or_moved_keys_and_profiles_are_typed_errors() {
    let f = fixture();
    f.as_admin();
    let a = f.resident("Arthur Pennington");
    let b = f.resident("Betty Okafor");
    let flip = |sql: &str, id: &str| {
        let blob: Vec<u8> = f.kiosk.db().query_row(sql, [id], |r| r.get(0)).expect("blob");
        let mut bad = blob.clone();
        let last = bad.len() - 1;
        bad[last] ^= 1;
        (blob, bad)
    };
    // A wrapped vault key with one bit flipped does not open.
    let (good, bad) = flip("SELECT wrapped_key FROM resident WHERE id = ?1", &a);
    let set = |col: &str, id: &str, v: &[u8]| {
        let sql = format!("UPDATE resident SET {col} = ?2 WHERE id = ?1");
        f.kiosk.db().execute(&sql, rusqlite::params![id, v]).expect("update");
    };
    set("wrapped_key", &a, &bad);
    assert!(matches!(f.kiosk.open_resident(&a), Err(KioskError::VaultKey)));
    // B's key moved into A's row does not open A's vault (it is bound to B's id).
    let (b_key, _) = flip("SELECT wrapped_key FROM resident WHERE id = ?1", &b);
    set("wrapped_key", &a, &b_key);
    assert!(matches!(f.kiosk.open_resident(&a), Err(KioskError::VaultKey)));
    set("wrapped_key", &a, &good);
    f.kiosk.open_resident(&a).expect("restored key opens");
    // A damaged vault secret fails the whole vault.
    let secret: Vec<u8> = f
        .kiosk
        .db()
        .query_row("SELECT wrapped FROM vault_secret WHERE resident_id = ?1", [&a], |r| r.get(0))
        .expect("secret");
    let mut damaged = secret.clone();
    damaged[0] ^= 0x80;
    f.kiosk
        .db()
        .execute(
            "UPDATE vault_secret SET wrapped = ?2 WHERE resident_id = ?1",
            rusqlite::params![a, damaged],
        )
        .expect("update");
    assert!(matches!(f.kiosk.open_resident(&a), Err(KioskError::VaultKey)));
    // A truncated profile makes the resident list a typed error, not a panic.
    set("profile", &b, &[1, 2, 3]);
    assert!(matches!(f.kiosk.residents(), Err(KioskError::VaultKey)));
}

#[test]
fn a_different_device_key_does_not_open_the_kiosk() {
    let dir = tempfile::tempdir().expect("tempdir");
    let config = || KioskConfig { pin_cost: PinCost::MINIMUM, ..Default::default() };
    let keys = FileKeyStore::new(dir.path().join("platform.keys"));
    Kiosk::open(&dir.path().join("kiosk"), &keys, config()).expect("create");
    let other = FileKeyStore::new(dir.path().join("other.keys"));
    other.store(DEVICE_KEY_NAME, &crate::keystore::SecretKey::from_bytes([3; 32])).expect("store");
    assert!(matches!(
        Kiosk::open(&dir.path().join("kiosk"), &other, config()),
        Err(KioskError::Storage(StoreError::WrongKey))
    ));
    let empty = FileKeyStore::new(dir.path().join("empty.keys"));
    assert!(matches!(
        Kiosk::open(&dir.path().join("kiosk"), &empty, config()),
        Err(KioskError::DeviceKeyMissing)
    ));
}

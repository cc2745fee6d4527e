//! The family circle: invites round-trip and refuse typos, members come and go, and shares are
//! sealed to exactly the current circle.

use super::*;
use crate::keystore::FileKeyStore;
use crate::seal::{Identity, OwnerKeys};

fn graph() -> (tempfile::TempDir, MemoryGraph, OwnerKeys) {
    let dir = tempfile::tempdir().expect("tempdir");
    let keys = FileKeyStore::new(dir.path().join("keys"));
    let graph = MemoryGraph::open(&dir.path().join("data"), &keys).expect("open");
    let owner = OwnerKeys::load_or_create(&keys).expect("owner");
    (dir, graph, owner)
}

#[test]
fn invites_round_trip_fit_a_qr_code_and_refuse_typos() {
    let member = Identity::generate().expect("identity");
    let invite = Invite {
        name: "Zoë (granddaughter)".into(),
        role: FamilyRole::Family,
        recipient: member.recipient(),
    };
    let text = invite.encode();
    assert!(text.starts_with("HLINVITE1"), "{text}");
    assert!(text.len() < 160, "{} characters", text.len());
    assert!(text.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit()), "QR alphanumeric");
    assert_eq!(Invite::parse(&text).expect("parse"), invite);
    // Typed in lower case, with spaces and a line break: the same invite.
    let spaced: String = text
        .to_ascii_lowercase()
        .chars()
        .enumerate()
        .flat_map(|(i, c)| {
            if i % 20 == 19 {
                vec![c, ' ']
            } else if i % 50 == 49 {
                vec![c, '\n']
            } else {
                vec![c]
            }
        })
        .collect();
    assert_eq!(Invite::parse(&spaced).expect("parse spaced"), invite);
    // Any one character changed is caught by the checksum.
    let alphabet = "QPZRY9X8GF2TVDW0S3JN54KHCE6MUA7L";
    for i in 9..text.len() {
        let original = text.as_bytes()[i] as char;
        let other = alphabet.chars().find(|&c| c != original).expect("other");
        let mut typo = text.clone();
        typo.replace_range(i..=i, &other.to_string());
        assert!(
            matches!(Invite::parse(&typo), Err(FamilyError::InvalidInvite { .. })),
            "position {i}"
        );
    }
    for junk in ["", "hello", &member.recipient().to_string(), "HLINVITE1QQQQQQ"] {
        assert!(matches!(Invite::parse(junk), Err(FamilyError::InvalidInvite { .. })), "{junk}");
    }
    let (_dir, _g, owner) = graph();
    assert!(matches!(
        Invite::for_owner(&owner.public(), " ", FamilyRole::Friend),
        Err(FamilyError::InvalidName)
    ));
    assert!(matches!(
        Invite::for_owner(&owner.public(), &"x".repeat(41), FamilyRole::Friend),
        Err(FamilyError::InvalidName)
    ));
}

#[test]
fn members_join_leave_and_shares_follow_the_circle() {
    let (_dir, g, owner) = graph();
    let anna = Identity::generate().expect("identity");
    let ben = Identity::generate().expect("identity");
    let invite = |id: &Identity, name: &str, role| {
        Invite { name: name.into(), role, recipient: id.recipient() }.encode()
    };
    let a = add_member(&g, &invite(&anna, "Anna", FamilyRole::Family)).expect("anna");
    let b = add_member(&g, &invite(&ben, "Ben", FamilyRole::Guardian)).expect("ben");
    assert_eq!((a.name.as_str(), a.role), ("Anna", FamilyRole::Family));
    assert_eq!(b.recipient, ben.recipient().to_string());
    let me = owner.public();
    assert_eq!(
        share_recipients(&g, &me).expect("recipients"),
        vec![me.recipient, anna.recipient(), ben.recipient()]
    );

    // Ben is removed: later shares leave him out; he stays listed, with when.
    assert!(remove_member(&g, b.id).expect("remove"));
    assert!(!remove_member(&g, b.id).expect("already removed"));
    assert_eq!(
        share_recipients(&g, &me).expect("recipients"),
        vec![me.recipient, anna.recipient()]
    );
    let listed = members(&g).expect("members");
    assert_eq!(listed.len(), 2);
    assert!(listed[1].removed_at_ms.is_some());

    // A sealed share opens for exactly the current circle.
    let recipients = share_recipients(&g, &me).expect("recipients");
    let (sealed, _) =
        crate::seal::seal(&recipients, &b"the lake, 1962"[..], Vec::new()).expect("seal");
    assert!(crate::seal::open(std::slice::from_ref(&anna), &sealed[..], Vec::new()).is_ok());
    assert!(crate::seal::open(std::slice::from_ref(&ben), &sealed[..], Vec::new()).is_err());

    // Adding Ben again (the same key) brings him back with his new name, not a second entry.
    let again = add_member(&g, &invite(&ben, "Benjamin", FamilyRole::Family)).expect("again");
    assert_eq!((again.id, again.name.as_str(), again.removed_at_ms), (b.id, "Benjamin", None));
    assert_eq!(members(&g).expect("members").len(), 2);
    assert!(matches!(remove_member(&g, 999), Err(FamilyError::NotFound { id: 999 })));
}

//! The family circle: the people memories are shared with. A member's phone makes an invite —
//! a short string (or the QR code of it) holding their age X25519 recipient, the name they go
//! by and their role, with a Bech32 checksum so a mistyped or damaged invite is refused — and
//! the owner adds it. Removing a member keeps them out of every later share; what was already
//! shared with them stays readable to them (sealed files cannot be recalled), which the app
//! must say.

use crate::graph::{GraphError, MemoryGraph};
use crate::seal::bech32;
use crate::seal::{OwnerPublic, Recipient};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

/// Human-readable part of invite strings.
const INVITE_HRP: &str = "hlinvite";
const INVITE_VERSION: u8 = 1;
/// Longest name, in bytes, so an invite stays a small QR code.
pub const MAX_NAME_BYTES: usize = 40;

#[derive(Debug, thiserror::Error)]
pub enum FamilyError {
    /// Not an invite, damaged or mistyped (the checksum failed), or from a newer app.
    #[error("invalid invite: {reason}")]
    InvalidInvite { reason: &'static str },
    /// An empty name, or one longer than 40 bytes.
    #[error("a member's name must be 1 to 40 bytes")]
    InvalidName,
    #[error("family member {id} not found")]
    NotFound { id: i64 },
    #[error(transparent)]
    Graph(#[from] GraphError),
}

impl From<crate::store::StoreError> for FamilyError {
    fn from(e: crate::store::StoreError) -> Self {
        Self::Graph(e.into())
    }
}

impl From<rusqlite::Error> for FamilyError {
    fn from(e: rusqlite::Error) -> Self {
        Self::Graph(e.into())
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum FamilyRole {
    Family,
    Guardian,
    Friend,
}

impl FamilyRole {
    pub fn as_str(self) -> &'static str {
        match self {
            FamilyRole::Family => "family",
            FamilyRole::Guardian => "guardian",
            FamilyRole::Friend => "friend",
        }
    }

    fn code(self) -> u8 {
        match self {
            FamilyRole::Family => 1,
            FamilyRole::Guardian => 2,
            FamilyRole::Friend => 3,
        }
    }

    fn from_code(code: u8) -> Option<Self> {
        match code {
            1 => Some(FamilyRole::Family),
            2 => Some(FamilyRole::Guardian),
            3 => Some(FamilyRole::Friend),
            _ => None,
        }
    }

    fn parse(text: &str) -> Option<Self> {
        [FamilyRole::Family, FamilyRole::Guardian, FamilyRole::Friend]
            .into_iter()
            .find(|r| r.as_str() == text)
    }
}

/// What an invite carries.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Invite {
    pub name: String,
    pub role: FamilyRole,
    pub recipient: Recipient,
}

fn check_name(name: &str) -> Result<&str, FamilyError> {
    let name = name.trim();
    if name.is_empty() || name.len() > MAX_NAME_BYTES || name.chars().any(char::is_control) {
        return Err(FamilyError::InvalidName);
    }
    Ok(name)
}

impl Invite {
    /// The invite for this phone's owner, to show as text or a QR code (upper case, which QR
    /// codes store most compactly).
    pub fn for_owner(
        owner: &OwnerPublic,
        name: &str,
        role: FamilyRole,
    ) -> Result<String, FamilyError> {
        let invite =
            Invite { name: check_name(name)?.to_owned(), role, recipient: owner.recipient };
        Ok(invite.encode())
    }

    pub fn encode(&self) -> String {
        let mut data = vec![INVITE_VERSION, self.role.code()];
        data.extend_from_slice(&self.recipient.to_bytes());
        data.extend_from_slice(self.name.as_bytes());
        bech32::encode(INVITE_HRP, &data).to_ascii_uppercase()
    }

    /// Reads an invite typed or scanned (spaces and line breaks are ignored; either case).
    pub fn parse(text: &str) -> Result<Invite, FamilyError> {
        let compact: String = text.chars().filter(|c| !c.is_whitespace()).collect();
        let data =
            bech32::decode(&compact, INVITE_HRP).map_err(|e| FamilyError::InvalidInvite {
                reason: match e {
                    bech32::Bech32Error::Checksum => "it was mistyped or damaged (checksum)",
                    bech32::Bech32Error::WrongKind => "not a Heirloom invite",
                    _ => "not a Heirloom invite",
                },
            })?;
        let invalid = |reason| FamilyError::InvalidInvite { reason };
        if data.len() < 2 + 32 + 1 {
            return Err(invalid("too short"));
        }
        if data[0] != INVITE_VERSION {
            return Err(invalid("made by a newer version of the app"));
        }
        let role = FamilyRole::from_code(data[1]).ok_or(invalid("unknown role"))?;
        let key: [u8; 32] = data[2..34].try_into().map_err(|_| invalid("too short"))?;
        let name = std::str::from_utf8(&data[34..]).map_err(|_| invalid("the name is not text"))?;
        let name = check_name(name).map_err(|_| invalid("the name is empty or too long"))?;
        Ok(Invite { name: name.to_owned(), role, recipient: Recipient::from_bytes(key) })
    }
}

/// A member of the family circle.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FamilyMember {
    pub id: i64,
    pub name: String,
    pub role: FamilyRole,
    /// Their age recipient (`age1…`): what shares are sealed to.
    pub recipient: String,
    pub added_at_ms: i64,
    /// Set once removed: later shares leave them out.
    pub removed_at_ms: Option<i64>,
}

fn member_from_row(r: &rusqlite::Row<'_>) -> rusqlite::Result<FamilyMember> {
    let role: String = r.get(2)?;
    Ok(FamilyMember {
        id: r.get(0)?,
        name: r.get(1)?,
        role: FamilyRole::parse(&role).unwrap_or(FamilyRole::Family),
        recipient: r.get(3)?,
        added_at_ms: r.get(4)?,
        removed_at_ms: r.get(5)?,
    })
}

const COLUMNS: &str = "id, name, role, recipient, added_at_ms, removed_at_ms";

/// Adds the member an invite describes. Adding the same person again (the same key) updates
/// their name and role and, if they were removed, brings them back.
pub fn add_member(graph: &MemoryGraph, invite: &str) -> Result<FamilyMember, FamilyError> {
    let invite = Invite::parse(invite)?;
    let recipient = invite.recipient.to_string();
    let now = crate::clock::now_ms();
    graph.database().write(|tx| {
        tx.execute(
            "INSERT INTO family_member (name, role, recipient, added_at_ms) VALUES (?1, ?2, ?3, ?4) \
             ON CONFLICT (recipient) DO UPDATE SET name = excluded.name, role = excluded.role, \
             removed_at_ms = NULL",
            params![invite.name, invite.role.as_str(), recipient, now],
        )?;
        Ok(tx.query_row(
            &format!("SELECT {COLUMNS} FROM family_member WHERE recipient = ?1"),
            [&recipient],
            member_from_row,
        )?)
    })
}

/// Every member, current and removed, in the order they were added.
pub fn members(graph: &MemoryGraph) -> Result<Vec<FamilyMember>, FamilyError> {
    graph.database().read(|tx| {
        let mut stmt =
            tx.prepare_cached(&format!("SELECT {COLUMNS} FROM family_member ORDER BY id"))?;
        let rows = stmt.query_map([], member_from_row)?;
        Ok(rows.collect::<rusqlite::Result<Vec<_>>>()?)
    })
}

/// Removes member `id` from later shares. Returns false if they were already removed.
pub fn remove_member(graph: &MemoryGraph, id: i64) -> Result<bool, FamilyError> {
    graph.database().write(|tx| {
        let exists: Option<Option<i64>> = tx
            .query_row("SELECT removed_at_ms FROM family_member WHERE id = ?1", [id], |r| r.get(0))
            .optional()?;
        match exists {
            None => Err(FamilyError::NotFound { id }),
            Some(Some(_)) => Ok(false),
            Some(None) => {
                tx.execute(
                    "UPDATE family_member SET removed_at_ms = ?2 WHERE id = ?1",
                    params![id, crate::clock::now_ms()],
                )?;
                Ok(true)
            }
        }
    })
}

/// Who a family share is sealed to: the owner (so they can open their own shares) and every
/// current member, each once.
pub fn share_recipients(
    graph: &MemoryGraph,
    owner: &OwnerPublic,
) -> Result<Vec<Recipient>, FamilyError> {
    let mut out = vec![owner.recipient];
    for m in members(graph)?.into_iter().filter(|m| m.removed_at_ms.is_none()) {
        let r: Recipient = m
            .recipient
            .parse()
            .map_err(|_| FamilyError::InvalidInvite { reason: "a stored recipient is damaged" })?;
        if !out.contains(&r) {
            out.push(r);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;

//! Staff roles and what each may do. The table is fixed in code so that every tablet in a home
//! behaves the same and an administrator cannot quietly widen a role; docs/SECURITY.md shows it.

use serde::{Deserialize, Serialize};

/// A staff member's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    /// Helps residents record; sees story cards and prompts, not transcripts.
    CareWorker,
    /// Runs reminiscence sessions: also reads transcripts, adds residents, records proxy
    /// consent and exports to families.
    ActivityCoordinator,
    /// Everything, including deleting residents, managing staff and reading the audit log.
    Administrator,
}

/// Something a staff member may be allowed to do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Permission {
    /// Open a resident's vault and record memories in it.
    Record,
    /// Read transcripts and memory details.
    ReadTranscripts,
    /// See a resident's approved story card and reminiscence prompts.
    ViewStoryCards,
    /// Add residents and edit their profiles.
    CreateResidents,
    /// Record a consent (the resident's own, or a proxy's) and revoke one.
    RecordConsent,
    /// Send memories to a resident's family circle.
    Export,
    /// Delete a resident's vault, or memories in it.
    Delete,
    /// Add and remove staff, change roles.
    ManageStaff,
    /// Read and export the audit log.
    ReadAudit,
}

impl Permission {
    pub const ALL: [Permission; 9] = [
        Permission::Record,
        Permission::ReadTranscripts,
        Permission::ViewStoryCards,
        Permission::CreateResidents,
        Permission::RecordConsent,
        Permission::Export,
        Permission::Delete,
        Permission::ManageStaff,
        Permission::ReadAudit,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Permission::Record => "record",
            Permission::ReadTranscripts => "read_transcripts",
            Permission::ViewStoryCards => "view_story_cards",
            Permission::CreateResidents => "create_residents",
            Permission::RecordConsent => "record_consent",
            Permission::Export => "export",
            Permission::Delete => "delete",
            Permission::ManageStaff => "manage_staff",
            Permission::ReadAudit => "read_audit",
        }
    }
}

impl Role {
    pub const ALL: [Role; 3] = [Role::CareWorker, Role::ActivityCoordinator, Role::Administrator];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::CareWorker => "care_worker",
            Role::ActivityCoordinator => "activity_coordinator",
            Role::Administrator => "administrator",
        }
    }

    pub fn parse(text: &str) -> Option<Role> {
        Role::ALL.into_iter().find(|r| r.as_str() == text)
    }

    /// The permission table.
    pub fn allows(self, permission: Permission) -> bool {
        use Permission::*;
        match self {
            Role::CareWorker => matches!(permission, Record | ViewStoryCards),
            Role::ActivityCoordinator => matches!(
                permission,
                Record
                    | ReadTranscripts
                    | ViewStoryCards
                    | CreateResidents
                    | RecordConsent
                    | Export
            ),
            Role::Administrator => true,
        }
    }

    /// Everything this role may do, in table order.
    pub fn permissions(self) -> Vec<Permission> {
        Permission::ALL.into_iter().filter(|p| self.allows(*p)).collect()
    }
}

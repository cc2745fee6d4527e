//! `heirloom kiosk …`: the care-home tablet's flows from a desktop. The data directory is the
//! kiosk's folder (its device database and every resident's vault); the key file holds the
//! device key. Each command logs the acting staff member in with their PIN, does one thing
//! within their role, and locks again; everything lands in the kiosk's audit log.

use crate::args::SpeechArgs;
use crate::output::{CliError, Output};
use clap::{Args, Subcommand};
use heirloom_core::consent::{GivenBy, Purpose};
use heirloom_core::graph::MemoryGraph;
use heirloom_core::keystore::FileKeyStore;
use heirloom_core::kiosk::{
    AuditAction, ConsentBy, Kiosk, KioskConfig, KioskError, Pacing, ResidentProfile, ResidentVault,
    Role,
};
use serde_json::json;
use std::path::PathBuf;

/// Who is acting.
#[derive(Debug, Args)]
pub struct StaffArgs {
    /// Staff id (from `kiosk staff list`).
    #[arg(long, env = "HEIRLOOM_KIOSK_STAFF")]
    pub staff: String,
    /// Their PIN (from the environment, so it stays out of the process list).
    #[arg(long, env = "HEIRLOOM_KIOSK_PIN", hide_env_values = true)]
    pub pin: String,
}

/// Who is acting, for whom.
#[derive(Debug, Args)]
pub struct ResidentArgs {
    #[command(flatten)]
    pub staff: StaffArgs,
    /// Resident id (from `kiosk resident list`).
    #[arg(long)]
    pub resident: String,
}

/// Who consents: the resident, or a proxy (all three proxy options together).
#[derive(Debug, Args)]
pub struct ConsentByArgs {
    /// The proxy's name (a guardian or family member consenting for the resident).
    #[arg(long, requires_all = ["relation", "capacity_note"])]
    pub proxy: Option<String>,
    /// The proxy's relation to the resident ("daughter").
    #[arg(long)]
    pub relation: Option<String>,
    /// Why the resident is not consenting themselves.
    #[arg(long)]
    pub capacity_note: Option<String>,
}

impl ConsentByArgs {
    fn by(&self) -> ConsentBy {
        match (&self.proxy, &self.relation, &self.capacity_note) {
            (Some(name), Some(relation), Some(note)) => ConsentBy::Proxy {
                name: name.clone(),
                relation: relation.clone(),
                capacity_note: note.clone(),
            },
            _ => ConsentBy::Resident,
        }
    }
}

/// A resident's profile as options.
#[derive(Debug, Args)]
pub struct ProfileArgs {
    /// Name on the resident list.
    #[arg(long)]
    pub name: String,
    /// What they like to be called.
    #[arg(long)]
    pub preferred: Option<String>,
    /// BCP 47 language.
    #[arg(long, default_value = "en-GB")]
    pub language: String,
    #[arg(long)]
    pub large_type: bool,
    /// Slow pace, one question at a time.
    #[arg(long)]
    pub gentle: bool,
    /// Recently bereaved.
    #[arg(long)]
    pub bereaved: bool,
    /// A topic never to raise (repeatable).
    #[arg(long = "avoid-topic")]
    pub avoid_topics: Vec<String>,
    /// A person never to ask about (repeatable).
    #[arg(long = "avoid-person")]
    pub avoid_people: Vec<String>,
    /// Profile photo (JPEG, PNG or WebP; stored as a small clean copy).
    #[arg(long)]
    pub photo: Option<PathBuf>,
}

impl ProfileArgs {
    fn profile(&self) -> ResidentProfile {
        ResidentProfile {
            display_name: self.name.clone(),
            preferred_name: self.preferred.clone().unwrap_or_default(),
            language: self.language.clone(),
            large_type: self.large_type,
            pacing: if self.gentle { Pacing::Gentle } else { Pacing::Standard },
            bereavement_mode: self.bereaved,
            avoid_topics: self.avoid_topics.clone(),
            avoid_people: self.avoid_people.clone(),
        }
    }

    fn photo(&self) -> Result<Option<Vec<u8>>, CliError> {
        self.photo
            .as_ref()
            .map(|p| std::fs::read(p).map_err(|_| CliError::Input("cannot read the photo".into())))
            .transpose()
    }
}

#[derive(Debug, Subcommand)]
pub enum KioskCommand {
    /// First run: the first administrator (PIN from $HEIRLOOM_KIOSK_PIN).
    Setup {
        #[arg(long)]
        name: String,
        #[arg(long, env = "HEIRLOOM_KIOSK_PIN", hide_env_values = true)]
        pin: String,
    },
    /// Who is kiosk staff (ids, names, roles), and is the kiosk set up.
    Staff,
    /// Add a staff member (administrators); their PIN from $HEIRLOOM_KIOSK_NEW_PIN.
    StaffAdd {
        #[command(flatten)]
        by: StaffArgs,
        #[arg(long)]
        name: String,
        /// care_worker, activity_coordinator or administrator.
        #[arg(long, value_parser = role)]
        role: Role,
        #[arg(long, env = "HEIRLOOM_KIOSK_NEW_PIN", hide_env_values = true)]
        new_pin: String,
    },
    /// Set a PIN: your own, or anyone's as an administrator ($HEIRLOOM_KIOSK_NEW_PIN).
    SetPin {
        #[command(flatten)]
        by: StaffArgs,
        /// Whose PIN (default: your own).
        #[arg(long)]
        member: Option<String>,
        #[arg(long, env = "HEIRLOOM_KIOSK_NEW_PIN", hide_env_values = true)]
        new_pin: String,
    },
    /// Idle time before the tablet locks itself (administrators).
    IdleLock {
        #[command(flatten)]
        by: StaffArgs,
        #[arg(long)]
        seconds: u32,
    },
    /// Add a resident, with a vault of their own.
    ResidentAdd {
        #[command(flatten)]
        by: StaffArgs,
        #[command(flatten)]
        profile: ProfileArgs,
    },
    /// Residents and their profiles.
    Residents {
        #[command(flatten)]
        by: StaffArgs,
    },
    /// Delete a resident's vault for good (administrators).
    ResidentDelete {
        #[command(flatten)]
        who: ResidentArgs,
    },
    /// Record for a resident: a WAV standing in for the microphone, transcribed on this machine.
    Record {
        #[command(flatten)]
        who: ResidentArgs,
        #[arg(long)]
        wav: PathBuf,
        #[arg(long)]
        title: Option<String>,
        #[command(flatten)]
        speech: SpeechArgs,
    },
    /// Add a typed memory for a resident.
    Add {
        #[command(flatten)]
        who: ResidentArgs,
        #[arg(long)]
        title: String,
        #[arg(long)]
        text: String,
    },
    /// A resident's memories (titles; needs the right to read transcripts).
    Memories {
        #[command(flatten)]
        who: ResidentArgs,
    },
    /// Record a consent for a memory, by the resident or a proxy.
    ConsentGive {
        #[command(flatten)]
        who: ResidentArgs,
        #[arg(long)]
        memory: i64,
        /// backup, family, training or research.
        #[arg(long, value_parser = crate::args::purpose)]
        purpose: Purpose,
        #[command(flatten)]
        by: ConsentByArgs,
    },
    /// Withdraw a consent.
    ConsentRevoke {
        #[command(flatten)]
        who: ResidentArgs,
        #[arg(long)]
        memory: i64,
        #[arg(long, value_parser = crate::args::purpose)]
        purpose: Purpose,
        #[command(flatten)]
        by: ConsentByArgs,
    },
    /// Who consented to what, for a resident.
    Consents {
        #[command(flatten)]
        who: ResidentArgs,
    },
    /// A draft story card from the resident's stories, to go through with them.
    StoryDraft {
        #[command(flatten)]
        who: ResidentArgs,
    },
    /// The resident (or a proxy) approves the story card's words.
    StoryApprove {
        #[command(flatten)]
        who: ResidentArgs,
        #[arg(long)]
        text: String,
        #[command(flatten)]
        by: ConsentByArgs,
    },
    /// The approved story card, if any.
    Story {
        #[command(flatten)]
        who: ResidentArgs,
    },
    /// Reminiscence prompt sets by era, theme and people.
    Prompts {
        #[command(flatten)]
        who: ResidentArgs,
    },
    /// Queue a resident's memories (those with family consent) for their family circle.
    Export {
        #[command(flatten)]
        who: ResidentArgs,
        /// Only these memories (repeatable; default: all).
        #[arg(long)]
        memory: Vec<i64>,
    },
    /// Add someone to a resident's family circle, from their `family invite` code.
    FamilyAdd {
        #[command(flatten)]
        who: ResidentArgs,
        #[arg(long)]
        invite: String,
    },
    /// Send what a family export queued: seal to the family circle and upload through the
    /// enclave (like `outbox run`, for the resident's vault).
    Send {
        #[command(flatten)]
        who: ResidentArgs,
        #[command(flatten)]
        enclave: crate::args::EnclaveArgs,
        #[arg(long, default_value_t = 600)]
        timeout: u64,
    },
    /// The audit log, verified end to end (administrators).
    Audit {
        #[command(flatten)]
        by: StaffArgs,
    },
}

fn role(text: &str) -> Result<Role, String> {
    Role::parse(text).ok_or_else(|| "care_worker, activity_coordinator or administrator".into())
}

impl KioskCommand {
    pub fn name(&self) -> &'static str {
        match self {
            KioskCommand::Setup { .. } => "kiosk setup",
            KioskCommand::Staff => "kiosk staff",
            KioskCommand::StaffAdd { .. } => "kiosk staff-add",
            KioskCommand::SetPin { .. } => "kiosk set-pin",
            KioskCommand::IdleLock { .. } => "kiosk idle-lock",
            KioskCommand::ResidentAdd { .. } => "kiosk resident-add",
            KioskCommand::Residents { .. } => "kiosk residents",
            KioskCommand::ResidentDelete { .. } => "kiosk resident-delete",
            KioskCommand::Record { .. } => "kiosk record",
            KioskCommand::Add { .. } => "kiosk add",
            KioskCommand::Memories { .. } => "kiosk memories",
            KioskCommand::ConsentGive { .. } => "kiosk consent-give",
            KioskCommand::ConsentRevoke { .. } => "kiosk consent-revoke",
            KioskCommand::Consents { .. } => "kiosk consents",
            KioskCommand::StoryDraft { .. } => "kiosk story-draft",
            KioskCommand::StoryApprove { .. } => "kiosk story-approve",
            KioskCommand::Story { .. } => "kiosk story",
            KioskCommand::Prompts { .. } => "kiosk prompts",
            KioskCommand::Export { .. } => "kiosk export",
            KioskCommand::FamilyAdd { .. } => "kiosk family-add",
            KioskCommand::Send { .. } => "kiosk send",
            KioskCommand::Audit { .. } => "kiosk audit",
        }
    }
}

fn graph<T>(
    vault: &ResidentVault,
    f: impl FnOnce(&MemoryGraph) -> Result<T, CliError>,
) -> Result<T, CliError> {
    vault.graph().with(f).unwrap_or(Err(CliError::Kiosk(KioskError::Locked)))
}

fn given_by(g: &GivenBy, proxy: Option<&str>) -> String {
    match g {
        GivenBy::Owner => "the resident".into(),
        GivenBy::Proxy { relation, capacity_note } => {
            format!("{} ({relation}; {capacity_note})", proxy.unwrap_or("a proxy"))
        }
    }
}

/// Runs a kiosk command.
pub fn run(
    cli: &crate::args::Cli,
    command: &KioskCommand,
    name: &str,
    out: &Output,
) -> Result<(), CliError> {
    let dir = cli
        .global
        .data_dir
        .clone()
        .unwrap_or_else(|| crate::paths::default_data_dir().join("kiosk"));
    let key_file = cli.global.key_file.clone().unwrap_or_else(crate::paths::default_key_file);
    let kiosk = Kiosk::open(&dir, &FileKeyStore::new(key_file), KioskConfig::default())?;
    let log_in = |by: &StaffArgs| kiosk.log_in(&by.staff, &by.pin).map_err(CliError::from);
    let open = |who: &ResidentArgs| -> Result<ResidentVault, CliError> {
        log_in(&who.staff)?;
        Ok(kiosk.open_resident(&who.resident)?)
    };
    let result = (|| -> Result<(), CliError> {
        match command {
            KioskCommand::Setup { name: admin, pin } => {
                let member = kiosk.set_up(admin, pin)?;
                out.emit(
                    name,
                    &json!({ "staff_id": member.id, "role": member.role.as_str() }),
                    |_| format!("Kiosk set up. Administrator id: {}", member.id),
                );
            }
            KioskCommand::Staff => {
                let staff = kiosk.staff()?;
                let data: Vec<_> = staff
                    .iter()
                    .map(|s| json!({ "id": s.id, "name": s.name, "role": s.role.as_str() }))
                    .collect();
                out.emit(name, &data, |_| {
                    staff
                        .iter()
                        .map(|s| format!("{}  {:<22} {}\n", s.id, s.role.as_str(), s.name))
                        .collect()
                });
            }
            KioskCommand::StaffAdd { by, name: member, role, new_pin } => {
                log_in(by)?;
                let added = kiosk.add_staff(member, *role, new_pin)?;
                out.emit(
                    name,
                    &json!({ "staff_id": added.id, "role": added.role.as_str() }),
                    |_| format!("Added {} as {}.", added.id, added.role.as_str()),
                );
            }
            KioskCommand::SetPin { by, member, new_pin } => {
                log_in(by)?;
                let whose = member.as_deref().unwrap_or(&by.staff);
                let current = (whose == by.staff).then_some(by.pin.as_str());
                kiosk.set_pin(whose, current, new_pin)?;
                out.emit(name, &json!({ "staff_id": whose }), |_| "PIN changed.".into());
            }
            KioskCommand::IdleLock { by, seconds } => {
                log_in(by)?;
                kiosk.set_idle_lock(i64::from(*seconds) * 1000)?;
                out.emit(name, &json!({ "idle_lock_ms": i64::from(*seconds) * 1000 }), |_| {
                    format!("The kiosk locks after {seconds} s without a touch.")
                });
            }
            KioskCommand::ResidentAdd { by, profile } => {
                log_in(by)?;
                let photo = profile.photo()?;
                let id = kiosk.add_resident(&profile.profile(), photo.as_deref())?;
                out.emit(name, &json!({ "resident_id": id }), |_| format!("Resident added: {id}"));
            }
            KioskCommand::Residents { by } => {
                log_in(by)?;
                let residents = kiosk.residents()?;
                let data: Vec<_> = residents
                    .iter()
                    .map(|r| {
                        json!({
                            "id": r.id, "name": r.profile.display_name,
                            "preferred_name": r.profile.name_to_use(),
                            "language": r.profile.language, "large_type": r.profile.large_type,
                            "bereavement_mode": r.profile.bereavement_mode,
                            "avoid_topics": r.profile.avoid_topics,
                            "avoid_people": r.profile.avoid_people, "has_photo": r.has_photo,
                        })
                    })
                    .collect();
                out.emit(name, &data, |_| {
                    residents
                        .iter()
                        .map(|r| format!("{}  {}\n", r.id, r.profile.display_name))
                        .collect()
                });
            }
            KioskCommand::ResidentDelete { who } => {
                log_in(&who.staff)?;
                kiosk.delete_resident(&who.resident)?;
                out.emit(name, &json!({ "resident_id": who.resident }), |_| {
                    "Resident deleted.".into()
                });
            }
            KioskCommand::Record { who, wav, title, speech } => {
                let vault = open(who)?;
                let title = title.clone().unwrap_or_else(|| "Recording".into());
                let id = graph(&vault, |g| {
                    crate::understand::attach(g, speech.models_dir.as_ref(), false);
                    let (memory, recording) = crate::voice::record_from_wav(g, wav, &title)?;
                    let id = memory.id;
                    crate::commands::voice_memory(g, out, name, memory, recording, speech)?;
                    Ok(id)
                })?;
                // Outside the graph call: auditing may find the kiosk idle and close the vault.
                kiosk.record_action(&vault, AuditAction::Record, Some(&format!("memory:{id}")))?;
            }
            KioskCommand::Add { who, title, text } => {
                let vault = open(who)?;
                let id = graph(&vault, |g| Ok(g.add_text_memory(title, text, None)?.memory.id))?;
                kiosk.record_action(&vault, AuditAction::Record, Some(&format!("memory:{id}")))?;
                out.emit(name, &json!({ "memory_id": id }), |_| format!("memory #{id} added"));
            }
            KioskCommand::Memories { who } => {
                let vault = open(who)?;
                kiosk.require(heirloom_core::kiosk::Permission::ReadTranscripts)?;
                let memories = graph(&vault, |g| Ok(g.list_memories(0, 500)?))?;
                kiosk.record_action(&vault, AuditAction::Read, Some("memories"))?;
                out.emit(name, &memories, |m| {
                    m.iter().map(|m| format!("#{:<5} {}\n", m.id, m.title)).collect()
                });
            }
            KioskCommand::ConsentGive { who, memory, purpose, by }
            | KioskCommand::ConsentRevoke { who, memory, purpose, by } => {
                let vault = open(who)?;
                let give = matches!(command, KioskCommand::ConsentGive { .. });
                let policy = crate::sharing::policy("GB");
                let r = if give {
                    kiosk.give_consent(&vault, *memory, *purpose, &by.by(), &policy)?
                } else {
                    kiosk.revoke_consent(&vault, *memory, *purpose, &by.by(), &policy)?
                };
                out.emit(name, &json!({ "receipt_id": r.receipt_id }), |_| {
                    let done = if give { "Consent recorded" } else { "Consent withdrawn" };
                    format!("{done} (receipt {}).", r.receipt_id)
                });
            }
            KioskCommand::Consents { who } => {
                let vault = open(who)?;
                let lines = kiosk.consent_overview(&vault)?;
                let data: Vec<_> = lines
                    .iter()
                    .map(|l| {
                        json!({
                            "receipt_id": l.receipt_id, "subject": l.subject,
                            "purpose": l.purpose.as_str(), "given_by": l.given_by,
                            "proxy_name": l.proxy_name, "given_at_ms": l.given_at_ms,
                            "state": format!("{:?}", l.state).to_lowercase(),
                        })
                    })
                    .collect();
                out.emit(name, &data, |_| {
                    lines
                        .iter()
                        .map(|l| {
                            format!(
                                "{:?} {:<18} {:<8} by {}\n",
                                l.subject,
                                l.purpose.as_str(),
                                format!("{:?}", l.state).to_lowercase(),
                                given_by(&l.given_by, l.proxy_name.as_deref())
                            )
                        })
                        .collect()
                });
            }
            KioskCommand::StoryDraft { who } => {
                let vault = open(who)?;
                let draft = kiosk.story_card_draft(&vault)?;
                out.emit(name, &json!({ "draft": draft }), |_| draft.clone());
            }
            KioskCommand::StoryApprove { who, text, by } => {
                let vault = open(who)?;
                let card = kiosk.approve_story_card(&vault, text, &by.by())?;
                out.emit(name, &json!({ "approved_at_ms": card.approved_at_ms }), |_| {
                    format!(
                        "Story card approved by {}.",
                        given_by(&card.approved_by, card.proxy_name.as_deref())
                    )
                });
            }
            KioskCommand::Story { who } => {
                let vault = open(who)?;
                let card = kiosk.story_card(&vault)?;
                let data = card.as_ref().map(|c| {
                    json!({ "text": c.text, "approved_by": c.approved_by,
                            "proxy_name": c.proxy_name, "approved_at_ms": c.approved_at_ms })
                });
                out.emit(name, &data, |_| match &card {
                    Some(c) => c.text.clone(),
                    None => "No approved story card.".into(),
                });
            }
            KioskCommand::Prompts { who } => {
                let vault = open(who)?;
                let sets = kiosk.prompt_sets(&vault)?;
                out.emit(name, &sets, |sets| {
                    sets.iter()
                        .map(|s| {
                            format!(
                                "{}\n{}\n",
                                s.title,
                                s.prompts.iter().map(|p| format!("  - {p}\n")).collect::<String>()
                            )
                        })
                        .collect()
                });
            }
            KioskCommand::Export { who, memory } => {
                let vault = open(who)?;
                let only = (!memory.is_empty()).then_some(memory.as_slice());
                let export = kiosk.export_to_family(&vault, only)?;
                let data = json!({
                    "queued": export.queued.iter().map(|(m, i)| json!({ "memory_id": m, "outbox_item": i })).collect::<Vec<_>>(),
                    "without_consent": export.without_consent,
                });
                out.emit(name, &data, |_| {
                    format!(
                        "{} queued for the family circle; {} stay (no family consent).",
                        export.queued.len(),
                        export.without_consent.len()
                    )
                });
            }
            KioskCommand::FamilyAdd { who, invite } => {
                let vault = open(who)?;
                let member = kiosk.add_family_member(&vault, invite)?;
                out.emit(name, &json!({ "member_id": member.id }), |_| {
                    format!("Family member #{} added.", member.id)
                });
            }
            KioskCommand::Send { who, enclave, timeout } => {
                let vault = open(who)?;
                kiosk.require(heirloom_core::kiosk::Permission::Export)?;
                graph(&vault, |g| {
                    crate::sharing::run_outbox(g, enclave, *timeout, None, name, out)
                })?;
                kiosk.record_action(&vault, AuditAction::Export, Some("outbox"))?;
            }
            KioskCommand::Audit { by } => {
                log_in(by)?;
                let entries = kiosk.audit_log()?;
                out.emit(name, &entries, |e| {
                    let mut text: String = e
                        .iter()
                        .map(|e| {
                            format!(
                                "{:>5} {} {:<14} {:<18} {} {}\n",
                                e.seq,
                                heirloom_core::clock::rfc3339(e.at_ms),
                                e.action,
                                e.actor,
                                e.resident,
                                e.object.as_deref().unwrap_or("")
                            )
                        })
                        .collect();
                    text.push_str(&format!("{} entries; the chain verifies.", e.len()));
                    text
                });
            }
        }
        Ok(())
    })();
    let _ = kiosk.lock();
    result
}

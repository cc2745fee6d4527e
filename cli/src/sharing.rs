//! Commands about what leaves the device: the owner's keys and recovery kit, consent, the
//! outbox (with progress) and the receipts that prove what left and what was erased.

use crate::args::{
    Command, ConsentCommand, EnclaveArgs, FamilyCommand, IdentityCommand, MediaCommand,
    OutboxCommand, PhotoCommand, ShareCommand, VideoCommand,
};
use crate::output::{CliError, Output};
use heirloom_core::consent::{
    self, ConsentReceipt, ConsentRequest, GivenBy, Giver, Policy, Subject,
};
use heirloom_core::family;
use heirloom_core::graph::{MediaKind, MemoryGraph, Rendition};
use heirloom_core::keystore::FileKeyStore;
use heirloom_core::outbox::{
    self, CancelFlag, ItemState, Outbox, OutboxConfig, OutboxError, OutboxListener,
};
use heirloom_core::seal::{OwnerKeys, VerifyingKey};
use heirloom_core::video;
use std::io::{IsTerminal, Write};
use std::time::{Duration, Instant};

impl From<OutboxError> for CliError {
    fn from(e: OutboxError) -> Self {
        CliError::Outbox(e)
    }
}

impl From<consent::ConsentError> for CliError {
    fn from(e: consent::ConsentError) -> Self {
        CliError::Outbox(OutboxError::Consent(e))
    }
}

fn now_ms() -> i64 {
    heirloom_core::clock::now_ms()
}

/// The terms recorded in receipts made by the desktop command.
pub(crate) fn policy(jurisdiction: &str) -> Policy {
    Policy {
        jurisdiction: jurisdiction.to_owned(),
        controller: "Heirloom (desktop)".into(),
        contact: "privacy@heirloom.example".into(),
        policy_url: "https://heirloom.example/privacy".into(),
        policy_version: "2026-11".into(),
        language: "en".into(),
    }
}

fn owner(keys: &FileKeyStore) -> Result<OwnerKeys, CliError> {
    OwnerKeys::load_or_create(keys).map_err(CliError::Seal)
}

/// Seals, uploads and erases what `graph`'s outbox holds, until done or `timeout` seconds
/// (`outbox run`, and `kiosk send` for a resident's vault).
pub(crate) fn run_outbox(
    graph: &MemoryGraph,
    enclave: &EnclaveArgs,
    timeout: u64,
    part_kib: Option<u64>,
    name: &str,
    out: &Output,
) -> Result<(), CliError> {
    let mut config = outbox_config(enclave)?;
    if let Some(kib) = part_kib {
        config.part_bytes = kib * 1024;
    }
    let outbox = Outbox::new(graph, config)?;
    let progress = Progress { tty: std::io::stderr().is_terminal() && !out.is_json() };
    let deadline = Instant::now() + Duration::from_secs(timeout);
    let report = outbox.run_until_idle(&progress, &CancelFlag::new(), deadline)?;
    out.emit(name, &report, |r| {
        let mut text = format!("uploaded {}, erased {}, failed {}", r.uploaded, r.erased, r.failed);
        if r.paused {
            text.push_str("; paused");
        } else if r.next_due_ms.is_some() {
            text.push_str(&format!("; {} waiting to retry", r.retrying));
        }
        text
    });
    Ok(())
}

pub(crate) fn outbox_config(args: &EnclaveArgs) -> Result<OutboxConfig, CliError> {
    let url = args.url.clone().ok_or_else(|| {
        CliError::Usage("no enclave: pass --enclave URL or set HEIRLOOM_ENCLAVE_URL".into())
    })?;
    let key = args.key.as_deref().ok_or_else(|| {
        CliError::Usage(
            "no pinned enclave key: pass --enclave-key or set HEIRLOOM_ENCLAVE_KEY".into(),
        )
    })?;
    let pinned: VerifyingKey = key.parse().map_err(CliError::Seal)?;
    Ok(OutboxConfig::new(url, vec![pinned]))
}

fn receipt_json(r: &ConsentReceipt) -> serde_json::Value {
    serde_json::json!({
        "receipt_id": r.receipt_id,
        "kind": r.kind,
        "subject": r.subject,
        "purpose": r.purpose,
        "given_at": heirloom_core::clock::rfc3339(r.given_at_ms),
        "given_by": r.given_by,
        "revokes": r.revokes,
        "signer": r.signer.to_string(),
    })
}

fn show_subject(subject: Subject) -> String {
    match subject {
        Subject::Memory(id) => format!("memory #{id}"),
        Subject::Media(id) => format!("media:{id}"),
        Subject::Training => "model updates".into(),
    }
}

fn parse_until(text: &str) -> Result<i64, CliError> {
    let bad = || CliError::Usage("--until takes a date: YYYY-MM-DD".into());
    let mut parts = text.split('-').map(|p| p.parse::<i64>());
    let (Some(Ok(y)), Some(Ok(m)), Some(Ok(d)), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad());
    };
    if !(1..=12).contains(&m) || !(1..=31).contains(&d) {
        return Err(bad());
    }
    // Days from the civil date (Howard Hinnant), end of that day UTC.
    let y2 = if m <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (m + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Ok((days + 1) * 86_400_000)
}

/// Progress on standard error: a bar on a terminal, a line per state change otherwise.
struct Progress {
    tty: bool,
}

impl OutboxListener for Progress {
    fn on_progress(&self, item: i64, acked: u64, total: u64) {
        if self.tty {
            let pct = (acked * 100).checked_div(total).unwrap_or(100);
            let bar = "#".repeat((pct / 5) as usize);
            eprint!("\r  item {item}: [{bar:<20}] {pct:>3}% of {total} bytes");
            let _ = std::io::stderr().flush();
        }
    }

    fn on_state(&self, item: i64, state: ItemState) {
        if self.tty {
            eprintln!();
        }
        eprintln!(
            "  item {item}: {}",
            serde_json::to_value(state)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default()
        );
    }
}

/// Runs the sharing commands; `None` for every other command.
pub fn run(
    graph: &MemoryGraph,
    keys: &FileKeyStore,
    command: &Command,
    name: &str,
    out: &Output,
) -> Result<Option<()>, CliError> {
    match command {
        Command::Media(MediaCommand::Attach { memory, file, kind }) => {
            let media = if kind == "video" {
                graph.import_media_file(*memory, file, MediaKind::Video)?
            } else {
                graph.import_photo(*memory, file)?.photo.media
            };
            out.emit(name, &media, |m| format!("Attached media:{} to memory #{memory}", m.id));
        }
        Command::Photo(PhotoCommand::Add { memory, files }) => {
            let mut imported = Vec::new();
            for file in files {
                imported.push(graph.import_photo(*memory, file)?);
            }
            out.emit(name, &imported, |list| {
                list.iter()
                    .map(|p| {
                        let mut line = format!(
                            "media:{} {}x{}{}",
                            p.photo.media.id,
                            p.photo.width,
                            p.photo.height,
                            if p.already_stored { " (already stored)" } else { "" }
                        );
                        if let Some(ms) = p.photo.media.taken_at_ms {
                            line.push_str(&format!(
                                ", taken {}",
                                heirloom_core::clock::rfc3339(ms)
                            ));
                        }
                        if p.photo.gps.is_some() {
                            line.push_str(", with a GPS position (kept on this device)");
                        }
                        if p.dated_memory {
                            line.push_str(&format!("; memory #{memory} dated from it"));
                        }
                        if !p.photo.near_duplicates.is_empty() {
                            let ids: Vec<String> = p
                                .photo
                                .near_duplicates
                                .iter()
                                .map(|d| format!("media:{d}"))
                                .collect();
                            line.push_str(&format!("; looks like {}", ids.join(", ")));
                        }
                        line
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Photo(PhotoCommand::Show { id }) => {
            let info = graph.photo(*id)?;
            out.emit(name, &info, |p| {
                format!(
                    "media:{} {} {}x{}, taken {}, place {}, near-duplicates {:?}",
                    p.media.id,
                    p.format.map_or("?", |f| f.as_str()),
                    p.width,
                    p.height,
                    p.media
                        .taken_at_ms
                        .map_or_else(|| "unknown".into(), heirloom_core::clock::rfc3339),
                    p.gps.map_or_else(
                        || "unknown".into(),
                        |(lat, lon)| format!("{lat:.5}, {lon:.5}")
                    ),
                    p.near_duplicates
                )
            });
        }
        Command::Video(VideoCommand::Render { memory, output, keep, models_dir, progress }) => {
            let rendered = render_video(
                graph,
                *memory,
                output.as_deref(),
                *keep || output.is_none(),
                models_dir.clone().unwrap_or_else(heirloom_core::speech::ModelKind::default_dir),
                *progress || (!out.is_json() && std::io::stderr().is_terminal()),
            )?;
            out.emit(name, &rendered, |r| {
                let mut lines = vec![format!(
                    "memory #{memory}: {} frames at {}x{}, {:.1} s, {} bytes, rendered in {:.1} s ({:.1} fps)",
                    r.frames,
                    r.width,
                    r.height,
                    f64::from(r.duration_ms) / 1000.0,
                    r.bytes,
                    r.seconds,
                    r.frames as f64 / r.seconds.max(1e-3)
                )];
                if let Some(path) = &r.file {
                    lines.push(format!("written to {path}"));
                }
                if let Some(id) = r.media_id {
                    lines.push(format!("kept with the memory as media:{id}"));
                }
                lines.join("\n")
            });
        }
        Command::Video(VideoCommand::Storyboard { memory, order, drop, span, resolution }) => {
            let resolution = resolution.as_deref().map(|r| {
                if r == "1080p" {
                    video::Resolution::P1080
                } else {
                    video::Resolution::P720
                }
            });
            let changed =
                !order.is_empty() || !drop.is_empty() || span.is_some() || resolution.is_some();
            let board = if changed {
                let mut edit = video::StoryboardEdit {
                    photo_order: order.clone(),
                    dropped: drop.clone(),
                    span_ms: *span,
                    resolution,
                };
                // Options given now add to the saved edit rather than replace it.
                let saved = video::storyboard(graph, *memory)?;
                if edit.span_ms.is_none() {
                    edit.span_ms = saved.narration.map(|n| (n.start_ms, n.end_ms));
                }
                if edit.resolution.is_none() {
                    edit.resolution = Some(saved.resolution);
                }
                video::edit_storyboard(graph, *memory, &edit)?
            } else {
                video::storyboard(graph, *memory)?
            };
            out.emit(name, &board, |b| {
                let (w, h) = b.resolution.size();
                let mut lines = vec![format!(
                    "memory #{}: {:.1} s at {w}x{h}, {} scene(s), {} caption(s){}",
                    b.memory_id,
                    f64::from(b.duration_ms) / 1000.0,
                    b.scenes.len(),
                    b.captions.len(),
                    b.narration.map_or_else(
                        || ", no narration".to_owned(),
                        |n| format!(
                            ", narrated by recording {} from {:.1} s to {:.1} s",
                            n.recording_id,
                            f64::from(n.start_ms) / 1000.0,
                            f64::from(n.end_ms) / 1000.0
                        )
                    )
                )];
                for s in &b.scenes {
                    let what = match &s.visual {
                        video::Visual::Photo { media_id, .. } => format!("photo media:{media_id}"),
                        video::Visual::TitleCard { .. } => "title card".to_owned(),
                    };
                    lines.push(format!(
                        "  {:>6.1} s  {what} for {:.1} s",
                        f64::from(s.start_ms) / 1000.0,
                        f64::from(s.duration_ms) / 1000.0
                    ));
                }
                lines.join("\n")
            });
        }
        Command::Family(cmd) => match cmd {
            FamilyCommand::Invite { name: member, role } => {
                let role = match role.as_str() {
                    "guardian" => family::FamilyRole::Guardian,
                    "friend" => family::FamilyRole::Friend,
                    _ => family::FamilyRole::Family,
                };
                let invite = family::Invite::for_owner(&owner(keys)?.public(), member, role)?;
                out.emit(name, &serde_json::json!({ "invite": invite }), |_| invite.clone());
            }
            FamilyCommand::Add { invite } => {
                let member = family::add_member(graph, invite)?;
                out.emit(name, &member, |m| {
                    format!("Added {} ({}) as family member {}", m.name, m.role.as_str(), m.id)
                });
            }
            FamilyCommand::List => {
                let list = family::members(graph)?;
                out.emit(name, &list, |list| {
                    if list.is_empty() {
                        return "No family members yet.".to_owned();
                    }
                    list.iter()
                        .map(|m| {
                            format!(
                                "{:>3}  {} ({}){}",
                                m.id,
                                m.name,
                                m.role.as_str(),
                                m.removed_at_ms.map_or_else(String::new, |ms| format!(
                                    ", removed {}",
                                    heirloom_core::clock::rfc3339(ms)
                                ))
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("\n")
                });
            }
            FamilyCommand::Remove { id } => {
                let removed = family::remove_member(graph, *id)?;
                out.emit(name, &serde_json::json!({ "id": id, "removed": removed }), |_| {
                    if removed {
                        format!("Member {id} is left out of later shares (what they already have stays theirs).")
                    } else {
                        format!("Member {id} was already removed.")
                    }
                });
            }
        },
        Command::Photo(PhotoCommand::Export { id, size, output }) => {
            let kind = match size.as_str() {
                "256" => Rendition::Thumb256,
                "clean" => Rendition::Clean,
                _ => Rendition::Thumb1024,
            };
            let bytes = graph.photo_rendition(*id, kind)?;
            std::fs::write(output, &bytes)
                .map_err(|e| CliError::Input(format!("cannot write the output: {}", e.kind())))?;
            out.emit(name, &serde_json::json!({ "id": id, "bytes": bytes.len() }), |_| {
                format!("Wrote {} bytes", bytes.len())
            });
        }
        Command::Share(cmd) => share(graph, keys, cmd, name, out)?,
        Command::Identity(cmd) => {
            let keys = match cmd {
                IdentityCommand::Restore { code } => {
                    OwnerKeys::restore(keys, code).map_err(CliError::Seal)?
                }
                _ => owner(keys)?,
            };
            let public = keys.public();
            if let IdentityCommand::RecoveryKit = cmd {
                if out.is_json() {
                    let data = serde_json::json!({ "code": keys.recovery_code().as_str() });
                    out.emit(name, &data, |_| String::new());
                } else {
                    print!("{}", keys.recovery_kit().as_str());
                }
                return Ok(Some(()));
            }
            let data = serde_json::json!({
                "recipient": public.recipient.to_string(),
                "verifying_key": public.verifying_key.to_string(),
            });
            out.emit(name, &data, |_| {
                format!(
                    "age recipient: {}\nsigning key:   {}",
                    public.recipient, public.verifying_key
                )
            });
        }
        Command::Consent(cmd) => {
            let owner = owner(keys)?;
            let giver = Giver {
                signer: owner.signing(),
                principal: owner.public().verifying_key,
                given_by: GivenBy::Owner,
            };
            match cmd {
                ConsentCommand::Give { subject, purpose, until, jurisdiction } => {
                    let expires_at_ms = until.as_deref().map(parse_until).transpose()?;
                    let request =
                        ConsentRequest { subject: *subject, purpose: *purpose, expires_at_ms };
                    let r =
                        consent::give(graph, &giver, &request, &policy(jurisdiction), now_ms())?;
                    out.emit(name, &receipt_json(&r), |_| {
                        format!(
                            "Consent {} given for {}: receipt {}",
                            purpose.as_str(),
                            show_subject(*subject),
                            r.receipt_id
                        )
                    });
                }
                ConsentCommand::Revoke { subject, purpose } => {
                    let r = consent::revoke(
                        graph,
                        &giver,
                        *subject,
                        *purpose,
                        &policy("GB"),
                        now_ms(),
                    )?;
                    out.emit(name, &receipt_json(&r), |_| {
                        format!(
                            "Consent {} revoked for {}: receipt {}; anything sent is queued for erasure",
                            purpose.as_str(),
                            show_subject(*subject),
                            r.receipt_id
                        )
                    });
                }
                ConsentCommand::List { subject } => {
                    let list = consent::history(graph, *subject)?;
                    let data: Vec<_> = list.iter().map(receipt_json).collect();
                    out.emit(name, &data, |_| {
                        list.iter()
                            .map(|r| {
                                format!(
                                    "{}  {:?} {} for {} ({})",
                                    heirloom_core::clock::rfc3339(r.given_at_ms),
                                    r.kind,
                                    r.purpose.as_str(),
                                    show_subject(r.subject),
                                    r.receipt_id
                                )
                            })
                            .collect::<Vec<_>>()
                            .join("\n")
                    });
                }
            }
        }
        Command::Outbox(cmd) => match cmd {
            OutboxCommand::Add { subject, purpose } => {
                let item = if *purpose == consent::Purpose::ShareWithFamily {
                    // Sealed to the family circle, not to the enclave.
                    outbox::share(graph, &owner(keys)?.public(), *subject, now_ms())?
                } else {
                    outbox::enqueue(graph, *subject, *purpose, now_ms())?
                };
                out.emit(name, &item, |i| {
                    format!(
                        "Queued {} for {} as item {}",
                        show_subject(*subject),
                        purpose.as_str(),
                        i.id
                    )
                });
            }
            OutboxCommand::Run { enclave, timeout, part_kib } => {
                run_outbox(graph, enclave, *timeout, *part_kib, name, out)?;
            }
            OutboxCommand::Status => {
                let items = outbox::items(graph)?;
                let erasures = outbox::erasures(graph)?;
                let paused = outbox::is_paused(graph)?;
                let data =
                    serde_json::json!({ "paused": paused, "items": items, "erasures": erasures });
                out.emit(name, &data, |_| {
                    let mut lines = vec![if paused {
                        "outbox: paused".to_owned()
                    } else {
                        "outbox: active".to_owned()
                    }];
                    for i in &items {
                        lines.push(format!(
                            "  item {} {} {} {:?}: {} of {} bytes{}",
                            i.id,
                            show_subject(i.subject),
                            i.purpose.as_str(),
                            i.state,
                            i.acked_bytes,
                            i.sealed_bytes.map_or_else(|| "?".to_owned(), |b| b.to_string()),
                            i.last_error
                                .as_deref()
                                .map(|e| format!(" (last error: {e})"))
                                .unwrap_or_default()
                        ));
                    }
                    for e in &erasures {
                        let state = match e.state {
                            outbox::ErasureState::Pending if e.attempts > 0 => format!(
                                "pending, next try {}",
                                heirloom_core::clock::rfc3339(e.next_attempt_at_ms)
                            ),
                            outbox::ErasureState::Pending => "pending".to_owned(),
                            outbox::ErasureState::Done => "done".to_owned(),
                            outbox::ErasureState::Failed => {
                                format!("refused (run `outbox retry-erasure {}`)", e.id)
                            }
                        };
                        lines.push(format!(
                            "  erasure {} of consent {} asked {}: {}{}",
                            e.id,
                            e.consent_receipt_id,
                            heirloom_core::clock::rfc3339(e.created_at_ms),
                            state,
                            e.last_error
                                .as_deref()
                                .filter(|_| e.state != outbox::ErasureState::Done)
                                .map(|err| format!(" (last error: {err})"))
                                .unwrap_or_default()
                        ));
                    }
                    lines.join("\n")
                });
            }
            OutboxCommand::RetryErasure { id } => {
                let retried = outbox::retry_erasure(graph, *id, now_ms())?;
                out.emit(name, &serde_json::json!({ "id": id, "retried": retried }), |_| {
                    if retried {
                        format!("Erasure {id} will be sent again on the next `outbox run`.")
                    } else {
                        format!("Erasure {id} is not a refused one; nothing to retry.")
                    }
                });
            }
            OutboxCommand::Pause | OutboxCommand::Resume => {
                let paused = matches!(cmd, OutboxCommand::Pause);
                outbox::set_paused(graph, paused)?;
                out.emit(name, &serde_json::json!({ "paused": paused }), |_| {
                    if paused {
                        "Outbox paused.".to_owned()
                    } else {
                        "Outbox resumed.".to_owned()
                    }
                });
            }
        },
        Command::Receipts { enclave } => {
            let config = outbox_config(enclave)?;
            let outbox = Outbox::new(graph, config)?;
            let held = outbox.receipts()?;
            out.emit(name, &held, |list| {
                if list.is_empty() {
                    return "Nothing has left this device.".to_owned();
                }
                list.iter()
                    .map(|r| {
                        let u = &r.upload;
                        let mut line = format!(
                            "{} for {} under consent {}: {} sealed bytes accepted {} (epoch {}, sha256 {}…)",
                            show_subject(r.subject),
                            u.purpose,
                            u.consent_receipt_id,
                            u.sealed_bytes,
                            heirloom_core::clock::rfc3339(u.accepted_at * 1000),
                            u.key_epoch,
                            u.plaintext_sha256.as_deref().map_or("sealed to the family", |h| &h[..12.min(h.len())])
                        );
                        if let Some(e) = &r.erasure {
                            line.push_str(&format!(
                                "\n    erased {} ({} object(s)), receipt {}",
                                heirloom_core::clock::rfc3339(e.erased_at * 1000),
                                e.object_keys.len(),
                                e.erasure_id
                            ));
                        }
                        line
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        _ => return Ok(None),
    }
    Ok(Some(()))
}

/// What `video render` made.
#[derive(Debug, serde::Serialize)]
struct RenderedVideo {
    frames: u64,
    width: u32,
    height: u32,
    duration_ms: u32,
    bytes: u64,
    seconds: f64,
    file: Option<String>,
    media_id: Option<i64>,
}

/// A progress bar for a render.
fn render_bar(show: bool) -> impl FnMut(video::RenderProgress) {
    let mut last = u64::MAX;
    move |p: video::RenderProgress| {
        if !show || p.frames_total == 0 {
            return;
        }
        let pct = p.frames_done * 100 / p.frames_total;
        if pct == last {
            return;
        }
        last = pct;
        let filled = (pct / 4) as usize;
        let mut err = std::io::stderr().lock();
        let _ = write!(
            err,
            "\rrendering [{}{}] {pct:>3}%  frame {} / {}",
            "#".repeat(filled),
            "-".repeat(25 - filled),
            p.frames_done,
            p.frames_total
        );
        if pct == 100 {
            let _ = writeln!(err);
        }
        let _ = err.flush();
    }
}

fn render_video(
    graph: &MemoryGraph,
    memory: i64,
    output: Option<&std::path::Path>,
    keep: bool,
    models_dir: std::path::PathBuf,
    show: bool,
) -> Result<RenderedVideo, CliError> {
    let fonts = video::Fonts::load(&models_dir)?;
    let started = std::time::Instant::now();
    let cancel = heirloom_core::speech::CancelToken::new();
    let mut v = video::OpenH264Encoder::new();
    let mut a = video::OpusEncoder::new()?;
    let encoders = video::Encoders { video: &mut v, audio: &mut a };
    let mut bar = render_bar(show);
    let (r, media_id) = if keep {
        let (media, r) =
            video::render_memory_video(graph, memory, Some(fonts), encoders, &mut bar, &cancel)?;
        if let Some(path) = output {
            video::export_video(graph, media.id, path)?;
        }
        (r, Some(media.id))
    } else {
        let board = video::storyboard(graph, memory)?;
        let path = output.ok_or_else(|| CliError::Usage("nothing to render to".into()))?;
        let r =
            video::render_to_file(graph, &board, Some(fonts), encoders, path, &mut bar, &cancel)?;
        (r, None)
    };
    let file = output.map(|p| p.display().to_string());
    Ok(RenderedVideo {
        frames: r.frames,
        width: r.width,
        height: r.height,
        duration_ms: r.duration_ms,
        bytes: r.bytes,
        seconds: started.elapsed().as_secs_f64(),
        file,
        media_id,
    })
}

fn share(
    graph: &MemoryGraph,
    keys: &FileKeyStore,
    cmd: &ShareCommand,
    name: &str,
    out: &Output,
) -> Result<(), CliError> {
    match cmd {
        ShareCommand::Add { id, media } => {
            let subject = if *media { Subject::Media(*id) } else { Subject::Memory(*id) };
            let item = outbox::share(graph, &owner(keys)?.public(), subject, now_ms())?;
            out.emit(name, &item, |i| {
                format!(
                    "Queued {} to share with the family as item {} (`outbox run` sends it)",
                    show_subject(subject),
                    i.id
                )
            });
        }
        ShareCommand::Manifest { item, enclave } => {
            let pinned = outbox_config(enclave)?.pinned_signers;
            let manifest = outbox::share_manifest(graph, &owner(keys)?, &pinned, *item)?;
            out.emit(name, &manifest, |m| m.to_string());
        }
        ShareCommand::Receive { manifest, owner: sharer, into, enclave } => {
            let text = std::fs::read_to_string(manifest).map_err(|e| {
                CliError::Input(format!("could not read the manifest: {}", e.kind()))
            })?;
            let doc: serde_json::Value = serde_json::from_str(&text)
                .map_err(|_| CliError::Input("the manifest is not JSON".into()))?;
            // `share manifest --json` wraps the manifest in the usual envelope.
            let doc = doc.get("data").cloned().unwrap_or(doc);
            let sharer: VerifyingKey = sharer.parse().map_err(CliError::Seal)?;
            let config = outbox_config(enclave)?;
            let receive = outbox::ReceiveConfig {
                enclave_url: config.enclave_url.clone(),
                pinned_signers: config.pinned_signers.clone(),
                request_timeout: config.request_timeout,
                tls_roots: config.tls_roots,
            };
            let me = owner(keys)?;
            let inbox = graph.data_dir().join("received");
            let got = outbox::receive_share(&receive, &doc, &sharer, me.identity(), &inbox)?;
            std::fs::create_dir_all(into).map_err(|e| {
                CliError::Input(format!("could not create the folder: {}", e.kind()))
            })?;
            let mut written = Vec::new();
            outbox::read_share(me.identity(), &got.path, |entry, reader| {
                // Only plain names: nothing may land outside the folder.
                let file = std::path::Path::new(entry)
                    .file_name()
                    .filter(|f| f.to_str().is_some_and(|s| !s.starts_with('.')))
                    .ok_or(outbox::OutboxError::Refused { reason: "an entry with a bad name" })?;
                let path = into.join(file);
                let mut f = std::fs::File::create(&path).map_err(|e| outbox::OutboxError::Io {
                    op: "write a shared file",
                    kind: e.kind(),
                })?;
                let n = std::io::copy(reader, &mut f).map_err(|e| outbox::OutboxError::Io {
                    op: "write a shared file",
                    kind: e.kind(),
                })?;
                written.push(serde_json::json!({ "file": path.display().to_string(), "bytes": n }));
                Ok(())
            })?;
            let data = serde_json::json!({
                "share_id": got.share_id,
                "payload": got.payload,
                "files": written,
            });
            out.emit(name, &data, |d| {
                let files = d["files"].as_array().map(Vec::len).unwrap_or(0);
                format!(
                    "Received share {} ({}): {files} file(s) in {}",
                    got.share_id,
                    got.payload,
                    into.display()
                )
            });
        }
    }
    Ok(())
}

//! Each subcommand: call the core, then print.

use crate::args::{Cli, Command, MergeCommand, PersonCommand};
use crate::output::{CliError, Output};
use crate::paths;
use heirloom_core::graph::*;
use heirloom_core::keystore::FileKeyStore;
use std::fmt::Write as _;
use std::io::Read;

fn open(cli: &Cli) -> Result<MemoryGraph, CliError> {
    let data_dir = cli.global.data_dir.clone().unwrap_or_else(paths::default_data_dir);
    let key_file = cli.global.key_file.clone().unwrap_or_else(paths::default_key_file);
    Ok(MemoryGraph::open(&data_dir, &FileKeyStore::new(key_file))?)
}

fn title_from(file: &std::path::Path) -> String {
    file.file_stem().map_or_else(|| "Recording".to_owned(), |s| s.to_string_lossy().into_owned())
}

/// Prints a new voice memory, transcribing it first unless asked not to.
pub(crate) fn voice_memory(
    graph: &MemoryGraph,
    out: &Output,
    name: &str,
    memory: Memory,
    recording: Recording,
    speech: &crate::args::SpeechArgs,
) -> Result<(), CliError> {
    let header = format!(
        "memory #{} ({:.1} s at {} Hz, encrypted as {})",
        memory.id,
        recording.duration_ms as f64 / 1000.0,
        recording.sample_rate,
        recording.audio_path
    );
    if speech.no_transcribe {
        let data = serde_json::json!({
            "memory_id": memory.id, "recording_id": recording.id,
            "memory": memory, "recording": recording, "segments": [],
        });
        out.emit(name, &data, |_| header.clone());
        return Ok(());
    }
    let model = crate::voice::load_model(speech)?;
    let (transcript, segments) =
        crate::voice::transcribe(graph, recording.id, &model, speech, out)?;
    let recording = graph.recording(recording.id)?;
    let data = serde_json::json!({
        "memory_id": memory.id,
        "recording_id": recording.id,
        "model": transcript.model,
        "language": transcript.language,
        "audio_ms": transcript.audio_ms,
        "speech_ms": transcript.speech_ms,
        "segments": transcript.segments,
        "memory": memory,
        "recording": recording,
    });
    out.emit(name, &data, |_| format!("{header}\n{}", crate::voice::render_segments(&segments)));
    Ok(())
}

fn parse_when(text: Option<&str>) -> Result<Option<AboutWhen>, CliError> {
    text.map(|t| t.parse::<AboutWhen>().map_err(|e| CliError::Usage(format!("--when: {e}"))))
        .transpose()
}

fn when(m: &Memory) -> String {
    m.about_when.map_or_else(|| "undated".to_owned(), |a| a.to_string())
}

fn memory_line(m: &Memory) -> String {
    format!("#{:<5} {:<12} {}", m.id, when(m), m.title)
}

fn clock(ms: i64) -> String {
    let s = ms / 1000;
    format!("{:02}:{:02}.{:01}", s / 60, s % 60, (ms % 1000) / 100)
}

fn entity_line(e: &Entity) -> String {
    let mut line = format!("#{:<5} {:<8} {}", e.id, kind_name(e.kind), e.display_name);
    let a = &e.attributes;
    if let Some(rel) = &a.relation_to_owner {
        let _ = write!(line, " ({rel})");
    }
    if let Some(year) = a.birth_year {
        let _ = write!(line, " b. {year}");
    }
    if a.deceased {
        line.push_str(" †");
    }
    if a.sensitive {
        line.push_str(" [sensitive]");
    }
    if !e.aliases.is_empty() {
        let _ = write!(line, " aka {}", e.aliases.join(", "));
    }
    line
}

fn kind_name(k: EntityKind) -> &'static str {
    k.as_str()
}

fn render_detail(d: &MemoryDetail) -> String {
    let m = &d.memory;
    let mut out = format!(
        "{}\n  when: {}   source: {}   id: {}\n\n",
        m.title,
        when(m),
        m.source.as_str(),
        m.id
    );
    let voiced = d.segments.iter().any(|s| s.end_ms > 0);
    for s in &d.segments {
        let edited = if s.user_text.is_some() { " (edited)" } else { "" };
        if voiced {
            let _ = writeln!(
                out,
                "  [{} – {}] {}{edited}",
                clock(s.start_ms),
                clock(s.end_ms),
                s.text()
            );
        } else {
            let _ = writeln!(out, "  {}{edited}", s.text());
        }
    }
    if !d.entities.is_empty() {
        out.push_str("\n  in this memory:\n");
        for e in &d.entities {
            let quotes: Vec<&str> = d
                .mentions
                .iter()
                .filter(|x| x.entity_id == e.id)
                .map(|x| x.quote.as_str())
                .collect();
            let _ = writeln!(out, "    {}  — \"{}\"", entity_line(e), quotes.join("\", \""));
        }
    }
    for r in &d.recordings {
        let _ = writeln!(
            out,
            "  recording: {} ({} ms, {} Hz)",
            r.audio_path, r.duration_ms, r.sample_rate
        );
    }
    for x in &d.media {
        let _ = writeln!(out, "  {}: {}", x.kind.as_str(), x.path);
    }
    out
}

fn render_view(v: &EntityView) -> String {
    let mut out = format!("{}\n", entity_line(&v.entity));
    if !v.relations.is_empty() {
        out.push_str("\n  relations:\n");
        for r in &v.relations {
            let arrow = match r.direction {
                RelationDirection::Outgoing => {
                    format!("{} {}", r.relation.kind, r.other.display_name)
                }
                RelationDirection::Incoming => {
                    format!("{} {} (this)", r.other.display_name, r.relation.kind)
                }
            };
            let _ = writeln!(out, "    {arrow}  [{}]", r.relation.status.as_str());
        }
    }
    let _ = writeln!(out, "\n  memories ({}):", v.memories.len());
    for m in &v.memories {
        let _ = writeln!(out, "    {}", memory_line(m));
        for x in v.mentions.iter().filter(|x| x.memory_id == m.id) {
            let _ = writeln!(
                out,
                "        \"{}\" ({:.2}, {})",
                x.quote,
                x.confidence,
                x.status.as_str()
            );
        }
    }
    out
}

fn render_proposal(p: &MergeProposal) -> String {
    format!(
        "merge #{}: keep #{} {} ← #{} {}  [{:?}, score {:.2}]",
        p.id, p.keep.id, p.keep.display_name, p.merge.id, p.merge.display_name, p.state, p.score
    )
}

fn render_hits(hits: &Vec<SearchHit>) -> String {
    if hits.is_empty() {
        return "no matches".to_owned();
    }
    let mut out = String::new();
    for h in hits {
        // Mark highlights with [brackets] for the terminal.
        let chars: Vec<char> = h.snippet.chars().collect();
        let mut marked = String::new();
        for (i, c) in chars.iter().enumerate() {
            let i = i as u32;
            if h.highlights.iter().any(|r| r.start == i) {
                marked.push('[');
            }
            marked.push(*c);
            if h.highlights.iter().any(|r| r.end == i + 1) {
                marked.push(']');
            }
        }
        let _ = writeln!(out, "#{:<5} {}\n       {}", h.memory_id, h.memory_title, marked);
    }
    out
}

fn find_one(graph: &MemoryGraph, who: &str) -> Result<Entity, CliError> {
    if let Ok(id) = who.parse::<i64>() {
        return Ok(graph.entity(id)?);
    }
    let found = graph.list_entities(&EntityQuery { kind: None, name: Some(who.to_owned()) })?;
    let norm = |s: &str| s.to_lowercase();
    let exact: Vec<&Entity> = found
        .iter()
        .filter(|e| {
            norm(&e.display_name) == norm(who) || e.aliases.iter().any(|a| norm(a) == norm(who))
        })
        .collect();
    match (exact.as_slice(), found.as_slice()) {
        ([one], _) => Ok((*one).clone()),
        ([], [one]) => Ok(one.clone()),
        ([], []) => Err(CliError::Usage("no entity has that name".into())),
        _ => Err(CliError::Usage(format!(
            "several entities match: {}",
            found.iter().map(|e| format!("#{}", e.id)).collect::<Vec<_>>().join(", ")
        ))),
    }
}

/// Runs the parsed command.
pub fn run(cli: &Cli, out: &Output) -> Result<(), CliError> {
    let name = cli.command.name();
    if crate::sealing::run(&cli.command, name, out)?.is_some() {
        return Ok(());
    }
    if let Command::Kiosk(command) = &cli.command {
        return crate::kiosk::run(cli, command, name, out);
    }
    if let Command::Learn(command @ crate::learn::LearnCommand::Simulate { .. }) = &cli.command {
        return crate::learn::simulate(command, name, out);
    }
    let graph = open(cli)?;
    if let Command::Learn(command) = &cli.command {
        return crate::learn::run(&graph, command, name, out);
    }
    if crate::understand::run(&graph, &cli.command, name, out)?.is_some() {
        return Ok(());
    }
    let key_file = cli.global.key_file.clone().unwrap_or_else(paths::default_key_file);
    if crate::sharing::run(&graph, &FileKeyStore::new(key_file), &cli.command, name, out)?.is_some()
    {
        return Ok(());
    }
    // Commands that add or change stories read them for facts and embed them as they go.
    if matches!(
        cli.command,
        Command::Add { .. }
            | Command::Import { .. }
            | Command::Record { .. }
            | Command::Transcribe { .. }
    ) {
        let models = match &cli.command {
            Command::Import { speech, .. }
            | Command::Record { speech, .. }
            | Command::Transcribe { speech, .. } => speech.models_dir.as_ref(),
            _ => None,
        };
        crate::understand::attach(&graph, models, true);
    }
    if matches!(cli.command, Command::Search { meaning: true, .. }) {
        crate::understand::attach(&graph, None, true);
    }
    match &cli.command {
        Command::Init => {
            let data_dir = cli.global.data_dir.clone().unwrap_or_else(paths::default_data_dir);
            let key_file = cli.global.key_file.clone().unwrap_or_else(paths::default_key_file);
            let info = serde_json::json!({
                "data_dir": data_dir,
                "key_file": key_file,
                "schema_version": heirloom_core::store::VERSION,
                "memories": graph.coverage()?.memories,
            });
            out.emit(name, &info, |_| {
                format!(
                    "Heirloom store ready (encrypted).\n  data: {}\n  key:  {}",
                    data_dir.display(),
                    key_file.display()
                )
            });
        }
        Command::Add { title, text, file, when } => {
            let body = match (text, file) {
                (Some(t), _) => t.clone(),
                (None, Some(path)) => std::fs::read_to_string(path)
                    .map_err(|e| CliError::Input(format!("cannot read --file: {}", e.kind())))?,
                (None, None) => {
                    let mut s = String::new();
                    std::io::stdin().read_to_string(&mut s).map_err(|e| {
                        CliError::Input(format!("cannot read standard input: {}", e.kind()))
                    })?;
                    s
                }
            };
            let detail = graph.add_text_memory(title, &body, parse_when(when.as_deref())?)?;
            out.emit(name, &detail, |d| {
                format!("added memory #{}\n{}", d.memory.id, render_detail(d))
            });
        }
        Command::Import { file, title, speech } => {
            let title = title.clone().unwrap_or_else(|| title_from(file));
            let (memory, recording) = graph.import_audio(file, &title)?;
            voice_memory(&graph, out, name, memory, recording, speech)?;
        }
        Command::Record { wav, title, speech } => {
            let title = title.clone().unwrap_or_else(|| title_from(wav));
            let (memory, recording) = crate::voice::record_from_wav(&graph, wav, &title)?;
            voice_memory(&graph, out, name, memory, recording, speech)?;
        }
        Command::Transcribe { id, speech } => {
            let detail = graph.memory_detail(*id)?;
            if detail.recordings.is_empty() {
                return Err(CliError::Usage(format!("memory #{id} has no recording")));
            }
            let model = crate::voice::load_model(speech)?;
            let mut transcripts = Vec::new();
            for rec in &detail.recordings {
                let (t, _) = crate::voice::transcribe(&graph, rec.id, &model, speech, out)?;
                transcripts.push(t);
            }
            let segments = graph.segments(*id)?;
            let data = serde_json::json!({
                "memory_id": id,
                "transcripts": transcripts,
                "segments": segments,
            });
            out.emit(name, &data, |_| crate::voice::render_segments(&segments));
        }
        Command::Recover => {
            let (recovered, failed) = graph.recover_recordings()?;
            let data: Vec<_> = recovered
                .iter()
                .map(|(m, r)| serde_json::json!({ "memory": m, "recording": r }))
                .collect();
            out.emit(name, &data, |d| {
                format!("recovered {} recordings; {failed} could not be recovered and were left untouched", d.len())
            });
        }
        Command::List { limit, offset } => {
            let list = graph.list_memories(*offset, *limit)?;
            out.emit(name, &list, |l| l.iter().map(memory_line).collect::<Vec<_>>().join("\n"));
        }
        Command::Show { id } => {
            let detail = graph.memory_detail(*id)?;
            out.emit(name, &detail, render_detail);
        }
        Command::Edit { id, title, when, clear_when } => {
            let about_when =
                if *clear_when { Some(None) } else { parse_when(when.as_deref())?.map(Some) };
            let update = MemoryUpdate { title: title.clone(), about_when, about_status: None };
            let m = graph.update_memory(*id, &update)?;
            out.emit(name, &m, memory_line);
        }
        Command::Delete { id } => {
            let gone = graph.delete_memory(*id)?;
            out.emit(name, &gone, |g| {
                format!(
                    "deleted memory #{id}; {} entities and {} files no longer needed were removed",
                    g.removed_entities,
                    g.removed_files.len()
                )
            });
        }
        Command::Timeline { limit, offset } => {
            let t = graph.timeline(Page { offset: *offset, limit: *limit })?;
            out.emit(name, &t, |t| {
                let mut s = String::new();
                for m in &t.dated {
                    let _ = writeln!(s, "{}", memory_line(m));
                }
                if !t.undated.is_empty() {
                    let _ = writeln!(s, "\nundated ({}):", t.undated_total);
                    for m in &t.undated {
                        let _ = writeln!(s, "{}", memory_line(m));
                    }
                }
                s
            });
        }
        Command::Search { query, limit, meaning } => {
            let hits = if *meaning {
                graph.hybrid_search(query, *limit)?
            } else {
                graph.search(query, *limit)?
            };
            out.emit(name, &hits, render_hits);
        }
        Command::Person(cmd) => person(&graph, cmd, name, out)?,
        Command::Merge(cmd) => {
            let result = match cmd {
                MergeCommand::Propose { keep, merge, score } => {
                    vec![graph.propose_merge(*keep, *merge, *score)?]
                }
                MergeCommand::List { state: s } => graph.merge_proposals(*s)?,
                MergeCommand::Accept { id } => vec![graph.accept_merge(*id)?],
                MergeCommand::Reject { id } => vec![graph.reject_merge(*id)?],
                MergeCommand::Undo { id } => vec![graph.undo_merge(*id)?],
            };
            if matches!(cmd, MergeCommand::List { .. }) {
                out.emit(name, &result, |r| {
                    r.iter().map(render_proposal).collect::<Vec<_>>().join("\n")
                });
            } else {
                out.emit(name, &result[0], render_proposal);
            }
        }
        Command::Memory(_)
        | Command::Ask { .. }
        | Command::Profile(_)
        | Command::Facts(_)
        | Command::Related { .. }
        | Command::Prompts { .. }
        | Command::Interview(_) => {} // handled by understand::run above
        Command::Seal { .. } | Command::Open { .. } | Command::Keygen { .. } => {} // sealing::run
        Command::Kiosk(_) => {} // kiosk::run, before the owner's graph opens
        Command::Learn(_) => {} // learn::run
        Command::Media(_)
        | Command::Photo(_)
        | Command::Video(_)
        | Command::Family(_)
        | Command::Share(_)
        | Command::Identity(_)
        | Command::Consent(_)
        | Command::Outbox(_)
        | Command::Receipts { .. } => {} // sharing::run
        Command::Coverage => {
            let c = graph.coverage()?;
            out.emit(name, &c, |c| {
                let mut s = format!(
                    "{} memories ({} dated, {} undated), {} segments, {} mentions, {} relations\n",
                    c.memories,
                    c.dated_memories,
                    c.undated_memories,
                    c.segments,
                    c.mentions,
                    c.relations
                );
                for k in &c.entities {
                    let _ = write!(s, "{}: {}  ", k.kind.as_str(), k.count);
                }
                s.push('\n');
                for d in &c.memories_by_decade {
                    let _ = write!(s, "{}s: {}  ", d.decade, d.count);
                }
                s
            });
        }
    }
    Ok(())
}

fn person(
    graph: &MemoryGraph,
    cmd: &PersonCommand,
    name: &str,
    out: &Output,
) -> Result<(), CliError> {
    match cmd {
        PersonCommand::Add {
            name: display,
            kind: k,
            relation,
            born,
            deceased,
            sensitive,
            aliases,
            memories,
        } => {
            let (entity, linked) = graph.create_entity_linked(
                &NewEntity {
                    kind: *k,
                    display_name: display.clone(),
                    aliases: aliases.clone(),
                    attributes: EntityAttributes {
                        relation_to_owner: relation.clone(),
                        birth_year: *born,
                        deceased: *deceased,
                        sensitive: *sensitive,
                    },
                    status: FactStatus::Confirmed,
                },
                memories,
            )?;
            let data = serde_json::json!({ "entity": entity, "linked_mentions": linked });
            out.emit(name, &data, |_| {
                format!("added {}\nlinked {} mentions", entity_line(&entity), linked.len())
            });
        }
        PersonCommand::List { kind: k, name: filter } => {
            let list = graph.list_entities(&EntityQuery { kind: *k, name: filter.clone() })?;
            out.emit(name, &list, |l| l.iter().map(entity_line).collect::<Vec<_>>().join("\n"));
        }
        PersonCommand::Show { who } => {
            let entity = find_one(graph, who)?;
            let view = graph.entity_view(entity.id)?;
            out.emit(name, &view, render_view);
        }
        PersonCommand::Link { id, memory } => {
            let linked = graph.link_name_occurrences(*id, *memory)?;
            out.emit(name, &linked, |l| format!("linked {} mentions", l.len()));
        }
    }
    Ok(())
}

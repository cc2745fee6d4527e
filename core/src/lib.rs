//! Heirloom's core: everything the app does, with no FFI. Modules follow the data's journey;
//! today: `keystore` (where secrets come from), `store` (encrypted SQLite plumbing) and `graph`
//! (the personal memory graph).

pub mod capture;
pub mod embed;
pub mod extract;
pub mod graph;
pub mod interview;
pub mod keystore;
pub mod speech;
pub mod store;

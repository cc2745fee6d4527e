//! Where the CLI keeps its data and key by default.

use std::path::PathBuf;

fn project() -> Option<directories::ProjectDirs> {
    directories::ProjectDirs::from("app", "Heirloom", "heirloom")
}

/// The default data directory.
pub fn default_data_dir() -> PathBuf {
    project().map_or_else(|| PathBuf::from("heirloom-data"), |p| p.data_dir().to_path_buf())
}

/// The default key file: in the config directory, apart from the data.
pub fn default_key_file() -> PathBuf {
    project().map_or_else(|| PathBuf::from("heirloom-keys"), |p| p.config_dir().join("keys"))
}

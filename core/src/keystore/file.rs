//! A key store in one file, for the CLI and tests: `name hex` lines, written atomically with
//! owner-only (0600) permissions. On phones the shells use Keychain / Keystore instead.

use super::{KeyStore, KeyStoreError, SecretKey};
use std::fs;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use zeroize::Zeroizing;

/// File-backed [`KeyStore`].
#[derive(Debug)]
pub struct FileKeyStore {
    path: PathBuf,
    // Serialises read-modify-write of the file within this process.
    lock: Mutex<()>,
}

impl FileKeyStore {
    /// A key store kept in `path` (created on first store).
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into(), lock: Mutex::new(()) }
    }

    /// The file this store keeps its keys in.
    pub fn path(&self) -> &Path {
        &self.path
    }

    fn read_all(&self) -> Result<Zeroizing<String>, KeyStoreError> {
        match fs::read_to_string(&self.path) {
            Ok(text) => Ok(Zeroizing::new(text)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(Zeroizing::new(String::new())),
            Err(e) => Err(unavailable("cannot read key file", &e)),
        }
    }
}

fn unavailable(what: &str, e: &std::io::Error) -> KeyStoreError {
    KeyStoreError::Unavailable { reason: format!("{what}: {}", e.kind()) }
}

fn valid_name(name: &str) -> bool {
    !name.is_empty()
        && name.len() <= 64
        && name.bytes().all(|b| b.is_ascii_alphanumeric() || b"-_./".contains(&b))
}

impl KeyStore for FileKeyStore {
    fn load(&self, name: &str) -> Result<Option<SecretKey>, KeyStoreError> {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let text = self.read_all()?;
        for line in text.lines() {
            let mut parts = line.split_whitespace();
            if parts.next() == Some(name) {
                let hex = parts.next().unwrap_or_default();
                return SecretKey::from_hex(hex)
                    .map(Some)
                    .ok_or_else(|| KeyStoreError::Malformed { name: name.to_owned() });
            }
        }
        Ok(None)
    }

    fn store(&self, name: &str, secret: &SecretKey) -> Result<(), KeyStoreError> {
        if !valid_name(name) {
            return Err(KeyStoreError::Malformed { name: "(invalid name)".to_owned() });
        }
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        let old = self.read_all()?;
        // Sized up front: growing would leave copies of key text in freed memory.
        let mut new = Zeroizing::new(String::with_capacity(old.len() + name.len() + 72));
        for line in old.lines() {
            if line.split_whitespace().next() != Some(name) && !line.trim().is_empty() {
                new.push_str(line);
                new.push('\n');
            }
        }
        new.push_str(name);
        new.push(' ');
        new.push_str(&secret.to_hex());
        new.push('\n');

        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|e| unavailable("cannot create key directory", &e))?;
        }
        let tmp = self.path.with_extension("tmp");
        // A leftover (or planted) temp file must not lend us its permissions or a symlink.
        match fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(unavailable("cannot replace key file", &e)),
        }
        let mut options = fs::OpenOptions::new();
        options.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            options.mode(0o600);
        }
        let mut file = options.open(&tmp).map_err(|e| unavailable("cannot write key file", &e))?;
        file.write_all(new.as_bytes())
            .and_then(|()| file.sync_all())
            .map_err(|e| unavailable("cannot write key file", &e))?;
        fs::rename(&tmp, &self.path).map_err(|e| unavailable("cannot replace key file", &e))?;
        // Make the rename itself durable.
        if let Some(dir) = self.path.parent().filter(|d| !d.as_os_str().is_empty()) {
            if let Ok(dir) = fs::File::open(dir) {
                let _ = dir.sync_all();
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stores_loads_and_replaces() {
        let dir = tempfile::tempdir().expect("tempdir");
        let ks = FileKeyStore::new(dir.path().join("keys"));
        assert!(ks.load("store").expect("load").is_none());
        let a = SecretKey::generate().expect("rng");
        let b = SecretKey::generate().expect("rng");
        ks.store("store", &a).expect("store");
        ks.store("other", &b).expect("store");
        assert_eq!(ks.load("store").expect("load"), Some(a));
        let c = SecretKey::generate().expect("rng");
        ks.store("store", &c).expect("store");
        assert_eq!(ks.load("store").expect("load"), Some(c));
        assert_eq!(ks.load("other").expect("load"), Some(b));
    }

    #[cfg(unix)]
    #[test]
    fn key_file_is_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let ks = FileKeyStore::new(dir.path().join("keys"));
        ks.store("store", &SecretKey::generate().expect("rng")).expect("store");
        let mode = fs::metadata(ks.path()).expect("meta").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
    }

    #[cfg(unix)]
    #[test]
    fn leftover_world_readable_temp_file_does_not_leak_its_mode() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys");
        let tmp = path.with_extension("tmp");
        fs::write(&tmp, "stale").expect("write");
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o644)).expect("chmod");
        FileKeyStore::new(&path)
            .store("store", &SecretKey::generate().expect("rng"))
            .expect("store");
        assert_eq!(fs::metadata(&path).expect("meta").permissions().mode() & 0o777, 0o600);
    }

    #[test]
    fn malformed_key_is_typed_error() {
        let dir = tempfile::tempdir().expect("tempdir");
        let path = dir.path().join("keys");
        fs::write(&path, "store nothex\n").expect("write");
        let ks = FileKeyStore::new(path);
        assert!(matches!(ks.load("store"), Err(KeyStoreError::Malformed { .. })));
        assert!(matches!(
            ks.store("bad name", &SecretKey::generate().expect("rng")),
            Err(KeyStoreError::Malformed { .. })
        ));
    }
}

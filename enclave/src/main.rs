//! `heirloom-enclave`: the reference enclave receiver.
//!
//! `heirloom-enclave serve --state-dir D --s3-endpoint http://127.0.0.1:8333 --bucket heirloom`
//! (credentials from `HEIRLOOM_S3_ACCESS_KEY` / `HEIRLOOM_S3_SECRET_KEY`) prints one JSON line —
//! `{"url": …, "signing_key": …}` — once it is listening, then serves until SIGINT or SIGTERM.
//! `heirloom-enclave signing-key --state-dir D` prints the public key apps pin.

use clap::{Parser, Subcommand};
use heirloom_enclave::keys::EnclaveKeys;
use heirloom_enclave::objects::StoreConfig;
use heirloom_enclave::{EnclaveConfig, Server};
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A credential from the command line or the environment: `Debug` never shows it.
#[derive(Clone)]
struct Secret(String);

impl std::str::FromStr for Secret {
    type Err = std::convert::Infallible;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

impl std::fmt::Debug for Secret {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Secret {
    fn take(mut self) -> String {
        std::mem::take(&mut self.0)
    }
}

impl Drop for Secret {
    fn drop(&mut self) {
        zeroize::Zeroize::zeroize(&mut self.0);
    }
}

#[derive(Debug, Parser)]
#[command(name = "heirloom-enclave", version, about = "Heirloom's reference enclave receiver.")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
#[allow(clippy::large_enum_variant)] // parsed once at startup
enum Command {
    /// Serve the enclave API.
    Serve {
        /// Root key and state database.
        #[arg(long)]
        state_dir: PathBuf,
        /// Address to listen on (port 0: any free port).
        #[arg(long, default_value = "127.0.0.1:0")]
        listen: SocketAddr,
        /// S3-compatible endpoint the enclave calls.
        #[arg(long)]
        s3_endpoint: String,
        /// Endpoint phones are sent to in presigned URLs (default: --s3-endpoint).
        #[arg(long)]
        s3_public_endpoint: Option<String>,
        #[arg(long)]
        bucket: String,
        #[arg(long, default_value = "us-east-1")]
        region: String,
        #[arg(long, env = "HEIRLOOM_S3_ACCESS_KEY", hide_env_values = true)]
        access_key: Secret,
        #[arg(long, env = "HEIRLOOM_S3_SECRET_KEY", hide_env_values = true)]
        secret_key: Secret,
        /// Days a key epoch stays valid.
        #[arg(long, default_value_t = 30)]
        epoch_days: u64,
        /// Bearer token for /v1/admin/* (rotate, retire); unset: no admin endpoints.
        #[arg(long, env = "HEIRLOOM_ENCLAVE_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<Secret>,
    },
    /// Print the Ed25519 public key that signs bundles and receipts (what apps pin).
    SigningKey {
        #[arg(long)]
        state_dir: PathBuf,
    },
}

fn main() {
    let cli = Cli::parse();
    let code = match cli.command {
        Command::SigningKey { state_dir } => match EnclaveKeys::load_or_create(&state_dir) {
            Ok(keys) => {
                println!("{}", keys.signing().verifying_key());
                0
            }
            Err(e) => {
                eprintln!("heirloom-enclave: {e}");
                1
            }
        },
        Command::Serve {
            state_dir,
            listen,
            s3_endpoint,
            s3_public_endpoint,
            bucket,
            region,
            access_key,
            secret_key,
            epoch_days,
            admin_token,
        } => {
            let config = EnclaveConfig {
                state_dir,
                listen,
                store: StoreConfig {
                    endpoint: s3_endpoint,
                    public_endpoint: s3_public_endpoint,
                    bucket,
                    region,
                    access_key: access_key.take(),
                    secret_key: secret_key.take(),
                },
                epoch_validity: Duration::from_secs(epoch_days * 86_400),
                admin_token: admin_token.map(Secret::take),
            };
            serve(config)
        }
    };
    std::process::exit(code);
}

fn serve(config: EnclaveConfig) -> i32 {
    let runtime = match tokio::runtime::Builder::new_multi_thread().enable_all().build() {
        Ok(rt) => rt,
        Err(_) => {
            eprintln!("heirloom-enclave: cannot start the runtime");
            return 1;
        }
    };
    runtime.block_on(async {
        let server = match Server::start(&config).await {
            Ok(server) => server,
            Err(e) => {
                eprintln!("heirloom-enclave: {e}");
                return 1;
            }
        };
        let line = serde_json::json!({
            "url": server.url(),
            "signing_key": server.enclave.keys.signing().verifying_key().to_string(),
        });
        println!("{line}");
        let mut term =
            match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
                Ok(s) => s,
                Err(_) => return 1,
            };
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        server.stop().await;
        0
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_output_never_shows_credentials() {
        let cli = Cli::try_parse_from([
            "heirloom-enclave",
            "serve",
            "--state-dir",
            "/tmp/x",
            "--s3-endpoint",
            "http://127.0.0.1:1",
            "--bucket",
            "b",
            "--access-key",
            "ACCESS-abc123",
            "--secret-key",
            "SECRET-def456",
            "--admin-token",
            "TOKEN-ghi789",
        ])
        .expect("parses");
        let shown = format!("{cli:?}");
        for secret in ["ACCESS-abc123", "SECRET-def456", "TOKEN-ghi789"] {
            assert!(!shown.contains(secret), "{secret} in {shown}");
        }
        assert!(shown.contains("[redacted]"));
        let Command::Serve { secret_key, .. } = cli.command else { panic!("serve") };
        assert_eq!(secret_key.take(), "SECRET-def456");
    }
}

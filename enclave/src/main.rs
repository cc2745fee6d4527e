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

// Debug is derived for clap; the secrets it holds are never printed.
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
        access_key: String,
        #[arg(long, env = "HEIRLOOM_S3_SECRET_KEY", hide_env_values = true)]
        secret_key: String,
        /// Days a key epoch stays valid.
        #[arg(long, default_value_t = 30)]
        epoch_days: u64,
        /// Bearer token for /v1/admin/* (rotate, retire); unset: no admin endpoints.
        #[arg(long, env = "HEIRLOOM_ENCLAVE_ADMIN_TOKEN", hide_env_values = true)]
        admin_token: Option<String>,
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
                    access_key,
                    secret_key,
                },
                epoch_validity: Duration::from_secs(epoch_days * 86_400),
                admin_token,
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

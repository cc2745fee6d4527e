//! `heirloom`: the desktop command over the same core API the apps use.
//!
//! Every subcommand takes `--data-dir`, `--key-file` and `--json`; with `--json` it prints exactly
//! one JSON document (shape in docs/CLI.md) and nothing else on stdout.

mod args;
mod commands;
mod kiosk;
mod learn;
mod output;
mod paths;
mod plot;
mod sealing;
mod sharing;
mod understand;
mod voice;

use clap::Parser;

/// Every block Rust frees is zeroed first (kiosk mode shares the process between residents).
#[global_allocator]
static ALLOCATOR: heirloom_core::kiosk::WipeOnFree = heirloom_core::kiosk::WIPE_ON_FREE;

fn main() {
    let cli = match args::Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let json = std::env::args().any(|a| a == "--json");
            let help = matches!(
                e.kind(),
                clap::error::ErrorKind::DisplayHelp | clap::error::ErrorKind::DisplayVersion
            );
            if json && !help {
                // The parser's message can quote what was typed; scripts get its kind only.
                let reason = output::CliError::Usage(format!("invalid arguments ({:?})", e.kind()));
                std::process::exit(output::Output::new(true).error("", &reason));
            }
            e.exit();
        }
    };
    let out = output::Output::new(cli.global.json);
    let code = match commands::run(&cli, &out) {
        Ok(()) => 0,
        Err(e) => out.error(cli.command.name(), &e),
    };
    std::process::exit(code);
}

//! `heirloom`: the desktop command over the same core API the apps use.
//!
//! Every subcommand takes `--data-dir`, `--key-file` and `--json`; with `--json` it prints exactly
//! one JSON document (shape in docs/CLI.md) and nothing else on stdout.

mod args;
mod commands;
mod output;
mod paths;

use clap::Parser;

fn main() {
    let cli = args::Cli::parse();
    let out = output::Output::new(cli.global.json);
    let code = match commands::run(&cli, &out) {
        Ok(()) => 0,
        Err(e) => out.error(cli.command.name(), &e),
    };
    std::process::exit(code);
}

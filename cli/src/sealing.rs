//! `heirloom seal`, `open` and `keygen`: the core's age code path on any file, so what the app
//! uploads can be checked with the `age` tool, and the other way round. No store is opened.

use crate::args::Command;
use crate::output::{CliError, Output};
use heirloom_core::seal::{self, Identity, Recipient, SealError};
use std::fs::File;
use std::io::{self, BufReader, BufWriter, Read, Write};
use std::path::{Path, PathBuf};

impl From<SealError> for CliError {
    fn from(e: SealError) -> Self {
        CliError::Seal(e)
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn input(path: Option<&PathBuf>) -> Result<Box<dyn Read>, CliError> {
    match path {
        Some(p) if p.as_os_str() != "-" => File::open(p)
            .map(|f| Box::new(f) as Box<dyn Read>)
            .map_err(|e| CliError::Input(format!("cannot open the input file: {}", e.kind()))),
        _ => Ok(Box::new(io::stdin().lock())),
    }
}

/// Writes to a scratch file beside `path` and renames it into place only on success, so a
/// failed seal or a tampered file never leaves a partial output behind.
fn write_atomically<T>(
    path: &Path,
    write: impl FnOnce(&mut BufWriter<&mut File>) -> Result<T, CliError>,
) -> Result<T, CliError> {
    let dir = path.parent().filter(|d| !d.as_os_str().is_empty()).unwrap_or(Path::new("."));
    let storage = |e: io::Error| CliError::Input(format!("cannot write the output: {}", e.kind()));
    let mut scratch = tempfile::NamedTempFile::new_in(dir).map_err(storage)?;
    let result = {
        let mut out = BufWriter::new(scratch.as_file_mut());
        let result = write(&mut out)?;
        out.flush().map_err(storage)?;
        result
    };
    scratch.as_file().sync_all().map_err(storage)?;
    scratch.persist(path).map_err(|e| storage(e.error))?;
    Ok(result)
}

fn read_recipients(list: &[String], file: Option<&PathBuf>) -> Result<Vec<Recipient>, CliError> {
    let mut recipients = list.iter().map(|r| r.parse()).collect::<Result<Vec<Recipient>, _>>()?;
    if let Some(path) = file {
        let text = std::fs::read_to_string(path).map_err(|e| {
            CliError::Input(format!("cannot read the recipients file: {}", e.kind()))
        })?;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            recipients.push(line.parse()?);
        }
    }
    Ok(recipients)
}

fn read_identities(paths: &[PathBuf]) -> Result<Vec<Identity>, CliError> {
    let mut identities = Vec::new();
    for path in paths {
        let text = zeroize::Zeroizing::new(std::fs::read_to_string(path).map_err(|e| {
            CliError::Input(format!("cannot read the identity file: {}", e.kind()))
        })?);
        identities.extend(seal::parse_identity_file(&text)?);
    }
    Ok(identities)
}

/// Runs `seal`, `open` or `keygen`; `None` for every other command.
pub fn run(command: &Command, name: &str, out: &Output) -> Result<Option<()>, CliError> {
    match command {
        Command::Seal { recipients, recipients_file, output, input: from } => {
            let recipients = read_recipients(recipients, recipients_file.as_ref())?;
            let source = input(from.as_ref())?;
            let summary = match output {
                Some(path) => {
                    write_atomically(path, |w| Ok(seal::seal(&recipients, source, w)?.1))?
                }
                None if out.is_json() => {
                    return Err(CliError::Usage("--json needs --output for the sealed file".into()))
                }
                None => seal::seal(&recipients, source, BufWriter::new(io::stdout().lock()))?.1,
            };
            let data = serde_json::json!({
                "recipients": recipients.len(),
                "plaintext_bytes": summary.plaintext_bytes,
                "sealed_bytes": summary.sealed_bytes,
            });
            if output.is_some() || out.is_json() {
                out.emit(name, &data, |_| {
                    format!(
                        "Sealed {} bytes for {} recipient(s): {} bytes",
                        summary.plaintext_bytes,
                        recipients.len(),
                        summary.sealed_bytes
                    )
                });
            }
        }
        Command::Open { identities, output, input: from } => {
            let identities = read_identities(identities)?;
            let source = BufReader::new(input(from.as_ref())?);
            let summary = match output {
                Some(path) => {
                    write_atomically(path, |w| Ok(seal::open(&identities, source, w)?.1))?
                }
                None if out.is_json() => {
                    return Err(CliError::Usage("--json needs --output for the plaintext".into()))
                }
                // To a pipe, chunks go out as they authenticate; a later failure exits non-zero.
                None => seal::open(&identities, source, BufWriter::new(io::stdout().lock()))?.1,
            };
            if output.is_some() || out.is_json() {
                let data = serde_json::json!({
                    "plaintext_bytes": summary.plaintext_bytes,
                    "plaintext_sha256": hex(&summary.plaintext_sha256),
                });
                out.emit(name, &data, |_| {
                    format!(
                        "Opened {} bytes, sha256 {}",
                        summary.plaintext_bytes,
                        hex(&summary.plaintext_sha256)
                    )
                });
            }
        }
        Command::Keygen { output } => {
            let identity = Identity::generate()?;
            let created = heirloom_core::clock::rfc3339(heirloom_core::clock::now_ms());
            let file = identity.to_identity_file(&created);
            let recipient = identity.recipient().to_string();
            match output {
                Some(path) => {
                    write_new_secret_file(path, file.as_bytes())?;
                    let data = serde_json::json!({ "recipient": recipient });
                    out.emit(name, &data, |_| format!("Public key: {recipient}"));
                }
                None if out.is_json() => {
                    return Err(CliError::Usage("--json needs --output for the identity".into()))
                }
                None => print!("{}", file.as_str()),
            }
        }
        _ => return Ok(None),
    }
    Ok(Some(()))
}

/// Creates `path` with owner-only permissions, refusing to replace an existing key.
fn write_new_secret_file(path: &Path, bytes: &[u8]) -> Result<(), CliError> {
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
    let mut file = options.open(path).map_err(|e| match e.kind() {
        io::ErrorKind::AlreadyExists => CliError::Usage("the identity file already exists".into()),
        kind => CliError::Input(format!("cannot write the identity file: {kind}")),
    })?;
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(|e| CliError::Input(format!("cannot write the identity file: {}", e.kind())))
}

//! `baomi witness …`: run a witness that cosigns ledger checkpoints (C2SP
//! tlog-cosignature) after checking they extend the last one it cosigned.
//! The protocol is documented in `baomi_ledger::witness`.

use anyhow::Context;
use baomi_ledger::witness::{AddCheckpoint, Witness};
use baomi_ledger::PublicKey;
use clap::Subcommand;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum WitnessCommand {
    /// Create a witness in DIR: its own key (witness.key, witness.pub) and
    /// state (witness.json). Prints its verifier key for witness lists.
    Init {
        dir: PathBuf,
        /// The witness's name, a schema-less URL such as
        /// `inspection.example.gov.cn/w1`; it is part of every cosignature.
        #[arg(long)]
        name: String,
    },
    /// Follow a ledger: accept checkpoints of ORIGIN signed by the key in
    /// --pub (the ledger's scanner key .pub).
    AddLog {
        dir: PathBuf,
        /// The ledger's checkpoint origin, the first line of its
        /// checkpoints (`baomi.ledger/…`).
        #[arg(long)]
        origin: String,
        /// Public key (.pub) that signs the ledger's checkpoints.
        #[arg(long = "pub", value_name = "FILE")]
        public_key: PathBuf,
    },
    /// Print the witness's verifier key (one line of a witness list).
    Vkey { dir: PathBuf },
    /// List the ledgers the witness follows and the last size it cosigned.
    Status { dir: PathBuf },
    /// Check an add-checkpoint request (`baomi ledger consistency`) and,
    /// if it extends what this witness cosigned before, print the
    /// cosignature line. Exit 0 cosigned, 1 refused.
    Cosign {
        dir: PathBuf,
        /// The request file (`-`: standard input).
        #[arg(long, value_name = "FILE")]
        request: PathBuf,
    },
}

pub fn run(cmd: WitnessCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        WitnessCommand::Init { dir, name } => {
            let w = Witness::init(&dir, &name)
                .with_context(|| format!("cannot create a witness in {}", dir.display()))?;
            eprintln!(
                "witness {} created in {}; give its verifier key (below) to whoever verifies, and add ledgers with `baomi witness add-log`",
                w.name(),
                dir.display()
            );
            println!("{}", w.vkey());
        }
        WitnessCommand::AddLog {
            dir,
            origin,
            public_key,
        } => {
            let w = open(&dir)?;
            let key = PublicKey::load(&public_key)
                .with_context(|| format!("cannot use the public key {}", public_key.display()))?;
            w.add_log(&origin, &key)?;
            println!(
                "witness {}: follows {origin} (checkpoints signed by {})",
                w.name(),
                key.key_id()
            );
        }
        WitnessCommand::Vkey { dir } => println!("{}", open(&dir)?.vkey()),
        WitnessCommand::Status { dir } => {
            let w = open(&dir)?;
            println!("witness {} ({})", w.name(), w.vkey());
            for (origin, log) in w.logs()? {
                match &log.root {
                    Some(r) => println!("  {origin}: cosigned size {} root {r}", log.size),
                    None => println!("  {origin}: nothing cosigned yet"),
                }
            }
        }
        WitnessCommand::Cosign { dir, request } => {
            let w = open(&dir)?;
            let text = read_request(&request)?;
            let req = AddCheckpoint::parse(&text)
                .with_context(|| format!("cannot read the request {}", request.display()))?;
            let now = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .context("the system clock is before 1970")?
                .as_secs();
            match w.add_checkpoint(&req, now) {
                Ok(c) => {
                    eprintln!(
                        "witness {}: cosigned {} at size {}",
                        w.name(),
                        req.checkpoint.origin,
                        req.checkpoint.size
                    );
                    print!("{}", c.to_line());
                }
                Err(e) if e.http_status() < 500 => {
                    eprintln!("witness {}: {e}", w.name());
                    return Ok(ExitCode::from(1));
                }
                Err(e) => return Err(e.into()),
            }
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn open(dir: &Path) -> anyhow::Result<Witness> {
    Witness::open(dir).with_context(|| format!("cannot open the witness in {}", dir.display()))
}

/// A request is small (63 proof lines and a checkpoint); more is refused.
fn read_request(path: &Path) -> anyhow::Result<String> {
    const MAX: u64 = 64 * 1024;
    let mut buf = Vec::new();
    if path == Path::new("-") {
        std::io::stdin().take(MAX + 1).read_to_end(&mut buf)?;
    } else {
        std::fs::File::open(path)
            .with_context(|| format!("cannot read {}", path.display()))?
            .take(MAX + 1)
            .read_to_end(&mut buf)
            .with_context(|| format!("cannot read {}", path.display()))?;
    }
    anyhow::ensure!(
        buf.len() as u64 <= MAX,
        "{} is larger than 64 KiB: not an add-checkpoint request",
        path.display()
    );
    String::from_utf8(buf).with_context(|| format!("{} is not UTF-8 text", path.display()))
}

//! `baomi key new NAME` and `baomi key show FILE`: signing keys for the ledger.

use anyhow::Context;
use baomi_ledger::{load_private_key, write_key_pair, PublicKey};
use clap::Subcommand;
use std::path::PathBuf;
use std::process::ExitCode;

#[derive(Subcommand)]
pub enum KeyCommand {
    /// Create an Ed25519 key pair: NAME.key (private, PKCS#8 PEM, mode 0600)
    /// and NAME.pub (public, PEM). Never overwrites an existing file.
    New {
        /// Base name, optionally with a folder (e.g. `keys/zhangsan`).
        #[arg(value_name = "NAME")]
        name: PathBuf,
        /// Name of the person or service, for the printed trust.toml entry.
        #[arg(long)]
        person: Option<String>,
        /// Role(s) for the printed trust.toml entry: scanner, department,
        /// work-department, secrecy-committee.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
    },
    /// Print the key id and trust.toml entry of a .key or .pub file.
    Show {
        #[arg(value_name = "FILE")]
        file: PathBuf,
        /// Name for the printed trust.toml entry.
        #[arg(long)]
        person: Option<String>,
        /// Role(s) for the printed trust.toml entry.
        #[arg(long = "role", value_name = "ROLE")]
        roles: Vec<String>,
    },
}

pub fn run(cmd: KeyCommand) -> anyhow::Result<ExitCode> {
    match cmd {
        KeyCommand::New {
            name,
            person,
            roles,
        } => {
            check_roles(&roles)?;
            if let Some(parent) = name.parent().filter(|p| !p.as_os_str().is_empty()) {
                std::fs::create_dir_all(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let (key, key_path, pub_path) =
                write_key_pair(&name).context("cannot create the key pair")?;
            eprintln!(
                "wrote {} (private, keep it secret) and {}",
                key_path.display(),
                pub_path.display()
            );
            print_trust_entry(key.public_key(), person.as_deref(), &roles);
        }
        KeyCommand::Show {
            file,
            person,
            roles,
        } => {
            check_roles(&roles)?;
            let public = if file.extension().is_some_and(|e| e == "pub") {
                PublicKey::load(&file)?
            } else {
                load_private_key(&file)?.public_key().clone()
            };
            print_trust_entry(&public, person.as_deref(), &roles);
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn check_roles(roles: &[String]) -> anyhow::Result<()> {
    for r in roles {
        r.parse::<baomi_ledger::Role>()
            .map_err(anyhow::Error::msg)?;
    }
    Ok(())
}

/// The key id and a trust.toml entry ready to paste (with the roles to fill in).
fn print_trust_entry(key: &PublicKey, person: Option<&str>, roles: &[String]) {
    println!("key id: {}", key.key_id());
    println!();
    println!("# add to trust.toml:");
    println!("[[signer]]");
    println!("key_id = \"{}\"", key.key_id());
    println!("name = {}", toml_string(person.unwrap_or("NAME")));
    let roles = if roles.is_empty() {
        "\"ROLE\"]  # ROLE: scanner | department | work-department | secrecy-committee".to_string()
    } else {
        let list: Vec<String> = roles.iter().map(|r| format!("\"{r}\"")).collect();
        format!("{}]", list.join(", "))
    };
    println!("roles = [{roles}");
    println!("public_key = \"{}\"", key.to_base64());
}

fn toml_string(s: &str) -> String {
    let mut out = String::from("\"");
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if c.is_control() => out.push_str(&format!("\\u{:04X}", c as u32)),
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

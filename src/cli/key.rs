//! `baomi key new NAME` and `baomi key show FILE`: signing keys for the ledger.

use anyhow::Context;
use baomi_ledger::Trust;
use baomi_ledger::{load_private_key, write_key_pair, PublicKey};
use clap::Subcommand;
use std::path::{Path, PathBuf};
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
        /// Also add the entry to the trust file (needs --person and --role).
        #[arg(long)]
        register: bool,
        /// The trust file to register in (default: baomi.toml's, else ./trust.toml).
        #[arg(long, value_name = "FILE", requires = "register")]
        trust: Option<PathBuf>,
    },
    /// Add an existing key (.key or .pub), or a browser's key by its
    /// enrolment code, to the trust file with its person and roles.
    /// Refuses a key that is listed already.
    Register {
        #[arg(
            value_name = "FILE",
            required_unless_present = "enrolment",
            conflicts_with = "enrolment"
        )]
        file: Option<PathBuf>,
        /// The code a reviewer's browser showed at /enrol of `baomi serve`
        /// (e.g. ABCD-EFGH); check the key id it prints against theirs.
        #[arg(long, value_name = "CODE")]
        enrolment: Option<String>,
        /// The ledger whose enrolment requests to read [default:
        /// baomi.toml's `db`, else ./baomi.db].
        #[arg(long, value_name = "FILE", requires = "enrolment")]
        db: Option<PathBuf>,
        #[arg(long)]
        person: String,
        /// Role(s): scanner, department, work-department, secrecy-committee.
        #[arg(long = "role", value_name = "ROLE", required = true)]
        roles: Vec<String>,
        /// The trust file (default: baomi.toml's, else ./trust.toml; created if missing).
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
    },
    /// List the browsers' enrolment requests waiting for registration.
    Enrolments {
        /// The ledger [default: baomi.toml's `db`, else ./baomi.db].
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
    },
    /// Revoke a key: a signed `revocation` entry in the ledger; entries the
    /// key signs after it fail `baomi ledger verify`, and `baomi serve`
    /// refuses its logins and signatures. Earlier entries stay valid.
    Revoke {
        /// The key id (16 hex digits) to revoke.
        #[arg(value_name = "KEYID")]
        key_id: String,
        /// Why (kept in the entry).
        #[arg(long, default_value = "")]
        reason: String,
        /// The key that signs the revocation: the scanner key or a
        /// secrecy-committee key [default: baomi.toml's scanner key].
        #[arg(long, value_name = "FILE")]
        key: Option<PathBuf>,
        /// The ledger [default: baomi.toml's `db`, else ./baomi.db].
        #[arg(long, value_name = "FILE")]
        db: Option<PathBuf>,
        /// The trust file [default: baomi.toml's, else ./trust.toml].
        #[arg(long, value_name = "FILE")]
        trust: Option<PathBuf>,
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
            register: reg,
            trust,
        } => {
            check_roles(&roles)?;
            if reg && (person.is_none() || roles.is_empty()) {
                anyhow::bail!("--register needs --person NAME and at least one --role");
            }
            if let Some(parent) = name.parent().filter(|p| !p.as_os_str().is_empty()) {
                // A new key folder is private (0700): it holds private keys.
                let mut b = std::fs::DirBuilder::new();
                b.recursive(true);
                #[cfg(unix)]
                std::os::unix::fs::DirBuilderExt::mode(&mut b, 0o700);
                b.create(parent)
                    .with_context(|| format!("cannot create {}", parent.display()))?;
            }
            let (key, key_path, pub_path) =
                write_key_pair(&name).context("cannot create the key pair")?;
            eprintln!(
                "wrote {} (private, keep it secret) and {}",
                key_path.display(),
                pub_path.display()
            );
            if reg {
                register_and_say(
                    key.public_key(),
                    person.as_deref().unwrap_or_default(),
                    &roles,
                    trust.as_deref(),
                )?;
            } else {
                print_trust_entry(key.public_key(), person.as_deref(), &roles);
            }
        }
        KeyCommand::Register {
            file,
            enrolment,
            db,
            person,
            roles,
            trust,
        } => {
            check_roles(&roles)?;
            match (file, enrolment) {
                (Some(file), _) => {
                    register_and_say(&public_of(&file)?, &person, &roles, trust.as_deref())?
                }
                (None, Some(code)) => {
                    let db = super::office::Office::current().db(db.as_deref());
                    let en = baomi_web::enrol::Enrolments::for_db(&db);
                    let req = en.find(&code)?;
                    let key = req
                        .key()
                        .ok_or_else(|| anyhow::anyhow!("enrolment {code} holds no valid key"))?;
                    register_and_say(&key, &person, &roles, trust.as_deref())?;
                    en.remove(&req.code)?;
                    println!(
                        "enrolment {} (asked as {}) done: tell {person} to log in, and check that their page shows key id {}",
                        req.code,
                        if req.name.is_empty() { "no name" } else { &req.name },
                        key.key_id()
                    );
                }
                (None, None) => anyhow::bail!("give a key FILE or --enrolment CODE"),
            }
        }
        KeyCommand::Enrolments { db } => {
            let db = super::office::Office::current().db(db.as_deref());
            let list = baomi_web::enrol::Enrolments::for_db(&db).list()?;
            if list.is_empty() {
                println!("no enrolment requests waiting");
            }
            for e in list {
                println!(
                    "{}  key {}  {}  asked {}",
                    e.code,
                    e.key_id,
                    baomi_core::display::visible(if e.name.is_empty() {
                        "(no name)"
                    } else {
                        &e.name
                    }),
                    baomi_ledger::entry::rfc3339_from_unix(e.requested_at)
                );
            }
        }
        KeyCommand::Revoke {
            key_id,
            reason,
            key,
            db,
            trust,
        } => revoke(
            &key_id,
            &reason,
            key.as_deref(),
            db.as_deref(),
            trust.as_deref(),
        )?,
        KeyCommand::Show {
            file,
            person,
            roles,
        } => {
            check_roles(&roles)?;
            print_trust_entry(&public_of(&file)?, person.as_deref(), &roles);
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// `baomi key revoke`: appends the signed revocation entry.
fn revoke(
    key_id: &str,
    reason: &str,
    key: Option<&Path>,
    db: Option<&Path>,
    trust: Option<&Path>,
) -> anyhow::Result<()> {
    let key_id = key_id.trim().to_ascii_lowercase();
    if key_id.len() != 16 || !key_id.bytes().all(|b| b.is_ascii_hexdigit()) {
        anyhow::bail!("`{key_id}` is not a key id (16 hex digits, as `baomi key show` or the enrolment page prints)");
    }
    let office = super::office::Office::current();
    let trust_file = super::office::load_trust(trust)?;
    let key_path = office.scanner_key(key);
    let signer = load_private_key(&key_path)
        .with_context(|| format!("cannot use the revoking key {}", key_path.display()))?;
    super::office::require_registered(
        &signer,
        &key_path,
        trust_file.as_ref(),
        &baomi_ledger::REVOKER_ROLES,
        "revoking",
    )?;
    let db = office.db(db);
    let ledger = baomi_ledger::Ledger::open_existing(&db)
        .with_context(|| format!("cannot open the ledger {}", baomi_ledger::shown(&db)))?;
    if let Some(at) = ledger.revocations()?.get(&key_id) {
        anyhow::bail!("key {key_id} was already revoked by entry #{at}");
    }
    let who = trust_file
        .as_ref()
        .and_then(|(t, _)| t.name_of(&key_id).map(str::to_owned));
    let e = ledger.append(
        baomi_ledger::KIND_REVOCATION,
        "",
        serde_json::json!({"key_id": key_id, "reason": reason, "name": who}),
        &signer,
    )?;
    println!(
        "revoked key {key_id}{} in entry #{}: entries it signs from now on fail `baomi ledger verify`",
        who.map(|n| format!(" ({n})")).unwrap_or_default(),
        e.seq
    );
    Ok(())
}

fn check_roles(roles: &[String]) -> anyhow::Result<()> {
    for r in roles {
        r.parse::<baomi_ledger::Role>()
            .map_err(anyhow::Error::msg)?;
    }
    Ok(())
}

/// The public key of a .pub or .key file.
fn public_of(file: &Path) -> anyhow::Result<PublicKey> {
    Ok(if file.extension().is_some_and(|e| e == "pub") {
        PublicKey::load(file)?
    } else {
        load_private_key(file)?.public_key().clone()
    })
}

/// A trust.toml `[[signer]]` entry.
pub fn trust_entry(key: &PublicKey, person: Option<&str>, roles: &[String]) -> String {
    let roles = if roles.is_empty() {
        "\"ROLE\"]  # ROLE: scanner | department | work-department | secrecy-committee".to_string()
    } else {
        let list: Vec<String> = roles.iter().map(|r| format!("\"{r}\"")).collect();
        format!("{}]", list.join(", "))
    };
    format!(
        "[[signer]]\nkey_id = \"{}\"\nname = {}\nroles = [{roles}\npublic_key = \"{}\"\n",
        key.key_id(),
        toml_string(person.unwrap_or("NAME")),
        key.to_base64()
    )
}

/// The key id and a trust.toml entry ready to paste (with the roles to fill in).
fn print_trust_entry(key: &PublicKey, person: Option<&str>, roles: &[String]) {
    println!("key id: {}", key.key_id());
    println!();
    println!("# add to trust.toml:");
    print!("{}", trust_entry(key, person, roles));
}

/// Appends the key's entry to the trust file (created if missing), after
/// checking the result still parses and the key is not listed yet.
pub fn register(
    key: &PublicKey,
    person: &str,
    roles: &[String],
    given: Option<&Path>,
) -> anyhow::Result<PathBuf> {
    let path = given
        .map(Path::to_path_buf)
        .or_else(|| super::office::Office::current().trust.clone())
        .unwrap_or_else(|| PathBuf::from("trust.toml"));
    let old = match std::fs::read_to_string(&path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => String::new(),
        Err(e) => return Err(e).with_context(|| format!("cannot read {}", path.display())),
    };
    let current = Trust::parse(&old)
        .map_err(anyhow::Error::msg)
        .with_context(|| format!("{} is not a valid trust file; fix it first", path.display()))?;
    if let Some(s) = current.signer(key.key_id()) {
        anyhow::bail!(
            "key {} is already registered in {} as {} with roles [{}]; edit that entry to change it",
            key.key_id(),
            path.display(),
            s.name,
            s.roles.iter().map(|r| r.as_str()).collect::<Vec<_>>().join(", ")
        );
    }
    let mut text = old;
    if text.is_empty() {
        text.push_str("# Who signs the office's review forms: one [[signer]] per key.\n# Kept by the secrecy officer; `baomi key register` appends to it.\n");
    }
    if !text.ends_with('\n') {
        text.push('\n');
    }
    text.push('\n');
    text.push_str(&trust_entry(key, Some(person), roles));
    Trust::parse(&text).map_err(anyhow::Error::msg)?;
    let tmp = path.with_extension("toml.tmp");
    std::fs::write(&tmp, &text)
        .and_then(|_| std::fs::rename(&tmp, &path))
        .with_context(|| format!("cannot write {}", path.display()))?;
    Ok(path)
}

/// [`register`], saying so.
fn register_and_say(
    key: &PublicKey,
    person: &str,
    roles: &[String],
    given: Option<&Path>,
) -> anyhow::Result<()> {
    let path = register(key, person, roles, given)?;
    println!(
        "registered key {} ({person}, {}) in {}",
        key.key_id(),
        roles.join(", "),
        path.display()
    );
    Ok(())
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

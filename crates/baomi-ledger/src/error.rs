//! Errors of the ledger crate. Messages say what to do next; none ever
//! contains private key material.

use std::path::PathBuf;

/// Everything that can go wrong opening, writing or reading a ledger, or
/// handling keys and trust files.
#[derive(Debug, thiserror::Error)]
pub enum LedgerError {
    /// The file exists but is not an SQLite database at all.
    #[error(
        "{path} is not an SQLite database (it may be corrupt, or the wrong file was given as --db)"
    )]
    NotADatabase { path: PathBuf },

    /// An SQLite database that some other program made.
    #[error("{path} is an SQLite database but not a baomi ledger; give another --db file")]
    NotALedger { path: PathBuf },

    /// `PRAGMA quick_check` failed: nothing is written to such a file.
    #[error("{path} fails SQLite's integrity check ({detail}); refusing to write to it — restore it from a backup")]
    Corrupt { path: PathBuf, detail: String },

    /// A ledger written by a newer baomi.
    #[error("{path} has ledger schema version {found}, newer than this baomi understands ({supported}); upgrade baomi")]
    NewerSchema {
        path: PathBuf,
        found: i64,
        supported: i64,
    },

    /// `--db` points at a network file system, where SQLite's WAL locking
    /// does not work and concurrent writers can corrupt the chain.
    #[error(
        "{path} is on a network file system ({fs}); SQLite's WAL mode needs local file locking and shared memory, \
         so concurrent writers there can corrupt the ledger. Keep the database on a local disk \
         (the drafts themselves may stay on the share), or set BAOMI_ALLOW_NETWORK_DB=1 if only one process ever writes it"
    )]
    NetworkFilesystem { path: PathBuf, fs: &'static str },

    /// `open_existing` was asked for a file that is not there.
    #[error("no ledger at {path}; record one first with `baomi scan --db {path} …`")]
    Missing { path: PathBuf },

    /// A read-only command was given a file that holds no ledger (a
    /// zero-byte or empty SQLite file): it is not turned into one.
    #[error("{path} holds no ledger (it is empty); only commands that record (`baomi scan --db`, `baomi watch`, `baomi serve`) create one — check the --db path")]
    EmptyFile { path: PathBuf },

    /// An entry that does not verify where it is used: shown, proved, or
    /// taken as the record of a scan.
    #[error("{path}: entry {seq} does not verify: {detail}. Run `baomi ledger verify --db {path}` to find the first bad entry, then restore the ledger from a backup")]
    EntryInvalid {
        path: PathBuf,
        seq: u64,
        detail: String,
    },

    /// The last entry does not verify: nothing is appended after it (the
    /// new entry would sign a broken chain).
    #[error("{path}: refusing to append: the last entry, {seq}, does not verify: {detail}. Nothing was written. Run `baomi ledger verify --db {path}` to find the first bad entry, then restore the ledger from a backup")]
    TailInvalid {
        path: PathBuf,
        seq: u64,
        detail: String,
    },

    /// The checkpoint folder has a checkpoint of more entries than the
    /// ledger holds: it was truncated or rolled back to an older copy.
    #[error("{path} has {entries} entries but its checkpoint folder {dir} has a signed checkpoint of {checkpoint}: {}, or the file was rolled back to an older copy. Nothing was written. Restore the newest copy of the ledger; run `baomi ledger verify --db {path}` for details", crate::removed(entries + 1, *checkpoint))]
    BehindCheckpoint {
        path: PathBuf,
        entries: u64,
        checkpoint: u64,
        dir: PathBuf,
    },

    /// The ledger does not extend the checkpoints in its folder.
    #[error("{path} does not match its checkpoint folder {dir}: {detail}. Nothing was written. If this is deliberately a new ledger, move the old checkpoint folder away; otherwise restore the ledger from a backup")]
    CheckpointMismatch {
        path: PathBuf,
        dir: PathBuf,
        detail: String,
    },

    /// The PostgreSQL server cannot be reached (down, restarting, wrong
    /// host or port, connection lost). Nothing of the interrupted
    /// transaction was written; the daemon keeps the draft and retries.
    #[error("cannot reach the PostgreSQL ledger database {target}: {detail}. Nothing was written. Check that the server is running and accepts connections on {host} port {port} (`pg_isready -h {host} -p {port}`), and the host, port, user and password in --db; baomi retries on the next use")]
    Unreachable {
        target: String,
        host: String,
        port: u16,
        detail: String,
    },

    /// Any other failure reported by a database that is not SQLite.
    #[error("ledger database {target}: {detail}")]
    Database { target: String, detail: String },

    /// Any other SQLite failure.
    #[error("ledger database error: {0}")]
    Sqlite(rusqlite::Error),

    /// A key or trust file could not be read or written.
    // The I/O error is part of the message, not a `source`: callers that
    // print the whole chain (anyhow's `{:#}`) would show it twice.
    #[error("{path}: {cause}")]
    Io {
        path: PathBuf,
        cause: std::io::Error,
    },

    /// A private key file that group or others may read.
    #[error("private key {path} is accessible by others (mode {mode:03o}); run `chmod 600 {path}` and try again")]
    KeyPermissions { path: PathBuf, mode: u32 },

    /// A key file that exists must never be replaced: it may be the only copy.
    #[error("{path} already exists; refusing to overwrite a key file (choose another name or move it away)")]
    KeyExists { path: PathBuf },

    /// A key file that is not a PKCS#8 / SPKI Ed25519 PEM.
    #[error("{path} is not an Ed25519 {what} in PEM format: {detail}")]
    BadKey {
        path: PathBuf,
        what: &'static str,
        detail: String,
    },

    /// The operating system gave no randomness for a new key.
    #[error("cannot get random bytes for a new key: {0}")]
    Random(String),

    /// A trust file that is not valid.
    #[error("trust file {path}: {detail}")]
    Trust { path: PathBuf, detail: String },

    /// An entry's kind or document hash is not acceptable.
    #[error("invalid entry: {0}")]
    InvalidEntry(String),

    /// A payload that cannot be canonicalised (e.g. a float that JSON cannot hold).
    #[error("payload cannot be canonicalised: {0}")]
    Payload(String),

    /// A stored entry that cannot be read back (only possible after tampering).
    #[error("entry {seq} is malformed: {detail}; run `baomi ledger verify`")]
    Malformed { seq: u64, detail: String },

    /// A checkpoint or inclusion proof that cannot be parsed.
    #[error("{0}")]
    Format(String),

    /// An entry signed elsewhere (a reviewer's browser) no longer follows
    /// the ledger's last entry: something else was appended after it was
    /// prepared. Nothing was written; prepare and sign it again.
    #[error("the ledger moved on since this entry was prepared (it was to be entry {expected}, the ledger now has {now} entries); nothing was written — prepare and sign it again")]
    Moved { expected: u64, now: u64 },

    /// An entry signed elsewhere whose signature does not verify with the
    /// key it names. Nothing was written.
    #[error("the signature by key {key_id} does not verify over the prepared entry; nothing was written")]
    BadSignature { key_id: String },
}

// Not `#[from]`: that would also make the SQLite error the `source`, and
// chain printers would repeat it.
impl From<rusqlite::Error> for LedgerError {
    fn from(e: rusqlite::Error) -> Self {
        LedgerError::Sqlite(e)
    }
}

impl LedgerError {
    /// SQLite refused to write because the file (or its folder) is
    /// read-only: a later attempt, on a new connection, may succeed.
    pub fn is_read_only(&self) -> bool {
        matches!(self, LedgerError::Sqlite(e)
            if e.sqlite_error_code() == Some(rusqlite::ErrorCode::ReadOnly))
    }

    /// The database could not be reached (PostgreSQL down or the
    /// connection lost): a later attempt may succeed.
    pub fn is_unreachable(&self) -> bool {
        matches!(self, LedgerError::Unreachable { .. })
    }

    pub(crate) fn io(path: impl Into<PathBuf>, cause: std::io::Error) -> Self {
        LedgerError::Io {
            path: path.into(),
            cause,
        }
    }
}

/// Result type of this crate.
pub type Result<T, E = LedgerError> = std::result::Result<T, E>;

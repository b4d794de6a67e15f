//! The ledger: opening (checks, migrations), appending, reading — over
//! SQLite or PostgreSQL ([`crate::store`]).

use crate::checkpoint::{Checkpoint, InclusionProof};
use crate::checkpoints::{self, CheckpointDir};
use crate::entry::{self, Entry, GENESIS_PREV_HASH};
use crate::error::{LedgerError, Result};
use crate::forms::{Decision, ScanForm};
use crate::index;
use crate::keys::{KeyPair, PublicKey};
use crate::merkle::{self, Frontier};
use crate::store::{Arg, Row, SqliteStore, Store, Tx, Value};
use baomi_core::DocumentReport;
use rusqlite::{Connection, ErrorCode, OpenFlags, Transaction, TransactionBehavior};
use std::cell::RefCell;
use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::time::Duration;

/// `PRAGMA application_id` of a baomi ledger ("baom"), so that another
/// program's SQLite file is never mistaken for one.
pub const APPLICATION_ID: i32 = 0x6261_6f6d;

/// Default `--db` of the CLI.
pub const DEFAULT_DB: &str = "baomi.db";

/// The schema, one step per version: `PRAGMA user_version` is the number of
/// steps applied. Never edit a released step; add a new one.
const MIGRATIONS: &[&str] = &[
    // 1: the entries and the ledger's identity.
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;
     CREATE TABLE entries (
        seq         INTEGER PRIMARY KEY,
        kind        TEXT NOT NULL,
        doc_sha256  TEXT NOT NULL,
        payload     TEXT NOT NULL,
        key_id      TEXT NOT NULL,
        public_key  TEXT NOT NULL,
        signature   TEXT NOT NULL,
        prev_hash   TEXT NOT NULL,
        hash        TEXT NOT NULL,
        recorded_at TEXT NOT NULL
     );
     CREATE INDEX entries_by_document ON entries (doc_sha256, kind, seq);
     CREATE TRIGGER entries_append_only_update BEFORE UPDATE ON entries
        BEGIN SELECT RAISE(ABORT, 'baomi ledger entries are append-only; record a correction as a new entry'); END;
     CREATE TRIGGER entries_append_only_delete BEFORE DELETE ON entries
        BEGIN SELECT RAISE(ABORT, 'baomi ledger entries are append-only; record a correction as a new entry'); END;",
    // 2: the derived index (see `index.rs`).
    index::SCHEMA,
];

/// How to open a ledger.
#[derive(Debug, Clone)]
pub struct OpenOptions {
    /// Create the file if it does not exist (default true).
    pub create: bool,
    /// Open a database on NFS/SMB/CIFS anyway (default: only when the
    /// environment variable `BAOMI_ALLOW_NETWORK_DB=1` is set).
    pub allow_network_fs: bool,
    /// How long to wait for another writer (default 60 s).
    pub busy_timeout: Duration,
    /// Where appends write their checkpoints (default: the environment
    /// variable `BAOMI_CHECKPOINTS`, else `<db>.checkpoints` beside the
    /// database; see [`crate::checkpoints`]).
    pub checkpoints: Option<PathBuf>,
    /// Run `PRAGMA quick_check` on open (default true). A process opening
    /// a second connection to a file it checked already may skip it: on a
    /// large ledger it reads the whole file.
    pub quick_check: bool,
}

impl Default for OpenOptions {
    fn default() -> Self {
        OpenOptions {
            create: true,
            allow_network_fs: std::env::var_os("BAOMI_ALLOW_NETWORK_DB").is_some_and(|v| v == "1"),
            busy_timeout: Duration::from_secs(60),
            checkpoints: std::env::var_os("BAOMI_CHECKPOINTS")
                .filter(|v| !v.is_empty())
                .map(PathBuf::from),
            quick_check: true,
        }
    }
}

/// What [`Ledger::record_scan`] did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Recorded {
    /// The new entry, or the earlier one that already records this scan.
    pub seq: u64,
    /// True when nothing was written because the same content had already
    /// been scanned with the same rule set.
    pub duplicate: bool,
    /// The earlier scan (another rule set) this entry supersedes.
    pub supersedes: Option<u64>,
}

/// An entry to append in a batch.
#[derive(Debug, Clone)]
pub struct NewEntry {
    pub kind: String,
    pub doc_sha256: String,
    pub payload: serde_json::Value,
}

/// An open review-form ledger: one connection to SQLite (a file path) or
/// PostgreSQL (a `postgres://` / `postgresql://` URL given as the path).
///
/// Every write is one transaction that locks the chain's head (SQLite's
/// `BEGIN IMMEDIATE`, PostgreSQL's advisory lock), reads the last entry's
/// hash and appends after it, so any number of processes (and connections,
/// and machines for PostgreSQL) can append at once and the chain stays
/// linear. A `Ledger` is
/// `Send`, not `Sync`: give each thread its own, or wrap it in a `Mutex`.
///
/// ```
/// # let dir = tempfile::tempdir().unwrap();
/// use baomi_ledger::{KeyPair, Ledger};
/// let ledger = Ledger::open(&dir.path().join("baomi.db")).unwrap();
/// let key = KeyPair::generate().unwrap();
/// let e = ledger.append("note", "", serde_json::json!({"text": "归档"}), &key).unwrap();
/// assert_eq!(e.seq, 1);
/// assert!(ledger.verify(None).unwrap().ok());
/// ```
#[derive(Debug)]
pub struct Ledger {
    db: Box<dyn Store>,
    /// What `--db` said (a file, or a URL that may carry a password).
    given: PathBuf,
    /// The file, or the URL without password: what messages name.
    name: PathBuf,
    ledger_id: String,
    checkpoints: CheckpointDir,
    /// What this process knows of the chain's end, for checkpoints.
    tail: RefCell<Tail>,
    /// Entries whose signature this connection has checked: seq → hash.
    /// An entry read again is good if it still hashes to the same value
    /// (the hash covers the signature and key), so the Ed25519 check —
    /// most of the cost of reading for display — runs once per entry.
    verified: RefCell<HashMap<u64, [u8; 32]>>,
    /// Threads [`Ledger::verify`] uses (all cores unless set lower, as the
    /// background monitor does to leave the others to requests).
    verify_threads: std::cell::Cell<usize>,
}

/// Bound of [`Ledger`]'s verified-entry cache (≈ 50 bytes an entry).
const VERIFIED_CACHE: usize = 200_000;

/// The Merkle frontier of the entries this process has seen, and the size
/// of the newest checkpoint it knows: loaded at the first append (which
/// also checks the ledger against the checkpoint folder), then extended
/// after each append.
#[derive(Debug, Default)]
struct Tail {
    frontier: Option<Frontier>,
    checkpoint_size: u64,
}

fn classify(path: &Path, e: rusqlite::Error) -> LedgerError {
    match e.sqlite_error_code() {
        Some(ErrorCode::NotADatabase) => LedgerError::NotADatabase {
            path: path.to_owned(),
        },
        Some(ErrorCode::CannotOpen) => LedgerError::io(
            path,
            std::io::Error::other(
                "cannot open or create the database (does its folder exist, and may you write there?)",
            ),
        ),
        Some(ErrorCode::DatabaseCorrupt) => LedgerError::Corrupt {
            path: path.to_owned(),
            detail: e.to_string(),
        },
        _ => LedgerError::Sqlite(e),
    }
}

impl Ledger {
    /// Opens the ledger at `path`, creating and migrating it if needed.
    ///
    /// Refuses a file that is not SQLite, an SQLite file of another program,
    /// a database that fails `PRAGMA quick_check` (nothing is written to it),
    /// and a file on a network file system (see [`OpenOptions`]).
    pub fn open(path: &Path) -> Result<Ledger> {
        Ledger::open_with(path, &OpenOptions::default())
    }

    /// Opens an existing ledger; a missing file, or one that holds no
    /// ledger yet (e.g. zero bytes), is an error, not a new ledger. Commands
    /// that only read use this: only recording creates a ledger.
    pub fn open_existing(path: &Path) -> Result<Ledger> {
        Ledger::open_with(
            path,
            &OpenOptions {
                create: false,
                ..OpenOptions::default()
            },
        )
    }

    /// Opens with explicit options.
    ///
    /// Several processes opening a new ledger at once race to switch it to
    /// WAL and to migrate it; SQLite answers some of those steps with
    /// `SQLITE_BUSY` without waiting (switching the journal mode needs the
    /// file to itself), so the whole opening is retried until the busy
    /// timeout has passed.
    pub fn open_with(path: &Path, opts: &OpenOptions) -> Result<Ledger> {
        if crate::store::is_postgres_url(path) {
            return Ledger::open_postgres(path, opts);
        }
        let started = std::time::Instant::now();
        let mut pause = Duration::from_millis(5);
        loop {
            match Ledger::open_once(path, opts) {
                Err(LedgerError::Sqlite(e))
                    if matches!(
                        e.sqlite_error_code(),
                        Some(ErrorCode::DatabaseBusy | ErrorCode::DatabaseLocked)
                    ) && started.elapsed() < opts.busy_timeout =>
                {
                    tracing::debug!(path = %path.display(), "ledger busy while opening; retrying");
                    std::thread::sleep(pause);
                    pause = (pause * 2).min(Duration::from_millis(200));
                }
                other => return other,
            }
        }
    }

    fn open_once(path: &Path, opts: &OpenOptions) -> Result<Ledger> {
        if let Some(fs) = crate::netfs::network_filesystem(path) {
            if !opts.allow_network_fs {
                return Err(LedgerError::NetworkFilesystem {
                    path: path.to_owned(),
                    fs,
                });
            }
            tracing::warn!(path = %path.display(), fs, "ledger database on a network file system; only one process may write it");
        }
        if !path.exists() && !opts.create {
            return Err(LedgerError::Missing {
                path: path.to_owned(),
            });
        }
        if path.is_dir() {
            return Err(LedgerError::io(
                path,
                std::io::Error::other("is a folder; give a database file such as baomi.db"),
            ));
        }
        let mut flags = OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
        if opts.create {
            flags |= OpenFlags::SQLITE_OPEN_CREATE;
        }
        let conn = Connection::open_with_flags(path, flags).map_err(|e| classify(path, e))?;
        conn.busy_timeout(opts.busy_timeout)?;
        // Read-only checks first: nothing is written to a file that fails them.
        // One statement, so one snapshot: read separately, another process
        // creating the ledger in between would make it look foreign.
        let (app_id, version, tables): (i32, i64, i64) = conn
            .query_row(
                "SELECT (SELECT application_id FROM pragma_application_id()), \
                        (SELECT user_version FROM pragma_user_version()), \
                        (SELECT count(*) FROM sqlite_schema)",
                [],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)),
            )
            .map_err(|e| classify(path, e))?;
        if tables > 0 && app_id != APPLICATION_ID {
            return Err(LedgerError::NotALedger {
                path: path.to_owned(),
            });
        }
        if tables == 0 && !opts.create {
            return Err(LedgerError::EmptyFile {
                path: path.to_owned(),
            });
        }
        let supported = MIGRATIONS.len() as i64;
        if version > supported {
            return Err(LedgerError::NewerSchema {
                path: path.to_owned(),
                found: version,
                supported,
            });
        }
        if opts.quick_check {
            quick_check(&conn, path)?;
        }

        let mode: String = conn
            .query_row("PRAGMA journal_mode = WAL", [], |r| r.get(0))
            .map_err(|e| classify(path, e))?;
        if !mode.eq_ignore_ascii_case("wal") {
            tracing::warn!(path = %path.display(), mode, "could not switch the ledger to WAL mode");
        }
        conn.execute_batch("PRAGMA synchronous = FULL;")
            .map_err(|e| classify(path, e))?;
        migrate(&conn, path)?;
        let ledger_id: String =
            conn.query_row("SELECT value FROM meta WHERE key = 'ledger_id'", [], |r| {
                r.get(0)
            })?;
        Ok(Ledger::assemble(
            Box::new(SqliteStore { conn }),
            path,
            path.to_owned(),
            ledger_id,
            opts,
        ))
    }

    /// Opens (creating, if allowed and empty, or migrating) the ledger in
    /// the PostgreSQL database named by the URL `url`.
    fn open_postgres(url: &Path, opts: &OpenOptions) -> Result<Ledger> {
        let text = url.to_str().unwrap_or_default();
        let store = crate::pg::PgStore::connect(text, opts.busy_timeout)?;
        let ledger_id = store.migrate(opts.create)?;
        let name = PathBuf::from(store.target());
        Ok(Ledger::assemble(
            Box::new(store),
            url,
            name,
            ledger_id,
            opts,
        ))
    }

    fn assemble(
        db: Box<dyn Store>,
        given: &Path,
        path: PathBuf,
        ledger_id: String,
        opts: &OpenOptions,
    ) -> Ledger {
        let checkpoints = CheckpointDir::new(
            opts.checkpoints
                .clone()
                .unwrap_or_else(|| checkpoints::default_dir(&crate::store::local_base(given))),
        );
        Ledger {
            db,
            given: given.to_owned(),
            name: path,
            ledger_id,
            checkpoints,
            tail: RefCell::default(),
            verified: RefCell::default(),
            verify_threads: std::cell::Cell::new(
                std::thread::available_parallelism().map_or(1, |n| n.get().min(8)),
            ),
        }
    }

    /// Which database this ledger is in.
    pub fn backend(&self) -> crate::store::Backend {
        self.db.backend()
    }

    /// Limits the threads [`Ledger::verify`] uses (at least 1).
    pub fn set_verify_threads(&self, n: usize) {
        self.verify_threads.set(n.max(1));
    }

    pub(crate) fn verify_threads(&self) -> usize {
        self.verify_threads.get()
    }

    /// The folder automatic checkpoints are written to.
    pub fn checkpoint_dir(&self) -> &CheckpointDir {
        &self.checkpoints
    }

    pub(crate) fn db(&self) -> &dyn Store {
        self.db.as_ref()
    }

    /// The database: the file, or the PostgreSQL URL, as given to `open`.
    pub fn path(&self) -> &Path {
        &self.given
    }

    /// The database as messages name it (a URL without its password).
    pub fn display_name(&self) -> &Path {
        &self.name
    }

    /// A random id chosen when the ledger was created.
    pub fn ledger_id(&self) -> &str {
        &self.ledger_id
    }

    /// The checkpoint origin line naming this ledger: `baomi.ledger/<id>`.
    pub fn origin(&self) -> String {
        format!("baomi.ledger/{}", self.ledger_id)
    }

    /// The number of entries.
    pub fn len(&self) -> Result<u64> {
        Ok(self.db().query_int("SELECT count(*) FROM entries", &[])? as u64)
    }

    /// True when nothing was recorded yet.
    pub fn is_empty(&self) -> Result<bool> {
        Ok(self.len()? == 0)
    }

    /// Appends one signed entry. `payload` is stored as its RFC 8785
    /// canonical bytes; those exact bytes are signed and hashed.
    pub fn append(
        &self,
        kind: &str,
        doc_sha256: &str,
        payload: serde_json::Value,
        key: &KeyPair,
    ) -> Result<Entry> {
        // Canonicalise before taking the write lock: other writers wait less.
        let prepared = prepare(payload)?;
        let e = self.write(key, |tx, link| {
            insert_prepared(tx, link, kind, doc_sha256, prepared, key)
        })?;
        tracing::debug!(seq = e.seq, kind, "appended");
        Ok(e)
    }

    /// Prepares an entry for a signer outside this process (a reviewer's
    /// browser, whose private key never leaves it): fixes its sequence
    /// number, time and the previous entry's hash, and canonicalises the
    /// payload. The signer signs [`Unsigned::signed_message`]; then
    /// [`append_signed`](Self::append_signed) stores it, if nothing was
    /// appended in between.
    pub fn prepare_unsigned(
        &self,
        kind: &str,
        doc_sha256: &str,
        payload: serde_json::Value,
    ) -> Result<Unsigned> {
        check_names(kind, doc_sha256)?;
        let p = prepare(payload)?;
        let tx = Tx::begin(self.db(), false)?;
        let (last, prev_hash) = checked_tail(tx.db(), &self.name)?;
        drop(tx);
        Ok(Unsigned {
            seq: last + 1,
            kind: kind.to_owned(),
            doc_sha256: doc_sha256.to_owned(),
            recorded_at: entry::now_rfc3339(),
            payload: p.payload,
            payload_bytes: p.bytes,
            prev_hash,
        })
    }

    /// Appends an entry prepared by [`prepare_unsigned`](Self::prepare_unsigned)
    /// and signed elsewhere with `key`. Refused, with nothing written, when
    /// the signature does not verify ([`LedgerError::BadSignature`]) or the
    /// ledger moved on since ([`LedgerError::Moved`]: the signature covers
    /// the sequence number and the previous hash, so it could never verify
    /// in another place). `checkpoint_key` signs the automatic checkpoint
    /// (the server's own key); without one none is written this time.
    pub fn append_signed(
        &self,
        u: &Unsigned,
        key: &PublicKey,
        signature: &[u8; 64],
        checkpoint_key: Option<&KeyPair>,
    ) -> Result<Entry> {
        if !key.verify(&u.signed_message(), signature) {
            return Err(LedgerError::BadSignature {
                key_id: key.key_id().to_owned(),
            });
        }
        let e = self.write_with(checkpoint_key, |tx, link| {
            if link.0 + 1 != u.seq || link.1 != u.prev_hash {
                return Err(LedgerError::Moved {
                    expected: u.seq,
                    now: link.0,
                });
            }
            let mut e = Entry {
                seq: u.seq,
                kind: u.kind.clone(),
                doc_sha256: u.doc_sha256.clone(),
                payload: u.payload.clone(),
                payload_bytes: u.payload_bytes.clone(),
                key_id: key.key_id().to_owned(),
                public_key: key.to_bytes(),
                signature: *signature,
                prev_hash: u.prev_hash,
                hash: [0; 32],
                recorded_at: u.recorded_at.clone(),
            };
            e.hash = e.computed_hash();
            insert_row(tx, &e)?;
            *link = (e.seq, e.hash);
            Ok(e)
        })?;
        tracing::debug!(seq = e.seq, kind = %e.kind, key = %e.key_id, "appended an entry signed elsewhere");
        Ok(e)
    }

    /// Key id → the seq of the (verified) `revocation` entry that revoked
    /// it first (`baomi key revoke`). Entries a key signs after that fail
    /// [`Ledger::verify`].
    pub fn revocations(&self) -> Result<HashMap<String, u64>> {
        let mut out = HashMap::new();
        for e in self.verified_entries_of("", crate::verify::KIND_REVOCATION)? {
            if let Some(k) = e.payload_str("key_id") {
                out.entry(k.to_ascii_lowercase()).or_insert(e.seq);
            }
        }
        Ok(out)
    }

    /// Runs one append transaction: checks the tail it extends (and, the
    /// first time, the ledger against its checkpoints), lets `f` insert
    /// after it, brings the index up to date, commits, and writes a
    /// checkpoint when anything was added.
    fn write<T>(
        &self,
        key: &KeyPair,
        f: impl FnOnce(&dyn Store, &mut (u64, [u8; 32])) -> Result<T>,
    ) -> Result<T> {
        self.write_with(Some(key), f)
    }

    /// [`write`](Self::write), with the checkpoint signed by `key` if any.
    fn write_with<T>(
        &self,
        key: Option<&KeyPair>,
        f: impl FnOnce(&dyn Store, &mut (u64, [u8; 32])) -> Result<T>,
    ) -> Result<T> {
        self.load_tail()?;
        let tx = Tx::begin(self.db(), true)?;
        let mut link = checked_tail(tx.db(), &self.name)?;
        let known = self.tail.borrow().checkpoint_size;
        if link.0 < known {
            return Err(LedgerError::BehindCheckpoint {
                path: self.name.clone(),
                entries: link.0,
                checkpoint: known,
                dir: self.checkpoints.path().to_owned(),
            });
        }
        let before = link.0;
        let out = f(tx.db(), &mut link)?;
        index::catch_up(tx.db())?;
        tx.commit()?;
        if let Some(key) = key.filter(|_| link.0 > before) {
            self.checkpoint_after_append(key);
        }
        Ok(out)
    }

    /// At the first append: builds the Merkle frontier from the stored
    /// hashes and checks the ledger against the newest checkpoint in the
    /// folder, so that nothing is appended to a ledger that was rolled back,
    /// truncated or replaced.
    fn load_tail(&self) -> Result<()> {
        if self.tail.borrow().frontier.is_some() {
            return Ok(());
        }
        std::fs::create_dir_all(self.checkpoints.path())
            .map_err(|e| LedgerError::io(self.checkpoints.path(), e))?;
        let (frontier, size) = self.frontier_against_checkpoints()?;
        *self.tail.borrow_mut() = Tail {
            frontier: Some(frontier),
            checkpoint_size: size,
        };
        Ok(())
    }

    /// The Merkle frontier of all entries, after checking that they extend
    /// the newest checkpoint of the folder (same ledger, no fewer entries,
    /// same root at its size). Returns the frontier and that size.
    fn frontier_against_checkpoints(&self) -> Result<(Frontier, u64)> {
        let newest = self.checkpoints.newest()?;
        let mut frontier = Frontier::default();
        let mut root_at_checkpoint = None;
        for h in self.entry_hashes(None)? {
            frontier.push(&h);
            if newest.as_ref().is_some_and(|c| c.size == frontier.size()) {
                root_at_checkpoint = Some(frontier.root());
            }
        }
        let Some(cp) = newest else {
            return Ok((frontier, 0));
        };
        let refuse = |detail: String| LedgerError::CheckpointMismatch {
            path: self.name.clone(),
            dir: self.checkpoints.path().to_owned(),
            detail,
        };
        if cp.origin != self.origin() {
            return Err(refuse(format!(
                "its checkpoints are of {}, but this database is {} (was the database replaced by another?)",
                cp.origin,
                self.origin()
            )));
        }
        if cp.size > frontier.size() {
            return Err(LedgerError::BehindCheckpoint {
                path: self.name.clone(),
                entries: frontier.size(),
                checkpoint: cp.size,
                dir: self.checkpoints.path().to_owned(),
            });
        }
        if cp.size > 0 && root_at_checkpoint != Some(cp.root) {
            return Err(refuse(format!(
                "its first {} entries no longer hash to the newest checkpoint's root (they were rewritten)",
                cp.size
            )));
        }
        Ok((frontier, cp.size))
    }

    /// The checks an append makes, without appending: the last entry
    /// verifies and the ledger extends its newest checkpoint. Cheap enough
    /// for every command that shows entries (`baomi review list/show`);
    /// [`Ledger::verify`] checks everything.
    pub fn check_tail(&self) -> Result<()> {
        let tx = Tx::begin(self.db(), false)?;
        checked_tail(tx.db(), &self.name)?;
        tx.commit()?;
        self.frontier_against_checkpoints().map(|_| ())
    }

    /// Extends the frontier with the entries appended since (by anyone) and
    /// writes a checkpoint signed by `key`. The entries are committed
    /// already, so a failure here is logged, not returned: `baomi ledger
    /// verify` reports a ledger that is ahead of its newest checkpoint.
    fn checkpoint_after_append(&self, key: &KeyPair) {
        let mut tail = self.tail.borrow_mut();
        let Some(frontier) = tail.frontier.as_mut() else {
            return;
        };
        match self.hashes_after(frontier.size()) {
            Ok(hashes) => hashes.iter().for_each(|h| frontier.push(h)),
            Err(e) => {
                tracing::error!(error = %e, "cannot read the new entries' hashes; no checkpoint written");
                tail.frontier = None;
                return;
            }
        }
        let cp = Checkpoint::sign(self.origin(), frontier.size(), frontier.root(), key);
        match self.checkpoints.write(&cp, unix_now()) {
            Ok(_) => tail.checkpoint_size = cp.size,
            Err(e) => tracing::error!(error = %e, "could not write the automatic checkpoint"),
        }
    }

    /// Signs a checkpoint of the whole ledger with `key` and saves it in the
    /// checkpoint folder too (`baomi ledger head`).
    pub fn write_checkpoint(&self, key: &KeyPair) -> Result<(Checkpoint, PathBuf)> {
        let cp = self.head(key)?;
        let path = self.checkpoints.write(&cp, unix_now())?;
        Ok((cp, path))
    }

    /// Appends several entries in one transaction (one fsync): all or none.
    pub fn append_batch(&self, items: Vec<NewEntry>, key: &KeyPair) -> Result<Vec<Entry>> {
        for it in &items {
            check_names(&it.kind, &it.doc_sha256)?;
        }
        let (heads, payloads): (Vec<_>, Vec<_>) = items
            .into_iter()
            .map(|it| ((it.kind, it.doc_sha256), it.payload))
            .unzip();
        let prepared = prepare_all(payloads)?;
        self.write(key, |tx, link| {
            append_prepared(tx, link, heads, prepared, key)
        })
    }

    /// Records the machine scan of one document as a `scan` entry, exactly
    /// once per (content sha256, rule-set fingerprint): a second call for
    /// the same pair writes nothing and returns the first entry's seq with
    /// `duplicate: true`. A scan of content already scanned under another
    /// rule set records `supersedes: <that seq>` in its payload.
    ///
    /// A report without a sha256 (the file could not be read) is recorded
    /// every time: each failed attempt is part of the record.
    pub fn record_scan(
        &self,
        report: &DocumentReport,
        rules_fingerprint: &str,
        key: &KeyPair,
    ) -> Result<Recorded> {
        self.record_scan_moved(report, rules_fingerprint, None, key)
    }

    /// [`record_scan`](Self::record_scan) for a draft that the recorder
    /// moves to `moved_to` next (recorded in the form's `moved_to`).
    pub fn record_scan_moved(
        &self,
        report: &DocumentReport,
        rules_fingerprint: &str,
        moved_to: Option<&str>,
        key: &KeyPair,
    ) -> Result<Recorded> {
        self.write(key, |tx, link| {
            record_scan_in(
                tx,
                &self.name,
                link,
                report,
                rules_fingerprint,
                moved_to,
                key,
            )
        })
    }

    /// [`record_scan`](Self::record_scan) for many reports in one transaction.
    pub fn record_scans(
        &self,
        reports: &[DocumentReport],
        rules_fingerprint: &str,
        key: &KeyPair,
    ) -> Result<Vec<Recorded>> {
        let items: Vec<_> = reports.iter().map(|r| (r, None)).collect();
        self.record_scans_moved(&items, rules_fingerprint, key)
    }

    /// [`record_scan_moved`](Self::record_scan_moved) for many drafts in one
    /// transaction, all or none, with one commit and one automatic
    /// checkpoint: how the drop-folder daemon records drafts that finish
    /// together (each commit is a few fsyncs, the limit on small files).
    pub fn record_scans_moved(
        &self,
        items: &[(&DocumentReport, Option<&str>)],
        rules_fingerprint: &str,
        key: &KeyPair,
    ) -> Result<Vec<Recorded>> {
        self.write(key, |tx, link| {
            items
                .iter()
                .map(|(r, moved_to)| {
                    record_scan_in(tx, &self.name, link, r, rules_fingerprint, *moved_to, key)
                })
                .collect()
        })
    }

    /// Records a reviewer's decision on a document (`decision` entry).
    /// Verification checks that the key has `decision.role` in the trust file.
    pub fn record_decision(
        &self,
        doc_sha256: &str,
        decision: &Decision,
        key: &KeyPair,
    ) -> Result<Entry> {
        let payload =
            serde_json::to_value(decision).map_err(|e| LedgerError::Payload(e.to_string()))?;
        self.append("decision", doc_sha256, payload, key)
    }

    /// The scan entry for this content and rule set, if recorded.
    pub fn find_scan(&self, sha256: &str, rules_fingerprint: &str) -> Result<Option<Entry>> {
        find_scan_in(self.db(), sha256, Some(rules_fingerprint))
    }

    /// The latest scan entry of this content under any rule set.
    pub fn latest_scan(&self, sha256: &str) -> Result<Option<Entry>> {
        find_scan_in(self.db(), sha256, None)
    }

    /// One entry by sequence number.
    pub fn entry(&self, seq: u64) -> Result<Option<Entry>> {
        let raw = self
            .db()
            .query_row(&format!("{SELECT} WHERE seq = ?1"), &[seq.into()])?
            .map(RawRow::read);
        raw.map(RawRow::into_entry).transpose()
    }

    /// One entry, checked before use: it must hash to its stored hash and
    /// carry a valid signature by the key it names. Whatever shows an entry
    /// to a person reads it this way, so an entry edited in the file is
    /// refused rather than displayed.
    pub fn verified_entry(&self, seq: u64) -> Result<Entry> {
        let mut e = self.verified_entry_unparsed(seq)?;
        e.payload =
            serde_json::from_slice(&e.payload_bytes).map_err(|err| LedgerError::Malformed {
                seq,
                detail: format!("payload is not JSON ({err})"),
            })?;
        Ok(e)
    }

    /// [`verified_entry`](Self::verified_entry) without building
    /// `Entry::payload` (left `Null`; `payload_bytes` hold it): for a
    /// reader that parses the payload into its own type, or has it cached.
    pub fn verified_entry_unparsed(&self, seq: u64) -> Result<Entry> {
        let raw = self
            .db()
            .query_row(&format!("{SELECT} WHERE seq = ?1"), &[seq.into()])?
            .map(RawRow::read);
        let e = raw
            .ok_or_else(|| LedgerError::EntryInvalid {
                path: self.name.clone(),
                seq,
                detail: "it is missing (removed from the ledger)".into(),
            })?
            .parse_with(|_| false)
            .map_err(|detail| LedgerError::Malformed { seq, detail })?;
        self.check_entry(&e)?;
        Ok(e)
    }

    /// The entries of one kind about one document, in order, each checked
    /// with [`check_entry`](Self::check_entry).
    pub fn verified_entries_of(&self, sha256: &str, kind: &str) -> Result<Vec<Entry>> {
        let out = self.query_entries(
            &format!("{SELECT} WHERE doc_sha256 = ?1 AND kind = ?2 ORDER BY seq"),
            &[sha256.into(), kind.into()],
        )?;
        for e in &out {
            self.check_entry(e)?;
        }
        Ok(out)
    }

    /// Checks one entry's hash, key id and signature (not its place in the
    /// chain: that is what [`Ledger::verify`] adds).
    pub fn check_entry(&self, e: &Entry) -> Result<()> {
        let known = self.verified.borrow().get(&e.seq) == Some(&e.hash);
        if known && e.computed_hash() == e.hash {
            return Ok(());
        }
        if let Some(detail) = entry_problem(e) {
            return Err(LedgerError::EntryInvalid {
                path: self.name.clone(),
                seq: e.seq,
                detail,
            });
        }
        let mut cache = self.verified.borrow_mut();
        if cache.len() >= VERIFIED_CACHE {
            cache.clear();
        }
        cache.insert(e.seq, e.hash);
        Ok(())
    }

    /// Every entry in sequence order.
    pub fn entries(&self) -> Result<Vec<Entry>> {
        self.query_entries(&format!("{SELECT} ORDER BY seq"), &[])
    }

    /// Every entry about one document (by content sha256), in order.
    pub fn entries_for_document(&self, sha256: &str) -> Result<Vec<Entry>> {
        self.query_entries(
            &format!("{SELECT} WHERE doc_sha256 = ?1 ORDER BY seq"),
            &[sha256.into()],
        )
    }

    /// Entries with `seq > after`, at most `limit` of them, in order (for
    /// paging through a large ledger).
    pub fn entries_after(&self, after: u64, limit: usize) -> Result<Vec<Entry>> {
        self.query_entries(
            &format!("{SELECT} WHERE seq > ?1 ORDER BY seq LIMIT ?2"),
            &[after.into(), (limit as u64).into()],
        )
    }

    fn query_entries(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Entry>> {
        self.db()
            .query(sql, args)?
            .into_iter()
            .map(|r| RawRow::read(r).into_entry())
            .collect()
    }

    /// Reads raw rows in order (verification reads them this way so that a
    /// malformed row is reported, not an error).
    pub(crate) fn for_each_raw(&self, mut f: impl FnMut(RawRow) -> Result<bool>) -> Result<()> {
        // One read transaction: a consistent snapshot even while others
        // append; read in pages by seq so that memory stays bounded.
        const PAGE: i64 = 2_000;
        let tx = Tx::begin(self.db(), false)?;
        let mut after = i64::MIN;
        'pages: loop {
            let rows = tx.db().query(
                &format!("{SELECT} WHERE seq > ?1 ORDER BY seq LIMIT ?2"),
                &[Arg::Int(after), Arg::Int(PAGE)],
            )?;
            let full = rows.len() as i64 == PAGE;
            for row in rows {
                let raw = RawRow::read(row);
                after = raw.seq;
                if !f(raw)? {
                    break 'pages;
                }
            }
            if !full {
                break;
            }
        }
        tx.commit()?;
        Ok(())
    }

    /// Raw rows after `seq`, in order (incremental verification).
    pub(crate) fn raw_rows_after(&self, seq: u64) -> Result<Vec<RawRow>> {
        Ok(self
            .db()
            .query(
                &format!("{SELECT} WHERE seq > ?1 ORDER BY seq"),
                &[seq.into()],
            )?
            .into_iter()
            .map(RawRow::read)
            .collect())
    }

    /// The hashes of the first `size` entries (all when `None`), in order.
    pub fn entry_hashes(&self, size: Option<u64>) -> Result<Vec<merkle::Hash>> {
        let mut hashes = self.hashes_after(0)?;
        if let Some(n) = size {
            hashes.truncate(n as usize);
        }
        Ok(hashes)
    }

    /// The stored hashes of the entries after `seq`, in order.
    fn hashes_after(&self, seq: u64) -> Result<Vec<merkle::Hash>> {
        let rows = self.db().query(
            "SELECT seq, hash FROM entries WHERE seq > ?1 ORDER BY seq",
            &[seq.into()],
        )?;
        let mut out = Vec::with_capacity(rows.len());
        for r in rows {
            let seq = r[0].int().unwrap_or(0).max(0) as u64;
            let h = r[1]
                .bytes()
                .and_then(crate::unhex::<32>)
                .ok_or(LedgerError::Malformed {
                    seq,
                    detail: "hash is not 64 hex digits".into(),
                })?;
            out.push(h);
        }
        Ok(out)
    }

    /// A checkpoint of the whole ledger (C2SP format), signed by `key`.
    pub fn head(&self, key: &KeyPair) -> Result<Checkpoint> {
        let hashes = self.entry_hashes(None)?;
        Ok(Checkpoint::sign(
            self.origin(),
            hashes.len() as u64,
            merkle::root(&hashes),
            key,
        ))
    }

    /// An RFC 6962 inclusion proof of entry `seq` in the tree of the first
    /// `size` entries (default: all).
    pub fn prove(&self, seq: u64, size: Option<u64>) -> Result<InclusionProof> {
        let hashes = self.entry_hashes(size)?;
        let n = hashes.len() as u64;
        if seq == 0 || seq > n {
            return Err(LedgerError::Format(format!(
                "no entry {seq} in a tree of {n} entries"
            )));
        }
        let index = (seq - 1) as usize;
        // Prove only what verifies: an entry edited in place (stored hash
        // left alone) must not get a proof of its old hash.
        let e = self.verified_entry(seq)?;
        if e.hash != hashes[index] {
            return Err(LedgerError::EntryInvalid {
                path: self.name.clone(),
                seq,
                detail: "its hash changed while the proof was being made".into(),
            });
        }
        let path = merkle::inclusion_proof(&hashes, index).unwrap_or_default();
        Ok(InclusionProof {
            origin: self.origin(),
            seq,
            tree_size: n,
            entry_hash: hashes[index],
            path,
            root: merkle::root(&hashes),
        })
    }

    /// Runs SQLite's `PRAGMA quick_check` again (it already ran on open).
    /// A PostgreSQL server checks its own pages: nothing to do there.
    pub fn quick_check(&self) -> Result<()> {
        match self.db.sqlite() {
            Some(conn) => quick_check(conn, &self.name),
            None => Ok(()),
        }
    }
}

fn quick_check(conn: &Connection, path: &Path) -> Result<()> {
    let mut st = conn
        .prepare("PRAGMA quick_check")
        .map_err(|e| classify(path, e))?;
    let rows: Vec<String> = st
        .query_map([], |r| r.get::<_, String>(0))
        .and_then(|it| it.collect())
        .map_err(|e| classify(path, e))?;
    if rows.len() == 1 && rows[0] == "ok" {
        return Ok(());
    }
    Err(LedgerError::Corrupt {
        path: path.to_owned(),
        detail: rows.into_iter().take(3).collect::<Vec<_>>().join("; "),
    })
}

fn migrate(conn: &Connection, path: &Path) -> Result<()> {
    let tx = Transaction::new_unchecked(conn, TransactionBehavior::Immediate)
        .map_err(|e| classify(path, e))?;
    // Re-read inside the write lock: another process may have migrated.
    let version: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if version as usize >= MIGRATIONS.len() {
        return Ok(());
    }
    for (i, sql) in MIGRATIONS.iter().enumerate().skip(version as usize) {
        tx.execute_batch(sql)?;
        if i == 0 {
            let mut id = [0u8; 8];
            getrandom::getrandom(&mut id).map_err(|e| LedgerError::Random(e.to_string()))?;
            tx.execute(
                "INSERT INTO meta (key, value) VALUES ('ledger_id', ?1)",
                [crate::hex(&id)],
            )?;
        }
        tracing::info!(path = %path.display(), version = i + 1, "migrated ledger schema");
    }
    tx.execute_batch(&format!(
        "PRAGMA application_id = {APPLICATION_ID}; PRAGMA user_version = {};",
        MIGRATIONS.len()
    ))?;
    tx.commit()?;
    Ok(())
}

const SELECT: &str =
    "SELECT seq, kind, doc_sha256, payload, key_id, public_key, signature, prev_hash, hash, recorded_at FROM entries";

/// A row as stored, before any parsing: verification must be able to look
/// at rows that were tampered into nonsense.
pub(crate) struct RawRow {
    pub seq: i64,
    pub cols: [Option<Vec<u8>>; 9],
}

impl RawRow {
    /// A row of [`SELECT`]. A seq that is not an integer (only possible
    /// after tampering) reads as 0, which `parse` reports.
    pub(crate) fn read(row: Row) -> RawRow {
        let mut it = row.into_iter();
        let seq = it.next().and_then(|v| v.int()).unwrap_or(0);
        let mut cols: [Option<Vec<u8>>; 9] = Default::default();
        for (c, v) in cols.iter_mut().zip(it) {
            *c = v.into_bytes();
        }
        RawRow { seq, cols }
    }

    /// Parses the row; the error names the malformed column.
    pub(crate) fn parse(self) -> Result<Entry, String> {
        self.parse_with(|_| true)
    }

    /// Parses the row, building `Entry::payload` only when `full_payload(kind)`
    /// says it is needed (otherwise the payload is only checked to be JSON
    /// and left `Null`): verification reads every entry and needs the
    /// parsed payload only for decisions.
    pub(crate) fn parse_with(self, full_payload: impl Fn(&str) -> bool) -> Result<Entry, String> {
        const NAMES: [&str; 9] = [
            "kind",
            "doc_sha256",
            "payload",
            "key_id",
            "public_key",
            "signature",
            "prev_hash",
            "hash",
            "recorded_at",
        ];
        if self.seq < 1 {
            return Err(format!("sequence number {} is not positive", self.seq));
        }
        let [kind, doc, payload, key_id, pk, sig, prev, hash, at] = self.cols;
        let text = |v: Option<Vec<u8>>, i: usize| -> Result<String, String> {
            v.and_then(|b| String::from_utf8(b).ok())
                .ok_or_else(|| format!("{} is not text", NAMES[i]))
        };
        let payload_bytes = payload.ok_or("payload is not text")?;
        let kind = text(kind, 0)?;
        let not_json = |e: serde_json::Error| format!("payload is not JSON ({e})");
        let payload = if full_payload(&kind) {
            serde_json::from_slice(&payload_bytes).map_err(not_json)?
        } else {
            serde_json::from_slice::<serde::de::IgnoredAny>(&payload_bytes).map_err(not_json)?;
            serde_json::Value::Null
        };
        Ok(Entry {
            seq: self.seq as u64,
            kind,
            doc_sha256: text(doc, 1)?,
            payload,
            payload_bytes,
            key_id: text(key_id, 3)?,
            public_key: pk
                .and_then(|b| crate::unhex(&b))
                .ok_or("public_key is not 64 hex digits")?,
            signature: sig
                .and_then(|b| crate::unhex(&b))
                .ok_or("signature is not 128 hex digits")?,
            prev_hash: prev
                .and_then(|b| crate::unhex(&b))
                .ok_or("prev_hash is not 64 hex digits")?,
            hash: hash
                .and_then(|b| crate::unhex(&b))
                .ok_or("hash is not 64 hex digits")?,
            recorded_at: text(at, 8)?,
        })
    }

    fn into_entry(self) -> Result<Entry> {
        let seq = self.seq.max(0) as u64;
        self.parse()
            .map_err(|detail| LedgerError::Malformed { seq, detail })
    }
}

/// An entry prepared for a signer outside this process
/// ([`Ledger::prepare_unsigned`]): everything but the signer's key and
/// signature, fixed.
#[derive(Debug, Clone, PartialEq)]
pub struct Unsigned {
    pub seq: u64,
    pub kind: String,
    pub doc_sha256: String,
    pub recorded_at: String,
    pub payload: serde_json::Value,
    /// The RFC 8785 canonical bytes that are signed and stored.
    pub payload_bytes: Vec<u8>,
    pub prev_hash: [u8; 32],
}

impl Unsigned {
    /// The bytes to sign (see [`crate::entry`]).
    pub fn signed_message(&self) -> Vec<u8> {
        entry::signed_message(
            self.seq,
            &self.kind,
            &self.doc_sha256,
            &self.recorded_at,
            &self.payload_bytes,
            &self.prev_hash,
        )
    }
}

/// Inserts prepared payloads after `link` (one batch, one transaction).
fn append_prepared(
    tx: &dyn Store,
    link: &mut (u64, [u8; 32]),
    heads: Vec<(String, String)>,
    prepared: Vec<Prepared>,
    key: &KeyPair,
) -> Result<Vec<Entry>> {
    let mut out = Vec::with_capacity(prepared.len());
    if prepared.len() < 64 || std::thread::available_parallelism().map_or(1, |n| n.get()) < 2 {
        for ((kind, doc), p) in heads.into_iter().zip(prepared) {
            out.push(insert_prepared(tx, link, &kind, &doc, p, key)?);
        }
        return Ok(out);
    }
    // Signing is sequential (each signature covers the previous entry's
    // hash), but SQLite's insert of entry n can run while entry n+1 is
    // being signed: a sealing thread feeds this one.
    let (send, recv) = std::sync::mpsc::sync_channel::<Entry>(256);
    let start = *link;
    std::thread::scope(|s| -> Result<()> {
        s.spawn(move || {
            let mut link = start;
            for ((kind, doc), p) in heads.into_iter().zip(prepared) {
                let e = seal_after(&link, &kind, &doc, p, key);
                link = (e.seq, e.hash);
                if send.send(e).is_err() {
                    break; // the inserting side failed and hung up
                }
            }
        });
        for e in recv {
            insert_row(tx, &e)?;
            *link = (e.seq, e.hash);
            out.push(e);
        }
        Ok(())
    })?;
    Ok(out)
}

/// Seconds since 1970, for checkpoint file names.
fn unix_now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

/// What is wrong with an entry on its own (hash, key id, signature).
fn entry_problem(e: &Entry) -> Option<String> {
    if e.computed_hash() != e.hash {
        return Some(
            "its contents do not match its stored hash (it was changed after it was recorded)"
                .into(),
        );
    }
    let Some(key) = PublicKey::from_bytes(&e.public_key) else {
        return Some("its public key is not a valid Ed25519 key".into());
    };
    if key.key_id() != e.key_id {
        return Some(format!(
            "its key id {} is not the id of its public key ({})",
            e.key_id,
            key.key_id()
        ));
    }
    if !key.verify(&e.signed_message(), &e.signature) {
        return Some(format!("its signature by key {} does not verify", e.key_id));
    }
    None
}

/// The last entry, checked before anything is appended after it: it must
/// parse, hash to its stored hash, carry a valid signature by the key it
/// names, and be numbered as the count of entries (none removed). A tail
/// that fails is never extended: the new entry would sign a broken chain.
fn checked_tail(tx: &dyn Store, path: &Path) -> Result<(u64, [u8; 32])> {
    let raw = tx
        .query_row(&format!("{SELECT} ORDER BY seq DESC LIMIT 1"), &[])?
        .map(RawRow::read);
    let Some(raw) = raw else {
        return Ok((0, GENESIS_PREV_HASH));
    };
    let seq = raw.seq.max(0) as u64;
    let bad = |detail: String| LedgerError::TailInvalid {
        path: path.to_owned(),
        seq,
        detail,
    };
    let e = raw.parse().map_err(&bad)?;
    if let Some(detail) = entry_problem(&e) {
        return Err(bad(detail));
    }
    // Entries removed before it show as a broken link to the one before.
    if seq > 1 {
        let before: Option<Vec<u8>> = tx
            .query_row(
                "SELECT hash FROM entries WHERE seq = ?1",
                &[Arg::Int(seq as i64 - 1)],
            )?
            .and_then(|r| r.into_iter().next())
            .and_then(Value::into_bytes);
        let linked = before
            .and_then(|b| crate::unhex::<32>(&b))
            .is_some_and(|h| h == e.prev_hash);
        if !linked {
            return Err(bad(format!(
                "entry {} before it is missing or does not hash to its prev_hash: entries were removed or changed",
                seq - 1
            )));
        }
    } else if e.prev_hash != GENESIS_PREV_HASH {
        return Err(bad("it is numbered 1 but does not start the chain".into()));
    }
    Ok((seq, e.hash))
}

/// Kinds are short lower-case words (`scan`, `decision`, `waiver`, `note`,
/// …); a document is named by its lower-case hex SHA-256, or not at all ("").
fn check_names(kind: &str, doc_sha256: &str) -> Result<()> {
    if kind.is_empty()
        || kind.len() > 32
        || !kind
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
    {
        return Err(LedgerError::InvalidEntry(format!(
            "kind `{kind}` must be 1-32 characters of a-z, 0-9 and -"
        )));
    }
    if !doc_sha256.is_empty()
        && (doc_sha256.len() != 64
            || !doc_sha256
                .bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b)))
    {
        return Err(LedgerError::InvalidEntry(format!(
            "document hash `{doc_sha256}` must be 64 lower-case hex digits (or empty)"
        )));
    }
    Ok(())
}

/// A payload in its stored form, computed before the write lock is taken.
struct Prepared {
    payload: serde_json::Value,
    bytes: Vec<u8>,
}

fn prepare(payload: serde_json::Value) -> Result<Prepared> {
    let bytes = entry::canonical_bytes(&payload)?;
    // The payload is canonical JSON, hence valid UTF-8: it is stored as TEXT
    // so that SQLite's json functions and the sqlite3 shell can read it.
    std::str::from_utf8(&bytes).map_err(|err| LedgerError::Payload(err.to_string()))?;
    // `Entry::payload` must equal what a later reader parses from the stored
    // bytes. Canonicalisation changes only number formatting (and key order,
    // which `Value` equality ignores), so re-parse only when there are
    // numbers it may change: non-integers and integers beyond 2^53.
    let payload = if reformats_numbers(&payload) {
        serde_json::from_slice(&bytes).map_err(|e| LedgerError::Payload(e.to_string()))?
    } else {
        payload
    };
    Ok(Prepared { payload, bytes })
}

fn reformats_numbers(v: &serde_json::Value) -> bool {
    const EXACT: u64 = 1 << 53;
    match v {
        serde_json::Value::Number(n) => match (n.as_u64(), n.as_i64()) {
            (Some(u), _) => u > EXACT,
            (None, Some(i)) => i.unsigned_abs() > EXACT,
            _ => true,
        },
        serde_json::Value::Array(a) => a.iter().any(reformats_numbers),
        serde_json::Value::Object(o) => o.values().any(reformats_numbers),
        _ => false,
    }
}

/// Prepares many payloads on all cores (canonicalisation costs about as
/// much as signing).
fn prepare_all(payloads: Vec<serde_json::Value>) -> Result<Vec<Prepared>> {
    let threads = std::thread::available_parallelism().map_or(1, |n| n.get());
    if threads == 1 || payloads.len() < 256 {
        return payloads.into_iter().map(prepare).collect();
    }
    let per = payloads.len().div_ceil(threads);
    let mut parts: Vec<Vec<serde_json::Value>> = Vec::new();
    let mut rest = payloads.into_iter().peekable();
    while rest.peek().is_some() {
        parts.push(rest.by_ref().take(per).collect());
    }
    std::thread::scope(|s| {
        let handles: Vec<_> = parts
            .into_iter()
            .map(|part| s.spawn(move || part.into_iter().map(prepare).collect::<Result<Vec<_>>>()))
            .collect();
        let mut out = Vec::new();
        for h in handles {
            let part = h
                .join()
                .map_err(|_| LedgerError::Payload("canonicalisation thread panicked".into()))??;
            out.extend(part);
        }
        Ok(out)
    })
}

/// Seals a prepared entry after `link` (last seq and hash), inserts it and
/// moves `link` on to it.
fn insert_prepared(
    tx: &dyn Store,
    link: &mut (u64, [u8; 32]),
    kind: &str,
    doc_sha256: &str,
    p: Prepared,
    key: &KeyPair,
) -> Result<Entry> {
    check_names(kind, doc_sha256)?;
    let e = seal_after(link, kind, doc_sha256, p, key);
    insert_row(tx, &e)?;
    *link = (e.seq, e.hash);
    Ok(e)
}

/// Signs and hashes the entry that follows `link` (last seq and hash).
fn seal_after(
    link: &(u64, [u8; 32]),
    kind: &str,
    doc_sha256: &str,
    p: Prepared,
    key: &KeyPair,
) -> Entry {
    entry::seal(
        link.0 + 1,
        kind,
        doc_sha256,
        entry::now_rfc3339(),
        p.payload,
        p.bytes,
        link.1,
        key,
    )
}

pub(crate) fn insert_row(tx: &dyn Store, e: &Entry) -> Result<()> {
    // Canonical JSON is valid UTF-8 (checked in `prepare`): stored as TEXT.
    let payload_text = std::str::from_utf8(&e.payload_bytes).unwrap_or_default();
    let (pk, sig, prev, hash) = (
        crate::hex(&e.public_key),
        crate::hex(&e.signature),
        crate::hex(&e.prev_hash),
        crate::hex(&e.hash),
    );
    tx.execute(
        "INSERT INTO entries (seq, kind, doc_sha256, payload, key_id, public_key, signature, prev_hash, hash, recorded_at)
         VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        &[
            e.seq.into(),
            Arg::Text(&e.kind),
            Arg::Text(&e.doc_sha256),
            Arg::Text(payload_text),
            Arg::Text(&e.key_id),
            Arg::Text(&pk),
            Arg::Text(&sig),
            Arg::Text(&prev),
            Arg::Text(&hash),
            Arg::Text(&e.recorded_at),
        ],
    )?;
    Ok(())
}

/// The newest scan of `sha256` (under the rule set `fingerprint`, if
/// given). The rule set is matched here rather than in SQL, so that the
/// same statement runs on every backend; a document has few scans. A
/// payload that is not JSON is not a match (verification reports it).
fn find_scan_in(
    conn: &dyn Store,
    sha256: &str,
    fingerprint: Option<&str>,
) -> Result<Option<Entry>> {
    #[derive(serde::Deserialize)]
    struct Head {
        #[serde(default)]
        rules_fingerprint: Option<String>,
    }
    let rows = conn.query(
        &format!("{SELECT} WHERE doc_sha256 = ?1 AND kind = 'scan' ORDER BY seq DESC"),
        &[sha256.into()],
    )?;
    for row in rows {
        let raw = RawRow::read(row);
        let matches = match fingerprint {
            None => true,
            Some(fp) => raw.cols[2]
                .as_deref()
                .and_then(|p| serde_json::from_slice::<Head>(p).ok())
                .is_some_and(|h| h.rules_fingerprint.as_deref() == Some(fp)),
        };
        if matches {
            return raw.into_entry().map(Some);
        }
    }
    Ok(None)
}

fn record_scan_in(
    tx: &dyn Store,
    path: &Path,
    link: &mut (u64, [u8; 32]),
    report: &DocumentReport,
    fingerprint: &str,
    moved_to: Option<&str>,
    key: &KeyPair,
) -> Result<Recorded> {
    let mut supersedes = None;
    if !report.sha256.is_empty() {
        if let Some(e) = find_scan_in(tx, &report.sha256, Some(fingerprint))? {
            // The earlier record counts only if it is sound.
            if let Some(detail) = entry_problem(&e) {
                return Err(LedgerError::EntryInvalid {
                    path: path.to_owned(),
                    seq: e.seq,
                    detail: format!("{detail}; it is the earlier record of this scan"),
                });
            }
            return Ok(Recorded {
                seq: e.seq,
                duplicate: true,
                supersedes: None,
            });
        }
        supersedes = find_scan_in(tx, &report.sha256, None)?.map(|e| e.seq);
    }
    let mut form = ScanForm::from_report(report, fingerprint);
    form.signer = key.key_id().to_owned();
    form.time = entry::now_rfc3339();
    form.supersedes = supersedes;
    form.moved_to = moved_to.map(str::to_owned);
    let payload = serde_json::to_value(&form).map_err(|e| LedgerError::Payload(e.to_string()))?;
    let e = insert_prepared(tx, link, "scan", &report.sha256, prepare(payload)?, key)?;
    Ok(Recorded {
        seq: e.seq,
        duplicate: false,
        supersedes,
    })
}

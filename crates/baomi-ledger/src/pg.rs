//! The PostgreSQL store: the same ledger — entries, append-only rule,
//! derived index — in a PostgreSQL database (or one that speaks its
//! protocol), so that daemons and review servers on several machines write
//! one chain.
//!
//! * One total order: every append runs in one transaction that first takes
//!   `pg_advisory_xact_lock(HEAD_LOCK)`, then reads the head, checks it,
//!   inserts after it and brings the index up to date; the lock is released
//!   at commit or rollback (or when the connection dies). `seq` is the
//!   primary key, so even a writer that skipped the lock could not fork the
//!   chain: its insert would fail.
//! * Idempotence per (sha256, rule set) across machines: the lookup for an
//!   earlier scan runs inside that locked transaction, which (READ
//!   COMMITTED) sees every append committed before the lock was granted.
//! * Append-only in the database: triggers reject `UPDATE`, `DELETE` and
//!   `TRUNCATE` on `entries` (the signatures and hash chain catch anything
//!   done around them, e.g. by a superuser who disables the triggers).
//! * Timeouts: `connect_timeout` (default 10 s) when none is in the URL,
//!   `statement_timeout` (the busy timeout, default 60 s: also bounds the
//!   wait for the head lock) and `idle_in_transaction_session_timeout`, so
//!   that a hung writer cannot hold the head forever.
//! * Durable commits whatever the server's default: each session sets
//!   `synchronous_commit = on` (an append acknowledged and then lost in a
//!   crash would show as a rolled-back ledger against the checkpoints).
//! * A connection that drops is replaced at the next transaction; one that
//!   drops inside a transaction fails that transaction (nothing of it is
//!   written) and the caller retries.
//!
//! No TLS in this build: reach the server over a Unix socket, the local
//! host, or a protected network (`sslmode=require` is refused with that
//! advice).

use crate::error::{LedgerError, Result};
use crate::store::{Arg, Backend, Row, Store, Value};
use postgres::types::{ToSql, Type};
use postgres::{Client, Config, NoTls, Statement};
use std::cell::{Cell, RefCell};
use std::collections::HashMap;
use std::str::FromStr;
use std::time::Duration;

/// The advisory lock on the chain's head ("baom" + 1): every writer of a
/// ledger in this database takes it for its whole transaction.
const HEAD_LOCK: i64 = 0x6261_6f6d_0000_0001;

/// The schema, one step per version (`meta.schema_version`), in step with
/// SQLite's `MIGRATIONS` (same tables and columns; integers are `BIGINT`,
/// and text that is compared or ordered uses the `C` collation so that
/// order does not depend on the server's locale).
const MIGRATIONS: &[&str] = &[
    "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
     CREATE TABLE entries (
        seq         BIGINT PRIMARY KEY,
        kind        TEXT COLLATE \"C\" NOT NULL,
        doc_sha256  TEXT COLLATE \"C\" NOT NULL,
        payload     TEXT NOT NULL,
        key_id      TEXT COLLATE \"C\" NOT NULL,
        public_key  TEXT NOT NULL,
        signature   TEXT NOT NULL,
        prev_hash   TEXT NOT NULL,
        hash        TEXT NOT NULL,
        recorded_at TEXT NOT NULL
     );
     CREATE INDEX entries_by_document ON entries (doc_sha256, kind, seq);
     CREATE FUNCTION baomi_entries_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN RAISE EXCEPTION 'baomi ledger entries are append-only; record a correction as a new entry'; END $$;
     CREATE TRIGGER entries_append_only BEFORE UPDATE OR DELETE ON entries
        FOR EACH ROW EXECUTE FUNCTION baomi_entries_append_only();
     CREATE TRIGGER entries_no_truncate BEFORE TRUNCATE ON entries
        FOR EACH STATEMENT EXECUTE FUNCTION baomi_entries_append_only();",
    "CREATE TABLE index_state (id BIGINT PRIMARY KEY CHECK (id = 1), last_seq BIGINT NOT NULL);
    INSERT INTO index_state (id, last_seq) VALUES (1, 0);
    CREATE TABLE index_documents (
        sha256        TEXT COLLATE \"C\" PRIMARY KEY,
        scan_seq      BIGINT NOT NULL,
        path          TEXT COLLATE \"C\" NOT NULL,
        location      TEXT NOT NULL,
        verdict       TEXT NOT NULL,
        findings      BIGINT NOT NULL,
        block         BIGINT NOT NULL,
        decisions     BIGINT NOT NULL,
        waivers       BIGINT NOT NULL,
        last_seq      BIGINT NOT NULL,
        review_ctx    TEXT,
        status        TEXT,
        waiting_for   TEXT,
        open_findings BIGINT,
        open_block    BIGINT
    );
    CREATE INDEX index_documents_by_scan ON index_documents (scan_seq);
    CREATE INDEX index_documents_by_path ON index_documents (path, scan_seq);
    CREATE INDEX index_documents_by_status ON index_documents (status, scan_seq);
    CREATE INDEX index_documents_by_stage ON index_documents (waiting_for, scan_seq);
    CREATE INDEX index_documents_by_verdict ON index_documents (verdict, scan_seq);
    CREATE TABLE index_paths (path TEXT COLLATE \"C\" PRIMARY KEY, scan_seq BIGINT NOT NULL, sha256 TEXT COLLATE \"C\" NOT NULL);
    CREATE TABLE index_waivers (seq BIGINT PRIMARY KEY, sha256 TEXT COLLATE \"C\" NOT NULL, path TEXT COLLATE \"C\");
    CREATE INDEX index_waivers_by_document ON index_waivers (sha256);
    CREATE INDEX index_waivers_by_path ON index_waivers (path);",
];

/// `meta.application` of a baomi ledger: another program's tables are
/// never mistaken for one.
const APPLICATION: &str = "baomi-ledger";

/// `url` without its password (for messages and logs).
pub fn redact(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let end = rest.find(['/', '?']).unwrap_or(rest.len());
    let (authority, tail) = rest.split_at(end);
    let authority = match authority.rsplit_once('@') {
        Some((user, host)) => format!("{}@{host}", user.split(':').next().unwrap_or("")),
        None => authority.to_owned(),
    };
    let tail: String = match tail.split_once('?') {
        Some((path, query)) => {
            let kept: Vec<&str> = query
                .split('&')
                .filter(|kv| !kv.to_ascii_lowercase().starts_with("password="))
                .collect();
            if kept.is_empty() {
                path.to_owned()
            } else {
                format!("{path}?{}", kept.join("&"))
            }
        }
        None => tail.to_owned(),
    };
    format!("{scheme}://{authority}{tail}")
}

/// One connection, replaced when it drops; lives on [`PgStore`]'s thread.
struct Conn {
    config: Config,
    /// The URL without password, for messages.
    target: String,
    /// `host:port` tried first, for the `pg_isready` hint.
    hostport: (String, u16),
    client: RefCell<Option<Client>>,
    statements: RefCell<HashMap<String, Statement>>,
    in_tx: Cell<bool>,
    /// The connection died inside the transaction: every statement until
    /// the rollback fails (none may run on a new connection, outside it).
    broken: Cell<bool>,
    timeout: Duration,
}

impl std::fmt::Debug for Conn {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Conn")
            .field("target", &self.target)
            .finish()
    }
}

/// Is this error the connection's end (server down, restarted, the
/// connection killed), rather than something the statement did?
fn is_connection_error(e: &postgres::Error) -> bool {
    if e.is_closed() {
        return true;
    }
    match e.code() {
        Some(c) => {
            let c = c.code();
            // 08: connection exception; 57P01-03: admin shutdown, crash
            // shutdown, cannot connect now (starting up / shutting down).
            c.starts_with("08") || c.starts_with("57P")
        }
        None => e.as_db_error().is_none(),
    }
}

impl Conn {
    /// Connects (the first connection is made here, so that a wrong URL or
    /// a server that is down is reported by `open`).
    fn connect(url: &str, timeout: Duration) -> Result<Conn> {
        let target = redact(url);
        let mut config = Config::from_str(url).map_err(|e| LedgerError::Database {
            target: target.clone(),
            detail: format!("this is not a valid PostgreSQL connection URL ({e}); write it as postgres://USER@HOST:PORT/DATABASE"),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(Duration::from_secs(10));
        }
        if config.get_password().is_none() {
            if let Some(pw) = std::env::var_os("PGPASSWORD").filter(|p| !p.is_empty()) {
                config.password(pw.as_encoded_bytes());
            }
        }
        if config.get_user().is_none() {
            if let Ok(u) = std::env::var("PGUSER").or_else(|_| std::env::var("USER")) {
                config.user(&u);
            }
        }
        config.keepalives(true);
        config.keepalives_idle(Duration::from_secs(30));
        config.application_name("baomi");
        let host = match config.get_hosts().first() {
            Some(postgres::config::Host::Tcp(h)) => h.clone(),
            Some(postgres::config::Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let store = Conn {
            config,
            target,
            hostport: (host, port),
            client: RefCell::new(None),
            statements: RefCell::default(),
            in_tx: Cell::new(false),
            broken: Cell::new(false),
            timeout,
        };
        store.ensure_client()?;
        Ok(store)
    }

    fn unreachable(&self, e: &postgres::Error) -> LedgerError {
        let mut detail = e.to_string();
        if let Some(src) = std::error::Error::source(e) {
            let s = src.to_string();
            if !detail.contains(&s) {
                detail = format!("{detail}: {s}");
            }
        }
        if detail.contains("TLS") || detail.contains("tls") {
            detail.push_str(
                " (this baomi speaks to PostgreSQL without TLS: connect over a Unix socket, \
                 the local host or a protected network, with sslmode=disable or prefer)",
            );
        }
        LedgerError::Unreachable {
            target: self.target.clone(),
            host: self.hostport.0.clone(),
            port: self.hostport.1,
            detail,
        }
    }

    fn error(&self, e: postgres::Error) -> LedgerError {
        if is_connection_error(&e) {
            // The connection is gone: a new one at the next use.
            self.drop_client();
            return self.unreachable(&e);
        }
        let detail = match e.as_db_error() {
            Some(db) => {
                let mut s = format!("{} (SQLSTATE {})", db.message(), db.code().code());
                if let Some(d) = db.detail() {
                    s.push_str(&format!("; {d}"));
                }
                if db.code().code() == "57014" {
                    s.push_str(&format!(
                        "; a statement (or the wait for another writer) took longer than the {} s timeout",
                        self.timeout.as_secs()
                    ));
                }
                s
            }
            None => e.to_string(),
        };
        LedgerError::Database {
            target: self.target.clone(),
            detail,
        }
    }

    fn drop_client(&self) {
        *self.client.borrow_mut() = None;
        self.statements.borrow_mut().clear();
        if self.in_tx.get() {
            self.broken.set(true);
        }
    }

    fn lost_in_transaction(&self) -> LedgerError {
        LedgerError::Unreachable {
            target: self.target.clone(),
            host: self.hostport.0.clone(),
            port: self.hostport.1,
            detail: "the connection was lost inside a transaction, which the server rolled back"
                .into(),
        }
    }

    /// A live connection: the one we have, or a new one (never inside a
    /// transaction: a transaction dies with its connection).
    fn ensure_client(&self) -> Result<()> {
        if self.broken.get() {
            return Err(self.lost_in_transaction());
        }
        let closed = self.client.borrow().as_ref().is_none_or(Client::is_closed);
        if !closed {
            return Ok(());
        }
        self.drop_client();
        if self.in_tx.get() {
            return Err(self.lost_in_transaction());
        }
        let mut client = self
            .config
            .connect(NoTls)
            .map_err(|e| self.unreachable(&e))?;
        let ms = self.timeout.as_millis().max(1);
        client
            .batch_execute(&format!(
                "SET statement_timeout = {ms}; SET idle_in_transaction_session_timeout = {}; \
                 SET client_min_messages = warning; SET synchronous_commit = on",
                ms * 2
            ))
            .map_err(|e| self.error(e))?;
        *self.client.borrow_mut() = Some(client);
        Ok(())
    }

    fn statement(&self, sql: &str) -> Result<Statement> {
        if let Some(st) = self.statements.borrow().get(sql) {
            return Ok(st.clone());
        }
        let text = placeholders(sql);
        let st = {
            let mut c = self.client.borrow_mut();
            let client = c.as_mut().ok_or_else(|| self.lost())?;
            client.prepare(&text)
        };
        let st = st.map_err(|e| self.error(e))?;
        self.statements
            .borrow_mut()
            .insert(sql.to_owned(), st.clone());
        Ok(st)
    }

    fn lost(&self) -> LedgerError {
        LedgerError::Database {
            target: self.target.clone(),
            detail: "no connection".into(),
        }
    }

    /// Runs `f` on a live connection; outside a transaction, once more on
    /// a new connection when the old one turned out to be dead (inside one,
    /// never: the rest of the transaction would run outside it).
    fn with_retry<T>(&self, f: impl Fn(&Self) -> Result<T>) -> Result<T> {
        self.ensure_client()?;
        let in_tx = self.in_tx.get();
        match f(self) {
            Err(LedgerError::Unreachable { .. }) if !in_tx => {
                tracing::info!(target = %self.target, "PostgreSQL connection lost; reconnecting");
                self.ensure_client()?;
                f(self)
            }
            other => other,
        }
    }

    fn run_query(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        let st = self.statement(sql)?;
        let params = self.params(&st, args)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|b| b.as_ref()).collect();
        let rows = {
            let mut c = self.client.borrow_mut();
            let client = c.as_mut().ok_or_else(|| self.lost())?;
            client.query(&st, &refs)
        };
        let rows = rows.map_err(|e| self.error(e))?;
        rows.iter().map(|r| self.row(r)).collect()
    }

    fn params(&self, st: &Statement, args: &[Arg<'_>]) -> Result<Vec<Box<dyn ToSql + Sync>>> {
        let types = st.params();
        if types.len() != args.len() {
            return Err(LedgerError::Database {
                target: self.target.clone(),
                detail: format!(
                    "statement takes {} parameters, {} given",
                    types.len(),
                    args.len()
                ),
            });
        }
        let mut out: Vec<Box<dyn ToSql + Sync>> = Vec::with_capacity(args.len());
        for (a, ty) in args.iter().zip(types) {
            let int = *ty == Type::INT8 || *ty == Type::INT4 || *ty == Type::INT2;
            out.push(match *a {
                Arg::Null if *ty == Type::INT8 => Box::new(None::<i64>),
                Arg::Null if *ty == Type::INT4 => Box::new(None::<i32>),
                Arg::Null if *ty == Type::BOOL => Box::new(None::<bool>),
                Arg::Null => Box::new(None::<String>),
                Arg::Int(n) if *ty == Type::INT8 => Box::new(n),
                Arg::Int(n) if *ty == Type::INT4 => Box::new(n as i32),
                Arg::Int(n) if *ty == Type::INT2 => Box::new(n as i16),
                Arg::Int(n) if *ty == Type::BOOL => Box::new(n != 0),
                Arg::Int(n) => Box::new(n.to_string()),
                Arg::Text(s) if int => Box::new(s.parse::<i64>().map_err(|_| {
                    self.wrong(format!("text `{s}` given for an integer parameter"))
                })?),
                Arg::Text(s) => Box::new(s.to_owned()),
            });
        }
        Ok(out)
    }

    fn wrong(&self, detail: String) -> LedgerError {
        LedgerError::Database {
            target: self.target.clone(),
            detail,
        }
    }

    fn row(&self, r: &postgres::Row) -> Result<Row> {
        let mut out = Vec::with_capacity(r.len());
        for (i, col) in r.columns().iter().enumerate() {
            let ty = col.type_();
            let v = if *ty == Type::INT8 {
                r.try_get::<_, Option<i64>>(i).map(|v| v.map(Value::Int))
            } else if *ty == Type::INT4 {
                r.try_get::<_, Option<i32>>(i)
                    .map(|v| v.map(|n| Value::Int(n.into())))
            } else if *ty == Type::INT2 {
                r.try_get::<_, Option<i16>>(i)
                    .map(|v| v.map(|n| Value::Int(n.into())))
            } else if *ty == Type::BOOL {
                r.try_get::<_, Option<bool>>(i)
                    .map(|v| v.map(|b| Value::Int(b.into())))
            } else if *ty == Type::FLOAT8 {
                r.try_get::<_, Option<f64>>(i).map(|v| v.map(Value::Real))
            } else {
                r.try_get::<_, Option<String>>(i)
                    .map(|v| v.map(|s| Value::Text(s.into_bytes())))
            };
            out.push(
                v.map_err(|e| self.wrong(format!("column {}: {e}", col.name())))?
                    .unwrap_or(Value::Null),
            );
        }
        Ok(out)
    }

    fn simple(&self, sql: &str) -> Result<()> {
        let r = {
            let mut c = self.client.borrow_mut();
            let client = c.as_mut().ok_or_else(|| self.lost())?;
            client.batch_execute(sql)
        };
        r.map_err(|e| self.error(e))
    }

    /// Creates or migrates the schema (under the head lock, so that
    /// processes opening a new database at once do it once) and returns
    /// the ledger id.
    pub fn migrate(&self, create: bool) -> Result<String> {
        self.begin(true)?;
        let r = self.migrate_locked(create);
        match &r {
            Ok(_) => self.commit()?,
            Err(_) => {
                let _ = self.rollback();
            }
        }
        r
    }

    fn migrate_locked(&self, create: bool) -> Result<String> {
        let has_meta = self
            .run_query("SELECT to_regclass('meta') IS NOT NULL", &[])?
            .first()
            .and_then(|r| r.first())
            .and_then(Value::int)
            == Some(1);
        let mut version = 0usize;
        if has_meta {
            let meta = |key: &str| -> Result<Option<String>> {
                Ok(self
                    .run_query("SELECT value FROM meta WHERE key = ?1", &[Arg::Text(key)])?
                    .into_iter()
                    .next()
                    .and_then(|r| r.into_iter().next())
                    .and_then(|v| v.text()))
            };
            if meta("application")?.as_deref() != Some(APPLICATION) {
                return Err(LedgerError::Database {
                    target: self.target.clone(),
                    detail: "this database has a `meta` table but is not a baomi ledger; give another database in --db".into(),
                });
            }
            version = meta("schema_version")?
                .and_then(|v| v.parse().ok())
                .unwrap_or(0);
            if version > MIGRATIONS.len() {
                return Err(LedgerError::NewerSchema {
                    path: self.target.clone().into(),
                    found: version as i64,
                    supported: MIGRATIONS.len() as i64,
                });
            }
        } else {
            let tables = self
                .run_query(
                    "SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()",
                    &[],
                )?
                .first()
                .and_then(|r| r.first())
                .and_then(Value::int)
                .unwrap_or(0);
            if tables > 0 {
                return Err(LedgerError::Database {
                    target: self.target.clone(),
                    detail: format!("this database (schema) already has {tables} table(s) of something else and no baomi ledger; give an empty database in --db (createdb baomi)"),
                });
            }
            if !create {
                return Err(LedgerError::EmptyFile {
                    path: self.target.clone().into(),
                });
            }
        }
        for (i, sql) in MIGRATIONS.iter().enumerate().skip(version) {
            self.simple(sql)?;
            if i == 0 {
                let mut id = [0u8; 8];
                getrandom::getrandom(&mut id).map_err(|e| LedgerError::Random(e.to_string()))?;
                let id = crate::hex(&id);
                for (k, v) in [("ledger_id", id.as_str()), ("application", APPLICATION)] {
                    self.run_exec(
                        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                        &[Arg::Text(k), Arg::Text(v)],
                    )?;
                }
            }
            let v = (i + 1).to_string();
            self.run_exec(
                "INSERT INTO meta (key, value) VALUES ('schema_version', ?1)
                 ON CONFLICT (key) DO UPDATE SET value = ?1",
                &[Arg::Text(&v)],
            )?;
            tracing::info!(target = %self.target, version = i + 1, "migrated ledger schema");
        }
        self.run_query("SELECT value FROM meta WHERE key = 'ledger_id'", &[])?
            .into_iter()
            .next()
            .and_then(|r| r.into_iter().next())
            .and_then(|v| v.text())
            .ok_or_else(|| self.wrong("the ledger has no ledger_id in meta".into()))
    }

    fn run_exec(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let st = self.statement(sql)?;
        let params = self.params(&st, args)?;
        let refs: Vec<&(dyn ToSql + Sync)> = params.iter().map(|b| b.as_ref()).collect();
        let n = {
            let mut c = self.client.borrow_mut();
            let client = c.as_mut().ok_or_else(|| self.lost())?;
            client.execute(&st, &refs)
        };
        n.map_err(|e| self.error(e))
    }
}

impl Store for Conn {
    fn query(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        self.with_retry(|s| s.run_query(sql, args))
    }

    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        self.with_retry(|s| s.run_exec(sql, args))
    }

    fn execute_batch(&self, sql: &str) -> Result<()> {
        self.with_retry(|s| s.simple(sql))
    }

    fn begin(&self, write: bool) -> Result<()> {
        if self.in_tx.get() {
            self.rollback()?;
        }
        self.with_retry(|s| {
            s.simple(if write {
                "BEGIN ISOLATION LEVEL READ COMMITTED"
            } else {
                "BEGIN ISOLATION LEVEL REPEATABLE READ"
            })
        })?;
        self.in_tx.set(true);
        if write {
            if let Err(e) = self.simple(&format!("SELECT pg_advisory_xact_lock({HEAD_LOCK})")) {
                let _ = self.rollback();
                return Err(e);
            }
        }
        Ok(())
    }

    fn commit(&self) -> Result<()> {
        if self.broken.get() {
            self.broken.set(false);
            self.in_tx.set(false);
            return Err(self.lost_in_transaction());
        }
        let r = self.ensure_client().and_then(|_| self.simple("COMMIT"));
        self.in_tx.set(false);
        self.broken.set(false);
        r
    }

    fn rollback(&self) -> Result<()> {
        self.broken.set(false);
        if !self.in_tx.get() {
            return Ok(());
        }
        self.in_tx.set(false);
        if self.client.borrow().as_ref().is_none_or(Client::is_closed) {
            return Ok(()); // the server rolled it back with the connection
        }
        self.simple("ROLLBACK")
    }

    fn in_transaction(&self) -> bool {
        self.in_tx.get()
    }

    fn backend(&self) -> Backend {
        Backend::Postgres
    }
}

/// An owned query parameter, to send to the connection's thread.
enum Owned {
    Null,
    Int(i64),
    Text(String),
}

fn own(args: &[Arg<'_>]) -> Vec<Owned> {
    args.iter()
        .map(|a| match *a {
            Arg::Null => Owned::Null,
            Arg::Int(n) => Owned::Int(n),
            Arg::Text(t) => Owned::Text(t.to_owned()),
        })
        .collect()
}

fn borrow(args: &[Owned]) -> Vec<Arg<'_>> {
    args.iter()
        .map(|a| match a {
            Owned::Null => Arg::Null,
            Owned::Int(n) => Arg::Int(*n),
            Owned::Text(t) => Arg::Text(t),
        })
        .collect()
}

type Job = Box<dyn FnOnce(&Conn) + Send>;

/// The PostgreSQL [`Store`]. The synchronous client drives a small Tokio
/// runtime of its own, which may not run on a thread that is already
/// inside one (`baomi serve`'s): so the connection lives on a thread of
/// its own, and each call is handed to it and waited for.
pub(crate) struct PgStore {
    jobs: std::sync::mpsc::Sender<Job>,
    target: String,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("target", &self.target)
            .finish()
    }
}

impl PgStore {
    /// Connects (the first connection is made here, so that a wrong URL or
    /// a server that is down is reported by `open`).
    pub fn connect(url: &str, timeout: Duration) -> Result<PgStore> {
        let (jobs, inbox) = std::sync::mpsc::channel::<Job>();
        let (ready, opened) = std::sync::mpsc::channel::<Result<String>>();
        let shown = redact(url);
        let url = url.to_owned();
        std::thread::Builder::new()
            .name("ledger-postgres".into())
            .spawn(move || {
                let conn = match Conn::connect(&url, timeout) {
                    Ok(c) => {
                        let _ = ready.send(Ok(c.target.clone()));
                        c
                    }
                    Err(e) => {
                        let _ = ready.send(Err(e));
                        return;
                    }
                };
                // Until the store is dropped.
                for job in inbox {
                    job(&conn);
                }
            })
            .map_err(|e| LedgerError::Database {
                target: shown.clone(),
                detail: format!("cannot start the connection thread: {e}"),
            })?;
        let target = opened.recv().map_err(|_| LedgerError::Database {
            target: shown.clone(),
            detail: "the connection thread ended".into(),
        })??;
        Ok(PgStore { jobs, target })
    }

    pub fn target(&self) -> &str {
        &self.target
    }

    /// Runs `f` on the connection's thread and waits for it.
    fn call<T: Send + 'static>(
        &self,
        f: impl FnOnce(&Conn) -> Result<T> + Send + 'static,
    ) -> Result<T> {
        let (send, recv) = std::sync::mpsc::channel();
        let job: Job = Box::new(move |c: &Conn| {
            let _ = send.send(f(c));
        });
        let gone = || LedgerError::Database {
            target: self.target.clone(),
            detail: "the connection thread ended".into(),
        };
        self.jobs.send(job).map_err(|_| gone())?;
        recv.recv().map_err(|_| gone())?
    }

    /// Creates or migrates the schema; the ledger id.
    pub fn migrate(&self, create: bool) -> Result<String> {
        self.call(move |c| c.migrate(create))
    }
}

impl Store for PgStore {
    fn query(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        let (sql, args) = (sql.to_owned(), own(args));
        self.call(move |c| c.query(&sql, &borrow(&args)))
    }

    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let (sql, args) = (sql.to_owned(), own(args));
        self.call(move |c| c.execute(&sql, &borrow(&args)))
    }

    fn execute_batch(&self, sql: &str) -> Result<()> {
        let sql = sql.to_owned();
        self.call(move |c| c.execute_batch(&sql))
    }

    fn begin(&self, write: bool) -> Result<()> {
        self.call(move |c| c.begin(write))
    }

    fn commit(&self) -> Result<()> {
        self.call(|c| c.commit())
    }

    fn rollback(&self) -> Result<()> {
        self.call(|c| c.rollback())
    }

    fn in_transaction(&self) -> bool {
        self.call(|c| Ok(c.in_transaction())).unwrap_or(false)
    }

    fn backend(&self) -> Backend {
        Backend::Postgres
    }
}

/// SQLite placeholders (`?N`, `?`) as PostgreSQL's (`$N`), outside quotes.
fn placeholders(sql: &str) -> String {
    let mut out = String::with_capacity(sql.len() + 8);
    let mut next = 0;
    let mut quoted = false;
    let mut chars = sql.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\'' {
            quoted = !quoted;
            out.push(c);
        } else if c == '?' && !quoted {
            let mut digits = String::new();
            while let Some(d) = chars.peek().filter(|d| d.is_ascii_digit()) {
                digits.push(*d);
                chars.next();
            }
            if digits.is_empty() {
                next += 1;
                digits = next.to_string();
            }
            out.push('$');
            out.push_str(&digits);
        } else {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_become_numbered() {
        assert_eq!(
            placeholders("a = ?1 AND b = ?2 OR c = '?' AND d = ?1"),
            "a = $1 AND b = $2 OR c = '?' AND d = $1"
        );
        assert_eq!(placeholders("x = ? AND y < ?"), "x = $1 AND y < $2");
    }

    #[test]
    fn passwords_are_redacted() {
        assert_eq!(
            redact("postgres://baomi:s3cret@db.example:5432/baomi?sslmode=disable&password=x"),
            "postgres://baomi@db.example:5432/baomi?sslmode=disable"
        );
        assert_eq!(redact("postgresql://h/db"), "postgresql://h/db");
    }
}

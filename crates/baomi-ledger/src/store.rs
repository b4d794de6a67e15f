//! Where the ledger's rows live: one small trait, `Store`, over an SQL
//! connection, with two implementations — SQLite (the embedded default,
//! `SqliteStore`) and PostgreSQL (`pg::PgStore`, for many
//! writers on many machines).
//!
//! The ledger's SQL is written once, in the dialect both understand
//! (numbered `?N` or bare `?` placeholders, which the PostgreSQL store turns
//! into `$N`); only opening and the schema differ per backend. What makes
//! the chain one total order is the same on both: every append is one
//! write transaction (`Store::begin` with `write`) that holds the lock on
//! the chain's head — SQLite's `BEGIN IMMEDIATE`, PostgreSQL's
//! `pg_advisory_xact_lock` — from reading the last entry to committing.

use crate::error::Result;
use rusqlite::types::ValueRef;
use rusqlite::Connection;

/// A column value as stored. Text is kept as bytes: verification must be
/// able to look at rows tampered into non-UTF-8 (SQLite stores anything).
#[derive(Debug, Clone, PartialEq)]
pub(crate) enum Value {
    Null,
    Int(i64),
    Real(f64),
    Text(Vec<u8>),
}

impl Value {
    /// The integer, if it is one (`NULL` and text are not).
    pub fn int(&self) -> Option<i64> {
        match self {
            Value::Int(n) => Some(*n),
            _ => None,
        }
    }

    /// The text's bytes (integers and reals are not text).
    pub fn bytes(&self) -> Option<&[u8]> {
        match self {
            Value::Text(b) => Some(b),
            _ => None,
        }
    }

    pub fn into_bytes(self) -> Option<Vec<u8>> {
        match self {
            Value::Text(b) => Some(b),
            _ => None,
        }
    }

    /// The text as a string (lossless only for UTF-8, which the ledger writes).
    pub fn text(&self) -> Option<String> {
        self.bytes()
            .map(|b| String::from_utf8_lossy(b).into_owned())
    }

    /// Integers and text as shown in test dumps.
    pub fn show(&self) -> String {
        match self {
            Value::Int(n) => n.to_string(),
            Value::Text(t) => String::from_utf8_lossy(t).into_owned(),
            _ => String::new(),
        }
    }
}

/// One result row.
pub(crate) type Row = Vec<Value>;

/// A query parameter.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Arg<'a> {
    Null,
    Int(i64),
    Text(&'a str),
}

impl From<i64> for Arg<'_> {
    fn from(n: i64) -> Self {
        Arg::Int(n)
    }
}

impl From<u64> for Arg<'_> {
    fn from(n: u64) -> Self {
        Arg::Int(n as i64)
    }
}

impl<'a> From<&'a str> for Arg<'a> {
    fn from(s: &'a str) -> Self {
        Arg::Text(s)
    }
}

impl<'a> From<&'a String> for Arg<'a> {
    fn from(s: &'a String) -> Self {
        Arg::Text(s)
    }
}

impl<'a> From<Option<&'a str>> for Arg<'a> {
    fn from(s: Option<&'a str>) -> Self {
        s.map_or(Arg::Null, Arg::Text)
    }
}

impl rusqlite::ToSql for Arg<'_> {
    fn to_sql(&self) -> rusqlite::Result<rusqlite::types::ToSqlOutput<'_>> {
        use rusqlite::types::ToSqlOutput;
        Ok(match self {
            Arg::Null => ToSqlOutput::Owned(rusqlite::types::Value::Null),
            Arg::Int(n) => ToSqlOutput::Owned(rusqlite::types::Value::Integer(*n)),
            Arg::Text(s) => ToSqlOutput::Borrowed(ValueRef::Text(s.as_bytes())),
        })
    }
}

/// Which database a ledger is in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// The storage a [`crate::Ledger`] runs on: one connection, used by one
/// thread at a time. Kept to what the ledger needs — statements, and
/// transactions whose write form locks the chain's head.
pub(crate) trait Store: std::fmt::Debug + Send {
    /// Runs a query; all rows.
    fn query(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>>;
    /// Runs a statement; the number of rows it changed.
    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64>;
    /// Runs several statements without parameters.
    fn execute_batch(&self, sql: &str) -> Result<()>;
    /// Starts a transaction. `write`: the appender's, which holds the lock on
    /// the head until commit (other writers wait, up to the busy/statement
    /// timeout); otherwise a read snapshot.
    fn begin(&self, write: bool) -> Result<()>;
    fn commit(&self) -> Result<()>;
    fn rollback(&self) -> Result<()>;
    /// Inside a transaction begun here.
    fn in_transaction(&self) -> bool;
    fn backend(&self) -> Backend;
    /// The SQLite connection, for SQLite-only maintenance (`quick_check`).
    fn sqlite(&self) -> Option<&Connection> {
        None
    }
}

impl dyn Store + '_ {
    /// The first row, if any.
    pub fn query_row(&self, sql: &str, args: &[Arg<'_>]) -> Result<Option<Row>> {
        Ok(self.query(sql, args)?.into_iter().next())
    }

    /// The first column of the first row as an integer (0 for none/NULL).
    pub fn query_int(&self, sql: &str, args: &[Arg<'_>]) -> Result<i64> {
        Ok(self
            .query_row(sql, args)?
            .and_then(|r| r.into_iter().next())
            .and_then(|v| v.int())
            .unwrap_or(0))
    }
}

/// A transaction that rolls back unless committed (also on `?` and panics).
pub(crate) struct Tx<'a> {
    db: &'a dyn Store,
    open: bool,
}

impl<'a> Tx<'a> {
    pub fn begin(db: &'a dyn Store, write: bool) -> Result<Tx<'a>> {
        db.begin(write)?;
        Ok(Tx { db, open: true })
    }

    pub fn commit(mut self) -> Result<()> {
        self.open = false;
        self.db.commit()
    }

    pub fn db(&self) -> &'a dyn Store {
        self.db
    }
}

impl Drop for Tx<'_> {
    fn drop(&mut self) {
        if self.open {
            if let Err(e) = self.db.rollback() {
                tracing::debug!(error = %e, "rollback failed");
            }
        }
    }
}

/// The SQLite store: one `rusqlite` connection (opened and checked by
/// `ledger.rs`, which owns the SQLite-only steps: pragmas, `quick_check`,
/// migrations by `user_version`).
#[derive(Debug)]
pub(crate) struct SqliteStore {
    pub conn: Connection,
}

fn from_ref(v: ValueRef<'_>) -> Value {
    match v {
        ValueRef::Null => Value::Null,
        ValueRef::Integer(n) => Value::Int(n),
        ValueRef::Real(f) => Value::Real(f),
        ValueRef::Text(t) | ValueRef::Blob(t) => Value::Text(t.to_vec()),
    }
}

impl Store for SqliteStore {
    fn query(&self, sql: &str, args: &[Arg<'_>]) -> Result<Vec<Row>> {
        let mut st = self.conn.prepare_cached(sql)?;
        let n = st.column_count();
        let mut rows = st.query(rusqlite::params_from_iter(args.iter()))?;
        let mut out = Vec::new();
        while let Some(r) = rows.next()? {
            let mut row = Vec::with_capacity(n);
            for i in 0..n {
                row.push(from_ref(r.get_ref(i)?));
            }
            out.push(row);
        }
        Ok(out)
    }

    fn execute(&self, sql: &str, args: &[Arg<'_>]) -> Result<u64> {
        let mut st = self.conn.prepare_cached(sql)?;
        Ok(st.execute(rusqlite::params_from_iter(args.iter()))? as u64)
    }

    fn execute_batch(&self, sql: &str) -> Result<()> {
        Ok(self.conn.execute_batch(sql)?)
    }

    fn begin(&self, write: bool) -> Result<()> {
        Ok(self.conn.execute_batch(if write {
            "BEGIN IMMEDIATE"
        } else {
            "BEGIN DEFERRED"
        })?)
    }

    fn commit(&self) -> Result<()> {
        Ok(self.conn.execute_batch("COMMIT")?)
    }

    fn rollback(&self) -> Result<()> {
        if self.conn.is_autocommit() {
            return Ok(());
        }
        Ok(self.conn.execute_batch("ROLLBACK")?)
    }

    fn in_transaction(&self) -> bool {
        !self.conn.is_autocommit()
    }

    fn backend(&self) -> Backend {
        Backend::Sqlite
    }

    fn sqlite(&self) -> Option<&Connection> {
        Some(&self.conn)
    }
}

/// `--db` values that name a PostgreSQL database rather than a file.
pub fn is_postgres_url(db: &std::path::Path) -> bool {
    db.to_str()
        .is_some_and(|s| s.starts_with("postgres://") || s.starts_with("postgresql://"))
}

/// Where files that sit beside an SQLite ledger (its checkpoint folder,
/// the draft archive) go for a ledger that is not a file: a name in the
/// current folder made from the database's host, port and name, e.g.
/// `baomi@db.example_5432` (no user or password). For a file, the file.
pub fn local_base(db: &std::path::Path) -> std::path::PathBuf {
    if !is_postgres_url(db) {
        return db.to_owned();
    }
    let name = crate::pg::redact(db.to_str().unwrap_or_default());
    // "postgres://user@host:port/db" → "db@host_port"
    let rest = name.split_once("://").map_or(name.as_str(), |(_, r)| r);
    let rest = rest.split_once('@').map_or(rest, |(_, r)| r);
    let (hostport, dbname) = rest.split_once('/').unwrap_or((rest, "postgres"));
    let dbname = dbname.split('?').next().unwrap_or("postgres");
    let clean = |s: &str| -> String {
        s.chars()
            .map(|c| {
                if c.is_ascii_alphanumeric() || c == '-' || c == '.' {
                    c
                } else {
                    '_'
                }
            })
            .collect()
    };
    std::path::PathBuf::from(format!("{}@{}", clean(dbname), clean(hostport)))
}

/// A `--db` value as messages show it: the path, or the URL without its
/// password.
pub fn shown(db: &std::path::Path) -> String {
    match db.to_str() {
        Some(s) if is_postgres_url(db) => crate::pg::redact(s),
        _ => db.display().to_string(),
    }
}

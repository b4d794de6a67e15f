//! One ledger test suite for every backend: a test is a function of
//! [`Backend`], and [`both!`] makes a `sqlite` and a `postgres` test of it.
//! The PostgreSQL tests run against a real server ([`pg`]); they are never
//! skipped.
#![allow(dead_code)]

pub mod pg;

pub use baomi_ledger::Backend;
use baomi_ledger::{Ledger, OpenOptions};
use std::path::{Path, PathBuf};

/// A fresh, empty ledger location of one backend, with its own checkpoint
/// folder.
pub struct TestDb {
    pub backend: Backend,
    /// The SQLite file, or the PostgreSQL URL.
    pub db: PathBuf,
    pub dir: tempfile::TempDir,
}

impl TestDb {
    pub fn new(backend: Backend) -> TestDb {
        let dir = tempfile::tempdir().unwrap();
        let db = match backend {
            Backend::Sqlite => dir.path().join("baomi.db"),
            Backend::Postgres => PathBuf::from(pg::shared().new_database()),
        };
        TestDb { backend, db, dir }
    }

    /// The checkpoint folder: SQLite's default (beside the file), and a
    /// folder of the same form in the temporary folder for PostgreSQL.
    pub fn checkpoints(&self) -> PathBuf {
        match self.backend {
            Backend::Sqlite => baomi_ledger::checkpoints::default_dir(&self.db),
            Backend::Postgres => self.dir.path().join("pg.checkpoints"),
        }
    }

    pub fn options(&self) -> OpenOptions {
        OpenOptions {
            checkpoints: Some(self.checkpoints()),
            ..OpenOptions::default()
        }
    }

    /// Opens (creating) the ledger.
    pub fn open(&self) -> Ledger {
        Ledger::open_with(&self.db, &self.options()).unwrap()
    }

    pub fn try_open(&self) -> baomi_ledger::Result<Ledger> {
        Ledger::open_with(&self.db, &self.options())
    }

    pub fn open_existing(&self) -> baomi_ledger::Result<Ledger> {
        Ledger::open_with(
            &self.db,
            &OpenOptions {
                create: false,
                ..self.options()
            },
        )
    }

    /// Runs SQL as the database's owner, around the ledger's own guards:
    /// what an attacker with the database's files or superuser rights can
    /// do. The append-only triggers are disabled for it.
    pub fn tamper(&self, sql: &str) {
        match self.backend {
            Backend::Sqlite => {
                let c = rusqlite::Connection::open(&self.db).unwrap();
                c.execute_batch(
                    "DROP TRIGGER IF EXISTS entries_append_only_update;
                     DROP TRIGGER IF EXISTS entries_append_only_delete;",
                )
                .unwrap();
                c.execute_batch(sql).unwrap();
            }
            Backend::Postgres => {
                let url = self.db.to_str().unwrap();
                pg::shared().psql(
                    pg::db_name(url),
                    &format!(
                        "BEGIN; ALTER TABLE entries DISABLE TRIGGER USER; {sql}; \
                         ALTER TABLE entries ENABLE TRIGGER USER; COMMIT;"
                    ),
                );
            }
        }
    }

    /// Runs SQL through the ledger's own rules (triggers on): the error, if any.
    pub fn try_sql(&self, sql: &str) -> Result<(), String> {
        match self.backend {
            Backend::Sqlite => {
                let c = rusqlite::Connection::open(&self.db).unwrap();
                c.execute_batch(sql).map_err(|e| e.to_string())
            }
            Backend::Postgres => {
                let mut c =
                    postgres::Client::connect(self.db.to_str().unwrap(), postgres::NoTls).unwrap();
                c.batch_execute(sql).map_err(|e| {
                    e.as_db_error()
                        .map_or_else(|| e.to_string(), |d| d.message().to_owned())
                })
            }
        }
    }

    pub fn path(&self) -> &Path {
        &self.db
    }
}

/// `both!(name)`: runs `fn name(backend: Backend)` as `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! both {
    ($($name:ident),* $(,)?) => {$(
        mod $name {
            #[test]
            fn sqlite() {
                super::$name($crate::support::Backend::Sqlite)
            }
            #[test]
            fn postgres() {
                super::$name($crate::support::Backend::Postgres)
            }
        }
    )*};
}

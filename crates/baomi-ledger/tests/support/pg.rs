//! A throwaway PostgreSQL cluster for tests: `initdb` + `pg_ctl` on a
//! temporary folder, a free local port on 127.0.0.1 and the Unix socket in
//! that folder, trust authentication for the user `baomi`.
//!
//! initdb refuses to run as root, and CI runs as root: then the cluster
//! belongs to the `postgres` system user (made by Debian's package) and
//! every server command runs through `runuser -u postgres --`.
//!
//! The cluster is stopped when the value is dropped, and — because a
//! `static` shared by a test binary is never dropped — also by a watchdog
//! process when the test process exits, however it exits.
#![allow(dead_code)]

use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::OnceLock;

pub struct PgServer {
    pub dir: PathBuf,
    pub port: u16,
    bin: PathBuf,
    run_as: Option<&'static str>,
    /// fsync on (benchmarks); tests run with fsync off.
    durable: bool,
}

fn bin_dir() -> PathBuf {
    let mut found: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|rd| {
            rd.filter_map(|d| d.ok())
                .map(|d| d.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    found.retain(|p| p.join("initdb").exists());
    found.sort_by_key(|p| {
        p.parent()
            .and_then(|v| v.file_name())
            .and_then(|v| v.to_str())
            .and_then(|v| v.parse::<u32>().ok())
            .unwrap_or(0)
    });
    found.pop().expect(
        "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin: \
         install Debian's `postgresql` package (.ci/install-deps.sh does)",
    )
}

fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions.
    unsafe { libc_geteuid() == 0 }
}

extern "C" {
    #[link_name = "geteuid"]
    fn libc_geteuid() -> u32;
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl PgServer {
    /// A new cluster, started.
    pub fn start() -> PgServer {
        PgServer::start_as(false)
    }

    /// A new cluster with the default, durable settings (benchmarks).
    pub fn start_durable() -> PgServer {
        PgServer::start_as(true)
    }

    fn start_as(durable: bool) -> PgServer {
        let bin = bin_dir();
        let run_as = is_root().then_some("postgres");
        let base = std::env::temp_dir().join(format!(
            "baomi-pg-{}-{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        ));
        let _ = std::fs::remove_dir_all(&base);
        std::fs::create_dir_all(&base).unwrap();
        let s = PgServer {
            dir: base,
            port: free_port(),
            bin,
            run_as,
            durable,
        };
        if let Some(user) = run_as {
            let ok = Command::new("chown")
                .args([user, &s.dir.display().to_string()])
                .status()
                .unwrap()
                .success();
            assert!(ok, "cannot chown the cluster folder to {user}");
        }
        s.watchdog();
        let out = s
            .server_cmd("initdb")
            .args([
                "-A",
                "trust",
                "-U",
                "baomi",
                "-E",
                "UTF8",
                "--locale=C",
                "--no-sync",
                "-D",
            ])
            .arg(s.data())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "initdb failed: {}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        s.pg_ctl_start();
        s
    }

    fn data(&self) -> PathBuf {
        self.dir.join("data")
    }

    fn server_cmd(&self, tool: &str) -> Command {
        let exe = self.bin.join(tool);
        let mut c = match self.run_as {
            Some(u) => {
                let mut c = Command::new("runuser");
                c.args(["-u", u, "--"]).arg(exe);
                c
            }
            None => Command::new(exe),
        };
        c.stdin(Stdio::null());
        c
    }

    /// Stops the cluster when this test process ends (a `static` server is
    /// never dropped).
    fn watchdog(&self) {
        let ctl = self.bin.join("pg_ctl");
        let runas = self
            .run_as
            .map_or(String::new(), |u| format!("runuser -u {u} -- "));
        let script = format!(
            "while kill -0 {pid} 2>/dev/null; do sleep 0.5; done; \
             {runas}{ctl} -D {data} stop -m immediate -w >/dev/null 2>&1; rm -rf {dir}",
            pid = std::process::id(),
            ctl = ctl.display(),
            data = self.data().display(),
            dir = self.dir.display(),
        );
        // Not waited for: it outlives this process on purpose.
        #[allow(clippy::zombie_processes)]
        // In a process group of its own: a signal to the test's group
        // (a timeout, Ctrl-C) must not take the watchdog with it.
        let _watchdog = Command::new("sh")
            .process_group(0)
            .args(["-c", &script])
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("cannot start the cluster watchdog");
    }

    /// Fast and unsafe settings for a throwaway server — including
    /// `synchronous_commit=off`, which the ledger's sessions override (the
    /// restart test proves it: without that, commits acknowledged before a
    /// crash are lost, and the checkpoints report a rolled-back ledger).
    fn pg_ctl_start(&self) {
        let fast = if self.durable {
            ""
        } else {
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        };
        let opts = format!(
            "-c listen_addresses=127.0.0.1 -c port={} -c unix_socket_directories={} \
             {fast} -c max_connections=200",
            self.port,
            self.dir.display()
        );
        let out = self
            .server_cmd("pg_ctl")
            .args(["-w", "-t", "60", "-l"])
            .arg(self.dir.join("log"))
            .arg("-D")
            .arg(self.data())
            .args(["-o", &opts, "start"])
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "pg_ctl start failed: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
        );
    }

    /// Stops the server (`immediate`: like a crash or a power cut for the
    /// clients; the server recovers from its WAL at the next start).
    pub fn stop(&self) {
        let _ = self
            .server_cmd("pg_ctl")
            .args(["-w", "-D"])
            .arg(self.data())
            .args(["stop", "-m", "immediate"])
            .output();
    }

    pub fn start_again(&self) {
        self.pg_ctl_start();
    }

    /// The URL of database `db`.
    pub fn url(&self, db: &str) -> String {
        format!("postgres://baomi@127.0.0.1:{}/{db}", self.port)
    }

    /// Runs SQL with psql (as the superuser `baomi`); its output.
    pub fn psql(&self, db: &str, sql: &str) -> String {
        let out = Command::new(self.bin.join("psql"))
            .args(["-X", "-q", "-t", "-A", "-v", "ON_ERROR_STOP=1", "-h"])
            .arg(&self.dir)
            .args([
                "-p",
                &self.port.to_string(),
                "-U",
                "baomi",
                "-d",
                db,
                "-c",
                sql,
            ])
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "psql {sql:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).trim().to_string()
    }

    /// A new, empty database; its URL.
    pub fn new_database(&self) -> String {
        let name = format!("t{}", COUNTER.fetch_add(1, Ordering::SeqCst));
        self.psql("postgres", &format!("CREATE DATABASE {name}"));
        self.url(&name)
    }

    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir.join("log")).unwrap_or_default()
    }
}

impl Drop for PgServer {
    fn drop(&mut self) {
        self.stop();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

static COUNTER: AtomicUsize = AtomicUsize::new(0);

/// One cluster shared by the tests of this test binary (each test takes
/// its own database from it).
pub fn shared() -> &'static PgServer {
    static SERVER: OnceLock<PgServer> = OnceLock::new();
    SERVER.get_or_init(PgServer::start)
}

/// The database name at the end of a URL.
pub fn db_name(url: &str) -> &str {
    url.rsplit('/').next().unwrap_or_default()
}

pub fn path_of(url: &str) -> &Path {
    Path::new(url)
}

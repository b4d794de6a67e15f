//! Benchmark of the drop-folder daemon as it runs in an office: the real
//! `baomi` binary watching a real folder with a real SQLite ledger.
//!
//! ```sh
//! cargo build --release
//! BAOMI_BIN=target/release/baomi cargo bench -p baomi-watch --bench watch
//! ```
//!
//! Prints:
//! * latency from a completed drop (the rename into `inbox/`) to the file's
//!   report in its outcome folder — which is written after the ledger
//!   commit, so this bounds drop → committed entry from above — for a
//!   100 KB .txt and a ~1 MB .docx, quiet period 0.2 s: p50 and p99;
//! * throughput for 10,000 small files dropped at once (files/s);
//! * peak RSS (`/usr/bin/time -v`) of a daemon with 100,000 files queued.
//!
//! `BENCH_LATENCY_N`, `BENCH_FILES` and `BENCH_QUEUED` change the counts.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

fn env_n(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn bin() -> PathBuf {
    if let Some(b) = std::env::var_os("BAOMI_BIN") {
        return PathBuf::from(b);
    }
    let target = std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../target"));
    target.join("release/baomi")
}

struct Site {
    _dir: tempfile::TempDir,
    root: PathBuf,
    local: PathBuf,
    staging: PathBuf,
}

impl Site {
    fn new() -> Site {
        let dir = tempfile::tempdir().unwrap();
        let root = dir.path().join("share");
        let local = dir.path().join("local");
        let staging = root.join("staging");
        for d in [&root.join("inbox"), &local, &staging] {
            std::fs::create_dir_all(d).unwrap();
        }
        Site {
            _dir: dir,
            root,
            local,
            staging,
        }
    }

    fn command(&self, wrapper: Option<&str>, extra: &[&str]) -> Command {
        let mut c = match wrapper {
            Some(w) => {
                let mut c = Command::new(w);
                c.arg("-v").arg(bin());
                c
            }
            None => Command::new(bin()),
        };
        c.arg("watch")
            .arg(&self.root)
            .arg("--db")
            .arg(self.local.join("baomi.db"))
            .arg("--key")
            .arg(self.local.join("scanner.key"))
            .args(["--quiet-period", "0.2"])
            .args(extra)
            .env("BAOMI_LOG", "warn")
            .stdout(Stdio::null());
        c
    }

    fn start(&self, extra: &[&str]) -> Child {
        let child = self
            .command(None, extra)
            .stderr(Stdio::inherit())
            .spawn()
            .expect("run BAOMI_BIN");
        self.wait_running();
        child
    }

    fn status(&self) -> serde_json::Value {
        std::fs::read(self.root.join(".baomi-status.json"))
            .ok()
            .and_then(|b| serde_json::from_slice(&b).ok())
            .unwrap_or(serde_json::Value::Null)
    }

    fn wait_running(&self) -> u64 {
        let t = Instant::now();
        loop {
            let s = self.status();
            if s["running"] == true {
                return s["pid"].as_u64().unwrap();
            }
            assert!(
                t.elapsed() < Duration::from_secs(60),
                "daemon did not start"
            );
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

fn sigterm(pid: u64) {
    Command::new("kill")
        .args(["-TERM", &pid.to_string()])
        .status()
        .unwrap();
}

fn pct(sorted: &[Duration], p: f64) -> Duration {
    let i = ((sorted.len() as f64 - 1.0) * p).round() as usize;
    sorted[i]
}

/// Drops `make(i)` files one at a time and times each from its rename into
/// inbox/ to the appearance of its report.
fn latency(site: &Site, label: &str, n: usize, make: impl Fn(usize) -> (String, Vec<u8>)) {
    let mut times = Vec::with_capacity(n);
    for i in 0..n {
        let (name, bytes) = make(i);
        let staged = site.staging.join(&name);
        std::fs::write(&staged, &bytes).unwrap();
        let t0 = Instant::now();
        std::fs::rename(&staged, site.root.join("inbox").join(&name)).unwrap();
        let report = format!("{name}.report.txt");
        loop {
            if ["cleared", "review", "withheld", "failed"]
                .iter()
                .any(|o| site.root.join(o).join(&report).exists())
            {
                break;
            }
            assert!(
                t0.elapsed() < Duration::from_secs(30),
                "{name} was not processed"
            );
            std::thread::sleep(Duration::from_micros(500));
        }
        times.push(t0.elapsed());
    }
    times.sort();
    println!(
        "latency {label:<18} n={n:<4} p50 {:>6.1} ms   p99 {:>6.1} ms   max {:>6.1} ms   (quiet period 200 ms)",
        pct(&times, 0.5).as_secs_f64() * 1e3,
        pct(&times, 0.99).as_secs_f64() * 1e3,
        times.last().unwrap().as_secs_f64() * 1e3
    );
}

/// About 100 KB of ordinary text with a marking in every tenth draft.
fn txt_100k(i: usize) -> (String, Vec<u8>) {
    let mut s = format!("关于第{i}次会议的通知\n");
    while s.len() < 100_000 {
        s.push_str("各单位：请于下周一上午九时在三楼会议室参加年度工作会议，并做好准备。\n");
    }
    if i.is_multiple_of(10) {
        s.push_str("本文件为机密★1年\n");
    }
    (format!("lat-{i}.txt"), s.into_bytes())
}

/// ~1 MB .docx files written by Python's zipfile (as Word would: deflated
/// XML). Returns None when python3 is missing.
fn docx_1m(dir: &Path, n: usize) -> Option<Vec<(String, Vec<u8>)>> {
    let script = format!(
        r#"import zipfile, random
ct='<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>'
rels='<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>'
rng = random.Random(7)
chars = [chr(c) for c in range(0x4e00, 0x4e00 + 3000)]
for i in range({n}):
    paras = []
    size = 0
    while size < 750_000:
        t = ''.join(rng.choice(chars) for _ in range(200))
        paras.append('<w:p><w:r><w:t>' + t + '</w:t></w:r></w:p>')
        size += 220
    doc = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>' + ''.join(paras) + '<w:p><w:r><w:t>第' + str(i) + '号</w:t></w:r></w:p></w:body></w:document>'
    with zipfile.ZipFile('{dir}/doc-%d.docx' % i, 'w', zipfile.ZIP_DEFLATED) as z:
        z.writestr('[Content_Types].xml', ct)
        z.writestr('_rels/.rels', rels)
        z.writestr('word/document.xml', doc)
"#,
        dir = dir.display()
    );
    let mut py = Command::new("python3").stdin(Stdio::piped()).spawn().ok()?;
    py.stdin.take()?.write_all(script.as_bytes()).ok()?;
    if !py.wait().ok()?.success() {
        return None;
    }
    Some(
        (0..n)
            .map(|i| {
                let name = format!("doc-{i}.docx");
                let bytes = std::fs::read(dir.join(&name)).unwrap();
                (name, bytes)
            })
            .collect(),
    )
}

fn throughput(n: usize) {
    let site = Site::new();
    for i in 0..n {
        let body = if i.is_multiple_of(5) {
            format!("内部资料 编号{i}\n")
        } else {
            format!("关于第{i}次会议的通知\n请按时参加。\n")
        };
        std::fs::write(site.staging.join(format!("f-{i}.txt")), body).unwrap();
    }
    let mut child = site.start(&[]);
    let t0 = Instant::now();
    for i in 0..n {
        let name = format!("f-{i}.txt");
        std::fs::rename(
            site.staging.join(&name),
            site.root.join("inbox").join(&name),
        )
        .unwrap();
    }
    let dropped = t0.elapsed();
    loop {
        if site.status()["processed"]["total"].as_u64() == Some(n as u64) {
            break;
        }
        assert!(
            t0.elapsed() < Duration::from_secs(600),
            "throughput run did not finish"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
    let el = t0.elapsed();
    println!(
        "throughput         {n} small files: {:.1} s → {:.0} files/s (dropping them took {:.2} s)",
        el.as_secs_f64(),
        n as f64 / el.as_secs_f64(),
        dropped.as_secs_f64()
    );
    sigterm(u64::from(child.id()));
    child.wait().unwrap();
}

fn peak_rss(n: usize, run_for: Duration) {
    let site = Site::new();
    let inbox = site.root.join("inbox");
    for i in 0..n {
        std::fs::write(
            inbox.join(format!("q-{i}.txt")),
            format!("关于第{i}次会议的通知\n"),
        )
        .unwrap();
    }
    let child = site
        .command(Some("/usr/bin/time"), &[])
        .stderr(Stdio::piped())
        .spawn()
        .expect("/usr/bin/time");
    let pid = site.wait_running();
    std::thread::sleep(run_for);
    let s = site.status();
    sigterm(pid);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr);
    let kb: u64 = err
        .lines()
        .find_map(|l| {
            l.trim()
                .strip_prefix("Maximum resident set size (kbytes): ")
        })
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(0);
    println!(
        "peak RSS           {n} files queued: {:.1} MiB (after {:.0} s: {} processed, inbox listing {}, tracked {})",
        kb as f64 / 1024.0,
        run_for.as_secs_f64(),
        s["processed"]["total"],
        s["queue"]["inbox"],
        s["queue"]["waiting"]
    );
}

fn main() {
    // `cargo test --benches` runs this with --bench absent; do nothing then.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    assert!(
        bin().exists(),
        "build the release binary first, or set BAOMI_BIN: {}",
        bin().display()
    );
    let n = env_n("BENCH_LATENCY_N", 200);
    {
        let site = Site::new();
        let mut child = site.start(&[]);
        latency(&site, "100 KB txt", n, txt_100k);
        let gen = site.local.join("docx");
        std::fs::create_dir_all(&gen).unwrap();
        match docx_1m(&gen, n.min(50)) {
            Some(docs) => {
                let size = docs[0].1.len();
                latency(
                    &site,
                    &format!("{:.1} MB docx", size as f64 / 1e6),
                    docs.len(),
                    |i| docs[i].clone(),
                );
            }
            None => println!("latency docx: skipped (python3 not found)"),
        }
        sigterm(u64::from(child.id()));
        child.wait().unwrap();
    }
    throughput(env_n("BENCH_FILES", 10_000));
    peak_rss(env_n("BENCH_QUEUED", 100_000), Duration::from_secs(20));
}

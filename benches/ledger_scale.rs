//! The reviewer side on a large ledger: `baomi review list` and `baomi
//! serve` (queue page, document API, scan API) over a ledger of N entries.
//!
//! ```sh
//! cargo bench --bench ledger_scale                             # 100,000 entries
//! BAOMI_BENCH_ENTRIES=2000 cargo bench --bench ledger_scale    # a quick try
//! ```
//!
//! Environment: `BAOMI_BENCH_ENTRIES` (ledger entries, default 100000),
//! `BAOMI_BENCH_PHASE_SECS` (each load phase, default 20),
//! `BAOMI_BENCH_SCAN_SECS` (each scan-API phase, default 10),
//! `BAOMI_BENCH_MAX_RSS_MIB` (a server whose RSS goes over this is killed,
//! so that a slow server cannot exhaust a shared machine; default 8192),
//! `BAOMI_BENCH_KEEP=1` (keep the folder with the ledger and keys, for
//! profiling a server by hand; its path is printed last).
//!
//! What it does, all in a temporary folder:
//! 1. keys for a scanner and three reviewers and a `trust.toml` naming them;
//! 2. a ledger of N entries built through the `baomi_ledger` API: scans of
//!    distinct drafts (real `DocumentReport`s of a few template drafts,
//!    scanned once with the shipped rules, then given each draft's own path,
//!    SHA-256, title and 文号), and for a tenth of the documents signed
//!    decisions (1–3 stages, some withheld) and for one in a thousand a
//!    waiver, in the payload format the web layer writes;
//! 3. `baomi review list` (median of up to 3 runs);
//! 4. `baomi serve`: time from spawn to the first 200 answer to `GET /`,
//!    then each route once, one request at a time, on the idle server;
//! 5. 16 client threads against a fresh server per phase: `GET /`,
//!    `GET /?stage=secrecy-committee`, `GET /api/v1/documents/{sha256}`;
//! 6. 4 clients posting small drafts to `POST /api/v1/scan?record=true`,
//!    alone and then with 4 clients polling the document API.
//!
//! Every phase stops sending at its deadline and waits at most 10 s more
//! for answers in flight (those count as timeouts); each phase gets a
//! fresh server, so a backlog left by a slow phase cannot leak into the
//! next. The server is killed when the bench ends, also on a panic.

use baomi_core::{DocumentReport, Scanner, Verdict};
use baomi_extract::{review_bytes, Limits};
use baomi_ledger::forms::{mask, matched_hash, ScanForm};
use baomi_ledger::{hex, write_key_pair, KeyPair, Ledger, NewEntry, Trust};
use serde_json::{json, Value};
use sha2::{Digest, Sha256};
use std::io::{self, Read, Write};
use std::net::{Ipv4Addr, SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_baomi");
/// Client threads of the load phases.
const CLIENTS: usize = 16;
/// Clients posting drafts, and clients polling beside them.
const SCANNERS: usize = 4;
const POLLERS: usize = 4;
/// How long answers still in flight at a phase's deadline are waited for.
const GRACE: Duration = Duration::from_secs(10);
/// At most this many requests per phase, whatever the speed.
const MAX_REQUESTS: usize = 200_000;
/// Documents per `record_scans` / `append_batch` transaction.
const CHUNK: usize = 1000;
/// `review list` runs (fewer when one run is slow).
const LIST_RUNS: usize = 3;

const STAGES: [&str; 3] = ["department", "work-department", "secrecy-committee"];
const OPINIONS: [&str; 3] = [
    "经本部门审核，内容属实，申请公开",
    "经工作部审核，同意部门意见",
    "经保密委审查，同意公开",
];
const DEPARTMENTS: [(&str, &str); 7] = [
    ("办公室", "办发"),
    ("发展改革局", "发改发"),
    ("财政局", "财发"),
    ("民政局", "民发"),
    ("自然资源局", "自然资发"),
    ("卫生健康委", "卫健发"),
    ("教育局", "教发"),
];

/// Drafts as offices write them; each is scanned once with the shipped
/// rules and its report reused, with its own identity, for many documents.
const TEMPLATES: [&str; 8] = [
    // withhold: a classification marking, a work secret, an internal marking
    "机密★5年\n\n关于某重点项目选址论证情况的报告\n某政发〔2026〕7号\n\n区委、区政府：\n\
     本材料涉及工作秘密，请勿扩散。项目选址论证已完成第一阶段。\n\n内部资料 注意保存\n",
    // review: personal data of a benefit recipient
    "关于2026年第三季度临时救助对象的公示\n\n张某，身份证号11010519491231002X，\
     住址幸福小区3栋2单元301室。\n",
    // review: precise coordinates and an internal marking
    "关于重点项目建设进展情况的通报\n\n项目拟选址于东经116°23′17″，北纬39°54′27″。\n此件不得外传。\n",
    // review: mobile numbers and an internal marking
    "关于做好2026年防汛值班工作的通知\n\n值班电话：13912345678，备用电话：13612345678。\n\
     内部资料 注意保存\n",
    // withhold: a classification marking in a table heading
    "秘密★1年\n\n关于年度预算执行情况的报告\n\n一、总体情况\n本年度预算执行总体平稳，\
     本材料涉及工作秘密。\n",
    // review: personal data
    "关于2026年度残疾人补贴发放名单的公示\n\n李某，身份证号44011320141005001X，\
     和平村五组18号。\n",
    // clear
    "关于2026年国庆节放假安排的通知\n\n各单位：根据国务院办公厅通知精神，\
     现将放假安排通知如下。10月1日至7日放假调休，共7天。\n",
    // review: a work-secret statement
    "关于开展2026年度保密自查自评工作的通知\n\n各单位：请于月底前完成自查。\
     本件涉及工作秘密，请勿扩散。\n",
];

fn env_num(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(default)
}

fn sha256_hex(bytes: &[u8]) -> String {
    hex(&Sha256::digest(bytes))
}

/// The web layer's revision-independent waiver key (`review::text_key`).
fn text_key(rule: &str, matched: &str) -> String {
    let mut h = Sha256::new();
    h.update(b"baomi-waiver-v1\n");
    h.update(rule.as_bytes());
    h.update(b"\n");
    h.update(matched.as_bytes());
    hex(&h.finalize())
}

/// splitmix64: enough randomness to pick documents.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

// ------------------------------------------------------------ keys, trust

struct Keys {
    scanner: KeyPair,
    reviewers: [KeyPair; 3],
    scanner_file: PathBuf,
    /// The secrecy committee's private key: what `baomi serve --key` signs with.
    committee_file: PathBuf,
    trust_file: PathBuf,
}

fn make_keys(dir: &Path) -> Keys {
    let keys = dir.join("keys");
    std::fs::create_dir_all(&keys).expect("keys folder");
    let (scanner, scanner_file, _) = write_key_pair(&keys.join("scanner")).expect("scanner key");
    let people = [
        ("张三（办公室）", STAGES[0]),
        ("李四（工作部）", STAGES[1]),
        ("王五（保密委）", STAGES[2]),
    ];
    let mut trust = String::new();
    let mut signer = |k: &KeyPair, name: &str, role: &str| {
        trust += &format!(
            "[[signer]]\nkey_id = \"{}\"\nname = \"{name}\"\nroles = [\"{role}\"]\npublic_key = \"{}\"\n\n",
            k.key_id(),
            k.public_key().to_base64()
        );
    };
    signer(&scanner, "扫描服务", "scanner");
    let mut reviewers = Vec::new();
    let mut committee_file = PathBuf::new();
    for (i, (name, role)) in people.into_iter().enumerate() {
        let (k, file, _) = write_key_pair(&keys.join(role)).expect("reviewer key");
        signer(&k, name, role);
        if i == 2 {
            committee_file = file;
        }
        reviewers.push(k);
    }
    let trust_file = dir.join("trust.toml");
    std::fs::write(&trust_file, trust).expect("write trust.toml");
    let t = Trust::load(&trust_file).expect("trust.toml parses");
    assert_eq!(t.signers().count(), 4);
    Keys {
        scanner,
        reviewers: reviewers.try_into().expect("three reviewers"),
        scanner_file,
        committee_file,
        trust_file,
    }
}

// ------------------------------------------------------------ the ledger

/// One planned document: its report and what reviewers did with it.
struct Doc {
    report: DocumentReport,
    /// Stages decided (0 = none yet).
    depth: usize,
    /// The last decided stage concluded `withhold`.
    withheld: bool,
    /// The secrecy committee waived its first finding.
    waived: bool,
}

impl Doc {
    fn entries(&self) -> usize {
        1 + self.depth + usize::from(self.waived)
    }
}

fn plan_doc(i: usize, templates: &[DocumentReport]) -> Doc {
    let mut report = templates[i % templates.len()].clone();
    let (dept, abbr) = DEPARTMENTS[(i / templates.len()) % DEPARTMENTS.len()];
    report.path = format!("drafts/2026/{dept}/notice-{i:06}.txt");
    report.sha256 = sha256_hex(format!("baomi ledger_scale draft {i}").as_bytes());
    report.title = Some(format!("关于{dept}2026年第{i}批政务信息公开事项的通知"));
    report.doc_number = Some(format!("{abbr}〔2026〕{i}号"));
    let decided = i.is_multiple_of(10);
    Doc {
        depth: if decided { 1 + (i / 10) % 3 } else { 0 },
        withheld: decided && (i / 10) % 7 == 3,
        waived: decided && i.is_multiple_of(1000) && !report.findings.is_empty(),
        report,
    }
}

/// A `decision` payload exactly as `Store::decide` writes it (the web
/// layer's `review::Decision`, `None` fields left out).
fn decision_payload(stage: usize, doc: &Doc, scan_seq: u64, follows: Option<u64>) -> Value {
    let r = &doc.report;
    let last = stage + 1 == doc.depth;
    let conclusion = if last && doc.withheld {
        "withhold"
    } else if r.verdict == Verdict::Withhold {
        "publish-after-changes"
    } else {
        "publish"
    };
    let mut d = json!({
        "stage": STAGES[stage],
        "role": STAGES[stage],
        "conclusion": conclusion,
        "opinion": OPINIONS[stage],
        "scan_seq": scan_seq,
        "path": r.path,
    });
    if let Some(t) = &r.title {
        d["title"] = t.as_str().into();
    }
    if let Some(n) = &r.doc_number {
        d["doc_number"] = n.as_str().into();
    }
    if let Some(f) = follows {
        d["follows"] = f.into();
    }
    match conclusion {
        "withhold" => d["basis"] =
            "《中华人民共和国保守国家秘密法》第二十条；《中华人民共和国政府信息公开条例》第十四条"
                .into(),
        "publish-after-changes" => {
            d["changes"] = "删除密级标志、工作秘密表述和内部资料标注后公开".into()
        }
        _ => {}
    }
    d
}

/// A `waiver` payload exactly as `Store::waive` writes it (the file was
/// re-read, so `text_key` is present).
fn waiver_payload(doc: &Doc) -> Value {
    let r = &doc.report;
    let f = &r.findings[0];
    json!({
        "rule": &*f.rule,
        "matched_sha256": matched_hash(&r.sha256, &f.matched),
        "text_key": text_key(&f.rule, &f.matched),
        "reason": "经核实为档案提示语，非密级标志",
        "preview": mask(&f.matched),
        "path": r.path,
    })
}

/// What was built, and documents to check the server's answers against.
struct Built {
    docs: usize,
    decisions: usize,
    waivers: usize,
    entries: u64,
    shas: Vec<String>,
    approved: Option<String>,
    withheld: Option<String>,
    /// (sha, findings) of a document with a waived finding.
    waived: Option<(String, usize)>,
    pending_secrecy: usize,
    seconds: f64,
    db_bytes: u64,
}

fn build_ledger(db: &Path, n: usize, keys: &Keys, scanner: &Scanner) -> Built {
    let limits = Limits::default();
    let templates: Vec<DocumentReport> = TEMPLATES
        .iter()
        .enumerate()
        .map(|(i, t)| review_bytes(&format!("template-{i}.txt"), t.as_bytes(), scanner, &limits))
        .collect();
    let fp = scanner.fingerprint();
    let sizes: Vec<usize> = templates
        .iter()
        .enumerate()
        .map(|(i, _)| {
            let mut form = ScanForm::from_report(&plan_doc(i, &templates).report, fp);
            form.signer = keys.scanner.key_id().to_owned();
            form.time = "2026-11-27T11:20:00Z".into();
            serde_json::to_string(&form).map_or(0, |s| s.len())
        })
        .collect();
    let mean_scan_payload = sizes.iter().sum::<usize>() / sizes.len();
    println!(
        "templates: findings {:?}, verdicts {:?}, scan payloads {sizes:?} bytes (mean {mean_scan_payload})",
        templates
            .iter()
            .map(|t| t.findings.len())
            .collect::<Vec<_>>(),
        templates
            .iter()
            .map(|t| t.verdict.as_str())
            .collect::<Vec<_>>(),
    );

    let t0 = Instant::now();
    let ledger = Ledger::open(db).expect("open ledger");
    let mut b = Built {
        docs: 0,
        decisions: 0,
        waivers: 0,
        entries: 0,
        shas: Vec::new(),
        approved: None,
        withheld: None,
        waived: None,
        pending_secrecy: 0,
        seconds: 0.0,
        db_bytes: 0,
    };
    let mut planned = 0usize;
    let mut i = 0usize;
    while planned < n {
        // One chunk of documents, never more entries than asked for.
        let mut docs = Vec::with_capacity(CHUNK);
        while docs.len() < CHUNK && planned < n {
            let mut d = plan_doc(i, &templates);
            if planned + d.entries() > n {
                d.depth = 0;
                d.waived = false;
            }
            planned += d.entries();
            docs.push(d);
            i += 1;
        }
        let reports: Vec<DocumentReport> = docs.iter().map(|d| d.report.clone()).collect();
        let recorded = ledger
            .record_scans(&reports, fp, &keys.scanner)
            .expect("record scans");
        assert!(recorded.iter().all(|r| !r.duplicate));
        let mut last: Vec<Option<u64>> = vec![None; docs.len()];
        for stage in 0..STAGES.len() {
            if stage == 2 {
                // The committee waives a false positive before it decides.
                let items: Vec<NewEntry> = docs
                    .iter()
                    .filter(|d| d.waived)
                    .map(|d| NewEntry {
                        kind: "waiver".into(),
                        doc_sha256: d.report.sha256.clone(),
                        payload: waiver_payload(d),
                    })
                    .collect();
                b.waivers += items.len();
                if !items.is_empty() {
                    ledger
                        .append_batch(items, &keys.reviewers[2])
                        .expect("waivers");
                }
            }
            let mut which = Vec::new();
            let mut items = Vec::new();
            for (j, d) in docs.iter().enumerate() {
                if d.depth > stage {
                    which.push(j);
                    items.push(NewEntry {
                        kind: "decision".into(),
                        doc_sha256: d.report.sha256.clone(),
                        payload: decision_payload(stage, d, recorded[j].seq, last[j]),
                    });
                }
            }
            if items.is_empty() {
                continue;
            }
            b.decisions += items.len();
            let entries = ledger
                .append_batch(items, &keys.reviewers[stage])
                .expect("decisions");
            for (j, e) in which.into_iter().zip(entries) {
                last[j] = Some(e.seq);
            }
        }
        for d in docs {
            let sha = d.report.sha256.clone();
            match (d.depth, d.withheld) {
                (3, false) if b.approved.is_none() => b.approved = Some(sha.clone()),
                (2, false) => b.pending_secrecy += 1,
                (k, true) if k > 0 && b.withheld.is_none() => b.withheld = Some(sha.clone()),
                _ => {}
            }
            if d.waived && b.waived.is_none() {
                b.waived = Some((sha.clone(), d.report.findings.len()));
            }
            b.shas.push(sha);
        }
    }
    b.seconds = t0.elapsed().as_secs_f64();
    b.docs = b.shas.len();
    b.entries = ledger.len().expect("ledger length");
    assert_eq!(b.entries, n as u64);
    let size = |p: PathBuf| std::fs::metadata(p).map_or(0, |m| m.len());
    b.db_bytes = size(db.to_owned()) + size(db.with_extension("db-wal"));
    b
}

// ------------------------------------------------------------ HTTP client

struct Resp {
    status: u16,
    body: Vec<u8>,
}

impl Resp {
    fn json(&self) -> Value {
        serde_json::from_slice(&self.body).unwrap_or(Value::Null)
    }
}

fn timed_out() -> io::Error {
    io::Error::new(
        io::ErrorKind::TimedOut,
        "no complete answer before the deadline",
    )
}

/// One HTTP/1.1 request with `Connection: close`; the whole exchange must
/// end by `deadline`.
fn http(
    port: u16,
    method: &str,
    path: &str,
    headers: &[(&str, &str)],
    body: &[u8],
    deadline: Instant,
) -> io::Result<Resp> {
    let left = || {
        deadline
            .checked_duration_since(Instant::now())
            .filter(|d| !d.is_zero())
            .ok_or_else(timed_out)
    };
    let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, port));
    let mut s = TcpStream::connect_timeout(&addr, left()?)?;
    s.set_nodelay(true)?;
    s.set_write_timeout(Some(left()?))?;
    let mut head = format!(
        "{method} {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\nContent-Length: {}\r\n",
        body.len()
    );
    for (k, v) in headers {
        head += &format!("{k}: {v}\r\n");
    }
    head += "\r\n";
    s.write_all(head.as_bytes())?;
    s.write_all(body)?;
    let mut buf = Vec::new();
    let mut chunk = vec![0u8; 256 << 10];
    loop {
        s.set_read_timeout(Some(left()?))?;
        match s.read(&mut chunk) {
            Ok(0) => break,
            Ok(k) => buf.extend_from_slice(&chunk[..k]),
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e)
                if matches!(
                    e.kind(),
                    io::ErrorKind::WouldBlock | io::ErrorKind::TimedOut
                ) =>
            {
                return Err(timed_out())
            }
            Err(e) => return Err(e),
        }
    }
    let bad = || io::Error::new(io::ErrorKind::InvalidData, "malformed HTTP answer");
    let end = buf
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .ok_or_else(bad)?;
    let head = String::from_utf8_lossy(&buf[..end]).to_ascii_lowercase();
    let status = head
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .ok_or_else(bad)?;
    let mut body = buf.split_off(end + 4);
    if head.contains("transfer-encoding: chunked") {
        body = unchunk(&body).ok_or_else(bad)?;
    }
    Ok(Resp { status, body })
}

fn unchunk(mut b: &[u8]) -> Option<Vec<u8>> {
    let mut out = Vec::new();
    loop {
        let eol = b.windows(2).position(|w| w == b"\r\n")?;
        let size_text = std::str::from_utf8(&b[..eol]).ok()?;
        let size = usize::from_str_radix(size_text.split(';').next()?.trim(), 16).ok()?;
        b = &b[eol + 2..];
        if size == 0 {
            return Some(out);
        }
        out.extend_from_slice(b.get(..size)?);
        b = b.get(size + 2..)?;
    }
}

// ------------------------------------------------------------ the server

/// A `baomi serve` child process, killed when dropped (also on a panic).
struct Server {
    child: Child,
    port: u16,
    spawned: Instant,
    log: PathBuf,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind((Ipv4Addr::LOCALHOST, 0))
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

impl Server {
    fn start(dir: &Path, db: &Path, keys: &Keys, n: usize) -> Server {
        let port = free_port();
        let log = dir.join(format!("serve-{n}.log"));
        let out = std::fs::File::create(&log).expect("server log");
        let err = out.try_clone().expect("server log");
        let listen = format!("127.0.0.1:{port}");
        let mut cmd = Command::new(BIN);
        cmd.arg("serve")
            .arg("--db")
            .arg(db)
            .arg("--trust")
            .arg(&keys.trust_file)
            .arg("--key")
            .arg(&keys.committee_file)
            .arg("--scanner-key")
            .arg(&keys.scanner_file)
            .args(["--listen", &listen])
            .current_dir(dir)
            .stdin(Stdio::null())
            .stdout(out)
            .stderr(err);
        let spawned = Instant::now();
        let child = cmd.spawn().expect("spawn baomi serve");
        Server {
            child,
            port,
            spawned,
            log,
        }
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn log_tail(&self) -> String {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(20)..].join("\n")
    }

    /// Waits for the first 200 answer to `GET path`: (seconds until the
    /// port accepted a connection, seconds until that answer), both from
    /// spawn; `None` for the answer when it took longer than `limit`.
    fn wait_ready(&mut self, path: &str, limit: Duration) -> (f64, Option<f64>) {
        let deadline = self.spawned + limit;
        let addr = SocketAddr::from((Ipv4Addr::LOCALHOST, self.port));
        let listening = loop {
            if let Ok(Some(status)) = self.child.try_wait() {
                panic!("baomi serve exited ({status}):\n{}", self.log_tail());
            }
            if TcpStream::connect_timeout(&addr, Duration::from_millis(100)).is_ok() {
                break self.spawned.elapsed().as_secs_f64();
            }
            assert!(
                Instant::now() < deadline,
                "baomi serve did not listen within {limit:?}:\n{}",
                self.log_tail()
            );
            std::thread::sleep(Duration::from_millis(2));
        };
        loop {
            match http(self.port, "GET", path, &[], b"", deadline) {
                Ok(r) if r.status == 200 => {
                    return (listening, Some(self.spawned.elapsed().as_secs_f64()))
                }
                Ok(r) => panic!(
                    "GET {path}: HTTP {}: {}",
                    r.status,
                    String::from_utf8_lossy(&r.body)
                ),
                Err(e) if e.kind() == io::ErrorKind::TimedOut => return (listening, None),
                Err(_) => std::thread::sleep(Duration::from_millis(5)),
            }
        }
    }
}

// ------------------------------------------------------------ /proc

fn proc_status_kib(pid: u32, field: &str) -> Option<u64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let line = text.lines().find(|l| l.starts_with(field))?;
    line[field.len()..]
        .trim_start_matches(':')
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

/// User + system CPU seconds of a process (clock ticks of 1/100 s, as on
/// every Linux this runs on).
fn proc_cpu_seconds(pid: u32) -> Option<f64> {
    let text = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    let rest = &text[text.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|s| s.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_default()
}

// ------------------------------------------------------------ load phases

#[derive(Clone, Copy, PartialEq, Eq)]
enum Outcome {
    Ok,
    Status(u16),
    Timeout,
    Failed,
}

/// One request: seconds, outcome, body bytes, what went wrong.
type Sample = (f64, Outcome, usize, Option<String>);

#[derive(Clone, Copy)]
enum Job {
    /// A page or API path fetched as is.
    Get(&'static str),
    /// `GET /api/v1/documents/{sha256}` of a random known document.
    Document,
    /// `POST /api/v1/scan?record=true` of a new small draft.
    Scan,
}

impl Job {
    fn name(self) -> String {
        match self {
            Job::Get(p) => format!("GET {p}"),
            Job::Document => "GET /api/v1/documents/{sha}".into(),
            Job::Scan => "POST /api/v1/scan?record=true".into(),
        }
    }
}

/// One route's figures in one phase.
struct RouteStats {
    name: String,
    ok: usize,
    timeouts: usize,
    failed: usize,
    first_failure: Option<String>,
    /// p50 and p99 in seconds; true when that sample was a timeout (the
    /// latency is then at least that).
    p50: (f64, bool),
    p99: (f64, bool),
    per_sec: f64,
    mean_bytes: usize,
}

struct PhaseStats {
    routes: Vec<RouteStats>,
    wall: f64,
    peak_rss_mib: f64,
    server_cpu: f64,
    /// The server went over the RSS cap and was killed mid-phase.
    killed: bool,
}

fn percentile(sorted: &[(f64, bool)], q: f64) -> (f64, bool) {
    if sorted.is_empty() {
        return (f64::NAN, false);
    }
    let i = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len()) - 1;
    sorted[i]
}

/// Runs `groups` (job, threads) against the server until `secs` have
/// passed, plus at most [`GRACE`] for answers in flight.
fn run_phase(
    server: &Server,
    groups: &[(Job, usize)],
    secs: Duration,
    shas: &[String],
    drafts: &AtomicUsize,
    max_rss_kib: u64,
) -> PhaseStats {
    let port = server.port;
    let pid = server.pid();
    let start = Instant::now();
    let stop_sending = start + secs;
    let hard = stop_sending + GRACE;
    let sent = AtomicUsize::new(0);
    let done = AtomicBool::new(false);
    let killed = AtomicBool::new(false);
    let cpu0 = proc_cpu_seconds(pid).unwrap_or(0.0);
    let mut rss_max = 0u64;
    let mut results: Vec<Vec<Sample>> = Vec::new();
    std::thread::scope(|s| {
        let monitor = s.spawn(|| {
            let mut max = 0u64;
            while !done.load(Ordering::Relaxed) {
                max = max.max(proc_status_kib(pid, "VmRSS").unwrap_or(0));
                if max > max_rss_kib && !killed.swap(true, Ordering::Relaxed) {
                    // Protect the (shared) machine: stop this server now.
                    let _ = Command::new("kill")
                        .args(["-KILL", &pid.to_string()])
                        .status();
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            max
        });
        let mut handles = Vec::new();
        for (g, &(job, threads)) in groups.iter().enumerate() {
            for t in 0..threads {
                let sent = &sent;
                handles.push((
                    g,
                    s.spawn(move || {
                        let mut rng = Rng(0x5eed ^ ((g as u64) << 32) ^ t as u64);
                        let mut out = Vec::new();
                        while Instant::now() < stop_sending
                            && sent.fetch_add(1, Ordering::Relaxed) < MAX_REQUESTS
                        {
                            let t0 = Instant::now();
                            let r = match job {
                                Job::Get(path) => http(port, "GET", path, &[], b"", hard),
                                Job::Document => {
                                    let sha = &shas[rng.below(shas.len())];
                                    http(
                                        port,
                                        "GET",
                                        &format!("/api/v1/documents/{sha}"),
                                        &[],
                                        b"",
                                        hard,
                                    )
                                }
                                Job::Scan => {
                                    let k = drafts.fetch_add(1, Ordering::Relaxed);
                                    let draft = format!(
                                        "关于报送第{k}批拟公开政务信息的函\n办函〔2026〕{k}号\n\n\
                                         各单位：现将第{k}批拟公开信息报送如下，请于三日内审核。\n\
                                         联系人：赵某，电话：010-6512{:04}。\n此件不得外传。\n",
                                        k % 10000
                                    );
                                    let name = format!("api-draft-{k}.txt");
                                    http(
                                        port,
                                        "POST",
                                        "/api/v1/scan?record=true",
                                        &[("X-Filename", &name)],
                                        draft.as_bytes(),
                                        hard,
                                    )
                                }
                            };
                            let secs = t0.elapsed().as_secs_f64();
                            out.push(match r {
                                Ok(r) if r.status == 200 => (secs, Outcome::Ok, r.body.len(), None),
                                Ok(r) => (
                                    secs,
                                    Outcome::Status(r.status),
                                    r.body.len(),
                                    Some(format!(
                                        "HTTP {}: {}",
                                        r.status,
                                        String::from_utf8_lossy(&r.body[..r.body.len().min(300)])
                                    )),
                                ),
                                Err(e) if e.kind() == io::ErrorKind::TimedOut => {
                                    (secs, Outcome::Timeout, 0, None)
                                }
                                Err(e) => (secs, Outcome::Failed, 0, Some(e.to_string())),
                            });
                        }
                        out
                    }),
                ));
            }
        }
        results = vec![Vec::new(); groups.len()];
        for (g, h) in handles {
            results[g].extend(h.join().expect("client thread"));
        }
        // Peak of the phase, read before the server is stopped.
        let hwm = proc_status_kib(pid, "VmHWM").unwrap_or(0);
        done.store(true, Ordering::Relaxed);
        rss_max = monitor.join().expect("monitor").max(hwm);
    });
    let wall = start.elapsed().as_secs_f64();
    let server_cpu = proc_cpu_seconds(pid).unwrap_or(cpu0) - cpu0;
    let routes = groups
        .iter()
        .zip(results)
        .map(|(&(job, _), samples)| {
            let mut lat: Vec<(f64, bool)> = samples
                .iter()
                .filter(|s| matches!(s.1, Outcome::Ok | Outcome::Timeout))
                .map(|s| (s.0, s.1 == Outcome::Timeout))
                .collect();
            lat.sort_by(|a, b| a.0.total_cmp(&b.0));
            let ok: Vec<_> = samples.iter().filter(|s| s.1 == Outcome::Ok).collect();
            RouteStats {
                name: job.name(),
                ok: ok.len(),
                timeouts: samples.iter().filter(|s| s.1 == Outcome::Timeout).count(),
                failed: samples
                    .iter()
                    .filter(|s| matches!(s.1, Outcome::Status(_) | Outcome::Failed))
                    .count(),
                first_failure: samples.iter().find_map(|s| s.3.clone()),
                p50: percentile(&lat, 0.50),
                p99: percentile(&lat, 0.99),
                per_sec: ok.len() as f64 / wall,
                mean_bytes: ok.iter().map(|s| s.2).sum::<usize>() / ok.len().max(1),
            }
        })
        .collect();
    PhaseStats {
        routes,
        wall,
        peak_rss_mib: rss_max as f64 / 1024.0,
        server_cpu: server_cpu / wall,
        killed: killed.into_inner(),
    }
}

fn ms((v, censored): (f64, bool)) -> String {
    if v.is_nan() {
        return "–".into();
    }
    format!("{}{:.1} ms", if censored { "≥ " } else { "" }, v * 1e3)
}

fn print_phase(title: &str, p: &PhaseStats) {
    println!(
        "{title}: {:.1} s, server peak RSS {:.0} MiB, server CPU {:.0} % of one core, load {}",
        p.wall,
        p.peak_rss_mib,
        p.server_cpu * 100.0,
        load_average()
    );
    if p.killed {
        println!("  SERVER KILLED: its RSS went over the cap (BAOMI_BENCH_MAX_RSS_MIB); later requests failed");
    }
    for r in &p.routes {
        println!(
            "  {:<34} {:>6} ok {:>8.1} req/s  p50 {:>12}  p99 {:>12}  {} timeouts, {} failed, {:.0} KiB/answer",
            r.name,
            r.ok,
            r.per_sec,
            ms(r.p50),
            ms(r.p99),
            r.timeouts,
            r.failed,
            r.mean_bytes as f64 / 1024.0
        );
        if let Some(f) = &r.first_failure {
            println!("    first failure: {f}");
        }
    }
}

// ------------------------------------------------------------ main

fn median(mut v: Vec<f64>) -> f64 {
    v.sort_by(f64::total_cmp);
    v[v.len() / 2]
}

/// One line of the final table.
struct Row {
    what: String,
    measured: String,
    target: &'static str,
    /// None when there is no target to meet.
    met: Option<bool>,
}

fn main() {
    let whole = Instant::now();
    let n = env_num("BAOMI_BENCH_ENTRIES", 100_000) as usize;
    let phase = Duration::from_secs(env_num("BAOMI_BENCH_PHASE_SECS", 20));
    let scan_phase = Duration::from_secs(env_num("BAOMI_BENCH_SCAN_SECS", 10));
    let max_rss_kib = env_num("BAOMI_BENCH_MAX_RSS_MIB", 8192) * 1024;
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    println!(
        "baomi ledger_scale bench: {n} entries, {cores} cores, load {}, binary {BIN}",
        load_average()
    );
    let dir = tempfile::tempdir().expect("temp dir");
    // `BAOMI_BENCH_KEEP=1` keeps the folder (ledger, keys, trust.toml) for
    // profiling a server by hand afterwards; its path is printed.
    let keep = std::env::var_os("BAOMI_BENCH_KEEP").is_some_and(|v| v == "1");
    let db = dir.path().join("baomi.db");
    let keys = make_keys(dir.path());
    let scanner = Scanner::shipped();
    let mut rows = Vec::new();

    // 1–2. The ledger.
    let built = build_ledger(&db, n, &keys, &scanner);
    println!(
        "built: {} entries ({} scans, {} decisions, {} waivers; {} documents wait for the secrecy committee) in {:.1} s = {:.0} entries/s; database {:.0} MiB ({} bytes/entry)",
        built.entries,
        built.docs,
        built.decisions,
        built.waivers,
        built.pending_secrecy,
        built.seconds,
        built.entries as f64 / built.seconds,
        built.db_bytes as f64 / 1048576.0,
        built.db_bytes / built.entries.max(1)
    );
    rows.push(Row {
        what: format!("build {} entries (library)", built.entries),
        measured: format!(
            "{:.1} s ({:.0}/s)",
            built.seconds,
            built.entries as f64 / built.seconds
        ),
        target: "",
        met: None,
    });
    let t = Instant::now();
    let trust = Trust::load(&keys.trust_file).expect("trust");
    let report = Ledger::open_existing(&db)
        .expect("reopen")
        .verify(Some(&trust))
        .expect("verify");
    assert!(report.ok(), "ledger does not verify: {:?}", report.problem);
    let verify_secs = t.elapsed().as_secs_f64();
    println!(
        "verify with trust file (library): {} entries in {verify_secs:.2} s",
        report.verified
    );
    rows.push(Row {
        what: "ledger verify with trust (library)".into(),
        measured: format!("{verify_secs:.2} s"),
        target: "",
        met: None,
    });

    // 3. `baomi review list`.
    let mut runs = Vec::new();
    let mut lines = 0;
    for _ in 0..LIST_RUNS {
        let t = Instant::now();
        let out = Command::new(BIN)
            .arg("review")
            .arg("list")
            .arg("--db")
            .arg(&db)
            .arg("--trust")
            .arg(&keys.trust_file)
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .expect("run baomi review list");
        let secs = t.elapsed().as_secs_f64();
        assert!(
            out.status.success(),
            "baomi review list: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Two lines per document (fewer documents once the list is paged).
        lines = out.stdout.iter().filter(|&&b| b == b'\n').count();
        assert!(lines > 0, "baomi review list printed nothing");
        runs.push(secs);
        if secs > 30.0 {
            break;
        }
    }
    let listed = lines / 2;
    let list_secs = median(runs.clone());
    println!(
        "baomi review list: {lines} lines (≈ {listed} of {} documents), runs {:?} s, median {list_secs:.2} s",
        built.docs,
        runs.iter()
            .map(|s| (s * 100.0).round() / 100.0)
            .collect::<Vec<_>>()
    );
    rows.push(Row {
        what: format!("baomi review list (≈ {listed} documents shown)"),
        measured: format!("{list_secs:.2} s (median of {})", runs.len()),
        target: "≤ 0.3 s",
        met: Some(list_secs <= 0.3),
    });

    // 4. First answer after start, and a check that the server reads the
    // decisions and waivers as the web layer would have written them.
    let mut starts = 0;
    let mut server = Server::start(dir.path(), &db, &keys, starts);
    starts += 1;
    let (listening, first) = server.wait_ready("/", Duration::from_secs(60));
    println!(
        "baomi serve: listening after {:.2} s, first 200 to GET / after {}",
        listening,
        first.map_or("more than 60 s".into(), |s| format!("{s:.2} s"))
    );
    rows.push(Row {
        what: "first answer to GET / after spawn".into(),
        measured: first.map_or("> 60 s".into(), |s| {
            format!("{s:.2} s (listening {listening:.2} s)")
        }),
        target: "≤ 1 s",
        met: Some(first.is_some_and(|s| s <= 1.0)),
    });
    // One request at a time on an idle server: what each costs alone.
    let get = |path: &str| -> (Value, f64) {
        let t = Instant::now();
        let r = http(
            server.port,
            "GET",
            path,
            &[],
            b"",
            t + Duration::from_secs(120),
        )
        .unwrap_or_else(|e| panic!("GET {path}: {e}"));
        assert_eq!(
            r.status,
            200,
            "GET {path}: {}",
            String::from_utf8_lossy(&r.body)
        );
        (r.json(), t.elapsed().as_secs_f64())
    };
    let mut doc_secs = Vec::new();
    let mut doc = |sha: &str| -> Value {
        let (v, secs) = get(&format!("/api/v1/documents/{sha}"));
        doc_secs.push(secs);
        v
    };
    if let Some(sha) = &built.approved {
        let v = doc(sha);
        assert_eq!(v["status"], "approved", "{v}");
        assert_eq!(v["decisions"].as_array().map(Vec::len), Some(3), "{v}");
    }
    if let Some(sha) = &built.withheld {
        assert_eq!(doc(sha)["status"], "withheld");
    }
    if let Some((sha, total)) = &built.waived {
        let v = doc(sha);
        assert_eq!(v["findings"]["total"].as_u64(), Some(*total as u64), "{v}");
        assert!(
            v["findings"]["open"].as_u64() < Some(*total as u64),
            "the waiver covers nothing: {v}"
        );
    }
    assert_eq!(doc(&built.shas[1])["status"], "pending");
    let (_, queue_secs) = get("/");
    let (_, filtered_secs) = get("/?stage=secrecy-committee");
    let doc_median = median(doc_secs);
    println!(
        "one request at a time: GET / {queue_secs:.3} s, GET /?stage=secrecy-committee {filtered_secs:.3} s, document API {doc_median:.3} s (median); server peak RSS {:.0} MiB",
        proc_status_kib(server.pid(), "VmHWM").unwrap_or(0) as f64 / 1024.0
    );
    rows.push(Row {
        what: "one client, idle server".into(),
        measured: format!(
            "GET / {queue_secs:.3} s, filtered {filtered_secs:.3} s, document {doc_median:.3} s"
        ),
        target: "",
        met: None,
    });
    drop(server);

    // 5. Reads under load, each phase on a fresh server.
    let drafts = AtomicUsize::new(0);
    let mut start_secs = Vec::new();
    let mut peak_rss: f64 = 0.0;
    let mut rss_killed = false;
    let mut fresh = |starts: &mut usize| {
        let mut s = Server::start(dir.path(), &db, &keys, *starts);
        *starts += 1;
        let (_, ready) = s.wait_ready("/api/v1/openapi.json", Duration::from_secs(60));
        start_secs.push(ready.expect("server ready within 60 s"));
        s
    };
    let reads: [(&str, Job); 3] = [
        ("queue page", Job::Get("/")),
        ("filtered queue", Job::Get("/?stage=secrecy-committee")),
        ("document API", Job::Document),
    ];
    for (title, job) in reads {
        let s = fresh(&mut starts);
        let p = run_phase(
            &s,
            &[(job, CLIENTS)],
            phase,
            &built.shas,
            &drafts,
            max_rss_kib,
        );
        print_phase(&format!("{title}, {CLIENTS} clients"), &p);
        peak_rss = peak_rss.max(p.peak_rss_mib);
        rss_killed |= p.killed;
        let r = &p.routes[0];
        let target = if matches!(job, Job::Get("/?stage=secrecy-committee")) {
            ""
        } else {
            "p99 ≤ 50 ms"
        };
        rows.push(Row {
            what: format!("{}, {CLIENTS} clients", r.name),
            measured: format!(
                "p50 {}, p99 {}, {:.1} req/s{}",
                ms(r.p50),
                ms(r.p99),
                r.per_sec,
                if r.timeouts + r.failed > 0 {
                    format!(", {} timeouts, {} failed", r.timeouts, r.failed)
                } else {
                    String::new()
                }
            ),
            target,
            met: (!target.is_empty())
                .then_some(r.p99.0 <= 0.050 && !r.p99.1 && r.ok > 0 && r.failed == 0),
        });
    }
    rows.push(Row {
        what: "server peak RSS (read phases)".into(),
        measured: if rss_killed {
            format!("≥ {peak_rss:.0} MiB (killed at the cap)")
        } else {
            format!("{peak_rss:.0} MiB")
        },
        target: "≤ 200 MiB",
        met: Some(peak_rss <= 200.0),
    });

    // 6. The scan API, alone and with pollers.
    let s = fresh(&mut starts);
    let alone = run_phase(
        &s,
        &[(Job::Scan, SCANNERS)],
        scan_phase,
        &built.shas,
        &drafts,
        max_rss_kib,
    );
    print_phase(&format!("scan API, {SCANNERS} clients"), &alone);
    drop(s);
    let s = fresh(&mut starts);
    let mixed = run_phase(
        &s,
        &[(Job::Scan, SCANNERS), (Job::Document, POLLERS)],
        scan_phase,
        &built.shas,
        &drafts,
        max_rss_kib,
    );
    print_phase(
        &format!("scan API, {SCANNERS} clients + {POLLERS} polling the document API"),
        &mixed,
    );
    drop(s);
    let (a, m) = (alone.routes[0].per_sec, mixed.routes[0].per_sec);
    let ratio = if a > 0.0 { m / a } else { 0.0 };
    rows.push(Row {
        what: format!("scan API, {SCANNERS} clients alone"),
        measured: format!("{a:.1} req/s, p99 {}", ms(alone.routes[0].p99)),
        target: "",
        met: None,
    });
    rows.push(Row {
        what: format!("scan API with {POLLERS} pollers"),
        measured: format!(
            "{m:.1} req/s, p99 {}; pollers {:.1} req/s, p99 {}",
            ms(mixed.routes[0].p99),
            mixed.routes[1].per_sec,
            ms(mixed.routes[1].p99)
        ),
        target: "",
        met: None,
    });
    rows.push(Row {
        what: "scan throughput with / without pollers".into(),
        measured: format!("{:.1} %", ratio * 100.0),
        target: "≥ 80 %",
        met: Some(ratio >= 0.8),
    });
    rows.push(Row {
        what: format!("later server starts until ready ({})", start_secs.len()),
        measured: format!("median {:.2} s", median(start_secs.clone())),
        target: "",
        met: None,
    });

    // 7. The table.
    let total = whole.elapsed().as_secs_f64();
    println!(
        "\nresults ({} entries, {} documents; whole run {total:.0} s; load now {}):",
        built.entries,
        built.docs,
        load_average()
    );
    let w = rows
        .iter()
        .map(|r| r.what.chars().count())
        .max()
        .unwrap_or(0);
    let wm = rows
        .iter()
        .map(|r| r.measured.chars().count())
        .max()
        .unwrap_or(0);
    for r in &rows {
        let verdict = match r.met {
            Some(true) => "met",
            Some(false) => "NOT MET",
            None => "",
        };
        println!(
            "  {}{}  {}{}  {:<12} {verdict}",
            r.what,
            " ".repeat(w - r.what.chars().count()),
            r.measured,
            " ".repeat(wm - r.measured.chars().count()),
            r.target
        );
    }
    if keep {
        println!("kept {}", dir.keep().display());
    }
}

//! Shared by the `web_*` end-to-end tests: a scratch office (keys, trust
//! file, drafts, a real ledger filled by `baomi scan --db`), the real
//! `baomi serve` process, and a minimal HTTP/1.1 client over TCP (enough
//! for loopback tests; no client library needed).

#![allow(dead_code)]

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::Duration;

pub const BIN: &str = env!("CARGO_BIN_EXE_baomi");

/// A draft with markup and control characters that must render as text.
pub const HOSTILE: &str = "关于印发《2026年度工作要点》的通知\n某办发〔2026〕9号\n\n各处室：\n本件为内部资料，注意保存。<script>document.title='pwned';window.__pwned=1</script><img src=x onerror=\"window.__pwned=2\">\n联系人身份证号11010519491231002X。\n终端控制\u{1b}[31m红字\u{1b}[0m与反向\u{202e}文字。\n";

/// The reviewers of the default path, one key each, plus the scanner.
pub const PEOPLE: [(&str, &str, &str); 4] = [
    ("scanner", "扫描服务", "scanner"),
    ("dept", "张部门", "department"),
    ("work", "李工作部", "work-department"),
    ("committee", "王保密委", "secrecy-committee"),
];

pub struct Office {
    pub dir: tempfile::TempDir,
}

impl Office {
    /// Keys for [`PEOPLE`], `trust.toml`, and `drafts/` with the hostile
    /// draft, the clean example and the docx fixture (tracked deletion and
    /// comment findings).
    pub fn new() -> Office {
        let office = Office {
            dir: tempfile::tempdir().unwrap(),
        };
        let mut trust = String::new();
        for (file, person, role) in PEOPLE {
            let out = office.ok(&[
                "key",
                "new",
                &format!("keys/{file}"),
                "--person",
                person,
                "--role",
                role,
            ]);
            let text = String::from_utf8(out.stdout).unwrap();
            let entry = &text[text.find("[[signer]]").expect("trust entry printed")..];
            trust.push_str(entry);
            trust.push('\n');
        }
        std::fs::write(office.path("trust.toml"), trust).unwrap();
        std::fs::create_dir_all(office.path("drafts")).unwrap();
        std::fs::write(office.path("drafts/hostile.txt"), HOSTILE).unwrap();
        let root = Path::new(env!("CARGO_MANIFEST_DIR"));
        std::fs::copy(
            root.join("examples/clean-notice.txt"),
            office.path("drafts/clean-notice.txt"),
        )
        .unwrap();
        std::fs::copy(
            root.join("tests/fixtures/draft.docx"),
            office.path("drafts/draft.docx"),
        )
        .unwrap();
        office
    }

    pub fn path(&self, p: &str) -> PathBuf {
        self.dir.path().join(p)
    }

    /// Runs `baomi ARGS` in the office folder.
    pub fn run(&self, args: &[&str]) -> Output {
        Command::new(BIN)
            .args(args)
            .current_dir(self.dir.path())
            .env("NO_COLOR", "1")
            .output()
            .unwrap()
    }

    /// Runs `baomi ARGS` and insists on exit code 0.
    pub fn ok(&self, args: &[&str]) -> Output {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "baomi {args:?} failed ({:?}):\n{}\n{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        out
    }

    /// `baomi scan --db baomi.db --key keys/scanner.key PATHS`.
    pub fn scan(&self, paths: &[&str]) {
        let mut args = vec!["scan", "--db", "baomi.db", "--key", "keys/scanner.key"];
        args.extend_from_slice(paths);
        let out = self.run(&args);
        assert!(
            out.status.code().is_some_and(|c| c <= 1),
            "scan failed: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// The SHA-256 of a draft, as the ledger knows it.
    pub fn sha_of(&self, draft: &str) -> String {
        use sha2::Digest;
        let bytes = std::fs::read(self.path(draft)).unwrap();
        sha2::Sha256::digest(&bytes)
            .iter()
            .map(|b| format!("{b:02x}"))
            .collect()
    }

    /// The number of ledger entries.
    pub fn entries(&self) -> u64 {
        baomi_ledger::Ledger::open_existing(&self.path("baomi.db"))
            .unwrap()
            .len()
            .unwrap()
    }

    /// `baomi serve` with the given reviewer key on a free loopback port.
    pub fn serve(&self, key: &str, extra: &[&str]) -> Server {
        self.serve_db("baomi.db", key, extra)
    }

    /// [`serve`](Self::serve) on another ledger (a file or postgres://…).
    pub fn serve_db(&self, db: &str, key: &str, extra: &[&str]) -> Server {
        let mut child = Command::new(BIN)
            .args([
                "serve",
                "--db",
                db,
                "--trust",
                "trust.toml",
                "--listen",
                "127.0.0.1:0",
            ])
            .args([
                "--key",
                &format!("keys/{key}.key"),
                "--scanner-key",
                "keys/scanner.key",
            ])
            .args(extra)
            .current_dir(self.dir.path())
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .unwrap();
        let mut line = String::new();
        BufReader::new(child.stdout.take().unwrap())
            .read_line(&mut line)
            .unwrap();
        let addr = line
            .trim()
            .strip_prefix("baomi serve: listening on http://")
            .and_then(|s| s.strip_suffix('/'))
            .unwrap_or_else(|| panic!("unexpected first line from baomi serve: {line:?}"))
            .to_string();
        Server { child, addr }
    }
}

/// A running `baomi serve`; killed on drop.
pub struct Server {
    pub child: Child,
    pub addr: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[derive(Debug)]
pub struct Resp {
    pub status: u16,
    pub headers: Vec<(String, String)>,
    pub body: Vec<u8>,
}

impl Resp {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v.as_str())
    }
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.body).into_owned()
    }
    pub fn json(&self) -> serde_json::Value {
        serde_json::from_slice(&self.body)
            .unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.text()))
    }
}

impl Server {
    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    /// One request; `headers` are added as given (a `Host` header among
    /// them replaces the default).
    pub fn request(&self, method: &str, path: &str, headers: &[(&str, &str)], body: &[u8]) -> Resp {
        let mut s = TcpStream::connect(&self.addr).unwrap();
        s.set_read_timeout(Some(Duration::from_secs(60))).unwrap();
        let mut req = format!(
            "{method} {path} HTTP/1.1\r\nConnection: close\r\nContent-Length: {}\r\n",
            body.len()
        );
        if !headers.iter().any(|(k, _)| k.eq_ignore_ascii_case("host")) {
            req.push_str(&format!("Host: {}\r\n", self.addr));
        }
        for (k, v) in headers {
            req.push_str(&format!("{k}: {v}\r\n"));
        }
        req.push_str("\r\n");
        s.write_all(req.as_bytes()).unwrap();
        // The server may answer (e.g. 413) before reading everything.
        let _ = s.write_all(body);
        let mut raw = Vec::new();
        let _ = s.read_to_end(&mut raw);
        parse(&raw)
    }

    pub fn get(&self, path: &str) -> Resp {
        self.request("GET", path, &[], b"")
    }

    /// A form POST as a browser on this origin sends it.
    pub fn post_form(&self, path: &str, fields: &[(&str, &str)]) -> Resp {
        let body = fields
            .iter()
            .map(|(k, v)| format!("{}={}", enc(k), enc(v)))
            .collect::<Vec<_>>()
            .join("&");
        let origin = format!("http://{}", self.addr);
        self.request(
            "POST",
            path,
            &[
                ("Content-Type", "application/x-www-form-urlencoded"),
                ("Origin", &origin),
            ],
            body.as_bytes(),
        )
    }
}

fn enc(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn parse(raw: &[u8]) -> Resp {
    let split = raw
        .windows(4)
        .position(|w| w == b"\r\n\r\n")
        .unwrap_or_else(|| panic!("no HTTP header end in {:?}", String::from_utf8_lossy(raw)));
    let head = String::from_utf8_lossy(&raw[..split]).into_owned();
    let mut lines = head.split("\r\n");
    let status: u16 = lines
        .next()
        .unwrap()
        .split(' ')
        .nth(1)
        .unwrap()
        .parse()
        .unwrap();
    let headers: Vec<(String, String)> = lines
        .filter_map(|l| l.split_once(':'))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    let mut body = raw[split + 4..].to_vec();
    let chunked = headers.iter().any(|(k, v)| {
        k.eq_ignore_ascii_case("transfer-encoding") && v.eq_ignore_ascii_case("chunked")
    });
    if chunked {
        let mut out = Vec::new();
        let mut rest = &body[..];
        while let Some(p) = rest.windows(2).position(|w| w == b"\r\n") {
            let n =
                usize::from_str_radix(std::str::from_utf8(&rest[..p]).unwrap().trim(), 16).unwrap();
            if n == 0 {
                break;
            }
            out.extend_from_slice(&rest[p + 2..p + 2 + n]);
            rest = &rest[p + 4 + n..];
        }
        body = out;
    }
    Resp {
        status,
        headers,
        body,
    }
}

/// The CSRF token embedded in a page's forms.
pub fn csrf_of(html: &str) -> String {
    let at = html
        .find("name=\"csrf\" value=\"")
        .expect("page has a form with a csrf token")
        + 19;
    html[at..at + 64].to_string()
}

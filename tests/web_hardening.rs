//! `baomi serve` under abuse, against the real binary on loopback: slow
//! and idle clients are disconnected on time, a flood of connections gets
//! 503s without stopping the server, the Host/Origin check cannot be
//! switched off by the listening address, `--public-url` is what is
//! answered to, and every API error is JSON (pages get HTML).
//!
//! Each server runs with short timeouts (about a second) so that the tests
//! stay quick; every wait is bounded.

mod web_support;

use serde_json::Value;
use std::io::{ErrorKind, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use web_support::{Office, Resp, Server, BIN};

/// What a timeout of 1 s may overrun by on a loaded machine (2 shared
/// cores, tests in parallel) before it counts as not enforced.
const SLACK: Duration = Duration::from_millis(2500);

fn connect(server: &Server) -> TcpStream {
    let s = TcpStream::connect(&server.addr).unwrap();
    s.set_read_timeout(Some(Duration::from_millis(100)))
        .unwrap();
    s
}

/// Reads until the server closes the connection (end of stream or reset);
/// returns after how long, or `None` if it was still open after `limit`.
/// What was read meanwhile is appended to `got`.
fn closed_within(s: &mut TcpStream, limit: Duration, got: &mut Vec<u8>) -> Option<Duration> {
    let start = Instant::now();
    let mut buf = [0u8; 4096];
    while start.elapsed() < limit {
        match s.read(&mut buf) {
            Ok(0) => return Some(start.elapsed()),
            Ok(n) => got.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(_) => return Some(start.elapsed()),
        }
    }
    None
}

/// Reads one response on a keep-alive connection (the server always sends
/// Content-Length for these): status and body.
fn read_response(s: &mut TcpStream) -> (u16, String) {
    let start = Instant::now();
    let mut raw = Vec::new();
    let mut buf = [0u8; 4096];
    loop {
        assert!(
            start.elapsed() < Duration::from_secs(30),
            "no whole response"
        );
        if let Some(end) = raw.windows(4).position(|w| w == b"\r\n\r\n") {
            let head = String::from_utf8_lossy(&raw[..end]).to_ascii_lowercase();
            let len: usize = head
                .lines()
                .find_map(|l| l.strip_prefix("content-length:"))
                .map_or(0, |v| v.trim().parse().unwrap());
            if raw.len() >= end + 4 + len {
                let status = head.split(' ').nth(1).unwrap().parse().unwrap();
                let body = String::from_utf8_lossy(&raw[end + 4..end + 4 + len]).into_owned();
                return (status, body);
            }
        }
        match s.read(&mut buf) {
            Ok(0) => panic!("closed mid-response: {}", String::from_utf8_lossy(&raw)),
            Ok(n) => raw.extend_from_slice(&buf[..n]),
            Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
            Err(e) => panic!("{e}"),
        }
    }
}

/// `status`, a JSON body and a non-empty `error` in it.
fn json_error(r: &Resp, status: u16) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("application/json"),
        "{status} is not JSON: {:?} {}",
        r.header("content-type"),
        r.text()
    );
    let e = r.json()["error"].as_str().unwrap_or("").to_string();
    assert!(!e.is_empty(), "{}", r.text());
    e
}

/// `status` and an HTML page.
fn html_error(r: &Resp, status: u16) -> String {
    assert_eq!(r.status, status, "{}", r.text());
    assert!(
        r.header("content-type")
            .unwrap_or("")
            .starts_with("text/html"),
        "{status} is not a page: {:?} {}",
        r.header("content-type"),
        r.text()
    );
    r.text()
}

#[test]
fn a_slowloris_client_is_disconnected_after_the_header_timeout() {
    let office = Office::new();
    let server = office.serve("dept", &["--header-timeout", "1"]);
    let mut s = connect(&server);
    let mut writer = s.try_clone().unwrap();
    let head = format!(
        "GET / HTTP/1.1\r\nHost: {}\r\nUser-Agent: slow\r\nX-Padding: {}\r\n\r\n",
        server.addr,
        "a".repeat(200)
    );
    // One byte every 100 ms: each arrives well within the timeout, the
    // whole head (~250 bytes, 25 s) never does.
    let drip = std::thread::spawn(move || {
        for b in head.bytes() {
            if writer.write_all(&[b]).is_err() {
                return true;
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        false
    });
    let mut got = Vec::new();
    let after = closed_within(&mut s, Duration::from_secs(10), &mut got)
        .expect("a client dripping its headers is still connected after 10 s");
    assert!(
        after >= Duration::from_millis(900) && after <= Duration::from_secs(1) + SLACK,
        "closed after {after:?}, expected about 1 s"
    );
    assert!(
        !String::from_utf8_lossy(&got).contains(" 200 "),
        "the slow request was served"
    );
    drop(s);
    assert!(drip.join().unwrap(), "the server took the whole slow head");
    // And everyone else is still served.
    assert_eq!(server.get("/").status, 200);
}

#[test]
fn idle_keep_alive_connections_and_stalled_bodies_are_closed() {
    let office = Office::new();
    let server = office.serve(
        "dept",
        &[
            "--header-timeout",
            "5",
            "--idle-timeout",
            "1",
            "--body-timeout",
            "1",
        ],
    );
    // Keep-alive works: two requests on one connection...
    let mut s = connect(&server);
    let req = format!(
        "GET /api/v1/openapi.json HTTP/1.1\r\nHost: {}\r\n\r\n",
        server.addr
    );
    for _ in 0..2 {
        s.write_all(req.as_bytes()).unwrap();
        assert_eq!(read_response(&mut s).0, 200);
    }
    // ...and an idle one is closed after the idle timeout, well before the
    // (longer) header timeout.
    let after = closed_within(&mut s, Duration::from_secs(10), &mut Vec::new())
        .expect("an idle keep-alive connection stayed open");
    assert!(
        after >= Duration::from_millis(800) && after <= Duration::from_secs(1) + SLACK,
        "idle connection closed after {after:?}, expected about 1 s"
    );

    // A body that stops coming: 408 in JSON, then closed.
    let mut s = connect(&server);
    let start = Instant::now();
    s.write_all(
        format!(
            "POST /api/v1/scan HTTP/1.1\r\nHost: {}\r\nX-Filename: a.txt\r\nContent-Length: 1000\r\n\r\nonly ten b",
            server.addr
        )
        .as_bytes(),
    )
    .unwrap();
    let mut got = Vec::new();
    closed_within(&mut s, Duration::from_secs(10), &mut got)
        .expect("a stalled body kept the connection open");
    assert!(
        start.elapsed() <= Duration::from_secs(1) + SLACK,
        "stalled body answered after {:?}",
        start.elapsed()
    );
    let text = String::from_utf8_lossy(&got).into_owned();
    assert!(text.starts_with("HTTP/1.1 408"), "{text}");
    let body: Value = serde_json::from_str(&text[text.find("\r\n\r\n").unwrap() + 4..]).unwrap();
    assert!(body["error"].as_str().unwrap().contains("--body-timeout"));
    assert_eq!(server.get("/").status, 200);
}

#[test]
fn a_flood_of_connections_gets_503_and_the_server_keeps_serving() {
    let office = Office::new();
    let server = office.serve("dept", &["--max-connections", "8", "--header-timeout", "1"]);
    let port = server.addr.rsplit(':').next().unwrap().to_string();
    // 20 clients connect and say nothing.
    let mut idle: Vec<TcpStream> = (0..20).map(|_| connect(&server)).collect();
    std::thread::sleep(Duration::from_millis(300));

    // Over the limit: a quick 503, JSON for the API and a page otherwise.
    let start = Instant::now();
    let busy = server.get("/api/v1/openapi.json");
    assert!(json_error(&busy, 503).contains("--max-connections"));
    assert_eq!(busy.header("retry-after"), Some("1"));
    assert!(
        start.elapsed() < Duration::from_millis(900),
        "the 503 took {:?}",
        start.elapsed()
    );
    let page = server.request("GET", "/", &[("Host", &format!("localhost:{port}"))], b"");
    assert!(html_error(&page, 503).contains("--max-connections"));

    // The idle ones are dropped by the header timeout, and a new client is
    // served again.
    let start = Instant::now();
    let served = loop {
        let r = server.get("/api/v1/openapi.json");
        if r.status == 200 {
            break start.elapsed();
        }
        assert_eq!(r.status, 503, "{}", r.text());
        assert!(
            start.elapsed() < Duration::from_secs(1) + SLACK,
            "still busy after {:?}",
            start.elapsed()
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    eprintln!("served again after {served:?}");
    for (i, s) in idle.iter_mut().enumerate() {
        let mut got = Vec::new();
        assert!(
            closed_within(s, Duration::from_secs(3), &mut got).is_some(),
            "idle connection {i} is still open"
        );
        assert!(got.is_empty() || got.starts_with(b"HTTP/1.1 "));
    }
}

/// `baomi serve ARGS` that must refuse to start: its stderr. Killed at
/// once (and failed) if it says it is listening, or is still running
/// after 30 s.
fn refused(office: &Office, args: &[&str]) -> String {
    let mut child = Command::new(BIN)
        .args(["serve", "--db", "baomi.db", "--trust", "trust.toml"])
        .args(["--key", "keys/dept.key"])
        .args(args)
        .current_dir(office.dir.path())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in std::io::BufRead::lines(std::io::BufReader::new(stdout)) {
            let Ok(line) = line else { break };
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let mut stderr = child.stderr.take().unwrap();
    let errors = std::thread::spawn(move || {
        let mut err = String::new();
        let _ = stderr.read_to_string(&mut err);
        err
    });
    let start = Instant::now();
    let status = loop {
        if let Some(st) = child.try_wait().unwrap() {
            break st;
        }
        // Anything on stdout is the "listening" line: it started.
        if rx.try_recv().is_ok() || start.elapsed() > Duration::from_secs(30) {
            let _ = child.kill();
            let _ = child.wait();
            panic!("baomi serve {args:?} started instead of refusing");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let out: Vec<String> = rx.try_iter().collect();
    let out = out.join("\n");
    let err = errors.join().unwrap();
    assert!(!status.success(), "{args:?} exited 0:\n{out}\n{err}");
    assert!(!out.contains("listening"), "{args:?}: {out}");
    err
}

#[test]
fn a_non_loopback_address_needs_public_url_or_allow_host() {
    let office = Office::new();
    for listen in ["0.0.0.0:0", "[::]:0"] {
        let err = refused(&office, &["--listen", listen]);
        assert!(
            err.contains("refusing to listen")
                && err.contains("--public-url https://")
                && err.contains("--allow-host NAME:"),
            "{listen}: {err}"
        );
    }
    // A specific address (TEST-NET-1, refused before any bind is tried).
    let err = refused(&office, &["--listen", "192.0.2.7:8080"]);
    assert!(err.contains("--allow-host 192.0.2.7:8080"), "{err}");
    // Refused before the ledger is created.
    assert!(!office.path("baomi.db").exists());
    // A public URL the server could not be at.
    for (url, why) in [
        ("reviewers.example", "whole URL"),
        ("ftp://reviewers.example/", "http or https"),
        ("https://reviewers.example/baomi/", "root"),
        ("https://user@reviewers.example/", "user name"),
        ("https://reviewers.example:0/", "port"),
    ] {
        let err = refused(&office, &["--public-url", url]);
        assert!(err.contains(why), "{url}: {err}");
    }
}

#[test]
fn the_public_url_is_answered_to_and_posts_must_come_from_it() {
    let office = Office::new();
    office.scan(&["drafts/"]);
    let sha = office.sha_of("drafts/hostile.txt");
    let server = office.serve("dept", &["--public-url", "http://reviewers.example:8080/"]);
    let public = "reviewers.example:8080";
    let origin = "http://reviewers.example:8080";

    // DNS rebinding: a foreign Host gets nothing, not even who signs here.
    let page = server.request("GET", "/", &[("Host", "evil.example")], b"");
    let text = html_error(&page, 421);
    assert!(!text.contains("张部门") && !text.contains("csrf"), "{text}");
    let api = server.request(
        "GET",
        "/api/v1/openapi.json",
        &[("Host", "evil.example")],
        b"",
    );
    assert!(json_error(&api, 421).contains("reviewers.example:8080"));

    // The public name is served; a form from it is signed.
    let doc = server.request(
        "GET",
        &format!("/documents/{sha}"),
        &[("Host", public)],
        b"",
    );
    assert_eq!(doc.status, 200);
    let token = web_support::csrf_of(&doc.text());
    let form = format!(
        "csrf={token}&stage=department&conclusion=withhold&opinion=x&basis=%E4%B8%AA%E4%BA%BA%E4%BF%A1%E6%81%AF"
    );
    let decide = format!("/documents/{sha}/decide");
    let post = |headers: &[(&str, &str)], body: &str| {
        let mut h = vec![
            ("Host", public),
            ("Content-Type", "application/x-www-form-urlencoded"),
        ];
        h.extend_from_slice(headers);
        server.request("POST", &decide, &h, body.as_bytes())
    };
    let before = office.entries();
    for bad in [
        ("Origin", "http://evil.example"),
        ("Origin", "https://reviewers.example:8080"),
        ("Origin", "null"),
        ("Referer", "http://evil.example/documents/x"),
    ] {
        let r = post(&[bad], &form);
        assert!(html_error(&r, 403).contains("refused"), "{bad:?}");
    }
    assert_eq!(office.entries(), before, "refused posts wrote nothing");
    let r = post(
        &[("Referer", &format!("{origin}/documents/{sha}"))],
        "csrf=0&stage=department",
    );
    assert_eq!(
        r.status, 403,
        "a same-origin Referer passes to the token check"
    );
    assert!(r.text().contains("表单已失效"), "{}", r.text());
    let r = post(&[("Origin", origin)], &form);
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(office.entries(), before + 1);

    // The API: an Origin must match too; tools that send none pass.
    let draft = b"clean text";
    let scan = |headers: &[(&str, &str)]| {
        let mut h = vec![("Host", public), ("X-Filename", "a.txt")];
        h.extend_from_slice(headers);
        server.request("POST", "/api/v1/scan", &h, draft)
    };
    assert!(json_error(&scan(&[("Origin", "http://evil.example")]), 403).contains(origin));
    assert_eq!(scan(&[("Origin", origin)]).status, 200);
    assert_eq!(scan(&[]).status, 200);
    drop(server);

    // Behind a TLS proxy: the Host a browser sends has no port, and the
    // origin is https.
    let server = office.serve("dept", &["--public-url", "https://baomi.office.lan/"]);
    for host in ["baomi.office.lan", "BAOMI.office.lan:443"] {
        let r = server.request("GET", "/", &[("Host", host)], b"");
        assert_eq!(r.status, 200, "{host}");
    }
    let scan = |origin: &str| {
        server.request(
            "POST",
            "/api/v1/scan",
            &[
                ("Host", "baomi.office.lan"),
                ("X-Filename", "a.txt"),
                ("Origin", origin),
            ],
            draft,
        )
    };
    assert_eq!(scan("https://baomi.office.lan").status, 200);
    assert_eq!(scan("http://baomi.office.lan").status, 403);
    let r = server.request("GET", "/", &[("Host", "baomi.office.lan:8443")], b"");
    assert_eq!(r.status, 421);
}

#[test]
fn api_errors_are_json_and_page_errors_are_html() {
    let office = Office::new();
    office.scan(&["drafts/hostile.txt"]);
    let sha = office.sha_of("drafts/hostile.txt");
    let server = office.serve("dept", &["--max-body", "100"]);
    let none = "0".repeat(64);

    // 405: a wrong method on an API route, with the method to use.
    for (method, path, allowed) in [
        ("DELETE", "/api/v1/scan".to_string(), "POST"),
        ("GET", "/api/v1/scan".to_string(), "POST"),
        ("POST", format!("/api/v1/documents/{none}"), "GET"),
    ] {
        let r = server.request(method, &path, &[("X-Filename", "a.txt")], b"x");
        assert!(json_error(&r, 405).contains(allowed), "{method} {path}");
        assert!(r.header("allow").unwrap_or("").contains(allowed));
    }
    // 404.
    assert!(json_error(&server.get("/api/v1/nothing"), 404).contains("/api/v1/nothing"));
    assert!(json_error(&server.get(&format!("/api/v1/documents/{none}")), 404).len() > 1);
    // 400 from the query extractor (a field given twice), and the
    // handler's own.
    let r = server.request(
        "POST",
        "/api/v1/scan?record=true&record=false",
        &[("X-Filename", "a.txt")],
        b"x",
    );
    assert!(json_error(&r, 400).contains("record"));
    json_error(&server.get("/api/v1/documents/xyz"), 400);
    // 413.
    let r = server.request(
        "POST",
        "/api/v1/scan",
        &[("X-Filename", "a.txt")],
        &[b'a'; 1000],
    );
    json_error(&r, 413);
    // 431 and 414.
    let big = "b".repeat(40 << 10);
    let r = server.request("GET", "/api/v1/openapi.json", &[("X-Big", &big)], b"");
    assert!(json_error(&r, 431).contains("headers"));
    let r = server.get(&format!("/api/v1/openapi.json?{}", "q".repeat(9 << 10)));
    json_error(&r, 414);

    // Pages: HTML for the same kinds of error.
    html_error(&server.get("/nothing"), 404);
    html_error(&server.get(&format!("/documents/{sha}/decide")), 405);
    html_error(&server.get("/?before=yesterday"), 400);
    html_error(&server.request("GET", "/", &[("X-Big", &big)], b""), 431);
    let r = server.request(
        "POST",
        &format!("/documents/{sha}/decide"),
        &[("Content-Type", "application/x-www-form-urlencoded")],
        &vec![b'a'; 2 << 20],
    );
    html_error(&r, 413);
    // Every answer still carries the security headers.
    assert!(r
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'none'"));
}

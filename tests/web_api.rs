//! The HTTP side of `baomi serve`, against the real binary: the scan API
//! (same JSON as `baomi scan --format json`), recording, document status,
//! size cap, JSON errors, the OpenAPI description checked against what the
//! server really answers, and the request guards (CSRF, Origin, Host, no
//! state-changing GET). Timeouts, the connection limit, `--public-url` and
//! the JSON form of every API error: `web_hardening.rs`.

mod web_support;

use serde_json::Value;
use web_support::{csrf_of, Office, Resp, Server};

/// Checks `value` against the subset of JSON Schema the description uses
/// (type, required, properties, items, enum, $ref); returns the first
/// mismatch.
fn check(spec: &Value, schema: &Value, value: &Value, at: &str) -> Result<(), String> {
    if let Some(r) = schema.get("$ref").and_then(Value::as_str) {
        let mut target = spec;
        for part in r.trim_start_matches("#/").split('/') {
            target = &target[part];
        }
        return check(spec, target, value, at);
    }
    if let Some(t) = schema.get("type") {
        let types: Vec<&str> = match t {
            Value::String(s) => vec![s.as_str()],
            Value::Array(a) => a.iter().filter_map(Value::as_str).collect(),
            _ => vec![],
        };
        let ok = types.iter().any(|t| match *t {
            "object" => value.is_object(),
            "array" => value.is_array(),
            "string" => value.is_string(),
            "integer" => value.is_u64() || value.is_i64(),
            "number" => value.is_number(),
            "boolean" => value.is_boolean(),
            "null" => value.is_null(),
            _ => false,
        });
        if !ok {
            return Err(format!("{at}: expected {types:?}, got {value}"));
        }
    }
    if let Some(e) = schema.get("enum").and_then(Value::as_array) {
        if !e.contains(value) {
            return Err(format!("{at}: {value} not in {e:?}"));
        }
    }
    if let Some(req) = schema.get("required").and_then(Value::as_array) {
        for k in req.iter().filter_map(Value::as_str) {
            if value.get(k).is_none() {
                return Err(format!("{at}: missing required `{k}` in {value}"));
            }
        }
    }
    if let (Some(props), Some(obj)) = (
        schema.get("properties").and_then(Value::as_object),
        value.as_object(),
    ) {
        for (k, s) in props {
            if let Some(v) = obj.get(k) {
                check(spec, s, v, &format!("{at}.{k}"))?;
            }
        }
    }
    if let (Some(items), Some(arr)) = (schema.get("items"), value.as_array()) {
        for (i, v) in arr.iter().enumerate() {
            check(spec, items, v, &format!("{at}[{i}]"))?;
        }
    }
    Ok(())
}

/// Asserts that the response's status is documented for the operation and
/// that its JSON body matches the documented schema.
fn conforms(spec: &Value, method: &str, path: &str, resp: &Resp) {
    let op = &spec["paths"][path][method];
    assert!(op.is_object(), "{method} {path} is not described");
    let code = resp.status.to_string();
    let mut r = &op["responses"][&code];
    assert!(
        r.is_object(),
        "{method} {path} answered {code}, which is not described: {}",
        resp.text()
    );
    if let Some(reference) = r.get("$ref").and_then(Value::as_str) {
        r = &spec["components"]["responses"][reference.rsplit('/').next().unwrap()];
    }
    assert!(resp
        .header("content-type")
        .unwrap_or("")
        .starts_with("application/json"));
    let schema = &r["content"]["application/json"]["schema"];
    check(
        spec,
        schema,
        &resp.json(),
        &format!("{method} {path} {code}"),
    )
    .unwrap();
}

fn spec_of(server: &Server) -> Value {
    let r = server.get("/api/v1/openapi.json");
    assert_eq!(r.status, 200);
    r.json()
}

#[test]
fn the_openapi_description_covers_every_route_and_matches_the_answers() {
    let office = Office::new();
    office.scan(&["drafts/"]);
    let server = office.serve("committee", &["--max-body", "4096"]);
    let spec = spec_of(&server);
    // The checked-in file is what is served.
    let file: Value = serde_json::from_str(baomi_web::OPENAPI).unwrap();
    assert_eq!(spec, file);
    // Every route the router serves is described, and nothing more.
    let described: Vec<(String, String)> = spec["paths"]
        .as_object()
        .unwrap()
        .iter()
        .flat_map(|(p, ops)| {
            ops.as_object()
                .unwrap()
                .keys()
                .map(move |m| (m.clone(), p.clone()))
        })
        .collect();
    let served: Vec<(String, String)> = baomi_web::api_routes()
        .iter()
        .map(|(m, p)| (m.to_string(), p.to_string()))
        .collect();
    for r in &served {
        assert!(described.contains(r), "{r:?} is served but not described");
    }
    for d in &described {
        assert!(served.contains(d), "{d:?} is described but not served");
        // And the server really answers it (no 405, no fallback 404).
        let path = d.1.replace("{sha256}", &"0".repeat(64));
        let r = server.request(&d.0.to_uppercase(), &path, &[("X-Filename", "a.txt")], b"x");
        assert_ne!(r.status, 405, "{d:?}");
        assert!(!r.text().contains("no such API route"), "{d:?}");
    }

    let draft = std::fs::read(office.path("drafts/hostile.txt")).unwrap();
    let scan = "/api/v1/scan";
    let ok = server.request("POST", scan, &[("X-Filename", "hostile.txt")], &draft);
    assert_eq!(ok.status, 200, "{}", ok.text());
    conforms(&spec, "post", scan, &ok);
    let too_big = server.request(
        "POST",
        scan,
        &[("X-Filename", "big.txt")],
        &vec![b'a'; 10_000],
    );
    assert_eq!(too_big.status, 413);
    conforms(&spec, "post", scan, &too_big);
    let no_name = server.request("POST", scan, &[], &draft);
    assert_eq!(no_name.status, 400);
    conforms(&spec, "post", scan, &no_name);
    assert!(no_name.json()["error"]
        .as_str()
        .unwrap()
        .contains("X-Filename"));

    let sha = office.sha_of("drafts/hostile.txt");
    let doc = "/api/v1/documents/{sha256}";
    let found = server.get(&format!("/api/v1/documents/{sha}"));
    assert_eq!(found.status, 200);
    conforms(&spec, "get", doc, &found);
    let missing = server.get(&format!("/api/v1/documents/{}", "0".repeat(64)));
    assert_eq!(missing.status, 404);
    conforms(&spec, "get", doc, &missing);
    let bad = server.get("/api/v1/documents/not-a-hash");
    assert_eq!(bad.status, 400);
    conforms(&spec, "get", doc, &bad);

    let unknown = server.get("/api/v1/nothing");
    assert_eq!(unknown.status, 404);
    assert!(unknown.json()["error"].is_string());

    // The server's own refusals are described too (and are JSON).
    let foreign = server.request(
        "POST",
        scan,
        &[("X-Filename", "a.txt"), ("Origin", "http://evil.example")],
        &draft,
    );
    assert_eq!(foreign.status, 403);
    conforms(&spec, "post", scan, &foreign);
    let rebound = server.request("GET", API_OPENAPI, &[("Host", "evil.example")], b"");
    assert_eq!(rebound.status, 421);
    conforms(&spec, "get", API_OPENAPI, &rebound);
    let big = "b".repeat(40 << 10);
    let headers = server.request(
        "GET",
        &format!("/api/v1/documents/{sha}"),
        &[("X-Big", &big)],
        b"",
    );
    assert_eq!(headers.status, 431);
    conforms(&spec, "get", doc, &headers);
}

const API_OPENAPI: &str = "/api/v1/openapi.json";

#[test]
fn the_scan_api_answers_like_the_cli_and_records_on_request() {
    let office = Office::new();
    let server = office.serve("committee", &[]);
    let draft = std::fs::read(office.path("drafts/draft.docx")).unwrap();

    let cli = office.run(&["scan", "--format", "json", "drafts/draft.docx"]);
    let mut expected: Value = serde_json::from_slice(&cli.stdout).unwrap();
    expected["documents"][0]["path"] = "draft.docx".into();

    // Non-ASCII names are percent-encoded.
    let resp = server.request(
        "POST",
        "/api/v1/scan",
        &[("X-Filename", "%E8%8D%89%E7%A8%BF/draft.docx")],
        &draft,
    );
    assert_eq!(resp.status, 200, "{}", resp.text());
    assert_eq!(resp.json(), expected);
    assert_eq!(
        office.entries(),
        0,
        "nothing is recorded without record=true"
    );

    let resp = server.request(
        "POST",
        "/api/v1/scan?record=true",
        &[("X-Filename", "draft.docx")],
        &draft,
    );
    assert_eq!(resp.status, 200);
    let v = resp.json();
    assert_eq!(v["documents"], expected["documents"]);
    assert_eq!(v["recorded"]["duplicate"], false);
    let seq = v["recorded"]["seq"].as_u64().unwrap();
    let again = server
        .request(
            "POST",
            "/api/v1/scan?record=1",
            &[("X-Filename", "draft.docx")],
            &draft,
        )
        .json();
    assert_eq!(again["recorded"]["seq"].as_u64(), Some(seq));
    assert_eq!(again["recorded"]["duplicate"], true);

    let sha = expected["documents"][0]["sha256"].as_str().unwrap();
    let status = server.get(&format!("/api/v1/documents/{sha}")).json();
    assert_eq!(status["status"], "pending");
    assert_eq!(status["waiting_for"], "department");
    assert_eq!(status["may_publish"], false);
    assert_eq!(status["scan_seq"].as_u64(), Some(seq));

    // Uploaded drafts were never on disk, but recording kept their bytes
    // in the draft archive: the page shows each finding in its context.
    let page = server.get(&format!("/documents/{sha}")).text();
    assert!(!page.contains("仅显示账本中的遮蔽预览"), "{page}");
    assert!(
        page.contains("<mark class=\"hit\">11010519491231002X</mark>"),
        "{page}"
    );
    let archived = office.path("baomi.db.archive").join(&sha[..2]);
    assert!(
        std::fs::read_dir(&archived).unwrap().any(|e| e
            .unwrap()
            .file_name()
            .to_string_lossy()
            .starts_with(&sha[2..])),
        "no copy of {sha} in {}",
        archived.display()
    );
}

#[test]
fn may_publish_only_after_every_stage_and_only_for_the_current_revision() {
    let office = Office::new();
    office.scan(&["drafts/clean-notice.txt"]);
    let sha = office.sha_of("drafts/clean-notice.txt");
    for (stage, key) in [
        ("department", "dept"),
        ("work-department", "work"),
        ("secrecy-committee", "committee"),
    ] {
        office.ok(&[
            "review",
            "decide",
            &sha,
            "--stage",
            stage,
            "--conclusion",
            "publish",
            "--opinion",
            "未发现涉密内容，同意公开",
            "--key",
            &format!("keys/{key}.key"),
        ]);
    }
    let server = office.serve("committee", &[]);
    let status = server.get(&format!("/api/v1/documents/{sha}")).json();
    assert_eq!(status["status"], "approved");
    assert_eq!(status["may_publish"], true);
    assert_eq!(status["decisions"].as_array().unwrap().len(), 3);
    assert_eq!(status["decisions"][2]["signer"]["name"], "王保密委");
    assert_eq!(status["changes_required"], false);

    // Approved only after changes: these bytes may not go out.
    office.scan(&["drafts/hostile.txt"]);
    let hostile = office.sha_of("drafts/hostile.txt");
    for (stage, key) in [
        ("department", "dept"),
        ("work-department", "work"),
        ("secrecy-committee", "committee"),
    ] {
        office.ok(&[
            "review",
            "decide",
            &hostile,
            "--stage",
            stage,
            "--conclusion",
            "publish-after-changes",
            "--changes",
            "删除身份证号",
            "--opinion",
            "删除后公开",
            "--key",
            &format!("keys/{key}.key"),
        ]);
    }
    let status = server.get(&format!("/api/v1/documents/{hostile}")).json();
    assert_eq!(status["status"], "approved");
    assert_eq!(status["changes_required"], true);
    assert_eq!(status["may_publish"], false);

    let mut text = std::fs::read_to_string(office.path("drafts/clean-notice.txt")).unwrap();
    text.push_str("\n补充一句。\n");
    std::fs::write(office.path("drafts/clean-notice.txt"), text).unwrap();
    office.scan(&["drafts/clean-notice.txt"]);
    let status = server.get(&format!("/api/v1/documents/{sha}")).json();
    assert_eq!(status["may_publish"], false, "a newer revision was scanned");
    let newer = office.sha_of("drafts/clean-notice.txt");
    assert_eq!(status["superseded_by"], newer);
    let page = server.get(&format!("/documents/{sha}")).text();
    assert!(page.contains("同一文件的其他版本") && page.contains(&format!("/documents/{newer}")));
    assert!(page.contains("此文件已有新版本"));
}

#[test]
fn forms_need_the_token_and_refusals_write_nothing() {
    let office = Office::new();
    office.scan(&["drafts/"]);
    let sha = office.sha_of("drafts/hostile.txt");
    let server = office.serve("work", &[]);
    let page = server.get(&format!("/documents/{sha}"));
    assert_eq!(page.status, 200);
    assert!(page
        .header("content-security-policy")
        .unwrap()
        .contains("default-src 'none'"));
    let token = csrf_of(&page.text());
    let decide = format!("/documents/{sha}/decide");
    let before = office.entries();

    // No state-changing GET.
    assert_eq!(server.get(&decide).status, 405);
    // Missing or wrong token.
    let fields = |csrf: &'static str| {
        vec![
            ("csrf", csrf),
            ("stage", "department"),
            ("conclusion", "withhold"),
            ("opinion", "x"),
            ("basis", "y"),
        ]
    };
    assert_eq!(server.post_form(&decide, &fields("")).status, 403);
    assert_eq!(server.post_form(&decide, &fields("0000")).status, 403);
    assert_eq!(
        server.post_form(&decide, &[]).status,
        403,
        "a bare post is refused as such"
    );
    // Right token from a foreign origin, or marked cross-site by the browser.
    let body = format!("csrf={token}&stage=department&conclusion=withhold&opinion=x&basis=y");
    for extra in [
        ("Origin", "http://evil.example"),
        ("Sec-Fetch-Site", "cross-site"),
    ] {
        let r = server.request(
            "POST",
            &decide,
            &[("Content-Type", "application/x-www-form-urlencoded"), extra],
            body.as_bytes(),
        );
        assert_eq!(r.status, 403, "{extra:?}");
    }
    // DNS rebinding: a foreign Host is refused.
    assert_eq!(
        server
            .request("GET", "/", &[("Host", "evil.example")], b"")
            .status,
        421
    );

    // Valid token, but this key (work department) lacks the department role.
    let r = server.post_form(
        &decide,
        &[
            ("csrf", &token),
            ("stage", "department"),
            ("conclusion", "withhold"),
            ("opinion", "x"),
            ("basis", "y"),
        ],
    );
    assert_eq!(r.status, 403);
    assert!(
        r.text().contains("lacks the role `department`"),
        "{}",
        r.text()
    );
    // Incomplete: no conclusion.
    let r = server.post_form(&decide, &[("csrf", &token), ("stage", "department")]);
    assert_eq!(r.status, 400);
    assert!(r.text().contains("未知的审查结论"), "{}", r.text());
    // Out of order.
    let r = server.post_form(
        &decide,
        &[
            ("csrf", &token),
            ("stage", "work-department"),
            ("conclusion", "withhold"),
            ("opinion", "x"),
            ("basis", "y"),
        ],
    );
    assert_eq!(r.status, 409);
    assert!(r.text().contains("stages happen in order"), "{}", r.text());
    // Waivers need the secrecy-committee role.
    let r = server.post_form(
        &format!("/documents/{sha}/waive"),
        &[
            ("csrf", &token),
            ("rule", "internal.marking"),
            ("matched_sha256", "00"),
            ("reason", "x"),
        ],
    );
    assert_eq!(r.status, 403, "{}", r.text());
    assert_eq!(office.entries(), before, "refused requests wrote nothing");

    // The form works for the key that holds the role.
    drop(server);
    let server = office.serve("dept", &[]);
    let token = csrf_of(&server.get(&format!("/documents/{sha}")).text());
    let r = server.post_form(
        &decide,
        &[
            ("csrf", &token),
            ("stage", "department"),
            ("conclusion", "withhold"),
            ("opinion", "含身份证号"),
            ("basis", "《个人信息保护法》第二十八条"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(office.entries(), before + 1);
    let page = server.get(&format!("/documents/{sha}?done=decided")).text();
    assert!(page.contains("审查意见已签名并记入账本") && page.contains("不予公开（部门申请）"));
    // The path has ended: no decision form any more.
    assert!(!page.contains("form class=\"decide\""));
}

#[test]
fn a_committee_member_waives_a_finding_in_the_ui() {
    let office = Office::new();
    office.scan(&["drafts/hostile.txt"]);
    let sha = office.sha_of("drafts/hostile.txt");
    let server = office.serve("committee", &[]);
    let page = server.get(&format!("/documents/{sha}")).text();
    let token = csrf_of(&page);
    let at = page.find("name=\"matched_sha256\" value=\"").unwrap() + 29;
    let hash = page[at..at + 64].to_string();
    let before = office.entries();
    let waive = format!("/documents/{sha}/waive");
    let empty = server.post_form(
        &waive,
        &[
            ("csrf", &token),
            ("rule", "internal.marking"),
            ("matched_sha256", &hash),
            ("reason", " "),
        ],
    );
    assert_eq!(empty.status, 409);
    assert!(empty.text().contains("needs a reason"));
    let r = server.post_form(
        &waive,
        &[
            ("csrf", &token),
            ("rule", "internal.marking"),
            ("matched_sha256", &hash),
            ("reason", "<b>书名</b>，非标志"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    assert_eq!(office.entries(), before + 1);
    let page = server.get(&format!("/documents/{sha}?done=waived")).text();
    assert!(page.contains("豁免已签名并记入账本"));
    assert!(
        page.contains("已豁免（误报）：&lt;b&gt;书名&lt;/b&gt;，非标志 — 王保密委"),
        "{page}"
    );
    // The same finding cannot be waived twice.
    let again = server.post_form(
        &waive,
        &[
            ("csrf", &token),
            ("rule", "internal.marking"),
            ("matched_sha256", &hash),
            ("reason", "x"),
        ],
    );
    assert_eq!(again.status, 409);
    assert_eq!(office.entries(), before + 1);
}

#[test]
fn only_the_listening_address_and_allowed_hosts_are_answered() {
    let office = Office::new();
    let server = office.serve("dept", &["--allow-host", "review.example:443"]);
    let port = server.addr.rsplit(':').next().unwrap().to_string();
    for host in [
        server.addr.clone(),
        format!("localhost:{port}"),
        "review.example:443".into(),
    ] {
        assert_eq!(
            server.request("GET", "/", &[("Host", &host)], b"").status,
            200,
            "{host}"
        );
    }
    for host in ["evil.example", "review.example:80", "127.0.0.1:1"] {
        let r = server.request("GET", "/api/v1/openapi.json", &[("Host", host)], b"");
        assert_eq!(r.status, 421, "{host}");
        assert!(r.json()["error"]
            .as_str()
            .unwrap()
            .contains("unexpected Host"));
    }
}

#[test]
fn the_queue_filters_by_stage_status_and_verdict() {
    let office = Office::new();
    office.scan(&["drafts/"]);
    let hostile = office.sha_of("drafts/hostile.txt");
    let clean = office.sha_of("drafts/clean-notice.txt");
    office.ok(&[
        "review",
        "decide",
        &clean,
        "--stage",
        "department",
        "--conclusion",
        "publish",
        "--opinion",
        "同意",
        "--key",
        "keys/dept.key",
    ]);
    let server = office.serve("work", &[]);
    let has = |q: &str, sha: &str| server.get(q).text().contains(&format!("/documents/{sha}"));
    assert!(has("/", &hostile) && has("/", &clean));
    assert!(has("/?stage=work-department", &clean) && !has("/?stage=work-department", &hostile));
    assert!(has("/?stage=department&verdict=withhold", &hostile));
    assert!(!has("/?verdict=clear", &hostile) && has("/?verdict=clear", &clean));
    assert!(!has("/?status=approved", &clean));
    let bad = server.get("/?status=nonsense");
    assert!(bad.status >= 400 && bad.text().contains("unknown status"));
}

#[test]
fn serve_listens_on_loopback_by_default() {
    let office = Office::new();
    let help = String::from_utf8(office.ok(&["serve", "--help"]).stdout).unwrap();
    assert!(help.contains("[default: 127.0.0.1:8080]"), "{help}");
}

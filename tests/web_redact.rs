//! Redaction from the reviewer side, against the real `baomi serve`: the
//! `POST /api/v1/redact` API (the copy in the answer, recorded on request)
//! and the document page's button (CSRF like every form), whose copy is a
//! new document in the queue that links back to the original.

mod web_support;

use base64::Engine as _;
use web_support::{csrf_of, Office};

#[test]
fn the_api_returns_a_proven_copy_and_records_it_on_request() {
    let office = Office::new();
    office.scan(&["drafts/"]);
    let server = office.serve("committee", &[]);
    let before = office.entries();

    let draft = "公示\n联系电话：13812345678\n".as_bytes();
    let r = server.request("POST", "/api/v1/redact", &[("X-Filename", "a.txt")], draft);
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    let copy = base64::engine::general_purpose::STANDARD
        .decode(v["copy"]["content_base64"].as_str().unwrap())
        .unwrap();
    assert_eq!(
        String::from_utf8(copy).unwrap(),
        "公示\n联系电话：138****5678\n"
    );
    assert_eq!(v["proof"]["verdict"], "clear");
    assert_eq!(v["copy"]["name"], "a.redacted.txt");
    assert!(v.get("recorded").is_none());
    assert_eq!(
        office.entries(),
        before,
        "nothing recorded without record=true"
    );

    let r = server.request(
        "POST",
        "/api/v1/redact?record=true",
        &[("X-Filename", "a.txt")],
        draft,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    let v = r.json();
    assert_eq!(v["recorded"]["redaction_seq"], before + 2, "{v}");
    assert_eq!(office.entries(), before + 2);
    // The copy is a document of the queue now.
    let sha = v["copy"]["sha256"].as_str().unwrap();
    let status = server.get(&format!("/api/v1/documents/{sha}"));
    assert_eq!(status.status, 200, "{}", status.text());

    // A classified marking left in the text: refused, with what to do.
    let docx = std::fs::read(office.path("drafts/draft.docx")).unwrap();
    let r = server.request(
        "POST",
        "/api/v1/redact",
        &[("X-Filename", "draft.docx")],
        &docx,
    );
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("--remove-paragraphs-with marking.classification"));
    let r = server.request(
        "POST",
        "/api/v1/redact?remove_paragraphs_with=marking.classification",
        &[("X-Filename", "draft.docx")],
        &docx,
    );
    assert_eq!(r.status, 200, "{}", r.text());
    assert_eq!(r.json()["proof"]["verdict"], "review");
    let r = server.request(
        "POST",
        "/api/v1/redact?remove_paragraphs_with=nope",
        &[("X-Filename", "draft.docx")],
        &docx,
    );
    assert_eq!(r.status, 400, "{}", r.text());
    // Formats it cannot rewrite.
    let pptx = std::fs::read(
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/slides.pptx"),
    )
    .unwrap();
    let r = server.request(
        "POST",
        "/api/v1/redact",
        &[("X-Filename", "slides.pptx")],
        &pptx,
    );
    assert_eq!(r.status, 400, "{}", r.text());
    assert!(r.json()["error"]
        .as_str()
        .unwrap()
        .contains("cannot redact this format"));
}

#[test]
fn the_document_page_button_makes_a_queued_copy_that_links_back() {
    let office = Office::new();
    office.scan(&["drafts/"]);
    let server = office.serve("committee", &[]);
    let sha = office.sha_of("drafts/draft.docx");
    let page = server.get(&format!("/documents/{sha}"));
    assert_eq!(page.status, 200);
    let html = page.text();
    assert!(
        html.contains(&format!("action=\"/documents/{sha}/redact\"")),
        "{html}"
    );
    let token = csrf_of(&html);
    let path = format!("/documents/{sha}/redact");
    let before = office.entries();
    // Without the page's token: refused, nothing written.
    let r = server.post_form(
        &path,
        &[("remove_paragraphs_with", "marking.classification")],
    );
    assert_eq!(r.status, 403);
    assert_eq!(office.entries(), before);
    // Refused for the classified marking: said on the page, nothing written.
    let r = server.post_form(&path, &[("csrf", &token)]);
    assert_eq!(r.status, 409, "{}", r.text());
    assert!(r.text().contains("marking.classification"), "{}", r.text());
    assert_eq!(office.entries(), before);
    let r = server.post_form(
        &path,
        &[
            ("csrf", &token),
            ("remove_paragraphs_with", "marking.classification"),
        ],
    );
    assert_eq!(r.status, 303, "{}", r.text());
    let to = r.header("location").unwrap().to_string();
    assert!(
        to.starts_with("/documents/") && to.ends_with("?done=redacted"),
        "{to}"
    );
    assert_eq!(office.entries(), before + 2);
    let copy = server.get(&to);
    assert_eq!(copy.status, 200);
    let text = copy.text();
    assert!(
        text.contains(&format!("href=\"/documents/{sha}\"")),
        "{text}"
    );
    assert!(text.contains("去标识化公开版"), "{text}");
    assert!(text.contains("draft.redacted.docx"), "{text}");
    // The ledger still verifies with the new entries.
    office.ok(&[
        "ledger",
        "verify",
        "--db",
        "baomi.db",
        "--trust",
        "trust.toml",
    ]);
}

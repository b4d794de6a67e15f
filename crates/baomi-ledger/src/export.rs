//! Export: JSON Lines and CSV of all entries, and a printable HTML review
//! form (信息公开保密审查表) per document.
//!
//! JSON Lines carry every field needed to re-verify an entry offline: the
//! payload object re-canonicalised with RFC 8785 gives back the signed bytes.
//!
//! What people read — the HTML forms and the pulled-out CSV columns — shows
//! times in the office's zone ([`baomi_core::time::format_datetime`]) and
//! every field through [`baomi_core::display::visible`], so that a control
//! or bidi character in a file name, title or signer's name is seen, not
//! obeyed. The labels for people (severity, confidence, part, location) are
//! defined here once, for these forms and the web UI alike.

use crate::entry::Entry;
use crate::forms::{Decision, ScanForm};
use crate::trust::{Role, Trust};
use crate::verify::VerifyReport;
use baomi_core::display::visible;
use baomi_core::time::{format_datetime, office_zone};
use baomi_core::{Category, Confidence, Location, Severity};
use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::io::{self, Write};

/// One JSON object per line, in sequence order. Each object has `seq`,
/// `kind`, `doc_sha256`, `payload` (object), `key_id`, `signer` (the trust
/// file's name or null), `public_key`, `signature`, `prev_hash`, `hash`
/// (hex) and `recorded_at`.
pub fn write_jsonl(entries: &[Entry], trust: Option<&Trust>, mut w: impl Write) -> io::Result<()> {
    for e in entries {
        let mut v = serde_json::to_value(e).map_err(io::Error::other)?;
        if let Some(o) = v.as_object_mut() {
            let name = trust.and_then(|t| t.name_of(&e.key_id));
            o.insert(
                "signer".into(),
                name.map_or(serde_json::Value::Null, |n| n.into()),
            );
        }
        serde_json::to_writer(&mut w, &v).map_err(io::Error::other)?;
        w.write_all(b"\n")?;
    }
    Ok(())
}

/// The CSV header of [`write_csv`].
pub const CSV_HEADER: &str =
    "seq,kind,recorded_at,doc_sha256,path,title,doc_number,outcome,role,key_id,signer,recorded_local,hash,prev_hash,signature,payload";

/// RFC 4180 CSV, one row per entry, with the form's main fields pulled out
/// of the payload. Cells that a spreadsheet would run as a formula (`=`,
/// `+`, `-`, `@` first) are prefixed with `'`. `recorded_at` is the stored
/// UTC time and `payload` the exact signed JSON (to verify with);
/// `recorded_local` is the time in the office's zone
/// (`2026-12-02 07:30 北京时间`), and the pulled-out `path`, `title`,
/// `doc_number` and `signer` show invisible characters as `⟨U+202E⟩`.
pub fn write_csv(entries: &[Entry], trust: Option<&Trust>, mut w: impl Write) -> io::Result<()> {
    writeln!(w, "{CSV_HEADER}")?;
    for e in entries {
        let p = |k: &str| visible(e.payload_str(k).unwrap_or(""));
        let outcome = e
            .payload_str("verdict")
            .or_else(|| e.payload_str("conclusion"))
            .unwrap_or("");
        let payload = String::from_utf8_lossy(&e.payload_bytes);
        let cells = [
            e.seq.to_string(),
            e.kind.clone(),
            e.recorded_at.clone(),
            e.doc_sha256.clone(),
            p("path"),
            p("title"),
            p("doc_number"),
            outcome.to_owned(),
            p("role"),
            e.key_id.clone(),
            visible(trust.and_then(|t| t.name_of(&e.key_id)).unwrap_or("")),
            format_datetime(&e.recorded_at),
            crate::hex(&e.hash),
            crate::hex(&e.prev_hash),
            crate::hex(&e.signature),
            payload.into_owned(),
        ];
        let row: Vec<String> = cells.iter().map(|c| csv_cell(c)).collect();
        writeln!(w, "{}", row.join(","))?;
    }
    Ok(())
}

fn csv_cell(s: &str) -> String {
    let s = if s.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{s}")
    } else {
        s.to_owned()
    };
    if s.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s
    }
}

/// Escapes text for HTML element content and quoted attribute values.
pub fn html_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            c => out.push(c),
        }
    }
    out
}

/// A displayed field: invisible characters made visible, then escaped.
fn shown(s: &str) -> String {
    html_escape(&visible(s))
}

/// A multi-line field (an opinion): each line [`shown`], joined by `<br>`.
fn shown_lines(s: &str) -> String {
    s.lines().map(shown).collect::<Vec<_>>().join("<br>")
}

// ------------------------------------------------------ labels for people

/// The form's word for a finding's severity.
pub fn severity_zh(s: Severity) -> &'static str {
    match s {
        Severity::Block => "不得公开",
        Severity::Review => "需审查",
        Severity::Note => "提示",
    }
}

/// The form's word for a finding's confidence.
pub fn confidence_zh(c: Confidence) -> &'static str {
    match c {
        Confidence::High => "高",
        Confidence::Medium => "中",
        Confidence::Low => "低",
    }
}

/// What a rule looks for, in the office's words.
pub fn category_zh(c: Category) -> &'static str {
    match c {
        Category::StateSecret => "国家秘密",
        Category::WorkSecret => "工作秘密",
        Category::PersonalInfo => "个人信息",
        Category::TradeSecret => "商业秘密",
        Category::Internal => "内部事项",
    }
}

/// The part of a document a finding sits in.
pub fn part_zh(p: baomi_core::Part) -> &'static str {
    use baomi_core::Part::*;
    match p {
        Body => "正文",
        Header => "页眉",
        Footer => "页脚",
        Footnote => "脚注",
        Endnote => "尾注",
        Comment => "批注",
        TrackedDeletion => "修订删除",
        TrackedInsertion => "修订插入",
        Hidden => "隐藏文字",
        Metadata => "文档属性",
        TextLayer => "文字层",
        HtmlComment => "网页注释",
        HtmlAttribute => "网页属性",
        Hyperlink => "链接地址",
        AltText => "替代文字",
        Embedded => "嵌入对象",
        Ocr => "图像识别文字",
    }
}

/// Where a finding sits, for people, without the part (shown beside it):
/// `第 2 页 · 第 3 段 · 单元格 Sheet1!B3 · 作者 李四 · 第 3 行第 4 列`. The
/// `detail` (a property or comment name from the file) and the author come
/// from the document and are made visible ([`baomi_core::display::visible`]).
pub fn location_zh(l: &Location) -> String {
    use baomi_core::display::visible;
    let mut parts = Vec::new();
    if let Some(p) = l.page {
        parts.push(format!("第 {p} 页"));
    }
    if let Some(p) = l.paragraph {
        parts.push(format!("第 {p} 段"));
    }
    if let Some(c) = &l.cell {
        parts.push(format!("单元格 {}", visible(c)));
    }
    if let Some(a) = &l.author {
        parts.push(format!("作者 {}", visible(a)));
    }
    if let Some(d) = &l.detail {
        parts.push(visible(d));
    }
    if let Some(b) = &l.bbox {
        let unit = match b.unit {
            baomi_core::BoxUnit::Pt => "磅",
            baomi_core::BoxUnit::Px => "像素",
        };
        parts.push(format!(
            "位置 左 {} 上 {} 宽 {} 高 {}（{unit}）",
            b.x, b.y, b.w, b.h
        ));
    }
    parts.push(format!("第 {} 行第 {} 列", l.line, l.column));
    parts.join(" · ")
}

/// A finding's place for people: its part and [`location_zh`]
/// (`修订删除 · 第 3 段 · 作者 李四 · 第 3 行第 4 列`).
pub fn place_zh(l: &Location) -> String {
    format!("{} · {}", part_zh(l.part), location_zh(l))
}

/// One document's printable form.
#[derive(Debug, Clone)]
pub struct HtmlForm {
    /// Suggested file name (`form-<sha256 prefix>.html`).
    pub file_name: String,
    /// The document's summary line (title / 文号 or file name).
    pub summary: String,
    pub html: String,
}

/// Groups entries by document: by sha256, or each unreadable-file entry
/// (no sha256) on its own.
fn by_document(entries: &[Entry]) -> BTreeMap<String, Vec<&Entry>> {
    let mut groups: BTreeMap<String, Vec<&Entry>> = BTreeMap::new();
    for e in entries {
        let key = if e.doc_sha256.is_empty() {
            format!("unread-{:08}", e.seq)
        } else {
            e.doc_sha256.clone()
        };
        groups.entry(key).or_default().push(e);
    }
    groups
}

/// The first 16 characters of a fingerprint, enough to tell rule sets apart on paper.
fn short(s: &str) -> &str {
    s.char_indices().nth(16).map_or(s, |(i, _)| &s[..i])
}

/// A document key fit for a file name (a tampered ledger may hold anything
/// in `doc_sha256`).
fn file_safe(s: &str) -> String {
    s.chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' {
                c
            } else {
                '_'
            }
        })
        .collect()
}

fn status_of(seq: u64, verify: &VerifyReport) -> (bool, String) {
    match &verify.problem {
        None if verify.trust_checked => {
            (true, "已验证：签名有效，签署人及角色经信任文件核对".into())
        }
        None => (true, "签名有效（未核对信任文件）".into()),
        Some(p) if seq < p.seq => (true, "签名有效".into()),
        Some(p) if seq == p.seq => (false, format!("验证失败：{}", p)),
        Some(p) => (false, format!("未验证：账本在第 {} 条处已损坏", p.seq)),
    }
}

fn signer_cell(key_id: &str, trust: Option<&Trust>) -> String {
    match trust.and_then(|t| t.name_of(key_id)) {
        Some(n) => format!("{}<br><code>{}</code>", shown(n), shown(key_id)),
        None => format!("<i>未登记</i><br><code>{}</code>", shown(key_id)),
    }
}

const STYLE: &str =
    "body{font-family:\"Noto Serif CJK SC\",\"Songti SC\",SimSun,serif;margin:2em;color:#000}\
h1{text-align:center;font-size:1.6em;letter-spacing:.2em}\
table{border-collapse:collapse;width:100%;margin:.6em 0}\
th,td{border:1px solid #000;padding:.35em .5em;vertical-align:top;text-align:left}\
th{background:#f2f2f2;white-space:nowrap}code{font-size:.85em;word-break:break-all}\
.bad{color:#b00020;font-weight:bold}.ok{color:#14632b}.meta{font-size:.8em;color:#444}\
@media print{body{margin:0}.noprint{display:none}}";

/// The printable review forms, one per document, plus an index page
/// (`index.html`, returned last). Everything shown is HTML-escaped.
pub fn html_forms(
    entries: &[Entry],
    verify: &VerifyReport,
    trust: Option<&Trust>,
    origin: &str,
) -> Vec<HtmlForm> {
    let mut forms = Vec::new();
    for (key, group) in by_document(entries) {
        let scans: Vec<(&Entry, Option<ScanForm>)> = group
            .iter()
            .filter(|e| e.kind == "scan")
            .map(|e| {
                (
                    *e,
                    serde_json::from_value::<ScanForm>(e.payload.clone()).ok(),
                )
            })
            .collect();
        let latest = scans
            .iter()
            .rev()
            .find_map(|(e, f)| f.as_ref().map(|f| (*e, f)));
        let decision_of = |e: &Entry| serde_json::from_value::<Decision>(e.payload.clone()).ok();
        let summary = latest
            .map(|(_, f)| f.summary.clone())
            .or_else(|| {
                group
                    .iter()
                    .find_map(|e| decision_of(e).and_then(|d| d.title.or(d.doc_number).or(d.path)))
            })
            .unwrap_or_else(|| format!("文档 {}", short(&key)));

        let mut h = String::new();
        let _ = write!(
            h,
            "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>保密审查表 — {}</title><style>{STYLE}</style></head><body>\n<h1>信息公开保密审查表</h1>\n<table>",
            shown(&summary)
        );
        let _ = write!(
            h,
            "<tr><th>标题 / 文号</th><td>{}</td></tr>",
            shown(&summary)
        );
        if let Some((_, f)) = latest {
            let _ = write!(h, "<tr><th>文件</th><td>{}</td></tr>", shown(&f.path));
        }
        let sha = group[0].doc_sha256.as_str();
        let _ = writeln!(
            h,
            "<tr><th>内容指纹 SHA-256</th><td><code>{}</code></td></tr></table>",
            if sha.is_empty() {
                "（文件未能读取）".to_string()
            } else {
                shown(sha)
            }
        );

        // 不公开的依据或理由
        h.push_str("<h2>不公开的依据或理由</h2>\n");
        match latest {
            Some((_, f)) if !f.reasons.is_empty() => {
                h.push_str("<table><tr><th>#</th><th>规则</th><th>依据</th><th>位置</th><th>内容（已遮盖）</th><th>程度</th><th>置信度</th></tr>");
                for (i, r) in f.reasons.iter().enumerate() {
                    let _ = write!(
                        h,
                        "<tr><td>{}</td><td>{}<br><code>{}</code></td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>",
                        i + 1,
                        shown(&r.title),
                        shown(&r.rule),
                        shown(&r.basis),
                        html_escape(&place_zh(&r.location)),
                        shown(&r.matched_preview),
                        severity_zh(r.severity),
                        confidence_zh(r.confidence),
                    );
                }
                h.push_str("</table>\n");
            }
            Some(_) => h.push_str("<p>机器扫描未发现需不公开的内容。</p>\n"),
            None => h.push_str("<p>本文档无机器扫描记录。</p>\n"),
        }
        if let Some((_, f)) = latest {
            if !f.coverage.complete || f.error.is_some() {
                let _ = writeln!(
                    h,
                    "<p class=\"bad\">注意：文档未能完整读取（{}），结论不得视为通过。</p>",
                    {
                        let mut notes = f.coverage.notes.clone();
                        if let Some(e) = &f.error {
                            notes.push(e.clone());
                        }
                        shown(&notes.join("；"))
                    }
                );
            }
            if f.coverage.parts.contains(&baomi_core::Part::Ocr) {
                // Recognised text can be misread: the reviewer compares it
                // with the scan itself.
                let only = f
                    .coverage
                    .notes
                    .iter()
                    .any(|n| n.starts_with("all text of this file comes from OCR"));
                let _ = writeln!(
                    h,
                    "<p class=\"bad\">注意：本文档{}文字由图像识别（OCR）得出，可能误读或漏读，请对照原件核对。</p>",
                    if only { "全部" } else { "部分" }
                );
            }
        }

        // 审查结论或处理意见
        h.push_str(
            "<h2>审查结论或处理意见</h2>\n<table><tr><th>环节</th><th>结论</th><th>意见</th></tr>",
        );
        for e in &group {
            match e.kind.as_str() {
                "scan" => {
                    if let Some(f) = scans
                        .iter()
                        .find(|(s, _)| s.seq == e.seq)
                        .and_then(|(_, f)| f.as_ref())
                    {
                        let note = match f.supersedes {
                            Some(s) => {
                                format!(
                                    "规则集 {}；取代第 {} 条记录",
                                    short(&f.rules_fingerprint),
                                    s
                                )
                            }
                            None => format!("规则集 {}", short(&f.rules_fingerprint)),
                        };
                        let _ = write!(
                            h,
                            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                            Role::Scanner.label_zh(),
                            shown(&f.conclusion),
                            shown(&note)
                        );
                    }
                }
                _ => {
                    if let Some(d) = decision_of(e).filter(|_| e.kind == "decision") {
                        let mut opinion = d.opinion.clone();
                        if let Some(c) = &d.changes {
                            opinion.push_str(&format!("\n修改要求：{c}"));
                        }
                        if let Some(b) = &d.basis {
                            opinion.push_str(&format!("\n依据：{b}"));
                        }
                        let _ = write!(
                            h,
                            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                            d.role.label_zh(),
                            shown(d.conclusion.label_zh()),
                            shown_lines(&opinion)
                        );
                    } else if e.kind == "waiver" {
                        let what = format!(
                            "豁免 {} {}",
                            e.payload_str("rule").unwrap_or(""),
                            e.payload_str("preview").unwrap_or("")
                        );
                        let _ = write!(
                            h,
                            "<tr><td>豁免（保密委）</td><td>{}</td><td>{}</td></tr>",
                            shown(what.trim()),
                            shown(e.payload_str("reason").unwrap_or(""))
                        );
                    } else {
                        let text = e
                            .payload_str("opinion")
                            .or_else(|| e.payload_str("text"))
                            .map_or_else(
                                || String::from_utf8_lossy(&e.payload_bytes).into_owned(),
                                str::to_owned,
                            );
                        let _ = write!(
                            h,
                            "<tr><td>{}</td><td>{}</td><td>{}</td></tr>",
                            shown(&e.kind),
                            shown(e.payload_str("conclusion").unwrap_or("")),
                            shown_lines(&text)
                        );
                    }
                }
            }
        }
        h.push_str("</table>\n");

        // 审查责任人签章和日期
        h.push_str("<h2>审查责任人签章和日期</h2>\n<table><tr><th>记录</th><th>环节</th><th>签署人</th><th>签署时间</th><th>验证</th></tr>");
        for e in &group {
            let stage = match e.kind.as_str() {
                "scan" => Role::Scanner.label_zh().to_owned(),
                "decision" => e
                    .payload_str("role")
                    .and_then(|r| r.parse::<Role>().ok())
                    .map_or_else(|| "决定".to_owned(), |r| r.label_zh().to_owned()),
                "waiver" => "豁免（保密委）".to_owned(),
                k => k.to_owned(),
            };
            let (ok, status) = status_of(e.seq, verify);
            let _ = write!(
                h,
                "<tr><td>第 {} 条</td><td>{}</td><td>{}</td><td>{}</td><td class=\"{}\">{}</td></tr>",
                e.seq,
                shown(&stage),
                signer_cell(&e.key_id, trust),
                html_escape(&format_datetime(&e.recorded_at)),
                if ok { "ok" } else { "bad" },
                shown(&status)
            );
        }
        h.push_str("</table>\n");
        let _ = write!(
            h,
            "<p class=\"meta\">账本 {} · 时间均为{} · 本表由 baomi 根据签名账本生成；内容摘录已遮盖，原文请查阅原件。</p>\n</body></html>\n",
            shown(origin),
            shown(office_zone().label())
        );
        forms.push(HtmlForm {
            file_name: format!("form-{}.html", file_safe(&key)),
            summary,
            html: h,
        });
    }

    let mut idx = String::new();
    let _ = write!(
        idx,
        "<!DOCTYPE html>\n<html lang=\"zh-CN\"><head><meta charset=\"utf-8\"><title>保密审查表</title><style>{STYLE}</style></head><body>\n<h1>保密审查记录</h1>\n"
    );
    let _ = write!(
        idx,
        "<p class=\"{}\">{}</p>\n<table><tr><th>标题 / 文号</th><th>审查表</th></tr>",
        if verify.ok() { "ok" } else { "bad" },
        shown(&match &verify.problem {
            None => format!("账本验证通过：共 {} 条记录。", verify.total),
            Some(p) => format!("账本验证失败：{}", p),
        })
    );
    for f in &forms {
        let _ = write!(
            idx,
            "<tr><td>{}</td><td><a href=\"{}\">{}</a></td></tr>",
            shown(&f.summary),
            shown(&f.file_name),
            shown(&f.file_name)
        );
    }
    idx.push_str("</table>\n</body></html>\n");
    forms.push(HtmlForm {
        file_name: "index.html".into(),
        summary: "index".into(),
        html: idx,
    });
    forms
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes() {
        assert_eq!(
            html_escape("<a href='x'>&\"</a>"),
            "&lt;a href=&#39;x&#39;&gt;&amp;&quot;&lt;/a&gt;"
        );
        assert_eq!(csv_cell("a,b"), "\"a,b\"");
        assert_eq!(csv_cell("say \"hi\""), "\"say \"\"hi\"\"\"");
        assert_eq!(csv_cell("=1+1"), "'=1+1");
        assert_eq!(csv_cell("plain"), "plain");
    }

    /// A document scanned and decided at 23:30 UTC, with a file name, title
    /// and signer name holding a right-to-left override and an escape.
    fn late_entries() -> (Vec<Entry>, Trust) {
        let key = crate::KeyPair::generate().unwrap();
        let at = "2026-12-01T23:30:00Z".to_string();
        let sha = "a".repeat(64);
        let scan = serde_json::json!({
            "path": "drafts/rtl-\u{202e}txt.exe",
            "title": "通知\u{1b}[31m",
            "summary": "通知\u{1b}[31m（rtl-\u{202e}）",
            "verdict": "withhold",
            "conclusion": "不予公开",
            "coverage": {"complete": true, "parts": ["body"], "notes": []},
            "reasons": [{
                "rule": "marking.classification",
                "title": "密级和保密期限标志",
                "category": "state-secret",
                "severity": "block",
                "basis": "《保密法》",
                "confidence": "high",
                "location": {"part": "tracked-deletion", "line": 3, "column": 4, "paragraph": 3, "author": "李\u{202e}四"},
                "matched_sha256": "b".repeat(64),
                "matched_preview": "机*★*年"
            }],
            "rules_fingerprint": "f".repeat(64),
            "signer": key.key_id(),
            "role": "scanner",
            "time": at,
        });
        let decision = serde_json::json!({
            "role": "department",
            "stage": "department",
            "conclusion": "withhold",
            "opinion": "第一行\n第二行\u{202e}",
            "basis": "《个人信息保护法》",
        });
        let mut entries = Vec::new();
        let mut prev = crate::entry::GENESIS_PREV_HASH;
        for (seq, kind, payload) in [(1, "scan", scan), (2, "decision", decision)] {
            let bytes = crate::entry::canonical_bytes(&payload).unwrap();
            let e = crate::entry::seal(seq, kind, &sha, at.clone(), payload, bytes, prev, &key);
            prev = e.hash;
            entries.push(e);
        }
        let trust = Trust::parse(&format!(
            "[[signer]]\nkey_id = \"{}\"\nname = \"张\u{202e}三\"\nroles = [\"scanner\", \"department\"]\n",
            key.key_id()
        ))
        .unwrap();
        (entries, trust)
    }

    #[test]
    fn forms_show_office_time_and_visible_controls() {
        // The zone is process-wide: this test binary uses Beijing time.
        let zone = baomi_core::time::Zone::beijing();
        let _ = baomi_core::time::set_office_zone(zone.clone());
        assert_eq!(
            office_zone(),
            &zone,
            "BAOMI_TIMEZONE is set for this test run"
        );
        let (entries, trust) = late_entries();
        let report = VerifyReport {
            total: 2,
            verified: 2,
            problem: None,
            trust_checked: true,
            signers: BTreeMap::new(),
            warnings: vec![],
            root: None,
            checkpoints: None,
        };
        let forms = html_forms(&entries, &report, Some(&trust), "baomi.ledger/x");
        let form = &forms[0].html;
        // 23:30 UTC is 07:30 the next morning in Beijing: the form's date is
        // the office's date, labelled.
        assert!(form.contains("2026-12-02 07:30 北京时间"), "{form}");
        assert!(!form.contains("2026-12-01"), "{form}");
        assert!(form.contains("时间均为北京时间"));
        // Every displayed field shows its invisible characters.
        for shown in [
            "drafts/rtl-⟨U+202E⟩txt.exe",
            "通知⟨U+001B⟩[31m",
            "张⟨U+202E⟩三",
            "作者 李⟨U+202E⟩四",
            "第一行<br>第二行⟨U+202E⟩",
        ] {
            assert!(form.contains(shown), "{shown} missing: {form}");
        }
        assert!(
            !form.contains('\u{202e}') && !form.contains('\u{1b}'),
            "{form}"
        );
        // Labels for people, not identifiers.
        assert!(form.contains("修订删除 · 第 3 段") && form.contains("<td>高</td>"));
        assert!(!form.contains("（withhold）"));
        assert!(!forms[1].html.contains('\u{202e}'), "index");

        let mut csv = Vec::new();
        write_csv(&entries, Some(&trust), &mut csv).unwrap();
        let csv = String::from_utf8(csv).unwrap();
        let header: Vec<&str> = CSV_HEADER.split(',').collect();
        let local = header.iter().position(|h| *h == "recorded_local").unwrap();
        let row = csv.lines().nth(1).unwrap();
        assert_eq!(row.split(',').nth(local), Some("2026-12-02 07:30 北京时间"));
        assert!(
            row.contains(",2026-12-01T23:30:00Z,"),
            "stored time stays UTC: {row}"
        );
        assert!(row.contains("drafts/rtl-⟨U+202E⟩txt.exe") && row.contains("张⟨U+202E⟩三"));
    }

    #[test]
    fn a_form_says_when_the_text_came_from_ocr_and_where_on_the_page() {
        let key = crate::KeyPair::generate().unwrap();
        let at = "2026-12-01T10:00:00Z".to_string();
        let scan = serde_json::json!({
            "path": "scans/notice.pdf",
            "title": "通知",
            "summary": "通知",
            "verdict": "withhold",
            "conclusion": "不予公开",
            "coverage": {"complete": true, "parts": ["body", "ocr"], "notes": [
                "all text of this file comes from OCR (1 image(s)): recognition can misread or miss words; check the scan by eye"
            ]},
            "reasons": [{
                "rule": "marking.classification",
                "title": "密级和保密期限标志",
                "category": "state-secret",
                "severity": "block",
                "basis": "《保密法》",
                "confidence": "high",
                "location": {"part": "ocr", "line": 1, "column": 1, "page": 1, "paragraph": 1,
                             "bbox": {"x": 491, "y": 27, "w": 74, "h": 28, "unit": "pt"}},
                "matched_sha256": "b".repeat(64),
                "matched_preview": "机*★*年"
            }],
            "rules_fingerprint": "f".repeat(64),
            "signer": key.key_id(),
            "role": "scanner",
            "time": at,
        });
        let bytes = crate::entry::canonical_bytes(&scan).unwrap();
        let sha = "a".repeat(64);
        let e = crate::entry::seal(
            1,
            "scan",
            &sha,
            at.clone(),
            scan,
            bytes,
            crate::entry::GENESIS_PREV_HASH,
            &key,
        );
        let report = VerifyReport {
            total: 1,
            verified: 1,
            problem: None,
            trust_checked: false,
            signers: BTreeMap::new(),
            warnings: vec![],
            root: None,
            checkpoints: None,
        };
        let forms = html_forms(&[e], &report, None, "baomi.ledger/x");
        let form = &forms[0].html;
        assert!(
            form.contains("本文档全部文字由图像识别（OCR）得出"),
            "{form}"
        );
        assert!(
            form.contains("图像识别文字 · 第 1 页 · 第 1 段 · 位置 左 491 上 27 宽 74 高 28（磅）"),
            "{form}"
        );
    }
}

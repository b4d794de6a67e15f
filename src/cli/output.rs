//! Printing reports: coloured text for people, JSON (the contract in
//! DESIGN.md) for programs, SARIF 2.1.0 for CI tools.

use baomi_core::{DocumentReport, Finding, Scanner, Severity, Verdict};
use serde_json::json;
use std::io::{IsTerminal, Write};

#[derive(Clone, Copy, Debug, clap::ValueEnum)]
pub enum Format {
    /// Every finding with its location and highlighted context.
    Text,
    /// One line per document: verdict and finding counts per rule (like
    /// `rg -c`; findings are computed in full either way).
    Summary,
    /// `{"documents": [...]}` as specified in DESIGN.md.
    Json,
    /// SARIF 2.1.0.
    Sarif,
}

pub fn print(reports: &[DocumentReport], format: Format, scanner: &Scanner) -> anyhow::Result<()> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::new(stdout.lock());
    match format {
        Format::Text => {
            let color = super::use_color(std::io::stdout().is_terminal());
            text(&mut out, reports, color)?
        }
        Format::Summary => summary(&mut out, reports)?,
        Format::Json => {
            baomi_core::ScanReport::of(reports).write_json(&mut out)?;
            writeln!(out)?;
        }
        Format::Sarif => {
            serde_json::to_writer_pretty(&mut out, &sarif(reports, scanner))?;
            writeln!(out)?;
        }
    }
    out.flush()?;
    Ok(())
}

struct Paint(bool);

impl Paint {
    fn wrap(&self, code: &str, s: &str) -> String {
        if self.0 {
            format!("\x1b[{code}m{s}\x1b[0m")
        } else {
            s.to_string()
        }
    }
}

fn text(out: &mut impl Write, reports: &[DocumentReport], color: bool) -> std::io::Result<()> {
    let p = Paint(color);
    for r in reports {
        let verdict = match r.verdict {
            Verdict::Clear => p.wrap("32", "clear"),
            Verdict::Review => p.wrap("33;1", "review"),
            Verdict::Withhold => p.wrap("31;1", "withhold"),
            Verdict::Error => p.wrap("35;1", "error"),
        };
        let mut head = format!("{}: {verdict}", p.wrap("1", &safe(&r.path)));
        if let Some(t) = &r.title {
            head.push_str(&format!("  《{}》", safe(t)));
        }
        if let Some(n) = &r.doc_number {
            head.push_str(&format!("  {}", safe(n)));
        }
        writeln!(out, "{head}")?;
        if let Some(e) = &r.error {
            writeln!(out, "  {}", p.wrap("35", &safe(e)))?;
        }
        for note in &r.coverage.notes {
            if r.error.as_deref() != Some(note.as_str()) {
                writeln!(out, "  note: {}", safe(note))?;
            }
        }
        for f in &r.findings {
            finding_line(out, &p, r, f)?;
        }
    }
    totals(out, reports)
}

fn summary(out: &mut impl Write, reports: &[DocumentReport]) -> std::io::Result<()> {
    for r in reports {
        let mut counts: Vec<(&str, usize)> = Vec::new();
        for f in &r.findings {
            match counts.iter_mut().find(|(id, _)| *id == &*f.rule) {
                Some((_, n)) => *n += 1,
                None => counts.push((&f.rule, 1)),
            }
        }
        let mut line = format!(
            "{}: {} {} findings",
            safe(&r.path),
            r.verdict,
            r.findings.len()
        );
        for (id, n) in &counts {
            line.push_str(&format!(" {id}={n}"));
        }
        // An `error` row says why, or it is useless in a summary of many
        // files. The reason usually starts with the path, already shown.
        if let Some(e) = &r.error {
            let reason = e
                .strip_prefix(r.path.as_str())
                .and_then(|rest| rest.strip_prefix(": "))
                .unwrap_or(e);
            line.push_str(&format!(" — {}", safe(reason)));
        }
        writeln!(out, "{line}")?;
    }
    totals(out, reports)
}

/// The last line of the text and summary formats.
fn totals(out: &mut impl Write, reports: &[DocumentReport]) -> std::io::Result<()> {
    let mut counts = [0usize; 4];
    for r in reports {
        counts[r.verdict as usize] += 1;
    }
    writeln!(
        out,
        "{} documents: {} clear, {} review, {} withhold, {} error",
        reports.len(),
        counts[0],
        counts[1],
        counts[2],
        counts[3]
    )
}

fn finding_line(
    out: &mut impl Write,
    p: &Paint,
    r: &DocumentReport,
    f: &Finding,
) -> std::io::Result<()> {
    let sev = match f.severity {
        Severity::Block => p.wrap("31", "block"),
        Severity::Review => p.wrap("33", "review"),
        Severity::Note => p.wrap("36", "note"),
    };
    let loc = &f.location;
    let mut place = format!("{}:{}:{}", safe(&r.path), loc.line, loc.column);
    let mut extra = vec![loc.part.as_str().to_string()];
    if let Some(pg) = loc.page {
        extra.push(format!("page {pg}"));
    }
    if let Some(pa) = loc.paragraph {
        extra.push(format!("paragraph {pa}"));
    }
    if let Some(c) = &loc.cell {
        extra.push(c.to_string());
    }
    if let Some(a) = &loc.author {
        extra.push(format!("by {a}"));
    }
    if let Some(d) = &loc.detail {
        extra.push(d.to_string());
    }
    if let Some(b) = &loc.bbox {
        extra.push(b.to_string());
    }
    if loc.part.is_hidden() {
        extra[0] = p.wrap("35;1", &format!("{} (hidden part)", loc.part));
    }
    place.push_str(&format!(" [{}]", safe(&extra.join(", "))));
    // Highlight the match inside its context.
    let shown_match = safe(&f.matched.replace('\n', "⏎")).into_owned();
    let shown_context = f.context.to_string();
    let context = safe(&shown_context);
    let context = match context.find(&shown_match) {
        Some(i) => format!(
            "{}{}{}",
            &context[..i],
            p.wrap("1;4", &shown_match),
            &context[i + shown_match.len()..]
        ),
        None => context.into_owned(),
    };
    writeln!(
        out,
        "  {place} {sev} {} {}: “{}”",
        f.rule, f.title, shown_match
    )?;
    writeln!(out, "      {context}")
}

/// Document text, titles and file names are untrusted: control characters
/// (an escape sequence could rewrite the terminal) and bidirectional
/// overrides (which reorder what a reviewer reads) are shown as `�`.
fn safe(s: &str) -> std::borrow::Cow<'_, str> {
    let bad =
        |c: char| c.is_control() || matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}');
    if s.contains(bad) {
        s.chars().map(|c| if bad(c) { '�' } else { c }).collect()
    } else {
        std::borrow::Cow::Borrowed(s)
    }
}

fn sarif(reports: &[DocumentReport], scanner: &Scanner) -> serde_json::Value {
    let rules: Vec<_> = scanner
        .rules()
        .iter()
        .map(|r| {
            json!({
                "id": &*r.id,
                "name": &*r.id,
                "shortDescription": { "text": &*r.title },
                "fullDescription": { "text": &*r.basis },
                "defaultConfiguration": { "level": level(r.severity) },
                "properties": { "category": r.category.as_str() },
            })
        })
        .collect();
    let mut results = Vec::new();
    let mut notifications = Vec::new();
    for r in reports {
        if let Some(e) = &r.error {
            notifications.push(json!({
                "level": "error",
                "message": { "text": e },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": uri(&r.path) } } }],
            }));
        } else if !r.coverage.complete {
            notifications.push(json!({
                "level": "error",
                "message": { "text": format!("{}: not fully read: {}", r.path, r.coverage.notes.join("; ")) },
                "locations": [{ "physicalLocation": { "artifactLocation": { "uri": uri(&r.path) } } }],
            }));
        }
        for f in &r.findings {
            let index = scanner
                .rules()
                .iter()
                .position(|x| x.id == f.rule)
                .unwrap_or(0);
            results.push(json!({
                "ruleId": &*f.rule,
                "ruleIndex": index,
                "level": level(f.severity),
                "message": { "text": format!("{}: {} ({})", f.title, f.matched, f.location.part) },
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": { "uri": uri(&r.path) },
                        "region": {
                            "startLine": f.location.line,
                            "startColumn": f.location.column,
                            "snippet": { "text": f.context },
                        },
                    },
                    "logicalLocations": [{ "name": f.location.to_string(), "kind": "member" }],
                }],
                "partialFingerprints": { "matchedSha256": sha256_hex(f.matched.as_bytes()) },
                "properties": {
                    "part": f.location.part.as_str(),
                    "confidence": f.confidence,
                    "category": f.category.as_str(),
                    "basis": &*f.basis,
                    "documentSha256": r.sha256,
                },
            }));
        }
    }
    json!({
        "$schema": "https://json.schemastore.org/sarif-2.1.0.json",
        "version": "2.1.0",
        "runs": [{
            "tool": { "driver": {
                "name": "baomi",
                "version": env!("CARGO_PKG_VERSION"),
                "informationUri": "https://example.invalid/baomi",
                "rules": rules,
            }},
            "invocations": [{
                "executionSuccessful": reports.iter().all(|r| r.verdict != Verdict::Error),
                "toolExecutionNotifications": notifications,
            }],
            "results": results,
            "properties": { "ruleSetSha256": scanner.fingerprint() },
        }],
    })
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Block => "error",
        Severity::Review => "warning",
        Severity::Note => "note",
    }
}

/// A relative URI for SARIF: forward slashes, percent-encoding what a URI
/// reference may not hold (spaces, non-ASCII file names stay readable as
/// UTF-8 percent escapes).
fn uri(path: &str) -> String {
    let mut out = String::new();
    for b in path.replace('\\', "/").bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/:".contains(&b) {
            out.push(b as char);
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

//! `NAME.report.txt`: the short note beside each outcome file.
//!
//! It sits on a share that everyone can read, so it must never repeat a
//! secret: matched text is masked, and long digit runs around it (another
//! ID or phone number in the context) are masked too.

use crate::Recorded;
use baomi_core::{DocumentReport, Verdict};
use std::fmt::Write;

/// Masks all but about a quarter of the characters, split between the two
/// ends: enough for the author to recognise *which* number or marking it
/// was, never enough to recover it. Strings of up to three characters are
/// masked entirely.
pub fn mask(s: &str) -> String {
    let chars: Vec<char> = s.chars().collect();
    let n = chars.len();
    let keep = n / 4;
    let head = keep.div_ceil(2);
    let tail = keep / 2;
    chars
        .iter()
        .enumerate()
        .map(|(i, &c)| if i < head || i >= n - tail { c } else { '*' })
        .collect()
}

/// Masks runs of 6 or more ASCII digits (IDs, phone and card numbers) that
/// a context window may contain besides the finding itself.
fn mask_digit_runs(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut run = String::new();
    let flush = |run: &mut String, out: &mut String| {
        if run.chars().count() >= 6 {
            out.push_str(&mask(run));
        } else {
            out.push_str(run);
        }
        run.clear();
    };
    for c in s.chars() {
        // An ID number's check character X belongs to the run.
        if c.is_ascii_digit() || (!run.is_empty() && (c == 'X' || c == 'x')) {
            run.push(c);
        } else {
            flush(&mut run, &mut out);
            out.push(c);
        }
    }
    flush(&mut run, &mut out);
    out
}

/// The context with the matched text masked; `None` when the match cannot
/// be located in it (then only the masked match is shown).
fn masked_context(context: &str, matched: &str) -> Option<String> {
    let shown = matched.replace('\n', "⏎");
    let at = context.find(&shown)?;
    let (before, rest) = context.split_at(at);
    let after = &rest[shown.len()..];
    Some(format!(
        "{}[{}]{}",
        mask_digit_runs(before),
        mask(&shown),
        mask_digit_runs(after)
    ))
}

fn verdict_line(v: Verdict) -> &'static str {
    match v {
        Verdict::Clear => "clear — nothing found; may be published",
        Verdict::Review => {
            "review — a secrecy officer must check the findings below before publication"
        }
        Verdict::Withhold => "withhold — must not be published as it stands",
        Verdict::Error => "error — could not be reviewed; NOT cleared",
    }
}

/// The report text. It depends only on its arguments (no clock, no final
/// file name), so a retry after a crash produces the identical text — which
/// is how an orphaned report is recognised and reused.
pub fn report_text(
    name: &str,
    report: &DocumentReport,
    recorded: Option<Recorded>,
    rules_fingerprint: &str,
) -> String {
    let mut s = String::new();
    let _ = writeln!(s, "baomi secrecy review (保密审查) — machine scan");
    let _ = writeln!(s, "file:     {name}");
    let _ = writeln!(s, "verdict:  {}", verdict_line(report.verdict));
    if let Some(e) = &report.error {
        // The error names the inbox path; only the file name matters here.
        let _ = writeln!(s, "reason:   {}", mask_digit_runs(e));
    }
    if !report.sha256.is_empty() {
        let _ = writeln!(s, "sha256:   {}", report.sha256);
    }
    if let Some(t) = &report.title {
        let _ = writeln!(s, "title:    {}", mask_digit_runs(t));
    }
    if let Some(n) = &report.doc_number {
        let _ = writeln!(s, "doc no.:  {n}");
    }
    let _ = writeln!(s, "rules:    {rules_fingerprint}");
    match recorded {
        Some(r) => {
            let _ = writeln!(s, "ledger:   entry #{}", r.seq);
        }
        None => {
            let _ = writeln!(s, "ledger:   not recorded (nothing was read)");
        }
    }
    if !report.coverage.complete || !report.coverage.notes.is_empty() {
        for note in &report.coverage.notes {
            if report.error.as_deref() != Some(note.as_str()) {
                let _ = writeln!(s, "note:     {}", mask_digit_runs(note));
            }
        }
    }
    if !report.findings.is_empty() {
        let _ = writeln!(s, "\nfindings ({}):", report.findings.len());
        for (i, f) in report.findings.iter().enumerate() {
            let _ = writeln!(
                s,
                "{:>3}. [{}] {} {} — at {}",
                i + 1,
                f.severity.as_str(),
                f.rule,
                f.title,
                f.location
            );
            match masked_context(&f.context.to_string(), &f.matched) {
                Some(c) => {
                    let _ = writeln!(s, "     context: {c}");
                }
                None => {
                    let _ = writeln!(s, "     matched: [{}]", mask(&f.matched));
                }
            }
            let _ = writeln!(s, "     basis:   {}", f.basis);
        }
    }
    if recorded.is_some() {
        let _ = writeln!(
            s,
            "\nThe full findings are in the ledger entry; only a secrecy officer's signed decision can change this outcome."
        );
    }
    // File names, titles, authors and contexts come from the drop: control
    // and bidi characters in them are shown as escapes, line by line, so a
    // report opened on the share cannot be made to read otherwise.
    let mut out = String::with_capacity(s.len());
    for line in s.lines() {
        out.push_str(&baomi_core::display::visible(line));
        out.push('\n');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use baomi_core::Scanner;

    #[test]
    fn control_and_bidi_characters_in_the_drop_are_shown_as_escapes() {
        let report = DocumentReport::failed("x", "", "bad\u{1b}[31m file");
        let text = report_text("rtl-\u{202e}txt.exe", &report, None, "rules");
        assert!(
            !text.contains('\u{202e}') && !text.contains('\u{1b}'),
            "{text}"
        );
        assert!(text.contains("rtl-⟨U+202E⟩txt.exe"), "{text}");
        assert!(text.contains("⟨U+001B⟩"), "{text}");
        assert!(text.ends_with('\n') && text.lines().count() > 3);
    }

    #[test]
    fn masks_keep_about_a_quarter() {
        assert_eq!(mask("11010519491231002X"), "11**************2X");
        assert_eq!(mask("13912345678"), "1*********8");
        assert_eq!(mask("机密★1年"), "机****");
        assert_eq!(mask("机密"), "**");
        assert_eq!(mask(""), "");
    }

    #[test]
    fn the_report_never_contains_the_secret() {
        let scanner = Scanner::shipped();
        let text = "联系人张三，身份证号11010519491231002X，手机13912345678。";
        let mut r =
            baomi_extract::review_bytes("a.txt", text.as_bytes(), &scanner, &Default::default());
        assert_eq!(r.verdict, Verdict::Withhold);
        r.path = "inbox/a.txt".into();
        let out = report_text(
            "a.txt",
            &r,
            Some(Recorded {
                seq: 7,
                duplicate: false,
            }),
            scanner.fingerprint(),
        );
        assert!(!out.contains("11010519491231002X"), "{out}");
        assert!(!out.contains("13912345678"), "{out}");
        assert!(
            !out.contains("1231002"),
            "the title line must be masked too: {out}"
        );
        assert!(out.contains("entry #7"));
        assert!(out.contains("personal.id-card"));
        assert!(out.contains("withhold"));
    }
}

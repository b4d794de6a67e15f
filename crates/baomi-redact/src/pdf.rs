//! PDF: pages holding something to mask are rebuilt as images, so no text
//! survives under a box; the other pages keep their text layer.
//!
//! The PDF is scanned as `baomi scan` reads it (poppler's `pdftotext` per
//! page). For each page with a personal-information finding (or a finding
//! of a rule named in `remove_paragraphs_with`), poppler renders the page
//! (`pdftoppm -r 150`), `pdftotext -bbox-layout` gives the word boxes, and
//! every word overlapping a finding's matched text (located in the page's
//! words concatenated without whitespace) is filled black on the raster.
//! `img2pdf` makes the page a PDF again at its size; `pdfseparate` and
//! `pdfunite` put the document back together. A whole word is filled, not
//! part of it (a CJK "word" is a run such as `联系电话：13812345678`): more
//! is hidden than needed rather than less. Every program runs as a limited
//! child ([`baomi_extract::run_helper`]).
//!
//! Metadata: `pdfunite` writes a new document information dictionary
//! (only the producer and dates from poppler), so author, subject,
//! keywords and the title of the original do not reach the copy; the
//! proof rescan checks it.

use crate::{Action, Change, Context, RedactError, Redactor, Refusal};
use baomi_core::{Category, Severity, Verdict};
use baomi_extract::run_helper;
use std::collections::BTreeMap;

const DPI: u32 = 150;
const POPPLER: &str = "poppler-utils";

/// PDF files (text layer read by poppler).
pub(crate) struct Pdf;

/// One word of `pdftotext -bbox-layout`: text and box in points.
struct Word {
    text: String,
    x0: f64,
    y0: f64,
    x1: f64,
    y1: f64,
}

impl Redactor for Pdf {
    fn redact(&self, input: &[u8], ctx: &mut Context<'_>) -> Result<Vec<u8>, RedactError> {
        let report = baomi_extract::review_bytes("the PDF", input, ctx.scanner, ctx.limits);
        if report.verdict == Verdict::Error {
            return Err(RedactError::Malformed(format!(
                "the PDF could not be read completely ({}); redact the source file",
                report
                    .error
                    .clone()
                    .unwrap_or_else(|| report.coverage.notes.join(", "))
            )));
        }
        // Page → matched texts to fill, with the finding's rule.
        let mut pages: BTreeMap<u32, Vec<(String, String)>> = BTreeMap::new();
        let mut refusals = Vec::new();
        for f in &report.findings {
            let named = ctx
                .options
                .remove_paragraphs_with
                .iter()
                .any(|r| **r == *f.rule);
            let mask = named || f.category == Category::PersonalInfo;
            if !mask {
                if f.severity == Severity::Block
                    && matches!(f.category, Category::StateSecret | Category::WorkSecret)
                {
                    let part = f.location.part.to_string();
                    let at = f.location.to_string();
                    refusals.push(Refusal {
                        location: at
                            .strip_prefix(&format!("{part} "))
                            .unwrap_or(&at)
                            .to_string(),
                        rule: f.rule.to_string(),
                        part,
                        matched: f.matched.to_string(),
                    });
                }
                continue;
            }
            if f.location.part.is_hidden() {
                // Document information: pdfunite does not carry it over
                // (the proof checks); recorded as removed.
                ctx.changes.push(Change {
                    part: f.location.part.to_string(),
                    location: f.location.to_string(),
                    action: Action::RemovedHidden,
                    rule: Some(f.rule.to_string()),
                    before: baomi_core::mask::preview(&f.matched),
                    after: String::new(),
                });
                continue;
            }
            let Some(page) = f.location.page else {
                return Err(RedactError::Malformed(format!(
                    "{} at {} has no page number; redact the source file",
                    f.rule, f.location
                )));
            };
            pages
                .entry(page)
                .or_default()
                .push((f.matched.to_string(), f.rule.to_string()));
        }
        if !refusals.is_empty() {
            return Err(RedactError::Refused(refusals));
        }
        let mut rebuilt = BTreeMap::new();
        for (&page, found) in &pages {
            let words = page_words(input, page, ctx)?;
            let mut fill = vec![false; words.len()];
            for (matched, rule) in found {
                if !mark(&words, matched, &mut fill) {
                    return Err(RedactError::NotClean(vec![format!(
                        "{rule} on page {page}: the matched text ({}) was not found among the page's word boxes, so it cannot be covered",
                        baomi_core::mask::preview(matched)
                    )]));
                }
                ctx.changes.push(Change {
                    part: "body".into(),
                    location: format!("page {page}"),
                    action: Action::Masked,
                    rule: Some(rule.clone()),
                    before: baomi_core::mask::preview(matched),
                    after: "■ (page rebuilt as an image)".into(),
                });
            }
            let boxes: Vec<&Word> = words
                .iter()
                .zip(&fill)
                .filter(|(_, f)| **f)
                .map(|(w, _)| w)
                .collect();
            rebuilt.insert(page, render_masked(input, page, &boxes, ctx)?);
        }
        assemble(input, &rebuilt, ctx)
    }
}

/// Marks every word overlapping an occurrence of `matched` (whitespace
/// ignored) in the page's words. False when there is none.
fn mark(words: &[Word], matched: &str, fill: &mut [bool]) -> bool {
    let needle: String = matched.chars().filter(|c| !c.is_whitespace()).collect();
    if needle.is_empty() {
        return true;
    }
    let mut all = String::new();
    let mut starts = Vec::with_capacity(words.len());
    for w in words {
        starts.push(all.len());
        all.extend(w.text.chars().filter(|c| !c.is_whitespace()));
    }
    let mut found = false;
    for (at, _) in all.match_indices(&needle) {
        found = true;
        let end = at + needle.len();
        for (i, &s) in starts.iter().enumerate() {
            let e = starts.get(i + 1).copied().unwrap_or(all.len());
            if s < end && at < e {
                fill[i] = true;
            }
        }
    }
    found
}

fn unescape(s: &str) -> String {
    s.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&#39;", "'")
        .replace("&amp;", "&")
}

fn attr(tag: &str, name: &str) -> Option<f64> {
    let key = format!("{name}=\"");
    let at = tag.find(&key)? + key.len();
    let end = tag[at..].find('"')? + at;
    tag[at..end].parse().ok()
}

/// The page's words with their boxes (points, in the frame the page is
/// shown in).
fn page_words(pdf: &[u8], page: u32, ctx: &Context<'_>) -> Result<Vec<Word>, RedactError> {
    let n = page.to_string();
    let out = run_helper(
        "pdftotext",
        &[
            "-bbox-layout",
            "-enc",
            "UTF-8",
            "-f",
            &n,
            "-l",
            &n,
            "fd://0",
            "-",
        ],
        pdf,
        ctx.limits,
        ctx.limits.max_entry_bytes as usize,
        POPPLER,
    )?;
    let xml = String::from_utf8_lossy(&out);
    let bad = || RedactError::Malformed(format!("pdftotext -bbox-layout gave no page {page}"));
    let p = xml.find("<page ").ok_or_else(bad)?;
    let mut words = Vec::new();
    let mut rest = &xml[p..];
    while let Some(at) = rest.find("<word ") {
        rest = &rest[at..];
        let close = rest.find('>').ok_or_else(bad)?;
        let tag = &rest[..close];
        let end = rest.find("</word>").ok_or_else(bad)?;
        let text = unescape(&rest[close + 1..end]);
        let (Some(x0), Some(y0), Some(x1), Some(y1)) = (
            attr(tag, "xMin"),
            attr(tag, "yMin"),
            attr(tag, "xMax"),
            attr(tag, "yMax"),
        ) else {
            return Err(bad());
        };
        words.push(Word {
            text,
            x0,
            y0,
            x1,
            y1,
        });
        rest = &rest[end..];
    }
    Ok(words)
}

/// Renders one page, fills the boxes black and makes it a one-page PDF of
/// the page's size.
fn render_masked(
    pdf: &[u8],
    page: u32,
    boxes: &[&Word],
    ctx: &Context<'_>,
) -> Result<Vec<u8>, RedactError> {
    let n = page.to_string();
    let dpi = DPI.to_string();
    let mut ppm = run_helper(
        "pdftoppm",
        &["-r", &dpi, "-f", &n, "-l", &n, "fd://0"],
        pdf,
        ctx.limits,
        ctx.limits.max_entry_bytes as usize,
        POPPLER,
    )?;
    let (w, h, data) = ppm_header(&ppm)
        .ok_or_else(|| RedactError::Malformed(format!("pdftoppm gave no image of page {page}")))?;
    let scale = DPI as f64 / 72.0;
    // One pixel more on every side: anti-aliased glyph edges stay inside.
    for b in boxes {
        let px = |v: f64, max: usize| ((v * scale).max(0.0) as usize).min(max);
        let (x0, y0) = (px(b.x0, w).saturating_sub(1), px(b.y0, h).saturating_sub(1));
        let (x1, y1) = (px(b.x1 + 1.0, w), px(b.y1 + 1.0, h));
        for y in y0..y1.min(h) {
            let row = data + y * w * 3;
            ppm[row + x0 * 3..row + x1.min(w) * 3].fill(0);
        }
    }
    // The page's size follows from the pixels at the rendering's dpi, in
    // the orientation shown (a page with /Rotate is rendered turned, and
    // its word boxes are in the turned frame too).
    let size = format!("{DPI}dpi");
    Ok(run_helper(
        "img2pdf",
        &["-", "-s", &size],
        &ppm,
        ctx.limits,
        ctx.limits.max_entry_bytes as usize,
        "img2pdf",
    )?)
}

/// Width, height and the offset of the pixels of a binary PPM (P6, 8 bit).
fn ppm_header(ppm: &[u8]) -> Option<(usize, usize, usize)> {
    let mut fields = Vec::new();
    let mut i = 2;
    if !ppm.starts_with(b"P6") {
        return None;
    }
    while fields.len() < 3 {
        while ppm.get(i)?.is_ascii_whitespace() {
            i += 1;
        }
        let s = i;
        while ppm.get(i)?.is_ascii_digit() {
            i += 1;
        }
        fields.push(
            std::str::from_utf8(&ppm[s..i])
                .ok()?
                .parse::<usize>()
                .ok()?,
        );
    }
    let (w, h, max) = (fields[0], fields[1], fields[2]);
    let data = i + 1;
    (max == 255 && ppm.len() >= data + w * h * 3).then_some((w, h, data))
}

/// Splits the original into pages, puts the rebuilt ones in their place
/// and joins them again.
fn assemble(
    pdf: &[u8],
    rebuilt: &BTreeMap<u32, Vec<u8>>,
    ctx: &Context<'_>,
) -> Result<Vec<u8>, RedactError> {
    let io = |e: std::io::Error| RedactError::Malformed(format!("temporary folder: {e}"));
    let dir = tempfile::tempdir().map_err(io)?;
    let input = dir.path().join("in.pdf");
    std::fs::write(&input, pdf).map_err(io)?;
    let pattern = dir.path().join("p-%d.pdf");
    let path = |p: &std::path::Path| p.display().to_string();
    run_helper(
        "pdfseparate",
        &[&path(&input), &path(&pattern)],
        &[],
        ctx.limits,
        1 << 20,
        POPPLER,
    )?;
    let mut parts = Vec::new();
    for n in 1.. {
        let p = dir.path().join(format!("p-{n}.pdf"));
        if !p.exists() {
            break;
        }
        if let Some(page) = rebuilt.get(&n) {
            std::fs::write(&p, page).map_err(io)?;
        }
        parts.push(path(&p));
    }
    if parts.is_empty() {
        return Err(RedactError::Malformed("pdfseparate gave no pages".into()));
    }
    let out = dir.path().join("out.pdf");
    let mut args: Vec<&str> = parts.iter().map(String::as_str).collect();
    let out_s = path(&out);
    args.push(&out_s);
    run_helper("pdfunite", &args, &[], ctx.limits, 1 << 20, POPPLER)?;
    std::fs::read(&out).map_err(io)
}

//! What docx and xlsx (OOXML packages) share: relationships, the document
//! properties the package names, link targets outside the file, and
//! documents embedded in the file (read recursively).

use crate::xml::{attr, local, walk, Ev};
use crate::zipread::Archive;
use crate::{ExtractError, Extracted, Limits, Segment};
use baomi_core::{Part, SegmentInfo};

/// How many documents deep an embedded document is still read: the
/// workbook behind a chart in a document embedded in a document is level 2.
/// Deeper ones are coverage gaps. The size caps of [`Limits`] hold for the
/// whole tree (an embedded document's bytes count against its container's
/// total), so a document of nested documents cannot multiply them.
pub(crate) const MAX_EMBED_DEPTH: usize = 3;

/// One relationship of a `.rels` part.
pub(crate) struct Rel {
    pub(crate) id: String,
    /// The last path segment of the type, e.g. `hyperlink`, `core-properties`.
    pub(crate) kind: String,
    pub(crate) target: String,
    pub(crate) external: bool,
}

pub(crate) fn rels(
    xml: &[u8],
    format: &'static str,
    name: &str,
    limits: &Limits,
) -> Result<Vec<Rel>, ExtractError> {
    let mut out = Vec::new();
    walk(xml, format, name, limits, |ev| {
        if let Ev::Start(e) = ev {
            if local(e) == b"Relationship" {
                let kind = attr(e, b"Type").unwrap_or_default();
                out.push(Rel {
                    id: attr(e, b"Id").unwrap_or_default(),
                    kind: kind.rsplit('/').next().unwrap_or("").to_string(),
                    target: attr(e, b"Target").unwrap_or_default(),
                    external: attr(e, b"TargetMode")
                        .is_some_and(|m| m.eq_ignore_ascii_case("external")),
                });
            }
        }
        Ok(())
    })?;
    Ok(out)
}

/// The file properties the package relationships (`_rels/.rels`) name —
/// core, extended (app) and custom properties, wherever they are stored (a
/// `package/services/metadata/core-properties/….psmdcp` as well as
/// `docProps/core.xml`) — plus the usual `docProps/*.xml` if the package
/// does not name them. Returns nothing; sets `ex.title` if still unset.
pub(crate) fn package_props(
    archive: &mut Archive<'_>,
    format: &'static str,
    ex: &mut Extracted,
) -> Result<(), ExtractError> {
    let limits = archive.limits();
    let mut targets: Vec<String> = Vec::new();
    if let Some(xml) = archive.read("_rels/.rels")? {
        for rel in rels(&xml, format, "_rels/.rels", limits)? {
            let kind = rel.kind.to_ascii_lowercase().replace('-', "");
            if !rel.external
                && matches!(
                    kind.as_str(),
                    "coreproperties" | "extendedproperties" | "customproperties"
                )
            {
                let path = crate::xlsx::resolve("", &rel.target);
                if !targets.contains(&path) {
                    targets.push(path);
                }
            }
        }
    }
    for fixed in [
        "docProps/core.xml",
        "docProps/app.xml",
        "docProps/custom.xml",
    ] {
        if !targets.iter().any(|t| t == fixed) && archive.contains(fixed) {
            targets.push(fixed.to_string());
        }
    }
    for target in targets {
        if let Some(xml) = archive.read(&target)? {
            let title = crate::props::collect(&xml, format, &target, limits, &mut ex.segments)?;
            if ex.title.is_none() {
                ex.title = title;
            }
        }
    }
    Ok(())
}

/// Custom XML data parts (`customXml/item*.xml`: document-management
/// fields such as a 密级 or a drafter an office system stores there) as
/// `metadata`; their `itemProps` hold no text.
pub(crate) fn custom_xml(
    archive: &mut Archive<'_>,
    format: &'static str,
    ex: &mut Extracted,
) -> Result<(), ExtractError> {
    let names: Vec<String> = archive.names().to_vec();
    for name in &names {
        let custom = name.strip_prefix("customXml/").is_some_and(|f| {
            !f.contains('/')
                && f.starts_with("item")
                && !f.starts_with("itemProps")
                && f.ends_with(".xml")
        });
        if custom {
            crate::markup::read_part(
                archive,
                format,
                name,
                Part::Metadata,
                " (custom XML data)",
                ex,
            )?;
        }
    }
    Ok(())
}

/// Every relationship that points outside the file (`TargetMode="External"`:
/// hyperlinks, linked images and templates, linked OLE objects) becomes a
/// `hyperlink` segment, percent-decoded, with the relationships part and id
/// as detail: a local path such as `file:///C:\Documents and Settings\张三\…`
/// ships with the file although nobody sees it.
pub(crate) fn external_targets(
    archive: &mut Archive<'_>,
    format: &'static str,
    ex: &mut Extracted,
) -> Result<(), ExtractError> {
    let limits = archive.limits();
    let names: Vec<String> = archive
        .names()
        .iter()
        .filter(|n| n.ends_with(".rels"))
        .cloned()
        .collect();
    for name in names {
        let Some(xml) = archive.read(&name)? else {
            continue;
        };
        for rel in rels(&xml, format, &name, limits)? {
            if rel.external && !rel.target.trim().is_empty() {
                ex.segments.push(Segment::new(
                    SegmentInfo {
                        detail: Some(format!("{name}: {} {}", rel.kind, rel.id)),
                        ..SegmentInfo::new(Part::Hyperlink)
                    },
                    percent_decode(&rel.target).replace(['\r', '\n'], " "),
                ));
            }
        }
    }
    Ok(())
}

/// `%E6%9C%BA` → `机` when the escapes spell UTF-8; otherwise the text as is.
pub(crate) fn percent_decode(s: &str) -> String {
    if !s.contains('%') {
        return s.to_string();
    }
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%' && i + 2 < b.len() {
            if let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2])) {
                out.push((h * 16 + l) as u8);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8(out).unwrap_or_else(|_| s.to_string())
}

/// Reads an embedded document (`word/embeddings/…`, `xl/embeddings/…`, an
/// odt `Object N`) with the readers of its own format and adds its segments
/// to `ex`: its visible parts (body, headers, footers, notes) as
/// `embedded`, its hidden parts (comments, tracked changes, metadata…) as
/// themselves, each with the entry name in front of its
/// detail. What cannot be read — an OLE object (`oleObject1.bin`, a legacy
/// `.xls`), a format baomi does not read, a document nested deeper than
/// [`MAX_EMBED_DEPTH`] — is a coverage gap that names the entry. A bomb in
/// an embedded document is an error of the whole file.
pub(crate) fn embedded(
    archive: &mut Archive<'_>,
    name: &str,
    ex: &mut Extracted,
) -> Result<(), ExtractError> {
    if archive.depth() >= MAX_EMBED_DEPTH {
        archive.consume(name);
        ex.coverage.gap(format!(
            "embedded object {name} is nested more than {MAX_EMBED_DEPTH} documents deep and was not read: open it and scan it separately"
        ));
        return Ok(());
    }
    let Some(bytes) = archive.read(name)? else {
        return Ok(());
    };
    if bytes.is_empty() {
        return Ok(());
    }
    let limits = archive.limits();
    let inner = if bytes.starts_with(b"PK\x03\x04") {
        match Archive::open_nested(
            &bytes,
            "embedded document",
            limits,
            archive.depth() + 1,
            archive.total(),
        ) {
            Ok(mut child) => {
                let result = crate::extract_zip(&mut child, limits);
                archive.set_total(child.total());
                result
            }
            Err(e) => Err(e),
        }
    } else if bytes.starts_with(&crate::OLE2) {
        Err(ExtractError::Unsupported(
            "an OLE object (legacy Office or another program's data)".into(),
        ))
    } else {
        Err(ExtractError::Unsupported(
            "not a document format baomi reads".into(),
        ))
    };
    match inner {
        Ok(inner) => merge(ex, name, inner),
        Err(e @ ExtractError::Bomb(_)) => return Err(e),
        Err(e) => ex.coverage.gap(format!(
            "embedded object {name} was not read ({e}): open it and scan it separately"
        )),
    }
    Ok(())
}

/// Adds an embedded document's segments and coverage to its container's.
pub(crate) fn merge(ex: &mut Extracted, name: &str, inner: Extracted) {
    for mut seg in inner.segments {
        // What shows in the embedded document (its body, headers, …) is
        // `embedded` here; what is hidden there stays what it is.
        if seg.info.part.is_none_or(|p| !p.is_hidden()) {
            seg.info.part = Some(Part::Embedded);
        }
        seg.info.detail = Some(match seg.info.detail.take() {
            Some(d) => format!("{name}: {d}"),
            None => name.to_string(),
        });
        ex.segments.push(seg);
    }
    if !inner.coverage.complete {
        ex.coverage.complete = false;
    }
    for note in inner.coverage.notes {
        ex.coverage.notes.push(format!("{name}: {note}"));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percent_decoding_keeps_what_is_not_utf8() {
        assert_eq!(
            percent_decode("file:///C:/%E6%9C%BA%E5%AF%86/a%20b.doc"),
            "file:///C:/机密/a b.doc"
        );
        assert_eq!(percent_decode("100%"), "100%");
        assert_eq!(percent_decode("%zz%4"), "%zz%4");
        assert_eq!(percent_decode("%FF"), "%FF");
    }
}

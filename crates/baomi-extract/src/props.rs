//! File properties (docx `docProps/*.xml`, odt `meta.xml`): every field with
//! text becomes a `metadata` segment whose detail names the file and field,
//! because author, company or a "内部资料" keyword there ships with the file.

use crate::xml::{attr, walk, Ev};
use crate::{ExtractError, Limits, Segment};
use baomi_core::{Part, SegmentInfo};

/// Collects the text fields of a properties part into `out`; returns the
/// document title if the part has one.
pub(crate) fn collect(
    xml: &[u8],
    format: &'static str,
    part: &str,
    limits: &Limits,
    out: &mut Vec<Segment>,
) -> Result<Option<String>, ExtractError> {
    // (qualified name, `name` attribute) of each open element.
    let mut stack: Vec<(String, Option<String>)> = Vec::new();
    let mut text = String::new();
    let mut title = None;
    walk(xml, format, part, limits, |ev| {
        match ev {
            Ev::Start(e) => {
                let qname = e.name().as_ref().to_string();
                stack.push((qname, attr(e, b"name")));
                text.clear();
            }
            Ev::Text(t) => {
                if text.len() < 1 << 20 {
                    text.push_str(t);
                }
            }
            Ev::End(_) => {
                let value = text.trim();
                if !value.is_empty() && stack.len() >= 2 {
                    let field = field_name(&stack);
                    if matches!(field.as_str(), "dc:title") && title.is_none() {
                        title = Some(value.to_string());
                    }
                    out.push(Segment::new(
                        SegmentInfo {
                            detail: Some(format!("{part}: {field}")),
                            ..SegmentInfo::new(Part::Metadata)
                        },
                        value.to_string(),
                    ));
                }
                text.clear();
                stack.pop();
            }
        }
        Ok(())
    })?;
    Ok(title)
}

/// A readable name for the innermost field: the element's own name, or for
/// typed values (`vt:lpwstr`) the nearest named or untyped ancestor
/// (`property "密级"`, `TitlesOfParts`).
fn field_name(stack: &[(String, Option<String>)]) -> String {
    for (qname, name) in stack.iter().rev() {
        if let Some(n) = name {
            return format!("{qname} \"{n}\"");
        }
        if !qname.starts_with("vt:") {
            return qname.clone();
        }
    }
    stack.last().map(|(q, _)| q.clone()).unwrap_or_default()
}

//! Zip packages (OOXML, OpenDocument): every entry read under
//! baomi-extract's bomb caps, parts replaced or removed, and the package
//! written again with its references (relationships, content types)
//! following the removals, so that Word and LibreOffice open the copy
//! without a repair prompt.

use crate::xmltree::{self, Node};
use crate::{Action, Context, RedactError};
use std::collections::BTreeSet;
use std::io::Write;
use zip::write::SimpleFileOptions;
use zip::CompressionMethod;

pub(crate) struct Package {
    entries: Vec<(String, Vec<u8>)>,
    removed: BTreeSet<String>,
}

impl Package {
    /// Reads every entry (directories left out).
    pub(crate) fn open(
        bytes: &[u8],
        format: &'static str,
        ctx: &Context<'_>,
    ) -> Result<Package, RedactError> {
        let mut archive = baomi_extract::Archive::open(bytes, format, ctx.limits)?;
        let names: Vec<String> = archive.names().to_vec();
        let mut entries = Vec::with_capacity(names.len());
        for name in names {
            if name.ends_with('/') {
                continue;
            }
            if let Some(data) = archive.read(&name)? {
                entries.push((name, data));
            }
        }
        Ok(Package {
            entries,
            removed: BTreeSet::new(),
        })
    }

    pub(crate) fn names(&self) -> Vec<String> {
        self.entries.iter().map(|(n, _)| n.clone()).collect()
    }

    pub(crate) fn get(&self, name: &str) -> Option<&[u8]> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, d)| d.as_slice())
    }

    pub(crate) fn set(&mut self, name: &str, data: Vec<u8>) {
        if let Some(e) = self.entries.iter_mut().find(|(n, _)| n == name) {
            e.1 = data;
        }
    }

    /// Removes a part and records it with a preview of its text.
    pub(crate) fn remove(&mut self, name: &str, ctx: &mut Context<'_>) {
        let Some(i) = self.entries.iter().position(|(n, _)| n == name) else {
            return;
        };
        let (_, data) = self.entries.remove(i);
        let text = xmltree::parse(&data, name, ctx.limits.max_xml_depth)
            .map(|d| d.root.spaced_text())
            .unwrap_or_default();
        ctx.record(name, "whole part", Action::RemovedPart, &text);
        self.removed.insert(name.to_string());
    }

    /// Parses an XML part.
    pub(crate) fn xml(
        &self,
        name: &str,
        ctx: &Context<'_>,
    ) -> Result<Option<xmltree::Doc>, RedactError> {
        self.get(name)
            .map(|d| xmltree::parse(d, name, ctx.limits.max_xml_depth))
            .transpose()
    }

    /// OOXML: drops relationships to removed parts and the removed parts'
    /// own relationship files and content-type overrides; external targets
    /// (hyperlinks, linked files) that hold a finding become `about:blank`.
    pub(crate) fn fix_ooxml_references(
        &mut self,
        ctx: &mut Context<'_>,
    ) -> Result<(), RedactError> {
        let removed: Vec<String> = self.removed.iter().cloned().collect();
        for name in &removed {
            let (dir, file) = name.rsplit_once('/').unwrap_or(("", name));
            let rels = if dir.is_empty() {
                format!("_rels/{file}.rels")
            } else {
                format!("{dir}/_rels/{file}.rels")
            };
            if let Some(i) = self.entries.iter().position(|(n, _)| *n == rels) {
                self.entries.remove(i);
                self.removed.insert(rels);
            }
        }
        for name in self.names() {
            if !name.ends_with(".rels") {
                continue;
            }
            let Some(mut doc) = self.xml(&name, ctx)? else {
                continue;
            };
            let base = name
                .strip_suffix(".rels")
                .and_then(|n| n.rsplit_once("_rels/"))
                .map(|(dir, _)| dir.trim_end_matches('/').to_string())
                .unwrap_or_default();
            let mut changed = false;
            let removed = &self.removed;
            let mut records = Vec::new();
            doc.root.children.retain_mut(|n| {
                let Node::Elem(e) = n else { return true };
                if e.local() != "Relationship" {
                    return true;
                }
                let target = e.attr("Target").unwrap_or_default();
                if e.attr("TargetMode").as_deref() == Some("External") {
                    if !ctx.scanner.scan(&target).findings.is_empty() {
                        records.push(target.clone());
                        e.edit_attrs(|k, v| {
                            Some(if k == "Target" {
                                "about:blank".into()
                            } else {
                                v.into()
                            })
                        });
                        changed = true;
                    }
                    return true;
                }
                if removed.contains(&resolve(&base, &target)) {
                    changed = true;
                    return false;
                }
                true
            });
            for t in records {
                ctx.record(&name, "external target", Action::RemovedHidden, &t);
            }
            if changed {
                self.set(&name, doc.to_bytes());
            }
        }
        if let Some(mut doc) = self.xml("[Content_Types].xml", ctx)? {
            let removed = &self.removed;
            let before = doc.root.children.len();
            doc.root.children.retain(|n| match n {
                Node::Elem(e) if e.local() == "Override" => {
                    let part = e.attr("PartName").unwrap_or_default();
                    !removed.contains(part.trim_start_matches('/'))
                }
                _ => true,
            });
            if doc.root.children.len() != before {
                self.set("[Content_Types].xml", doc.to_bytes());
            }
        }
        Ok(())
    }

    /// Writes the package: entries in their order, `mimetype` (ODF) first
    /// and stored, everything else deflated.
    pub(crate) fn write(&self) -> Result<Vec<u8>, RedactError> {
        let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        let io = |e: std::io::Error| RedactError::Malformed(format!("cannot write the copy: {e}"));
        let zerr = |e: zip::result::ZipError| {
            RedactError::Malformed(format!("cannot write the copy: {e}"))
        };
        let mut order: Vec<&(String, Vec<u8>)> = self.entries.iter().collect();
        order.sort_by_key(|(n, _)| n != "mimetype");
        for (name, data) in order {
            let method = if name == "mimetype" {
                CompressionMethod::Stored
            } else {
                CompressionMethod::Deflated
            };
            let opts = SimpleFileOptions::default()
                .compression_method(method)
                .large_file(data.len() as u64 >= u32::MAX as u64);
            w.start_file(name.as_str(), opts).map_err(zerr)?;
            w.write_all(data).map_err(io)?;
        }
        Ok(w.finish().map_err(zerr)?.into_inner())
    }
}

/// A relationship target relative to the folder of its source part, as a
/// package name (`../media/a.png` from `word` → `media/a.png`).
pub(crate) fn resolve(base: &str, target: &str) -> String {
    let target = target.split('#').next().unwrap_or_default();
    let mut parts: Vec<&str> = if let Some(abs) = target.strip_prefix('/') {
        return normalise(abs.split('/').collect());
    } else {
        base.split('/').filter(|s| !s.is_empty()).collect()
    };
    parts.extend(target.split('/'));
    normalise(parts)
}

fn normalise(parts: Vec<&str>) -> String {
    let mut out: Vec<&str> = Vec::new();
    for p in parts {
        match p {
            "" | "." => {}
            ".." => {
                out.pop();
            }
            p => out.push(p),
        }
    }
    out.join("/")
}

#[cfg(test)]
mod tests {
    #[test]
    fn targets_resolve_like_opc_names() {
        assert_eq!(super::resolve("word", "comments.xml"), "word/comments.xml");
        assert_eq!(
            super::resolve("word", "../customXml/item1.xml"),
            "customXml/item1.xml"
        );
        assert_eq!(super::resolve("", "docProps/core.xml"), "docProps/core.xml");
        assert_eq!(
            super::resolve("word", "/docProps/app.xml"),
            "docProps/app.xml"
        );
    }
}

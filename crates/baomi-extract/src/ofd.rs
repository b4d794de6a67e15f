//! OFD (GB/T 33190-2016, 开放版式文档), the national format for electronic
//! official documents: a zip container whose `OFD.xml` names each
//! document's `Document.xml`, which lists pages, template pages, resources,
//! annotations, attachments and custom tags by paths (`BaseLoc`, `FileLoc`).
//!
//! Why a reader of our own: the OFD crates on crates.io (ofd-core, the
//! easyofd-* family, sofd) open the zip themselves, so none would go through
//! [`Archive`]'s bomb limits or [`walk`]'s DOCTYPE/depth refusal, and each
//! is a renderer or a model of the whole standard when this needs text
//! only; none maps glyph indices back to Unicode for text stored that way.
//! The few parts read here are small, so they are read with the same zip
//! and XML code as docx and odt, and fonts with `ttf-parser`.
//!
//! What is read, and how it is reported:
//! - page text (`body`, with `page`): every `TextObject/TextCode` of the
//!   page's layers (also inside `PageBlock`s), put in reading order by
//!   position — each `TextCode`'s start (`X`/`Y` inside the object's
//!   `Boundary`, through its `CTM`) and end (its `DeltaX` advances), so a
//!   marking a writer split into several objects, or wrote out of order, is
//!   one string again. Runs on one baseline form a line; a gap wider than
//!   1.5 em becomes a space.
//! - glyph indices (`CGTransform`, its `CodePosition` counted over the
//!   object's `TextCode`s together): where a `TextCode` holds placeholders
//!   (private-use characters, U+FFFD, controls, or nothing) for glyphs
//!   given by index, the glyphs are mapped back through the embedded font's
//!   `cmap`; glyphs that cannot be mapped (no font file, glyph not in the
//!   cmap) and private-use characters without a transform are a coverage
//!   gap naming the page.
//! - template pages (`body`, detail `template page …`, `page` = first page
//!   that uses it): read once each, whether used or not.
//! - annotations (`comment`, with `author` = `Creator` and `page`): the
//!   remark, parameters and the text of the appearance.
//! - attachments: each is read as a document of its own (any format baomi
//!   reads, OFD included, to [`MAX_ATTACHMENT_DEPTH`] levels) and its
//!   segments kept with detail `attachment NAME: …`; its name is metadata;
//!   one that cannot be read is a gap.
//! - `DocInfo` (title, author, subject, abstract, keywords, creator,
//!   `CustomDatas`), custom tags, extensions, outline titles, bookmark
//!   names and link targets (`URI` actions; on a page, with its `page`):
//!   `metadata`.
//! - images and electronic seals are noted (not scanned); composite
//!   objects are a gap.
//!
//! Paths are resolved relative to the file that references them (an
//! absolute `/…` from the container root; a path that is not found is also
//! tried from the document's and the container's root, as writers differ);
//! a path that climbs out of the container is refused as malformed. No
//! reference is followed twice around a cycle: templates are read once and
//! a template's own template references are not followed; attachments nest
//! to a fixed depth; every read counts towards the archive's byte budget.

use crate::xml::{attr, local, walk, Ev};
use crate::zipread::Archive;
use crate::{ExtractError, Extracted, Limits, Segment};
use baomi_core::{Part, SegmentInfo};
use quick_xml::events::BytesStart;
use std::cell::Cell;
use std::collections::{BTreeMap, HashMap};
use std::path::Path;
use std::rc::Rc;

const FORMAT: &str = "ofd";

/// How deep attachments are read inside attachments. An OFD attached to an
/// OFD is common (a notice with its annex); deeper nesting is not, and a
/// cap keeps a crafted chain from costing a full extraction per level.
pub(crate) const MAX_ATTACHMENT_DEPTH: usize = 3;

thread_local! {
    /// Attachment nesting of the extraction running on this thread.
    static DEPTH: Cell<usize> = const { Cell::new(0) };
}

/// Whether the first local headers of a zip (`head`) hold an `OFD.xml` at
/// the container's root — the entry GB/T 33190 puts there.
pub(crate) fn is_ofd_head(head: &[u8]) -> bool {
    let mut at = 0;
    while let Some(i) = memchr::memmem::find(&head[at..], b"PK\x03\x04") {
        let h = at + i;
        let Some(len) = head.get(h + 26..h + 28) else {
            return false;
        };
        let len = u16::from_le_bytes([len[0], len[1]]) as usize;
        if head.get(h + 30..h + 30 + len) == Some(&b"OFD.xml"[..]) {
            return true;
        }
        at = h + 4;
    }
    false
}

pub(crate) fn extract(
    archive: &mut Archive<'_>,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let Some(root) = archive.read("OFD.xml")? else {
        return Err(malformed("OFD.xml is missing".into()));
    };
    let mut r = Reader {
        archive,
        limits,
        ex: Extracted::default(),
        fonts: HashMap::new(),
        images: 0,
        pages_total: 0,
        pages_with_text: 0,
    };
    let bodies = r.doc_bodies(&root)?;
    if bodies.is_empty() {
        return Err(malformed("OFD.xml has no DocBody/DocRoot".into()));
    }
    if bodies.len() > limits.max_entries {
        return Err(ExtractError::Bomb(format!(
            "OFD.xml lists {} documents (limit {})",
            bodies.len(),
            limits.max_entries
        )));
    }
    let many = bodies.len() > 1;
    let mut seen = std::collections::HashSet::new();
    for (i, body) in bodies.iter().enumerate() {
        // The same DocRoot twice is the same document: read it once.
        if !seen.insert(body.doc_root.trim_start_matches('/').to_string()) {
            continue;
        }
        let label = many.then(|| format!("document {}", i + 1));
        r.document(body, label.as_deref())?;
    }
    let images = r.images;
    r.ex.note_unread_images(images);
    if r.pages_total > 0 && r.pages_with_text == 0 && r.ex.segments.iter().all(is_meta) {
        return Err(ExtractError::Other(format!(
            "no text on any of its {} page(s) (scanned images?): needs OCR or manual review",
            r.pages_total
        )));
    }
    let mut ex = r.ex;
    ex.record_parts();
    Ok(ex)
}

fn is_meta(s: &Segment) -> bool {
    s.info.part == Some(Part::Metadata)
}

fn malformed(message: String) -> ExtractError {
    ExtractError::Malformed {
        format: FORMAT,
        message,
    }
}

/// One `DocBody` of OFD.xml.
struct Body {
    doc_root: String,
    signatures: Option<String>,
}

struct FontRes {
    name: String,
    /// Container path of the embedded font file.
    file: Option<String>,
    /// Glyph index → character, built on first use (`None` inside: no
    /// usable font file).
    cmap: Option<Option<Rc<HashMap<u16, char>>>>,
}

struct Reader<'a, 'b> {
    archive: &'b mut Archive<'a>,
    limits: &'b Limits,
    ex: Extracted,
    /// Fonts of the document being read, by resource ID.
    fonts: HashMap<String, FontRes>,
    images: usize,
    pages_total: usize,
    pages_with_text: usize,
}

/// The directory of a container path (`""` for the root).
fn dir_of(path: &str) -> &str {
    path.rfind('/').map_or("", |i| &path[..i])
}

/// Resolves `loc`, referenced from a file in directory `dir`, to a
/// container path (`""` for the root itself); `None` when it climbs out of
/// the container.
fn join(dir: &str, loc: &str) -> Option<String> {
    let loc = loc.trim().replace('\\', "/");
    let mut parts: Vec<&str> = Vec::new();
    let base = if loc.starts_with('/') { "" } else { dir };
    for seg in base.split('/').chain(loc.split('/')) {
        match seg {
            "" | "." => {}
            ".." => {
                parts.pop()?;
            }
            s => parts.push(s),
        }
    }
    Some(parts.join("/"))
}

impl Reader<'_, '_> {
    /// Finds the entry `loc` names from a file in `dir`: relative to that
    /// file first, then to the document's root `doc_dir`, then the
    /// container's. A path that leaves the container is malformed.
    fn locate(
        &self,
        dir: &str,
        doc_dir: &str,
        loc: &str,
        from: &str,
    ) -> Result<String, ExtractError> {
        let escape = || {
            malformed(format!(
                "{from} refers to {loc:?}, a path outside the container: refused"
            ))
        };
        let first = join(dir, loc).ok_or_else(escape)?;
        if self.archive.contains(&first) {
            return Ok(first);
        }
        for base in [doc_dir, ""] {
            if let Some(p) = join(base, loc) {
                if self.archive.contains(&p) {
                    return Ok(p);
                }
            }
        }
        Ok(first)
    }

    fn read_required(&mut self, path: &str, what: &str) -> Result<Vec<u8>, ExtractError> {
        self.archive
            .read(path)?
            .ok_or_else(|| malformed(format!("{what} {path} is missing from the container")))
    }

    /// Reads OFD.xml: its document bodies, and each DocInfo as metadata.
    fn doc_bodies(&mut self, xml: &[u8]) -> Result<Vec<Body>, ExtractError> {
        let mut bodies = Vec::new();
        let mut stack: Vec<Vec<u8>> = Vec::new();
        let mut text = String::new();
        let mut custom_name: Option<String> = None;
        let mut cur: Option<Body> = None;
        let mut doc_root = String::new();
        let mut signatures = String::new();
        let mut segments = Vec::new();
        let mut title = None;
        walk(xml, FORMAT, "OFD.xml", self.limits, |ev| {
            match ev {
                Ev::Start(e) => {
                    let l = local(e);
                    match l.as_slice() {
                        b"DocBody" => {
                            cur = Some(Body {
                                doc_root: String::new(),
                                signatures: None,
                            })
                        }
                        b"CustomData" => custom_name = attr(e, b"Name"),
                        _ => {}
                    }
                    stack.push(l);
                    text.clear();
                }
                Ev::Text(t) => {
                    if text.len() < 1 << 20 {
                        text.push_str(t);
                    }
                    match stack.last().map(Vec::as_slice) {
                        Some(b"DocRoot") => doc_root.push_str(t),
                        Some(b"Signatures") => signatures.push_str(t),
                        _ => {}
                    }
                }
                Ev::End(l) => {
                    let in_info = stack.iter().any(|s| s == b"DocInfo");
                    let value = text.trim();
                    if in_info && !value.is_empty() && l != b"DocInfo" {
                        let field = match (l, &custom_name) {
                            (b"CustomData", Some(n)) => format!("CustomData \"{n}\""),
                            _ => format!("DocInfo/{}", String::from_utf8_lossy(l)),
                        };
                        if l == b"Title" && title.is_none() {
                            title = Some(value.to_string());
                        }
                        segments.push(Segment::new(
                            SegmentInfo {
                                detail: Some(format!("OFD.xml: {field}")),
                                ..SegmentInfo::new(Part::Metadata)
                            },
                            value.to_string(),
                        ));
                    }
                    text.clear();
                    stack.pop();
                    match l {
                        b"DocRoot" => {
                            if let Some(b) = cur.as_mut() {
                                b.doc_root = std::mem::take(&mut doc_root).trim().to_string();
                            }
                        }
                        b"Signatures" => {
                            if let Some(b) = cur.as_mut() {
                                let s = std::mem::take(&mut signatures).trim().to_string();
                                b.signatures = (!s.is_empty()).then_some(s);
                            }
                        }
                        b"DocBody" => {
                            if let Some(b) = cur.take().filter(|b| !b.doc_root.is_empty()) {
                                bodies.push(b);
                            }
                        }
                        b"CustomData" => custom_name = None,
                        _ => {}
                    }
                }
            }
            Ok(())
        })?;
        self.ex.segments.extend(segments);
        self.ex.title = title;
        Ok(bodies)
    }

    fn document(&mut self, body: &Body, label: Option<&str>) -> Result<(), ExtractError> {
        let doc_path = self.locate("", "", &body.doc_root, "OFD.xml")?;
        let xml = self.read_required(&doc_path, "the document (DocRoot)")?;
        let doc_dir = dir_of(&doc_path).to_string();
        let d = parse_document(&xml, &doc_path, self.limits)?;
        if d.pages.len() > self.limits.max_entries {
            return Err(ExtractError::Bomb(format!(
                "{doc_path} lists {} pages (limit {})",
                d.pages.len(),
                self.limits.max_entries
            )));
        }
        let prefix = |s: String| match label {
            Some(l) => format!("{l}: {s}"),
            None => s,
        };

        // Resources: fonts for glyph mapping.
        self.fonts.clear();
        for res in &d.resources {
            let path = self.locate(&doc_dir, &doc_dir, res, &doc_path)?;
            if let Some(xml) = self.archive.read(&path)? {
                self.read_resources(&xml, &path, &doc_dir)?;
            } else {
                self.ex
                    .coverage
                    .gap(prefix(format!("resource file {path} is missing: fonts it declares cannot be used to map glyphs")));
            }
        }

        for (what, text) in &d.labels {
            self.ex.segments.push(Segment::new(
                SegmentInfo {
                    detail: Some(prefix(format!("{doc_path}: {what}"))),
                    ..SegmentInfo::new(Part::Metadata)
                },
                text.clone(),
            ));
        }
        for (title, level) in &d.outlines {
            self.ex.segments.push(Segment::new(
                SegmentInfo {
                    detail: Some(prefix(format!("{doc_path}: outline (level {level})"))),
                    ..SegmentInfo::new(Part::Metadata)
                },
                title.clone(),
            ));
        }

        // Pages.
        let mut page_numbers: HashMap<String, u32> = HashMap::new();
        let mut template_use: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        // Content file → first page using it: a file listing one page
        // thousands of times is read once, not thousands of times.
        let mut page_files: HashMap<String, u32> = HashMap::new();
        let mut repeats: Vec<(u32, u32)> = Vec::new();
        for (i, (id, loc)) in d.pages.iter().enumerate() {
            let n = i as u32 + 1;
            self.pages_total += 1;
            if let Some(id) = id {
                page_numbers.entry(id.clone()).or_insert(n);
            }
            let path = self.locate(&doc_dir, &doc_dir, loc, &doc_path)?;
            if let Some(first) = page_files.get(&path) {
                repeats.push((n, *first));
                self.pages_with_text += 1;
                continue;
            }
            page_files.insert(path.clone(), n);
            let Some(xml) = self.archive.read(&path)? else {
                self.ex.coverage.gap(prefix(format!(
                    "page {n} ({path}) is missing from the container: it was not read"
                )));
                continue;
            };
            let content = parse_content(&xml, &path, self.limits)?;
            for t in &content.templates {
                template_use.entry(t.clone()).or_default().push(n);
            }
            let page_dir = dir_of(&path).to_string();
            let saved = if content.page_res.is_empty() {
                None
            } else {
                Some(self.fonts_snapshot())
            };
            for res in &content.page_res {
                let p = self.locate(&page_dir, &doc_dir, res, &path)?;
                if let Some(xml) = self.archive.read(&p)? {
                    self.read_resources(&xml, &p, &doc_dir)?;
                }
            }
            let where_ = prefix(format!("page {n}"));
            for link in &content.links {
                self.ex.segments.push(Segment::new(
                    SegmentInfo {
                        page: Some(n),
                        detail: Some(prefix(format!("link target ({path})"))),
                        ..SegmentInfo::new(Part::Metadata)
                    },
                    link.clone(),
                ));
            }
            let text = self.lay_out(&content.objects, &where_);
            self.count_other(&content, &where_);
            if let Some(saved) = saved {
                self.fonts = saved;
            }
            if text.trim().is_empty() {
                if content.images > 0 {
                    self.ex.coverage.gap(format!(
                        "{where_} has no text, only images (scanned?): needs OCR or manual review"
                    ));
                }
                continue;
            }
            self.pages_with_text += 1;
            self.ex.segments.push(Segment::new(
                SegmentInfo {
                    page: Some(n),
                    detail: label.map(str::to_string),
                    ..SegmentInfo::new(Part::Body)
                },
                text,
            ));
        }

        if let Some((n, first)) = repeats.first() {
            self.ex.coverage.notes.push(prefix(format!(
                "{} page(s) (the first: page {n}) use the content file of an earlier page (page {first}); it was read once",
                repeats.len()
            )));
        }

        // Template pages, once each.
        for (id, loc) in &d.templates {
            let path = self.locate(&doc_dir, &doc_dir, loc, &doc_path)?;
            let Some(xml) = self.archive.read(&path)? else {
                self.ex.coverage.gap(prefix(format!(
                    "template page {id} ({path}) is missing from the container: it was not read"
                )));
                continue;
            };
            let content = parse_content(&xml, &path, self.limits)?;
            let used = template_use.get(id);
            let detail = match used {
                Some(p) => format!("template page {id} ({path}), used on {}", page_list(p)),
                None => format!("template page {id} ({path}), not used by any page"),
            };
            let text = self.lay_out(&content.objects, &prefix(format!("template page {id}")));
            self.count_other(&content, &prefix(format!("template page {id}")));
            if !text.trim().is_empty() {
                self.ex.segments.push(Segment::new(
                    SegmentInfo {
                        page: used.and_then(|p| p.first().copied()),
                        detail: Some(prefix(detail)),
                        ..SegmentInfo::new(Part::Body)
                    },
                    text,
                ));
            }
        }

        if let Some(loc) = &d.annotations {
            let path = self.locate(&doc_dir, &doc_dir, loc, &doc_path)?;
            self.annotations(&path, &doc_dir, &page_numbers, &prefix)?;
        }
        if let Some(loc) = &d.attachments {
            let path = self.locate(&doc_dir, &doc_dir, loc, &doc_path)?;
            self.attachments(&path, &doc_dir, &prefix)?;
        }
        if let Some(loc) = &d.custom_tags {
            let path = self.locate(&doc_dir, &doc_dir, loc, &doc_path)?;
            self.custom_tags(&path, &doc_dir, &prefix)?;
        }
        if let Some(loc) = &d.extensions {
            let path = self.locate(&doc_dir, &doc_dir, loc, &doc_path)?;
            match self.archive.read(&path)? {
                Some(xml) => {
                    let mut segs = Vec::new();
                    crate::props::collect(&xml, FORMAT, &path, self.limits, &mut segs)?;
                    self.ex.segments.extend(segs);
                    if memchr::memmem::find(&xml, b"ExtendData>").is_some() {
                        self.ex.coverage.gap(prefix(format!(
                            "{path} refers to extension data files (ExtendData), which are not read"
                        )));
                    }
                }
                None => self.ex.coverage.gap(prefix(format!(
                    "extensions file {path} is missing: it was not read"
                ))),
            }
        }
        if let Some(loc) = &body.signatures {
            let path = self.locate("", &doc_dir, loc, "OFD.xml")?;
            let count = self
                .archive
                .read(&path)?
                .map(|x| memchr::memmem::find_iter(&x, b"Signature ").count())
                .unwrap_or(0);
            self.ex.coverage.notes.push(prefix(format!(
                "{count} electronic signature(s) or seal(s) in {path}: seal images and signer data are not scanned"
            )));
        }
        Ok(())
    }

    fn fonts_snapshot(&self) -> HashMap<String, FontRes> {
        self.fonts
            .iter()
            .map(|(k, f)| {
                (
                    k.clone(),
                    FontRes {
                        name: f.name.clone(),
                        file: f.file.clone(),
                        cmap: f.cmap.clone(),
                    },
                )
            })
            .collect()
    }

    fn count_other(&mut self, content: &Content, where_: &str) {
        self.images += content.images;
        if content.composites > 0 {
            self.ex.coverage.gap(format!(
                "{where_}: {} composite object(s) (CompositeObject) not read: check the page by eye",
                content.composites
            ));
        }
    }

    /// Reads a resource file's fonts (`Res/Fonts/Font`, with `FontFile`
    /// relative to the file's `BaseLoc`).
    fn read_resources(
        &mut self,
        xml: &[u8],
        path: &str,
        doc_dir: &str,
    ) -> Result<(), ExtractError> {
        let mut base = dir_of(path).to_string();
        let mut fonts: Vec<(String, String, String)> = Vec::new(); // id, name, file loc
        let mut cur: Option<(String, String, String)> = None;
        let mut in_file = false;
        walk(xml, FORMAT, path, self.limits, |ev| {
            match ev {
                Ev::Start(e) => match local(e).as_slice() {
                    b"Res" => {
                        if let Some(b) = attr(e, b"BaseLoc") {
                            base = join(dir_of(path), &b).ok_or_else(|| {
                                malformed(format!(
                                    "{path} refers to {b:?}, a path outside the container: refused"
                                ))
                            })?;
                        }
                    }
                    b"Font" => {
                        let id = attr(e, b"ID").unwrap_or_default();
                        let name = attr(e, b"FontName")
                            .or_else(|| attr(e, b"FamilyName"))
                            .unwrap_or_default();
                        cur = Some((id, name, String::new()));
                    }
                    b"FontFile" => in_file = true,
                    _ => {}
                },
                Ev::Text(t) => {
                    if in_file {
                        if let Some(c) = cur.as_mut() {
                            c.2.push_str(t);
                        }
                    }
                }
                Ev::End(b"FontFile") => in_file = false,
                Ev::End(b"Font") => {
                    if let Some(c) = cur.take() {
                        fonts.push(c);
                    }
                }
                Ev::End(_) => {}
            }
            Ok(())
        })?;
        for (id, name, loc) in fonts {
            let file = if loc.trim().is_empty() {
                None
            } else {
                Some(self.locate(&base, doc_dir, &loc, path)?)
            };
            self.fonts.insert(
                id,
                FontRes {
                    name,
                    file,
                    cmap: None,
                },
            );
        }
        Ok(())
    }

    /// The glyph → character map of font `id`, read on first use.
    fn cmap(&mut self, id: &str) -> Option<Rc<HashMap<u16, char>>> {
        let font = self.fonts.get(id)?;
        if let Some(c) = &font.cmap {
            return c.clone();
        }
        let file = font.file.clone();
        let map = file
            .and_then(|f| self.archive.read(&f).ok().flatten())
            .and_then(|bytes| {
                let face = ttf_parser::Face::parse(&bytes, 0).ok()?;
                let mut map = HashMap::new();
                for sub in face.tables().cmap?.subtables {
                    if !sub.is_unicode() {
                        continue;
                    }
                    sub.codepoints(|cp| {
                        if let (Some(g), Some(c)) = (sub.glyph_index(cp), char::from_u32(cp)) {
                            map.entry(g.0).or_insert(c);
                        }
                    });
                }
                (!map.is_empty()).then(|| Rc::new(map))
            });
        if let Some(f) = self.fonts.get_mut(id) {
            f.cmap = Some(map.clone());
        }
        map
    }

    /// The text of some text objects in reading order, one line per
    /// baseline; glyphs that cannot be mapped back are recorded as gaps.
    fn lay_out(&mut self, objects: &[TextObj], where_: &str) -> String {
        let mut runs: Vec<PlacedRun> = Vec::new();
        let mut unmapped: BTreeMap<String, usize> = BTreeMap::new();
        let mut private = 0usize;
        for obj in objects {
            let texts = self.map_glyphs(obj, &mut unmapped, &mut private);
            place(obj, texts, &mut runs);
        }
        for (font, n) in unmapped {
            self.ex.coverage.gap(format!(
                "{where_}: {n} glyph(s) of font {font} are stored as glyph indices that cannot be mapped back to Unicode (no embedded font file or no cmap entry): read that text by eye"
            ));
        }
        if private > 0 {
            self.ex.coverage.gap(format!(
                "{where_}: {private} private-use character(s) without a glyph mapping cannot be read as text: read that text by eye"
            ));
        }
        lines(runs)
    }

    /// The text of each `TextCode` of `obj`, with placeholder characters
    /// that `CGTransform`s give as glyph indices replaced by the characters
    /// those glyphs have in the font's cmap.
    fn map_glyphs(
        &mut self,
        obj: &TextObj,
        unmapped: &mut BTreeMap<String, usize>,
        private: &mut usize,
    ) -> Vec<String> {
        let total: usize = obj.codes.iter().map(|c| c.text.chars().count()).sum();
        // Transforms whose characters are placeholders, by start.
        let mut cgs: Vec<&Cg> = obj
            .cgs
            .iter()
            .filter(|cg| {
                let end = cg.pos.saturating_add(cg.count.max(1));
                end > total
                    || obj
                        .codes
                        .iter()
                        .flat_map(|c| c.text.chars())
                        .skip(cg.pos)
                        .take(cg.count.max(1))
                        .any(is_placeholder)
            })
            .collect();
        cgs.sort_by_key(|cg| cg.pos);
        let font_label = || {
            let id = obj.font.clone().unwrap_or_default();
            match self_font_name(&self.fonts, &id) {
                Some(n) if !n.is_empty() => format!("{id} ({n})"),
                _ => id,
            }
        };
        let label = font_label();
        let cmap = if cgs.is_empty() {
            None
        } else {
            obj.font.as_deref().and_then(|f| self.cmap(f))
        };
        let mut decode = |cg: &Cg, out: &mut String| {
            for g in &cg.glyphs {
                match u16::try_from(*g)
                    .ok()
                    .and_then(|g| cmap.as_ref().and_then(|m| m.get(&g)))
                {
                    Some(c) => out.push(*c),
                    None => *unmapped.entry(label.clone()).or_default() += 1,
                }
            }
        };
        let mut out = Vec::with_capacity(obj.codes.len());
        let mut index = 0usize;
        let mut next = 0usize; // next transform in `cgs`
        let mut skip_until = 0usize;
        for (ci, code) in obj.codes.iter().enumerate() {
            let mut s = String::with_capacity(code.text.len());
            for c in code.text.chars() {
                while next < cgs.len() && cgs[next].pos <= index {
                    let cg = cgs[next];
                    decode(cg, &mut s);
                    skip_until = skip_until.max(cg.pos.saturating_add(cg.count));
                    next += 1;
                }
                if index >= skip_until {
                    if is_private(c) && !is_symbol_font_code(c) {
                        *private += 1;
                    } else {
                        s.push(c);
                    }
                }
                index += 1;
            }
            if ci + 1 == obj.codes.len() {
                while next < cgs.len() {
                    decode(cgs[next], &mut s);
                    next += 1;
                }
            }
            out.push(s);
        }
        out
    }

    fn annotations(
        &mut self,
        path: &str,
        doc_dir: &str,
        page_numbers: &HashMap<String, u32>,
        prefix: &dyn Fn(String) -> String,
    ) -> Result<(), ExtractError> {
        let Some(xml) = self.archive.read(path)? else {
            self.ex.coverage.gap(prefix(format!(
                "annotation list {path} is missing: annotations were not read"
            )));
            return Ok(());
        };
        // (page id, file loc)
        let mut files: Vec<(Option<String>, String)> = Vec::new();
        let mut in_loc = false;
        walk(&xml, FORMAT, path, self.limits, |ev| {
            match ev {
                Ev::Start(e) => match local(e).as_slice() {
                    b"Page" => files.push((attr(e, b"PageID"), String::new())),
                    b"FileLoc" => in_loc = true,
                    _ => {}
                },
                Ev::Text(t) if in_loc => {
                    if let Some(f) = files.last_mut() {
                        f.1.push_str(t);
                    }
                }
                Ev::End(b"FileLoc") => in_loc = false,
                _ => {}
            }
            Ok(())
        })?;
        if files.len() > self.limits.max_entries {
            return Err(ExtractError::Bomb(format!(
                "{path} lists {} annotation files (limit {})",
                files.len(),
                self.limits.max_entries
            )));
        }
        let dir = dir_of(path).to_string();
        for (page_id, loc) in files {
            let page = page_id
                .as_ref()
                .and_then(|id| page_numbers.get(id).copied());
            let file = self.locate(&dir, doc_dir, &loc, path)?;
            let Some(xml) = self.archive.read(&file)? else {
                self.ex.coverage.gap(prefix(format!(
                    "annotation file {file} is missing: its annotations were not read"
                )));
                continue;
            };
            let annots = parse_annots(&xml, &file, self.limits)?;
            for a in annots {
                let where_ = match page {
                    Some(p) => prefix(format!("page {p}, annotation {}", a.id)),
                    None => prefix(format!("annotation {}", a.id)),
                };
                let shown = self.lay_out(&a.objects, &where_);
                self.images += a.images;
                let mut text = a.text.join("\n");
                if !shown.trim().is_empty() {
                    if !text.is_empty() {
                        text.push('\n');
                    }
                    text.push_str(&shown);
                }
                if text.trim().is_empty() {
                    continue;
                }
                let kind = [a.kind.as_deref(), a.subtype.as_deref()]
                    .into_iter()
                    .flatten()
                    .collect::<Vec<_>>()
                    .join("/");
                let detail = if kind.is_empty() {
                    format!("annotation {} ({file})", a.id)
                } else {
                    format!("annotation {} {kind} ({file})", a.id)
                };
                self.ex.segments.push(Segment::new(
                    SegmentInfo {
                        page,
                        author: a.creator.filter(|c| !c.trim().is_empty()),
                        detail: Some(prefix(detail)),
                        ..SegmentInfo::new(Part::Comment)
                    },
                    text,
                ));
            }
        }
        Ok(())
    }

    fn attachments(
        &mut self,
        path: &str,
        doc_dir: &str,
        prefix: &dyn Fn(String) -> String,
    ) -> Result<(), ExtractError> {
        let Some(xml) = self.archive.read(path)? else {
            self.ex.coverage.gap(prefix(format!(
                "attachment list {path} is missing: attachments were not read"
            )));
            return Ok(());
        };
        struct Att {
            name: String,
            format: Option<String>,
            loc: String,
        }
        let mut list: Vec<Att> = Vec::new();
        let mut in_loc = false;
        walk(&xml, FORMAT, path, self.limits, |ev| {
            match ev {
                Ev::Start(e) => match local(e).as_slice() {
                    b"Attachment" => list.push(Att {
                        name: attr(e, b"Name").unwrap_or_default(),
                        format: attr(e, b"Format"),
                        loc: String::new(),
                    }),
                    b"FileLoc" => in_loc = true,
                    _ => {}
                },
                Ev::Text(t) if in_loc => {
                    if let Some(a) = list.last_mut() {
                        a.loc.push_str(t);
                    }
                }
                Ev::End(b"FileLoc") => in_loc = false,
                _ => {}
            }
            Ok(())
        })?;
        if list.len() > self.limits.max_entries {
            return Err(ExtractError::Bomb(format!(
                "{path} lists {} attachments (limit {})",
                list.len(),
                self.limits.max_entries
            )));
        }
        let dir = dir_of(path).to_string();
        for a in list {
            let file = self.locate(&dir, doc_dir, &a.loc, path)?;
            let base = file.rsplit('/').next().unwrap_or(&file).to_string();
            let mut name = if a.name.trim().is_empty() {
                base.clone()
            } else {
                a.name.trim().to_string()
            };
            if let Some(f) = a.format.as_deref().map(str::trim).filter(|f| !f.is_empty()) {
                if !name
                    .to_ascii_lowercase()
                    .ends_with(&format!(".{}", f.to_ascii_lowercase()))
                {
                    name = format!("{name}.{f}");
                }
            }
            self.ex.segments.push(Segment::new(
                SegmentInfo {
                    detail: Some(prefix(format!("attachment name ({file})"))),
                    ..SegmentInfo::new(Part::Metadata)
                },
                name.clone(),
            ));
            let Some(bytes) = self.archive.read(&file)? else {
                self.ex.coverage.gap(prefix(format!(
                    "attachment {name} ({file}) is missing from the container: it was not read"
                )));
                continue;
            };
            self.attachment(&name, &file, &bytes, prefix);
        }
        Ok(())
    }

    /// Reads one attachment as a document of its own and merges it.
    fn attachment(
        &mut self,
        name: &str,
        file: &str,
        bytes: &[u8],
        prefix: &dyn Fn(String) -> String,
    ) {
        let label = prefix(format!("attachment {name}"));
        let depth = DEPTH.with(Cell::get);
        if depth >= MAX_ATTACHMENT_DEPTH {
            self.ex.coverage.gap(format!(
                "{label} ({file}) is nested more than {MAX_ATTACHMENT_DEPTH} attachments deep and was not read: save it out and scan it separately"
            ));
            return;
        }
        struct Guard(usize);
        impl Drop for Guard {
            fn drop(&mut self) {
                DEPTH.with(|d| d.set(self.0));
            }
        }
        let _guard = Guard(depth);
        DEPTH.with(|d| d.set(depth + 1));
        match crate::extract(Path::new(name), bytes, self.limits) {
            Ok(inner) => {
                for mut seg in inner.segments {
                    let mut detail = label.clone();
                    if let Some(p) = seg.info.page.take() {
                        detail.push_str(&format!(", page {p}"));
                    }
                    if let Some(d) = seg.info.detail.take() {
                        detail.push_str(": ");
                        detail.push_str(&d);
                    }
                    seg.info.detail = Some(detail);
                    for r in &mut seg.regions {
                        r.info.page = None;
                    }
                    self.ex.segments.push(seg);
                }
                if !inner.coverage.complete {
                    self.ex.coverage.complete = false;
                }
                for n in inner.coverage.notes {
                    self.ex.coverage.notes.push(format!("{label}: {n}"));
                }
            }
            Err(e) => self.ex.coverage.gap(format!(
                "{label} ({file}) could not be read: {e}; save it out and review it separately"
            )),
        }
    }

    fn custom_tags(
        &mut self,
        path: &str,
        doc_dir: &str,
        prefix: &dyn Fn(String) -> String,
    ) -> Result<(), ExtractError> {
        let Some(xml) = self.archive.read(path)? else {
            self.ex.coverage.gap(prefix(format!(
                "custom tag list {path} is missing: custom tags were not read"
            )));
            return Ok(());
        };
        let mut locs: Vec<String> = Vec::new();
        let mut in_loc = false;
        walk(&xml, FORMAT, path, self.limits, |ev| {
            match ev {
                Ev::Start(e) if local(e) == b"FileLoc" => {
                    in_loc = true;
                    locs.push(String::new());
                }
                Ev::Text(t) if in_loc => {
                    if let Some(l) = locs.last_mut() {
                        l.push_str(t);
                    }
                }
                Ev::End(b"FileLoc") => in_loc = false,
                _ => {}
            }
            Ok(())
        })?;
        if locs.len() > self.limits.max_entries {
            return Err(ExtractError::Bomb(format!(
                "{path} lists {} custom tag files (limit {})",
                locs.len(),
                self.limits.max_entries
            )));
        }
        let dir = dir_of(path).to_string();
        let mut seen = std::collections::HashSet::new();
        for loc in locs {
            let file = self.locate(&dir, doc_dir, &loc, path)?;
            if !seen.insert(file.clone()) {
                continue;
            }
            match self.archive.read(&file)? {
                Some(xml) => {
                    let mut segs = Vec::new();
                    crate::props::collect(&xml, FORMAT, &file, self.limits, &mut segs)?;
                    for mut s in segs {
                        s.info.detail = s.info.detail.map(|d| prefix(format!("custom tag {d}")));
                        self.ex.segments.push(s);
                    }
                }
                None => self.ex.coverage.gap(prefix(format!(
                    "custom tag file {file} is missing: it was not read"
                ))),
            }
        }
        Ok(())
    }
}

fn self_font_name<'f>(fonts: &'f HashMap<String, FontRes>, id: &str) -> Option<&'f str> {
    fonts.get(id).map(|f| f.name.as_str())
}

fn page_list(pages: &[u32]) -> String {
    let shown: Vec<String> = pages.iter().take(10).map(u32::to_string).collect();
    let more = if pages.len() > 10 { ", …" } else { "" };
    let word = if pages.len() == 1 { "page" } else { "pages" };
    format!("{word} {}{more}", shown.join(", "))
}

/// What `Document.xml` lists.
#[derive(Default)]
struct DocumentXml {
    pages: Vec<(Option<String>, String)>,
    templates: Vec<(String, String)>,
    resources: Vec<String>,
    annotations: Option<String>,
    attachments: Option<String>,
    custom_tags: Option<String>,
    extensions: Option<String>,
    outlines: Vec<(String, usize)>,
    /// Bookmark names and link targets: (what, text).
    labels: Vec<(&'static str, String)>,
}

fn parse_document(xml: &[u8], path: &str, limits: &Limits) -> Result<DocumentXml, ExtractError> {
    let mut d = DocumentXml::default();
    let mut stack: Vec<Vec<u8>> = Vec::new();
    let mut text = String::new();
    let mut outline_depth = 0usize;
    walk(xml, FORMAT, path, limits, |ev| {
        match ev {
            Ev::Start(e) => {
                let l = local(e);
                let parent = stack.last().map(Vec::as_slice);
                match (l.as_slice(), parent) {
                    (b"Page", Some(b"Pages")) => {
                        if let Some(loc) = attr(e, b"BaseLoc") {
                            d.pages.push((attr(e, b"ID"), loc));
                        }
                    }
                    (b"TemplatePage", _) => {
                        if let Some(loc) = attr(e, b"BaseLoc") {
                            d.templates.push((attr(e, b"ID").unwrap_or_default(), loc));
                        }
                    }
                    (b"Bookmark", _) => d.labels.extend(
                        attr(e, b"Name")
                            .filter(|n| !n.trim().is_empty())
                            .map(|n| ("bookmark", n)),
                    ),
                    (b"URI", _) => d.labels.extend(
                        attr(e, b"URI")
                            .filter(|n| !n.trim().is_empty())
                            .map(|n| ("link target", n)),
                    ),
                    (b"OutlineElem", _) => {
                        outline_depth += 1;
                        if let Some(t) = attr(e, b"Title").filter(|t| !t.trim().is_empty()) {
                            d.outlines.push((t, outline_depth));
                        }
                    }
                    _ => {}
                }
                stack.push(l);
                text.clear();
            }
            Ev::Text(t) => {
                if text.len() < 1 << 16 {
                    text.push_str(t);
                }
            }
            Ev::End(l) => {
                stack.pop();
                let parent = stack.last().map(Vec::as_slice);
                let v = text.trim().to_string();
                text.clear();
                if l == b"OutlineElem" {
                    outline_depth = outline_depth.saturating_sub(1);
                }
                if v.is_empty() {
                    return Ok(());
                }
                match (l, parent) {
                    (b"PublicRes" | b"DocumentRes", Some(b"CommonData")) => d.resources.push(v),
                    (b"Annotations", Some(b"Document")) => d.annotations = Some(v),
                    (b"Attachments", Some(b"Document")) => d.attachments = Some(v),
                    (b"CustomTags", Some(b"Document")) => d.custom_tags = Some(v),
                    (b"Extensions", Some(b"Document")) => d.extensions = Some(v),
                    _ => {}
                }
            }
        }
        Ok(())
    })?;
    Ok(d)
}

/// A `CGTransform`: characters `pos..pos + count` of the object's text are
/// drawn as `glyphs`.
struct Cg {
    pos: usize,
    count: usize,
    glyphs: Vec<u32>,
}

struct Code {
    x: Option<f64>,
    y: Option<f64>,
    delta_x: Vec<f64>,
    text: String,
}

struct TextObj {
    font: Option<String>,
    size: f64,
    origin: (f64, f64),
    ctm: Option<[f64; 6]>,
    codes: Vec<Code>,
    cgs: Vec<Cg>,
}

/// The most characters (or glyphs) one `TextCode` or `CGTransform` is read
/// for: an entry can hold no more text than its size, but a `DeltaX` of
/// `g 4000000000 1` must not allocate four billion advances.
const MAX_CODE_CHARS: usize = 1 << 20;

fn numbers(s: &str) -> impl Iterator<Item = f64> + '_ {
    s.split_ascii_whitespace()
        .filter_map(|t| t.parse::<f64>().ok())
        .map(|v| if v.is_finite() { v } else { 0.0 })
}

/// Expands a `DeltaX`/`DeltaY` array (`g N v` repeats `v` N times).
fn deltas(s: &str, max: usize) -> Vec<f64> {
    let mut out = Vec::new();
    let mut tokens = s.split_ascii_whitespace();
    while out.len() < max {
        let Some(t) = tokens.next() else { break };
        if t == "g" {
            let n = tokens
                .next()
                .and_then(|n| n.parse::<usize>().ok())
                .unwrap_or(0);
            let v = tokens
                .next()
                .and_then(|v| v.parse::<f64>().ok())
                .filter(|v| v.is_finite())
                .unwrap_or(0.0);
            let n = n.min(max - out.len());
            out.extend(std::iter::repeat_n(v, n));
        } else if let Ok(v) = t.parse::<f64>() {
            out.push(if v.is_finite() { v } else { 0.0 });
        }
    }
    out
}

/// Collects `TextObject`s from the events of a content stream (a page, a
/// template, an annotation's appearance).
#[derive(Default)]
struct TextCollector {
    cur: Option<TextObj>,
    in_code: bool,
    in_glyphs: bool,
    done: Vec<TextObj>,
}

impl TextCollector {
    fn start(&mut self, l: &[u8], e: &BytesStart<'_>) {
        match l {
            b"TextObject" => {
                let origin = attr(e, b"Boundary")
                    .map(|b| {
                        let mut n = numbers(&b);
                        (n.next().unwrap_or(0.0), n.next().unwrap_or(0.0))
                    })
                    .unwrap_or((0.0, 0.0));
                let ctm = attr(e, b"CTM").and_then(|c| {
                    let v: Vec<f64> = numbers(&c).collect();
                    <[f64; 6]>::try_from(v).ok()
                });
                let size = attr(e, b"Size")
                    .or_else(|| attr(e, b"size"))
                    .and_then(|s| numbers(&s).next())
                    .filter(|s| *s > 0.0)
                    .unwrap_or(3.5);
                self.cur = Some(TextObj {
                    font: attr(e, b"Font"),
                    size,
                    origin,
                    ctm,
                    codes: Vec::new(),
                    cgs: Vec::new(),
                });
            }
            b"TextCode" => {
                if let Some(o) = self.cur.as_mut() {
                    self.in_code = true;
                    o.codes.push(Code {
                        x: attr(e, b"X").and_then(|v| numbers(&v).next()),
                        y: attr(e, b"Y").and_then(|v| numbers(&v).next()),
                        delta_x: attr(e, b"DeltaX")
                            .map(|d| deltas(&d, MAX_CODE_CHARS))
                            .unwrap_or_default(),
                        text: String::new(),
                    });
                }
            }
            b"CGTransform" => {
                if let Some(o) = self.cur.as_mut() {
                    let num = |name: &[u8], default: usize| {
                        attr(e, name)
                            .and_then(|v| v.trim().parse::<usize>().ok())
                            .unwrap_or(default)
                    };
                    // The standard's defaults: position 0, one character.
                    o.cgs.push(Cg {
                        pos: num(b"CodePosition", 0),
                        count: num(b"CodeCount", 1),
                        glyphs: Vec::new(),
                    });
                }
            }
            b"Glyphs" => self.in_glyphs = self.cur.is_some(),
            _ => {}
        }
    }

    fn end(&mut self, l: &[u8]) {
        match l {
            b"TextObject" => {
                if let Some(o) = self.cur.take() {
                    self.done.push(o);
                }
            }
            b"TextCode" => self.in_code = false,
            b"Glyphs" => self.in_glyphs = false,
            _ => {}
        }
    }

    fn text(&mut self, t: &str) {
        let Some(o) = self.cur.as_mut() else { return };
        if self.in_code {
            if let Some(c) = o.codes.last_mut() {
                if c.text.len() < MAX_CODE_CHARS * 4 {
                    c.text.push_str(t);
                }
            }
        } else if self.in_glyphs {
            if let Some(cg) = o.cgs.last_mut() {
                for g in t.split_ascii_whitespace() {
                    if cg.glyphs.len() >= MAX_CODE_CHARS {
                        break;
                    }
                    if let Ok(g) = g.parse::<u32>() {
                        cg.glyphs.push(g);
                    }
                }
            }
        }
    }
}

/// What a page or template content file holds.
#[derive(Default)]
struct Content {
    objects: Vec<TextObj>,
    templates: Vec<String>,
    page_res: Vec<String>,
    images: usize,
    composites: usize,
    /// `URI` targets of link actions.
    links: Vec<String>,
}

fn parse_content(xml: &[u8], path: &str, limits: &Limits) -> Result<Content, ExtractError> {
    let mut c = Content::default();
    let mut texts = TextCollector::default();
    let mut in_page_res = false;
    walk(xml, FORMAT, path, limits, |ev| {
        match ev {
            Ev::Start(e) => {
                let l = local(e);
                match l.as_slice() {
                    b"Template" => {
                        if let Some(id) = attr(e, b"TemplateID") {
                            c.templates.push(id);
                        }
                    }
                    b"PageRes" => {
                        in_page_res = true;
                        c.page_res.push(String::new());
                    }
                    b"ImageObject" => c.images += 1,
                    b"CompositeObject" => c.composites += 1,
                    b"URI" => c
                        .links
                        .extend(attr(e, b"URI").filter(|u| !u.trim().is_empty())),
                    _ => texts.start(&l, e),
                }
            }
            Ev::Text(t) => {
                if in_page_res {
                    if let Some(p) = c.page_res.last_mut() {
                        p.push_str(t);
                    }
                } else {
                    texts.text(t);
                }
            }
            Ev::End(l) => {
                if l == b"PageRes" {
                    in_page_res = false;
                }
                texts.end(l);
            }
        }
        Ok(())
    })?;
    c.page_res.retain(|p| !p.trim().is_empty());
    c.objects = texts.done;
    Ok(c)
}

struct Annot {
    id: String,
    kind: Option<String>,
    subtype: Option<String>,
    creator: Option<String>,
    text: Vec<String>,
    objects: Vec<TextObj>,
    images: usize,
}

/// Reads a page's annotation file (`PageAnnot/Annot`).
fn parse_annots(xml: &[u8], path: &str, limits: &Limits) -> Result<Vec<Annot>, ExtractError> {
    let mut out: Vec<Annot> = Vec::new();
    let mut cur: Option<(Annot, TextCollector)> = None;
    let mut field: Option<String> = None; // inside Remark or a Parameter
    let mut buf = String::new();
    walk(xml, FORMAT, path, limits, |ev| {
        match ev {
            Ev::Start(e) => {
                let l = local(e);
                match (l.as_slice(), cur.as_mut()) {
                    (b"Annot", _) => {
                        cur = Some((
                            Annot {
                                id: attr(e, b"ID").unwrap_or_default(),
                                kind: attr(e, b"Type"),
                                subtype: attr(e, b"Subtype"),
                                creator: attr(e, b"Creator"),
                                text: Vec::new(),
                                objects: Vec::new(),
                                images: 0,
                            },
                            TextCollector::default(),
                        ));
                    }
                    (b"Remark", Some(_)) => {
                        field = Some(String::new());
                        buf.clear();
                    }
                    (b"Parameter", Some(_)) => {
                        field = attr(e, b"Name").or_else(|| Some(String::new()));
                        buf.clear();
                    }
                    (b"ImageObject", Some((a, _))) => a.images += 1,
                    (_, Some((_, t))) => t.start(&l, e),
                    _ => {}
                }
            }
            Ev::Text(t) => {
                if field.is_some() {
                    if buf.len() < 1 << 20 {
                        buf.push_str(t);
                    }
                } else if let Some((_, c)) = cur.as_mut() {
                    c.text(t);
                }
            }
            Ev::End(l) => match l {
                b"Remark" | b"Parameter" => {
                    field = None;
                    let v = buf.trim();
                    if let Some((a, _)) = cur.as_mut() {
                        if !v.is_empty() {
                            a.text.push(v.to_string());
                        }
                    }
                    buf.clear();
                }
                b"Annot" => {
                    if let Some((mut a, t)) = cur.take() {
                        a.objects = t.done;
                        out.push(a);
                    }
                }
                _ => {
                    if let Some((_, t)) = cur.as_mut() {
                        t.end(l);
                    }
                }
            },
        }
        Ok(())
    })?;
    Ok(out)
}

/// Characters a writer puts in `TextCode` for glyphs it gives by index.
fn is_placeholder(c: char) -> bool {
    is_private(c) || c == '\u{FFFD}' || (c.is_control() && !c.is_whitespace())
}

fn is_private(c: char) -> bool {
    matches!(c, '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}' | '\u{100000}'..='\u{10FFFD}')
}

/// U+F000–U+F0FF: where Symbol and Wingdings fonts put their glyphs (a
/// bullet in Word's list numbering arrives as U+F06C). Pictograms, never
/// text, so they are kept as they are rather than reported as unreadable.
fn is_symbol_font_code(c: char) -> bool {
    matches!(c, '\u{F000}'..='\u{F0FF}')
}

/// One `TextCode`'s text at its place on the page.
struct PlacedRun {
    x: f64,
    y: f64,
    end: f64,
    size: f64,
    text: String,
}

/// Estimated advance of a character without `DeltaX`, in em.
fn advance(c: char) -> f64 {
    if c.is_ascii() {
        0.5
    } else {
        1.0
    }
}

fn place(obj: &TextObj, texts: Vec<String>, runs: &mut Vec<PlacedRun>) {
    let transform = |x: f64, y: f64| match obj.ctm {
        Some([a, b, c, d, e, f]) => (a * x + c * y + e, b * x + d * y + f),
        None => (x, y),
    };
    let scale = match obj.ctm {
        Some([_, _, _, d, _, _]) if d.abs() > 1e-9 => d.abs(),
        _ => 1.0,
    };
    let size = obj.size * scale;
    let (mut pen_x, mut pen_y) = (0.0f64, 0.0f64);
    for (code, text) in obj.codes.iter().zip(texts) {
        let x = code.x.unwrap_or(pen_x);
        let y = code.y.unwrap_or(pen_y);
        let mut width = 0.0;
        let n = text.chars().count();
        for (i, c) in text.chars().enumerate() {
            width += match code.delta_x.get(i) {
                Some(d) if i + 1 < n => *d,
                _ => advance(c) * obj.size,
            };
        }
        pen_x = x + width;
        pen_y = y;
        if text.is_empty() {
            continue;
        }
        let (sx, sy) = transform(x, y);
        let (ex, _) = transform(x + width, y);
        runs.push(PlacedRun {
            x: obj.origin.0 + sx,
            y: obj.origin.1 + sy,
            end: obj.origin.0 + ex.max(sx),
            size,
            text,
        });
    }
}

/// Joins placed runs into lines: runs whose baselines are within half an
/// em are one line, read left to right; a gap of more than 1.5 em between
/// runs becomes a space.
fn lines(mut runs: Vec<PlacedRun>) -> String {
    // Stable sorts: runs at the same place keep the writer's order.
    runs.sort_by(|a, b| a.y.total_cmp(&b.y));
    let mut out = String::new();
    let mut line: Vec<PlacedRun> = Vec::new();
    let flush = |line: &mut Vec<PlacedRun>, out: &mut String| {
        if line.is_empty() {
            return;
        }
        line.sort_by(|a, b| a.x.total_cmp(&b.x));
        if !out.is_empty() {
            out.push('\n');
        }
        let mut end = f64::NEG_INFINITY;
        for r in line.drain(..) {
            if end.is_finite() && r.x - end > 1.5 * r.size {
                out.push(' ');
            }
            out.push_str(&r.text);
            end = end.max(r.end);
        }
    };
    let mut line_y = 0.0;
    let mut line_size = 0.0f64;
    for r in runs {
        if !line.is_empty() && r.y - line_y > 0.5 * line_size.max(r.size) {
            flush(&mut line, &mut out);
        }
        if line.is_empty() {
            line_y = r.y;
            line_size = r.size;
        }
        line.push(r);
    }
    flush(&mut line, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_resolve_relative_to_the_referencing_file_and_never_escape() {
        assert_eq!(
            join("Doc_0", "Pages/Page_0/Content.xml").as_deref(),
            Some("Doc_0/Pages/Page_0/Content.xml")
        );
        assert_eq!(
            join("Doc_0/Pages/Page_0", "../../Res/f.ttf").as_deref(),
            Some("Doc_0/Res/f.ttf")
        );
        assert_eq!(
            join("Doc_0/Pages", "/Doc_0/Res/./f.ttf").as_deref(),
            Some("Doc_0/Res/f.ttf")
        );
        assert_eq!(join("Doc_0", "..\\x.xml").as_deref(), Some("x.xml"));
        assert_eq!(join("Doc_0", "../../etc/passwd"), None);
        assert_eq!(join("", "/../OFD.xml"), None);
        assert_eq!(join("", ".").as_deref(), Some(""));
    }

    #[test]
    fn delta_arrays_expand_and_are_capped() {
        assert_eq!(deltas("1 g 3 2.5 4", 10), [1.0, 2.5, 2.5, 2.5, 4.0]);
        assert_eq!(deltas("g 4000000000 1", 3).len(), 3);
        assert_eq!(deltas("g x NaN inf 2", 10), [0.0, 2.0]);
    }

    fn run(x: f64, y: f64, text: &str) -> PlacedRun {
        PlacedRun {
            x,
            y,
            end: x + text.chars().count() as f64 * 4.0,
            size: 4.0,
            text: text.into(),
        }
    }

    #[test]
    fn runs_are_read_by_position_not_by_order_in_the_file() {
        let runs = vec![
            run(22.0, 20.0, "长期"),
            run(10.0, 10.0, "标题"),
            run(10.0, 20.4, "绝密"),
            run(18.0, 19.8, "★"),
            run(60.0, 20.0, "远处"),
        ];
        assert_eq!(lines(runs), "标题\n绝密★长期 远处");
    }

    #[test]
    fn the_root_entry_is_told_from_a_nested_one() {
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.start_file("x/OFD.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        let nested = z.finish().unwrap().into_inner();
        assert!(!is_ofd_head(&nested));
        let mut z = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
        z.start_file("OFD.xml", zip::write::SimpleFileOptions::default())
            .unwrap();
        assert!(is_ofd_head(&z.finish().unwrap().into_inner()));
    }
}

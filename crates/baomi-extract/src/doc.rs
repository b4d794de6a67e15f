//! Word 97–2003 binary documents (.doc, and WPS Writer's .wps, which WPS
//! saves in the same format), read from the OLE2 container per [MS-DOC].
//!
//! Every story of the document is read, with the same parts and locations
//! as a .docx: the body (with table cells), footnotes, headers and footers
//! (per section), comments (annotations, with their author), endnotes,
//! text boxes (of the body and of headers), and the SummaryInformation and
//! DocumentSummaryInformation properties (also user-defined ones).
//! Character formatting (CHPX) is read for tracked deletions and insertions
//! (with the author from the revision-author table), hidden text
//! (`fVanish`); field codes are reported as hidden like docx `instrText`.
//!
//! Why our own reader (on the `cfb` container crate): the Rust crates that
//! parse [MS-DOC] we looked at (rust-docx/extend-docx, office_oxide,
//! kakemono, kreuzberg) either convert to a document model that drops the
//! part of a text (tracked deletions, hidden runs, annotation authors) or
//! bring a large dependency tree for one text extractor; the text parts are
//! a few well-specified tables (FIB, piece table, PLCs, CHPX pages), read
//! here with every offset and count checked against the stream it points
//! into.
//!
//! Known limits, reported rather than hidden: text hidden through a
//! character *style* (not direct formatting) is read as normal text (so it
//! is scanned, only not labelled hidden); document variables, embedded
//! objects and macros are coverage gaps.

use crate::ole::{read_stream, Compound};
use crate::story::{Run, Story};
use crate::{ExtractError, Extracted, Limits};
use baomi_core::{Part, SegmentInfo};

/// Reads the document. `format` is the name used in messages.
pub(crate) fn extract(
    comp: &mut Compound<'_>,
    format: &'static str,
    limits: &Limits,
) -> Result<Extracted, ExtractError> {
    let malformed = |message: String| ExtractError::Malformed { format, message };
    let word = read_stream(comp, "WordDocument", format, limits)?
        .ok_or_else(|| malformed("the WordDocument stream is missing".into()))?;
    let fib = Fib::parse(&word).map_err(|m| malformed(m.to_string()))?;
    if fib.n_fib < 0x00C1 {
        return Err(ExtractError::Unsupported(format!(
            "Word 6/95 document (file format {:#06x}, older than Word 97): open it in Word or WPS and save it as .docx, then scan again",
            fib.n_fib
        )));
    }
    if fib.encrypted || fib.obfuscated {
        return Err(ExtractError::Encrypted(format));
    }
    let table_name = if fib.which_table { "1Table" } else { "0Table" };
    let table = read_stream(comp, table_name, format, limits)?.ok_or_else(|| {
        malformed(format!(
            "the table stream {table_name} named by the file header is missing"
        ))
    })?;
    let doc = Doc::new(&word, &table, &fib, limits).map_err(|m| malformed(m.to_string()))?;

    let mut ex = Extracted::default();
    doc.read_stories(&mut ex);
    doc.coverage_of_unread(&fib, &table, &mut ex);

    for (stream, label) in [
        ("\u{5}SummaryInformation", "SummaryInformation"),
        (
            "\u{5}DocumentSummaryInformation",
            "DocumentSummaryInformation",
        ),
    ] {
        // Properties of a damaged set are lost, not fatal: the text was read.
        match read_stream(comp, stream, format, limits) {
            Ok(Some(data)) => {
                let title = crate::olecfprops::collect(&data, label, &mut ex.segments);
                if label == "SummaryInformation" {
                    ex.title = title;
                }
            }
            Ok(None) => {}
            Err(e) => ex
                .coverage
                .gap(format!("{label} (file properties) could not be read: {e}")),
        }
    }
    let names = crate::ole::root_names(comp);
    if comp.is_storage("ObjectPool")
        && comp
            .read_storage("ObjectPool")
            .is_ok_and(|mut e| e.next().is_some())
    {
        ex.coverage.gap(
            "embedded objects (ObjectPool) were not read: open the document and scan each embedded object separately",
        );
    }
    if names.iter().any(|n| n == "Macros") {
        ex.coverage
            .gap("VBA macros (Macros storage) were not read: they may hold text");
    }
    if names.iter().any(|n| n == "Data") {
        ex.coverage
            .notes
            .push("pictures (Data stream) not read: text inside images is not scanned".into());
    }
    ex.record_parts();
    Ok(ex)
}

/// Why a table could not be read (kept short: becomes `malformed … : why`).
type Bad = &'static str;

fn u16_at(b: &[u8], at: usize) -> Option<u16> {
    Some(u16::from_le_bytes(
        b.get(at..at.checked_add(2)?)?.try_into().ok()?,
    ))
}

fn u32_at(b: &[u8], at: usize) -> Option<u32> {
    Some(u32::from_le_bytes(
        b.get(at..at.checked_add(4)?)?.try_into().ok()?,
    ))
}

/// A slice of the table stream named by an (fc, lcb) pair; `None` when
/// empty or out of bounds.
fn slice(b: &[u8], (fc, lcb): (u32, u32)) -> Option<&[u8]> {
    if lcb == 0 {
        return None;
    }
    let start = fc as usize;
    b.get(start..start.checked_add(lcb as usize)?)
}

/// The parts of the File Information Block read here.
#[derive(Debug)]
struct Fib {
    n_fib: u16,
    encrypted: bool,
    obfuscated: bool,
    which_table: bool,
    /// ccpText, ccpFtn, ccpHdd, ccpMcr, ccpAtn, ccpEdn, ccpTxbx, ccpHdrTxbx.
    ccp: [u32; 8],
    fc_lcb: Vec<(u32, u32)>,
}

/// Indices into FibRgFcLcb97.
mod fcl {
    pub const PLCFFND_TXT: usize = 3;
    pub const PLCFAND_REF: usize = 4;
    pub const PLCFAND_TXT: usize = 5;
    pub const PLCFHDD: usize = 11;
    pub const PLCFBTE_CHPX: usize = 12;
    pub const PLCFBTE_PAPX: usize = 13;
    pub const CLX: usize = 33;
    pub const GRP_XST_ATN_OWNERS: usize = 36;
    pub const PLCFEND_TXT: usize = 47;
    pub const STTBF_RMARK: usize = 51;
    pub const PLCFTXBX_TXT: usize = 56;
    pub const PLCFHDRTXBX_TXT: usize = 58;
    pub const STW_USER: usize = 60;
}

impl Fib {
    fn parse(w: &[u8]) -> Result<Fib, Bad> {
        let short = "the file header (FIB) is truncated";
        if u16_at(w, 0).ok_or(short)? != 0xA5EC {
            return Err("the WordDocument stream does not start with a Word file header (FIB)");
        }
        let n_fib = u16_at(w, 2).ok_or(short)?;
        let flags = u16_at(w, 0x0A).ok_or(short)?;
        let mut at = 32;
        let csw = u16_at(w, at).ok_or(short)? as usize;
        at += 2 + csw * 2;
        let cslw = u16_at(w, at).ok_or(short)? as usize;
        let lw_start = at + 2;
        let lw = |i: usize| -> u32 {
            if i < cslw {
                u32_at(w, lw_start + 4 * i).unwrap_or(0)
            } else {
                0
            }
        };
        // fibRgLw97: cbMac, lProductCreated, lProductRevised, ccpText, ccpFtn,
        // ccpHdd, ccpMcr, ccpAtn, ccpEdn, ccpTxbx, ccpHdrTxbx.
        let mut ccp = [0u32; 8];
        for (k, c) in ccp.iter_mut().enumerate() {
            *c = lw(3 + k);
        }
        at = lw_start + cslw * 4;
        let cb = u16_at(w, at).ok_or(short)? as usize;
        at += 2;
        let mut fc_lcb = Vec::with_capacity(cb.min(200));
        for i in 0..cb {
            match (u32_at(w, at + 8 * i), u32_at(w, at + 8 * i + 4)) {
                (Some(fc), Some(lcb)) => fc_lcb.push((fc, lcb)),
                _ => return Err(short),
            }
        }
        Ok(Fib {
            n_fib,
            encrypted: flags & 0x0100 != 0,
            which_table: flags & 0x0200 != 0,
            obfuscated: flags & 0x8000 != 0,
            ccp,
            fc_lcb,
        })
    }

    fn pair(&self, i: usize) -> (u32, u32) {
        self.fc_lcb.get(i).copied().unwrap_or((0, 0))
    }
}

/// A piece of the piece table: CPs `cp..cp_end` are at byte `fc` of the
/// WordDocument stream, one byte (Windows-1252) or two (UTF-16LE) each.
#[derive(Debug, Clone)]
struct Piece {
    cp: u32,
    cp_end: u32,
    fc: u32,
    compressed: bool,
    /// Character properties applied by the piece's Prm (fast saves).
    props: Props,
}

/// Character properties that decide a run's part.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Props {
    deleted: bool,
    inserted: bool,
    hidden: bool,
    /// Index into the revision-author table (sprmCIbstRMark / …Del).
    author_ins: Option<u16>,
    author_del: Option<u16>,
}

impl Props {
    fn merge(self, over: Props) -> Props {
        Props {
            deleted: self.deleted || over.deleted,
            inserted: self.inserted || over.inserted,
            hidden: self.hidden || over.hidden,
            author_ins: over.author_ins.or(self.author_ins),
            author_del: over.author_del.or(self.author_del),
        }
    }
}

/// Paragraph properties that locate text in tables.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
struct Para {
    in_table: bool,
    /// The paragraph is a table row end (TTP), not a cell.
    row_end: bool,
}

/// A run of file positions (FC, bytes of the WordDocument stream) with the
/// same properties, from the CHPX or PAPX pages.
#[derive(Debug, Clone)]
struct FcRun<T> {
    fc: u32,
    fc_end: u32,
    value: T,
}

/// Operand length of a sprm (by its spra), or `None` for variable length
/// (then the first operand byte is the length).
fn sprm_len(sprm: u16, rest: &[u8]) -> Option<usize> {
    Some(match sprm >> 13 {
        0 | 1 => 1,
        2 | 4 | 5 => 2,
        3 => 4,
        7 => 3,
        _ => {
            if sprm == 0xD608 {
                // sprmTDefTable: a two-byte length.
                return u16_at(rest, 0).map(|n| n as usize + 1);
            }
            if sprm == 0xC615 && rest.first() == Some(&255) {
                // sprmPChgTabs with its long form: give up on this grpprl.
                return None;
            }
            return rest.first().map(|n| *n as usize + 1);
        }
    })
}

/// Calls `f(sprm, operand)` for each sprm of a grpprl; stops at the first
/// one that does not fit.
fn each_sprm(mut g: &[u8], mut f: impl FnMut(u16, &[u8])) {
    while g.len() >= 2 {
        let sprm = u16::from_le_bytes([g[0], g[1]]);
        g = &g[2..];
        let Some(n) = sprm_len(sprm, g) else { return };
        let Some(op) = g.get(..n) else { return };
        f(sprm, op);
        g = &g[n..];
    }
}

/// A ToggleOperand: 1 sets, 0 clears, 0x81 is the opposite of the style's
/// value (styles are not resolved; a style normally has it off), 0x80 the
/// style's own value (off).
fn toggle(op: &[u8]) -> bool {
    matches!(op.first(), Some(1 | 0x81))
}

fn char_props(grpprl: &[u8]) -> Props {
    let mut p = Props::default();
    each_sprm(grpprl, |sprm, op| match sprm {
        0x0800 => p.deleted = toggle(op),
        0x0801 => p.inserted = toggle(op),
        // sprmCFVanish, sprmCFFldVanish, sprmCFSpecVanish.
        0x083C | 0x0802 | 0x0818 => p.hidden |= toggle(op),
        0x4804 => p.author_ins = u16_at(op, 0),
        0x4863 => p.author_del = u16_at(op, 0),
        // sprmCPropRMark90 / sprmCDispFldRMark: not part changes.
        _ => {}
    });
    p
}

fn para_props(grpprl: &[u8]) -> Para {
    let mut p = Para::default();
    each_sprm(grpprl, |sprm, op| match sprm {
        // sprmPFInTable, sprmPItap
        0x2416 => p.in_table = op.first().is_some_and(|v| *v != 0),
        0x6649 => p.in_table |= u32_at(op, 0).is_some_and(|v| v > 0),
        // sprmPFTtp, sprmPFInnerTtp
        0x2417 | 0x244C => p.row_end |= op.first().is_some_and(|v| *v != 0),
        _ => {}
    });
    p
}

/// The document's text tables, read once.
struct Doc<'a> {
    word: &'a [u8],
    pieces: Vec<Piece>,
    chpx: Vec<FcRun<Props>>,
    papx: Vec<FcRun<Para>>,
    /// CP where each subdocument starts, in FIB order, plus the end.
    starts: [u32; 9],
    authors: Vec<String>,
    atn_owners: Vec<String>,
    table: &'a [u8],
    fib: &'a Fib,
    /// Characters that could not be read (a piece pointing past the end of
    /// the WordDocument stream): reported as a coverage gap.
    unread: std::cell::Cell<u64>,
}

/// Reads a PLC: `n + 1` CPs followed by `n` structures of `size` bytes.
fn plc(data: &[u8], size: usize) -> (Vec<u32>, &[u8]) {
    if data.len() < 4 {
        return (Vec::new(), &[]);
    }
    let n = (data.len() - 4) / (4 + size);
    let cps = (0..=n).filter_map(|i| u32_at(data, 4 * i)).collect();
    let rest = data.get(4 * (n + 1)..).unwrap_or(&[]);
    (cps, rest)
}

/// Reads an Sttb of strings (extended: UTF-16 with u16 lengths).
fn sttb(data: &[u8]) -> Vec<String> {
    let mut out = Vec::new();
    let Some(first) = u16_at(data, 0) else {
        return out;
    };
    let extended = first == 0xFFFF;
    let (count, extra, mut at) = if extended {
        (
            u16_at(data, 2).unwrap_or(0) as usize,
            u16_at(data, 4).unwrap_or(0) as usize,
            6,
        )
    } else {
        (first as usize, u16_at(data, 2).unwrap_or(0) as usize, 4)
    };
    for _ in 0..count {
        if extended {
            let Some(cch) = u16_at(data, at) else { break };
            at += 2;
            let Some(raw) = data.get(at..at + cch as usize * 2) else {
                break;
            };
            out.push(utf16(raw));
            at += cch as usize * 2;
        } else {
            let Some(&cch) = data.get(at) else { break };
            at += 1;
            let Some(raw) = data.get(at..at + cch as usize) else {
                break;
            };
            out.push(raw.iter().map(|b| cp1252(*b)).collect());
            at += cch as usize;
        }
        at += extra;
    }
    out
}

fn utf16(raw: &[u8]) -> String {
    let units = raw
        .chunks_exact(2)
        .map(|c| u16::from_le_bytes([c[0], c[1]]));
    char::decode_utf16(units)
        .map(|c| c.unwrap_or('\u{FFFD}'))
        .collect()
}

/// Windows-1252, as Word reads compressed (8-bit) pieces.
fn cp1252(b: u8) -> char {
    const HIGH: [u16; 32] = [
        0x20AC, 0x0081, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160,
        0x2039, 0x0152, 0x008D, 0x017D, 0x008F, 0x0090, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022,
        0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A, 0x0153, 0x009D, 0x017E, 0x0178,
    ];
    if (0x80..0xA0).contains(&b) {
        char::from_u32(HIGH[(b - 0x80) as usize] as u32).unwrap_or('\u{FFFD}')
    } else {
        b as char
    }
}

/// Reads the FKP pages named by a PlcBte: for CHPX pages (`chpx = true`)
/// or PAPX pages, the grpprl of each FC run, mapped by `f`.
fn fkp_runs<T>(
    word: &[u8],
    plcbte: Option<&[u8]>,
    chpx: bool,
    max_runs: usize,
    f: impl Fn(&[u8]) -> T,
) -> Vec<FcRun<T>> {
    let mut out = Vec::new();
    let Some(data) = plcbte else { return out };
    let (_, pns) = plc(data, 4);
    let mut seen = std::collections::HashSet::new();
    for pn in pns.chunks_exact(4) {
        let pn = u32::from_le_bytes([pn[0], pn[1], pn[2], pn[3]]) & 0x3F_FFFF;
        if !seen.insert(pn) {
            continue; // a page listed twice adds nothing
        }
        let Some(page) = word.get(pn as usize * 512..pn as usize * 512 + 512) else {
            continue;
        };
        let crun = page[511] as usize;
        let entry = if chpx { 1 } else { 13 };
        if 4 * (crun + 1) + entry * crun > 511 {
            continue;
        }
        for i in 0..crun {
            let (Some(fc), Some(fc_end)) = (u32_at(page, 4 * i), u32_at(page, 4 * i + 4)) else {
                continue;
            };
            let b = page[4 * (crun + 1) + entry * i] as usize * 2;
            let grpprl: &[u8] = if b == 0 {
                &[]
            } else if chpx {
                let cb = page.get(b).copied().unwrap_or(0) as usize;
                page.get(b + 1..b + 1 + cb).unwrap_or(&[])
            } else {
                // PapxInFkp: cb (0 → next byte × 2), then istd and grpprl.
                let cb = page.get(b).copied().unwrap_or(0) as usize;
                let (start, len) = if cb == 0 {
                    (b + 2, page.get(b + 1).copied().unwrap_or(0) as usize * 2)
                } else {
                    (b + 1, (2 * cb).saturating_sub(1))
                };
                page.get(start + 2..start + len).unwrap_or(&[])
            };
            if fc_end > fc {
                out.push(FcRun {
                    fc,
                    fc_end,
                    value: f(grpprl),
                });
            }
            if out.len() >= max_runs {
                return out;
            }
        }
    }
    out.sort_by_key(|r| r.fc);
    out
}

/// The value of the run holding `fc`, with `hint` the index to start from
/// (text is read in order, so the search is nearly always one step).
fn lookup<T: Copy + Default>(runs: &[FcRun<T>], fc: u32, hint: &mut usize) -> T {
    if let Some(r) = runs.get(*hint) {
        if r.fc <= fc && fc < r.fc_end {
            return r.value;
        }
    }
    let i = runs.partition_point(|r| r.fc_end <= fc);
    match runs.get(i) {
        Some(r) if r.fc <= fc => {
            *hint = i;
            r.value
        }
        _ => T::default(),
    }
}

impl<'a> Doc<'a> {
    fn new(word: &'a [u8], table: &'a [u8], fib: &'a Fib, limits: &Limits) -> Result<Self, Bad> {
        let clx = slice(table, fib.pair(fcl::CLX))
            .ok_or("the piece table (CLX) is missing or points outside the table stream")?;
        // Prc entries (grpprls of fast-saved pieces), then the Pcdt.
        let mut prcs: Vec<&[u8]> = Vec::new();
        let mut at = 0usize;
        while clx.get(at) == Some(&1) {
            let cb = u16_at(clx, at + 1).ok_or("the piece table (CLX) is truncated")? as usize;
            prcs.push(
                clx.get(at + 3..at + 3 + cb)
                    .ok_or("the piece table (CLX) is truncated")?,
            );
            at += 3 + cb;
            if prcs.len() > 1 << 16 {
                return Err("the piece table (CLX) has too many property entries");
            }
        }
        if clx.get(at) != Some(&2) {
            return Err("the piece table (CLX) has no piece descriptors (Pcdt)");
        }
        let lcb = u32_at(clx, at + 1).ok_or("the piece table (CLX) is truncated")? as usize;
        let pcdt = clx
            .get(at + 5..(at + 5).saturating_add(lcb))
            .ok_or("the piece table (CLX) is longer than the table stream")?;
        let (cps, pcds) = plc(pcdt, 8);
        if cps.windows(2).any(|w| w[1] < w[0]) {
            return Err("the piece table (CLX) is out of order");
        }
        let total: u64 = fib.ccp.iter().map(|c| *c as u64).sum();
        // Up to 4 bytes of UTF-8 per character, in two views of a story.
        let max_chars = limits.max_entry_bytes / 4;
        if total > max_chars {
            return Err("the header claims more text than the size limit (max_entry_bytes) allows");
        }
        let mut pieces = Vec::new();
        for (i, pcd) in pcds.chunks_exact(8).enumerate() {
            let (Some(&cp), Some(&cp_end)) = (cps.get(i), cps.get(i + 1)) else {
                break;
            };
            if cp_end <= cp {
                continue;
            }
            let raw = u32::from_le_bytes([pcd[2], pcd[3], pcd[4], pcd[5]]);
            let prm = u16::from_le_bytes([pcd[6], pcd[7]]);
            let props = if prm & 1 == 1 {
                prcs.get((prm >> 1) as usize)
                    .map(|g| char_props(g))
                    .unwrap_or_default()
            } else {
                Props::default()
            };
            let compressed = raw & 0x4000_0000 != 0;
            let fc = if compressed {
                (raw & 0x3FFF_FFFF) / 2
            } else {
                raw & 0x3FFF_FFFF
            };
            pieces.push(Piece {
                cp,
                cp_end,
                fc,
                compressed,
                props,
            });
        }
        if pieces.is_empty() && total > 0 {
            return Err("the piece table (CLX) has no pieces");
        }
        let mut starts = [0u32; 9];
        for k in 0..8 {
            starts[k + 1] = starts[k].saturating_add(fib.ccp[k]);
        }
        let max_runs = (word.len() / 2).max(1 << 12);
        let chpx = fkp_runs(
            word,
            slice(table, fib.pair(fcl::PLCFBTE_CHPX)),
            true,
            max_runs,
            char_props,
        );
        let papx = fkp_runs(
            word,
            slice(table, fib.pair(fcl::PLCFBTE_PAPX)),
            false,
            max_runs,
            para_props,
        );
        let authors = slice(table, fib.pair(fcl::STTBF_RMARK))
            .map(sttb)
            .unwrap_or_default();
        let atn_owners = slice(table, fib.pair(fcl::GRP_XST_ATN_OWNERS))
            .map(|d| {
                let mut v = Vec::new();
                let mut at = 0;
                while let Some(cch) = u16_at(d, at) {
                    let Some(raw) = d.get(at + 2..at + 2 + cch as usize * 2) else {
                        break;
                    };
                    v.push(utf16(raw));
                    at += 2 + cch as usize * 2;
                }
                v
            })
            .unwrap_or_default();
        Ok(Doc {
            word,
            pieces,
            chpx,
            papx,
            starts,
            authors,
            atn_owners,
            table,
            fib,
            unread: std::cell::Cell::new(0),
        })
    }

    /// Story boundaries (absolute CPs) from a PLC of CPs relative to the
    /// subdocument `sub`; the whole subdocument when the PLC is absent.
    fn story_bounds(&self, sub: usize, plc_index: Option<usize>, size: usize) -> Vec<(u32, u32)> {
        let (base, end) = (self.starts[sub], self.starts[sub + 1]);
        if base == end {
            return Vec::new();
        }
        let cps = plc_index
            .and_then(|i| slice(self.table, self.fib.pair(i)))
            .map(|d| plc(d, size).0)
            .unwrap_or_default();
        if cps.len() < 2 {
            return vec![(base, end)];
        }
        cps.windows(2)
            .map(|w| {
                let s = base.saturating_add(w[0]).min(end);
                let e = base.saturating_add(w[1]).min(end);
                (s, e)
            })
            .collect()
    }

    fn read_stories(&self, ex: &mut Extracted) {
        // Body.
        let body = self.story(self.starts[0], self.starts[1], SegmentInfo::new(Part::Body));
        body.finish(&mut ex.segments);
        // Footnotes, comments, endnotes: one story each.
        let owners = self.annotation_authors();
        for (sub, plc_i, part, label) in [
            (1, fcl::PLCFFND_TXT, Part::Footnote, "footnote"),
            (4, fcl::PLCFAND_TXT, Part::Comment, "comment"),
            (5, fcl::PLCFEND_TXT, Part::Endnote, "endnote"),
        ] {
            let bounds = self.story_bounds(sub, Some(plc_i), 0);
            for (n, (s, e)) in bounds.into_iter().enumerate() {
                let mut info = SegmentInfo::new(part);
                info.detail = Some(format!("{label} {}", n + 1));
                if part == Part::Comment {
                    info.author = owners.get(n).cloned().flatten();
                }
                self.story(s, e, info).finish(&mut ex.segments);
            }
        }
        // Headers and footers: six separator stories, then six per section.
        let bounds = self.story_bounds(2, Some(fcl::PLCFHDD), 0);
        const KINDS: [(&str, Part); 6] = [
            ("even page header", Part::Header),
            ("header", Part::Header),
            ("even page footer", Part::Footer),
            ("footer", Part::Footer),
            ("first page header", Part::Header),
            ("first page footer", Part::Footer),
        ];
        for (i, (s, e)) in bounds.into_iter().enumerate() {
            let info = if i < 6 {
                // Footnote/endnote separators: Word's lines, but a file
                // can put text there, so it is read as a header story.
                let mut info = SegmentInfo::new(Part::Header);
                info.detail = Some("note separator".into());
                info
            } else {
                let (kind, part) = KINDS[(i - 6) % 6];
                let mut info = SegmentInfo::new(part);
                info.detail = Some(format!("section {}, {kind}", (i - 6) / 6 + 1));
                info
            };
            self.story(s, e, info).finish(&mut ex.segments);
        }
        // Text boxes of the body and of headers (FTXBXS is 22 bytes).
        for (sub, plc_i, part, label) in [
            (6, fcl::PLCFTXBX_TXT, Part::Body, "text box"),
            (7, fcl::PLCFHDRTXBX_TXT, Part::Header, "header text box"),
        ] {
            for (n, (s, e)) in self
                .story_bounds(sub, Some(plc_i), 22)
                .into_iter()
                .enumerate()
            {
                let mut info = SegmentInfo::new(part);
                info.detail = Some(format!("{label} {}", n + 1));
                self.story(s, e, info).finish(&mut ex.segments);
            }
        }
        // Macro text (ccpMcr) is unused since Word 97; read it if present.
        for (s, e) in self.story_bounds(3, None, 0) {
            let mut info = SegmentInfo::new(Part::Hidden);
            info.detail = Some("macro text".into());
            self.story(s, e, info).finish(&mut ex.segments);
        }
    }

    /// The author of each annotation (ATRDPre10 is 30 bytes; ibst at 20).
    fn annotation_authors(&self) -> Vec<Option<String>> {
        let Some(data) = slice(self.table, self.fib.pair(fcl::PLCFAND_REF)) else {
            return Vec::new();
        };
        let (_, atrds) = plc(data, 30);
        atrds
            .chunks_exact(30)
            .map(|a| {
                u16_at(a, 20)
                    .and_then(|i| self.atn_owners.get(i as usize).cloned())
                    .or_else(|| {
                        // Fall back to the initials stored with it.
                        let n = u16_at(a, 0)? as usize;
                        Some(utf16(a.get(2..2 + n.min(9) * 2)?))
                    })
                    .filter(|s| !s.trim().is_empty())
            })
            .collect()
    }

    fn author(&self, i: Option<u16>) -> Option<String> {
        i.and_then(|i| self.authors.get(i as usize).cloned())
            .filter(|a| !a.trim().is_empty())
    }

    /// Builds one story from the CPs `start..end`.
    fn story(&self, start: u32, end: u32, info: SegmentInfo) -> Story {
        let mut story = Story::new(info);
        if end <= start {
            return story;
        }
        let mut run_kind = Run::Normal;
        let mut buf = String::new();
        // Field nesting: true while in the code part of that field.
        let mut fields: Vec<bool> = Vec::new();
        let mut in_table = false;
        let mut table = 0u32;
        let mut row = 1u32;
        let mut cell = 0u32;
        let mut cell_open = false;
        let mut high: Option<u32> = None;
        let (mut ch_hint, mut pa_hint) = (0usize, 0usize);
        let first = self.pieces.partition_point(|p| p.cp_end <= start);
        let flush = |story: &mut Story, buf: &mut String, run: &Run| {
            if !buf.is_empty() {
                story.push(buf, run);
                buf.clear();
            }
        };
        let mut covered = start;
        for piece in &self.pieces[first..] {
            if piece.cp >= end {
                break;
            }
            let from = start.max(piece.cp);
            let to = end.min(piece.cp_end);
            let width = if piece.compressed { 1 } else { 2 };
            if from > covered {
                // CPs that no piece describes.
                self.unread.set(self.unread.get() + (from - covered) as u64);
            }
            covered = covered.max(to);
            for cp in from..to {
                let fc = (cp - piece.cp)
                    .checked_mul(width)
                    .and_then(|d| piece.fc.checked_add(d));
                let ch = fc.and_then(|fc| {
                    if piece.compressed {
                        self.word.get(fc as usize).map(|b| cp1252(*b) as u32)
                    } else {
                        u16_at(self.word, fc as usize).map(u32::from)
                    }
                });
                let (Some(fc), Some(ch)) = (fc, ch) else {
                    self.unread.set(self.unread.get() + (to - cp) as u64);
                    break;
                };
                let props = piece.props.merge(lookup(&self.chpx, fc, &mut ch_hint));
                let field_code = fields.last() == Some(&true);
                let kind = if props.deleted {
                    Run::Deleted(self.author(props.author_del.or(props.author_ins)))
                } else if props.hidden || field_code {
                    Run::Hidden
                } else if props.inserted {
                    Run::Inserted(self.author(props.author_ins))
                } else {
                    Run::Normal
                };
                if kind != run_kind {
                    flush(&mut story, &mut buf, &run_kind);
                    run_kind = kind;
                }
                // Table state from the paragraph this character is in.
                let para = lookup(&self.papx, fc, &mut pa_hint);
                if para.in_table != in_table {
                    flush(&mut story, &mut buf, &run_kind);
                    if cell_open {
                        story.end_cell();
                        cell_open = false;
                    }
                    story.end_row();
                    in_table = para.in_table;
                    if in_table {
                        table += 1;
                        row = 1;
                        cell = 0;
                    }
                }
                if in_table && para.row_end {
                    // The row-end mark (and its paragraph) carries no text.
                    if ch == 0x07 {
                        if cell_open {
                            story.end_cell();
                            cell_open = false;
                        }
                        story.end_row();
                        row += 1;
                        cell = 0;
                    }
                    continue;
                }
                if in_table && !cell_open && !matches!(ch, 0x13..=0x15) {
                    flush(&mut story, &mut buf, &run_kind);
                    cell += 1;
                    story.begin_cell(format!("table {table}, row {row}, cell {cell}"));
                    cell_open = true;
                }
                match ch {
                    0x0D | 0x07 | 0x0C => {
                        flush(&mut story, &mut buf, &run_kind);
                        story.end_paragraph();
                        if ch == 0x07 && cell_open {
                            story.end_cell();
                            cell_open = false;
                        }
                    }
                    0x13 => {
                        if fields.len() < 64 {
                            fields.push(true);
                        }
                    }
                    0x14 => {
                        if let Some(f) = fields.last_mut() {
                            *f = false;
                        }
                    }
                    0x15 => {
                        fields.pop();
                    }
                    _ => {
                        if high.is_some() && !(0xDC00..0xE000).contains(&ch) {
                            high = None;
                            buf.push('\u{FFFD}');
                        }
                        match ch {
                            0x09 => buf.push('\t'),
                            0x0B => buf.push(' '),
                            0x1E => buf.push('-'),
                            0x1F => buf.push('\u{AD}'),
                            c if c < 0x20 => {} // object anchors, note references, …
                            // UTF-16 pieces hold characters beyond the BMP
                            // (CJK extension B names) as surrogate pairs.
                            c if (0xD800..0xDC00).contains(&c) => high = Some(c),
                            c if (0xDC00..0xE000).contains(&c) => {
                                let pair = high.take().and_then(|h| {
                                    char::from_u32(0x10000 + ((h - 0xD800) << 10) + (c - 0xDC00))
                                });
                                buf.push(pair.unwrap_or('\u{FFFD}'));
                            }
                            c => buf.push(char::from_u32(c).unwrap_or('\u{FFFD}')),
                        }
                    }
                }
            }
        }
        if end > covered {
            self.unread.set(self.unread.get() + (end - covered) as u64);
        }
        flush(&mut story, &mut buf, &run_kind);
        if cell_open {
            story.end_cell();
        }
        story
    }

    /// Text-bearing tables not read here become coverage gaps.
    fn coverage_of_unread(&self, fib: &Fib, table: &[u8], ex: &mut Extracted) {
        if self.unread.get() > 0 {
            ex.coverage.gap(format!(
                "{} character(s) of text could not be read (the piece table points outside the document stream or leaves text undescribed): the file is damaged; open it in Word or WPS, save it again and scan again",
                self.unread.get()
            ));
        }
        if slice(table, fib.pair(fcl::STW_USER)).is_some() {
            ex.coverage.gap(
                "document variables (StwUser) were not read: open the document in Word and check them, or save it as .docx and scan that",
            );
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Word text made by hand: an 8-bit (compressed, cp1252) piece and a
    /// UTF-16 piece whose characters a CHPX page marks as deleted by the
    /// first revision author.
    #[test]
    fn mixed_8_bit_and_utf16_pieces_with_a_tracked_deletion() {
        let mut word = vec![0u8; 0x800];
        // 8-bit piece at byte 0x400: "Price: €5 " (0x80 is € in cp1252).
        let latin = b"Price: \x805 ";
        word[0x400..0x400 + latin.len()].copy_from_slice(latin);
        // UTF-16 piece at 0x500: 机密★5年 (with a CJK extension B 𠀀) + ¶.
        let cjk: Vec<u8> = "机密★5年𠀀\r"
            .encode_utf16()
            .flat_map(u16::to_le_bytes)
            .collect();
        word[0x500..0x500 + cjk.len()].copy_from_slice(&cjk);
        let cjk_end = 0x500 + cjk.len() as u32;
        // CHPX page 3 (0x600): one run 0x500..end with sprmCFRMarkDel and
        // sprmCIbstRMarkDel = 0.
        let page = 0x600;
        word[page..page + 4].copy_from_slice(&0x500u32.to_le_bytes());
        word[page + 4..page + 8].copy_from_slice(&cjk_end.to_le_bytes());
        word[page + 8] = 0x80; // grpprl at byte 0x100 of the page
        word[page + 0x100..page + 0x108].copy_from_slice(&[7, 0x00, 0x08, 1, 0x63, 0x48, 0, 0]);
        word[page + 511] = 1;

        let n8 = latin.len() as u32;
        let n16 = (cjk.len() / 2) as u32;
        let mut table = vec![2u8];
        let mut pcdt = Vec::new();
        for cp in [0, n8, n8 + n16] {
            pcdt.extend_from_slice(&cp.to_le_bytes());
        }
        for fc in [(0x400u32 * 2) | 0x4000_0000, 0x500] {
            pcdt.extend_from_slice(&[0, 0]);
            pcdt.extend_from_slice(&fc.to_le_bytes());
            pcdt.extend_from_slice(&[0, 0]);
        }
        table.extend_from_slice(&(pcdt.len() as u32).to_le_bytes());
        table.extend_from_slice(&pcdt);
        let clx = (0, table.len() as u32);
        let rmark_at = table.len() as u32;
        for u in [0xFFFFu16, 1, 0, 2] {
            table.extend_from_slice(&u.to_le_bytes());
        }
        table.extend("李四".encode_utf16().flat_map(u16::to_le_bytes));
        let rmark = (rmark_at, table.len() as u32 - rmark_at);
        let bte_at = table.len() as u32;
        for v in [0x500u32, cjk_end, 3] {
            table.extend_from_slice(&v.to_le_bytes());
        }
        let bte = (bte_at, 12);

        let mut fc_lcb = vec![(0, 0); 93];
        fc_lcb[fcl::CLX] = clx;
        fc_lcb[fcl::STTBF_RMARK] = rmark;
        fc_lcb[fcl::PLCFBTE_CHPX] = bte;
        let fib = Fib {
            n_fib: 0xC1,
            encrypted: false,
            obfuscated: false,
            which_table: false,
            ccp: [n8 + n16, 0, 0, 0, 0, 0, 0, 0],
            fc_lcb,
        };
        let limits = Limits::default();
        let doc = Doc::new(&word, &table, &fib, &limits).unwrap();
        let mut ex = Extracted::default();
        doc.read_stories(&mut ex);
        assert_eq!(ex.segments.len(), 2, "{:#?}", ex.segments);
        assert_eq!(ex.segments[0].text, "Price: €5 \n");
        let full = &ex.segments[1];
        assert_eq!(full.text, "Price: €5 机密★5年𠀀\n");
        assert!(full.regions_only);
        let del = &full.regions[0];
        assert_eq!(&full.text[del.range.clone()], "机密★5年𠀀");
        assert_eq!(del.info.part, Some(Part::TrackedDeletion));
        assert_eq!(del.info.author.as_deref(), Some("李四"));
    }

    #[test]
    fn sprms_of_every_operand_size_are_skipped_correctly() {
        // sprmCFBold (1 byte), sprmCHps (2), sprmCPicLocation (4),
        // a variable one (length 3), then sprmCFVanish.
        let g = [
            0x35, 0x08, 1, 0x43, 0x4A, 24, 0, 0x03, 0x6A, 1, 2, 3, 4, 0x66, 0xCA, 3, 9, 9, 9, 0x3C,
            0x08, 1,
        ];
        assert!(char_props(&g).hidden);
        // A truncated grpprl stops without reading past its end.
        assert_eq!(char_props(&g[..5]), Props::default());
        assert!(!toggle(&[0x80]) && toggle(&[0x81]) && !toggle(&[]));
    }
}

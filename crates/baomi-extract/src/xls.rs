//! Legacy Excel workbooks (.xls, Excel 97–2003) and WPS Spreadsheets
//! workbooks (.et), which are the same thing: BIFF8 records in the
//! `Workbook` stream of an OLE2 compound file. Read here: every sheet's
//! cells (hidden sheets, rows and columns too, marked `hidden`), cell
//! comments (NOTE + TXO records, with their author), drawing text boxes,
//! chart text (titles, series names), page headers and footers, sheet
//! names, and the OLE2 property sets. Parts this reader does not read
//! (hyperlinks, embedded objects, VBA macros, other OLE2 streams) are
//! coverage gaps, so such a workbook is never reported complete.
//!
//! Locations are those of the .xlsx reader (see `grid`): one segment per
//! sheet, one line per row, tab-separated cells, each cell a region named
//! `Sheet!B3`.
//!
//! Why not `calamine`: it was tried on the LibreOffice-written fixtures and
//! read the cell values and sheet visibility right, but it exposes neither
//! comments, hidden rows and columns, headers and footers nor text boxes,
//! so the records would have to be walked here anyway; and it builds a
//! dense rows × columns grid per sheet, so one cell declared at row 65 536,
//! column 256 costs hundreds of MB. This walker keeps only cells that hold
//! something, every size is checked against the stream, and `cfb` (the
//! maintained compound-file reader) does the container.

use crate::grid::{cell_name, clip, SheetText};
use crate::{ExtractError, Extracted, Limits, Segment};
use baomi_core::{Part, SegmentInfo};
use std::collections::{HashMap, HashSet};
use std::io::{Cursor, Read};

const BOF: u16 = 0x0809;
const EOF: u16 = 0x000A;
const CONTINUE: u16 = 0x003C;
const BOUNDSHEET: u16 = 0x0085;
const SST: u16 = 0x00FC;
const FILEPASS: u16 = 0x002F;
const LABELSST: u16 = 0x00FD;
const LABEL: u16 = 0x0204;
const RSTRING: u16 = 0x00D6;
const NUMBER: u16 = 0x0203;
const RK: u16 = 0x027E;
const MULRK: u16 = 0x00BD;
const FORMULA: u16 = 0x0006;
const STRING: u16 = 0x0207;
const ROW: u16 = 0x0208;
const COLINFO: u16 = 0x007D;
const HEADER: u16 = 0x0014;
const FOOTER: u16 = 0x0015;
const NOTE: u16 = 0x001C;
const OBJ: u16 = 0x005D;
const TXO: u16 = 0x01B6;
const HLINK: u16 = 0x01B8;
const SERIESTEXT: u16 = 0x100D;

/// Most cells kept from one workbook: 8 million (a full BIFF8 sheet has
/// 16.7 million), about 256 MB of cell records in memory. A larger count
/// is refused rather than risk memory on a hostile stream of MULRK records.
const MAX_CELLS: usize = 8_000_000;

/// Object type of a comment's OBJ record (ftCmo.ot).
const OT_COMMENT: u16 = 0x19;

/// Top-level OLE2 entries that hold no text of their own.
const KNOWN_ENTRIES: &[&str] = &[
    "Workbook",
    "Book",
    "\u{5}SummaryInformation",
    "\u{5}DocumentSummaryInformation",
    "\u{1}CompObj",
    "\u{1}Ole",
];

/// The name this reader gives itself in messages.
fn format_name(path_is_et: bool) -> &'static str {
    if path_is_et {
        "et"
    } else {
        "xls"
    }
}

struct Ctx {
    format: &'static str,
}

impl Ctx {
    fn malformed(&self, message: impl Into<String>) -> ExtractError {
        ExtractError::Malformed {
            format: self.format,
            message: message.into(),
        }
    }
}

/// Reads an OLE2 workbook. `et` only changes the name used in messages.
pub(crate) fn extract(bytes: &[u8], et: bool, limits: &Limits) -> Result<Extracted, ExtractError> {
    let ctx = Ctx {
        format: format_name(et),
    };
    let mut cf = cfb::CompoundFile::open(Cursor::new(bytes))
        .map_err(|e| ctx.malformed(format!("corrupt or truncated OLE2 container: {e}")))?;
    let mut ex = Extracted::default();
    let stream_name = if cf.is_stream("/Workbook") {
        "/Workbook"
    } else if cf.is_stream("/Book") {
        "/Book"
    } else {
        return Err(ctx.malformed("no Workbook stream in the OLE2 container"));
    };
    let book = read_stream(&mut cf, stream_name, &ctx, limits)?;
    // Entries that may hold text this reader does not read.
    let others: Vec<(String, bool)> = cf
        .read_root_storage()
        .filter(|e| !KNOWN_ENTRIES.contains(&e.name()))
        .map(|e| (e.name().to_string(), e.is_storage()))
        .collect();
    for (name, storage) in others {
        let what = if name.starts_with("_VBA_PROJECT") {
            "VBA macros".to_string()
        } else if name.starts_with("MBD") {
            format!("embedded object {name:?}")
        } else if storage {
            format!("OLE2 storage {:?}", printable(&name))
        } else {
            format!("OLE2 stream {:?}", printable(&name))
        };
        ex.coverage
            .gap(format!("{what}: not read; review it in Excel or WPS"));
    }
    for (stream, label) in [
        ("/\u{5}SummaryInformation", "SummaryInformation"),
        (
            "/\u{5}DocumentSummaryInformation",
            "DocumentSummaryInformation",
        ),
    ] {
        if cf.is_stream(stream) {
            let data = read_stream(&mut cf, stream, &ctx, limits)?;
            let title = crate::oleprops::collect(&data, label, ctx.format, &mut ex.segments)?;
            ex.title = ex.title.or(title);
        }
    }
    workbook(&book, &ctx, limits, &mut ex)?;
    ex.record_parts();
    Ok(ex)
}

fn printable(name: &str) -> String {
    name.chars().filter(|c| !c.is_control()).collect()
}

fn read_stream(
    cf: &mut cfb::CompoundFile<Cursor<&[u8]>>,
    name: &str,
    ctx: &Ctx,
    limits: &Limits,
) -> Result<Vec<u8>, ExtractError> {
    let mut stream = cf
        .open_stream(name)
        .map_err(|e| ctx.malformed(format!("cannot open stream {name}: {e}")))?;
    let cap = limits.max_entry_bytes;
    if stream.len() > cap {
        return Err(ExtractError::Bomb(format!(
            "{} stream {name} is {} bytes (limit {cap})",
            ctx.format,
            stream.len()
        )));
    }
    let mut out = Vec::new();
    (&mut stream)
        .take(cap + 1)
        .read_to_end(&mut out)
        .map_err(|e| ctx.malformed(format!("cannot read stream {name}: {e}")))?;
    Ok(out)
}

/// One BIFF record: type and data.
struct Record<'a> {
    kind: u16,
    data: &'a [u8],
}

/// Iterates the records of `stream` from `start`; a record whose length
/// runs past the end is reported as an error by `next_record`.
struct Records<'a> {
    stream: &'a [u8],
    pos: usize,
}

impl<'a> Records<'a> {
    fn next_record(&mut self, ctx: &Ctx) -> Result<Option<Record<'a>>, ExtractError> {
        let s = self.stream;
        if self.pos + 4 > s.len() {
            return Ok(None);
        }
        let kind = u16::from_le_bytes([s[self.pos], s[self.pos + 1]]);
        let len = usize::from(u16::from_le_bytes([s[self.pos + 2], s[self.pos + 3]]));
        let start = self.pos + 4;
        let Some(data) = s.get(start..start + len) else {
            return Err(ctx.malformed(format!(
                "record 0x{kind:04X} at byte {} declares {len} bytes past the end of the stream (truncated file?)",
                self.pos
            )));
        };
        self.pos = start + len;
        Ok(Some(Record { kind, data }))
    }

    /// The data of the CONTINUE records that follow, if any.
    fn continues(&mut self, ctx: &Ctx) -> Result<Vec<&'a [u8]>, ExtractError> {
        let mut out = Vec::new();
        loop {
            let save = self.pos;
            match self.next_record(ctx)? {
                Some(r) if r.kind == CONTINUE => out.push(r.data),
                _ => {
                    self.pos = save;
                    return Ok(out);
                }
            }
        }
    }
}

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

/// Characters of a BIFF8 string: `high` means UTF-16LE, else one byte per
/// character (the low byte of a UTF-16 code unit, i.e. Latin-1).
fn chars(raw: &[u8], high: bool, out: &mut String) {
    if high {
        let units = raw
            .chunks_exact(2)
            .map(|c| u16::from_le_bytes([c[0], c[1]]));
        out.extend(char::decode_utf16(units).map(|c| c.unwrap_or('\u{FFFD}')));
    } else {
        out.extend(raw.iter().map(|&b| char::from(b)));
    }
}

/// An XLUnicodeString (2-byte count) or ShortXLUnicodeString (1-byte
/// count) at `at` within one record: (text, offset after it).
fn unicode_string(b: &[u8], at: usize, short: bool) -> Option<(String, usize)> {
    let (cch, mut pos) = if short {
        (usize::from(*b.get(at)?), at + 1)
    } else {
        (usize::from(u16_at(b, at)?), at + 2)
    };
    let flags = *b.get(pos)?;
    pos += 1;
    let high = flags & 1 != 0;
    let (rich, ext) = (flags & 8 != 0, flags & 4 != 0);
    let mut runs = 0usize;
    let mut ext_len = 0usize;
    if rich {
        runs = usize::from(u16_at(b, pos)?);
        pos += 2;
    }
    if ext {
        ext_len = u32_at(b, pos)? as usize;
        pos += 4;
    }
    let n = if high { cch * 2 } else { cch };
    let raw = b.get(pos..(pos + n).min(b.len()))?;
    let mut s = String::new();
    chars(raw, high, &mut s);
    Some((s, pos + n + runs * 4 + ext_len))
}

/// A byte stream made of a record and its CONTINUE records, for strings
/// that may be split between them (the SST, TXO text): when characters
/// cross into the next piece, that piece starts with a new flags byte.
struct Pieces<'a> {
    pieces: Vec<&'a [u8]>,
    piece: usize,
    pos: usize,
}

impl<'a> Pieces<'a> {
    fn new(pieces: Vec<&'a [u8]>) -> Self {
        Pieces {
            pieces,
            piece: 0,
            pos: 0,
        }
    }

    fn current(&self) -> Option<&'a [u8]> {
        self.pieces.get(self.piece).copied()
    }

    /// Moves to the next piece when the current one is used up.
    fn settle(&mut self) {
        while let Some(p) = self.current() {
            if self.pos < p.len() {
                return;
            }
            self.piece += 1;
            self.pos = 0;
        }
    }

    /// Raw bytes (headers, formatting runs), crossing pieces freely.
    fn bytes(&mut self, mut n: usize, mut out: Option<&mut Vec<u8>>) -> Option<()> {
        while n > 0 {
            self.settle();
            let p = self.current()?;
            let take = n.min(p.len() - self.pos);
            if let Some(o) = out.as_deref_mut() {
                o.extend_from_slice(&p[self.pos..self.pos + take]);
            }
            self.pos += take;
            n -= take;
        }
        Some(())
    }

    fn u8(&mut self) -> Option<u8> {
        let mut v = Vec::with_capacity(1);
        self.bytes(1, Some(&mut v))?;
        Some(v[0])
    }

    fn u16(&mut self) -> Option<u16> {
        let mut v = Vec::with_capacity(2);
        self.bytes(2, Some(&mut v))?;
        Some(u16::from_le_bytes([v[0], v[1]]))
    }

    fn u32(&mut self) -> Option<u32> {
        let mut v = Vec::with_capacity(4);
        self.bytes(4, Some(&mut v))?;
        Some(u32::from_le_bytes([v[0], v[1], v[2], v[3]]))
    }

    /// `cch` characters starting with encoding `high`; at each piece
    /// boundary a flags byte gives the encoding of the rest.
    fn chars(&mut self, mut cch: usize, mut high: bool, out: &mut String) -> Option<()> {
        while cch > 0 {
            let at_boundary = self.current().is_some_and(|p| self.pos >= p.len());
            if at_boundary {
                self.piece += 1;
                self.pos = 0;
                let p = self.current()?;
                high = *p.first()? & 1 != 0;
                self.pos = 1;
            }
            let p = self.current()?;
            let width = if high { 2 } else { 1 };
            let avail = (p.len() - self.pos) / width;
            if avail == 0 {
                // A lone odd byte before a boundary: skip it.
                self.pos = p.len();
                continue;
            }
            let take = cch.min(avail);
            chars(&p[self.pos..self.pos + take * width], high, out);
            self.pos += take * width;
            cch -= take;
        }
        Some(())
    }

    /// One XLUnicodeRichExtendedString (an SST entry).
    fn rich_string(&mut self, max_bytes: usize) -> Option<String> {
        let cch = usize::from(self.u16()?);
        let flags = self.u8()?;
        let high = flags & 1 != 0;
        let runs = if flags & 8 != 0 { self.u16()? } else { 0 };
        let ext = if flags & 4 != 0 { self.u32()? } else { 0 };
        let mut s = String::new();
        self.chars(cch, high, &mut s)?;
        self.bytes(usize::from(runs) * 4, None)?;
        self.bytes(ext as usize, None)?;
        if s.len() > max_bytes {
            s = clip(&s, max_bytes).to_string();
        }
        Some(s)
    }
}

struct BoundSheet {
    name: String,
    hidden: bool,
    kind: u8,
    offset: usize,
}

fn workbook(
    stream: &[u8],
    ctx: &Ctx,
    limits: &Limits,
    ex: &mut Extracted,
) -> Result<(), ExtractError> {
    let mut recs = Records { stream, pos: 0 };
    let Some(first) = recs.next_record(ctx)? else {
        return Err(ctx.malformed("the Workbook stream is empty"));
    };
    if first.kind != BOF {
        if first.kind == 0x0009 || first.kind == 0x0209 || first.kind == 0x0409 {
            return Err(biff_version_error());
        }
        return Err(ctx.malformed(format!(
            "the Workbook stream does not start with a BOF record (0x{:04X})",
            first.kind
        )));
    }
    if u16_at(first.data, 0) != Some(0x0600) {
        return Err(biff_version_error());
    }
    let mut sheets = Vec::new();
    let mut sst: Vec<String> = Vec::new();
    while let Some(r) = recs.next_record(ctx)? {
        match r.kind {
            EOF => break,
            FILEPASS => {
                return Err(ExtractError::Encrypted(if ctx.format == "et" {
                    "WPS spreadsheet (.et)"
                } else {
                    "Excel workbook (.xls)"
                }))
            }
            BOUNDSHEET => {
                if sheets.len() >= limits.max_entries {
                    return Err(ExtractError::Bomb(format!(
                        "{} lists more than {} sheets",
                        ctx.format, limits.max_entries
                    )));
                }
                let offset = u32_at(r.data, 0).unwrap_or(u32::MAX) as usize;
                let state = r.data.get(4).copied().unwrap_or(0);
                let kind = r.data.get(5).copied().unwrap_or(0);
                let name = unicode_string(r.data, 6, true)
                    .map(|(s, _)| s)
                    .unwrap_or_else(|| format!("sheet {}", sheets.len() + 1));
                sheets.push(BoundSheet {
                    name,
                    hidden: state & 3 != 0,
                    kind,
                    offset,
                });
            }
            SST => {
                let mut pieces = vec![r.data];
                pieces.extend(recs.continues(ctx)?);
                sst = shared_strings(pieces, limits);
            }
            _ => {}
        }
    }
    ex.segments.extend(
        sheets
            .iter()
            .filter_map(|s| crate::grid::sheet_name_segment(&s.name, s.hidden)),
    );
    let mut seen = HashSet::new();
    let mut budget = limits.max_total_bytes;
    let mut cell_count = 0usize;
    for sheet in &sheets {
        if !seen.insert(sheet.offset) {
            continue;
        }
        if sheet.kind == 6 {
            ex.coverage.gap(format!(
                "sheet {:?}: a Visual Basic module, not read",
                sheet.name
            ));
            continue;
        }
        if sheet.offset >= stream.len() {
            ex.coverage.gap(format!(
                "sheet {:?}: its records lie beyond the end of the Workbook stream (damaged file)",
                sheet.name
            ));
            continue;
        }
        read_sheet(
            stream,
            sheet,
            &sst,
            ctx,
            (&mut budget, &mut cell_count),
            limits.max_total_bytes,
            ex,
        )?;
    }
    Ok(())
}

fn biff_version_error() -> ExtractError {
    ExtractError::Unsupported(
        "Excel 5.0/95 or older workbook (BIFF5 or earlier): open it in Excel, WPS or LibreOffice, save it as .xlsx, and scan again".into(),
    )
}

/// The SST: unique strings, in order. A truncated table keeps the strings
/// read so far (cells pointing past it show nothing and are counted).
fn shared_strings(pieces: Vec<&[u8]>, limits: &Limits) -> Vec<String> {
    let mut p = Pieces::new(pieces);
    let (Some(_total), Some(unique)) = (p.u32(), p.u32()) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    let mut bytes = 0usize;
    for _ in 0..unique {
        let Some(s) = p.rich_string(crate::grid::MAX_CELL_BYTES) else {
            break;
        };
        bytes += s.len();
        if bytes as u64 > limits.max_total_bytes {
            break;
        }
        out.push(s);
    }
    out
}

enum Value {
    Sst(u32),
    Text(Box<str>),
    Number(f64),
}

/// Shows a number the way the .xlsx reader shows a stored value: integers
/// without a fraction (ID and phone numbers stored as numbers).
fn show_number(v: f64) -> String {
    if v.is_finite() && v.fract() == 0.0 && v.abs() < 1e16 {
        format!("{v:.0}")
    } else {
        format!("{v}")
    }
}

fn rk_value(rk: u32) -> f64 {
    let v = if rk & 2 != 0 {
        f64::from((rk as i32) >> 2)
    } else {
        f64::from_bits(u64::from(rk & 0xFFFF_FFFC) << 32)
    };
    if rk & 1 != 0 {
        v / 100.0
    } else {
        v
    }
}

/// A header/footer string without its formatting codes (`&L`, `&"Arial"`,
/// `&12`, `&P`): sections become spaces, `&&` is `&`.
fn header_text(raw: &str) -> String {
    let mut out = String::new();
    let mut it = raw.chars().peekable();
    while let Some(c) = it.next() {
        if c != '&' {
            out.push(c);
            continue;
        }
        match it.next() {
            Some('&') => out.push('&'),
            Some('"') => {
                for c in it.by_ref() {
                    if c == '"' {
                        break;
                    }
                }
            }
            Some(d) if d.is_ascii_digit() => {
                while it.peek().is_some_and(char::is_ascii_digit) {
                    it.next();
                }
            }
            Some('L' | 'C' | 'R') if !out.is_empty() && !out.ends_with(' ') => out.push(' '),
            _ => {}
        }
    }
    out.trim().to_string()
}

fn read_sheet(
    stream: &[u8],
    sheet: &BoundSheet,
    sst: &[String],
    ctx: &Ctx,
    (budget, cell_count): (&mut u64, &mut usize),
    total_limit: u64,
    ex: &mut Extracted,
) -> Result<(), ExtractError> {
    let mut recs = Records {
        stream,
        pos: sheet.offset,
    };
    // A chart sheet's substream is read like a worksheet's: its titles and
    // series names arrive as SERIESTEXT records (chart text below).
    match recs.next_record(ctx)? {
        Some(r) if r.kind == BOF => {}
        _ => {
            ex.coverage.gap(format!(
                "sheet {:?}: no BOF record where the workbook says it starts (damaged file)",
                sheet.name
            ));
            return Ok(());
        }
    }
    let mut cells: Vec<(u16, u16, Value)> = Vec::new();
    let mut hidden_rows: HashSet<u16> = HashSet::new();
    let mut hidden_cols: Vec<(u16, u16)> = Vec::new();
    let mut pending_formula: Option<(u16, u16)> = None;
    let mut last_obj: Option<(u16, u16)> = None;
    let mut note_text: HashMap<u16, String> = HashMap::new();
    let mut notes: Vec<(u16, u16, u16, String)> = Vec::new();
    let mut extra: Vec<Segment> = Vec::new();
    let mut chart_text = String::new();
    let mut depth = 0usize;
    let mut hyperlinks = 0usize;
    let mut unfinished = true;
    let spend = |n: usize, budget: &mut u64| -> Result<(), ExtractError> {
        *budget = budget.checked_sub(n as u64).ok_or_else(|| {
            ExtractError::Bomb(format!(
                "{}: the cells hold more text than the limit for one document ({total_limit} bytes)",
                ctx.format
            ))
        })?;
        Ok(())
    };
    while let Some(r) = recs.next_record(ctx)? {
        if *cell_count + cells.len() > MAX_CELLS {
            return Err(ExtractError::Bomb(format!(
                "{} holds more than {MAX_CELLS} cells; split the workbook and scan the parts",
                ctx.format
            )));
        }
        let d = r.data;
        let rc = || (u16_at(d, 0).unwrap_or(0), u16_at(d, 2).unwrap_or(0));
        match r.kind {
            BOF => {
                depth += 1;
                if depth > 16 {
                    return Err(ctx.malformed("substreams nested more than 16 deep"));
                }
            }
            EOF => {
                if depth == 0 {
                    unfinished = false;
                    break;
                }
                depth -= 1;
            }
            LABELSST => {
                let (row, col) = rc();
                let index = u32_at(d, 6).unwrap_or(u32::MAX);
                cells.push((row, col, Value::Sst(index)));
            }
            LABEL | RSTRING => {
                let (row, col) = rc();
                if let Some((s, _)) = unicode_string(d, 6, false) {
                    spend(s.len(), budget)?;
                    cells.push((row, col, Value::Text(s.into())));
                }
            }
            NUMBER => {
                let (row, col) = rc();
                if let Some(b) = d.get(6..14) {
                    let v = f64::from_le_bytes(b.try_into().unwrap_or([0; 8]));
                    cells.push((row, col, Value::Number(v)));
                }
            }
            RK => {
                let (row, col) = rc();
                if let Some(rk) = u32_at(d, 6) {
                    cells.push((row, col, Value::Number(rk_value(rk))));
                }
            }
            MULRK => {
                let (row, first) = rc();
                let n = d.len().saturating_sub(6) / 6;
                for i in 0..n {
                    if let Some(rk) = u32_at(d, 4 + i * 6 + 2) {
                        let col = first.saturating_add(i as u16);
                        cells.push((row, col, Value::Number(rk_value(rk))));
                    }
                }
            }
            FORMULA => {
                let (row, col) = rc();
                pending_formula = None;
                if let Some(v) = d.get(6..14) {
                    if v[6] == 0xFF && v[7] == 0xFF {
                        // 0: a string result in the next STRING record;
                        // booleans, errors and empty strings hold nothing.
                        if v[0] == 0 {
                            pending_formula = Some((row, col));
                        }
                    } else {
                        let x = f64::from_le_bytes(v.try_into().unwrap_or([0; 8]));
                        cells.push((row, col, Value::Number(x)));
                    }
                }
            }
            STRING => {
                if let Some((row, col)) = pending_formula.take() {
                    let mut pieces = vec![d];
                    pieces.extend(recs.continues(ctx)?);
                    let mut p = Pieces::new(pieces);
                    if let (Some(cch), Some(flags)) = (p.u16(), p.u8()) {
                        let mut s = String::new();
                        let _ = p.chars(usize::from(cch), flags & 1 != 0, &mut s);
                        spend(s.len(), budget)?;
                        cells.push((row, col, Value::Text(s.into())));
                    }
                }
            }
            ROW => {
                if let (Some(row), Some(flags)) = (u16_at(d, 0), u32_at(d, 12)) {
                    if flags & 0x20 != 0 {
                        hidden_rows.insert(row);
                    }
                }
            }
            COLINFO => {
                if let (Some(a), Some(b), Some(flags)) = (u16_at(d, 0), u16_at(d, 2), u16_at(d, 8))
                {
                    if flags & 1 != 0 && hidden_cols.len() < 1024 {
                        hidden_cols.push((a, b));
                    }
                }
            }
            HEADER | FOOTER if !d.is_empty() && depth == 0 => {
                if let Some((s, _)) = unicode_string(d, 0, false) {
                    let text = header_text(&s);
                    if !text.is_empty() {
                        let part = if r.kind == HEADER {
                            Part::Header
                        } else {
                            Part::Footer
                        };
                        extra.push(Segment::new(
                            SegmentInfo {
                                detail: Some(format!("sheet {}", sheet.name)),
                                ..SegmentInfo::new(part)
                            },
                            text,
                        ));
                    }
                }
            }
            // ftCmo first: ft = 0x15, cb = 0x12, ot, id.
            OBJ if u16_at(d, 0) == Some(0x15) => {
                last_obj = Some((u16_at(d, 4).unwrap_or(0), u16_at(d, 6).unwrap_or(0)));
            }
            TXO => {
                let cch = usize::from(u16_at(d, 10).unwrap_or(0));
                let pieces = recs.continues(ctx)?;
                let mut text = String::new();
                if cch > 0 && !pieces.is_empty() {
                    let mut all = vec![&[][..]];
                    all.extend(pieces);
                    let mut p = Pieces::new(all);
                    let _ = p.chars(cch, false, &mut text);
                }
                let text = text.replace('\r', "\n");
                spend(text.len(), budget)?;
                match last_obj.take() {
                    Some((OT_COMMENT, id)) => {
                        note_text.insert(id, text);
                    }
                    _ if !text.trim().is_empty() => extra.push(Segment::new(
                        SegmentInfo {
                            detail: Some(format!("sheet {}: text box", sheet.name)),
                            ..SegmentInfo::new(if sheet.hidden {
                                Part::Hidden
                            } else {
                                Part::Body
                            })
                        },
                        text,
                    )),
                    _ => {}
                }
            }
            NOTE => {
                if let (Some(row), Some(col), Some(id)) = (u16_at(d, 0), u16_at(d, 2), u16_at(d, 6))
                {
                    let author = unicode_string(d, 8, false)
                        .map(|(s, _)| s)
                        .unwrap_or_default();
                    notes.push((row, col, id, author));
                }
            }
            SERIESTEXT => {
                if let Some((s, _)) = unicode_string(d, 2, true) {
                    if !s.trim().is_empty() && chart_text.len() < 1 << 20 {
                        chart_text.push_str(&s);
                        chart_text.push('\n');
                    }
                }
            }
            HLINK => hyperlinks += 1,
            _ => {}
        }
    }
    if unfinished {
        ex.coverage.gap(format!(
            "sheet {:?}: the records end before the sheet's EOF record (truncated file?); what follows is not read",
            sheet.name
        ));
    }
    if hyperlinks > 0 {
        ex.coverage.gap(format!(
            "sheet {:?}: {hyperlinks} hyperlink target(s) not read",
            sheet.name
        ));
    }
    *cell_count += cells.len();
    // Cells in row order, then column order, as a reader sees them.
    cells.sort_by_key(|&(row, col, _)| (row, col));
    cells.dedup_by_key(|c| (c.0, c.1));
    let mut grid = SheetText::new(&sheet.name);
    let mut missing_strings = 0usize;
    let mut current_row = None;
    for (row, col, value) in &cells {
        if current_row != Some(*row) {
            if let Some(prev) = current_row {
                grid.end_row(hidden_rows.contains(&prev));
            }
            current_row = Some(*row);
        }
        let shown: std::borrow::Cow<'_, str> = match value {
            Value::Sst(i) => match sst.get(*i as usize) {
                Some(s) => s.as_str().into(),
                None => {
                    missing_strings += 1;
                    continue;
                }
            },
            Value::Text(s) => (&**s).into(),
            Value::Number(v) => show_number(*v).into(),
        };
        if let Value::Sst(_) = value {
            spend(shown.len(), budget)?;
        }
        let hidden_col = hidden_cols.iter().any(|&(a, b)| a <= *col && *col <= b);
        grid.cell(
            &cell_name(u32::from(*row), u32::from(*col)),
            &shown,
            hidden_col,
        );
    }
    if let Some(prev) = current_row {
        grid.end_row(hidden_rows.contains(&prev));
    }
    if missing_strings > 0 {
        ex.coverage.gap(format!(
            "sheet {:?}: {missing_strings} cell(s) name strings missing from the shared-string table (damaged file)",
            sheet.name
        ));
    }
    if let Some(seg) = grid.finish(sheet.hidden) {
        ex.segments.push(seg);
    }
    for (row, col, id, author) in notes {
        if let Some(text) = note_text.remove(&id) {
            if text.trim().is_empty() {
                continue;
            }
            ex.segments.push(Segment::new(
                SegmentInfo {
                    part: Some(Part::Comment),
                    cell: Some(format!(
                        "{}!{}",
                        sheet.name,
                        cell_name(u32::from(row), u32::from(col))
                    )),
                    author: (!author.trim().is_empty()).then_some(author),
                    detail: Some(format!("sheet {}: note", sheet.name)),
                    ..SegmentInfo::default()
                },
                text,
            ));
        }
    }
    if !chart_text.trim().is_empty() {
        extra.push(Segment::new(
            SegmentInfo {
                detail: Some(format!("sheet {}: chart", sheet.name)),
                ..SegmentInfo::new(if sheet.hidden {
                    Part::Hidden
                } else {
                    Part::Body
                })
            },
            chart_text,
        ));
    }
    ex.segments.extend(extra);
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn header_codes_are_removed() {
        assert_eq!(
            header_text("&L&\"Arial\"&12机密&C第&P页&R&&"),
            "机密 第页 &"
        );
        assert_eq!(header_text("&C&A"), "");
    }

    #[test]
    fn rk_numbers() {
        // 13 as an integer RK, 1.5 as a float RK, 0.13 as integer/100.
        assert_eq!(rk_value((13 << 2) | 2), 13.0);
        assert_eq!(rk_value((1.5f64.to_bits() >> 32) as u32), 1.5);
        assert_eq!(rk_value((13 << 2) | 3), 0.13);
        assert_eq!(show_number(13_812_345_678.0), "13812345678");
        assert_eq!(show_number(0.5), "0.5");
    }

    #[test]
    fn strings_split_between_records() {
        // "甲乙" as UTF-16 split after 甲, the continuation compressed "AB".
        let first: &[u8] = &[4, 0, 1, 0x32, 0x75];
        let second: &[u8] = &[0, b'A', b'B', b'C'];
        let mut p = Pieces::new(vec![first, second]);
        let (cch, flags) = (p.u16().unwrap(), p.u8().unwrap());
        let mut s = String::new();
        p.chars(usize::from(cch), flags & 1 != 0, &mut s).unwrap();
        assert_eq!(s, "甲ABC");
    }
}

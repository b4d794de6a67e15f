//! Plain text: encoding detection (never silent guessing) and streaming
//! decoding for files too large to hold in memory.

use crate::ExtractError;
use encoding_rs::{Decoder, DecoderResult, Encoding, GB18030, UTF_16BE, UTF_16LE, UTF_8};
use std::io::{Read, Seek, SeekFrom};

/// The encodings baomi accepts for plain text. Anything else (or a file that
/// is valid in none of them) is an error, never a lossy guess.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TextEncoding {
    Utf8,
    Utf16Le,
    Utf16Be,
    /// GB18030, a superset of GBK and GB2312.
    Gb18030,
}

impl TextEncoding {
    pub fn name(self) -> &'static str {
        match self {
            TextEncoding::Utf8 => "UTF-8",
            TextEncoding::Utf16Le => "UTF-16LE",
            TextEncoding::Utf16Be => "UTF-16BE",
            TextEncoding::Gb18030 => "GB18030",
        }
    }

    fn encoding(self) -> &'static Encoding {
        match self {
            TextEncoding::Utf8 => UTF_8,
            TextEncoding::Utf16Le => UTF_16LE,
            TextEncoding::Utf16Be => UTF_16BE,
            TextEncoding::Gb18030 => GB18030,
        }
    }
}

/// Byte-order mark and its length.
fn bom(head: &[u8]) -> Option<(TextEncoding, usize)> {
    if head.starts_with(&[0xEF, 0xBB, 0xBF]) {
        Some((TextEncoding::Utf8, 3))
    } else if head.starts_with(&[0xFF, 0xFE]) {
        Some((TextEncoding::Utf16Le, 2))
    } else if head.starts_with(&[0xFE, 0xFF]) {
        Some((TextEncoding::Utf16Be, 2))
    } else {
        None
    }
}

/// Refuses content that is clearly not text: NUL bytes (without a UTF-16
/// byte-order mark) or many control characters.
fn check_not_binary(head: &[u8]) -> Result<(), ExtractError> {
    let sample = &head[..head.len().min(8192)];
    if let Some(pos) = sample.iter().position(|&b| b == 0) {
        return Err(ExtractError::Binary(format!(
            "NUL byte at offset {pos}; if this is a document, convert it to a supported format (txt, md, docx, odt, pdf, html)"
        )));
    }
    let control = sample
        .iter()
        .filter(|&&b| b < 0x20 && !matches!(b, b'\n' | b'\r' | b'\t' | 0x0c))
        .count();
    if sample.len() >= 64 && control * 20 > sample.len() {
        return Err(ExtractError::Binary(format!(
            "{control} control bytes in the first {} bytes",
            sample.len()
        )));
    }
    Ok(())
}

/// Decodes a whole text file: a BOM decides; otherwise valid UTF-8 is UTF-8,
/// and what is valid GB18030 is GB18030; anything else is an error.
///
/// ```
/// use baomi_extract::{decode_text, TextEncoding};
/// let (text, enc) = decode_text(&[0xBB, 0xFA, 0xC3, 0xDC]).unwrap(); // "机密" in GBK
/// assert_eq!((text.as_str(), enc), ("机密", TextEncoding::Gb18030));
/// assert!(decode_text(&[0x80, 0xFF, 0x00]).is_err());
/// ```
pub fn decode_text(bytes: &[u8]) -> Result<(String, TextEncoding), ExtractError> {
    if let Some((enc, skip)) = bom(bytes) {
        return strict(enc, &bytes[skip..]).map(|t| (t, enc));
    }
    check_not_binary(bytes)?;
    if let Ok(s) = std::str::from_utf8(bytes) {
        return Ok((s.to_string(), TextEncoding::Utf8));
    }
    strict(TextEncoding::Gb18030, bytes)
        .map(|t| (t, TextEncoding::Gb18030))
        .map_err(|_| {
            ExtractError::Encoding(
                "neither valid UTF-8 nor valid GB18030/GBK; re-save the file as UTF-8".into(),
            )
        })
}

/// The text of bytes the caller owns when they are plain UTF-8 (no BOM, not
/// binary): the `String` takes them over without a copy. Anything else is
/// handed back, for [`decode_text`].
pub(crate) fn utf8_text(bytes: Vec<u8>) -> Result<String, Vec<u8>> {
    if bom(&bytes).is_some()
        || check_not_binary(&bytes).is_err()
        || simdutf8::basic::from_utf8(&bytes).is_err()
    {
        return Err(bytes);
    }
    // SAFETY: validated as UTF-8 just above.
    Ok(unsafe { String::from_utf8_unchecked(bytes) })
}

fn strict(enc: TextEncoding, bytes: &[u8]) -> Result<String, ExtractError> {
    let mut out = String::new();
    let mut decoder = enc.encoding().new_decoder_without_bom_handling();
    decode_into(&mut decoder, bytes, true, &mut out).map_err(|at| {
        ExtractError::Encoding(format!(
            "invalid {} byte sequence near byte {at}",
            enc.name()
        ))
    })?;
    Ok(out)
}

/// Decodes `bytes` into `out` without replacement; on a malformed sequence
/// returns how many bytes had been read.
fn decode_into(
    decoder: &mut Decoder,
    bytes: &[u8],
    last: bool,
    out: &mut String,
) -> Result<(), usize> {
    let mut read_total = 0;
    loop {
        let need = decoder
            .max_utf8_buffer_length_without_replacement(bytes.len() - read_total)
            .unwrap_or(bytes.len() * 3 + 16);
        out.reserve(need);
        let (result, read) =
            decoder.decode_to_string_without_replacement(&bytes[read_total..], out, last);
        read_total += read;
        match result {
            DecoderResult::InputEmpty => return Ok(()),
            DecoderResult::OutputFull => continue,
            DecoderResult::Malformed(_, _) => return Err(read_total),
        }
    }
}

/// Receives decoded text of a streamed file.
pub trait TextSink {
    fn text(&mut self, text: &str);
    /// Throw away everything received: decoding starts again from the
    /// beginning in another encoding.
    fn restart(&mut self);
}

const BLOCK: usize = 1 << 20;

/// Streams a large text file through `sink` in bounded memory. UTF-8 is
/// tried first; if a malformed sequence turns up, the sink is restarted
/// and the file is decoded again as GB18030.
pub fn stream_text<R: Read + Seek>(
    reader: &mut R,
    sink: &mut dyn TextSink,
) -> Result<TextEncoding, ExtractError> {
    let mut head = vec![0u8; 8192];
    let n = read_full(reader, &mut head)?;
    head.truncate(n);
    let (candidates, skip): (&[TextEncoding], usize) = match bom(&head) {
        Some((enc, skip)) => (
            match enc {
                TextEncoding::Utf8 => &[TextEncoding::Utf8],
                TextEncoding::Utf16Le => &[TextEncoding::Utf16Le],
                _ => &[TextEncoding::Utf16Be],
            },
            skip,
        ),
        None => {
            check_not_binary(&head)?;
            (&[TextEncoding::Utf8, TextEncoding::Gb18030], 0)
        }
    };
    let mut last_err = String::new();
    for (i, &enc) in candidates.iter().enumerate() {
        if i > 0 {
            sink.restart();
        }
        reader.seek(SeekFrom::Start(skip as u64))?;
        match stream_one(reader, enc, sink)? {
            Ok(()) => return Ok(enc),
            Err(at) => last_err = format!("invalid {} byte sequence near byte {at}", enc.name()),
        }
    }
    Err(ExtractError::Encoding(if candidates.len() > 1 {
        "neither valid UTF-8 nor valid GB18030/GBK; re-save the file as UTF-8".into()
    } else {
        last_err
    }))
}

fn stream_one<R: Read>(
    reader: &mut R,
    enc: TextEncoding,
    sink: &mut dyn TextSink,
) -> Result<Result<(), u64>, ExtractError> {
    let mut decoder = enc.encoding().new_decoder_without_bom_handling();
    let mut buf = vec![0u8; BLOCK];
    let mut out = String::with_capacity(BLOCK * 3);
    let mut offset = 0u64;
    loop {
        let n = read_full(reader, &mut buf)?;
        let last = n < buf.len();
        out.clear();
        if let Err(at) = decode_into(&mut decoder, &buf[..n], last, &mut out) {
            return Ok(Err(offset + at as u64));
        }
        if out.bytes().any(|b| b == 0) {
            return Err(ExtractError::Binary(format!(
                "NUL character after byte {offset}"
            )));
        }
        sink.text(&out);
        offset += n as u64;
        if last {
            return Ok(Ok(()));
        }
    }
}

fn read_full<R: Read>(reader: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut filled = 0;
    while filled < buf.len() {
        match reader.read(&mut buf[filled..]) {
            Ok(0) => break,
            Ok(n) => filled += n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(filled)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Cursor;

    #[derive(Default)]
    struct Collect(String, usize);
    impl TextSink for Collect {
        fn text(&mut self, t: &str) {
            self.0.push_str(t);
        }
        fn restart(&mut self) {
            self.0.clear();
            self.1 += 1;
        }
    }

    #[test]
    fn utf8_gbk_utf16_and_garbage() {
        assert_eq!(
            decode_text("机密".as_bytes()).unwrap().1,
            TextEncoding::Utf8
        );
        let (gbk, _, _) = GB18030.encode("内部资料，注意保存");
        assert_eq!(
            decode_text(&gbk).unwrap(),
            ("内部资料，注意保存".to_string(), TextEncoding::Gb18030)
        );
        let mut le = vec![0xFF, 0xFE];
        for u in "机密".encode_utf16() {
            le.extend_from_slice(&u.to_le_bytes());
        }
        assert_eq!(decode_text(&le).unwrap().0, "机密");
        assert!(matches!(
            decode_text(b"abc\0def"),
            Err(ExtractError::Binary(_))
        ));
        assert!(matches!(
            decode_text(&[0x81, 0x20, 0x81, 0x20]),
            Err(ExtractError::Encoding(_))
        ));
        assert_eq!(decode_text(b"").unwrap().0, "");
    }

    #[test]
    fn streaming_falls_back_to_gb18030_late_in_the_file() {
        let mut text = "a".repeat(3 * BLOCK);
        text.push_str("机密★1年");
        let (gbk, _, _) = GB18030.encode(&text);
        let mut sink = Collect::default();
        let enc = stream_text(&mut Cursor::new(gbk.to_vec()), &mut sink).unwrap();
        assert_eq!(enc, TextEncoding::Gb18030);
        assert_eq!(sink.0, text);
        assert_eq!(sink.1, 1);
    }

    #[test]
    fn streaming_utf8_across_block_boundaries() {
        let text = "机密".repeat(BLOCK / 3 + 7);
        let mut sink = Collect::default();
        let enc = stream_text(&mut Cursor::new(text.as_bytes().to_vec()), &mut sink).unwrap();
        assert_eq!(enc, TextEncoding::Utf8);
        assert_eq!(sink.0, text);
    }
}

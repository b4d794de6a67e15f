//! Arbitrary XML inside a valid OFD container: the page/template content
//! walker (TextObject, TextCode positions, DeltaX, CGTransform glyph
//! mapping), and the annotation, attachment, resource and custom-tag lists.
//! The input is split at the first two `\0\0`: the first piece is every
//! content file, the second every list and resource file (and the font),
//! the third, if any, replaces Document.xml (its paths then come from the
//! input: escapes, repeats, self-references).
#![no_main]
use baomi_extract::{extract, Limits};
use libfuzzer_sys::fuzz_target;
use std::io::Write;
use std::path::Path;

const OFD_XML: &[u8] = br#"<ofd:OFD xmlns:ofd="http://www.ofdspec.org/2016"><ofd:DocBody><ofd:DocInfo><ofd:Title>t</ofd:Title></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"#;
const DOCUMENT: &[u8] = br#"<ofd:Document xmlns:ofd="http://www.ofdspec.org/2016"><ofd:CommonData><ofd:PublicRes>PublicRes.xml</ofd:PublicRes><ofd:TemplatePage ID="9" BaseLoc="Tpls/T.xml"/></ofd:CommonData><ofd:Pages><ofd:Page ID="1" BaseLoc="Pages/P/Content.xml"/><ofd:Page ID="2" BaseLoc="Pages/P/Content.xml"/></ofd:Pages><ofd:Attachments>Attachs/Attachments.xml</ofd:Attachments><ofd:Annotations>Annots/Annotations.xml</ofd:Annotations><ofd:CustomTags>Tags/CustomTags.xml</ofd:CustomTags></ofd:Document>"#;

fuzz_target!(|data: &[u8]| {
    let mut pieces = Vec::new();
    let mut rest = data;
    while pieces.len() < 2 {
        match rest.windows(2).position(|w| w == b"\0\0") {
            Some(i) => {
                pieces.push(&rest[..i]);
                rest = &rest[i + 2..];
            }
            None => break,
        }
    }
    pieces.push(rest);
    let content = pieces[0];
    let lists = pieces.get(1).copied().unwrap_or(content);
    let document = pieces.get(2).copied().unwrap_or(DOCUMENT);
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts =
        zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Stored);
    let entries: [(&str, &[u8]); 11] = [
        ("OFD.xml", OFD_XML),
        ("Doc_0/Document.xml", document),
        ("Doc_0/Pages/P/Content.xml", content),
        ("Doc_0/Tpls/T.xml", content),
        ("Doc_0/PublicRes.xml", lists),
        ("Doc_0/Res/f.ttf", lists),
        ("Doc_0/Annots/Annotations.xml", lists),
        ("Doc_0/Annots/A.xml", content),
        ("Doc_0/Attachs/Attachments.xml", lists),
        ("Doc_0/Attachs/a.ofd", data),
        ("Doc_0/Tags/CustomTags.xml", lists),
    ];
    for (name, bytes) in entries {
        if w.start_file(name, opts).is_err() || w.write_all(bytes).is_err() {
            return;
        }
    }
    let Ok(bytes) = w.finish() else { return };
    let _ = extract(Path::new("x.ofd"), &bytes.into_inner(), &Limits::default());
});

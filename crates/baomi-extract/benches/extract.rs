//! Extraction + scan timings for large documents, generated here (nothing
//! big is committed): a ~10 MB .docx of Chinese text with tracked changes,
//! comments and tables, and a 100-page PDF whose text uses the predefined
//! CJK CMap UniGB-UCS2-H (the path Chinese official PDFs take).
//!
//! Run: `cargo bench -p baomi-extract --bench extract` (prints min/median).

use baomi_core::{Scanner, Verdict};
use baomi_extract::{review_bytes, Limits};
use std::io::Write;
use std::time::{Duration, Instant};

/// A deterministic stream of common CJK ideographs (no accidental markings
/// beyond chance) with punctuation.
struct Text(u64);

impl Text {
    fn next(&mut self) -> u32 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) as u32
    }

    fn sentence(&mut self, chars: usize) -> String {
        let mut s = String::with_capacity(chars * 3 + 3);
        for _ in 0..chars {
            let c = char::from_u32(0x4E00 + self.next() % 3000).unwrap_or('文');
            s.push(c);
        }
        s.push('。');
        s
    }
}

fn run(p: &str, text: &str) -> String {
    format!("<w:r><w:rPr><w:rFonts w:eastAsia=\"仿宋\"/></w:rPr><w:{p}>{text}</w:{p}></w:r>")
}

/// A docx whose compressed size is about `target` bytes.
fn big_docx(target: usize) -> (Vec<u8>, usize) {
    let mut gen = Text(7);
    let mut xml = String::from(
        "<?xml version=\"1.0\" encoding=\"UTF-8\"?><w:document xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\"><w:body>",
    );
    let mut comments = String::from(
        "<w:comments xmlns:w=\"http://schemas.openxmlformats.org/wordprocessingml/2006/main\">",
    );
    let mut n = 0u32;
    // Deflate shrinks this text about 2.3×.
    while xml.len() < target * 23 / 10 {
        n += 1;
        xml.push_str("<w:p>");
        xml.push_str(&run("t", &gen.sentence(60)));
        match n % 500 {
            0 => xml.push_str(
                "<w:del w:author=\"李四\"><w:r><w:delText>机密★</w:delText></w:r><w:r><w:delText>5年</w:delText></w:r></w:del>",
            ),
            250 => {
                xml.push_str(&format!("<w:r><w:commentReference w:id=\"{n}\"/></w:r>"));
                comments.push_str(&format!(
                    "<w:comment w:id=\"{n}\" w:author=\"赵六\"><w:p>{}</w:p></w:comment>",
                    run("t", "此段内部资料")
                ));
            }
            _ => {}
        }
        xml.push_str(&run("t", &gen.sentence(40)));
        xml.push_str("</w:p>");
        if n.is_multiple_of(1000) {
            xml.push_str("<w:tbl>");
            for _ in 0..5 {
                xml.push_str("<w:tr>");
                for _ in 0..4 {
                    xml.push_str(&format!(
                        "<w:tc><w:p>{}</w:p></w:tc>",
                        run("t", &gen.sentence(8))
                    ));
                }
                xml.push_str("</w:tr>");
            }
            xml.push_str("</w:tbl>");
        }
    }
    xml.push_str("</w:body></w:document>");
    comments.push_str("</w:comments>");
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    for (name, data) in [
        ("[Content_Types].xml", "<Types/>"),
        ("word/document.xml", xml.as_str()),
        ("word/comments.xml", comments.as_str()),
        (
            "docProps/core.xml",
            "<cp:coreProperties xmlns:cp=\"c\" xmlns:dc=\"d\"><dc:title>基准测试文档</dc:title></cp:coreProperties>",
        ),
    ] {
        w.start_file(name, opts).expect("zip entry");
        w.write_all(data.as_bytes()).expect("zip write");
    }
    (w.finish().expect("zip").into_inner(), xml.len())
}

/// A PDF of `pages` pages, 40 lines each, in STSong-Light with the
/// UniGB-UCS2-H CMap (not embedded, no ToUnicode).
fn big_pdf(pages: usize) -> Vec<u8> {
    let mut gen = Text(11);
    let mut objs: Vec<Vec<u8>> = vec![
        Vec::new(), // 1 catalog
        Vec::new(), // 2 pages
        b"<< /Type /Font /Subtype /Type0 /BaseFont /STSong-Light /Encoding /UniGB-UCS2-H /DescendantFonts [4 0 R] >>".to_vec(),
        b"<< /Type /Font /Subtype /CIDFontType0 /BaseFont /STSong-Light /CIDSystemInfo << /Registry (Adobe) /Ordering (GB1) /Supplement 2 >> /FontDescriptor 5 0 R /DW 1000 >>".to_vec(),
        b"<< /Type /FontDescriptor /FontName /STSong-Light /Flags 6 /FontBBox [-25 -254 1000 880] /ItalicAngle 0 /Ascent 880 /Descent -120 /CapHeight 880 /StemV 93 >>".to_vec(),
    ];
    let mut kids = Vec::new();
    for p in 0..pages {
        let mut content = Vec::new();
        for line in 0..40 {
            let mut text = gen.sentence(30);
            if line == 20 && p % 10 == 0 {
                text = format!("本件密级：机密★{}年", p % 9 + 1);
            }
            let hex: String = text.encode_utf16().map(|u| format!("{u:04x}")).collect();
            let y = 800 - line * 19;
            content.extend_from_slice(format!("BT /U 14 Tf 40 {y} Td <{hex}> Tj ET\n").as_bytes());
        }
        let mut stream = format!("<< /Length {} >>\nstream\n", content.len()).into_bytes();
        stream.extend_from_slice(&content);
        stream.extend_from_slice(b"\nendstream");
        objs.push(stream);
        let content_id = objs.len();
        objs.push(
            format!(
                "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents {content_id} 0 R /Resources << /Font << /U 3 0 R >> >> >>"
            )
            .into_bytes(),
        );
        kids.push(format!("{} 0 R", objs.len()));
    }
    objs[0] = b"<< /Type /Catalog /Pages 2 0 R >>".to_vec();
    objs[1] = format!(
        "<< /Type /Pages /Kids [{}] /Count {pages} >>",
        kids.join(" ")
    )
    .into_bytes();
    let mut out = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, body) in objs.iter().enumerate() {
        offsets.push(out.len());
        out.extend_from_slice(format!("{} 0 obj\n", i + 1).as_bytes());
        out.extend_from_slice(body);
        out.extend_from_slice(b"\nendobj\n");
    }
    let xref = out.len();
    out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objs.len() + 1).as_bytes());
    for o in offsets {
        out.extend_from_slice(format!("{o:010} 00000 n \n").as_bytes());
    }
    out.extend_from_slice(
        format!(
            "trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n",
            objs.len() + 1
        )
        .as_bytes(),
    );
    out
}

/// An OFD of `pages` pages, 40 lines each; every line is two TextObjects
/// (the second written first, as writers may), with DeltaX advances.
fn big_ofd(pages: usize) -> Vec<u8> {
    let mut gen = Text(13);
    let ns = "xmlns:ofd=\"http://www.ofdspec.org/2016\"";
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let opts = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Deflated);
    let mut add = |name: &str, data: &str| {
        w.start_file(name, opts).expect("zip entry");
        w.write_all(data.as_bytes()).expect("zip write");
    };
    add("OFD.xml", &format!("<ofd:OFD {ns}><ofd:DocBody><ofd:DocInfo><ofd:Title>基准</ofd:Title></ofd:DocInfo><ofd:DocRoot>Doc_0/Document.xml</ofd:DocRoot></ofd:DocBody></ofd:OFD>"));
    let list: String = (0..pages)
        .map(|p| {
            format!(
                "<ofd:Page ID=\"{}\" BaseLoc=\"Pages/Page_{p}/Content.xml\"/>",
                p + 1
            )
        })
        .collect();
    add(
        "Doc_0/Document.xml",
        &format!(
            "<ofd:Document {ns}><ofd:CommonData/><ofd:Pages>{list}</ofd:Pages></ofd:Document>"
        ),
    );
    for p in 0..pages {
        let mut xml = format!("<ofd:Page {ns}><ofd:Content><ofd:Layer ID=\"1\">");
        for line in 0..40 {
            let y = 20 + line * 6;
            let (a, b) = if line == 20 && p % 10 == 0 {
                ("本件密级：机密".to_string(), format!("★{}年", p % 9 + 1))
            } else {
                (gen.sentence(15), gen.sentence(14))
            };
            for (x, text) in [(20 + 4 * a.chars().count(), &b), (20, &a)] {
                let n = text.chars().count();
                xml.push_str(&format!("<ofd:TextObject ID=\"2\" Font=\"1\" Size=\"4\" Boundary=\"{x} {y} 200 5\"><ofd:TextCode X=\"0\" Y=\"4\" DeltaX=\"g {} 4\">{text}</ofd:TextCode></ofd:TextObject>", n - 1));
            }
        }
        xml.push_str("</ofd:Layer></ofd:Content></ofd:Page>");
        add(&format!("Doc_0/Pages/Page_{p}/Content.xml"), &xml);
    }
    w.finish().expect("zip").into_inner()
}

fn time(label: &str, name: &str, bytes: &[u8], scanner: &Scanner, runs: usize) {
    let limits = Limits::default();
    let mut times: Vec<Duration> = Vec::new();
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let r = review_bytes(name, bytes, scanner, &limits);
        times.push(t.elapsed());
        last = Some(r);
    }
    times.sort();
    let r = last.expect("at least one run");
    assert_eq!(r.verdict, Verdict::Withhold, "{:?}", r.error);
    println!(
        "{label}: {:.1} MB file, extract+scan min {:.0} ms, median {:.0} ms over {runs} runs, {} findings",
        bytes.len() as f64 / 1e6,
        times[0].as_secs_f64() * 1e3,
        times[runs / 2].as_secs_f64() * 1e3,
        r.findings.len()
    );
}

fn main() {
    // `cargo test --benches` passes --bench-less flags; run only under `cargo bench`.
    if std::env::args().any(|a| a == "--test" || a == "--list") {
        return;
    }
    let scanner = Scanner::shipped();
    let (docx, xml_len) = big_docx(10 << 20);
    println!("docx: document.xml {:.1} MB", xml_len as f64 / 1e6);
    time("docx (~10 MB)", "big.docx", &docx, &scanner, 5);
    let pdf = big_pdf(100);
    time(
        "pdf (100 pages, UniGB-UCS2-H)",
        "big.pdf",
        &pdf,
        &scanner,
        10,
    );
    time("ofd (200 pages)", "big.ofd", &big_ofd(200), &scanner, 10);
}

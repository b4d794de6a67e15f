//! Plain text and Markdown: the file is one flow, each line a paragraph
//! (as the extractor reads it); an emptied paragraph is a removed line.

use crate::flow::{apply, Flow};
use crate::{Action, Context, RedactError, Redactor};

/// .txt and .md files (UTF-8, UTF-16 or GB18030 in; UTF-8 out).
pub(crate) struct PlainText;

impl Redactor for PlainText {
    fn redact(&self, input: &[u8], ctx: &mut Context<'_>) -> Result<Vec<u8>, RedactError> {
        let (mut text, encoding) = baomi_extract::decode_text(input)?;
        if encoding != baomi_extract::TextEncoding::Utf8 {
            ctx.record(
                "body",
                "whole file",
                Action::RemovedHidden,
                &format!("encoding {} (the copy is UTF-8)", encoding.name()),
            );
        }
        let mut flow = Flow::new();
        let mut lines = Vec::new();
        let mut at = 0;
        for (i, line) in text.split_inclusive('\n').enumerate() {
            let body = line.trim_end_matches('\n');
            flow.push_node(i, body);
            flow.end_paragraph(i);
            lines.push(at..at + line.len());
            at += line.len();
        }
        let mut edits = ctx.process(&flow, "body");
        // Node i is line i: its offsets start where the line does.
        let mut changes: Vec<_> = edits
            .text
            .drain(..)
            .map(|(i, r, s)| (lines[i].start + r.start..lines[i].start + r.end, s))
            .collect();
        for id in &edits.removed_paragraphs {
            if let Some(r) = lines.get(*id) {
                changes.push((r.clone(), String::new()));
            }
        }
        // Masks inside removed lines were already dropped by the engine.
        apply(&mut text, changes);
        Ok(text.into_bytes())
    }
}

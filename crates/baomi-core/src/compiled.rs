//! A compiled scanner saved to bytes, so that a large keyword list is not
//! rebuilt on every start (`baomi rules compile`): building the automaton
//! for 100k keywords is most of a half-second start, loading it is a copy.
//!
//! What is saved is what is slow to build: the keyword automaton and, per
//! automaton string, the rules it stands for. The rules themselves are still
//! read from their files, because the saved part is valid only for the exact
//! rule files it was built from: the bytes name the rule-set fingerprint
//! (SHA-256 of the files' names and contents) and the baomi build that
//! wrote them (version plus a hash of this crate's source), and
//! [`Scanner::from_compiled`] refuses them for any other.
//!
//! Layout (integers little-endian):
//!
//! ```text
//! "BAOMI-SCANNER\n"  magic
//! u32                format (FORMAT)
//! str                baomi-core version + source hash that wrote it
//! str                rule-set fingerprint
//! [u8; 32]           SHA-256 of the body
//! body:
//!   u64 + bytes      daachorse's serialisation of the automaton (0 bytes: none)
//!   u32              number of automaton strings
//!   per string: u32 count, then per target
//!     u8 0, u32 rule                 an allow phrase of that rule
//!     u8 1, u32 rule, str, str       a keyword: strict and stripped folds
//!     u8 2, u32 rule                 a hotword that lets the rule run
//! ```
//!
//! `str` is a u32 byte length and UTF-8 bytes.
//!
//! Trust: the automaton is read back without checking its internal
//! structure (daachorse offers no checked reader), so the checksum guards it
//! against a truncated or damaged file, and the file must be kept where only
//! those who may change the rules can write, like the rules themselves.

use crate::rules::RuleSet;
use crate::scanner::{Scanner, ScannerError, Target};
use daachorse::CharwiseDoubleArrayAhoCorasick;
use sha2::{Digest, Sha256};

const MAGIC: &[u8] = b"BAOMI-SCANNER\n";
/// Bumped whenever the layout or the meaning of the saved parts changes.
const FORMAT: u32 = 1;
/// The version and the build's source hash (see build.rs): a checkout with
/// changed code but the same version number refuses the file too.
const VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), "+", env!("BAOMI_CORE_SOURCE_ID"));

/// Why saved scanner bytes were not used. Every case is safe to answer by
/// building the scanner from its rules instead.
#[derive(Debug, thiserror::Error)]
pub enum CompiledError {
    #[error("not a compiled baomi scanner")]
    NotCompiled,
    #[error(
        "written by baomi {found} (format {format}); this is baomi {VERSION} (format {FORMAT})"
    )]
    OtherVersion { found: String, format: u32 },
    #[error(
        "compiled for other rule files (fingerprint {}…; the rules now are {}…)",
        &compiled_for[..compiled_for.len().min(12)],
        &rules[..rules.len().min(12)]
    )]
    Stale { compiled_for: String, rules: String },
    #[error("damaged: {0}")]
    Damaged(&'static str),
    #[error(transparent)]
    Scanner(#[from] ScannerError),
}

impl Scanner {
    /// The slow-to-build part of this scanner as bytes, for
    /// [`Scanner::from_compiled`] with the same rules.
    ///
    /// ```
    /// use baomi_core::{RuleSet, Scanner};
    /// let toml = "[[rule]]\nid = \"k\"\ntitle = \"t\"\ncategory = \"internal\"\nseverity = \"note\"\nbasis = \"b\"\nkeywords = [\"内部资料\"]\ntests.hit = [\"内部资料\"]\ntests.miss = [\"资料\"]\n";
    /// let bytes = Scanner::from_str("k.toml", toml).unwrap().compiled();
    /// let loaded = Scanner::from_compiled(RuleSet::from_str("k.toml", toml).unwrap(), &bytes).unwrap();
    /// assert_eq!(loaded.scan("这是内部资料。").findings.len(), 1);
    /// // Other rules (here: another file name) refuse the bytes.
    /// assert!(Scanner::from_compiled(RuleSet::from_str("other.toml", toml).unwrap(), &bytes).is_err());
    /// ```
    pub fn compiled(&self) -> Vec<u8> {
        let mut body = Vec::new();
        let automaton = self
            .automaton
            .as_ref()
            .map(|a| a.serialize())
            .unwrap_or_default();
        body.extend_from_slice(&(automaton.len() as u64).to_le_bytes());
        body.extend_from_slice(&automaton);
        drop(automaton);
        put_u32(&mut body, self.targets.len() as u32);
        for targets in &self.targets {
            put_u32(&mut body, targets.len() as u32);
            for t in targets {
                match t {
                    Target::Allow { rule } => {
                        body.push(0);
                        put_u32(&mut body, *rule);
                    }
                    Target::Gate { rule } => {
                        body.push(2);
                        put_u32(&mut body, *rule);
                    }
                    Target::Keyword {
                        rule,
                        strict,
                        stripped,
                    } => {
                        body.push(1);
                        put_u32(&mut body, *rule);
                        put_str(&mut body, strict);
                        put_str(&mut body, stripped);
                    }
                }
            }
        }
        let mut out = Vec::with_capacity(body.len() + 200);
        out.extend_from_slice(MAGIC);
        put_u32(&mut out, FORMAT);
        put_str(&mut out, VERSION);
        put_str(&mut out, self.fingerprint());
        out.extend_from_slice(&Sha256::digest(&body));
        out.extend_from_slice(&body);
        out
    }

    /// The scanner for `set`, with its keyword automaton taken from `bytes`
    /// that [`Scanner::compiled`] wrote for the same rule files and the same
    /// baomi version; anything else is refused with the reason.
    pub fn from_compiled(set: RuleSet, bytes: &[u8]) -> Result<Scanner, CompiledError> {
        let (automaton, targets) = read(&set, bytes)?;
        Ok(Scanner::assemble(set, automaton, targets)?)
    }

    /// [`Scanner::from_compiled`], or when `bytes` are refused, the scanner
    /// built from `set` as [`Scanner::new`] builds it, with the reason the
    /// bytes were not used: what a command that finds a saved scanner
    /// beside its rules does, without a spare copy of the rules.
    pub fn from_compiled_or_rules(
        set: RuleSet,
        bytes: &[u8],
    ) -> Result<(Scanner, Option<CompiledError>), ScannerError> {
        match read(&set, bytes) {
            Ok((automaton, targets)) => Ok((Scanner::assemble(set, automaton, targets)?, None)),
            Err(refused) => Ok((Scanner::new(set)?, Some(refused))),
        }
    }
}

type Saved = (
    Option<CharwiseDoubleArrayAhoCorasick<u32>>,
    Vec<Vec<Target>>,
);

/// The automaton and targets in `bytes`, if they were written for `set`.
fn read(set: &RuleSet, bytes: &[u8]) -> Result<Saved, CompiledError> {
    let mut r = Reader(bytes);
    if r.take(MAGIC.len()) != Some(MAGIC) {
        return Err(CompiledError::NotCompiled);
    }
    let format = r.u32()?;
    let version = r.str()?;
    if format != FORMAT || version != VERSION {
        return Err(CompiledError::OtherVersion {
            found: version.to_string(),
            format,
        });
    }
    let fingerprint = r.str()?;
    if fingerprint != set.fingerprint() {
        return Err(CompiledError::Stale {
            compiled_for: fingerprint.to_string(),
            rules: set.fingerprint().to_string(),
        });
    }
    let sum = r.take(32).ok_or(CompiledError::Damaged("truncated"))?;
    if Sha256::digest(r.0).as_slice() != sum {
        return Err(CompiledError::Damaged("checksum does not match"));
    }
    let len = usize::try_from(r.u64()?).map_err(|_| CompiledError::Damaged("length"))?;
    let saved = r.take(len).ok_or(CompiledError::Damaged("truncated"))?;
    let automaton = if saved.is_empty() {
        None
    } else {
        // SAFETY: these bytes are what `compiled` wrote from
        // daachorse's own serialisation: the SHA-256 just checked
        // covers them, and the header pins the baomi version, hence
        // the daachorse version, that wrote them (see the module's
        // note on trust).
        let (automaton, rest) =
            unsafe { CharwiseDoubleArrayAhoCorasick::<u32>::deserialize_unchecked(saved) };
        if !rest.is_empty() {
            return Err(CompiledError::Damaged("automaton length"));
        }
        Some(automaton)
    };
    let rules = set.rules.len();
    let strings = r.u32()? as usize;
    // Each string has at least its count: no allocation beyond the data.
    if strings > r.0.len() / 4 {
        return Err(CompiledError::Damaged("string count"));
    }
    let mut targets = Vec::with_capacity(strings);
    for _ in 0..strings {
        let n = r.u32()? as usize;
        if n > r.0.len() / 5 {
            return Err(CompiledError::Damaged("target count"));
        }
        let mut these = Vec::with_capacity(n);
        for _ in 0..n {
            let tag = r.take(1).ok_or(CompiledError::Damaged("truncated"))?[0];
            let rule = r.u32()?;
            if rule as usize >= rules {
                return Err(CompiledError::Damaged("rule number"));
            }
            these.push(match tag {
                0 => Target::Allow { rule },
                2 => Target::Gate { rule },
                1 => Target::Keyword {
                    rule,
                    strict: r.str()?.into(),
                    stripped: r.str()?.into(),
                },
                _ => return Err(CompiledError::Damaged("target kind")),
            });
        }
        targets.push(these);
    }
    if !r.0.is_empty() {
        return Err(CompiledError::Damaged("trailing bytes"));
    }
    if automaton.is_none() != targets.is_empty() {
        return Err(CompiledError::Damaged("automaton and strings disagree"));
    }
    Ok((automaton, targets))
}

fn put_u32(out: &mut Vec<u8>, v: u32) {
    out.extend_from_slice(&v.to_le_bytes());
}

fn put_str(out: &mut Vec<u8>, s: &str) {
    put_u32(out, s.len() as u32);
    out.extend_from_slice(s.as_bytes());
}

/// Reads the layout front to back; every read is bounds-checked.
struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
    fn take(&mut self, n: usize) -> Option<&'a [u8]> {
        if n > self.0.len() {
            return None;
        }
        let (head, rest) = self.0.split_at(n);
        self.0 = rest;
        Some(head)
    }

    fn u32(&mut self) -> Result<u32, CompiledError> {
        let b = self.take(4).ok_or(CompiledError::Damaged("truncated"))?;
        Ok(u32::from_le_bytes(b.try_into().expect("4 bytes")))
    }

    fn u64(&mut self) -> Result<u64, CompiledError> {
        let b = self.take(8).ok_or(CompiledError::Damaged("truncated"))?;
        Ok(u64::from_le_bytes(b.try_into().expect("8 bytes")))
    }

    fn str(&mut self) -> Result<&'a str, CompiledError> {
        let n = self.u32()? as usize;
        let b = self.take(n).ok_or(CompiledError::Damaged("truncated"))?;
        std::str::from_utf8(b).map_err(|_| CompiledError::Damaged("text is not UTF-8"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules() -> RuleSet {
        let mut toml = String::from(
            "[[rule]]\nid = \"k\"\ntitle = \"t\"\ncategory = \"internal\"\nseverity = \"note\"\nbasis = \"b\"\nnoise = 1\nallow = [\"内部资料室\"]\nkeywords = [",
        );
        for i in 0..300 {
            toml.push_str(&format!("\"词{i}号\","));
        }
        toml.push_str("\"内部资料\"]\ntests.hit = [\"内部资料\"]\ntests.miss = [\"资料\"]\n");
        let mut set = RuleSet::shipped();
        for rule in RuleSet::from_str("k.toml", &toml).unwrap().rules {
            set.push(rule).unwrap();
        }
        set
    }

    #[test]
    fn a_loaded_scanner_finds_what_the_built_one_finds() {
        let built = Scanner::new(rules()).unwrap();
        let bytes = built.compiled();
        let loaded = Scanner::from_compiled(rules(), &bytes).unwrap();
        assert_eq!(loaded.targets, built.targets);
        let text = "内部资料。内 部资料，内部资料室，词7号与词12号；机密★5年；身份证号11010519491231002X。";
        let (a, b) = (built.scan(text), loaded.scan(text));
        // Ours: one unbroken, one with noise, two numbered words; the
        // allowed 内部资料室 is not one. The shipped rules add three.
        let ours = a.findings.iter().filter(|f| &*f.rule == "k").count();
        assert_eq!((ours, a.findings.len()), (4, 9), "{:?}", a.findings);
        assert_eq!(
            a.findings
                .iter()
                .map(|f| (f.rule.clone(), f.span))
                .collect::<Vec<_>>(),
            b.findings
                .iter()
                .map(|f| (f.rule.clone(), f.span))
                .collect::<Vec<_>>()
        );
        assert!(loaded.test_examples().is_empty());
        assert_eq!(loaded.fingerprint(), built.fingerprint());
    }

    #[test]
    fn other_rules_versions_and_damage_are_refused() {
        let bytes = Scanner::new(rules()).unwrap().compiled();
        let stale = Scanner::from_compiled(RuleSet::shipped(), &bytes).unwrap_err();
        assert!(matches!(stale, CompiledError::Stale { .. }), "{stale}");

        let mut other = bytes.clone();
        let at = MAGIC.len() + 4 + 4; // the version string's first byte
        other[at] = b'9';
        let e = Scanner::from_compiled(rules(), &other).unwrap_err();
        assert!(matches!(e, CompiledError::OtherVersion { .. }), "{e}");

        assert!(matches!(
            Scanner::from_compiled(rules(), b"[[rule]]\n").unwrap_err(),
            CompiledError::NotCompiled
        ));
        // Every truncation, and a flipped byte anywhere in the body.
        for cut in [
            0,
            10,
            MAGIC.len() + 3,
            60,
            100,
            bytes.len() / 2,
            bytes.len() - 1,
        ] {
            assert!(
                Scanner::from_compiled(rules(), &bytes[..cut]).is_err(),
                "cut at {cut}"
            );
        }
        for at in [bytes.len() - 40, bytes.len() / 2, bytes.len() - 1] {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x40;
            let e = Scanner::from_compiled(rules(), &flipped).unwrap_err();
            assert!(matches!(e, CompiledError::Damaged(_)), "{e}");
        }
    }

    #[test]
    fn rules_without_keywords_compile_too() {
        let toml = "[[rule]]\nid = \"p\"\ntitle = \"t\"\ncategory = \"internal\"\nseverity = \"note\"\nbasis = \"b\"\npattern = \"[0-9]{6}号\"\ntests.hit = [\"123456号\"]\ntests.miss = [\"12号\"]\n";
        let set = || RuleSet::from_str("p.toml", toml).unwrap();
        let bytes = Scanner::new(set()).unwrap().compiled();
        let loaded = Scanner::from_compiled(set(), &bytes).unwrap();
        assert_eq!(loaded.scan("编号123456号").findings.len(), 1);
    }
}

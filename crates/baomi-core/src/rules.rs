//! Rule files: the TOML model, loading, and the checks that refuse a broken
//! rule before it can silently miss something.

use crate::types::{Category, Severity};
use crate::validators::Validator;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use std::collections::HashSet;
use std::path::{Path, PathBuf};
use std::sync::Arc;

/// The shipped rule files, embedded so that the binary and embedding tools
/// work from any folder.
const SHIPPED: &[(&str, &str)] = &[
    (
        "markings.toml",
        include_str!("../../../rules/markings.toml"),
    ),
    (
        "internal.toml",
        include_str!("../../../rules/internal.toml"),
    ),
    (
        "personal.toml",
        include_str!("../../../rules/personal.toml"),
    ),
    (
        "organisations.toml",
        include_str!("../../../rules/organisations.toml"),
    ),
    (
        "sensitive.toml",
        include_str!("../../../rules/sensitive.toml"),
    ),
];

/// A named selection of shipped rule files, for a kind of document.
#[derive(Debug, Clone, Copy)]
pub struct Pack {
    pub name: &'static str,
    /// What the pack is for, as `baomi rules list` shows it.
    pub title: &'static str,
    /// Rule files beyond the default ones (the default pack has none).
    extra: &'static [(&'static str, &'static str)],
}

/// The shipped packs. `default` is the 政务公开 pre-publication review every
/// command uses unless told otherwise; `roster` is stricter, for attachments
/// that are lists of people (低保/救助/补贴名单, 花名册, 录取名单): it drops
/// the person condition of the sensitive-category rules (every row of a
/// roster is about a person) and raises contact and account numbers to
/// `block`.
pub const PACKS: &[Pack] = &[
    Pack {
        name: "default",
        title: "政务公开发布前审查（正文、公告、答复）",
        extra: &[],
    },
    Pack {
        name: "roster",
        title: "名册类附件（更严：不要求人名上下文，号码一律拦截）",
        extra: &[(
            "packs/roster.toml",
            include_str!("../../../rules/packs/roster.toml"),
        )],
    },
];

/// Default largest number of noise characters allowed in one gap between two
/// keyword characters.
pub const DEFAULT_MAX_NOISE: u8 = 3;
/// Default hotword window, in characters either side of a match.
pub const DEFAULT_HOTWORD_WINDOW: usize = 24;

/// A rule that could not be loaded: which file, which line, which rule, why.
#[derive(Debug, thiserror::Error)]
pub enum RuleError {
    /// The I/O error is part of the message (not a `source`) so that it is
    /// printed once, whether the caller shows the chain or not.
    #[error("{file}: cannot read rule file: {error}")]
    Io {
        file: PathBuf,
        error: std::io::Error,
    },
    #[error("{file}:{line}: {message}")]
    Syntax {
        file: PathBuf,
        line: usize,
        message: String,
    },
    #[error("{file}:{line}: rule `{rule}`: {message}")]
    Invalid {
        file: PathBuf,
        line: usize,
        rule: String,
        message: String,
    },
    #[error("{0}: no rule files (*.toml) found; pass a folder that holds rule files, or omit --rules to use the shipped ones")]
    Empty(PathBuf),
}

/// Noise tolerance between keyword characters: `noise = true` (the default
/// bound) or `noise = 2` (at most 2 noise characters per gap).
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(untagged)]
enum NoiseSetting {
    Flag(bool),
    Max(u8),
}

#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct RuleExamples {
    #[serde(default)]
    hit: Vec<String>,
    #[serde(default)]
    miss: Vec<String>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawRule {
    id: toml::Spanned<String>,
    title: String,
    category: Category,
    severity: Severity,
    basis: String,
    #[serde(default)]
    keywords: Vec<String>,
    pattern: Option<String>,
    validator: Option<String>,
    noise: Option<NoiseSetting>,
    #[serde(default)]
    traditional: bool,
    #[serde(default)]
    allow: Vec<String>,
    #[serde(default)]
    hotwords: Vec<String>,
    hotword_window: Option<usize>,
    #[serde(default)]
    require_hotword: bool,
    #[serde(default)]
    whole_line: bool,
    #[serde(default)]
    person: bool,
    mask: Option<String>,
    #[serde(default)]
    supersedes: Vec<String>,
    #[serde(default)]
    tests: RuleExamples,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawFile {
    #[serde(default)]
    rule: Vec<RawRule>,
    #[serde(default)]
    adjust: Vec<RawAdjust>,
}

/// A change to a rule defined in another file (how packs and offices tune
/// shipped rules without copying them). Its examples replace the rule's,
/// since a rule that behaves differently needs examples that say how.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawAdjust {
    id: toml::Spanned<String>,
    severity: Option<Severity>,
    person: Option<bool>,
    require_hotword: Option<bool>,
    hotword_window: Option<usize>,
    mask: Option<String>,
    tests: RuleExamples,
}

/// How a rule matches.
#[derive(Debug, Clone)]
pub enum Matcher {
    /// Literal keywords, matched after normalisation by one shared automaton.
    Keywords(Vec<String>),
    /// A regular expression (the `regex` crate's syntax) run on the
    /// normalised text, optionally checked by a validator.
    Pattern {
        pattern: String,
        validator: Option<Validator>,
    },
}

/// One loaded, checked rule.
#[derive(Debug, Clone)]
pub struct Rule {
    pub id: Arc<str>,
    pub title: Arc<str>,
    pub category: Category,
    pub severity: Severity,
    /// The law or regulation cited on the review form as the reason.
    pub basis: Arc<str>,
    pub matcher: Matcher,
    /// Largest number of noise characters per gap between keyword
    /// characters; 0 means the keyword must stand unbroken.
    pub max_noise: u8,
    /// Also match traditional-character spellings of the keywords.
    pub traditional: bool,
    /// A match lying inside an occurrence of one of these is not a finding.
    pub allow: Vec<String>,
    /// Context words that raise a finding's confidence.
    pub hotwords: Vec<String>,
    pub hotword_window: usize,
    /// Report only when a hotword is near (for identifiers without a check
    /// digit, such as passports and 15-digit IDs).
    pub require_hotword: bool,
    /// Report only a match that stands alone on its line (apart from white
    /// space): how markings are laid out, as opposed to prose that merely
    /// uses the same words.
    pub whole_line: bool,
    /// Report only when a person is named or described in the same line
    /// (see [`crate::person`]): for diseases, religions, records and other
    /// words that are policy vocabulary unless said of someone.
    pub person: bool,
    /// Rules whose findings this rule's finding replaces where both match
    /// overlapping text, so that one item is one finding (a stated
    /// diagnosis, 患有尿毒症, is not also reported as the disease name). Ids
    /// not in the rule set are ignored: a folder may leave a file out.
    pub supersedes: Vec<Arc<str>>,
    /// How `baomi redact` masks this rule's matches in a publishable copy
    /// (`mask = "keep:3-4"`); `None`: personal data is masked in full, and
    /// other categories are not masked (see [`crate::mask`]).
    pub mask: Option<crate::mask::Mask>,
    pub hit_examples: Vec<String>,
    pub miss_examples: Vec<String>,
    /// File and line the rule was defined at, for messages.
    pub origin: String,
}

/// A checked set of rules, with a fingerprint that identifies its exact
/// content (recorded in the ledger so a re-scan with changed rules is
/// distinguishable from a duplicate).
#[derive(Debug, Clone)]
pub struct RuleSet {
    pub rules: Vec<Rule>,
    fingerprint: String,
}

impl RuleSet {
    /// The rule sets shipped with baomi (`rules/*.toml`, embedded at build time).
    ///
    /// ```
    /// let rules = baomi_core::RuleSet::shipped();
    /// assert!(rules.rules.iter().any(|r| &*r.id == "marking.classification"));
    /// ```
    pub fn shipped() -> RuleSet {
        let files: Vec<(PathBuf, String)> = SHIPPED
            .iter()
            .map(|(name, text)| (PathBuf::from(format!("rules/{name}")), text.to_string()))
            .collect();
        RuleSet::from_files(files).expect("shipped rules are checked by the test suite")
    }

    /// A shipped pack by name (see [`PACKS`]); `None` for an unknown name.
    ///
    /// ```
    /// let roster = baomi_core::RuleSet::pack("roster").unwrap();
    /// let health = roster.rules.iter().find(|r| &*r.id == "personal.health-condition").unwrap();
    /// assert!(!health.person);
    /// assert!(baomi_core::RuleSet::pack("nope").is_none());
    /// ```
    pub fn pack(name: &str) -> Option<RuleSet> {
        let pack = PACKS.iter().find(|p| p.name == name)?;
        let files: Vec<(PathBuf, String)> = SHIPPED
            .iter()
            .chain(pack.extra)
            .map(|(name, text)| (PathBuf::from(format!("rules/{name}")), text.to_string()))
            .collect();
        Some(RuleSet::from_files(files).expect("shipped packs are checked by the test suite"))
    }

    /// Loads every `*.toml` file of a folder (sorted by name), or one file.
    pub fn from_path(path: &Path) -> Result<RuleSet, RuleError> {
        let mut files = Vec::new();
        if path.is_dir() {
            let entries = std::fs::read_dir(path).map_err(|error| RuleError::Io {
                file: path.to_path_buf(),
                error,
            })?;
            let mut names: Vec<PathBuf> = entries
                .filter_map(|e| e.ok().map(|e| e.path()))
                .filter(|p| p.extension().is_some_and(|e| e == "toml") && p.is_file())
                .collect();
            names.sort();
            for name in names {
                let text = std::fs::read_to_string(&name).map_err(|error| RuleError::Io {
                    file: name.clone(),
                    error,
                })?;
                files.push((name, text));
            }
            if files.is_empty() {
                return Err(RuleError::Empty(path.to_path_buf()));
            }
        } else {
            let text = std::fs::read_to_string(path).map_err(|error| RuleError::Io {
                file: path.to_path_buf(),
                error,
            })?;
            files.push((path.to_path_buf(), text));
        }
        RuleSet::from_files(files)
    }

    /// Parses rules from TOML text; `name` is used in error messages.
    pub fn from_str(name: &str, text: &str) -> Result<RuleSet, RuleError> {
        RuleSet::from_files(vec![(PathBuf::from(name), text.to_string())])
    }

    /// Parses and checks several rule files as one set (ids must be unique
    /// across all of them).
    pub fn from_files(files: Vec<(PathBuf, String)>) -> Result<RuleSet, RuleError> {
        let mut hasher = Sha256::new();
        let mut rules = Vec::new();
        let mut seen = HashSet::new();
        let mut adjusts = Vec::new();
        for (file, text) in &files {
            hasher.update(
                file.file_name()
                    .map(|n| n.as_encoded_bytes())
                    .unwrap_or(b""),
            );
            hasher.update([0]);
            hasher.update(text.as_bytes());
            hasher.update([0]);
            let raw: RawFile = toml::from_str(text).map_err(|e| RuleError::Syntax {
                file: file.clone(),
                line: e.span().map(|s| line_of(text, s.start)).unwrap_or(0),
                message: e.message().trim().to_string(),
            })?;
            adjusts.extend(raw.adjust.into_iter().map(|a| (file.clone(), text, a)));
            for raw_rule in raw.rule {
                let line = line_of(text, raw_rule.id.span().start);
                let id = raw_rule.id.get_ref().clone();
                let invalid = |message: String| RuleError::Invalid {
                    file: file.clone(),
                    line,
                    rule: id.clone(),
                    message,
                };
                if !seen.insert(id.clone()) {
                    return Err(invalid(
                        "duplicate rule id (ids must be unique across all rule files)".into(),
                    ));
                }
                rules.push(
                    check_rule(raw_rule, format!("{}:{line}", file.display())).map_err(invalid)?,
                );
            }
        }
        for (file, text, a) in adjusts {
            let line = line_of(text, a.id.span().start);
            let id = a.id.into_inner();
            let invalid = |message: &str| RuleError::Invalid {
                file: file.clone(),
                line,
                rule: id.clone(),
                message: message.into(),
            };
            let rule = rules
                .iter_mut()
                .find(|r| *r.id == *id)
                .ok_or_else(|| invalid("`[[adjust]]` names no rule of this rule set"))?;
            if a.tests.hit.is_empty() || a.tests.miss.is_empty() {
                return Err(invalid(
                    "`[[adjust]]` needs its own `tests.hit` and `tests.miss` examples",
                ));
            }
            if let Some(v) = a.severity {
                rule.severity = v;
            }
            if let Some(v) = a.person {
                rule.person = v;
            }
            if let Some(v) = a.require_hotword {
                if v && rule.hotwords.is_empty() {
                    return Err(invalid(
                        "`require_hotword = true` but the rule has no hotwords",
                    ));
                }
                rule.require_hotword = v;
            }
            if let Some(v) = a.hotword_window {
                rule.hotword_window = v;
            }
            if let Some(m) = a.mask {
                rule.mask = Some(crate::mask::Mask::parse(&m).map_err(|e| invalid(&e))?);
            }
            rule.hit_examples = a.tests.hit;
            rule.miss_examples = a.tests.miss;
            rule.origin = format!("{}:{line}", file.display());
        }
        if rules.is_empty() {
            let file = files.first().map(|f| f.0.clone()).unwrap_or_default();
            return Err(RuleError::Empty(file));
        }
        let fingerprint = hex(&hasher.finalize());
        Ok(RuleSet { rules, fingerprint })
    }

    /// Adds a keyword rule built in code (used for large keyword lists such
    /// as a benchmark or an office's own word list).
    pub fn push(&mut self, rule: Rule) -> Result<(), String> {
        if self.rules.iter().any(|r| r.id == rule.id) {
            return Err(format!("duplicate rule id `{}`", rule.id));
        }
        let mut hasher = Sha256::new();
        hasher.update(self.fingerprint.as_bytes());
        hasher.update(rule.id.as_bytes());
        if let Matcher::Keywords(k) = &rule.matcher {
            for k in k {
                hasher.update(k.as_bytes());
                hasher.update([0]);
            }
        }
        self.fingerprint = hex(&hasher.finalize());
        self.rules.push(rule);
        Ok(())
    }

    /// Hex SHA-256 over the rule files' names and contents.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }
}

fn check_rule(raw: RawRule, origin: String) -> Result<Rule, String> {
    let id = raw.id.into_inner();
    if id.is_empty()
        || !id
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_'))
    {
        return Err(
            "id must be non-empty and use only ASCII letters, digits, `.`, `-` and `_`".into(),
        );
    }
    if raw.basis.trim().is_empty() {
        return Err(
            "`basis` is empty: cite the law or regulation that makes this reportable".into(),
        );
    }
    let matcher = match (raw.keywords.is_empty(), raw.pattern) {
        (false, Some(_)) => {
            return Err("has both `keywords` and `pattern`; split it into two rules".into())
        }
        (true, None) => return Err("has neither `keywords` nor `pattern`".into()),
        (false, None) => {
            if raw.validator.is_some() {
                return Err("`validator` works only with `pattern`".into());
            }
            for k in &raw.keywords {
                if crate::normalize::fold_keyword(k, true, false).is_empty() {
                    return Err(format!("keyword {k:?} is empty after normalisation"));
                }
            }
            Matcher::Keywords(raw.keywords)
        }
        (true, Some(pattern)) => {
            // Only the syntax: building the regex here (to throw it away)
            // was most of the time a loaded rule set took; a pattern too large
            // to compile is refused when the scanner is built, with its rule.
            regex_syntax::Parser::new()
                .parse(&pattern)
                .map_err(|e| format!("invalid `pattern`: {e}"))?;
            let validator = match raw.validator {
                None => None,
                Some(name) => Some(Validator::from_name(&name).ok_or_else(|| {
                    format!(
                        "unknown validator {name:?}; known: {}",
                        Validator::ALL
                            .iter()
                            .map(|v| v.name())
                            .collect::<Vec<_>>()
                            .join(", ")
                    )
                })?),
            };
            Matcher::Pattern { pattern, validator }
        }
    };
    if raw.tests.hit.is_empty() || raw.tests.miss.is_empty() {
        return Err("needs at least one `tests.hit` and one `tests.miss` example".into());
    }
    if raw.require_hotword && raw.hotwords.is_empty() {
        return Err("`require_hotword = true` but no `hotwords` are listed".into());
    }
    if raw.supersedes.contains(&id) {
        return Err("`supersedes` names the rule itself".into());
    }
    for a in &raw.allow {
        if crate::normalize::fold_keyword(a, true, false).is_empty() {
            return Err(format!("allow phrase {a:?} is empty after normalisation"));
        }
    }
    let mask = raw
        .mask
        .as_deref()
        .map(crate::mask::Mask::parse)
        .transpose()?;
    let max_noise = match raw.noise {
        None | Some(NoiseSetting::Flag(false)) => 0,
        Some(NoiseSetting::Flag(true)) => DEFAULT_MAX_NOISE,
        Some(NoiseSetting::Max(n)) => n,
    };
    Ok(Rule {
        id: id.into(),
        title: raw.title.into(),
        category: raw.category,
        severity: raw.severity,
        basis: raw.basis.into(),
        matcher,
        max_noise,
        traditional: raw.traditional,
        allow: raw.allow,
        hotwords: raw.hotwords,
        hotword_window: raw.hotword_window.unwrap_or(DEFAULT_HOTWORD_WINDOW),
        require_hotword: raw.require_hotword,
        whole_line: raw.whole_line,
        person: raw.person,
        supersedes: raw.supersedes.into_iter().map(Into::into).collect(),
        mask,
        hit_examples: raw.tests.hit,
        miss_examples: raw.tests.miss,
        origin,
    })
}

fn line_of(text: &str, byte: usize) -> usize {
    text.as_bytes()[..byte.min(text.len())]
        .iter()
        .filter(|&&b| b == b'\n')
        .count()
        + 1
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write;
    bytes
        .iter()
        .fold(String::with_capacity(bytes.len() * 2), |mut s, b| {
            let _ = write!(s, "{b:02x}");
            s
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"
[[rule]]
id = "t.one"
title = "t"
category = "internal"
severity = "review"
basis = "b"
keywords = ["内部资料"]
tests.hit = ["内部资料"]
tests.miss = ["公开资料"]
"#;

    fn err(text: &str) -> String {
        RuleSet::from_str("x.toml", text).unwrap_err().to_string()
    }

    #[test]
    fn loads_a_good_rule() {
        let set = RuleSet::from_str("x.toml", GOOD).unwrap();
        assert_eq!(set.rules.len(), 1);
        assert_eq!(set.fingerprint().len(), 64);
    }

    #[test]
    fn syntax_error_names_file_and_line() {
        let e = err("[[rule]]\nid = \"a\"\ntitle = \n");
        assert!(e.starts_with("x.toml:3:"), "{e}");
    }

    #[test]
    fn duplicate_id_is_refused() {
        let e = err(&format!("{GOOD}\n{GOOD}"));
        assert!(e.contains("duplicate rule id"), "{e}");
        assert!(e.contains("rule `t.one`"), "{e}");
        assert!(e.starts_with("x.toml:14:"), "{e}");
    }

    #[test]
    fn missing_examples_are_refused() {
        let e = err(&GOOD.replace("tests.miss = [\"公开资料\"]", ""));
        assert!(e.contains("tests.miss"), "{e}");
    }

    #[test]
    fn empty_keyword_is_refused() {
        let e = err(&GOOD.replace("[\"内部资料\"]\ntests", "[\"  \"]\ntests"));
        assert!(e.contains("empty after normalisation"), "{e}");
    }

    #[test]
    fn invalid_regex_is_refused() {
        let e = err(&GOOD.replace("keywords = [\"内部资料\"]", "pattern = '(['"));
        assert!(e.contains("invalid `pattern`"), "{e}");
    }

    #[test]
    fn unknown_validator_is_refused() {
        let e = err(&GOOD.replace(
            "keywords = [\"内部资料\"]",
            "pattern = '[0-9]+'\nvalidator = \"nope\"",
        ));
        assert!(e.contains("unknown validator \"nope\""), "{e}");
        assert!(e.contains("cn-ric"), "{e}");
    }

    #[test]
    fn unknown_field_is_refused() {
        let e = err(&GOOD.replace("basis = \"b\"", "basis = \"b\"\nseverty = \"x\""));
        assert!(e.contains("unknown field"), "{e}");
    }

    #[test]
    fn adjust_changes_a_rule_and_replaces_its_examples() {
        let adjust = r#"
[[adjust]]
id = "t.one"
severity = "block"
tests.hit = ["内部资料"]
tests.miss = ["资料"]
"#;
        let set = RuleSet::from_files(vec![
            (PathBuf::from("a.toml"), GOOD.into()),
            (PathBuf::from("b.toml"), adjust.into()),
        ])
        .unwrap();
        assert_eq!(set.rules[0].severity, Severity::Block);
        assert_eq!(set.rules[0].miss_examples, ["资料"]);
        assert_eq!(set.rules[0].origin, "b.toml:3");
        let e = err(&adjust.replace("t.one", "t.none"));
        assert!(e.contains("names no rule"), "{e}");
        let e = RuleSet::from_files(vec![
            (PathBuf::from("a.toml"), GOOD.into()),
            (
                PathBuf::from("b.toml"),
                adjust.replace("tests.miss = [\"资料\"]", ""),
            ),
        ])
        .unwrap_err()
        .to_string();
        assert!(e.contains("own `tests.hit` and `tests.miss`"), "{e}");
    }

    #[test]
    fn every_pack_loads() {
        for p in PACKS {
            assert!(RuleSet::pack(p.name).is_some(), "{}", p.name);
        }
    }

    #[test]
    fn shipped_rules_load() {
        let set = RuleSet::shipped();
        assert!(set.rules.len() >= 10);
    }
}

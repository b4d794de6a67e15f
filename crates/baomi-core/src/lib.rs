//! baomi-core: the pure scanning engine of baomi (保密审查, pre-publication
//! secrecy review).
//!
//! It loads rule sets (TOML), normalises text (full-width, case, zero-width,
//! optionally traditional characters) while keeping a map back to the
//! original, matches keywords with one Aho-Corasick automaton and patterns
//! with validators, and turns findings into a verdict. It does no I/O beyond
//! reading rule files, so publishing tools can embed it cheaply.
//!
//! ```
//! use baomi_core::{Scanner, Verdict};
//! let scanner = Scanner::shipped();
//! let report = scanner.scan("联系人身份证号11010519491231002X");
//! assert_eq!(report.verdict(), Verdict::Withhold);
//! assert_eq!(&*report.findings[0].rule, "personal.id-card");
//! ```

mod compiled;
pub mod display;
mod document;
mod excerpt;
pub mod mask;
pub mod meta;
pub mod normalize;
pub mod person;
mod prefilter;
pub mod rules;
mod scanner;
mod softbreak;
mod stream;
pub mod time;
mod types;
pub mod validators;

pub use compiled::CompiledError;
pub use document::{ScanReport, EMPTY_DOCUMENT};
pub use rules::{Matcher, Pack, Rule, RuleError, RuleSet, PACKS};
pub use scanner::{ExampleFailure, Scanner, ScannerError};
pub use stream::{StreamResult, StreamScan, DEFAULT_CHUNK, DEFAULT_MAX_FINDINGS};
pub use types::*;

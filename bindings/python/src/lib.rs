//! baomi for Python: the native module `baomi._baomi`, re-exported by the
//! `baomi` package (python/baomi/__init__.py, typed in `__init__.pyi`).
//!
//! Reports are the Rust `DocumentReport`s the CLI prints; `Report.to_json()`
//! is the same serialisation as `baomi scan --format json`
//! (`baomi_core::ScanReport`), and the Python objects are views of it, so
//! the two cannot disagree. The GIL is released while reading and
//! scanning, so threads of a web application scan in parallel.

use baomi_core::{DocumentReport, Location as CoreLocation, ScanReport, Scanner as CoreScanner};
use baomi_extract::Limits;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};

pyo3::create_exception!(
    _baomi,
    RulesError,
    PyValueError,
    "Rule files that cannot be read or do not compile."
);

/// A compiled rule set; build once, use from any thread.
#[pyclass(frozen, module = "baomi")]
struct Scanner {
    inner: Arc<CoreScanner>,
}

fn shipped() -> Arc<CoreScanner> {
    static SHIPPED: OnceLock<Arc<CoreScanner>> = OnceLock::new();
    SHIPPED
        .get_or_init(|| Arc::new(CoreScanner::shipped()))
        .clone()
}

#[pymethods]
impl Scanner {
    /// `Scanner()`: the shipped rules; `Scanner(rules=PATH)`: a folder of
    /// rule files or one file; `Scanner(toml=TEXT)`: the text of a rule file.
    #[new]
    #[pyo3(signature = (rules=None, *, toml=None))]
    fn new(py: Python<'_>, rules: Option<PathBuf>, toml: Option<String>) -> PyResult<Self> {
        let inner = match (rules, toml) {
            (Some(_), Some(_)) => {
                return Err(PyValueError::new_err(
                    "give rules=PATH or toml=TEXT, not both",
                ))
            }
            (None, None) => shipped(),
            (Some(dir), None) => {
                let built = py.detach(|| CoreScanner::from_dir(&dir));
                Arc::new(built.map_err(|e| {
                    RulesError::new_err(format!(
                        "cannot load rules from {}: {e}; fix the rule file, or use Scanner() for the shipped rules",
                        dir.display()
                    ))
                })?)
            }
            (None, Some(text)) => {
                let built = py.detach(|| CoreScanner::from_str("rules.toml", &text));
                Arc::new(built.map_err(|e| RulesError::new_err(e.to_string()))?)
            }
        };
        Ok(Scanner { inner })
    }

    /// Reviews `text` as one plain-text document named `name` (the same
    /// report `baomi scan` gives for a file of that text).
    #[pyo3(signature = (text, name="text"))]
    fn scan(&self, py: Python<'_>, text: String, name: &str) -> Report {
        let name = name.to_string();
        let scanner = self.inner.clone();
        let report = py.detach(move || scanner.review_text(&name, &text));
        Report { inner: report }
    }

    /// Reviews a file in any format baomi reads, as `baomi scan FILE`.
    fn review_file(&self, py: Python<'_>, path: PathBuf) -> Report {
        let scanner = self.inner.clone();
        let report =
            py.detach(move || baomi_extract::review_file(&path, &scanner, &Limits::default()));
        Report { inner: report }
    }

    /// Hex SHA-256 of the rule files (recorded in the ledger).
    #[getter]
    fn fingerprint(&self) -> &str {
        self.inner.fingerprint()
    }

    fn __repr__(&self) -> String {
        format!("<baomi.Scanner rules={}>", self.inner.rules().len())
    }
}

/// Reviews a file with the shipped rules (built once per process).
#[pyfunction]
fn review_file(py: Python<'_>, path: PathBuf) -> Report {
    let scanner = shipped();
    let report = py.detach(move || baomi_extract::review_file(&path, &scanner, &Limits::default()));
    Report { inner: report }
}

/// The review of one document.
#[pyclass(frozen, module = "baomi")]
struct Report {
    inner: DocumentReport,
}

#[pymethods]
impl Report {
    /// `"clear"`, `"review"`, `"withhold"` or `"error"` (not cleared).
    #[getter]
    fn verdict(&self) -> &'static str {
        self.inner.verdict.as_str()
    }
    #[getter]
    fn path(&self) -> &str {
        &self.inner.path
    }
    #[getter]
    fn sha256(&self) -> &str {
        &self.inner.sha256
    }
    #[getter]
    fn title(&self) -> Option<&str> {
        self.inner.title.as_deref()
    }
    #[getter]
    fn doc_number(&self) -> Option<&str> {
        self.inner.doc_number.as_deref()
    }
    #[getter]
    fn error(&self) -> Option<&str> {
        self.inner.error.as_deref()
    }
    /// Whether the whole document was read (false: the verdict is never clear).
    #[getter]
    fn complete(&self) -> bool {
        self.inner.coverage.complete
    }
    #[getter]
    fn parts(&self) -> Vec<&'static str> {
        self.inner
            .coverage
            .parts
            .iter()
            .map(|p| p.as_str())
            .collect()
    }
    #[getter]
    fn notes(&self) -> Vec<String> {
        self.inner.coverage.notes.clone()
    }
    #[getter]
    fn findings(&self) -> Vec<Finding> {
        self.inner.findings.iter().map(Finding::from).collect()
    }
    /// The JSON report, exactly as `baomi scan --format json` prints it:
    /// `{"documents": [this report]}`.
    fn to_json(&self) -> String {
        ScanReport::of(std::slice::from_ref(&self.inner)).to_json()
    }
    fn __repr__(&self) -> String {
        format!(
            "Report(path={:?}, verdict={:?}, findings={})",
            self.inner.path,
            self.inner.verdict.as_str(),
            self.inner.findings.len()
        )
    }
}

/// One thing a rule found.
#[pyclass(frozen, get_all, eq, module = "baomi")]
#[derive(Clone, PartialEq)]
struct Finding {
    rule: String,
    title: String,
    category: &'static str,
    severity: &'static str,
    basis: String,
    /// The matched text as it stands in the document.
    matched: String,
    /// `"high"`, `"medium"` or `"low"`.
    confidence: &'static str,
    location: Location,
    context: String,
    /// Byte offsets (start, end) in the UTF-8 text of the segment.
    span: (usize, usize),
}

impl From<&baomi_core::Finding> for Finding {
    fn from(f: &baomi_core::Finding) -> Self {
        Finding {
            rule: f.rule.to_string(),
            title: f.title.to_string(),
            category: f.category.as_str(),
            severity: f.severity.as_str(),
            basis: f.basis.to_string(),
            matched: f.matched.to_string(),
            confidence: match f.confidence {
                baomi_core::Confidence::High => "high",
                baomi_core::Confidence::Medium => "medium",
                baomi_core::Confidence::Low => "low",
            },
            location: Location::from(&f.location),
            context: f.context.to_string(),
            span: (f.span.start, f.span.end),
        }
    }
}

#[pymethods]
impl Finding {
    fn __repr__(&self) -> String {
        format!(
            "Finding(rule={:?}, matched={:?}, confidence={:?}, location={})",
            self.rule,
            self.matched,
            self.confidence,
            self.location.__repr__()
        )
    }
}

/// Where a finding is: part of the document, 1-based line and column
/// (characters), and what else the format knows.
#[pyclass(frozen, get_all, eq, module = "baomi")]
#[derive(Clone, PartialEq)]
struct Location {
    part: &'static str,
    line: u64,
    column: u64,
    page: Option<u32>,
    paragraph: Option<u32>,
    cell: Option<String>,
    author: Option<String>,
    detail: Option<String>,
}

impl From<&CoreLocation> for Location {
    fn from(l: &CoreLocation) -> Self {
        Location {
            part: l.part.as_str(),
            line: l.line,
            column: l.column,
            page: l.page,
            paragraph: l.paragraph,
            cell: l.cell.as_deref().map(str::to_owned),
            author: l.author.as_deref().map(str::to_owned),
            detail: l.detail.as_deref().map(str::to_owned),
        }
    }
}

#[pymethods]
impl Location {
    fn __repr__(&self) -> String {
        format!(
            "Location(part={:?}, line={}, column={})",
            self.part, self.line, self.column
        )
    }
}

#[pymodule]
fn _baomi(m: &Bound<'_, PyModule>) -> PyResult<()> {
    m.add_class::<Scanner>()?;
    m.add_class::<Report>()?;
    m.add_class::<Finding>()?;
    m.add_class::<Location>()?;
    m.add_function(wrap_pyfunction!(review_file, m)?)?;
    m.add("RulesError", m.py().get_type::<RulesError>())?;
    m.add("__version__", env!("CARGO_PKG_VERSION"))?;
    Ok(())
}

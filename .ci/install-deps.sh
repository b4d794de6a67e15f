#!/usr/bin/env bash
# System packages the test suite needs. Idempotent: installs only what is
# missing. Add a package here (one per line, with the reason) when a test
# needs it.
set -euo pipefail
packages=(
  python3        # tests/watch_daemon.rs: builds .docx drafts and a zip-bomb .docx with zipfile
  python3-venv   # bindings/python/run-tests.sh: a fresh venv for maturin, the wheel and pytest
  php-cli        # crates/baomi-ffi/tests/languages.rs: the PHP FFI example calls libbaomi_ffi.so
  openjdk-17-jdk-headless # crates/baomi-ffi/tests/languages.rs: javac/java for the JNA example
  libjna-java    # the same: JNA (/usr/share/java/jna.jar)
  poppler-utils  # pdftotext/pdfinfo: baomi-extract reads PDF text layers through them
  tesseract-ocr  # OCR engine: scanned PDF pages, image files and pictures in office files (baomi-extract's ocr module, tests/fixtures/scan-*)
  tesseract-ocr-chi-sim # Simplified Chinese model for Tesseract (the default OCR language, chi_sim)
  img2pdf        # tests/fixtures/make_scans.py and the OCR benchmark (benches/ocr.rs): image-only PDFs from page images
  poppler-data   # CJK CMaps (GBK-EUC-H, UniGB-UCS2-H, Adobe-GB1) for Chinese PDFs without embedded fonts
  chromium       # headless browser for tests/web_ui.rs (the reviewer web UI, driven by playwright-core)
  fonts-noto-cjk # Chinese glyphs in the browser tests' screenshots and printed review form
  postgresql     # the ledger's PostgreSQL backend: tests start throwaway clusters with initdb/pg_ctl (crates/baomi-ledger/tests/support/pg.rs)
  libreoffice-writer-nogui # tests/redact.rs: LibreOffice opens each redacted copy (soffice --convert-to txt) and its text is compared with the original's
  openssl        # tests/ledger_cli.rs: ledger key files must be readable by `openssl pkey` (and vice versa)
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi
# crates/baomi-wasm/tests/js.rs builds the WebAssembly module. rustup
# fetches the target's standard library from static.rust-lang.org (reachable
# from the machines seen here); where it cannot, the test fails under CI
# (CI set) and is skipped with a message elsewhere.
if command -v rustup >/dev/null && ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
  rustup target add wasm32-unknown-unknown || echo "warning: cannot add the wasm32-unknown-unknown target; crates/baomi-wasm/tests/js.rs will fail under CI" >&2
fi
# The browser tests' driver: playwright-core at the version locked in
# tests/browser/package-lock.json (no browser download; Debian's chromium).
# node and npm come with the machine (not from apt, whose npm would replace
# that node).
browser_dir="$(dirname "$0")/../tests/browser"
if [ ! -d "$browser_dir/node_modules/playwright-core" ]; then
  (cd "$browser_dir" && npm ci --no-audit --no-fund --loglevel=error)
fi

#!/usr/bin/env bash
# System packages the test suite needs. Idempotent: installs only what is
# missing. Add a package here (one per line, with the reason) when a test
# needs it.
set -euo pipefail
packages=(
  poppler-utils  # pdftotext/pdfinfo: baomi-extract reads PDF text layers through them
  poppler-data   # CJK CMaps (GBK-EUC-H, UniGB-UCS2-H, Adobe-GB1) for Chinese PDFs without embedded fonts
)
missing=()
for p in "${packages[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

#!/usr/bin/env bash
# System packages the test suite needs (idempotent; skipped when present).
set -euo pipefail
need=()
for p in "$@"; do :; done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}"
fi

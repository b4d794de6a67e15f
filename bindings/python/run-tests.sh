#!/usr/bin/env bash
# Builds the baomi wheel (abi3, CPython >= 3.9) with maturin in a fresh
# virtual environment, installs it there and runs the pytest suite against
# it. Called by .ci/run; needs python3 with venv and PyPI for maturin and
# pytest. BAOMI_BIN: the baomi binary whose JSON the tests compare with
# (default target/debug/baomi, built if missing). The wheel is a debug
# build (faster to compile; the tests do not time anything);
# BAOMI_PY_RELEASE=1 builds the optimised one, as `pip install .` does.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/../.." && pwd)"
venv="$root/target/python-venv"
python3 -m venv "$venv"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check maturin==1.15.0 pytest==9.2.0
rm -rf "$root/target/wheels"
profile=()
[ "${BAOMI_PY_RELEASE:-}" = 1 ] && profile=(--release)
"$venv/bin/maturin" build --quiet "${profile[@]}" --manifest-path "$here/Cargo.toml" \
  --target-dir "$root/target/python" --out "$root/target/wheels"
"$venv/bin/python" -m pip install --quiet --disable-pip-version-check --force-reinstall \
  "$root"/target/wheels/baomi-*.whl
export BAOMI_BIN="${BAOMI_BIN:-$root/target/debug/baomi}"
[ -x "$BAOMI_BIN" ] || cargo build --quiet --manifest-path "$root/Cargo.toml" --bin baomi
cd "$here/tests" && "$venv/bin/python" -m pytest -q -p no:cacheprovider "$here/tests"

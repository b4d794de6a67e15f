#!/usr/bin/env bash
# Builds baomi_wasm.wasm (the core scanner with the shipped rules) and puts
# it beside baomi.mjs, where the example page and the tests load it.
# Needs the wasm32-unknown-unknown target (rustup target add wasm32-unknown-unknown).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$here/../.."
cargo build --manifest-path "$root/Cargo.toml" -p baomi-wasm --target wasm32-unknown-unknown \
  --profile wasm --target-dir "$root/target/wasm" --quiet
cp "$root/target/wasm/wasm32-unknown-unknown/wasm/baomi_wasm.wasm" "$here/baomi_wasm.wasm"
echo "$here/baomi_wasm.wasm"

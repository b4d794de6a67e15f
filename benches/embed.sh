#!/usr/bin/env bash
# The embedding figures of benches/README.md: .wasm size, and scan
# throughput on one large text (default: the benchmark corpus) through the
# CLI, the Python package, and the WebAssembly module under Node and in
# headless Chromium. Best of 3 each; prints one line per figure.
#
#   benches/embed.sh [TEXT]      (BAOMI_BIN: the baomi binary, default target/release/baomi)
#
# Needs: a release baomi, python3, node, chromium, tests/browser/node_modules
# (bash .ci/install-deps.sh). Builds the wasm module and a release wheel.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
text="${1:-$root/../shared/bench/corpus-all.txt}"
[ -f "$text" ] || text=/work/shared/bench/corpus-all.txt
bin="${BAOMI_BIN:-$root/target/release/baomi}"
bytes=$(stat -c %s "$text")
echo "text: $text ($bytes bytes); load: $(cut -d' ' -f1-3 /proc/loadavg)"

wasm="$(bash "$root/bindings/wasm/build.sh")"
echo "wasm: $(stat -c %s "$wasm") bytes, $(gzip -9c "$wasm" | wc -c) gzipped"

best=""
for _ in 1 2 3; do
  s=$( { /usr/bin/time -f %e "$bin" scan --format summary "$text" >/dev/null; } 2>&1 | tail -1)
  best=$(python3 -c "print(min(float('$s'), float('${best:-1e9}')))")
done
echo "cli (whole process, all cores): $best s, $(python3 -c "print(round($bytes/$best/1e6,1))") MB/s"

venv="$root/target/python-venv"
BAOMI_PY_RELEASE=1 BAOMI_BIN="$bin" bash "$root/bindings/python/run-tests.sh" >/dev/null
"$venv/bin/python" - "$text" <<'PY'
import sys, time, baomi
path = sys.argv[1]
text = open(path, encoding="utf-8").read()
n = len(text.encode())
s = baomi.Scanner()
def best(f):
    t = []
    for _ in range(3):
        t0 = time.perf_counter(); f(); t.append(time.perf_counter() - t0)
    return min(t)
a = best(lambda: s.scan(text))
b = best(lambda: baomi.review_file(path))
print(f"python Scanner.scan(str): {a:.3f} s, {n/a/1e6:.1f} MB/s")
print(f"python review_file(path): {b:.3f} s, {n/b/1e6:.1f} MB/s")
PY
node -e "
const r = JSON.parse(require('child_process').execFileSync('node', ['$root/bindings/wasm/test/node.mjs'], {env: {...process.env, BAOMI_BENCH_CORPUS: '$text'}}));
console.log('wasm under node ' + process.version + ': ' + r.bestSeconds.toFixed(3) + ' s, ' + r.mbPerS.toFixed(1) + ' MB/s (scanner built in ' + r.buildMs.toFixed(0) + ' ms)');
"
echo '[]' > /tmp/baomi-embed-cases.json
BAOMI_BENCH_CORPUS="$text" node "$root/tests/browser/wasm_page.mjs" /tmp/baomi-embed-cases.json | node -e "
let s=''; process.stdin.on('data', d => s += d).on('end', () => { const r = JSON.parse(s).bench;
console.log('wasm in chromium: ' + r.bestSeconds.toFixed(3) + ' s, ' + r.mbPerS.toFixed(1) + ' MB/s'); });"
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)"

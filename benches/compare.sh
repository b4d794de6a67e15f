#!/usr/bin/env bash
# Compares baomi's whole-process throughput with ripgrep, GNU grep and a peer
# Aho-Corasick library (daachorse) on the shared benchmark corpus, with a
# keyword list loaded as one extra keyword rule on top of the shipped rules.
#
#   benches/compare.sh [KEYWORDS] [TEXT]
#
# Defaults: ../shared/bench/keywords-10k.txt and ../shared/bench/corpus-all.txt.
# Needs: ripgrep (apt-get install ripgrep), python3 (to write the rule file).
# Each figure is the median wall time of 5 runs, page cache warm. baomi runs
# with normalisation, noise tolerance, validators and all shipped rules on,
# and computes every finding in full (location, context); `--format summary`
# only keeps it from printing 130k lines, as `rg -c` does. baomi is measured
# twice: building the scanner at start, and loading it as `baomi rules
# compile` saved it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
kw="${1:-$root/../shared/bench/keywords-10k.txt}"
text="${2:-$root/../shared/bench/corpus-all.txt}"
for f in "$kw" "$text"; do
  [ -r "$f" ] || { echo "compare.sh: cannot read $f" >&2; exit 2; }
done
command -v rg >/dev/null || { echo "compare.sh: ripgrep not found; apt-get install ripgrep" >&2; exit 2; }

cd "$root"
cargo build --release --quiet -p baomi
cargo build --release --quiet -p baomi-core --example peer_daachorse
target="${CARGO_TARGET_DIR:-$root/target}"
baomi="$target/release/baomi"
peer="$target/release/examples/peer_daachorse"

rules="$(mktemp -d)"
trap 'rm -rf "$rules"' EXIT
cp "$root"/rules/*.toml "$rules"/
python3 - "$kw" "$rules/zz-keywords.toml" <<'PY'
import json, sys
words = [l.strip() for l in open(sys.argv[1], encoding="utf-8") if l.strip()]
with open(sys.argv[2], "w", encoding="utf-8") as f:
    f.write('[[rule]]\nid = "bench.keywords"\ntitle = "benchmark keywords"\n')
    f.write('category = "internal"\nseverity = "note"\nbasis = "benchmark"\n')
    f.write("keywords = [%s]\n" % ",".join(json.dumps(w, ensure_ascii=False) for w in words))
    f.write("tests.hit = [%s]\ntests.miss = [\"。\"]\n" % json.dumps(words[0], ensure_ascii=False))
PY

# The same rules saved by `baomi rules compile`, as an office with a large
# list runs them: the automaton is loaded instead of built.
compiled="$rules/compiled"
mkdir "$compiled" && cp "$rules"/*.toml "$compiled"/
"$baomi" rules compile --rules "$compiled" >/dev/null

bytes=$(stat -c %s "$text")
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
measure() { # name, command...
  local name="$1"; shift
  "$@" >/dev/null 2>&1 || true   # warm the page cache
  local out
  out=$(for _ in 1 2 3 4 5; do
    local t0 t1
    t0=$(date +%s.%N); "$@" >/tmp/compare.out 2>/dev/null || true; t1=$(date +%s.%N)
    echo "$t1 - $t0" | bc -l
  done | median)
  local result; result=$(head -c 200 /tmp/compare.out | tr '\n' ' ')
  printf '%-34s %8.3f s %9.1f MB/s   %s\n' "$name" "$out" "$(echo "$bytes / $out / 1000000" | bc -l)" "$result" >&2
  echo "$out"
}

echo "text: $text ($bytes bytes); keywords: $kw ($(wc -l <"$kw") lines); $(nproc) cores" >&2
t_baomi=$(measure "baomi scan (all rules + keywords)" "$baomi" scan --rules "$rules" --format summary "$text")
t_compiled=$(measure "baomi scan (same, rules compiled)" "$baomi" scan --rules "$compiled" --format summary "$text")
t_rg=$(measure "rg -c -F -f" rg -c -F -f "$kw" "$text")
t_grep=$(measure "LC_ALL=C grep -c -F -f" env LC_ALL=C grep -c -F -f "$kw" "$text")
t_peer=$(measure "daachorse charwise (count only)" "$peer" "$kw" "$text")
printf 'ratio baomi/grep: %.2f\n' "$(echo "$t_grep / $t_baomi" | bc -l)"
printf 'ratio baomi/daachorse: %.2f\n' "$(echo "$t_peer / $t_baomi" | bc -l)"
printf 'ratio baomi/ripgrep: %.2f\n' "$(echo "$t_rg / $t_baomi" | bc -l)"
printf 'ratio baomi (rules compiled)/ripgrep: %.2f\n' "$(echo "$t_rg / $t_compiled" | bc -l)"

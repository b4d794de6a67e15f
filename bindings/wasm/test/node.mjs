// Under Node: loads baomi_wasm.wasm through baomi.mjs, reviews each case of
// the JSON file given as argument ([{name, text}]) and prints the JSON
// reports as a JSON array of strings (crates/baomi-wasm/tests/js.rs compares
// them with the native scanner's). With BAOMI_BENCH_CORPUS=FILE it prints
// the scan time of that file instead.
import { readFileSync } from 'node:fs';
import { init, Scanner } from '../baomi.mjs';

await init(readFileSync(new URL('../baomi_wasm.wasm', import.meta.url)));
const t0 = performance.now();
const scanner = new Scanner();
const buildMs = performance.now() - t0;
if (process.env.BAOMI_BENCH_CORPUS) {
  const text = readFileSync(process.env.BAOMI_BENCH_CORPUS, 'utf8');
  const times = [];
  let report;
  for (let i = 0; i < 3; i++) {
    const t = performance.now();
    report = scanner.scan(text, 'corpus.txt');
    times.push(performance.now() - t);
  }
  const best = Math.min(...times) / 1000;
  const bytes = Buffer.byteLength(text);
  console.log(JSON.stringify({ buildMs, bestSeconds: best, mbPerS: bytes / best / 1e6, bytes,
    findings: report.documents[0].findings.length, verdict: report.documents[0].verdict }));
} else {
  const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
  const out = cases.map((c) => scanner.scanJson(c.text, c.name));
  // Rules of one's own, and their errors.
  let rulesError = '';
  try { new Scanner('[[rule]]\nid = 3\n'); } catch (e) { rulesError = e.message; }
  scanner.free();
  let freedError = '';
  try { scanner.scan('x'); } catch (e) { freedError = e.message; }
  console.log(JSON.stringify({ reports: out, rulesError, freedError }));
}

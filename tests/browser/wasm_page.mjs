// The WebAssembly example page (bindings/wasm/example/index.html) in
// headless Chromium: types a draft into the <textarea> key by key, waits
// for the debounced check, and reads the verdict and findings shown; then
// reviews each case of the JSON file given as argument ([{name, text}]) in
// the page and returns the JSON reports (compared with the native scanner's
// by crates/baomi-wasm/tests/js.rs). The files are served from disk through
// request interception, no server. With BAOMI_BENCH_CORPUS=FILE it also
// times a scan of that file in the page.
//
// Environment: CHROMIUM (default /usr/bin/chromium). Prints one JSON object.

import { chromium } from 'playwright-core';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../bindings/wasm/', import.meta.url));
const cases = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const types = { '.html': 'text/html', '.mjs': 'text/javascript', '.wasm': 'application/wasm' };
const profile = mkdtempSync(join(tmpdir(), 'baomi-chromium-'));
const result = {};
const errors = [];
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  await context.route('http://baomi.test/**', (route) => {
    const path = normalize(new URL(route.request().url()).pathname).replace(/^\/+/, '');
    const ext = path.slice(path.lastIndexOf('.'));
    try {
      route.fulfill({ status: 200, contentType: types[ext] || 'application/octet-stream',
        body: readFileSync(join(root, path)) });
    } catch {
      route.fulfill({ status: 404, body: 'not found' });
    }
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30000);

  page.on('pageerror', (e) => errors.push(String(e)));
  await page.goto('http://baomi.test/example/index.html');
  await page.waitForSelector('body[data-ready="true"]');

  const draft = page.locator('#draft');
  await draft.pressSequentially('关于报送材料的通知\n本件机密★5年，联系人身份证号11010519491231002X', { delay: 5 });
  await page.waitForSelector('body[data-checked]');
  await page.waitForTimeout(600);
  result.typed = {
    checks: Number(await page.getAttribute('body', 'data-checked')),
    verdict: await page.locator('#verdict').innerText(),
    findings: await page.locator('#findings li').allInnerTexts(),
  };
  await draft.fill('依据《中华人民共和国保守国家秘密法》开展保密审查。');
  await page.waitForFunction((n) => Number(document.body.dataset.checked) > n, result.typed.checks);
  result.cleared = await page.locator('#verdict').innerText();

  result.reports = await page.evaluate((cs) => cs.map((c) => window.baomiScanner.scanJson(c.text, c.name)), cases);
  if (process.env.BAOMI_BENCH_CORPUS) {
    const text = readFileSync(process.env.BAOMI_BENCH_CORPUS, 'utf8');
    result.bench = await page.evaluate((t) => {
      const times = [];
      let n = 0;
      for (let i = 0; i < 3; i++) {
        const t0 = performance.now();
        n = window.baomiScanner.scan(t, 'corpus.txt').documents[0].findings.length;
        times.push(performance.now() - t0);
      }
      const best = Math.min(...times) / 1000;
      const bytes = new TextEncoder().encode(t).length;
      return { bestSeconds: best, mbPerS: bytes / best / 1e6, bytes, findings: n };
    }, text);
  }
  result.errors = errors;
  console.log(JSON.stringify(result));
} catch (e) {
  console.log(JSON.stringify({ failed: String(e.stack || e), ...result, errors }));
  process.exitCode = 1;
} finally {
  await context?.close();
  rmSync(profile, { recursive: true, force: true });
}

// Reviewers on their own PCs: each browser context is one reviewer's
// browser. Each enrols (an Ed25519 key made by WebCrypto, non-extractable,
// in IndexedDB), the administrator registers its code with the `baomi`
// command line, the reviewer logs in by signing a challenge and signs its
// own stage over the entry the server prepared. Then, optionally, the
// refusals: another key's signature, a replayed signature, a payload
// changed after signing, a forged Origin, an unregistered key, a revoked
// key; and reading with JavaScript disabled. Run by tests/web_lan.rs and
// tests/readme.rs.
//
// Environment: BAOMI_URL, BAOMI_SHA (the draft), BAOMI_BIN (the baomi
// binary), BAOMI_DIR (the office folder the command line runs in),
// BAOMI_REVIEWERS (JSON [{person, role, stage, conclusion}]),
// BAOMI_REFUSALS=1 for the refusals, CHROMIUM (default /usr/bin/chromium).
// Prints one JSON object; exits non-zero on any failure.

import { chromium } from 'playwright-core';
import { execFileSync } from 'node:child_process';

const url = process.env.BAOMI_URL;
const sha = process.env.BAOMI_SHA;
const bin = process.env.BAOMI_BIN;
const dir = process.env.BAOMI_DIR;
const reviewers = JSON.parse(process.env.BAOMI_REVIEWERS || '[]');
if (!url || !sha || !bin || !dir || !reviewers.length) {
  console.error('set BAOMI_URL, BAOMI_SHA, BAOMI_BIN, BAOMI_DIR and BAOMI_REVIEWERS');
  process.exit(2);
}
const baomi = (...args) => execFileSync(bin, args, { cwd: dir, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });

const result = { reviewers: [], refusals: {} };
let browser;

async function enrol(page, name) {
  await page.goto(`${url}/enrol`);
  await page.locator('#baomi-name').fill(name);
  await page.locator('#baomi-generate:not([disabled])').click();
  await page.waitForFunction(() => document.querySelector('#baomi-status')?.dataset.code);
  return page.locator('#baomi-status').evaluate((el) => ({ code: el.dataset.code, keyId: el.dataset.keyId, text: el.textContent }));
}

async function login(page) {
  await page.goto(`${url}/login`);
  await page.locator('#baomi-login-button:not([disabled])').click();
}

// The page's own calls, made from inside the page (same origin, its cookie).
async function inPage(page, fn, arg) {
  return page.evaluate(fn, arg);
}

// Prepares a decision for `stage` and returns the server's entry.
const prepareIn = (page, stage) => inPage(page, async ({ sha, stage }) => {
  const form = document.querySelector('form.decide');
  const csrf = form ? form.elements.csrf.value : (document.querySelector('[data-csrf]')?.dataset.csrf || '');
  const body = new URLSearchParams({ csrf, stage, conclusion: 'publish-after-changes', opinion: '同意', changes: '同部门意见', basis: '' });
  const r = await fetch(`/session/prepare/decide/${sha}`, {
    method: 'POST', headers: { 'X-Baomi-Csrf': csrf, 'Content-Type': 'application/x-www-form-urlencoded' }, body,
  });
  return { status: r.status, body: await r.json(), csrf };
}, { sha, stage });

// Signs `entry` with a key (`own`: this browser's, else a fresh one) and
// posts {id, payload, signature}, with `payload` replaced when given.
const signIn = (page, entry, csrf, opts) => inPage(page, async ({ entry, csrf, opts }) => {
  const enc = new TextEncoder();
  const u64 = (n) => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(n)); return b; };
  const cat = (...p) => { const o = new Uint8Array(p.reduce((n, x) => n + x.length, 0)); let a = 0; for (const x of p) { o.set(x, a); a += x.length; } return o; };
  const f = (b) => cat(u64(b.length), b);
  const unhex = (s) => new Uint8Array(s.match(/../g).map((h) => parseInt(h, 16)));
  const msg = cat(enc.encode('baomi-ledger-signed-v1\n'), u64(entry.seq), f(enc.encode(entry.kind)), f(enc.encode(entry.doc_sha256)),
    f(enc.encode(entry.recorded_at)), f(enc.encode(entry.payload)), unhex(entry.prev_hash));
  let key;
  if (opts.own) {
    key = await new Promise((res, rej) => {
      const r = indexedDB.open('baomi-keys', 1);
      r.onsuccess = () => { const q = r.result.transaction('keys').objectStore('keys').get('me'); q.onsuccess = () => res(q.result.privateKey); q.onerror = () => rej(q.error); };
      r.onerror = () => rej(r.error);
    });
  } else {
    key = (await crypto.subtle.generateKey({ name: 'Ed25519' }, false, ['sign'])).privateKey;
  }
  const sig = btoa(String.fromCharCode(...new Uint8Array(await crypto.subtle.sign({ name: 'Ed25519' }, key, msg))));
  const body = JSON.stringify({ id: entry.id, payload: opts.payload ?? entry.payload, signature: sig });
  if (opts.dryRun) return { sent: body };
  const r = await fetch('/session/sign', { method: 'POST', headers: { 'X-Baomi-Csrf': csrf, 'Content-Type': 'application/json' }, body });
  return { status: r.status, body: await r.json(), sent: body };
}, { entry, csrf, opts });

// With a valid session and a stage this reviewer may sign: another key's
// signature, a payload changed after signing, a forged Origin, and the
// first reviewer's accepted signature sent again. None may be written.
let signBody = null;
async function refusalsBeforeSigning(context, page, stage, firstContext) {
  const ref = result.refusals;
  let p = await prepareIn(page, stage);
  if (p.status !== 200) throw new Error(`prepare refused: ${JSON.stringify(p)}`);
  const other = await signIn(page, p.body, p.csrf, { own: false });
  ref.otherKey = { status: other.status, error: other.body.error };
  p = await prepareIn(page, stage);
  const changed = JSON.stringify({ ...JSON.parse(p.body.payload), opinion: '已被篡改' });
  const ch = await signIn(page, p.body, p.csrf, { own: true, payload: changed });
  ref.changedPayload = { status: ch.status, error: ch.body.error };
  p = await prepareIn(page, stage);
  const signed = await signIn(page, p.body, p.csrf, { own: true, dryRun: true });
  const forged = await context.request.post(`${url}/session/sign`, {
    headers: { Origin: 'http://evil.example', 'X-Baomi-Csrf': p.csrf, 'Content-Type': 'application/json' },
    data: signed.sent,
  });
  ref.forgedOrigin = { status: forged.status(), error: (await forged.json()).error };
  // Reading with JavaScript disabled, on the first reviewer's session.
  const nojs = await browser.newContext({ javaScriptEnabled: false });
  await nojs.addCookies(await firstContext.cookies());
  const np = await nojs.newPage();
  await np.goto(`${url}/`);
  ref.noJsQueue = await np.locator('main').innerText();
  await np.goto(`${url}/documents/${sha}`);
  ref.noJsDocument = await np.locator('main').innerText();
  ref.noJsMarks = await np.locator('mark.hit').count();
  await np.goto(`${url}/documents/${sha}/form`);
  ref.noJsForm = await np.locator('body').innerText();
  // The decision form posted without the script: refused, nothing written.
  await np.goto(`${url}/documents/${sha}`);
  if (await np.locator('form.decide').count()) {
    await np.locator('form.decide input[name=conclusion][value=publish]').check();
    await np.locator('form.decide textarea[name=opinion]').fill('无脚本提交');
    await np.locator('form.decide button[type=submit]').click();
    await np.waitForLoadState();
    ref.noJsPost = await np.locator('main').innerText();
  }
  await nojs.close();
  ref.replayed = await page.evaluate(async ({ body, csrf }) => {
    const r = await fetch('/session/sign', { method: 'POST', headers: { 'X-Baomi-Csrf': csrf, 'Content-Type': 'application/json' }, body });
    return { status: r.status, error: (await r.json()).error };
  }, { body: signBody, csrf: p.csrf });
}

try {
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  const contexts = [];
  for (const r of reviewers) {
    const context = await browser.newContext();
    const page = await context.newPage();
    page.setDefaultTimeout(30000);
    const seen = { person: r.person, stage: r.stage };
    const en = await enrol(page, r.person);
    seen.keyId = en.keyId;
    seen.code = en.code;
    // Not registered yet: the login is refused.
    await login(page);
    await page.waitForFunction(() => /未能登录/.test(document.querySelector('#baomi-status')?.textContent || ''));
    seen.loginBeforeRegistration = await page.locator('#baomi-status').innerText();
    // The administrator registers the code.
    seen.registered = baomi('key', 'register', '--enrolment', en.code, '--person', r.person, '--role', r.role);
    await login(page);
    await page.waitForURL(`${url}/`);
    seen.header = await page.locator('header .me').innerText();
    await page.goto(`${url}/documents/${sha}`);
    if (process.env.BAOMI_REFUSALS === '1' && contexts.length === 1) {
      await refusalsBeforeSigning(context, page, r.stage, contexts[0].context);
      await page.goto(`${url}/documents/${sha}`);
    }
    if (r.waive) {
      // A waiver, signed the same way: the first finding's waive form.
      const wf = page.locator('form.waive').first();
      await wf.locator('input[name=reason]').fill(r.waive);
      await wf.locator('button[type=submit]').click();
      const wc = page.locator('.baomi-confirm');
      seen.waiverShown = await wc.locator('dl').innerText();
      await Promise.all([
        page.waitForURL(`**/documents/${sha}?done=waived`),
        wc.locator('button.baomi-sign').click(),
      ]);
      seen.waived = await page.locator('article.finding.waived').count();
    }
    const form = page.locator('form.decide');
    await form.locator('select[name=stage]').selectOption(r.stage);
    await form.locator(`input[name=conclusion][value=${r.conclusion}]`).check();
    await form.locator('textarea[name=opinion]').fill(r.opinion || '同意');
    if (r.changes) await form.locator('textarea[name=changes]').fill(r.changes);
    if (r.basis) await form.locator('textarea[name=basis]').fill(r.basis);
    page.on('request', (q) => { if (q.url().endsWith('/session/sign') && !signBody) signBody = q.postData(); });
    await form.locator('button[type=submit]').click();
    const confirm = page.locator('.baomi-confirm');
    seen.shown = await confirm.locator('dl').innerText();
    seen.signedPayload = await confirm.locator('pre').textContent();
    await Promise.all([
      page.waitForURL(`**/documents/${sha}?done=decided`),
      confirm.locator('button.baomi-sign').click(),
    ]);
    seen.notice = await page.locator('p.notice').innerText();
    result.reviewers.push(seen);
    contexts.push({ context, page, seen });
  }

  if (process.env.BAOMI_REFUSALS === '1') {
    const { context, page, seen } = contexts[0];
    const ref = result.refusals;
    // 5. An unregistered key: enrolled, never registered.
    const stranger = await browser.newContext();
    const sp = await stranger.newPage();
    await enrol(sp, '陌生人');
    await login(sp);
    await sp.waitForFunction(() => /未能登录/.test(document.querySelector('#baomi-status')?.textContent || ''));
    ref.unregisteredLogin = await sp.locator('#baomi-status').innerText();
    const sr = await sp.evaluate(async (sha) => {
      const r = await fetch(`/session/prepare/decide/${sha}`, { method: 'POST', headers: { 'X-Baomi-Csrf': document.querySelector('#baomi-login').dataset.csrf, 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'stage=secrecy-committee&conclusion=publish&opinion=x' });
      return { status: r.status, error: (await r.json()).error };
    }, sha);
    ref.unregisteredPrepare = sr;
    const sq = await sp.goto(`${url}/documents/${sha}`);
    ref.unregisteredReadsLogin = sp.url().includes('/login');
    void sq;
    // 7. A revoked key: the administrator revokes the first reviewer's.
    ref.revoked = baomi('key', 'revoke', seen.keyId, '--reason', '电脑丢失');
    await page.goto(`${url}/documents/${sha}`);
    ref.revokedReadsLogin = page.url().includes('/login');
    const rv = await prepareIn(page, reviewers[0].stage);
    ref.revokedPrepare = { status: rv.status, error: rv.body.error };
    await login(page);
    await page.waitForFunction(() => /未能登录/.test(document.querySelector('#baomi-status')?.textContent || ''));
    ref.revokedLogin = await page.locator('#baomi-status').innerText();
  }
  console.log(JSON.stringify(result));
} catch (e) {
  console.log(JSON.stringify({ ...result, error: String((e && e.stack) || e) }));
  process.exitCode = 1;
} finally {
  if (browser) await browser.close();
}

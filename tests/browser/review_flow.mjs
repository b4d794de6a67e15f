// Drives headless Chromium through the baomi reviewer UI, as a secrecy
// officer would: queue → flagged draft → findings in context → decision →
// printable review form. Run by tests/web_ui.rs, which starts `baomi serve`
// and checks the ledger afterwards.
//
// Environment: BAOMI_URL (http://127.0.0.1:PORT), BAOMI_SHA (the hostile
// draft), BAOMI_DOCX_SHA (the draft with a tracked deletion and a comment),
// OUT_DIR (screenshots), CHROMIUM (default /usr/bin/chromium).
// Prints one JSON object with what was seen; exits non-zero on any failure.

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.BAOMI_URL;
const sha = process.env.BAOMI_SHA;
const docxSha = process.env.BAOMI_DOCX_SHA;
const out = process.env.OUT_DIR;
if (!url || !sha || !docxSha || !out) {
  console.error('set BAOMI_URL, BAOMI_SHA, BAOMI_DOCX_SHA and OUT_DIR');
  process.exit(2);
}

function check(cond, what) {
  if (!cond) throw new Error(`check failed: ${what}`);
}

const profile = mkdtempSync(join(tmpdir(), 'baomi-chromium-'));
const result = { dialogs: [], consoleErrors: [] };
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport: { width: 1200, height: 900 },
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30000);
  // A script from the draft that ran would most likely show itself here.
  page.on('dialog', async (d) => { result.dialogs.push(d.message()); await d.dismiss(); });
  page.on('console', (m) => { if (m.type() === 'error') result.consoleErrors.push(m.text()); });

  // 1. The queue.
  await page.goto(`${url}/`);
  result.queueTitle = await page.locator('h1').innerText();
  result.queueRows = await page.locator('table.queue tbody tr').count();
  check(result.queueRows >= 3, `queue lists the scanned drafts (${result.queueRows})`);

  // 2. Open the flagged draft from the queue.
  await page.locator(`a[href="/documents/${sha}"]`).first().click();
  await page.waitForURL(`**/documents/${sha}`);
  result.documentTitle = await page.title();
  const marks = await page.locator('mark.hit').allInnerTexts();
  result.marks = marks;
  check(marks.includes('11010519491231002X'), 'the ID number is highlighted in context');
  // The draft's markup is text, not markup; its script did not run.
  result.pwned = await page.evaluate(() => window.__pwned ?? null);
  result.scriptElements = await page.locator('script').count();
  result.imgElements = await page.locator('img').count();
  result.titleAfterLoad = await page.evaluate(() => document.title);
  const contextText = await page.locator('p.context').allInnerTexts();
  result.scriptShownAsText = contextText.some((t) => t.includes("<script>document.title='pwned'"));
  result.controlsShown = contextText.some((t) => t.includes('⟨U+001B⟩') || t.includes('⟨U+202E⟩'));
  check(result.pwned === null && result.scriptElements === 0 && result.imgElements === 0, 'no script ran, no element injected');
  await page.screenshot({ path: join(out, 'document.png'), fullPage: true });

  // 3. Out of order first: refused with the reason, nothing recorded.
  await page.locator('form.decide select[name=stage]').selectOption('work-department');
  await page.locator('form.decide input[name=conclusion][value=withhold]').check();
  await page.locator('form.decide textarea[name=opinion]').fill('越级审查');
  await page.locator('form.decide textarea[name=basis]').fill('无');
  await Promise.all([page.waitForURL(`**/documents/${sha}/decide`), page.locator('form.decide button[type=submit]').click()]);
  result.refusal = await page.locator('p.notice.refused').innerText();
  check(result.refusal.includes('stages happen in order'), 'out-of-order decision refused with the reason');

  // 4. Sign a decision with the form.
  await page.locator('form.decide select[name=stage]').selectOption('department');
  await page.locator('form.decide input[name=conclusion][value=withhold]').check();
  await page.locator('form.decide textarea[name=opinion]').fill('含居民身份证号码，不予公开');
  await page.locator('form.decide textarea[name=basis]').fill('《中华人民共和国个人信息保护法》第二十八条');
  await Promise.all([page.waitForURL(`**/documents/${sha}?done=decided`), page.locator('form.decide button[type=submit]').click()]);
  result.notice = await page.locator('p.notice').innerText();
  result.decisionRows = await page.locator('table.decisions tbody tr').allInnerTexts();

  // 5. Hidden parts stand out: tracked deletion and comment.
  await page.goto(`${url}/documents/${docxSha}`);
  result.hiddenSections = await page.locator('section.hidden-part h3').allInnerTexts();
  result.hiddenWarnings = await page.locator('section.hidden-part .hidden-warning').count();
  result.hiddenBorder = await page.locator('section.hidden-part').first().evaluate((e) => getComputedStyle(e).borderLeftColor);
  await page.screenshot({ path: join(out, 'hidden-parts.png'), fullPage: true });

  // 6. The printable review form, on A4.
  await page.goto(`${url}/documents/${sha}/form`);
  result.formText = await page.locator('body').innerText();
  await page.emulateMedia({ media: 'print' });
  await page.screenshot({ path: join(out, 'form.png'), fullPage: true });
  const pdf = await page.pdf({ preferCSSPageSize: true, printBackground: false });
  writeFileSync(join(out, 'form.pdf'), pdf);
  result.formPdfPages = (pdf.toString('latin1').match(/\/Type\s*\/Page[^s]/g) || []).length;
  result.printHidesNav = await page.locator('.no-print').first().evaluate((e) => getComputedStyle(e).display);

  console.log(JSON.stringify(result));
} catch (e) {
  console.log(JSON.stringify({ ...result, error: String(e && e.stack || e) }));
  process.exitCode = 1;
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}

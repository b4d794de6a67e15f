// One stage of the review in the web UI, as the README's walk-through has
// it: the reviewer opens the draft's page, reads each finding in its
// sentence, signs the stage `withhold` with the form, and opens the
// printable review form. Run by tests/readme.rs.
//
// Environment: BAOMI_URL, BAOMI_SHA (the draft), BAOMI_STAGE (the stage
// id), CHROMIUM (default /usr/bin/chromium). Prints one JSON object with
// what was seen; exits non-zero on any failure.

import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const url = process.env.BAOMI_URL;
const sha = process.env.BAOMI_SHA;
const stage = process.env.BAOMI_STAGE;
if (!url || !sha || !stage) {
  console.error('set BAOMI_URL, BAOMI_SHA and BAOMI_STAGE');
  process.exit(2);
}

const profile = mkdtempSync(join(tmpdir(), 'baomi-chromium-'));
const result = {};
let context;
try {
  context = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    args: [
      '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
    ],
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(30000);

  await page.goto(`${url}/documents/${sha}`);
  result.marks = await page.locator('mark.hit').allInnerTexts();
  // Masked previews only would mean the draft's bytes were not at hand.
  result.maskedOnly = result.marks.length === 0;
  result.location = await page.locator('.location').first().innerText();

  await page.locator('form.decide select[name=stage]').selectOption(stage);
  await page.locator('form.decide input[name=conclusion][value=withhold]').check();
  await page.locator('form.decide textarea[name=opinion]').fill('含密级标志和内部资料，不予公开');
  await page.locator('form.decide textarea[name=basis]').fill('《中华人民共和国保守国家秘密法》第二条');
  await Promise.all([
    page.waitForURL(`**/documents/${sha}?done=decided`),
    page.locator('form.decide button[type=submit]').click(),
  ]);
  result.notice = await page.locator('p.notice').innerText();

  await page.goto(`${url}/documents/${sha}/form`);
  result.formText = await page.locator('body').innerText();
  // The newest date on the form: the signature just made.
  const dates = result.formText.match(/\d{4}年\d{1,2}月\d{1,2}日|\d{4}-\d{2}-\d{2}/g) || [];
  result.formDate = dates.length ? dates[dates.length - 1] : '';
  console.log(JSON.stringify(result));
} catch (e) {
  console.log(JSON.stringify({ ...result, error: String((e && e.stack) || e) }));
  process.exitCode = 1;
} finally {
  if (context) await context.close();
  rmSync(profile, { recursive: true, force: true });
}

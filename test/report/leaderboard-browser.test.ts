import { test } from 'node:test';
import type { TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium } from 'playwright-core';
import { buildLeaderboard } from '../../src/report/leaderboard.js';
import { renderHtml } from '../../src/report/leaderboard-html.js';
import { loadReferenceSet } from '../../src/report/reference.js';
import { repoRoot } from '../helpers/data.js';
import { load } from './fixtures.js';

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/** Debian's chromium; under CI=true its absence fails the test, elsewhere it skips with a message. */
function browserPath(t: TestContext): string | undefined {
  if (existsSync(CHROMIUM)) return CHROMIUM;
  const msg = `chromium not found at ${CHROMIUM}: apt-get install -y chromium (or set CHROMIUM_PATH)`;
  if (process.env.CI === 'true') throw new Error(msg);
  t.skip(msg);
  return undefined;
}

test('the HTML leaderboard renders in a real browser, without console errors, and sorts on header click', async (t) => {
  const exe = browserPath(t);
  if (!exe) return;
  const lb = buildLeaderboard([load('base.json'), load('borep.json'), load('fast.json')], ['gensen', 'baselines'].map(loadReferenceSet), { baseline: 'base' });
  const html = renderHtml(lb);
  const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  try {
    const page = await browser.newPage({ viewport: { width: 1400, height: 1100 } });
    const problems: string[] = [];
    page.on('console', (m) => {
      if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
    });
    page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
    // Nothing may be fetched: any request beyond the page itself is a failure.
    page.on('request', (r) => {
      if (!r.url().startsWith('data:') && r.url() !== 'about:blank') problems.push(`request: ${r.url()}`);
    });
    await page.setContent(html, { waitUntil: 'load' });

    assert.equal(await page.locator('#leaderboard tbody tr').count(), 8);
    assert.ok((await page.locator('svg circle').count()) > 30);
    const firstCol = async () => page.locator('#leaderboard tbody tr td.model summary').allTextContents();
    const trec = page.locator('#leaderboard thead th', { hasText: /^TREC$/ });

    await trec.click();
    assert.equal(await trec.getAttribute('aria-sort'), 'descending');
    // TREC descending: InferSent fastText 90.8, SkipThought 88.4, InferSent GloVe 88.2, fastText 83.4, borep 80.2, base/fast 71.0; GenSen has none (last).
    const desc = await firstCol();
    assert.deepEqual(desc.slice(0, 5), ['InferSent fastText (published)', 'SkipThought-LN (published)', 'InferSent GloVe (published)', 'fastText BoV (published)', 'borep (borep)']);
    assert.equal(desc[desc.length - 1], 'GenSen +STN +Fr +De +NLI +L +STP +Par (published)');
    await trec.click();
    assert.equal(await trec.getAttribute('aria-sort'), 'ascending');
    const asc = await firstCol();
    assert.deepEqual(asc.slice(2, 4), ['borep (borep)', 'fastText BoV (published)']);
    assert.equal(asc[asc.length - 1], 'GenSen +STN +Fr +De +NLI +L +STP +Par (published)');

    // Sort by model name, then expand a run's configuration.
    await page.locator('#leaderboard thead th', { hasText: /^Model$/ }).click();
    const borep = page.locator('#leaderboard tbody tr', { hasText: 'borep (borep)' });
    await borep.locator('summary').click();
    assert.ok(await borep.locator('details dl').isVisible());
    assert.match(await borep.locator('details dl').innerText(), /protocol\.kfold\s+10/);

    const out = join(repoRoot(), 'test-output');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'leaderboard.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

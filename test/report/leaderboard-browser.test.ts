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
    assert.deepEqual(desc.slice(0, 5), [
      'InferSent fastText (published)',
      'SkipThought-LN (published)',
      'InferSent GloVe (published)',
      'fastText BoV (published)',
      'borep (borep)',
    ]);
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
    // biome-ignore lint/performance/useDomNodeTextContent: the rendered text, with the line breaks between <dt> and <dd> that textContent lacks
    assert.match(await borep.locator('details dl').innerText(), /protocol\.kfold\s+10/);

    const out = join(repoRoot(), 'test-output');
    mkdirSync(out, { recursive: true });
    await page.screenshot({ path: join(out, 'leaderboard.png'), fullPage: true });
    assert.deepEqual(problems, []);
  } finally {
    await browser.close();
  }
});

test('the HTML leaderboard fits at 1,400 px, keeps ties visible and draws seed error bars (screenshots at 1,400 and 1,000 px)', async (t) => {
  const exe = browserPath(t);
  if (!exe) return;
  // base and fast tie on TREC (71.0); seeds has a ± spread on SST2 and SICK-R.
  const lb = buildLeaderboard([load('base.json'), load('borep.json'), load('fast.json'), load('seeds.json')], ['gensen', 'baselines'].map(loadReferenceSet), {
    baseline: 'base',
  });
  const html = renderHtml(lb);
  const browser = await chromium.launch({ executablePath: exe, args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'] });
  const out = join(repoRoot(), 'test-output');
  mkdirSync(out, { recursive: true });
  try {
    for (const width of [1400, 1000]) {
      const page = await browser.newPage({ viewport: { width, height: 1000 } });
      await page.setContent(html, { waitUntil: 'load' });
      const fit = await page.evaluate(() => {
        const wrap = document.getElementById('table-wrap')!;
        const last = document.querySelector('#leaderboard thead th:last-child')!.getBoundingClientRect();
        return { scroll: wrap.scrollWidth, client: wrap.clientWidth, lastRight: last.right, doc: document.documentElement.scrollWidth, win: window.innerWidth };
      });
      if (width === 1400) {
        // Every column, Common avg included, is on screen: no horizontal scrollbar.
        assert.ok(fit.scroll <= fit.client, `table ${fit.scroll}px wide in a ${fit.client}px box`);
        assert.ok(fit.lastRight <= width, `last header ends at ${fit.lastRight}px`);
      }
      // The page itself never scrolls sideways; the chart scales down with the window.
      assert.ok(fit.doc <= fit.win, `page ${fit.doc}px wide at ${fit.win}px`);
      const dots = await page.evaluate(() =>
        Array.from(document.querySelectorAll('#chart .dot')).map((el) => {
          const b = el.getBoundingClientRect();
          return { row: el.getAttribute('data-row')!, x: b.x + b.width / 2, y: b.y + b.height / 2, r: b.width / 2 };
        }),
      );
      assert.ok(dots.length > 40, `${dots.length} dots`);
      // No two dots sit on top of each other (ties are moved to another lane).
      for (let i = 0; i < dots.length; i++) {
        for (let j = i + 1; j < dots.length; j++) {
          const d = Math.hypot(dots[i]!.x - dots[j]!.x, dots[i]!.y - dots[j]!.y);
          assert.ok(
            d >= Math.min(dots[i]!.r, dots[j]!.r),
            `${dots[i]!.row} and ${dots[j]!.row} overlap at (${dots[i]!.x.toFixed(0)}, ${dots[i]!.y.toFixed(0)})`,
          );
        }
      }
      assert.equal(await page.locator('#chart .errbar').count(), 2);
      // One x scale per metric kind: two axis panels.
      assert.equal(await page.locator('#chart text', { hasText: /^Accuracy \/ F1 \(%\)$/ }).count(), 1);
      assert.equal(await page.locator('#chart text', { hasText: /^Correlation ×100$/ }).count(), 1);
      await page.screenshot({ path: join(out, `leaderboard-${width}.png`), fullPage: true });
      await page.close();
    }
  } finally {
    await browser.close();
  }
});

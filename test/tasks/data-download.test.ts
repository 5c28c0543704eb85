import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { TaskDefinition } from '../../src/tasks/definition.js';
import { downloadUpstream, formatDownloadSummary } from '../../src/tasks/get.js';
import { resolveTask } from '../../src/tasks/registry.js';
import { FIXTURES, FIXTURE_DATA } from './helpers.js';

/** Serves test/fixtures/tasks/download/ on localhost (no internet needed). */
async function serve(): Promise<{ server: Server; base: string }> {
  const server = createServer((req, res) => {
    const name = (req.url ?? '/').slice(1);
    readFile(join(FIXTURES, 'download', name)).then(
      (b) => res.end(b),
      () => {
        res.statusCode = 404;
        res.end();
      },
    );
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  return { server, base: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

/** The task with its download URLs moved to the local server (same file names). */
function local(def: TaskDefinition, base: string): TaskDefinition {
  return { ...def, download: def.download.map((d) => ({ ...d, url: `${base}/${d.url.split('/').pop()}` })) };
}

test('data get without --from: files fetched and edited as SentEval does, zips unpacked, manual steps explained', async (t) => {
  const { server, base } = await serve();
  const dst = await mkdtemp(join(tmpdir(), 'gensen-eval-dl-'));
  try {
    const lines: string[] = [];
    // Only TREC_10.label is served; train_5500.label answers 404 (checked below).
    const fullTrec = local(resolveTask('TREC'), base);
    const trec = { ...fullTrec, download: fullTrec.download.filter((d) => d.saveAs === 'TREC/TREC_10.label') };
    const defs = [trec, local(resolveTask('MR'), base)];
    const haveUnzip = spawnSync('unzip', ['-v']).status === 0;
    if (haveUnzip) defs.push(local(resolveTask('MultiNLI'), base));
    const r = await downloadUpstream(defs, dst, (l) => lines.push(l));

    assert.deepEqual(r.manual, ['MR']);
    assert.ok(lines.some((l) => l.startsWith('MR: manual step needed: Run SentEval data/downstream/get_transfer_data.bash')));
    assert.ok(r.fetched.includes('TREC/TREC_10.label'));
    const trecText = await readFile(join(dst, 'TREC/TREC_10.label'), 'latin1');
    assert.equal(trecText.split('\n')[1], 'HUM:ind Who wrote The Pit and the Pendulum ?');
    assert.equal(trecText.split('\n')[2], 'DESC:def What is Susan B. Anthonys birthday ?');
    if (haveUnzip) {
      for (const f of ['train', 'dev_matched', 'dev_mismatched']) {
        const rel = `MNLI/multinli_1.0_${f}.jsonl`;
        assert.deepEqual(await readFile(join(dst, rel)), await readFile(join(FIXTURE_DATA, rel)), rel);
      }
    } else {
      t.diagnostic('unzip not installed: zip unpacking not exercised');
    }
    // A file whose bytes differ from the reference checksum is fetched again (the fixture's
    // TREC_10 is not the real one); files without a reference checksum are kept once present.
    const again = await downloadUpstream(defs.slice(1).concat(trec), dst, () => undefined);
    assert.deepEqual(again.fetched, ['TREC/TREC_10.label']);
    if (haveUnzip) assert.ok(again.alreadyPresent.includes('MNLI/multinli_1.0_train.jsonl'));
    // A failed download is reported and the run carries on with the next ones (TREC_10 here).
    const isTrain = (d: (typeof fullTrec.download)[number]): boolean => d.saveAs === 'TREC/train_5500.label';
    const failing = { ...fullTrec, download: [...fullTrec.download.filter(isTrain), ...fullTrec.download.filter((d) => !isTrain(d))] };
    const mixed = await downloadUpstream([failing, local(resolveTask('MR'), base)], dst, () => undefined);
    assert.equal(mixed.failed.length, 1);
    assert.equal(mixed.failed[0]!.task, 'TREC');
    assert.match(mixed.failed[0]!.reason, new RegExp(`^download of ${base}/train_5500\\.label failed: HTTP 404; use 'gensen-eval data get --from <folder>'`));
    assert.deepEqual(mixed.fetched, ['TREC/TREC_10.label']);
    assert.deepEqual(mixed.manual, ['MR']);
    const table = formatDownloadSummary(mixed).split('\n');
    assert.match(table[0]!, /^task\s+downloaded\s+present\s+status$/);
    assert.match(table[1]!, /^TREC\s+1\s+0\s+FAILED \(1 download; see above\)$/);
    assert.match(table[2]!, /^MR\s+0\s+0\s+manual step needed/);
  } finally {
    server.close();
    await rm(dst, { recursive: true, force: true });
  }
});

test("the README names exactly the tasks that need SentEval's tokenising script, and the ones data get downloads", async () => {
  const { listTasks } = await import('../../src/tasks/registry.js');
  const { repoRoot } = await import('../helpers/data.js');
  const readme = (await readFile(join(repoRoot(), 'README.md'), 'utf8')).replace(/\s+/g, ' ');
  const script = listTasks()
    .filter((d) => d.download.some((x) => x.kind === 'manual' && /get_transfer_data\.bash/.test(x.note ?? '')))
    .map((d) => d.id)
    .sort();
  const direct = listTasks()
    .filter((d) => d.download.length > 0 && d.download.every((x) => x.kind !== 'manual'))
    .map((d) => d.id)
    .sort();
  const m = /\*\*([A-Za-z0-9, -]+?) need SentEval's own tokenising script\*\*/.exec(readme.replace(/ and /g, ', '));
  assert.ok(m, 'the README sentence on the tokenising script');
  assert.deepEqual(m[1]!.split(/,\s*/).sort(), script);
  for (const id of direct) assert.match(readme, new RegExp(`downloads what can be taken as published: .*\\b${id}\\b.*need SentEval's own tokenising script`));
});

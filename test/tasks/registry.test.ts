import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { definitionFiles } from '../../src/tasks/definition.js';
import { resolveDataDir, resolveDataDirWithSource } from '../../src/tasks/data-dir.js';
import { listTasks, loadDefinitions, resolveTask, resolveTasks, tasksDir } from '../../src/tasks/registry.js';
import { packageRoot } from '../../src/util/package-info.js';
import { referenceChecksums } from '../../src/tasks/verify.js';
import { UserError } from '../../src/util/errors.js';
import { REPO } from './helpers.js';

const IDS = [
  'MR',
  'CR',
  'SUBJ',
  'MPQA',
  'SST2',
  'TREC',
  'MRPC',
  'SICK-R',
  'SICK-E',
  'STS-B',
  'SNLI',
  'MultiNLI',
  'Quora',
  'SST5',
  'STS12',
  'STS13',
  'STS14',
  'STS15',
  'STS16',
  'STS-B-unsup',
  'SICK-R-unsup',
];
const STS_YEARS = ['STS12', 'STS13', 'STS14', 'STS15', 'STS16'];

test("the 21 task definitions load, validated, in table order (Table 2, then SentEval's SST5 and STS12-16, then SimCSE's STS-B and SICK-R without training)", () => {
  assert.deepEqual(
    listTasks().map((t) => t.id),
    IDS,
  );
  assert.equal(tasksDir(), join(REPO, 'tasks'));
  assert.equal(packageRoot(join(REPO, 'dist', 'src', 'tasks', 'registry.js')), REPO);
});

test('names resolve case-insensitively, aliases included', () => {
  const cases: [string, string][] = [
    ['mr', 'MR'],
    ['SICKRelatedness', 'SICK-R'],
    ['sickentailment', 'SICK-E'],
    ['STSBenchmark', 'STS-B'],
    ['sst', 'SST2'],
    ['MNLI', 'MultiNLI'],
    ['qqp', 'Quora'],
    ['sick-r', 'SICK-R'],
    [' trec ', 'TREC'],
    ['SST5', 'SST5'],
    ['sst-fine', 'SST5'],
    ['STS12', 'STS12'],
    ['sts-14', 'STS14'],
    ['STS2016', 'STS16'],
    ['STSBenchmark-unsup', 'STS-B-unsup'],
    ['sickrelatedness-unsup', 'SICK-R-unsup'],
  ];
  for (const [name, id] of cases) assert.equal(resolveTask(name).id, id, name);
});

test('an unknown task is a user error listing the known ids', () => {
  assert.throws(
    () => resolveTask('SST7'),
    (e: unknown) => e instanceof UserError && e.message === `unknown task "SST7" (did you mean SST2, SST5 or sts7?); known tasks: ${IDS.join(', ')}`,
  );
  assert.throws(() => resolveTasks('MR,nope'), /unknown task "nope"/);
  assert.throws(() => resolveTasks(' , '), /no task named/);
});

test('resolveTasks: comma lists, arrays, duplicates once, "all"', () => {
  assert.deepEqual(
    resolveTasks('MR,CR').map((t) => t.id),
    ['MR', 'CR'],
  );
  assert.deepEqual(
    resolveTasks(['sts-b', 'STSBenchmark,mr']).map((t) => t.id),
    ['STS-B', 'MR'],
  );
  assert.deepEqual(
    resolveTasks('all').map((t) => t.id),
    IDS,
  );
});

test('definitions carry the protocol facts of PROTOCOL.md', () => {
  const t = (id: string) => resolveTask(id);
  assert.deepEqual(
    IDS.map((id) => t(id).protocol),
    [
      'inner-kfold',
      'inner-kfold',
      'inner-kfold',
      'inner-kfold',
      'split',
      'kfold',
      'kfold',
      'relatedness',
      'split',
      'relatedness',
      'split',
      'split',
      'split',
      'split',
      ...STS_YEARS.map(() => 'unsupervised-sts'),
      'unsupervised-sts-splits',
      'unsupervised-sts-splits',
    ],
  );
  assert.deepEqual(
    IDS.map((id) => t(id).features),
    [
      'single',
      'single',
      'single',
      'single',
      'single',
      'single',
      'absdiff-prod',
      'absdiff-prod',
      'absdiff-prod',
      'absdiff-prod',
      'nli',
      'nli',
      'nli',
      'single',
      ...STS_YEARS.map(() => 'pair'),
      'pair',
      'pair',
    ],
  );
  assert.equal(t('SST5').nclasses, 5);
  assert.deepEqual(t('SST5').format, { reader: 'label-first' });
  for (const y of STS_YEARS) {
    assert.equal(t(y).mainMetric, 'spearman');
    assert.deepEqual(t(y).sortKey, ['lenA', 'lenB', 'y']);
    assert.ok(t(y).metrics.includes('pearson') && t(y).metrics.includes('spearman_wmean') && t(y).metrics.includes('spearman_pooled'));
  }
  // PROTOCOL.md section 2's datasets per year, in SentEval's order.
  assert.deepEqual(Object.keys(t('STS12').splits), ['MSRpar', 'MSRvid', 'SMTeuroparl', 'surprise.OnWN', 'surprise.SMTnews']);
  assert.deepEqual(Object.keys(t('STS13').splits), ['FNWN', 'headlines', 'OnWN']);
  assert.deepEqual(Object.keys(t('STS14').splits), ['deft-forum', 'deft-news', 'headlines', 'images', 'OnWN', 'tweet-news']);
  assert.deepEqual(Object.keys(t('STS15').splits), ['answers-forums', 'answers-students', 'belief', 'headlines', 'images']);
  assert.deepEqual(Object.keys(t('STS16').splits), ['answer-answer', 'headlines', 'plagiarism', 'postediting', 'question-question']);
  assert.deepEqual(
    IDS.filter((id) => t(id).encoderHints?.['gensen']?.['vocabCased'] === true),
    ['TREC'],
  );
  assert.deepEqual(t('SNLI').protocolOverrides, { noreg: true, maxEpoch: 15, epochSize: 1 });
  assert.deepEqual(t('SICK-E').labels, ['CONTRADICTION', 'NEUTRAL', 'ENTAILMENT']);
  assert.deepEqual(t('TREC').labels, ['ABBR', 'DESC', 'ENTY', 'HUM', 'LOC', 'NUM']);
  assert.deepEqual(t('SUBJ').splits.all, [
    { file: 'SUBJ/subj.objective', label: 1 },
    { file: 'SUBJ/subj.subjective', label: 0 },
  ]);
  assert.equal(t('MRPC').mainMetric, 'acc');
  assert.ok(t('MRPC').metrics.includes('f1'));
  assert.equal(t('STS-B').mainMetric, 'pearson');
  assert.ok(t('MultiNLI').metrics.includes('acc_mismatched'));
  // SimCSE's unsupervised STS-B and SICK-R read the supervised tasks' files, in file order.
  for (const [u, s] of [
    ['STS-B-unsup', 'STS-B'],
    ['SICK-R-unsup', 'SICK-R'],
  ] as const) {
    assert.deepEqual(t(u).splits, t(s).splits);
    assert.deepEqual(t(u).format, t(s).format);
    assert.deepEqual(t(u).sortKey, []);
    assert.equal(t(u).mainMetric, 'spearman');
  }
});

test('every file the reference folder holds for a task has a committed checksum', () => {
  const sums = referenceChecksums();
  for (const id of [...IDS.slice(0, 10), ...IDS.slice(13)]) {
    for (const f of definitionFiles(resolveTask(id))) assert.ok(sums.has(f), `${id}: ${f}`);
  }
  assert.ok(sums.has('QUORA/dev.txt') && sums.has('QUORA/test.txt'));
  assert.ok(![...sums.keys()].includes('SHA256SUMS'), 'no self-referential line');
});

test('a broken definition is a clear error naming the file', async () => {
  const dir = await mkdtemp(join(tmpdir(), 'gensen-eval-tasks-'));
  try {
    const good = JSON.parse(await readFile(join(REPO, 'tasks', 'MRPC.json'), 'utf8')) as Record<string, unknown>;
    const check = async (doc: unknown, pattern: RegExp, name = 'MRPC.json'): Promise<void> => {
      await writeFile(join(dir, name), typeof doc === 'string' ? doc : JSON.stringify(doc));
      assert.throws(
        () => loadDefinitions(dir),
        (e: unknown) => e instanceof UserError && pattern.test(e.message),
      );
      await rm(join(dir, name));
    };
    await check('{ "id": ', /MRPC\.json: not valid JSON/);
    await check({ ...good, protocol: 'loo' }, /MRPC\.json: invalid task definition: protocol must be one of/);
    await check({ ...good, labels: ['x'] }, /"labels" must name all 2 classes/);
    await check({ ...good, mainMetric: 'mcc' }, /mainMetric "mcc" is not a metric a kfold task produces \(devacc, acc, f1\)/);
    // Metrics come from the protocol: a task lists only optional ones, and only those its protocol has.
    await check({ ...good, metrics: ['devacc', 'acc', 'f1'] }, /"metrics" is not a task field: the protocol says what it produces/);
    await check({ ...good, extraMetrics: ['f1', 'mcc'] }, /extraMetrics: "mcc" is not an optional metric of a kfold task \(it has f1\)/);
    await check(
      {
        ...good,
        report: {
          columns: [
            { metric: 'acc', header: 'MRPC' },
            { metric: 'pearson', header: 'r', main: false },
          ],
          tolerance: 1,
        },
      },
      /report\.columns\[1\]\.metric "pearson" is not a metric a kfold task produces/,
    );
    await check(
      { ...good, protocolOverrides: { noreg: true } },
      /protocolOverrides: "noreg" is not a setting a kfold task can override \(maxEpoch, epochSize\)/,
    );
    await check({ ...good, splits: { train: '../etc/passwd', test: 'MRPC/x' } }, /must be a relative path inside the data folder/);
    await check({ ...good, color: 'red' }, /unknown field "color"/);
    await check({ ...good, format: { reader: 'csv' } }, /format\.reader must be one of/);
    await check(good, /file name must be MRPC\.json/, 'Other.json');
    const sts = JSON.parse(await readFile(join(REPO, 'tasks', 'STS13.json'), 'utf8')) as Record<string, unknown>;
    await check({ ...sts, id: 'MRPC', nclasses: 2 }, /an unsupervised-sts task has no classes/);
    await check({ ...sts, id: 'MRPC', features: 'absdiff-prod' }, /an unsupervised-sts task takes "features" "pair"/);
    await check(
      { ...sts, id: 'MRPC', format: { reader: 'tsv', header: false, columns: { a: 0, label: 1 }, label: { type: 'int' } } },
      /an unsupervised-sts task needs gold scores/,
    );
    await check({ ...good, format: { reader: 'sts-pairs' } }, /the "sts-pairs" reader gives gold scores, which a kfold task does not take/);
    await check({ ...sts, id: 'MRPC', splits: { test: { input: 'STS/a', gold: 'STS/b' } } }, /must be a dataset name/);
    await check({ ...sts, id: 'MRPC', splits: { FNWN: { input: 'STS/a' } } }, /splits\.FNWN\.gold must be a non-empty string/);
    await check({ ...good, features: 'pair' }, /a kfold task takes "features" "single" or "absdiff-prod" or "nli"/);
    await writeFile(join(dir, 'MRPC.json'), JSON.stringify(good));
    await writeFile(join(dir, 'Para.json'), JSON.stringify({ ...good, id: 'Para', aliases: ['mrpc'] }));
    assert.throws(() => loadDefinitions(dir), /name "mrpc" is already used by MRPC/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

test('data folder: --data-dir, then $SENTEVAL_DATA, then the config, then ./data', () => {
  // The config is passed explicitly ('' for none): the repository's own gensen-eval.config.json names ../shared.
  const dir = (flag: string | undefined, env: NodeJS.ProcessEnv, config?: string) => resolveDataDirWithSource(flag, env, config ?? '').dir;
  assert.equal(dir('/x/y', { SENTEVAL_DATA: '/z' }, '/c'), '/x/y');
  assert.equal(dir(undefined, { SENTEVAL_DATA: '/z' }, '/c'), '/z');
  assert.equal(dir(undefined, {}, '/c'), '/c');
  assert.equal(dir(undefined, {}), join(process.cwd(), 'data'));
  assert.equal(dir('', { SENTEVAL_DATA: '' }), join(process.cwd(), 'data'));
  assert.equal(resolveDataDir('/x/y', { SENTEVAL_DATA: '/z' }), '/x/y');
});

test('format readers are one table; encoderHints is optional and only its shape is the task validator’s concern', async () => {
  const { readerNames, findReader } = await import('../../src/tasks/readers.js');
  assert.deepEqual(readerNames().sort(), ['jsonl', 'label-first', 'labelled-lines', 'parallel-lines', 'quora', 'sts-pairs', 'trec', 'tsv']);
  for (const def of listTasks()) assert.ok(findReader(def.format.reader), `${def.id}: ${def.format.reader}`);
  assert.deepEqual(definitionFiles(resolveTask('SUBJ')), ['SUBJ/subj.objective', 'SUBJ/subj.subjective']);
  assert.deepEqual(definitionFiles(resolveTask('STS13')).slice(0, 2), ['STS/STS13-en-test/STS.input.FNWN.txt', 'STS/STS13-en-test/STS.gs.FNWN.txt']);
  const dir = await mkdtemp(join(tmpdir(), 'gensen-eval-hints-'));
  try {
    const good = JSON.parse(await readFile(join(REPO, 'tasks', 'MRPC.json'), 'utf8')) as Record<string, unknown>;
    assert.equal(good.encoderHints, undefined, 'MRPC needs no hints');
    const check = async (doc: Record<string, unknown>, pattern: RegExp | null): Promise<void> => {
      await writeFile(join(dir, 'MRPC.json'), JSON.stringify(doc));
      if (pattern)
        assert.throws(
          () => loadDefinitions(dir),
          (e: unknown) => e instanceof UserError && pattern.test(e.message),
        );
      else assert.equal(loadDefinitions(dir)[0]!.id, 'MRPC');
      await rm(join(dir, 'MRPC.json'));
    };
    await check({ ...good, encoderHints: { gensen: { pooling: 'max' }, 'my-encoder': { anything: 1 } } }, null);
    await check({ ...good, encoderHints: { gensen: 'max' } }, /MRPC\.json: invalid task definition: encoderHints\.gensen must be an object/);
    await check({ ...good, vocabCased: true }, /unknown field "vocabCased"/);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});

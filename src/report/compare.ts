/**
 * Paired comparison of two runs on the same test examples, from their prediction sidecars:
 * accuracy by McNemar's exact test (binomial on the discordant pairs), F1 and correlations by a
 * seeded paired bootstrap with a percentile interval. Differences are B − A in display points.
 */
import type { LoadedResults } from '../results/read.js';
import { readPredictions } from '../results/predictions.js';
import type { PredictionSet, TaskPredictions } from '../results/predictions.js';
import type { TaskResult } from '../results/schema.js';
import { UserError } from '../util/errors.js';
import { resolveTask } from '../tasks/registry.js';
import { canonicalTask, formatPoints, formatSigned, toDisplay } from './columns.js';
import { METRIC_KINDS, type MetricKind } from '../protocol/metrics.js';
import { accuracy, f1Positive, mcnemarExact, pairedBootstrap, pearson, rankPlan, spearmanPlanned, stratifiedPairedBootstrap } from '../stats/index.js';
import type { PairedMetric, StratifiedMetric } from '../stats/index.js';
import { combineSets, type ProtocolDefinition, type SetAggregate } from '../protocol/definition.js';
import { findProtocol } from '../protocol/registry.js';

export interface CompareOptions {
  readonly seed?: number;
  readonly resamples?: number;
  /** Significance level; the interval is the (1 − alpha) percentile interval. */
  readonly alpha?: number;
  /** Only these tasks (canonical or as written); default every task both runs have. */
  readonly tasks?: readonly string[];
}

/**
 * Bootstrap resamples are bounded: 10^4 (the default) already puts the percentile interval's
 * Monte Carlo error far below the reported digits; 10^6 takes minutes on a large test set, and more
 * would run for hours without a visible gain.
 */
export const MAX_RESAMPLES = 1_000_000;

export type CompareVerdict = 'better' | 'worse' | 'no significant difference';

export interface CompareRow {
  readonly task: string;
  /** e.g. `acc`, `f1`, `pearson`, `acc_mismatched`. */
  readonly metric: string;
  readonly split: string;
  readonly n: number;
  readonly method: string;
  /** Display points (percent; correlations ×100), recomputed from the predictions. */
  readonly a: number;
  readonly b: number;
  readonly difference: number;
  readonly ciLow: number;
  readonly ciHigh: number;
  /** The p-value that decides the verdict: McNemar's exact test (accuracy) or the bootstrap's. */
  readonly pValue: number;
  /** Two-sided paired-bootstrap p-value (every row; for accuracy rows beside McNemar's). */
  readonly bootstrapP: number;
  /** McNemar rows: discordant pairs [A right & B wrong, A wrong & B right]. */
  readonly discordant?: readonly [number, number];
  /** B relative to A. */
  readonly verdict: CompareVerdict;
}

export interface CompareReport {
  readonly fileA: string;
  readonly fileB: string;
  readonly seed: number;
  readonly resamples: number;
  readonly alpha: number;
  readonly rows: readonly CompareRow[];
  readonly notes: readonly string[];
}

function byTask(lr: LoadedResults): Map<string, [string, TaskResult]> {
  const m = new Map<string, [string, TaskResult]>();
  for (const [k, t] of Object.entries(lr.results.tasks)) m.set(canonicalTask(k), [k, t]);
  return m;
}

function sidecar(lr: LoadedResults, key: string, t: TaskResult): TaskPredictions {
  if (!t.predictionsFile) {
    throw new UserError(`${lr.path}: task ${key} has no prediction sidecar (predictionsFile); rerun evaluate with --save-predictions`);
  }
  let p: TaskPredictions;
  try {
    p = readPredictions(lr.path, t.predictionsFile);
  } catch (e) {
    if (e instanceof UserError && /cannot read/.test(e.message)) {
      throw new UserError(
        `${e.message}; it is named by ${lr.path} (task ${key}): rerun evaluate with --save-predictions, or keep the sidecar beside the results file`,
      );
    }
    throw e;
  }
  const where = `${lr.path} (task ${key}, ${t.predictionsFile})`;
  if (canonicalTask(p.task) !== canonicalTask(key)) throw new UserError(`${where}: the sidecar holds predictions for task ${p.task}, not ${key}`);
  checkClasses(where, key, p);
  crossCheck(where, t, p, typeof lr.results.protocol?.kfold === 'number' ? lr.results.protocol.kfold : 10);
  return p;
}

/** Class indices must be classes of the task (when the task is known to this gensen-eval). */
function checkClasses(where: string, key: string, p: TaskPredictions): void {
  if (p.kind !== 'class') return;
  let nclasses: number | undefined;
  try {
    nclasses = resolveTask(canonicalTask(key)).nclasses;
  } catch {
    nclasses = undefined;
  }
  const sets: [string, PredictionSet][] = [[p.split, p], ...Object.entries(p.extra ?? {})];
  for (const [split, s] of sets) {
    for (let i = 0; i < s.gold.length; i++) {
      for (const v of [s.gold[i], s.pred[i]]) {
        if (v < 0 || (nclasses !== undefined && v >= nclasses)) {
          throw new UserError(`${where}: example ${i} of ${split} has class ${v}; ${key} has classes 0..${(nclasses ?? 1) - 1}`);
        }
      }
    }
  }
}

// Results files keep each kind to its decimals (accuracies 2, in percent; correlations 4): a value
// recomputed from the sidecar agrees with the recorded one to half a unit of that, plus float noise.
const agreement = (kind: MetricKind): number => 0.5 * 10 ** -kind.decimals + 10 ** -(kind.decimals + 2);
const AGREE_PERCENT = agreement(METRIC_KINDS.percent);
const AGREE_CORRELATION = agreement(METRIC_KINDS.correlation);

/**
 * The sidecar must be the predictions the results file scored: its accuracy (or Pearson) must be
 * the recorded one, else a comparison would test other predictions than the reported numbers.
 */
function crossCheck(where: string, t: TaskResult, p: TaskPredictions, kfold: number): void {
  // Multi-seed files record means; the sidecar is the first seed's, scored in perSeed[0].
  const recorded = t.seeds && t.seeds.length > 1 ? t.perSeed?.[0] : t.metrics;
  if (!recorded) return;
  // Each prediction set is scored by the metric its protocol names for it: a test set by acc (or
  // acc_<name>), relatedness by pearson, an STS year's datasets by pearson_<dataset>.
  const protocol = findProtocol(t.protocol);
  if (!protocol) return;
  const sets: [string, PredictionSet][] = [[p.split, p], ...Object.entries(p.extra ?? {})];
  for (const [name, s] of sets) {
    const metric = protocol.setMetric(p.kind === 'class' ? 'acc' : 'pearson', name);
    const want = recorded[metric];
    if (want === undefined || s.gold.length === 0) continue;
    const got = p.kind === 'class' ? 100 * accuracy(s.gold, s.pred) : pearson(s.gold, s.pred);
    // The k-fold tasks (split 'all') report the mean of the folds' accuracies, not the pooled one:
    // with stratified fold sizes within 2 of N/k the two differ by at most 100·k/N points.
    const pooled = name === 'all' ? (100 * kfold) / s.gold.length + 2 * AGREE_PERCENT : 0;
    const tol = p.kind === 'class' ? AGREE_PERCENT + pooled : AGREE_CORRELATION;
    if (!(Math.abs(got - want) <= tol)) {
      throw new UserError(
        `${where}: the sidecar's predictions score ${metric} ${+got.toFixed(4)} but the results file records ${want}: they are not the predictions of this run; rerun evaluate with --save-predictions`,
      );
    }
  }
}

function checkSameExamples(task: string, split: string, a: PredictionSet, b: PredictionSet, fa: string, fb: string): void {
  if (a.gold.length !== b.gold.length) {
    throw new UserError(`${task} (${split}): ${fa} has ${a.gold.length} examples but ${fb} has ${b.gold.length}: not the same test set`);
  }
  for (let i = 0; i < a.gold.length; i++) {
    if (Math.abs(a.gold[i] - b.gold[i]) > 1e-9) {
      throw new UserError(
        `${task} (${split}): gold labels differ at example ${i} (${a.gold[i]} in ${fa}, ${b.gold[i]} in ${fb}): not the same examples in the same order`,
      );
    }
  }
}

function verdictFromCi(lo: number, hi: number): CompareVerdict {
  if (lo > 0) return 'better';
  if (hi < 0) return 'worse';
  return 'no significant difference';
}

function compareSet(
  task: string,
  split: string,
  name: (family: string) => string,
  kind: 'class' | 'score',
  a: PredictionSet,
  b: PredictionSet,
  wantF1: boolean,
  o: Required<Omit<CompareOptions, 'tasks'>>,
): CompareRow[] {
  const n = a.gold.length;
  const gold = a.gold;
  const preds = [a.pred, b.pred] as const;
  const rows: CompareRow[] = [];
  if (kind === 'class') {
    const metrics: PairedMetric[] = [(s, w) => 100 * accuracy(gold, preds[s], w)];
    if (wantF1) metrics.push((s, w) => 100 * f1Positive(gold, preds[s], w));
    const boot = pairedBootstrap(n, metrics, o.seed, o.resamples, o.alpha);
    let bOnly = 0;
    let aOnly = 0;
    for (let i = 0; i < n; i++) {
      const ra = a.pred[i] === gold[i];
      const rb = b.pred[i] === gold[i];
      if (ra && !rb) aOnly++;
      else if (rb && !ra) bOnly++;
    }
    const p = mcnemarExact(aOnly, bOnly);
    const diff = boot[0].difference;
    rows.push({
      task,
      metric: name('acc'),
      split,
      n,
      method: `McNemar exact (A-only right ${aOnly}, B-only right ${bOnly}); CI: paired bootstrap`,
      a: metrics[0](0, undefined),
      b: metrics[0](1, undefined),
      difference: diff,
      ciLow: boot[0].ciLow,
      ciHigh: boot[0].ciHigh,
      pValue: p,
      bootstrapP: boot[0].pValue,
      discordant: [aOnly, bOnly],
      verdict: p < o.alpha ? (bOnly > aOnly ? 'better' : 'worse') : 'no significant difference',
    });
    if (wantF1) {
      rows.push({
        task,
        metric: name('f1'),
        split,
        n,
        method: 'paired bootstrap',
        a: metrics[1](0, undefined),
        b: metrics[1](1, undefined),
        difference: boot[1].difference,
        ciLow: boot[1].ciLow,
        ciHigh: boot[1].ciHigh,
        pValue: boot[1].pValue,
        bootstrapP: boot[1].pValue,
        verdict: verdictFromCi(boot[1].ciLow, boot[1].ciHigh),
      });
    }
  } else {
    const pg = rankPlan(gold);
    const pp = [rankPlan(a.pred), rankPlan(b.pred)] as const;
    const metrics: PairedMetric[] = [
      (s, w) => toDisplay('pearson', pearson(gold, preds[s], w)),
      (s, w) => toDisplay('spearman', spearmanPlanned(pg, pp[s], w)),
    ];
    const boot = pairedBootstrap(n, metrics, o.seed, o.resamples, o.alpha);
    ['pearson', 'spearman'].forEach((m, k) => {
      rows.push({
        task,
        metric: name(m),
        split,
        n,
        method: 'paired bootstrap',
        a: metrics[k](0, undefined),
        b: metrics[k](1, undefined),
        difference: boot[k].difference,
        ciLow: boot[k].ciLow,
        ciHigh: boot[k].ciHigh,
        pValue: boot[k].pValue,
        bootstrapP: boot[k].pValue,
        verdict: verdictFromCi(boot[k].ciLow, boot[k].ciHigh),
      });
    });
  }
  return rows;
}

/**
 * A task whose metrics aggregate several prediction sets (an STS year: the first dataset as the
 * sidecar's main set, the others in `extra`): each aggregate its protocol declares (the year's `all`
 * scores: mean and sample-weighted mean over the datasets, the pooled correlation), by a paired
 * bootstrap over pairs stratified by set, then each set's own Pearson and Spearman by the ordinary
 * paired bootstrap over its pairs.
 */
function compareAggregated(
  task: string,
  protocol: ProtocolDefinition,
  aggregates: readonly SetAggregate[],
  a: TaskPredictions,
  b: TaskPredictions,
  fa: string,
  fb: string,
  o: Required<Omit<CompareOptions, 'tasks'>>,
): CompareRow[] {
  const sets: [string, PredictionSet, PredictionSet][] = [[a.split, a, b]];
  for (const [name, sa] of Object.entries(a.extra ?? {})) {
    const sb = b.extra?.[name];
    if (!sb) throw new UserError(`${task}: ${fb} has no predictions for dataset ${name}, which ${fa} has: not the same year`);
    sets.push([name, sa, sb]);
  }
  for (const name of Object.keys(b.extra ?? {})) {
    if (!sets.some(([n]) => n === name)) throw new UserError(`${task}: ${fa} has no predictions for dataset ${name}, which ${fb} has: not the same year`);
  }
  for (const [name, sa, sb] of sets) checkSameExamples(task, name, sa, sb, fa, fb);
  const sizes = sets.map(([, s]) => s.gold.length);
  const total = sizes.reduce((x, y) => x + y, 0);
  const goldPlans = sets.map(([, s]) => rankPlan(s.gold));
  const predPlans = [0, 1].map((k) => sets.map(([, sa, sb]) => rankPlan((k === 0 ? sa : sb).pred)));
  const perSet = (stat: 'pearson' | 'spearman', which: 0 | 1, w: readonly Int32Array[] | undefined): number[] =>
    sets.map(([, sa, sb], k) => {
      const s = which === 0 ? sa : sb;
      return stat === 'pearson' ? pearson(s.gold, s.pred, w?.[k]) : spearmanPlanned(goldPlans[k]!, predPlans[which]![k]!, w?.[k]);
    });
  // Pooled: every pair in one correlation; the weights are the strata's, concatenated.
  const pooledGold = sets.flatMap(([, s]) => [...s.gold]);
  const pooledPred = [0, 1].map((k) => sets.flatMap(([, sa, sb]) => [...(k === 0 ? sa : sb).pred]));
  const pooledPlans = { gold: rankPlan(pooledGold), pred: pooledPred.map(rankPlan) };
  const concat = (w: readonly Int32Array[] | undefined): Int32Array | undefined => {
    if (!w) return undefined;
    const out = new Int32Array(total);
    let off = 0;
    for (const wk of w) {
      out.set(wk, off);
      off += wk.length;
    }
    return out;
  };
  const metricOf = (agg: SetAggregate): StratifiedMetric => {
    const over = agg.over;
    if (over !== 'pooled') return (s, w) => toDisplay(agg.key, combineSets(over, perSet(agg.stat, s, w), sizes));
    return agg.stat === 'pearson'
      ? (s, w) => toDisplay(agg.key, pearson(pooledGold, pooledPred[s]!, concat(w)))
      : (s, w) => toDisplay(agg.key, spearmanPlanned(pooledPlans.gold, pooledPlans.pred[s]!, concat(w)));
  };
  const named = aggregates.map((agg) => [agg.key, metricOf(agg)] as const);
  const boot = stratifiedPairedBootstrap(
    sizes,
    named.map(([, m]) => m),
    o.seed,
    o.resamples,
    o.alpha,
  );
  const rows: CompareRow[] = named.map(([metric, m], k) => ({
    task,
    metric,
    split: 'all',
    n: total,
    method: `paired bootstrap over pairs, stratified by dataset (${sets.length})`,
    a: m(0, undefined),
    b: m(1, undefined),
    difference: boot[k]!.difference,
    ciLow: boot[k]!.ciLow,
    ciHigh: boot[k]!.ciHigh,
    pValue: boot[k]!.pValue,
    bootstrapP: boot[k]!.pValue,
    verdict: verdictFromCi(boot[k]!.ciLow, boot[k]!.ciHigh),
  }));
  for (const [name, sa, sb] of sets) rows.push(...compareSet(task, name, (f) => protocol.setMetric(f, name), 'score', sa, sb, false, o));
  return rows;
}

export function compareRuns(a: LoadedResults, b: LoadedResults, opts: CompareOptions = {}): CompareReport {
  const o = { seed: opts.seed ?? 1111, resamples: opts.resamples ?? 10000, alpha: opts.alpha ?? 0.05 };
  if (!Number.isInteger(o.resamples) || o.resamples < 100 || o.resamples > MAX_RESAMPLES) {
    throw new UserError(`--resamples: expected an integer from 100 to ${MAX_RESAMPLES}, got ${o.resamples}`);
  }
  if (!(o.alpha > 0 && o.alpha < 1)) throw new UserError(`--alpha: expected a number between 0 and 1, got ${o.alpha}`);
  const ta = byTask(a);
  const tb = byTask(b);
  let common = [...ta.keys()].filter((t) => tb.has(t));
  if (opts.tasks?.length) {
    const want = opts.tasks.map(canonicalTask);
    for (const t of want) if (!common.includes(t)) throw new UserError(`--tasks: ${t} is not in both ${a.path} and ${b.path}`);
    common = common.filter((t) => want.includes(t));
  }
  if (common.length === 0) throw new UserError(`${a.path} and ${b.path} have no task in common`);
  const notes: string[] = [];
  const rows: CompareRow[] = [];
  for (const task of common) {
    const [ka, ra] = ta.get(task)!;
    const [kb, rb] = tb.get(task)!;
    const pa = sidecar(a, ka, ra);
    const pb = sidecar(b, kb, rb);
    const fa = `${a.path} (${ra.predictionsFile})`;
    const fb = `${b.path} (${rb.predictionsFile})`;
    if (pa.kind !== pb.kind) throw new UserError(`${task}: predictions are '${pa.kind}' in ${fa} but '${pb.kind}' in ${fb}`);
    if (pa.split !== pb.split) throw new UserError(`${task}: predictions are for split '${pa.split}' in ${fa} but '${pb.split}' in ${fb}`);
    if (ra.fingerprint !== rb.fingerprint)
      notes.push(`${task}: protocol fingerprints differ; the paired test still holds for these predictions, but the runs were measured differently`);
    const protocol = findProtocol(ra.protocol);
    if (ra.protocol !== rb.protocol && (protocol?.aggregates || findProtocol(rb.protocol)?.aggregates)) {
      throw new UserError(`${task}: protocol '${ra.protocol}' in ${a.path} but '${rb.protocol}' in ${b.path}`);
    }
    if (protocol?.seeded !== false && (pa.seed !== undefined || pb.seed !== undefined)) {
      // A multi-seed run saves its first seed's predictions; a single-seed run's are its one seed's.
      const from = (side: string, seed: number | undefined, r: TaskResult, run: LoadedResults): string =>
        seed !== undefined && r.seeds && r.seeds.length > 1
          ? `seed ${seed} of ${side}'s seeds ${r.seeds.join(', ')}`
          : `${side}'s only seed, ${seed ?? run.results.seed}`;
      notes.push(`${task}: the predictions are from ${from('A', pa.seed, ra, a)} and from ${from('B', pb.seed, rb, b)}`);
    }
    if (protocol?.aggregates) {
      rows.push(...compareAggregated(task, protocol, protocol.aggregates, pa, pb, fa, fb, o));
      continue;
    }
    // A set's metric as its protocol names it (acc, acc_mismatched, pearson); files from an unknown
    // protocol name extra sets after their split.
    const setMetric =
      (set: string) =>
      (family: string): string =>
        protocol?.setMetric(family, set) ?? (set === pa.split ? family : `${family}_${set.replace(/^test_/, '')}`);
    checkSameExamples(task, pa.split, pa, pb, fa, fb);
    const wantF1 = 'f1' in ra.metrics || 'f1' in rb.metrics;
    rows.push(...compareSet(task, pa.split, setMetric(pa.split), pa.kind, pa, pb, wantF1, o));
    for (const [name, sa] of Object.entries(pa.extra ?? {})) {
      const sb = pb.extra?.[name];
      if (!sb) {
        notes.push(`${task}: ${fb} has no predictions for ${name}; not compared`);
        continue;
      }
      checkSameExamples(task, name, sa, sb, fa, fb);
      rows.push(...compareSet(task, name, setMetric(name), pa.kind, sa, sb, wantF1, o));
    }
  }
  return { fileA: a.path, fileB: b.path, ...o, rows, notes };
}

function fmtP(p: number, resamples: number, bootstrap: boolean): string {
  if (!Number.isFinite(p)) return '–';
  // A bootstrap p of 0: no resample crossed 0; all it says is p < 1/R.
  if (bootstrap && p === 0) return `<${formatPoints(1 / resamples, Math.max(4, Math.ceil(Math.log10(resamples))))}`;
  return p < 1e-4 ? p.toExponential(1) : p.toFixed(4);
}

/**
 * Holm–Bonferroni over the report's rows: which verdicts survive when all the tests are taken
 * together (family-wise error ≤ alpha). Returns one flag per row, in row order.
 */
export function holmSurvivors(pValues: readonly number[], alpha: number): boolean[] {
  const m = pValues.length;
  const order = pValues.map((_, i) => i).sort((a, b) => pValues[a]! - pValues[b]! || a - b);
  const keep = new Array<boolean>(m).fill(false);
  for (let k = 0; k < m; k++) {
    const i = order[k]!;
    if (!(pValues[i]! <= alpha / (m - k))) break;
    keep[i] = true;
  }
  return keep;
}

/** Notes every table carries: what the McNemar counts mean, and multiple testing when several rows. */
export function compareFootnotes(rep: CompareReport): string[] {
  const out: string[] = [];
  if (rep.rows.some((r) => r.discordant)) {
    out.push(
      'McNemar: "A-only right" counts test examples A classifies correctly and B does not; "B-only right" the reverse. Only these discordant examples enter the test; B is better when B-only right is the larger count and p < alpha.',
    );
  }
  out.push('p: McNemar exact for accuracy rows; for F1 and correlations the two-sided paired-bootstrap p (bootstrapP in --json, given for accuracy rows too).');
  const sig = rep.rows.filter((r) => r.verdict !== 'no significant difference').length;
  if (rep.rows.length > 1) {
    const keep = holmSurvivors(
      rep.rows.map((r) => r.pValue),
      rep.alpha,
    );
    const held = rep.rows.filter((r, i) => r.verdict !== 'no significant difference' && keep[i]).length;
    out.push(
      `multiple comparisons: ${rep.rows.length} tests at alpha ${rep.alpha} each; about ${formatPoints(rep.rows.length * rep.alpha, 1)} would come out significant by chance if the runs were equal. ` +
        `${sig} verdict(s) significant one by one; ${held} survive Holm–Bonferroni over all ${rep.rows.length} (family-wise error ≤ ${rep.alpha}).`,
    );
  }
  return out;
}

export function renderCompareTable(rep: CompareReport): string {
  const pct = Math.round((1 - rep.alpha) * 100);
  const cells = [['task', 'metric', 'n', 'A', 'B', 'B − A', `${pct}% CI`, 'p', 'verdict (B vs A)', 'method']];
  for (const r of rep.rows) {
    cells.push([
      r.task,
      r.metric,
      String(r.n),
      formatPoints(r.a, 2),
      formatPoints(r.b, 2),
      formatSigned(r.difference, 2),
      `[${formatSigned(r.ciLow, 2)}, ${formatSigned(r.ciHigh, 2)}]`,
      fmtP(r.pValue, rep.resamples, r.discordant === undefined),
      r.verdict,
      r.method,
    ]);
  }
  const w = cells[0].map((_, j) => Math.max(...cells.map((row) => row[j].length)));
  const table = cells
    .map((row) =>
      row
        .map((c, j) => (j <= 1 || j >= 8 ? c.padEnd(w[j]) : c.padStart(w[j])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n');
  const lines = [
    `A: ${rep.fileA}`,
    `B: ${rep.fileB}`,
    `points: accuracy/F1 in percent, correlations ×100; paired bootstrap: ${rep.resamples} resamples, seed ${rep.seed}, percentile interval; significance level ${rep.alpha}`,
    '',
    table,
  ];
  for (const n of rep.notes) lines.push(`note: ${n}`);
  for (const n of compareFootnotes(rep)) lines.push(`note: ${n}`);
  return lines.join('\n') + '\n';
}

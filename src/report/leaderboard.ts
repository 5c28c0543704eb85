/**
 * The leaderboard model: one row per run and per published reference row, Table 2's columns, the
 * best value per column, each row's average over its own tasks with its coverage, the mean over
 * the tasks every row has, seed spread where several seeds ran, optional differences to a
 * baseline row, and protocol groups so that runs measured differently are never mixed silently.
 * Renderers (markdown, CSV, HTML) only format this model.
 */
import { basename } from 'node:path';
import type { LoadedResults } from '../results/read.js';
import type { RunResults, TaskResult } from '../results/schema.js';
import { UserError } from '../util/errors.js';
import { LEADERBOARD_COLUMNS, canonicalTask, extraColumn, toDisplay } from './columns.js';
import type { Column } from './columns.js';
import type { ReferenceSet } from './reference.js';
import { findProtocol } from '../protocol/registry.js';
import { findTask } from '../tasks/registry.js';

export interface LeaderboardCell {
  /** Display scale (percent; correlations ×100). */
  readonly value: number;
  readonly verified: boolean;
  /** Where a published value comes from. */
  readonly source?: string;
  /** The task's fingerprint differs between runs (see `Leaderboard.mixedTasks`). */
  readonly mixed: boolean;
  best: boolean;
  /** This cell minus the baseline row's cell, display scale. */
  diff?: number;
  /** Sample standard deviation over seeds (display scale), when the run used several seeds. */
  readonly std?: number;
  /** Number of seeds the value is a mean over. */
  readonly seeds?: number;
}

export interface LeaderboardRow {
  readonly id: string;
  readonly label: string;
  readonly kind: 'run' | 'reference';
  /** Protocol group letter for runs (A, B, ...), `published` for reference rows. */
  readonly group: string;
  readonly cells: Readonly<Record<string, LeaderboardCell>>;
  /** Mean main score over the tasks this row has (not comparable between rows of unequal coverage). */
  average?: number;
  /** How many of the leaderboard's tasks (`Leaderboard.taskCount`) enter `average`. */
  coverage: number;
  /** Mean main score over the tasks every row has (`Leaderboard.commonTasks`): comparable across rows. */
  commonAverage?: number;
  /** `commonAverage` minus the baseline row's. */
  commonAverageDiff?: number;
  /** Configuration shown on hover / expand: label → value. */
  readonly config: readonly (readonly [string, string])[];
}

export interface ProtocolGroup {
  readonly letter: string;
  readonly fingerprint: string;
  readonly runs: readonly string[];
  readonly settings: Readonly<Record<string, unknown>>;
}

export interface MixedTask {
  readonly task: string;
  /** One line per reason: which settings or data files differ, between which runs. */
  readonly reasons: readonly string[];
}

export interface Leaderboard {
  readonly columns: readonly Column[];
  readonly rows: readonly LeaderboardRow[];
  /** Tasks (main column headers) every row has: the common-subset mean is over these. */
  readonly commonTasks: readonly string[];
  /** Tasks with a main column: a row's coverage is out of this. */
  readonly taskCount: number;
  readonly baseline?: string;
  readonly groups: readonly ProtocolGroup[];
  /** Settings keys whose values differ between protocol groups. */
  readonly protocolDifferences: readonly string[];
  readonly mixedTasks: readonly MixedTask[];
  /** Runs were measured under more than one protocol fingerprint. */
  readonly mixed: boolean;
  readonly notes: readonly string[];
}

export interface LeaderboardOptions {
  /** Id or label of the row that other rows are compared to. */
  readonly baseline?: string;
  /** Refuse (UserError, exit 2) when runs' protocol fingerprints differ. */
  readonly strict?: boolean;
}

function runLabels(runs: readonly LoadedResults[]): string[] {
  const stems = runs.map((r) => basename(r.path).replace(/\.json$/i, ''));
  return stems.map((s, i) => (stems.indexOf(s) === stems.lastIndexOf(s) ? s : r(runs[i].path)));
  function r(p: string): string {
    return p.replace(/\.json$/i, '');
  }
}

function tasksByCanonical(res: RunResults): Map<string, TaskResult> {
  const m = new Map<string, TaskResult>();
  for (const [k, t] of Object.entries(res.tasks)) m.set(canonicalTask(k), t);
  return m;
}

function short(h: string): string {
  return h.slice(0, 12);
}

function runConfig(lr: LoadedResults): [string, string][] {
  const r = lr.results;
  const out: [string, string][] = [
    ['file', lr.path],
    ['encoder', `${r.encoder.name}${r.encoder.dim ? ` (${r.encoder.dim}-d)` : ''}`],
  ];
  for (const [k, v] of Object.entries(r.encoder.params)) out.push([`encoder.${k}`, String(v)]);
  if (r.encoder.weightsHash) out.push(['weights sha256', short(r.encoder.weightsHash)]);
  for (const [k, v] of Object.entries(r.protocol as unknown as Record<string, unknown>)) out.push([`protocol.${k}`, String(v)]);
  out.push(['protocol fingerprint', short(r.protocolFingerprint)]);
  const seeds = new Set<string>();
  for (const t of Object.values(r.tasks)) if (t.seeds) seeds.add(t.seeds.join(','));
  out.push(['seed', seeds.size ? [...seeds].join(' / ') + ' (metrics are means over seeds)' : String(r.seed)]);
  if (r.createdAt) out.push(['created', r.createdAt]);
  out.push(['tool', `${r.tool.name} ${r.tool.version}`]);
  if (r.device) out.push(['device', r.device]);
  if (r.command.length) out.push(['command', r.command.join(' ')]);
  for (const w of lr.warnings) out.push(['read warning', w]);
  return out;
}

function diffSettings(a: Readonly<Record<string, unknown>>, b: Readonly<Record<string, unknown>>): string[] {
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).sort();
}

/** The recorded differences behind two runs' fingerprints for one task: settings, data files, protocol. */
export function recordedTaskDifferences(ta: TaskResult, ra: RunResults, tb: TaskResult, rb: RunResults): string[] {
  const parts: string[] = [];
  const settings = diffSettings(ra.protocol as unknown as Record<string, unknown>, rb.protocol as unknown as Record<string, unknown>);
  for (const k of settings) {
    parts.push(
      `${k}: ${JSON.stringify((ra.protocol as unknown as Record<string, unknown>)[k])} vs ${JSON.stringify((rb.protocol as unknown as Record<string, unknown>)[k])}`,
    );
  }
  const da = new Map(ta.dataFiles.map((d) => [d.path, d.sha256]));
  const db = new Map(tb.dataFiles.map((d) => [d.path, d.sha256]));
  for (const p of new Set([...da.keys(), ...db.keys()])) {
    if (da.get(p) !== db.get(p)) {
      parts.push(`data ${p}: ${da.has(p) ? short(da.get(p)!) : 'absent'} vs ${db.has(p) ? short(db.get(p)!) : 'absent'}`);
    }
  }
  if (ta.protocol !== tb.protocol) parts.push(`task protocol: ${ta.protocol} vs ${tb.protocol}`);
  return parts;
}

/** Why two runs' fingerprints for one task differ: settings, data files, or neither visible. */
export function explainTaskDifference(la: string, ta: TaskResult, ra: RunResults, lb: string, tb: TaskResult, rb: RunResults): string {
  const parts = recordedTaskDifferences(ta, ra, tb, rb);
  if (parts.length === 0) parts.push(`fingerprint ${short(ta.fingerprint)} vs ${short(tb.fingerprint)} (the difference is not in the recorded settings)`);
  return `${la} vs ${lb}: ${parts.join('; ')}`;
}

/** Mixed tasks that differ for the same reasons, together (a probe setting makes every task differ). */
export function groupMixedTasks(mixed: readonly MixedTask[]): { tasks: string[]; reasons: readonly string[] }[] {
  const groups = new Map<string, { tasks: string[]; reasons: readonly string[] }>();
  for (const m of mixed) {
    const key = m.reasons.join('\n');
    const g = groups.get(key);
    if (g) g.tasks.push(m.task);
    else groups.set(key, { tasks: [m.task], reasons: m.reasons });
  }
  return [...groups.values()];
}

export function buildLeaderboard(runs: readonly LoadedResults[], references: readonly ReferenceSet[], opts: LeaderboardOptions = {}): Leaderboard {
  if (runs.length === 0 && references.length === 0) {
    throw new UserError('leaderboard: name at least one results file or a --reference set');
  }
  const labels = runLabels(runs);
  const runTasks = runs.map((r) => tasksByCanonical(r.results));

  // Columns: Table 2's, then any other task a run has (by its main metric), in name order.
  const columns: Column[] = [];
  const known = new Set(LEADERBOARD_COLUMNS.map((c) => c.task));
  const extraTasks = new Map<string, string>();
  for (const m of runTasks) for (const [task, t] of m) if (!known.has(task) && !extraTasks.has(task)) extraTasks.set(task, t.mainMetric);
  const present = new Set<string>();
  for (const m of runTasks) for (const [task, t] of m) for (const metric of Object.keys(t.metrics)) present.add(`${task}.${metric}`);
  for (const set of references) for (const row of set.rows) for (const c of row.cells) present.add(`${c.task}.${c.metric}`);
  for (const c of LEADERBOARD_COLUMNS) if (present.has(c.id)) columns.push(c);
  for (const [task, metric] of [...extraTasks].sort(([a], [b]) => a.localeCompare(b))) columns.push(extraColumn(task, metric));

  // Protocol groups (run level) and per-task fingerprint mixing.
  const groups: { letter: string; fingerprint: string; runs: string[]; settings: Record<string, unknown> }[] = [];
  const groupOf: string[] = runs.map((r, i) => {
    let g = groups.find((x) => x.fingerprint === r.results.protocolFingerprint);
    if (!g) {
      g = {
        letter: String.fromCharCode(65 + (groups.length % 26)) + (groups.length >= 26 ? String(Math.floor(groups.length / 26)) : ''),
        fingerprint: r.results.protocolFingerprint,
        runs: [],
        settings: r.results.protocol as unknown as Record<string, unknown>,
      };
      groups.push(g);
    }
    g.runs.push(labels[i]);
    return g.letter;
  });
  const protocolDifferences = new Set<string>();
  for (let i = 1; i < groups.length; i++) for (const k of diffSettings(groups[0].settings, groups[i].settings)) protocolDifferences.add(k);

  const mixedTasks: MixedTask[] = [];
  const mixedTaskSet = new Set<string>();
  const allTasks = new Set<string>();
  for (const m of runTasks) for (const t of m.keys()) allTasks.add(t);
  for (const task of allTasks) {
    const holders = runs.map((_, i) => i).filter((i) => runTasks[i].has(task));
    const first = holders[0];
    const reasons: string[] = [];
    const seen = new Set<string>([runTasks[first].get(task)!.fingerprint]);
    for (const i of holders.slice(1)) {
      const t = runTasks[i].get(task)!;
      if (seen.has(t.fingerprint)) continue;
      seen.add(t.fingerprint);
      reasons.push(explainTaskDifference(labels[first], runTasks[first].get(task)!, runs[first].results, labels[i], t, runs[i].results));
    }
    if (reasons.length) {
      mixedTasks.push({ task, reasons });
      mixedTaskSet.add(task);
    }
  }
  const mixed = groups.length > 1 || mixedTasks.length > 0;
  if (mixed && opts.strict) {
    const lines = mixedTasks.length
      ? groupMixedTasks(mixedTasks)
          .map((g) => `${g.tasks.join(', ')} (${g.reasons.join(' | ')})`)
          .join('; ')
      : `protocol fingerprints differ (${[...protocolDifferences].join(', ') || 'settings not recorded'})`;
    throw new UserError(`--strict: runs were measured under different protocols and are not comparable: ${lines}`);
  }

  const rows: LeaderboardRow[] = [];
  runs.forEach((lr, i) => {
    const cells: Record<string, LeaderboardCell> = {};
    for (const c of columns) {
      const t = runTasks[i].get(c.task);
      const v = t?.metrics[c.metric];
      if (t && v !== undefined) {
        const sp = t.spread?.[c.metric];
        cells[c.id] = {
          value: toDisplay(c.metric, v),
          verified: true,
          mixed: mixedTaskSet.has(c.task),
          best: false,
          ...(sp && t.seeds && t.seeds.length > 1 ? { std: toDisplay(c.metric, sp.std), seeds: t.seeds.length } : {}),
        };
      }
    }
    rows.push({ id: labels[i], label: `${labels[i]} (${lr.results.encoder.name})`, kind: 'run', group: groupOf[i], cells, coverage: 0, config: runConfig(lr) });
  });
  for (const set of references) {
    for (const ref of set.rows) {
      const cells: Record<string, LeaderboardCell> = {};
      for (const c of ref.cells) {
        cells[`${c.task}.${c.metric}`] = { value: toDisplay(c.metric, c.value), verified: c.verified, source: c.source, mixed: false, best: false };
      }
      const unverified = ref.cells.filter((c) => !c.verified).map((c) => `${c.task}.${c.metric}`);
      rows.push({
        id: ref.id,
        label: ref.label,
        kind: 'reference',
        group: 'published',
        cells,
        coverage: 0,
        config: [
          ['reference set', set.name],
          ['encoder', ref.encoder],
          ['protocol', ref.protocol],
          ...(unverified.length ? [['unverified cells', unverified.join(', ')] as [string, string]] : []),
        ],
      });
    }
  }
  if (new Set(rows.map((r) => r.id)).size !== rows.length) {
    const dup = rows.map((r) => r.id).find((id, i, a) => a.indexOf(id) !== i);
    throw new UserError(`leaderboard: two rows are both named '${dup}'; rename a results file or drop a duplicate reference set`);
  }

  // Best per column, on values rounded to the precision shown in CSV so float noise makes no ties.
  for (const c of columns) {
    const vals = rows.map((r) => r.cells[c.id]).filter((x): x is LeaderboardCell => x !== undefined);
    if (vals.length < 2) continue;
    const best = Math.max(...vals.map((x) => Math.round(x.value * 1e4)));
    for (const x of vals) x.best = Math.round(x.value * 1e4) === best;
  }

  // Each task counted once, by its main column. A row's own average covers the tasks it has (so a
  // partial run does not shrink every row's average); the common-subset mean, over the tasks every
  // row has, is the one that compares rows.
  const mainCols = columns.filter((c) => c.main || !columns.some((o) => o.task === c.task && o.main));
  const avgCols = mainCols.filter((c) => rows.every((r) => r.cells[c.id] !== undefined));
  const notes: string[] = [];
  for (const r of rows) {
    const have = mainCols.filter((c) => r.cells[c.id] !== undefined);
    r.coverage = have.length;
    if (have.length) r.average = have.reduce((s, c) => s + r.cells[c.id].value, 0) / have.length;
  }
  if (avgCols.length) {
    for (const r of rows) r.commonAverage = avgCols.reduce((s, c) => s + r.cells[c.id].value, 0) / avgCols.length;
  } else if (rows.length > 1) {
    notes.push('no task is present in every row, so there is no common-subset mean');
  }

  let baseline: string | undefined;
  if (opts.baseline !== undefined) {
    const want = opts.baseline.toLowerCase();
    const b = rows.find((r) => r.id.toLowerCase() === want) ?? rows.find((r) => r.label.toLowerCase() === want);
    if (!b) {
      throw new UserError(`--baseline '${opts.baseline}': no such row; rows are ${rows.map((r) => r.id).join(', ')}`);
    }
    baseline = b.id;
    for (const r of rows) {
      if (r === b) continue;
      for (const [id, cell] of Object.entries(r.cells)) {
        const bc = b.cells[id];
        if (bc) cell.diff = cell.value - bc.value;
      }
      if (r.commonAverage !== undefined && b.commonAverage !== undefined) r.commonAverageDiff = r.commonAverage - b.commonAverage;
    }
  }
  // Presets differ mostly in classifier settings, which some protocols do not use (SentEval's
  // relatedness trainer has its own): say so, or SICK-R being identical under paper and fast reads
  // like a bug. Each protocol's definition lists the settings that change its numbers.
  const byProtocol = new Map<string, string[]>();
  for (const task of new Set(columns.map((c) => c.task))) {
    const name = findTask(task)?.protocol;
    if (name) byProtocol.set(name, [...(byProtocol.get(name) ?? []), task]);
  }
  for (const [name, tasks] of byProtocol) {
    const p = findProtocol(name);
    if (!p) continue;
    const ignored = [...protocolDifferences].filter((k) => k !== 'config' && k !== 'encoderBatchSize' && !(p.settings as readonly string[]).includes(k)).sort();
    if (ignored.length) {
      notes.push(
        `${tasks.join(' and ')} use ${p.trainer}, which ignores ${ignored.join(', ')}: those differences between the protocol groups do not change their numbers.`,
      );
    }
  }
  for (const lr of runs) for (const w of lr.warnings) notes.push(`${lr.path}: ${w}`);

  return {
    columns,
    rows,
    commonTasks: avgCols.map((c) => c.header),
    taskCount: mainCols.length,
    ...(baseline === undefined ? {} : { baseline }),
    groups,
    protocolDifferences: [...protocolDifferences].sort(),
    mixedTasks,
    mixed,
    notes,
  };
}

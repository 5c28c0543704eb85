/** Markdown and CSV renderings of a leaderboard. */
import { formatPoints, formatSigned, isCorrelation } from './columns.js';
import { groupMixedTasks } from './leaderboard.js';
import type { Leaderboard, LeaderboardCell } from './leaderboard.js';
import { count } from '../util/english.js';

export const MARK_UNVERIFIED = '†';
export const MARK_MIXED = '‡';

/** `75.0±0.3`: the spread is the sample std over seeds, one decimal like the value. */
export function withSpread(c: LeaderboardCell): string {
  return c.std === undefined ? formatPoints(c.value) : `${formatPoints(c.value)}±${formatPoints(c.std)}`;
}

function cellText(c: LeaderboardCell | undefined, showDiff: boolean): string {
  if (!c) return '–';
  let s = withSpread(c);
  if (!c.verified) s += MARK_UNVERIFIED;
  if (c.mixed) s += MARK_MIXED;
  if (c.best) s = `**${s}**`;
  if (showDiff && c.diff !== undefined) s += ` (${formatSigned(c.diff)})`;
  return s;
}

/** Lines that must travel with the table whatever the format: scale, marks, average, mixing. */
export function leaderboardFootnotes(lb: Leaderboard): string[] {
  const out: string[] = [];
  out.push('Scores: accuracy and F1 in percent; correlations (SICK-R, STS-B, STS12–16) Pearson/Spearman ×100. Best value per column in bold.');
  out.push(
    `Avg: each row's mean main score over the tasks it has; Tasks: how many of the ${lb.taskCount} it has (rows with different coverage are not comparable by Avg).`,
  );
  if (lb.commonTasks.length)
    out.push(
      `Common avg: mean main score over the ${count(lb.commonTasks.length, 'task')} every row has (${lb.commonTasks.join(', ')}): the average that compares rows.`,
    );
  if (lb.rows.some((r) => Object.values(r.cells).some((c) => c.std !== undefined))) {
    out.push('±x: sample standard deviation over seeds (the value is the mean over seeds).');
  }
  for (const n of lb.notes) out.push(n);
  if (lb.rows.some((r) => Object.values(r.cells).some((c) => !c.verified))) {
    out.push(`${MARK_UNVERIFIED} published value not verified against its source (see the reference file for the caveat).`);
  }
  if (lb.baseline) out.push(`(±x): difference to the baseline row ${lb.baseline}.`);
  if (lb.groups.length === 1) {
    const n = lb.groups[0]!.runs.length;
    const published = lb.rows.some((r) => r.kind !== 'run') ? '; published rows say "published"' : '';
    out.push(
      `Protocol: runs measured under the same protocol (probe settings and data) share a letter; ${n === 1 ? 'the one run here is' : `all ${n} runs here are`} group ${lb.groups[0]!.letter}${published}.`,
    );
  }
  if (lb.groups.length > 1) {
    out.push(
      `Protocol groups: ${lb.groups.map((g) => `${g.letter} = ${g.runs.join(', ')}`).join('; ')}. Runs in different groups were measured differently (${lb.protocolDifferences.join(', ') || 'fingerprints differ'}): compare within a group.`,
    );
  }
  for (const g of groupMixedTasks(lb.mixedTasks)) out.push(`${MARK_MIXED} ${g.tasks.join(', ')}: task fingerprints differ: ${g.reasons.join('; ')}.`);
  return out;
}

export function renderMarkdown(lb: Leaderboard): string {
  const showDiff = lb.baseline !== undefined;
  const head = ['Model', 'Protocol', ...lb.columns.map((c) => c.header), 'Avg', 'Tasks', 'Common avg'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const r of lb.rows) {
    const avg = r.average === undefined ? '–' : formatPoints(r.average);
    const common =
      r.commonAverage === undefined
        ? '–'
        : formatPoints(r.commonAverage) + (showDiff && r.commonAverageDiff !== undefined ? ` (${formatSigned(r.commonAverageDiff)})` : '');
    const cells = [
      r.label.replace(/\|/g, '\\|'),
      r.group,
      ...lb.columns.map((c) => cellText(r.cells[c.id], showDiff)),
      avg,
      `${r.coverage}/${lb.taskCount}`,
      common,
    ];
    lines.push(`| ${cells.join(' | ')} |`);
  }
  lines.push('');
  for (const f of leaderboardFootnotes(lb)) lines.push(`- ${f}`);
  return lines.join('\n') + '\n';
}

function csvField(s: string): string {
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function num(v: number | undefined): string {
  return v === undefined || !Number.isFinite(v) ? '' : String(Math.round(v * 1e4) / 1e4);
}

/**
 * One row per leaderboard row; plain numbers (display scale) so spreadsheets can use them, with
 * marks in their own columns: `avg` (own tasks), `tasks` (how many), `avg_common` (tasks every
 * row has), `<col>_std` (seed spread, when any run has several seeds), `<col>_diff` (with
 * --baseline), then `best`, `unverified`, `mixed` listing the column headers concerned.
 */
export function renderCsv(lb: Leaderboard): string {
  const showDiff = lb.baseline !== undefined;
  const showStd = lb.rows.some((r) => Object.values(r.cells).some((c) => c.std !== undefined));
  const head = ['model', 'kind', 'protocol_group', ...lb.columns.map((c) => c.header), 'avg', 'tasks', 'avg_common'];
  if (showStd) head.push(...lb.columns.map((c) => `${c.header}_std`));
  if (showDiff) head.push(...lb.columns.map((c) => `${c.header}_diff`), 'avg_common_diff');
  head.push('best', 'unverified', 'mixed');
  const lines = [head.map(csvField).join(',')];
  for (const r of lb.rows) {
    const f: string[] = [r.id, r.kind, r.group, ...lb.columns.map((c) => num(r.cells[c.id]?.value)), num(r.average), String(r.coverage), num(r.commonAverage)];
    if (showStd) f.push(...lb.columns.map((c) => num(r.cells[c.id]?.std)));
    if (showDiff) f.push(...lb.columns.map((c) => num(r.cells[c.id]?.diff)), num(r.commonAverageDiff));
    const which = (p: (c: LeaderboardCell) => boolean): string =>
      lb.columns
        .filter((c) => r.cells[c.id] && p(r.cells[c.id]))
        .map((c) => c.header)
        .join(';');
    f.push(
      which((c) => c.best),
      which((c) => !c.verified),
      which((c) => c.mixed),
    );
    lines.push(f.map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

/**
 * The tidy (long) table: one line per row × column, machine ids throughout, so it loads straight
 * into pandas/R/SQL: `model` (row id), `kind`, `protocol_group`, `encoder`, `task` (canonical task
 * id), `metric` (key in the results file), `header`, `value` (display scale: percent, or
 * correlation ×100, see `scale`), `std`, `seeds`, `diff` (to --baseline), `best`, `verified`,
 * `mixed`, `tasks`. Each row's averages follow as `task` = `*`, `metric` = `avg` (own tasks) or
 * `avg_common` (tasks every row has), with the number of tasks averaged in `tasks`.
 */
export function renderCsvLong(lb: Leaderboard): string {
  const head = [
    'model',
    'kind',
    'protocol_group',
    'encoder',
    'task',
    'metric',
    'header',
    'value',
    'scale',
    'std',
    'seeds',
    'diff',
    'best',
    'verified',
    'mixed',
    'tasks',
  ];
  const lines = [head.join(',')];
  const bool = (b: boolean): string => (b ? 'true' : 'false');
  for (const r of lb.rows) {
    const encoder = r.config.find(([k]) => k === 'encoder')?.[1].replace(/ \(\d+-d\)$/, '') ?? '';
    for (const c of lb.columns) {
      const cell = r.cells[c.id];
      if (!cell) continue;
      const scale = isCorrelation(c.metric) ? 'correlation_x100' : 'percent';
      lines.push(
        [
          r.id,
          r.kind,
          r.group,
          encoder,
          c.task,
          c.metric,
          c.header,
          num(cell.value),
          scale,
          num(cell.std),
          cell.seeds === undefined ? '' : String(cell.seeds),
          num(cell.diff),
          bool(cell.best),
          bool(cell.verified),
          bool(cell.mixed),
          '',
        ]
          .map(csvField)
          .join(','),
      );
    }
    if (r.average !== undefined)
      lines.push(
        [r.id, r.kind, r.group, encoder, '*', 'avg', 'Avg', num(r.average), 'points', '', '', '', '', '', '', String(r.coverage)].map(csvField).join(','),
      );
    if (r.commonAverage !== undefined) {
      lines.push(
        [
          r.id,
          r.kind,
          r.group,
          encoder,
          '*',
          'avg_common',
          'Common avg',
          num(r.commonAverage),
          'points',
          '',
          '',
          num(r.commonAverageDiff),
          '',
          '',
          '',
          String(lb.commonTasks.length),
        ]
          .map(csvField)
          .join(','),
      );
    }
  }
  return lines.join('\n') + '\n';
}

/** Markdown and CSV renderings of a leaderboard. */
import { formatPoints, formatSigned } from './columns.js';
import { groupMixedTasks } from './leaderboard.js';
import type { Leaderboard, LeaderboardCell } from './leaderboard.js';

export const MARK_UNVERIFIED = '†';
export const MARK_MIXED = '‡';

function cellText(c: LeaderboardCell | undefined, showDiff: boolean): string {
  if (!c) return '–';
  let s = formatPoints(c.value);
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
  if (lb.averageTasks.length) out.push(`Avg: mean of the main score over the ${lb.averageTasks.length} tasks every row has: ${lb.averageTasks.join(', ')}.`);
  for (const n of lb.notes) out.push(n);
  if (lb.rows.some((r) => Object.values(r.cells).some((c) => !c.verified))) {
    out.push(`${MARK_UNVERIFIED} published value not verified against its source (see the reference file for the caveat).`);
  }
  if (lb.baseline) out.push(`(±x): difference to the baseline row ${lb.baseline}.`);
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
  const head = ['Model', 'Protocol', ...lb.columns.map((c) => c.header), 'Avg'];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i < 2 ? '---' : '---:')).join('|')}|`];
  for (const r of lb.rows) {
    const avg = r.average === undefined ? '–' : formatPoints(r.average) + (showDiff && r.averageDiff !== undefined ? ` (${formatSigned(r.averageDiff)})` : '');
    const cells = [r.label.replace(/\|/g, '\\|'), r.group, ...lb.columns.map((c) => cellText(r.cells[c.id], showDiff)), avg];
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
 * marks in their own columns: `<col>_diff` (with --baseline), then `best`, `unverified`, `mixed`
 * listing the column headers concerned.
 */
export function renderCsv(lb: Leaderboard): string {
  const showDiff = lb.baseline !== undefined;
  const head = ['model', 'kind', 'protocol_group', ...lb.columns.map((c) => c.header), 'avg'];
  if (showDiff) head.push(...lb.columns.map((c) => `${c.header}_diff`), 'avg_diff');
  head.push('best', 'unverified', 'mixed');
  const lines = [head.map(csvField).join(',')];
  for (const r of lb.rows) {
    const f: string[] = [r.id, r.kind, r.group, ...lb.columns.map((c) => num(r.cells[c.id]?.value)), num(r.average)];
    if (showDiff) f.push(...lb.columns.map((c) => num(r.cells[c.id]?.diff)), num(r.averageDiff));
    const which = (p: (c: LeaderboardCell) => boolean): string =>
      lb.columns.filter((c) => r.cells[c.id] && p(r.cells[c.id])).map((c) => c.header).join(';');
    f.push(which((c) => c.best), which((c) => !c.verified), which((c) => c.mixed));
    lines.push(f.map(csvField).join(','));
  }
  return lines.join('\n') + '\n';
}

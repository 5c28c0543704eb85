/**
 * A suite's fixed table (`leaderboard --view NAME`, declared in tasks/suites.json): the columns a
 * paper prints, each value in display points rounded as the paper rounds it, and the average of the
 * rounded cells, as SimCSE's evaluation.py averages its printed numbers. Runs only: a view
 * reproduces a table layout, it does not mix in reference rows.
 */
import { basename } from 'node:path';
import type { LoadedResults } from '../results/read.js';
import { pyRound } from '../protocol/pyround.js';
import { suitesFile, type SuiteView } from '../tasks/registry.js';
import { UserError } from '../util/errors.js';
import { canonicalTask, toDisplay } from './columns.js';

export interface ViewRow {
  readonly label: string;
  /** Per view column, display points rounded to the view's digits; undefined where the run lacks it. */
  readonly cells: readonly (number | undefined)[];
  /** Mean of the rounded cells, rounded; only when the run has every column. */
  readonly average?: number;
}

export interface ViewTable {
  readonly name: string;
  readonly view: SuiteView;
  readonly rows: readonly ViewRow[];
  readonly notes: readonly string[];
}

export function viewNames(): string[] {
  return Object.entries(suitesFile().suites)
    .filter(([, s]) => s.view !== undefined)
    .map(([n]) => n);
}

export function buildView(name: string, runs: readonly LoadedResults[]): ViewTable {
  const view = suitesFile().suites[name.toLowerCase()]?.view;
  if (!view) throw new UserError(`--view ${name}: no such view; views: ${viewNames().join(', ') || 'none'}`);
  if (runs.length === 0) throw new UserError(`--view ${name}: name results files to show`);
  const notes: string[] = [];
  const rows = runs.map((lr) => {
    const byTask = new Map(Object.entries(lr.results.tasks).map(([k, t]) => [canonicalTask(k), t]));
    const cells = view.columns.map((c) => {
      const v = byTask.get(canonicalTask(c.task))?.metrics[c.metric];
      return v === undefined ? undefined : pyRound(toDisplay(c.metric, v), view.digits);
    });
    const missing = view.columns.filter((_, i) => cells[i] === undefined).map((c) => `${c.task} ${c.metric}`);
    if (missing.length) notes.push(`${lr.path}: no ${missing.join(', ')} (run evaluate --tasks ${name}); its ${view.average} is left out`);
    const have = cells.filter((v): v is number => v !== undefined);
    return {
      label: basename(lr.path).replace(/\.json$/, ''),
      cells,
      ...(missing.length === 0 ? { average: pyRound(have.reduce((s, v) => s + v, 0) / have.length, view.digits) } : {}),
    };
  });
  for (const lr of runs) for (const w of lr.warnings) notes.push(`${lr.path}: ${w}`);
  return { name, view, rows, notes };
}

function fmt(v: number | undefined, digits: number): string {
  return v === undefined ? '–' : v.toFixed(digits);
}

export function renderViewMarkdown(t: ViewTable): string {
  const head = ['Model', ...t.view.columns.map((c) => c.header), t.view.average];
  const lines = [`| ${head.join(' | ')} |`, `|${head.map((_, i) => (i === 0 ? '---' : '---:')).join('|')}|`];
  for (const r of t.rows)
    lines.push(`| ${[r.label.replace(/\|/g, '\\|'), ...r.cells.map((v) => fmt(v, t.view.digits)), fmt(r.average, t.view.digits)].join(' | ')} |`);
  lines.push('', `- ${t.view.source}.`, ...t.notes.map((n) => `- ${n}`));
  return `${lines.join('\n')}\n`;
}

export function renderViewCsv(t: ViewTable): string {
  const q = (s: string): string => (/[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s);
  const lines = [['model', ...t.view.columns.map((c) => c.header), t.view.average].map(q).join(',')];
  for (const r of t.rows)
    lines.push(
      [
        q(r.label),
        ...r.cells.map((v) => (v === undefined ? '' : v.toFixed(t.view.digits))),
        r.average === undefined ? '' : r.average.toFixed(t.view.digits),
      ].join(','),
    );
  return `${lines.join('\n')}\n`;
}

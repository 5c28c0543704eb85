/**
 * A self-contained HTML leaderboard: inline CSS, an inline SVG dot chart generated here, and a few
 * lines of inline script for sorting. Nothing is fetched at view time, so the page works offline
 * and as a CI artifact.
 */
import { formatPoints, formatSigned, isCorrelation } from './columns.js';
import type { Leaderboard, LeaderboardCell, LeaderboardRow } from './leaderboard.js';
import { MARK_MIXED, MARK_UNVERIFIED, leaderboardFootnotes } from './leaderboard-text.js';
import { count } from '../util/english.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// Colour-blind-safe palette (Okabe-Ito + extras) and marker shapes: a model's (colour, shape) pair
// is a hash of its row id, so it keeps its look on every page whatever rows sit beside it.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#8C564B', '#999999', '#B8A100'];
const SHAPES = ['circle', 'square', 'diamond', 'triangle'] as const;
type Shape = (typeof SHAPES)[number];

function hashId(id: string): number {
  // FNV-1a, 32 bit: small, stable across runs and platforms.
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    h ^= id.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h;
}

export interface RowStyle {
  readonly color: string;
  readonly shape: Shape;
}

/**
 * Each row's colour and marker: its hashed (colour, shape) slot, so a model looks the same on every
 * page. Two rows whose slots collide on one page: the later in id order takes the next free slot
 * (the order of rows does not matter). Two rows may share a colour, never a colour and a shape.
 */
export function rowStyles(ids: readonly string[]): Map<string, RowStyle> {
  const C = PALETTE.length;
  const n = C * SHAPES.length;
  const taken = new Set<number>();
  const out = new Map<string, RowStyle>();
  for (const id of [...ids].sort()) {
    let slot = hashId(id) % n;
    for (let k = 0; k < n && taken.has(slot); k++) slot = (slot + 1) % n;
    taken.add(slot);
    out.set(id, { color: PALETTE[slot % C]!, shape: SHAPES[Math.floor(slot / C)]! });
  }
  return out;
}

function marker(shape: Shape, cx: number, cy: number, r: number, paint: string, inner = ''): string {
  const c = (v: number): string => v.toFixed(1);
  switch (shape) {
    case 'circle':
      return `<circle cx="${c(cx)}" cy="${c(cy)}" r="${r}" ${paint}>${inner}</circle>`;
    case 'square':
      return `<rect x="${c(cx - r * 0.9)}" y="${c(cy - r * 0.9)}" width="${c(r * 1.8)}" height="${c(r * 1.8)}" ${paint}>${inner}</rect>`;
    case 'diamond':
      return `<polygon points="${c(cx)},${c(cy - r * 1.2)} ${c(cx + r * 1.2)},${c(cy)} ${c(cx)},${c(cy + r * 1.2)} ${c(cx - r * 1.2)},${c(cy)}" ${paint}>${inner}</polygon>`;
    case 'triangle':
      return `<polygon points="${c(cx)},${c(cy - r * 1.2)} ${c(cx + r * 1.1)},${c(cy + r * 0.8)} ${c(cx - r * 1.1)},${c(cy + r * 0.8)}" ${paint}>${inner}</polygon>`;
  }
}

function paintFor(kind: LeaderboardRow['kind'], style: RowStyle): string {
  // Published rows are hollow so they read as context, not as runs.
  return kind === 'reference'
    ? `fill="#fff" stroke="${style.color}" stroke-width="2"`
    : `fill="${style.color}" fill-opacity="0.9" stroke="#fff" stroke-width="0.5"`;
}

function swatch(kind: LeaderboardRow['kind'], style: RowStyle): string {
  return `<svg class="swatch" width="14" height="14" viewBox="0 0 14 14" aria-hidden="true">${marker(style.shape, 7, 7, 4.5, paintFor(kind, style))}</svg>`;
}

const CSS = `
body{font:13px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:16px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 12px}
table{border-collapse:collapse;margin:12px 0;font-variant-numeric:tabular-nums}
th,td{border-bottom:1px solid #ddd;padding:3px 5px;text-align:right;white-space:nowrap;vertical-align:top}
th{white-space:normal;min-width:40px;vertical-align:bottom}
td.model{white-space:normal;min-width:150px;max-width:210px}
.sd{color:#666;font-size:10px}
th{background:#f4f4f4;cursor:pointer;user-select:none;position:sticky;top:0}
th:hover{background:#e6eefc}
th[aria-sort=ascending]::after{content:" \\25B2";font-size:10px}
th[aria-sort=descending]::after{content:" \\25BC";font-size:10px}
td.model,th.model,td.group{text-align:left}
tr.reference td{color:#555;font-style:italic}
td.best{font-weight:700;background:#eaf6ea}
td.mixed{background:#fff3d6}
.diff{display:block;color:#666;font-size:10px;line-height:1.1}
.diff.pos{color:#1a7f37}.diff.neg{color:#b42318}
.swatch{display:inline-block;margin-right:4px;vertical-align:middle}
details summary{cursor:pointer}
details dl{display:grid;grid-template-columns:auto auto;gap:0 12px;font-size:12px;font-style:normal;color:#333;margin:6px 0;white-space:normal;max-width:520px}
details dt{font-weight:600}details dd{margin:0;word-break:break-all}
ul.notes{font-size:13px;color:#444;max-width:1100px}
svg text{font:11px system-ui,sans-serif;fill:#333}
.legend span.item{margin-right:14px;white-space:nowrap;display:inline-block}
`;

const SCRIPT = `
(function(){
  var table=document.getElementById('leaderboard');
  var heads=table.tHead.rows[0].cells;
  for (var i=0;i<heads.length;i++) (function(i){
    heads[i].addEventListener('click',function(){ sortBy(i); });
  })(i);
  function key(tr,i){ var c=tr.cells[i]; var v=c.getAttribute('data-v'); return v===null? c.textContent : (v===''? null : parseFloat(v)); }
  function sortBy(i){
    var th=heads[i];
    var dir=th.getAttribute('aria-sort')==='descending'?'ascending':'descending';
    for (var j=0;j<heads.length;j++) heads[j].removeAttribute('aria-sort');
    th.setAttribute('aria-sort',dir);
    var body=table.tBodies[0];
    var rows=Array.prototype.slice.call(body.rows);
    var s=dir==='ascending'?1:-1;
    rows.sort(function(a,b){
      var x=key(a,i), y=key(b,i);
      if (x===null && y===null) return 0;
      if (x===null) return 1;
      if (y===null) return -1;
      if (typeof x==='string') return s*x.localeCompare(y);
      return s*(x-y);
    });
    rows.forEach(function(r){ body.appendChild(r); });
  }
})();
`;

function cellHtml(c: LeaderboardCell | undefined, showDiff: boolean): string {
  if (!c) return '<td data-v="">–</td>';
  const cls = [c.best ? 'best' : '', c.mixed ? 'mixed' : ''].filter(Boolean).join(' ');
  const title = [
    `${c.value.toFixed(4)}`,
    c.std === undefined ? '' : `± ${c.std.toFixed(4)} (sample std over ${count(c.seeds ?? 0, 'seed')})`,
    c.source ? `source: ${c.source}` : '',
    !c.verified ? 'not verified' : '',
    c.mixed ? 'task fingerprints differ between runs' : '',
  ]
    .filter(Boolean)
    .join('\n');
  let inner =
    esc(formatPoints(c.value)) +
    (c.std === undefined ? '' : `<span class="sd">±${esc(formatPoints(c.std))}</span>`) +
    (c.verified ? '' : MARK_UNVERIFIED) +
    (c.mixed ? MARK_MIXED : '');
  if (showDiff && c.diff !== undefined) inner += `<span class="diff ${c.diff > 0 ? 'pos' : c.diff < 0 ? 'neg' : ''}">${esc(formatSigned(c.diff))}</span>`;
  return `<td data-v="${c.value}"${cls ? ` class="${cls}"` : ''} title="${esc(title)}">${inner}</td>`;
}

function modelCell(r: LeaderboardRow, style: RowStyle): string {
  const hover = r.config.map(([k, v]) => `${k}: ${v}`).join('\n');
  const dl = r.config.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  return `<td class="model" data-v="${esc(r.label)}" title="${esc(hover)}"><details><summary>${swatch(r.kind, style)}${esc(r.label)}</summary><dl>${dl}</dl></details></td>`;
}

interface Dot {
  readonly row: LeaderboardRow;
  readonly value: number;
  readonly std?: number;
}

/**
 * Dot chart, one panel per metric kind (accuracy/F1 in percent; correlations ×100), each panel on
 * one shared x scale so distances read the same on every line. Tasks are lines with alternating
 * bands (a label belongs to its band); dots closer than a marker's width are spread vertically
 * (deterministically, in row order) so ties stay visible; seed spread is drawn as a ±std bar.
 */
const MAX_TICKS = 40;

function tickStep(min: number, max: number): number {
  const span = max - min;
  if (!(span / 5 > MAX_TICKS)) return 5;
  const raw = span / MAX_TICKS;
  const pow = 10 ** Math.floor(Math.log10(raw));
  return [1, 2, 5, 10].map((m) => m * pow).find((s) => s >= raw) ?? raw;
}

function chartSvg(lb: Leaderboard, styles: Map<string, RowStyle>): string {
  const left = 120;
  const width = 1000;
  const right = 30;
  const plotW = width - left - right;
  const R = 5;
  const kinds: { title: string; cols: Leaderboard['columns'][number][] }[] = [
    { title: 'Accuracy / F1 (%)', cols: lb.columns.filter((c) => !isCorrelation(c.metric)) },
    { title: 'Correlation ×100', cols: lb.columns.filter((c) => isCorrelation(c.metric)) },
  ];
  const parts: string[] = [];
  let y0 = 0;
  const body: string[] = [];
  for (const kind of kinds) {
    const cols = kind.cols.filter((c) => lb.rows.some((r) => r.cells[c.id]));
    if (cols.length === 0) continue;
    const all = cols.flatMap((c) =>
      lb.rows.flatMap((r) => (r.cells[c.id] ? [r.cells[c.id]!.value - (r.cells[c.id]!.std ?? 0), r.cells[c.id]!.value + (r.cells[c.id]!.std ?? 0)] : [])),
    );
    // Ticks every 5 points; a wider span (an MSE column, a far-off value) takes a coarser 1-2-5 step,
    // so the axis has at most MAX_TICKS ticks whatever the values.
    const step = tickStep(Math.min(...all), Math.max(...all));
    const lo = Math.floor(Math.min(...all) / step) * step;
    const hi = Math.max(lo + step, Math.ceil(Math.max(...all) / step) * step);
    const ticks = Array.from(
      { length: Number.isFinite((hi - lo) / step) ? Math.min(MAX_TICKS, Math.round((hi - lo) / step)) + 1 : 0 },
      (_, i) => lo + i * step,
    );
    const x = (v: number): number => left + ((v - lo) / (hi - lo)) * plotW;
    body.push(`<text x="0" y="${y0 + 14}" style="font-weight:600;font-size:12px">${esc(kind.title)}</text>`);
    const axisY = y0 + 24;
    for (const t of ticks) {
      body.push(`<text x="${x(t).toFixed(1)}" y="${axisY}" text-anchor="middle" style="fill:#777;font-size:10px">${t}</text>`);
    }
    let y = axisY + 6;
    const gridTop = y;
    cols.forEach((c, k) => {
      const dots: Dot[] = lb.rows.flatMap((r) =>
        r.cells[c.id] ? [{ row: r, value: r.cells[c.id]!.value, ...(r.cells[c.id]!.std === undefined ? {} : { std: r.cells[c.id]!.std! }) }] : [],
      );
      // Lanes: a dot takes the first lane whose last dot is at least a marker's width to its left.
      const order = dots.map((_, i) => i).sort((a, b) => dots[a]!.value - dots[b]!.value || a - b);
      const laneEnd: number[] = [];
      const lane = new Array<number>(dots.length).fill(0);
      for (const i of order) {
        const px = x(dots[i]!.value);
        let l = laneEnd.findIndex((e) => px - e >= 2 * R + 1);
        if (l < 0) l = laneEnd.length;
        laneEnd[l] = px;
        lane[i] = l;
      }
      const lanes = Math.max(1, laneEnd.length);
      const laneH = 2 * R + 2;
      const bandH = Math.max(24, lanes * laneH + 8);
      body.push(`<rect x="0" y="${y}" width="${width}" height="${bandH}" fill="${k % 2 === 0 ? '#f6f8fb' : '#ffffff'}"/>`);
      const mid = y + bandH / 2;
      body.push(`<text x="${left - 10}" y="${(mid + 4).toFixed(1)}" text-anchor="end">${esc(c.header)}</text>`);
      body.push(`<line x1="${left}" y1="${mid.toFixed(1)}" x2="${left + plotW}" y2="${mid.toFixed(1)}" stroke="#d0d0d0"/>`);
      dots.forEach((d, i) => {
        const cy = mid + (lane[i]! - (lanes - 1) / 2) * laneH;
        const cx = x(d.value);
        const style = styles.get(d.row.id)!;
        if (d.std !== undefined && d.std > 0) {
          const a = x(d.value - d.std);
          const b = x(d.value + d.std);
          body.push(
            `<path class="errbar" d="M${a.toFixed(1)} ${cy.toFixed(1)}H${b.toFixed(1)}M${a.toFixed(1)} ${(cy - 3).toFixed(1)}v6M${b.toFixed(1)} ${(cy - 3).toFixed(1)}v6" stroke="${style.color}" stroke-width="1.5" fill="none"/>`,
          );
        }
        const tip = `<title>${esc(`${d.row.label} — ${c.header}: ${formatPoints(d.value, 2)}${d.std === undefined ? '' : ` ± ${formatPoints(d.std, 2)}`}`)}</title>`;
        body.push(marker(style.shape, cx, cy, R, `class="dot" data-row="${esc(d.row.id)}" ${paintFor(d.row.kind, style)}`, tip));
      });
      y += bandH;
    });
    for (const t of ticks) {
      body.push(`<line x1="${x(t).toFixed(1)}" y1="${gridTop}" x2="${x(t).toFixed(1)}" y2="${y}" stroke="#000" stroke-opacity="0.08"/>`);
    }
    y0 = y + 16;
  }
  parts.push(
    `<svg id="chart" xmlns="http://www.w3.org/2000/svg" width="${width}" height="${y0}" viewBox="0 0 ${width} ${y0}" style="max-width:100%;height:auto" role="img" aria-label="Per-task scores of each row">`,
  );
  parts.push(...body);
  parts.push('</svg>');
  return parts.join('');
}

export function renderHtml(lb: Leaderboard, title = 'gensen-eval leaderboard'): string {
  const showDiff = lb.baseline !== undefined;
  const styles = rowStyles(lb.rows.map((r) => r.id));
  const commonTitle = `mean over the ${count(lb.commonTasks.length, 'task')} every row has: ${lb.commonTasks.join(', ')}`;
  const head = [
    '<th class="model">Model</th>',
    '<th class="model">Protocol</th>',
    // Non-breaking hyphens: SICK-E and MNLI-m wrap at their spaces, never at the hyphen.
    ...lb.columns.map((c) => `<th title="${esc(`${c.task} ${c.metric}`)}">${esc(c.header).replace(/-/g, '\u2011')}</th>`),
    `<th title="each row's mean over the tasks it has">Avg</th>`,
    `<th title="tasks the row has, of ${lb.taskCount}">Tasks</th>`,
    `<th title="${esc(commonTitle)}">Common avg</th>`,
  ];
  const body = lb.rows.map((r) => {
    const avg =
      r.average === undefined
        ? '<td data-v="">–</td>'
        : `<td data-v="${r.average}" title="mean over the ${count(r.coverage, 'task')} this row has">${formatPoints(r.average)}</td>`;
    const cov = `<td data-v="${r.coverage}">${r.coverage}/${lb.taskCount}</td>`;
    const d = r.commonAverageDiff;
    const common =
      r.commonAverage === undefined
        ? '<td data-v="">–</td>'
        : `<td data-v="${r.commonAverage}" title="${esc(commonTitle)}">${formatPoints(r.commonAverage)}${showDiff && d !== undefined ? `<span class="diff ${d > 0 ? 'pos' : d < 0 ? 'neg' : ''}">${esc(formatSigned(d))}</span>` : ''}</td>`;
    return `<tr class="${r.kind}">${modelCell(r, styles.get(r.id)!)}<td class="group" data-v="${esc(r.group)}">${esc(r.group)}</td>${lb.columns.map((c) => cellHtml(r.cells[c.id], showDiff)).join('')}${avg}${cov}${common}</tr>`;
  });
  const notes = leaderboardFootnotes(lb)
    .map((n) => `<li>${esc(n).replace(/\*\*/g, '')}</li>`)
    .join('');
  const legend = lb.rows.map((r) => `<span class="item">${swatch(r.kind, styles.get(r.id)!)}${esc(r.label)}</span>`).join('');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(title)}</title>
<style>${CSS}</style>
</head>
<body>
<h1>${esc(title)}</h1>
<p>Click a column header to sort; open a model name for its configuration (or hover it).${lb.mixed ? ` <strong>Runs were measured under different protocols: see the notes (${MARK_MIXED}).</strong>` : ''}</p>
<div id="table-wrap" style="overflow-x:auto">
<table id="leaderboard">
<thead><tr>${head.join('')}</tr></thead>
<tbody>
${body.join('\n')}
</tbody>
</table>
</div>
<ul class="notes">${notes}</ul>
<h2 style="font-size:16px">Per-task comparison</h2>
<div class="legend">${legend}</div>
${chartSvg(lb, styles)}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

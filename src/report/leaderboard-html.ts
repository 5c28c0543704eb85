/**
 * A self-contained HTML leaderboard: inline CSS, an inline SVG dot chart generated here, and a few
 * lines of inline script for sorting. Nothing is fetched at view time, so the page works offline
 * and as a CI artifact.
 */
import { formatPoints, formatSigned } from './columns.js';
import type { Leaderboard, LeaderboardCell, LeaderboardRow } from './leaderboard.js';
import { MARK_MIXED, MARK_UNVERIFIED, leaderboardFootnotes } from './leaderboard-text.js';

function esc(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
}

// Colour-blind-safe palette (Okabe-Ito + extras); rows beyond it cycle.
const PALETTE = ['#0072B2', '#E69F00', '#009E73', '#D55E00', '#CC79A7', '#56B4E9', '#000000', '#8C564B', '#999999', '#B8A100'];

function color(i: number): string {
  return PALETTE[i % PALETTE.length];
}

const CSS = `
body{font:14px/1.4 system-ui,-apple-system,"Segoe UI",sans-serif;margin:24px;color:#222;background:#fff}
h1{font-size:20px;margin:0 0 12px}
table{border-collapse:collapse;margin:12px 0}
th,td{border-bottom:1px solid #ddd;padding:4px 8px;text-align:right;white-space:nowrap;vertical-align:top}
th{background:#f4f4f4;cursor:pointer;user-select:none;position:sticky;top:0}
th:hover{background:#e6eefc}
th[aria-sort=ascending]::after{content:" \\25B2";font-size:10px}
th[aria-sort=descending]::after{content:" \\25BC";font-size:10px}
td.model,th.model,td.group{text-align:left}
tr.reference td{color:#555;font-style:italic}
td.best{font-weight:700;background:#eaf6ea}
td.mixed{background:#fff3d6}
.diff{color:#666;font-size:11px;margin-left:3px}
.diff.pos{color:#1a7f37}.diff.neg{color:#b42318}
.swatch{display:inline-block;width:10px;height:10px;border-radius:50%;margin-right:6px;vertical-align:middle}
details summary{cursor:pointer}
details dl{display:grid;grid-template-columns:auto auto;gap:0 12px;font-size:12px;font-style:normal;color:#333;margin:6px 0;white-space:normal;max-width:520px}
details dt{font-weight:600}details dd{margin:0;word-break:break-all}
ul.notes{font-size:13px;color:#444;max-width:1100px}
svg text{font:11px system-ui,sans-serif;fill:#333}
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
  const title = [`${c.value.toFixed(4)}`, c.source ? `source: ${c.source}` : '', !c.verified ? 'not verified' : '', c.mixed ? 'task fingerprints differ between runs' : '']
    .filter(Boolean)
    .join('\n');
  let inner = esc(formatPoints(c.value)) + (c.verified ? '' : MARK_UNVERIFIED) + (c.mixed ? MARK_MIXED : '');
  if (showDiff && c.diff !== undefined) inner += `<span class="diff ${c.diff > 0 ? 'pos' : c.diff < 0 ? 'neg' : ''}">${esc(formatSigned(c.diff))}</span>`;
  return `<td data-v="${c.value}"${cls ? ` class="${cls}"` : ''} title="${esc(title)}">${inner}</td>`;
}

function modelCell(r: LeaderboardRow, i: number): string {
  const hover = r.config.map(([k, v]) => `${k}: ${v}`).join('\n');
  const dl = r.config.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join('');
  return `<td class="model" data-v="${esc(r.label)}" title="${esc(hover)}"><details><summary><span class="swatch" style="background:${color(i)}"></span>${esc(r.label)}</summary><dl>${dl}</dl></details></td>`;
}

/** Per-task dot chart: one line per column, one dot per row, each line scaled to its own range. */
function chartSvg(lb: Leaderboard): string {
  const left = 110;
  const width = 860;
  const plotW = width - left - 40;
  const rowH = 26;
  const cols = lb.columns.filter((c) => lb.rows.some((r) => r.cells[c.id]));
  const height = cols.length * rowH + 30;
  const parts: string[] = [];
  parts.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" role="img" aria-label="Per-task scores of each row">`);
  cols.forEach((c, k) => {
    const y = 20 + k * rowH;
    const vals = lb.rows.map((r) => r.cells[c.id]?.value).filter((v): v is number => v !== undefined);
    let lo = Math.floor(Math.min(...vals) - 1);
    let hi = Math.ceil(Math.max(...vals) + 1);
    if (hi - lo < 4) {
      lo -= 2;
      hi += 2;
    }
    const x = (v: number): number => left + ((v - lo) / (hi - lo)) * plotW;
    parts.push(`<text x="${left - 8}" y="${y + 4}" text-anchor="end">${esc(c.header)}</text>`);
    parts.push(`<line x1="${left}" y1="${y}" x2="${left + plotW}" y2="${y}" stroke="#ccc"/>`);
    parts.push(`<text x="${left}" y="${y + 14}" text-anchor="start" style="fill:#888;font-size:9px">${lo}</text>`);
    parts.push(`<text x="${left + plotW}" y="${y + 14}" text-anchor="end" style="fill:#888;font-size:9px">${hi}</text>`);
    lb.rows.forEach((r, i) => {
      const cell = r.cells[c.id];
      if (!cell) return;
      const cx = x(cell.value).toFixed(1);
      const tip = `<title>${esc(`${r.label} — ${c.header}: ${formatPoints(cell.value, 2)}`)}</title>`;
      // Published rows are hollow so they read as context, not as runs.
      parts.push(
        r.kind === 'reference'
          ? `<circle cx="${cx}" cy="${y}" r="5" fill="#fff" stroke="${color(i)}" stroke-width="2">${tip}</circle>`
          : `<circle cx="${cx}" cy="${y}" r="5" fill="${color(i)}" fill-opacity="0.85">${tip}</circle>`,
      );
    });
  });
  parts.push('</svg>');
  return parts.join('');
}

export function renderHtml(lb: Leaderboard, title = 'gensen-eval leaderboard'): string {
  const showDiff = lb.baseline !== undefined;
  const head = ['<th class="model">Model</th>', '<th class="model">Protocol</th>', ...lb.columns.map((c) => `<th title="${esc(`${c.task} ${c.metric}`)}">${esc(c.header)}</th>`), `<th title="${esc(`mean over ${lb.averageTasks.join(', ')}`)}">Avg</th>`];
  const body = lb.rows.map((r, i) => {
    const avg = r.average === undefined ? '<td data-v="">–</td>' : `<td data-v="${r.average}" title="mean over ${esc(lb.averageTasks.join(', '))}">${formatPoints(r.average)}${showDiff && r.averageDiff !== undefined ? `<span class="diff ${r.averageDiff > 0 ? 'pos' : r.averageDiff < 0 ? 'neg' : ''}">${esc(formatSigned(r.averageDiff))}</span>` : ''}</td>`;
    return `<tr class="${r.kind}">${modelCell(r, i)}<td class="group" data-v="${esc(r.group)}">${esc(r.group)}</td>${lb.columns.map((c) => cellHtml(r.cells[c.id], showDiff)).join('')}${avg}</tr>`;
  });
  const notes = leaderboardFootnotes(lb).map((n) => `<li>${esc(n).replace(/\*\*/g, '')}</li>`).join('');
  const legend = lb.rows.map((r, i) => `<span style="margin-right:14px"><span class="swatch" style="${r.kind === 'reference' ? `border:2px solid ${color(i)};width:7px;height:7px` : `background:${color(i)}`}"></span>${esc(r.label)}</span>`).join('');
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
<div style="overflow-x:auto">
<table id="leaderboard">
<thead><tr>${head.join('')}</tr></thead>
<tbody>
${body.join('\n')}
</tbody>
</table>
</div>
<ul class="notes">${notes}</ul>
<h2 style="font-size:16px">Per-task comparison</h2>
<div>${legend}</div>
${chartSvg(lb)}
<script>${SCRIPT}</script>
</body>
</html>
`;
}

"""The failed-record report as one self-contained HTML file: no network, opens from disk or e-mail.

Counts by entity, system and rule; failures over time; a filterable, sortable table; each record's
raw payload on demand. The data is embedded as JSON and rendered by a small inline script.
"""

from __future__ import annotations

import html
from collections import Counter
from datetime import datetime
from typing import Any

from hub.engine import codec
from hub.reports.failures import FAILURE_TABLE_COLUMNS

_CSS = """
body{font:14px/1.4 system-ui,-apple-system,Segoe UI,Roboto,sans-serif;margin:24px;color:#1d2733;background:#fafbfc}
h1{font-size:22px;margin:0 0 4px}.sub{color:#5b6b7c;margin-bottom:18px}
.cards{display:flex;gap:12px;flex-wrap:wrap;margin-bottom:18px}
.card{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:10px 14px;min-width:120px}
.card b{display:block;font-size:22px}.card.open b{color:#c0392b}
.grid{display:grid;grid-template-columns:repeat(auto-fit,minmax(240px,1fr));gap:12px;margin-bottom:18px}
.box{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:10px 14px}
.box h2{font-size:14px;margin:0 0 8px;color:#33475b}
.box table{width:100%;border-collapse:collapse}.box td{padding:2px 0}.box td.n{text-align:right;font-weight:600}
#chart{background:#fff;border:1px solid #dde3ea;border-radius:8px;padding:10px 14px;margin-bottom:18px}
#chart h2{font-size:14px;margin:0 0 8px;color:#33475b}
.filters{display:flex;gap:8px;margin-bottom:8px;flex-wrap:wrap}
.filters input,.filters select{padding:6px 8px;border:1px solid #c5d0db;border-radius:6px;font:inherit}
#search{min-width:280px}
table.list{width:100%;border-collapse:collapse;background:#fff;border:1px solid #dde3ea}
table.list th{text-align:left;background:#eef2f6;padding:6px;cursor:pointer;user-select:none;white-space:nowrap}
table.list th.sorted-asc:after{content:" \\25B2"}table.list th.sorted-desc:after{content:" \\25BC"}
table.list td{padding:6px;border-top:1px solid #eef2f6;vertical-align:top}
.status-open{color:#c0392b;font-weight:600}.status-resolved{color:#27ae60}.status-ignored{color:#7f8c8d}
button.raw{font:inherit;font-size:12px;padding:2px 8px;border:1px solid #c5d0db;border-radius:4px;background:#fff;cursor:pointer}
tr.payload td{background:#f6f8fa}pre{margin:0;white-space:pre-wrap;word-break:break-all;font-size:12px}
#shown{color:#5b6b7c;margin:6px 0}
"""

_JS = """
const rows = JSON.parse(document.getElementById('data').textContent);
const cols = JSON.parse(document.getElementById('cols').textContent);
let sortCol = 'last_seen', sortDir = -1;
const $ = (id) => document.getElementById(id);
function options(sel, name) {
  [...new Set(rows.map(r => r[name]).filter(v => v !== null))].sort().forEach(v => {
    const o = document.createElement('option'); o.value = v; o.textContent = v; sel.appendChild(o); });
}
options($('f-entity'), 'entity'); options($('f-system'), 'system'); options($('f-status'), 'status');
function matches(r) {
  const q = $('search').value.trim().toLowerCase();
  if ($('f-entity').value && r.entity !== $('f-entity').value) return false;
  if ($('f-system').value && r.system !== $('f-system').value) return false;
  if ($('f-status').value && r.status !== $('f-status').value) return false;
  if (!q) return true;
  return cols.concat(['raw']).some(c => r[c] !== null && String(r[c]).toLowerCase().includes(q));
}
function cell(r, c) {
  const td = document.createElement('td');
  let v = r[c] === null ? '' : String(r[c]);
  if (c === 'last_seen') v = v.slice(0, 19).replace('T', ' ');
  td.textContent = v;
  if (c === 'status') td.className = 'status-' + v;
  return td;
}
function render() {
  const body = $('rows'); body.innerHTML = '';
  const shown = rows.filter(matches).sort((a, b) => {
    const x = a[sortCol], y = b[sortCol];
    if (x === y) return 0; if (x === null) return 1; if (y === null) return -1;
    return (x < y ? -1 : 1) * sortDir; });
  shown.forEach(r => {
    const tr = document.createElement('tr'); tr.dataset.id = r.id;
    cols.forEach(c => tr.appendChild(cell(r, c)));
    const td = document.createElement('td'); const b = document.createElement('button');
    b.className = 'raw'; b.textContent = 'raw'; b.onclick = () => toggle(tr, r); td.appendChild(b); tr.appendChild(td);
    body.appendChild(tr); });
  $('shown').textContent = shown.length + ' of ' + rows.length + ' failed records shown';
  document.querySelectorAll('table.list th[data-col]').forEach(th => {
    th.className = th.dataset.col === sortCol ? (sortDir > 0 ? 'sorted-asc' : 'sorted-desc') : ''; });
}
function toggle(tr, r) {
  const next = tr.nextSibling;
  if (next && next.classList && next.classList.contains('payload')) { next.remove(); return; }
  const p = document.createElement('tr'); p.className = 'payload';
  const td = document.createElement('td'); td.colSpan = cols.length + 1;
  const pre = document.createElement('pre');
  let text = r.raw === null ? '(no payload)' : r.raw;
  try { text = JSON.stringify(JSON.parse(text), null, 2); } catch (e) {}
  pre.textContent = text; td.appendChild(pre); p.appendChild(td); tr.after(p);
}
document.querySelectorAll('table.list th[data-col]').forEach(th => th.onclick = () => {
  const c = th.dataset.col; sortDir = (c === sortCol) ? -sortDir : 1; sortCol = c; render(); });
let shownFor = null;
function refresh() {  // only when a filter really changed (a blur must not close open payloads)
  const state = ['search','f-entity','f-system','f-status'].map(id => $(id).value).join('\u0001');
  if (state !== shownFor) { shownFor = state; render(); }
}
['search','f-entity','f-system','f-status'].forEach(id => ['input', 'change'].forEach(
  kind => $(id).addEventListener(kind, refresh)));
refresh();
"""


def _counts_box(title: str, counts: Counter[str]) -> str:
    lines = "".join(
        f"<tr><td>{html.escape(str(name))}</td><td class='n'>{n}</td></tr>"
        for name, n in counts.most_common(12)
    )
    return f"<div class='box'><h2>{html.escape(title)}</h2><table>{lines}</table></div>"


def _chart(rows: list[dict[str, Any]]) -> str:
    """Failures first seen per day (per hour when they all fall within two days), as inline SVG bars."""
    stamps = [datetime.fromisoformat(r["first_seen"]) for r in rows if r.get("first_seen")]
    if not stamps:
        return "<div id='chart'><h2>Failures over time</h2><p>none</p></div>"
    hourly = (max(stamps) - min(stamps)).total_seconds() < 2 * 86400
    fmt = "%Y-%m-%d %H:00" if hourly else "%Y-%m-%d"
    buckets = Counter(s.strftime(fmt) for s in stamps)
    labels = sorted(buckets)
    width, height, pad = 720, 160, 30
    bar = min(48, max(4, (width - 2 * pad) // max(1, len(labels)) - 4))
    top = max(buckets.values())
    bars = []
    for i, label in enumerate(labels):
        h = int((height - 2 * pad) * buckets[label] / top)
        x = pad + i * (bar + 4)
        bars.append(
            f"<rect x='{x}' y='{height - pad - h}' width='{bar}' height='{h}' fill='#c0392b'>"
            f"<title>{html.escape(label)}: {buckets[label]}</title></rect>"
            f"<text x='{x + bar / 2}' y='{height - pad - h - 4}' font-size='11' text-anchor='middle'>{buckets[label]}</text>"
        )
    last_x = pad + (len(labels) - 1) * (bar + 4) + bar
    axis = f"<text x='{pad}' y='{height - 8}' font-size='11'>{html.escape(labels[0])}</text>"
    if len(labels) > 1:
        axis += f"<text x='{last_x}' y='{height - 8}' font-size='11' text-anchor='end'>{html.escape(labels[-1])}</text>"
    unit = "hour" if hourly else "day"
    return (
        f"<div id='chart'><h2>Failures first seen per {unit}</h2>"
        f"<svg width='{width}' height='{height}' role='img' aria-label='failures over time'>{''.join(bars)}{axis}</svg></div>"
    )


def failures_html(rows: list[dict[str, Any]], *, generated_at: datetime, source: str) -> str:
    """The report for ``rows`` as returned by ``list_failures(with_raw=True)``."""
    status = Counter(r["status"] for r in rows)
    cards = "".join(
        f"<div class='card {name}'><span>{name}</span><b>{status.get(name, 0)}</b></div>"
        for name in ("open", "retrying", "resolved", "ignored")
    )
    boxes = "".join(
        (
            _counts_box("By entity", Counter(r["entity"] for r in rows)),
            _counts_box("By system", Counter(r["system"] for r in rows)),
            _counts_box("By rule", Counter(r["rule"] or "-" for r in rows)),
            _counts_box("By stage", Counter(r["stage"] for r in rows)),
        )
    )
    headers = "".join(f"<th data-col='{c}'>{c.replace('_', ' ')}</th>" for c in FAILURE_TABLE_COLUMNS)
    data = codec.dumps(rows).replace("<", "\\u003c")  # nothing in a payload can close the script element
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>Failed records</title>
<meta name="viewport" content="width=device-width, initial-scale=1"><style>{_CSS}</style></head>
<body>
<h1>Failed records</h1>
<div class="sub">{len(rows)} records &middot; generated {html.escape(generated_at.isoformat(timespec="seconds"))}
 &middot; {html.escape(source)}</div>
<div class="cards"><div class="card"><span>total</span><b id="total">{len(rows)}</b></div>{cards}</div>
<div class="grid">{boxes}</div>
{_chart(rows)}
<div class="filters">
<input id="search" type="search" placeholder="Search key, rule, message, payload...">
<select id="f-entity"><option value="">all entities</option></select>
<select id="f-system"><option value="">all systems</option></select>
<select id="f-status"><option value="">all statuses</option></select>
</div>
<div id="shown"></div>
<table class="list"><thead><tr>{headers}<th>payload</th></tr></thead><tbody id="rows"></tbody></table>
<script type="application/json" id="data">{data}</script>
<script type="application/json" id="cols">{codec.dumps(list(FAILURE_TABLE_COLUMNS))}</script>
<script>{_JS}</script>
</body></html>
"""

// The HTML of `charrnn report`: one self-contained page (no network: the chart library's code and style are
// inlined, the data is a JSON script element) with a summary of every run, the charts of report-data.ts drawn by
// uPlot (several runs overlaid) and the samples over time. Deliberately pure: the caller passes the library's
// text (src/report/assets.ts reads it), so this file does no I/O and runs in a page too.
import type { Chart, ReportRun } from './report-data.js';
import { escapeHtml, scriptJson } from './html.js';

export interface ReportAssets {
  /** uPlot's IIFE build (defines the global `uPlot`). */
  uplotJs: string;
  /** uPlot's stylesheet. */
  uplotCss: string;
}

export interface ReportOptions {
  title?: string;
  /** When the report was made (default: now). */
  date?: Date;
}

/** The id of the script element holding the report's data as JSON (runs' summaries and the charts). */
export const REPORT_DATA_ID = 'charrnn-report-data';

/** "1:02:03" / "2:03" for seconds. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '—';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

function fixed(v: unknown, digits: number): string {
  return typeof v === 'number' && Number.isFinite(v) ? v.toFixed(digits) : '—';
}

/** One summary row per run: model, corpus, settings and where it ended. */
function summaryRow(run: ReportRun, color: string): string {
  const s = (run.start ?? {}) as {
    model?: { config?: Record<string, unknown>; parameters?: number; backend?: string };
    corpus?: { ref?: string };
    settings?: Record<string, unknown>;
    date?: string;
  };
  const end = (run.end ?? {}) as Record<string, unknown>;
  const c = s.model?.config ?? {};
  const model =
    c.cell !== undefined
      ? `${String(c.cell)} ×${String(c.layers)} hidden ${String(c.hiddenSize)}` +
        (c.embeddingSize ? ` emb ${String(c.embeddingSize)}` : '') +
        (s.model?.parameters !== undefined
          ? ` (${s.model.parameters.toLocaleString('en-US')} params, ${s.model.backend})`
          : '')
      : '—';
  const st = s.settings ?? {};
  const settings = Object.entries(st)
    .filter(([, v]) => v !== undefined && v !== null)
    .map(([k, v]) => `${k} ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join(', ');
  const lastIter = run.progress.iteration.at(-1) ?? run.validation.iteration.at(-1);
  const lastVal = run.validation.values.valLoss?.at(-1);
  const lastBpc = run.validation.values.valBitsPerChar?.at(-1);
  const cells = [
    `<span class="swatch" style="background:${color}"></span>${escapeHtml(run.name)}`,
    escapeHtml(model),
    escapeHtml(s.corpus?.ref ?? '—'),
    escapeHtml(settings || '—'),
    String(end.iteration ?? lastIter ?? '—'),
    formatDuration(typeof end.elapsed === 'number' ? end.elapsed : (run.progress.elapsed.at(-1) ?? NaN)),
    `${fixed(end.valLoss ?? lastVal, 4)} / ${fixed(end.valBitsPerChar ?? lastBpc, 3)}`,
    escapeHtml(
      end.type === 'error' ? `error: ${String(end.message)}` : String(end.stoppedBy ?? 'running or killed'),
    ),
    String(run.sessions),
  ];
  return `<tr>${cells.map((c) => `<td>${c}</td>`).join('')}</tr>`;
}

/**
 * A confusion matrix as a picture: a table whose cells are shaded by the fraction of their row (the true label) they
 * hold, counts written in them, the diagonal outlined; the recall of each label at the end of its row.
 */
export function confusionHtml(c: {
  labels: readonly string[];
  matrix: readonly (readonly number[])[];
}): string {
  const head = c.labels
    .map((l) => `<th class="cm-col" title="${escapeHtml(l)}">${escapeHtml(l)}</th>`)
    .join('');
  const rows = c.matrix
    .map((row, t) => {
      const total = row.reduce((a, b) => a + b, 0);
      const cells = row
        .map((v, p) => {
          const f = total > 0 ? v / total : 0;
          const style = `background:rgba(31,119,180,${f.toFixed(3)});color:${f > 0.55 ? '#fff' : '#222'}`;
          return `<td class="${p === t ? 'cm diag' : 'cm'}" style="${style}" title="${escapeHtml(c.labels[t])} → ${escapeHtml(c.labels[p])}: ${v}">${v === 0 ? '' : v}</td>`;
        })
        .join('');
      const recall = total > 0 ? `${((100 * row[t]) / total).toFixed(1)}%` : '—';
      return `<tr><th>${escapeHtml(c.labels[t])}</th>${cells}<td class="muted">${recall}</td></tr>`;
    })
    .join('\n');
  return `<table class="confusion"><thead><tr><th>true \\ predicted</th>${head}<th>recall</th></tr></thead>
<tbody>
${rows}
</tbody></table>`;
}

const PALETTE = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#e377c2', '#17becf'];

/** The page's own script: draws every chart of the data element with uPlot. */
const PAGE_SCRIPT = `(function () {
  var data = JSON.parse(document.getElementById('${REPORT_DATA_ID}').textContent);
  var palette = ${JSON.stringify(PALETTE)};
  function pad(n) { return (n < 10 ? '0' : '') + n; }
  // Seconds as h:mm:ss / m:ss, or as seconds with a decimal when the whole axis spans under two minutes.
  function fmtTime(v, short) {
    if (v == null) return '';
    if (short) return (Math.round(v * 10) / 10) + ' s';
    var s = Math.round(v), h = Math.floor(s / 3600), m = Math.floor((s % 3600) / 60);
    return (h > 0 ? h + ':' + pad(m) : String(m)) + ':' + pad(s % 60);
  }
  // Each chart's uPlot instance by chart id, for the browser console (and the browser tests).
  var plots = (window.charrnnCharts = {});
  data.charts.forEach(function (c) {
    var el = document.getElementById(c.id);
    if (c.xs.length === 0) { el.textContent = c.title + ': no points to draw.'; return; }
    var time = c.x === 'time';
    var short = time && c.xs[c.xs.length - 1] < 120;
    var xSeries = { label: time ? 'time' : 'iteration' };
    var xAxis = { label: time ? (short ? 'time (s)' : 'time (h:mm:ss)') : 'iteration' };
    if (time) {
      xSeries.value = function (u, v) { return fmtTime(v, short); };
      xAxis.values = function (u, vals) { return vals.map(function (v) { return fmtTime(v, short); }); };
    }
    var series = [xSeries];
    c.series.forEach(function (s) {
      var color = palette[s.run % palette.length];
      var one = { label: s.label, stroke: color, width: s.style === 'points' ? 1 : 1.5, spanGaps: true };
      if (s.style === 'points') {
        one.dash = [5, 4];
        one.points = { show: true, size: 6, fill: color, stroke: color };
      } else one.points = { show: false };
      series.push(one);
    });
    var opts = {
      title: c.title, width: Math.max(480, Math.min(el.clientWidth || 960, 1200)), height: 320,
      scales: { x: { time: false }, y: c.log ? { distr: 3 } : {} },
      axes: [xAxis, { label: c.y, size: 72 }],
      series: series
    };
    el.setAttribute('data-points', String(c.xs.length));
    plots[c.id] = new uPlot(opts, [c.xs].concat(c.series.map(function (s) { return s.values; })), el);
  });
})();`;

/**
 * The report page over `runs` (from runsFromRecords) and their `charts` (reportCharts). Throws a RangeError when
 * there is nothing to report.
 */
export function renderReport(
  runs: readonly ReportRun[],
  charts: readonly Chart[],
  assets: ReportAssets,
  options: ReportOptions = {},
): string {
  if (runs.length === 0)
    throw new RangeError('Expected at least one run with records for the report but received none');
  if (/<\/script/i.test(assets.uplotJs))
    throw new RangeError('The chart library holds "</script" and cannot be inlined');
  const title = options.title ?? `charrnn report: ${runs.map((r) => r.name).join(', ')}`;
  const date = (options.date ?? new Date()).toISOString();
  const color = (i: number) => PALETTE[i % PALETTE.length];
  const samples = runs
    .map((run, i) => {
      if (run.samples.length === 0) return '';
      const rows = run.samples
        .map(
          (s) =>
            `<tr><td>${s.iteration.toLocaleString('en-US')}</td><td>${formatDuration(s.elapsed)}</td><td><pre>${escapeHtml(s.text)}</pre></td></tr>`,
        )
        .join('\n');
      return `<details open><summary><span class="swatch" style="background:${color(i)}"></span>${escapeHtml(run.name)}: ${run.samples.length} sample${run.samples.length > 1 ? 's' : ''}</summary>
<table class="samples"><thead><tr><th>iteration</th><th>time</th><th>sample</th></tr></thead><tbody>
${rows}
</tbody></table></details>`;
    })
    .filter((s) => s !== '')
    .join('\n');
  const notes = runs
    .flatMap((run) =>
      run.notes.map(
        ([it, el, what]) =>
          `<li>${escapeHtml(run.name)}: iteration ${it.toLocaleString('en-US')} (${formatDuration(el)}): ${escapeHtml(what)}</li>`,
      ),
    )
    .join('\n');
  const confusions = runs
    .filter((run) => run.confusion !== undefined)
    .map(
      (run) =>
        `<h3>${escapeHtml(run.name)}: validation at iteration ${run.confusion!.iteration.toLocaleString('en-US')}</h3>\n${confusionHtml(run.confusion!)}`,
    )
    .join('\n');
  const data = {
    runs: runs.map((r) => ({ name: r.name, start: r.start, end: r.end, sessions: r.sessions })),
    charts,
  };
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="charrnn report">
<title>${escapeHtml(title)}</title>
<style>
${assets.uplotCss}
body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em auto; max-width: 1240px; padding: 0 1em; color: #222; }
h1 { font-size: 1.4em; } h2 { font-size: 1.15em; margin-top: 1.6em; }
table { border-collapse: collapse; } td, th { border-bottom: 1px solid #ddd; padding: 4px 8px; text-align: left; vertical-align: top; }
.swatch { display: inline-block; width: 0.9em; height: 0.9em; margin-right: 0.4em; vertical-align: -0.1em; border-radius: 2px; }
.chart { margin: 1em 0; min-height: 340px; }
pre { margin: 0; white-space: pre-wrap; font-size: 12px; max-height: 12em; overflow: auto; }
.muted { color: #777; }
table.confusion td.cm { text-align: right; min-width: 2.2em; border: 1px solid #eee; font-variant-numeric: tabular-nums; }
table.confusion td.diag { outline: 2px solid #222; outline-offset: -2px; }
table.confusion th.cm-col { writing-mode: vertical-rl; transform: rotate(180deg); font-weight: normal; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
<p class="muted">Made by charrnn report on ${escapeHtml(date)}. Training loss: mean per logged interval; validation: the whole validation split.</p>
<h2>Runs</h2>
<table class="runs"><thead><tr><th>run</th><th>model</th><th>corpus</th><th>settings</th><th>iterations</th><th>time</th><th>validation loss / bits per token</th><th>stopped by</th><th>sessions</th></tr></thead>
<tbody>
${runs.map((r, i) => summaryRow(r, color(i))).join('\n')}
</tbody></table>
<h2>Charts</h2>
${charts.map((c) => `<div class="chart" id="${c.id}"></div>`).join('\n')}
${confusions ? `<h2>Confusion matrices</h2>\n${confusions}` : ''}
${notes ? `<h2>Events</h2>\n<ul>\n${notes}\n</ul>` : ''}
${samples ? `<h2>Samples</h2>\n${samples}` : ''}
<script type="application/json" id="${REPORT_DATA_ID}">${scriptJson(data)}</script>
<script>
${assets.uplotJs}
</script>
<script>
${PAGE_SCRIPT}
</script>
</body>
</html>
`;
}

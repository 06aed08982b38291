// From run-log records to what a report draws: per run, the training and validation curves (by iteration and by
// time), learning rate, gradient norm, chars/s, the samples and a summary; then charts with one shared x axis for
// several runs overlaid (null where a run has no point). Iterations a resumed session or a roll-back redid are
// dropped, so every curve runs forward. Deliberately pure (no files, no HTML).
import type { ParsedRecord } from '../train/run-log.js';

/** Points kept per curve: longer ones are averaged in buckets (a chart has fewer pixels than that anyway). */
export const MAX_POINTS = 3000;

export interface RunCurves {
  iteration: number[];
  elapsed: number[];
  values: Record<string, (number | null)[]>;
}

export interface ReportRun {
  name: string;
  /** The first 'start' (or 'resume') record's fields, as logged. */
  start: Record<string, unknown> | null;
  /** The last 'end' (or 'error') record's fields. */
  end: Record<string, unknown> | null;
  sessions: number;
  progress: RunCurves;
  validation: RunCurves;
  samples: { iteration: number; elapsed: number; text: string }[];
  /** Learning-rate cuts, roll-backs, best checkpoints: [iteration, elapsed, what]. */
  notes: [number, number, string][];
  /** A classify / tag run: the confusion matrix of its last validation (rows: true label, columns: predicted). */
  confusion?: { iteration: number; labels: string[]; matrix: number[][] };
}

/** A logged confusion matrix, when `v` is one ({ labels: string[], matrix: C × C counts }). */
function confusionOf(v: unknown): { labels: string[]; matrix: number[][] } | undefined {
  if (v === null || typeof v !== 'object') return undefined;
  const { labels, matrix } = v as { labels?: unknown; matrix?: unknown };
  if (!Array.isArray(labels) || !labels.every((l) => typeof l === 'string')) return undefined;
  const C = labels.length;
  if (
    !Array.isArray(matrix) ||
    matrix.length !== C ||
    !matrix.every((row) => Array.isArray(row) && row.length === C && row.every((x) => num(x) !== null))
  )
    return undefined;
  return { labels: labels as string[], matrix: matrix as number[][] };
}

const num = (v: unknown): number | null => (typeof v === 'number' && Number.isFinite(v) ? v : null);

/**
 * Split a log into runs (a 'start' record begins one; 'resume' continues the current one) and gather each run's
 * curves. `name` names the runs (a second run in one file gets " #2", …).
 */
export function runsFromRecords(records: readonly ParsedRecord[], name: string): ReportRun[] {
  const runs: ReportRun[] = [];
  let run: ReportRun | undefined;
  let progress: Record<string, unknown>[] = [];
  let validation: Record<string, unknown>[] = [];
  const finish = () => {
    if (!run) return;
    run.progress = curves(progress, [
      'meanLoss',
      'smoothLoss',
      'loss',
      'lr',
      'gradNorm',
      'charsPerSec',
      'trainTime',
    ]);
    run.validation = curves(validation, ['valLoss', 'valBitsPerChar', 'valPerplexity', 'lr', 'valAccuracy']);
    const last = validation.findLast((r) => confusionOf(r.confusion) !== undefined);
    if (last) run.confusion = { iteration: last.iteration as number, ...confusionOf(last.confusion)! };
    runs.push(run);
  };
  const begin = (r: Record<string, unknown> | null) => {
    finish();
    run = {
      name: runs.length === 0 ? name : `${name} #${runs.length + 1}`,
      start: r,
      end: null,
      sessions: r ? 1 : 0,
      progress: { iteration: [], elapsed: [], values: {} },
      validation: { iteration: [], elapsed: [], values: {} },
      samples: [],
      notes: [],
    };
    progress = [];
    validation = [];
  };
  /** Forget what came after `iteration` (it was trained again). */
  const rewind = (iteration: number) => {
    const keep = (r: { iteration?: unknown }) => typeof r.iteration === 'number' && r.iteration <= iteration;
    progress = progress.filter(keep);
    validation = validation.filter(keep);
    run!.samples = run!.samples.filter(keep);
    run!.notes = run!.notes.filter(([i]) => i <= iteration);
  };
  for (const rec of records) {
    const r = rec as Record<string, unknown>;
    const iteration = num(r.iteration);
    const elapsed = num(r.elapsed) ?? 0;
    if (r.type === 'start') {
      begin(r);
      continue;
    }
    if (!run) begin(null);
    const cur = run!;
    switch (r.type) {
      case 'resume':
        cur.start ??= r;
        cur.sessions++;
        if (iteration !== null) rewind(iteration);
        break;
      case 'progress':
        if (iteration !== null) progress.push(r);
        break;
      case 'eval':
        if (iteration !== null) validation.push(r);
        break;
      case 'sample':
        if (iteration !== null && typeof r.text === 'string')
          cur.samples.push({ iteration, elapsed, text: r.text });
        break;
      case 'rollback': {
        const to = num(r.to);
        if (to !== null) rewind(to);
        cur.notes.push([to ?? iteration ?? 0, elapsed, `roll-back: ${String(r.reason)}; lr ${String(r.lr)}`]);
        break;
      }
      case 'lr':
        if (r.reason === 'plateau')
          cur.notes.push([iteration ?? 0, elapsed, `lr lowered to ${String(r.lr)} (plateau)`]);
        break;
      case 'checkpoint':
        if (r.reason === 'best') cur.notes.push([iteration ?? 0, elapsed, 'new best validation loss']);
        break;
      case 'end':
      case 'error':
        cur.end = r;
        break;
    }
  }
  finish();
  return runs.filter(
    (r) => r.start !== null || r.progress.iteration.length > 0 || r.validation.iteration.length > 0,
  );
}

/** Columns of `fields` from records sorted by iteration (one per iteration: the last), at most MAX_POINTS. */
function curves(records: Record<string, unknown>[], fields: string[]): RunCurves {
  const byIter = new Map<number, Record<string, unknown>>();
  for (const r of records) byIter.set(r.iteration as number, r);
  const rows = [...byIter.values()].sort((a, b) => (a.iteration as number) - (b.iteration as number));
  const out: RunCurves = {
    iteration: [],
    elapsed: [],
    values: Object.fromEntries(fields.map((f) => [f, []])),
  };
  const n = rows.length;
  const buckets = Math.min(n, MAX_POINTS);
  for (let j = 0; j < buckets; j++) {
    const from = Math.floor((j * n) / buckets);
    const to = Math.floor(((j + 1) * n) / buckets);
    const last = rows[to - 1];
    out.iteration.push(last.iteration as number);
    out.elapsed.push(num(last.elapsed) ?? 0);
    for (const f of fields) {
      let sum = 0;
      let count = 0;
      for (let i = from; i < to; i++) {
        const v = num(rows[i][f]);
        if (v !== null) {
          sum += v;
          count++;
        }
      }
      out.values[f].push(count > 0 ? sum / count : null);
    }
  }
  return out;
}

export interface ChartSeries {
  label: string;
  /** Index of the run (for its colour). */
  run: number;
  /** 'line' (training figures) or 'points' (validations: points joined by a dashed line). */
  style: 'line' | 'points';
  values: (number | null)[];
}

export interface Chart {
  id: string;
  title: string;
  /** 'iteration' or 'time' (seconds). */
  x: 'iteration' | 'time';
  y: string;
  /** Logarithmic y axis (learning rate). */
  log?: boolean;
  xs: number[];
  series: ChartSeries[];
}

/** Merge per-run (x, y) series onto one sorted x axis, null where a series has no point. */
function overlay(
  parts: { label: string; run: number; style: ChartSeries['style']; x: number[]; y: (number | null)[] }[],
): { xs: number[]; series: ChartSeries[] } {
  const xs = [...new Set(parts.flatMap((p) => p.x))].sort((a, b) => a - b);
  const index = new Map(xs.map((x, i) => [x, i]));
  const series = parts.map((p) => {
    const values: (number | null)[] = new Array<number | null>(xs.length).fill(null);
    p.x.forEach((x, i) => (values[index.get(x)!] = p.y[i]));
    return { label: p.label, run: p.run, style: p.style, values };
  });
  return { xs, series };
}

/** The charts of a report over `runs`. */
export function reportCharts(runs: readonly ReportRun[]): Chart[] {
  const loss = (x: 'iteration' | 'time') =>
    overlay(
      runs.flatMap((r, i) => [
        {
          label: `${r.name} training`,
          run: i,
          style: 'line' as const,
          x: x === 'iteration' ? r.progress.iteration : r.progress.elapsed,
          y: r.progress.values.meanLoss,
        },
        {
          label: `${r.name} validation`,
          run: i,
          style: 'points' as const,
          x: x === 'iteration' ? r.validation.iteration : r.validation.elapsed,
          y: r.validation.values.valLoss,
        },
      ]),
    );
  const one = (field: string, x: 'iteration' | 'time') =>
    overlay(
      runs.map((r, i) => ({
        label: r.name,
        run: i,
        style: 'line' as const,
        x: x === 'iteration' ? r.progress.iteration : r.progress.elapsed,
        y: r.progress.values[field],
      })),
    );
  const accuracy = runs.some((r) => r.validation.values.valAccuracy?.some((v) => v !== null))
    ? [
        {
          id: 'accuracy',
          title: 'Validation accuracy (classify / tag runs)',
          x: 'iteration' as const,
          y: 'accuracy',
          ...overlay(
            runs.map((r, i) => ({
              label: r.name,
              run: i,
              style: 'points' as const,
              x: r.validation.iteration,
              y: r.validation.values.valAccuracy,
            })),
          ),
        },
      ]
    : [];
  return [
    ...accuracy,
    {
      id: 'loss-iter',
      title: 'Loss by iteration',
      x: 'iteration',
      y: 'loss (nats/token)',
      ...loss('iteration'),
    },
    { id: 'loss-time', title: 'Loss by time', x: 'time', y: 'loss (nats/token)', ...loss('time') },
    {
      id: 'lr',
      title: 'Learning rate',
      x: 'iteration',
      y: 'learning rate',
      log: true,
      ...one('lr', 'iteration'),
    },
    { id: 'speed', title: 'Speed', x: 'time', y: 'chars/s', ...one('charsPerSec', 'time') },
    {
      id: 'grad',
      title: 'Gradient norm',
      x: 'iteration',
      y: 'global gradient norm',
      ...one('gradNorm', 'iteration'),
    },
  ];
}

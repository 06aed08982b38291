// Issue 16: choose and check the training presets (src/train/presets.ts) by measurement on tinyshakespeare (last 10%
// held out, as W5). Two modes, each running `charrnn train` (from source) in sequence, one run log per run:
//
//   npm run quality:presets -- --preset 5min [--seeds 1,2] [--threads 2]
//       the preset itself for each seed; prints the quality table: validation loss (nats/char) at each minute of
//       wall time from the run logs, the training time (validation excluded) at that point, and the final loss.
//   npm run quality:presets -- --sweep 5min [--budget 120] [--seeds 1] [--parallel 2] [--only a,b]
//       every candidate recipe of that sweep (CANDIDATES below) for --budget seconds (default: the preset's), and a
//       table of final validation losses. --parallel 2 runs two at once with --threads 1 each (a cheap proxy on a
//       shared machine: both see the same load).
//
// Common: --out DIR (default /tmp/charrnn-presets: models and run logs), --extra "ARGS" appended to every run,
// --no-run to print the tables from the run logs already in --out.
// The machine's load average is printed with every run: on a shared machine the numbers are pessimistic and noisy.
import { spawn } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readRunLog } from '../src/train/run-log-file.js';
import { getPreset } from '../src/train/presets.js';

/**
 * Candidate recipes: CLI arguments on top of `--preset BASE` (so a candidate names only what it changes). The runs in
 * docs/presets.md before the presets took weight decay 0.1 (2026-12-07) were on top of the recipes without it.
 */
const CANDIDATES: Record<string, { base: string; runs: Record<string, string[]> }> = {
  '5min': {
    base: '5min',
    runs: {
      // W3 + dropout 0.1 (constant lr 2e-3) but with the preset's Adam betas 0.9/0.99: the reference
      'w3-const': ['--lr', '2e-3', '--lr-schedule', 'none', '--dropout', '0.1'],
      'w3-cosine': ['--lr', '2e-3', '--dropout', '0.1'],
      'lr3e-3-cosine': ['--lr', '3e-3'],
      'lr4e-3-cosine': ['--lr', '4e-3'],
      'h384-d0.2': ['--hidden', '384', '--dropout', '0.2', '--lr', '3e-3'],
      't128-b16': ['--seq-length', '128', '--batch-size', '16', '--lr', '3e-3'],
      'b64-lr4e-3': ['--batch-size', '64', '--lr', '4e-3'],
      'l3-h256': ['--layers', '3', '--lr', '3e-3'],
      'lr4e-3-cosine0.1': ['--lr', '4e-3', '--lr-schedule', 'cosine:0.1'],
      'lr6e-3-cosine': ['--lr', '6e-3'], // the preset
      'lr8e-3-cosine': ['--lr', '8e-3'],
      // At the full 5-minute compute (~3.8k iterations, ~7.5 epochs) dropout 0.1 overfits: train 1.26, validation 1.47
      'd0.2': ['--dropout', '0.2'],
      'd0.3': ['--dropout', '0.3'],
      // Longer context per chunk (fewer, larger updates), and a larger batch (a larger recurrent gemm, faster per char)
      t100: ['--seq-length', '100'],
      b64: ['--batch-size', '64'],
      // Decoupled weight decay (AdamW): another regulariser than dropout
      'wd0.1': ['--weight-decay', '0.1'], // the preset since
      'wd0.3': ['--weight-decay', '0.3'],
      wd0: ['--weight-decay', '0'], // the preset before
    },
  },
  '15min': {
    base: '15min',
    runs: {
      'h384-d0.2': [],
      'h256-d0.1': ['--hidden', '256', '--dropout', '0.1'],
      'h512-d0.3': ['--hidden', '512', '--dropout', '0.3', '--lr', '2e-3'],
      't128-b16': ['--seq-length', '128', '--batch-size', '16'],
    },
  },
  '60min': {
    base: '60min',
    runs: {
      'h512-d0.3': [],
      'h384-d0.2': ['--hidden', '384', '--dropout', '0.2', '--lr', '3e-3'],
      'l3-h512': ['--layers', '3'],
    },
  },
};

const { values } = parseArgs({
  options: {
    preset: { type: 'string' },
    sweep: { type: 'string' },
    budget: { type: 'string' },
    seeds: { type: 'string', default: '1' },
    threads: { type: 'string' },
    parallel: { type: 'string', default: '1' },
    only: { type: 'string' },
    out: { type: 'string', default: '/tmp/charrnn-presets' },
    extra: { type: 'string', default: '' },
    chars: { type: 'string' },
    'no-run': { type: 'boolean', default: false },
  },
});
if ((values.preset === undefined) === (values.sweep === undefined))
  throw new RangeError('Expected exactly one of --preset NAME or --sweep NAME');
const seeds = values.seeds.split(',').map((s) => {
  const n = Number(s);
  if (!Number.isInteger(n) || n < 0)
    throw new RangeError(`Expected --seeds to be integers but received ${s}`);
  return n;
});
const parallel = Number(values.parallel);
if (parallel !== 1 && parallel !== 2)
  throw new RangeError(`Expected --parallel 1 or 2 but received ${parallel}`);
const threads = values.threads ?? (parallel === 2 ? '1' : undefined);
const extra = values.extra.split(/\s+/).filter((a) => a !== '');
mkdirSync(values.out, { recursive: true });
const root = new URL('../', import.meta.url).pathname;

interface Run {
  label: string;
  seed: number;
  args: string[];
}
interface Outcome extends Run {
  log: string;
  loadBefore: number;
  loadAfter: number;
  code: number | null;
}

const load1 = () => loadavg()[0];

function runOne(run: Run): Promise<Outcome> {
  const base = join(values.out, `${run.label}-seed${run.seed}`);
  const args = [
    '--import',
    'tsx',
    join(root, 'src/cli/main.ts'),
    'train',
    '--corpus',
    'shakespeare',
    ...run.args,
    '--seed',
    String(run.seed),
    '--out',
    `${base}.safetensors`,
    '--log',
    `${base}.log.jsonl`,
    '--checkpoint-interval',
    '0',
    '--no-progress',
    '--no-chart',
    ...(threads !== undefined ? ['--threads', threads] : []),
    ...extra,
  ];
  const loadBefore = load1();
  console.error(
    `[${new Date().toISOString().slice(11, 19)}] ${run.label} seed ${run.seed}: charrnn ${args.slice(3).join(' ')}`,
  );
  return new Promise((resolve) => {
    const child = spawn(process.execPath, args, { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let tail = '';
    child.stderr.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-2000)));
    child.on('close', (code) => {
      if (code !== 0) console.error(`${run.label} seed ${run.seed} failed (exit ${code}):\n${tail}`);
      resolve({ ...run, log: `${base}.log.jsonl`, loadBefore, loadAfter: load1(), code });
    });
  });
}

async function runAll(runs: Run[]): Promise<Outcome[]> {
  // --no-run: tabulate the run logs already in --out.
  if (values['no-run'])
    return runs.map((run) => ({
      ...run,
      log: join(values.out, `${run.label}-seed${run.seed}.log.jsonl`),
      loadBefore: NaN,
      loadAfter: NaN,
      code: 0,
    }));
  const out: Outcome[] = [];
  for (let i = 0; i < runs.length; i += parallel)
    out.push(...(await Promise.all(runs.slice(i, i + parallel).map(runOne))));
  return out;
}

interface Curve {
  evals: { elapsed: number; trainTime: number; iteration: number; valLoss: number }[];
  end?: { elapsed: number; trainTime: number; iteration: number; valLoss?: number };
  start?: { settings?: Record<string, unknown>; model?: { parameters: number; threads?: number } };
}

async function curve(path: string): Promise<Curve> {
  const c: Curve = { evals: [] };
  for (const r of (await readRunLog(path)) as Record<string, unknown>[]) {
    if (r.type === 'eval')
      c.evals.push({
        elapsed: r.elapsed as number,
        trainTime: r.trainTime as number,
        iteration: r.iteration as number,
        valLoss: r.valLoss as number,
      });
    else if (r.type === 'end') c.end = r as unknown as Curve['end'];
    else if (r.type === 'start') c.start = r as unknown as Curve['start'];
  }
  return c;
}

/**
 * --chars N (sweep): an equal-compute budget instead of a time budget, independent of the machine's load: each
 * candidate trains N × (W3's cost per char / its cost per char) characters (--max-iters; the lr schedule decays over
 * them), validating only at the end. Cost per char ≈ the recurrent and output weights (the embedding is a lookup).
 */
function itersFor(chars: number, base: string, args: string[]): number {
  const p = getPreset(base);
  const get = (flag: string, dflt: number) => {
    const i = args.lastIndexOf(flag);
    return i >= 0 ? Number(args[i + 1]) : dflt;
  };
  const h = get('--hidden', p.model.hiddenSize);
  const layers = get('--layers', p.model.layers);
  const e = get('--embedding', p.model.embeddingSize);
  const B = get('--batch-size', p.training.batchSize);
  const T = get('--seq-length', p.training.seqLength);
  const V = 65;
  const cost = (hidden: number, l: number, emb: number) =>
    4 * hidden * ((emb || V) + hidden) + (l - 1) * 4 * hidden * 2 * hidden + hidden * V;
  const scaled = (chars * cost(256, 2, 64)) / cost(h, layers, e);
  return Math.max(1, Math.round(scaled / (B * T)));
}

const f4 = (x: number | undefined) => (x === undefined || !Number.isFinite(x) ? '—' : x.toFixed(4));

if (values.sweep !== undefined) {
  const sweep = CANDIDATES[values.sweep];
  if (!sweep) throw new RangeError(`Expected --sweep one of ${Object.keys(CANDIDATES).join(', ')}`);
  const chars = values.chars === undefined ? undefined : Number(values.chars);
  const budget = values.budget ?? String(getPreset(sweep.base).training.maxTrainTime);
  const only = values.only?.split(',');
  const runs: Run[] = [];
  for (const [label, args] of Object.entries(sweep.runs))
    if (!only || only.includes(label))
      for (const seed of seeds)
        runs.push(
          chars === undefined
            ? {
                label: `${values.sweep}-${label}-${budget}s`,
                seed,
                args: ['--preset', sweep.base, ...args, '--max-train-time', budget],
              }
            : {
                label: `${values.sweep}-${label}-${chars}c`,
                seed,
                args: [
                  '--preset',
                  sweep.base,
                  ...args,
                  '--max-iters',
                  String(itersFor(chars, sweep.base, args)),
                  '--eval-every',
                  '0',
                ],
              },
        );
  const done = await runAll(runs);
  console.log(
    chars !== undefined
      ? `\nsweep ${values.sweep}: equal compute, ${chars} W3-equivalent chars per run (--max-iters), ${threads ?? 'default'} thread(s), ${parallel} at once`
      : `\nsweep ${values.sweep}: ${budget} s per run (seconds of training, validation off the clock), ${threads ?? 'default'} thread(s), ${parallel} at once`,
  );
  console.log(
    '| run | seed | params | iterations | elapsed s | train s | final val loss | load 1-min before/after | args |',
  );
  console.log('|---|---|---|---|---|---|---|---|---|');
  for (const o of done) {
    const c = await curve(o.log);
    const args = o.args.join(' ');
    console.log(
      `| ${o.label} | ${o.seed} | ${c.start?.model?.parameters ?? '—'} | ${c.end?.iteration ?? '—'} | ${c.end?.elapsed.toFixed(1) ?? '—'} | ` +
        `${c.end?.trainTime.toFixed(1) ?? '—'} | ${f4(c.end?.valLoss)} | ${o.loadBefore.toFixed(1)}/${o.loadAfter.toFixed(1)} | \`${args}\` |`,
    );
  }
} else {
  const p = getPreset(values.preset!);
  const budget = values.budget;
  const runs = seeds.map((seed) => ({
    label: `preset-${p.name}`,
    seed,
    args: ['--preset', p.name, ...(budget ? ['--max-train-time', budget] : [])],
  }));
  const done = await runAll(runs);
  const curves = await Promise.all(done.map((o) => curve(o.log)));
  // Every validation of each run (the preset validates every evalInterval seconds of wall time, so row k is about
  // minute k): its loss, the training time before it (validation excluded, W5's clock) and the wall time.
  console.log(`\npreset ${p.name} (${p.summary}); validation loss in nats/char`);
  console.log(
    `| validation | ${done.map((o) => `seed ${o.seed}: val loss (train s / wall s, iteration)`).join(' | ')} |`,
  );
  console.log(`|---|${done.map(() => '---').join('|')}|`);
  const rows = Math.max(...curves.map((c) => c.evals.length));
  for (let k = 0; k < rows; k++) {
    const cells = curves.map((c) => {
      const e = c.evals[k];
      return e
        ? `${f4(e.valLoss)} (${e.trainTime.toFixed(0)} / ${e.elapsed.toFixed(0)} s, ${e.iteration})`
        : '—';
    });
    console.log(`| ${k + 1}${k === rows - 1 ? ' (final)' : ''} | ${cells.join(' | ')} |`);
  }
  console.log(
    `load (1-min average) before/after: ${done.map((o) => `seed ${o.seed} ${o.loadBefore.toFixed(1)}/${o.loadAfter.toFixed(1)}`).join(', ')}`,
  );
  console.log(`run logs: ${done.map((o) => o.log).join(', ')}`);
}

// `npm run bench:brain [-- --iterations N --lines N]`: charrnn/brain against brain.js on the same train() call,
// side by side in one run: new recurrent.RNN({ hiddenLayers: [100] }).train(lines, { iterations }) on the first
// 2,000 lines (of 2 characters or more) of Shakespeare's train split ($CHARRNN_DATA_DIR/tinyshakespeare.txt, the first 90% as
// Corpus.fromText splits it). Reports wall time and final training error of each, and the error of both nets
// measured the same way after training (brain.js's formula, over every line).
// brain.js stays out of the package: the first run installs brain.js@1.6.1 (its latest release; plain JS)
// into bench/.brainjs/ with --ignore-scripts (gitignored), from the npm registry only.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { recurrent } from '../src/brain/index.js';
import { capabilities } from '../src/backends/index.js';

const { values } = parseArgs({
  options: {
    iterations: { type: 'string', default: '4' },
    lines: { type: 'string', default: '2000' },
    'skip-brainjs': { type: 'boolean', default: false },
  },
});
const iterations = Number(values.iterations);
const nLines = Number(values.lines);
const BRAINJS = '1.6.1';

// ---- data ------------------------------------------------------------------------------------------------
const dir = process.env.CHARRNN_DATA_DIR ?? '../shared/data';
const path = join(dir, 'tinyshakespeare.txt');
if (!existsSync(path)) throw new Error(`bench:brain needs ${path}. HINT: set CHARRNN_DATA_DIR`);
const text = readFileSync(path, 'utf8');
const trainSplit = text.slice(0, text.length - Math.floor(text.length * 0.1));
const lines = trainSplit
  .split('\n')
  .filter((l) => l.length >= 2) // brain.js's error divides by (length − 1): a 1-character line makes it Infinity
  .slice(0, nLines);
const chars = lines.reduce((n, l) => n + l.length, 0);

// ---- brain.js, installed on demand -----------------------------------------------------------------------
interface BrainJsNet {
  train(data: string[], options: object): { error: number; iterations: number };
  run(input: string): string;
  formatDataIn(input: string): number[];
  trainInput(input: number[]): number;
}
function loadBrainJs(): { recurrent: { RNN: new (options: object) => BrainJsNet } } {
  const prefix = fileURLToPath(new URL('./.brainjs/', import.meta.url));
  const main = join(prefix, 'node_modules/brain.js/package.json');
  if (!existsSync(main)) {
    console.log(`installing brain.js@${BRAINJS} into bench/.brainjs (--ignore-scripts) …`);
    execFileSync(
      'npm',
      ['install', '--prefix', prefix, '--no-save', '--ignore-scripts', `brain.js@${BRAINJS}`],
      {
        stdio: 'inherit',
      },
    );
  }
  return createRequire(main)('brain.js') as { recurrent: { RNN: new (options: object) => BrainJsNet } };
}

/** brain.js's per-line errors of a brain.js net over `data` with its current weights (forward passes only). */
function brainJsErrors(net: BrainJsNet, data: string[]): number[] {
  return data.map((d) => net.trainInput(net.formatDataIn(d)));
}

/** The same per-line errors of a charrnn/brain net (brain.js's formula, from the model's cross-entropy). */
function charrnnErrors(net: InstanceType<typeof recurrent.RNN>, data: string[]): number[] {
  return data.map((d) => {
    const s = net.dataFormatter!.toIndexes(d);
    const ids = Int32Array.from([0, ...s.map((i) => i + 1), 0]);
    const { loss, count } = net.model!.evaluate(ids);
    return Math.pow(2, (loss * count) / Math.LN2 / Math.max(1, s.length - 1)) / 100;
  });
}

const mean = (a: number[]) => a.reduce((x, y) => x + y, 0) / a.length;
const median = (a: number[]) => [...a].sort((x, y) => x - y)[a.length >> 1];

// ---- runs ------------------------------------------------------------------------------------------------
const caps = capabilities();
console.log(
  `bench:brain — ${new Date().toISOString().slice(0, 10)}, Node ${process.version}, ${cpus()[0]?.model ?? 'cpu'}, ` +
    `charrnn backend ${caps.backend === 'native' ? `native (${caps.isa}, ${caps.threads} threads)` : 'js'}`,
);
console.log(
  `data: ${lines.length} lines (≥ 2 chars) of tinyshakespeare's train split (${chars.toLocaleString('en-US')} chars); ` +
    `new recurrent.RNN({ hiddenLayers: [100] }).train(lines, { iterations: ${iterations}, callback, callbackPeriod: 1 })\n`,
);

interface Row {
  name: string;
  /** The error after each iteration, from train()'s callback (callbackPeriod 1). */
  curve: number[];
  seconds: number;
  error: number;
  after: number;
  median: number;
  sample: string;
}
const rows: Row[] = [];

{
  const net = new recurrent.RNN({ hiddenLayers: [100] });
  const curve: number[] = [];
  const t0 = performance.now();
  const r = net.train(lines, { iterations, callback: (s) => curve.push(s.error), callbackPeriod: 1 });
  const seconds = (performance.now() - t0) / 1000;
  rows.push({
    name: `charrnn/brain (${net.backend})`,
    curve,
    seconds,
    error: r.error,
    after: mean(charrnnErrors(net, lines)),
    median: median(charrnnErrors(net, lines)),
    sample: net.run('ROMEO'),
  });
}
if (!values['skip-brainjs']) {
  const brain = loadBrainJs();
  const net = new brain.recurrent.RNN({ hiddenLayers: [100] });
  const curve: number[] = [];
  const t0 = performance.now();
  const r = net.train(lines, {
    iterations,
    callback: (s: { error: number }) => curve.push(s.error),
    callbackPeriod: 1,
  });
  const seconds = (performance.now() - t0) / 1000;
  rows.push({
    name: `brain.js ${BRAINJS}`,
    curve,
    seconds,
    error: r.error,
    after: mean(brainJsErrors(net, lines)),
    median: median(brainJsErrors(net, lines)),
    sample: net.run('ROMEO'),
  });
}

const fmt = (x: number, d = 4) => x.toFixed(d);
console.log(
  '| | wall time | chars/s | train() error | error after training | median line error | run("ROMEO") |',
);
console.log('| --- | ---: | ---: | ---: | ---: | ---: | --- |');
for (const r of rows)
  console.log(
    `| ${r.name} | ${fmt(r.seconds, 2)} s | ${Math.round((chars * iterations) / r.seconds).toLocaleString('en-US')} | ` +
      `${fmt(r.error)} | ${fmt(r.after)} | ${fmt(r.median)} | ${JSON.stringify(r.sample.slice(0, 40))} |`,
  );
console.log('');
for (const r of rows)
  console.log(`${r.name}: error after each iteration ${r.curve.map((e) => fmt(e)).join(', ')}`);
if (rows.length === 2)
  console.log(
    `\ncharrnn/brain is ${(rows[1].seconds / rows[0].seconds).toFixed(1)}× brain.js's speed; ` +
      `error ${fmt(rows[0].after)} vs ${fmt(rows[1].after)}, median line error ${fmt(rows[0].median)} vs ` +
      `${fmt(rows[1].median)} (brain.js's formula, after training).`,
  );

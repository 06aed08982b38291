// `npx tsx bench/dropin.ts [--time SECONDS]`: the drop-in workload. A min-char-rnn training loop as a user would
// port it to TypeScript (its own lossFun in plain number loops, below), against the same loop calling charrnn's
// lossFun / lossFunInto: same data (Shakespeare from $CHARRNN_DATA_DIR/tinyshakespeare.txt, else seeded random
// ids), H = 100, seq 25, Adagrad lr 0.1, element-wise clip 5. Prints chars/s of each and the speedup.
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { lossFun, lossFunInto, type RnnGrads, type RnnParams } from '../src/dropin/lossfun.js';
import { capabilities } from '../src/backends/index.js';
import { Rng } from '../src/util/rng.js';

const { values } = parseArgs({ options: { time: { type: 'string', default: '3' } } });
const seconds = Number(values.time);
const H = 100;
const SEQ = 25;
const LR = 0.1;
const CLIP = 5;

// ---- data ------------------------------------------------------------------------------------------------
let ids: number[];
let V: number;
let dataName: string;
try {
  const dir = process.env.CHARRNN_DATA_DIR ?? '../shared/data';
  const text = readFileSync(join(dir, 'tinyshakespeare.txt'), 'utf8');
  const chars = [...new Set(text)].sort();
  const index = new Map(chars.map((c, i) => [c, i]));
  ids = [...text].map((c) => index.get(c)!);
  V = chars.length;
  dataName = `tinyshakespeare (${ids.length.toLocaleString('en-US')} chars, V = ${V})`;
} catch (err) {
  console.warn(
    `bench: Shakespeare unavailable (${(err as Error).message}); using random ids over 65 symbols`,
  );
  const rng = new Rng(1);
  V = 65;
  ids = Array.from({ length: 1_000_000 }, () => rng.nextU32() % V);
  dataName = 'random ids over 65 symbols';
}

// ---- the user's own lossFun: min-char-rnn, line for line, in TypeScript --------------------------------------
interface UserResult extends RnnGrads {
  loss: number;
  hlast: Float32Array;
}

function userLossFun(inputs: number[], targets: number[], hprev: Float32Array, p: RnnParams): UserResult {
  const { Wxh, Whh, Why, bh, by } = p;
  const T = inputs.length;
  const hs: Float64Array[] = [Float64Array.from(hprev)];
  const ps: Float64Array[] = [];
  let loss = 0;
  for (let t = 0; t < T; t++) {
    const hp = hs[t];
    const h = new Float64Array(H);
    for (let i = 0; i < H; i++) {
      let a = Wxh[i * V + inputs[t]] + bh[i];
      for (let j = 0; j < H; j++) a += Whh[i * H + j] * hp[j];
      h[i] = Math.tanh(a);
    }
    hs.push(h);
    const y = new Float64Array(V);
    let max = -Infinity;
    for (let k = 0; k < V; k++) {
      let s = by[k];
      for (let i = 0; i < H; i++) s += Why[k * H + i] * h[i];
      y[k] = s;
      if (s > max) max = s;
    }
    let sum = 0;
    for (let k = 0; k < V; k++) {
      y[k] = Math.exp(y[k] - max);
      sum += y[k];
    }
    for (let k = 0; k < V; k++) y[k] /= sum;
    ps.push(y);
    loss += -Math.log(y[targets[t]]);
  }
  const dWxh = new Float32Array(H * V);
  const dWhh = new Float32Array(H * H);
  const dWhy = new Float32Array(V * H);
  const dbh = new Float32Array(H);
  const dby = new Float32Array(V);
  let dhnext = new Float64Array(H);
  for (let t = T - 1; t >= 0; t--) {
    const dy = ps[t];
    dy[targets[t]] -= 1;
    const h = hs[t + 1];
    const hp = hs[t];
    const dh = Float64Array.from(dhnext);
    for (let k = 0; k < V; k++) {
      dby[k] += dy[k];
      for (let i = 0; i < H; i++) {
        dWhy[k * H + i] += dy[k] * h[i];
        dh[i] += Why[k * H + i] * dy[k];
      }
    }
    const next = new Float64Array(H);
    for (let i = 0; i < H; i++) {
      const dhraw = (1 - h[i] * h[i]) * dh[i];
      dbh[i] += dhraw;
      dWxh[i * V + inputs[t]] += dhraw;
      for (let j = 0; j < H; j++) {
        dWhh[i * H + j] += dhraw * hp[j];
        next[j] += Whh[i * H + j] * dhraw;
      }
    }
    dhnext = next;
  }
  return { loss, dWxh, dWhh, dWhy, dbh, dby, hlast: Float32Array.from(hs[T]) };
}

// ---- one training loop, parameterised by its lossFun ---------------------------------------------------------
type LossFn = (inputs: number[], targets: number[], hprev: Float32Array, p: RnnParams) => UserResult;

function makeLoop(name: string, fn: LossFn | 'into') {
  const rng = new Rng(42); // the same initialisation for every loop
  const randn = (n: number) => Float32Array.from({ length: n }, () => rng.nextGaussian() * 0.01);
  const p: RnnParams = {
    Wxh: randn(H * V),
    Whh: randn(H * H),
    Why: randn(V * H),
    bh: new Float32Array(H),
    by: new Float32Array(V),
  };
  const params = [p.Wxh, p.Whh, p.Why, p.bh, p.by];
  const mem = params.map((a) => new Float32Array(a.length));
  const grads: RnnGrads = {
    dWxh: new Float32Array(H * V),
    dWhh: new Float32Array(H * H),
    dWhy: new Float32Array(V * H),
    dbh: new Float32Array(H),
    dby: new Float32Array(V),
  };
  let h: Float32Array = new Float32Array(H);
  let pos = 0;
  let n = 0;
  let smooth = -Math.log(1 / V) * SEQ;
  const step = () => {
    if (pos + SEQ + 1 >= ids.length) {
      pos = 0;
      h = new Float32Array(H);
    }
    const inputs = ids.slice(pos, pos + SEQ);
    const targets = ids.slice(pos + 1, pos + SEQ + 1);
    let loss: number;
    let gs: Float32Array[];
    if (fn === 'into') {
      loss = lossFunInto(inputs, targets, h, p, grads, h);
      gs = [grads.dWxh, grads.dWhh, grads.dWhy, grads.dbh, grads.dby];
    } else {
      const r = fn(inputs, targets, h, p);
      loss = r.loss;
      h = r.hlast;
      gs = [r.dWxh, r.dWhh, r.dWhy, r.dbh, r.dby];
    }
    smooth = smooth * 0.999 + loss * 0.001;
    for (let k = 0; k < 5; k++) {
      const w = params[k];
      const g = gs[k];
      const m = mem[k];
      for (let i = 0; i < w.length; i++) {
        const d = g[i] > CLIP ? CLIP : g[i] < -CLIP ? -CLIP : g[i];
        m[i] += d * d;
        w[i] += (-LR * d) / Math.sqrt(m[i] + 1e-8);
      }
    }
    pos += SEQ;
    n++;
  };
  return { name, step, stats: () => ({ iterations: n, smoothLoss: smooth }) };
}

const loops = [
  makeLoop('hand-written TS lossFun', userLossFun),
  makeLoop("charrnn lossFun (backend 'native')", (i, t, h, p) => lossFun(i, t, h, p, { backend: 'native' })),
  makeLoop('charrnn lossFunInto (native)', 'into'),
  makeLoop("charrnn lossFun (backend 'js')", (i, t, h, p) => lossFun(i, t, h, p, { backend: 'js' })),
];

const results: {
  name: string;
  charsPerSec: number;
  medianMs: number;
  samples: number;
  smoothLoss: number;
}[] = [];
for (const loop of loops) {
  const bench = new Bench({
    time: seconds * 1000,
    warmupTime: Math.min(1000, seconds * 300),
    warmupIterations: 5,
  });
  bench.add(loop.name, loop.step);
  await bench.run();
  const lat = bench.tasks[0].result?.latency;
  if (!lat || lat.p50 === undefined) throw new Error(`bench: ${loop.name} produced no samples`);
  const r = {
    name: loop.name,
    charsPerSec: Math.round(SEQ / (lat.p50 / 1000)),
    medianMs: Number(lat.p50.toFixed(4)),
    samples: lat.samples.length,
    smoothLoss: Number(loop.stats().smoothLoss.toFixed(3)),
  };
  results.push(r);
  console.log(
    `${r.name.padEnd(36)} ${r.charsPerSec.toLocaleString('en-US').padStart(10)} chars/s  (median ${r.medianMs} ms / ${SEQ} chars, ${r.samples} samples, smooth loss ${r.smoothLoss})`,
  );
}
const base = results[0].charsPerSec;
for (const r of results.slice(1))
  console.log(`speedup ${r.name} / hand-written TS = ${(r.charsPerSec / base).toFixed(1)}×`);
console.log(
  `H = ${H}, seq ${SEQ}, Adagrad lr ${LR}, clip ${CLIP}; data: ${dataName}; native isa ${capabilities().isa}; ` +
    `${cpus()[0]?.model} × ${cpus().length}, Node ${process.version}, ${new Date().toISOString()}`,
);

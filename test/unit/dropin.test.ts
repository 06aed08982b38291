// lossFun / lossFunInto (src/dropin/lossfun.ts): both backends against a float64 min-char-rnn written out below, against
// each other, in a training loop, and on every kind of bad input (messages asserted verbatim, also at the
// native door so both doors say the same thing).
import { describe, expect, it } from 'vitest';
import { lossFun, lossFunInto, type RnnGrads, type RnnParams } from '../../src/dropin/lossfun.js';
import { loadNativeDropin } from '../../src/dropin/native.js';
import { Rng } from '../../src/util/rng.js';

const { dropin, reason } = loadNativeDropin();
if (!dropin && process.env.CI) throw new Error(`native drop-in functions missing: ${reason}`);
const BACKENDS = dropin ? (['js', 'native'] as const) : (['js'] as const);

function randomParams(H: number, V: number, seed = 1, scale = 0.3): RnnParams {
  const rng = new Rng(seed);
  const g = (n: number) => Float32Array.from({ length: n }, () => rng.nextGaussian() * scale);
  return { Wxh: g(H * V), Whh: g(H * H), Why: g(V * H), bh: g(H), by: g(V) };
}

function randomIds(n: number, V: number, seed: number): number[] {
  const rng = new Rng(seed);
  return Array.from({ length: n }, () => rng.nextU32() % V);
}

interface Ref {
  loss: number;
  dWxh: Float64Array;
  dWhh: Float64Array;
  dWhy: Float64Array;
  dbh: Float64Array;
  dby: Float64Array;
  hlast: Float64Array;
}

/** min-char-rnn's lossFun, line for line, in float64 (numpy's default dtype). */
function referenceLossFun(inputs: number[], targets: number[], hprev: Float32Array, p: RnnParams): Ref {
  const H = p.bh.length;
  const V = p.by.length;
  const T = inputs.length;
  const hs: Float64Array[] = [Float64Array.from(hprev)];
  const ps: Float64Array[] = [];
  let loss = 0;
  for (let t = 0; t < T; t++) {
    const h = new Float64Array(H);
    for (let i = 0; i < H; i++) {
      let a = p.Wxh[i * V + inputs[t]] + p.bh[i];
      for (let j = 0; j < H; j++) a += p.Whh[i * H + j] * hs[t][j];
      h[i] = Math.tanh(a);
    }
    hs.push(h);
    const y = new Float64Array(V);
    for (let k = 0; k < V; k++) {
      let s = p.by[k];
      for (let i = 0; i < H; i++) s += p.Why[k * H + i] * h[i];
      y[k] = s;
    }
    const max = Math.max(...y);
    const e = y.map((v) => Math.exp(v - max));
    const sum = e.reduce((a, b) => a + b, 0);
    const pr = e.map((v) => v / sum);
    ps.push(pr);
    loss += -Math.log(pr[targets[t]]);
  }
  const dWxh = new Float64Array(H * V);
  const dWhh = new Float64Array(H * H);
  const dWhy = new Float64Array(V * H);
  const dbh = new Float64Array(H);
  const dby = new Float64Array(V);
  let dhnext = new Float64Array(H);
  for (let t = T - 1; t >= 0; t--) {
    const dy = Float64Array.from(ps[t]);
    dy[targets[t]] -= 1;
    const h = hs[t + 1];
    const dh = Float64Array.from(dhnext);
    for (let k = 0; k < V; k++) {
      dby[k] += dy[k];
      for (let i = 0; i < H; i++) {
        dWhy[k * H + i] += dy[k] * h[i];
        dh[i] += p.Why[k * H + i] * dy[k];
      }
    }
    const dhraw = dh.map((d, i) => (1 - h[i] * h[i]) * d);
    const next = new Float64Array(H);
    for (let i = 0; i < H; i++) {
      dbh[i] += dhraw[i];
      dWxh[i * V + inputs[t]] += dhraw[i];
      for (let j = 0; j < H; j++) {
        dWhh[i * H + j] += dhraw[i] * hs[t][j];
        next[j] += p.Whh[i * H + j] * dhraw[i];
      }
    }
    dhnext = next;
  }
  return { loss, dWxh, dWhh, dWhy, dbh, dby, hlast: hs[T] };
}

/** Largest |a − b| / (atol + rtol·|b|); NaN positions are reported first. */
function worst(a: ArrayLike<number>, b: ArrayLike<number>, atol: number, rtol: number): number {
  expect(a.length).toBe(b.length);
  let w = 0;
  for (let i = 0; i < a.length; i++) {
    if (Number.isNaN(a[i]) !== Number.isNaN(b[i]))
      throw new Error(`NaN mismatch at ${i}: ${a[i]} vs ${b[i]}`);
    w = Math.max(w, Math.abs(a[i] - b[i]) / (atol + rtol * Math.abs(b[i])));
  }
  return w;
}

const GRAD_NAMES = ['dWxh', 'dWhh', 'dWhy', 'dbh', 'dby'] as const;

// Tolerances: float32 storage, float32 (native: FMA, vectorised tanh/exp) or float64 (js) arithmetic over ≤ 25
// steps. The loss is a sum of ≤ 25 logs of O(1): float32 rounding in the logits (~1e-7 relative) stays far below
// 1e-5 relative. Each gradient is a sum of ≤ T·V products of O(1) terms, each rounded at 6e-8, and BPTT compounds
// the hidden-state error through T steps: 2e-5 absolute + 1e-4 relative is ≥ 4× above the largest error observed
// (native, H=33, T=17: 0.22 of it; js: 0.0005) and still catches any indexing or transposition mistake (O(0.1)).
const LOSS_RTOL = 1e-5;
const GRAD_ATOL = 2e-5;
const GRAD_RTOL = 1e-4;

describe.each(BACKENDS)('lossFun on %s', (backend) => {
  const cases: [number, number, number][] = [
    [16, 11, 25],
    [5, 7, 1],
    [1, 2, 3],
    [33, 65, 17],
  ];
  it.each(cases)('matches the float64 min-char-rnn (H=%i, V=%i, T=%i)', (H, V, T) => {
    const p = randomParams(H, V, H * 100 + V);
    const inputs = randomIds(T, V, 3);
    const targets = randomIds(T, V, 4);
    const rng = new Rng(9);
    const hprev = Float32Array.from({ length: H }, () => rng.nextFloat() - 0.5);
    const hprevCopy = hprev.slice();
    const r = lossFun(inputs, targets, hprev, p, { backend });
    const ref = referenceLossFun(inputs, targets, hprev, p);
    expect(Math.abs(r.loss - ref.loss) / ref.loss, `loss ${r.loss} vs ${ref.loss}`).toBeLessThan(LOSS_RTOL);
    for (const g of GRAD_NAMES) {
      const w = worst(r[g], ref[g], GRAD_ATOL, GRAD_RTOL);
      expect(w, `${g}: worst error ${w} of tolerance`).toBeLessThan(1);
    }
    expect(worst(r.hlast, ref.hlast, 1e-6, 1e-5)).toBeLessThan(1);
    expect(hprev).toEqual(hprevCopy); // hprev is only read
  });

  it('lossFunInto overwrites every gradient element, may carry the state in place, and equals lossFun', () => {
    const H = 9;
    const V = 6;
    const p = randomParams(H, V, 5);
    const inputs = Int32Array.from(randomIds(12, V, 6));
    const targets = Uint8Array.from(randomIds(12, V, 7));
    const h = new Float32Array(H).fill(0.25);
    const expected = lossFun(inputs, targets, h, p, { backend });
    const grads: RnnGrads = {
      dWxh: new Float32Array(H * V).fill(NaN),
      dWhh: new Float32Array(H * H).fill(NaN),
      dWhy: new Float32Array(V * H).fill(NaN),
      dbh: new Float32Array(H).fill(NaN),
      dby: new Float32Array(V).fill(NaN),
    };
    const loss = lossFunInto(inputs, targets, h, p, grads, h, { backend });
    expect(loss).toBe(expected.loss);
    for (const g of GRAD_NAMES) expect(grads[g]).toEqual(expected[g]);
    expect(h).toEqual(expected.hlast);
  });

  it('accepts parameters and gradients that are views of one arena (the copy-free native path)', () => {
    const H = 8;
    const V = 5;
    const p = randomParams(H, V, 11);
    const sizes = [H * V, H * H, H, V * H, V]; // arena order Wxh, Whh, bh, Why, by
    const arena = new Float32Array(sizes.reduce((a, b) => a + b));
    const garena = new Float32Array(arena.length);
    const views = (a: Float32Array) => {
      const out: Float32Array[] = [];
      let o = 0;
      for (const s of sizes) {
        out.push(a.subarray(o, o + s));
        o += s;
      }
      return out;
    };
    const [Wxh, Whh, bh, Why, by] = views(arena);
    Wxh.set(p.Wxh);
    Whh.set(p.Whh);
    bh.set(p.bh);
    Why.set(p.Why);
    by.set(p.by);
    const [dWxh, dWhh, dbh, dWhy, dby] = views(garena);
    const inputs = randomIds(10, V, 1);
    const targets = randomIds(10, V, 2);
    const hOut = new Float32Array(H);
    const expected = lossFun(inputs, targets, new Float32Array(H), p, { backend });
    const loss = lossFunInto(
      inputs,
      targets,
      new Float32Array(H),
      { Wxh, Whh, Why, bh, by },
      { dWxh, dWhh, dWhy, dbh, dby },
      hOut,
      { backend },
    );
    expect(loss).toBe(expected.loss);
    expect(dWxh).toEqual(expected.dWxh);
    expect(dWhh).toEqual(expected.dWhh);
    expect(dWhy).toEqual(expected.dWhy);
    expect(dbh).toEqual(expected.dbh);
    expect(dby).toEqual(expected.dby);
    expect(hOut).toEqual(expected.hlast);
  });

  it('trains: a min-char-rnn loop with Adagrad (lr 0.1, clip 5) drives the loss down on a small text', () => {
    const text = 'the quick brown fox jumps over the lazy dog. '.repeat(20);
    const chars = [...new Set(text)].sort();
    const ids = [...text].map((c) => chars.indexOf(c));
    const V = chars.length;
    const H = 32;
    const seqLength = 16;
    const p = randomParams(H, V, 3, 0.01);
    const mem = [p.Wxh, p.Whh, p.Why, p.bh, p.by].map((a) => new Float32Array(a.length));
    const grads: RnnGrads = {
      dWxh: new Float32Array(H * V),
      dWhh: new Float32Array(H * H),
      dWhy: new Float32Array(V * H),
      dbh: new Float32Array(H),
      dby: new Float32Array(V),
    };
    const h = new Float32Array(H);
    let smooth = -Math.log(1 / V) * seqLength;
    const first = smooth;
    let pos = 0;
    for (let n = 0; n < 400; n++) {
      if (pos + seqLength + 1 >= ids.length) {
        pos = 0;
        h.fill(0);
      }
      const inputs = ids.slice(pos, pos + seqLength);
      const targets = ids.slice(pos + 1, pos + seqLength + 1);
      const loss = lossFunInto(inputs, targets, h, p, grads, h, { backend });
      smooth = smooth * 0.999 + loss * 0.001;
      const ps = [p.Wxh, p.Whh, p.Why, p.bh, p.by];
      const gs = [grads.dWxh, grads.dWhh, grads.dWhy, grads.dbh, grads.dby];
      for (let k = 0; k < 5; k++) {
        const w = ps[k];
        const g = gs[k];
        const m = mem[k];
        for (let i = 0; i < w.length; i++) {
          const d = Math.max(-5, Math.min(5, g[i]));
          m[i] += d * d;
          w[i] += (-0.1 * d) / Math.sqrt(m[i] + 1e-8);
        }
      }
      pos += seqLength;
    }
    // A last full pass over the first sequences: the model has learnt the repeated sentence.
    const end = lossFun(ids.slice(0, 40), ids.slice(1, 41), new Float32Array(H), p, { backend }).loss / 40;
    expect(smooth).toBeLessThan(first * 0.85);
    expect(end).toBeLessThan(Math.log(V) * 0.5);
  });
});

describe.runIf(dropin !== undefined)('lossFun: js and native agree', () => {
  it('on a Shakespeare-sized model (H=100, V=65, T=25)', () => {
    const p = randomParams(100, 65, 21, 0.05);
    const inputs = randomIds(25, 65, 1);
    const targets = randomIds(25, 65, 2);
    const h = new Float32Array(100).fill(0.1);
    const a = lossFun(inputs, targets, h, p, { backend: 'js' });
    const b = lossFun(inputs, targets, h, p, { backend: 'native' });
    expect(Math.abs(a.loss - b.loss) / a.loss).toBeLessThan(LOSS_RTOL);
    for (const g of GRAD_NAMES) expect(worst(b[g], a[g], GRAD_ATOL, GRAD_RTOL)).toBeLessThan(1);
    expect(worst(b.hlast, a.hlast, 1e-6, 1e-5)).toBeLessThan(1);
  });

  it('NaN and Infinity in the parameters propagate instead of throwing', () => {
    const p = randomParams(4, 3, 1);
    p.Whh[0] = NaN;
    p.by[1] = Infinity;
    for (const backend of ['js', 'native'] as const) {
      const r = lossFun([0, 1, 2], [1, 2, 0], new Float32Array(4), p, { backend });
      expect(Number.isNaN(r.loss)).toBe(true);
    }
  });
});

// ---------------------------------------------------------------------------------------------------------

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('lossFun rejects bad inputs with a precise error', () => {
  const H = 5;
  const V = 7;
  const p = randomParams(H, V);
  const grads = (): RnnGrads => ({
    dWxh: new Float32Array(H * V),
    dWhh: new Float32Array(H * H),
    dWhy: new Float32Array(V * H),
    dbh: new Float32Array(H),
    dby: new Float32Array(V),
  });
  const ok = [1, 2, 3];
  const h0 = new Float32Array(H);

  const cases: [string, () => unknown, ErrorConstructor, string][] = [
    [
      'params not an object',
      () => lossFun(ok, ok, h0, null as unknown as RnnParams),
      TypeError,
      'Expected an object { Wxh, Whh, Why, bh, by } for params but received null',
    ],
    [
      'a Float64Array weight',
      () => lossFun(ok, ok, h0, { ...p, Whh: new Float64Array(25) as unknown as Float32Array }),
      TypeError,
      'Expected a Float32Array for Whh but received a Float64Array of length 25',
    ],
    [
      'a missing weight',
      () => lossFun(ok, ok, h0, { ...p, Why: undefined as unknown as Float32Array }),
      TypeError,
      'Expected a Float32Array for Why but received undefined',
    ],
    [
      'Wxh of the wrong size',
      () => lossFun(ok, ok, h0, { ...p, Wxh: new Float32Array(34) }),
      RangeError,
      'Expected a Float32Array of length 35 ([H, V] = [5, 7]) for Wxh but received a Float32Array of length 34',
    ],
    [
      'Why transposed shape but wrong H',
      () => lossFun(ok, ok, h0, { ...p, Why: new Float32Array(36) }),
      RangeError,
      'Expected a Float32Array of length 35 ([V, H] = [7, 5]) for Why but received a Float32Array of length 36',
    ],
    [
      'H inconsistent between bh and Whh',
      () => lossFun(ok, ok, new Float32Array(6), { ...p, bh: new Float32Array(6) }),
      RangeError,
      'Expected a Float32Array of length 42 ([H, V] = [6, 7]) for Wxh but received a Float32Array of length 35',
    ],
    [
      'V of 1',
      () => lossFun(ok, ok, h0, { ...p, by: new Float32Array(1) }),
      RangeError,
      'Expected a Float32Array of length in [2, 1048576] (V) for by but received a Float32Array of length 1',
    ],
    [
      'empty bh',
      () => lossFun(ok, ok, h0, { ...p, bh: new Float32Array(0) }),
      RangeError,
      'Expected a Float32Array of length in [1, 16384] (H) for bh but received a Float32Array of length 0',
    ],
    [
      'hprev too short',
      () => lossFun(ok, ok, new Float32Array(4), p),
      RangeError,
      'Expected a Float32Array of length 5 ([H] = [5]) for hprev but received a Float32Array of length 4',
    ],
    [
      'hprev an array',
      () => lossFun(ok, ok, [0, 0, 0, 0, 0] as unknown as Float32Array, p),
      TypeError,
      'Expected a Float32Array for hprev but received an array of length 5',
    ],
    [
      'no tokens',
      () => lossFun([], [], h0, p),
      RangeError,
      'Expected at least 1 token for inputs but received an array of length 0',
    ],
    [
      'targets shorter than inputs',
      () => lossFun(ok, [1, 2], h0, p),
      RangeError,
      'Expected 3 token ids (as many as inputs) for targets but received an array of length 2',
    ],
    [
      'an id out of range',
      () => lossFun([1, 7, 2], ok, h0, p),
      RangeError,
      'Expected token ids in [0, 6] for inputs but received 7 at index 1',
    ],
    [
      'a negative target',
      () => lossFun(ok, [1, 2, -1], h0, p),
      RangeError,
      'Expected token ids in [0, 6] for targets but received -1 at index 2',
    ],
    [
      'a fractional id',
      () => lossFun([1.5, 2, 3], ok, h0, p),
      RangeError,
      'Expected token ids in [0, 6] for inputs but received 1.5 at index 0',
    ],
    [
      'a NaN id',
      () => lossFun(Float64Array.from([1, NaN, 3]), ok, h0, p),
      RangeError,
      'Expected token ids in [0, 6] for inputs but received NaN at index 1',
    ],
    [
      'a string id',
      () => lossFun([1, '2', 3] as unknown as number[], ok, h0, p),
      TypeError,
      'Expected token ids in [0, 6] for inputs but received "2" at index 1',
    ],
    [
      'a string for inputs',
      () => lossFun('abc' as unknown as number[], ok, h0, p),
      TypeError,
      'Expected an array-like of token ids for inputs but received "abc"',
    ],
    [
      'an unknown backend',
      () => lossFun(ok, ok, h0, p, { backend: 'gpu' as 'js' }),
      RangeError,
      `Expected one of 'auto', 'js', 'native' for backend but received "gpu"`,
    ],
    [
      'a gradient that is a view of its parameter',
      () => {
        const g = grads();
        return lossFunInto(ok, ok, h0, p, { ...g, dWhh: p.Whh.subarray(0, 25) }, new Float32Array(H));
      },
      RangeError,
      'Expected a Float32Array that shares no memory with Whh for dWhh but received a Float32Array of length 25 overlapping it',
    ],
    [
      'two gradients sharing a buffer',
      () => {
        const g = grads();
        const buf = new Float32Array(40);
        return lossFunInto(
          ok,
          ok,
          h0,
          p,
          { ...g, dWxh: buf.subarray(0, 35), dby: buf.subarray(33, 40) },
          new Float32Array(H),
        );
      },
      RangeError,
      'Expected a Float32Array that shares no memory with dWxh for dby but received a Float32Array of length 7 overlapping it',
    ],
    [
      'hOut partially overlapping hprev',
      () => {
        const buf = new Float32Array(8);
        return lossFunInto(ok, ok, buf.subarray(0, 5), p, grads(), buf.subarray(2, 7));
      },
      RangeError,
      'Expected a Float32Array that shares no memory with hprev for hOut but received a Float32Array of length 5 overlapping it',
    ],
    [
      'hOut inside a weight',
      () => lossFunInto(ok, ok, h0, p, grads(), p.by.subarray(0, 5)),
      RangeError,
      'Expected a Float32Array that shares no memory with by for hOut but received a Float32Array of length 5 overlapping it',
    ],
  ];

  it.each(cases)('%s', (_name, fn, kind, message) => {
    const err = caught(fn);
    expect(err).toBeInstanceOf(kind);
    expect(err.message).toBe(message);
  });

  it('with an id array of the wrong length for the scratch limit', () => {
    const big = { length: 2 ** 24 } as ArrayLike<number>;
    const err = caught(() => lossFun(big, big, new Float32Array(64), randomParams(64, 64)));
    expect(err).toBeInstanceOf(RangeError);
    expect(err.message).toBe('Expected inputs.length × max(H, V) ≤ 536870912 but received 16777216 × 64');
  });

  it('grads not an object', () => {
    const err = caught(() => lossFunInto(ok, ok, h0, p, 5 as unknown as RnnGrads, new Float32Array(H)));
    expect(err).toBeInstanceOf(TypeError);
    expect(err.message).toBe('Expected an object { dWxh, dWhh, dWhy, dbh, dby } for grads but received 5');
  });

  it.runIf(dropin !== undefined)('the native door says the same as the TypeScript door', () => {
    const d = dropin!;
    const g = grads();
    const args = (over: Record<number, unknown>): unknown[] => {
      const a: unknown[] = [
        Int32Array.from(ok),
        Int32Array.from(ok),
        h0,
        p.Wxh,
        p.Whh,
        p.Why,
        p.bh,
        p.by,
        g.dWxh,
        g.dWhh,
        g.dWhy,
        g.dbh,
        g.dby,
        new Float32Array(H),
      ];
      for (const [k, v] of Object.entries(over)) a[Number(k)] = v;
      return a;
    };
    const call = (over: Record<number, unknown>) => () =>
      (d.lossFun as unknown as (...a: unknown[]) => number)(...args(over));
    expect(typeof call({})()).toBe('number');
    const same = (over: Record<number, unknown>, ts: () => unknown) => {
      const a = caught(call(over));
      const b = caught(ts);
      expect(a.constructor).toBe(b.constructor);
      expect(a.message).toBe(b.message);
    };
    same({ 3: new Float32Array(34) }, cases[3][1]);
    same({ 5: new Float32Array(36) }, cases[4][1]);
    same({ 7: new Float32Array(1) }, cases[6][1]);
    same({ 6: new Float32Array(0) }, cases[7][1]);
    same({ 2: new Float32Array(4) }, cases[8][1]);
    same({ 0: Int32Array.from([1, 7, 2]) }, cases[12][1]);
    same({ 1: Int32Array.from([1, 2, -1]) }, cases[13][1]);
    same({ 9: p.Whh.subarray(0, 25) }, cases[19][1]);
    const buf = new Float32Array(40);
    same({ 8: buf.subarray(0, 35), 12: buf.subarray(33, 40) }, cases[20][1]);
    same({ 13: p.by.subarray(0, 5) }, cases[22][1]);
  });
});

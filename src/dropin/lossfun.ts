// The drop-in entry point for code that already has its own char-RNN loop: min-char-rnn's lossFun over
// caller-owned Float32Arrays (Wxh [H,V], Whh [H,H], Why [V,H], bh [H], by [V], row-major: the seeds' layout of the
// model description), synchronous, on the native addon when it loads and on the TypeScript backend otherwise.
// Deliberately no training policy here (no optimizer, clipping or sampling): the caller's loop keeps those; this
// replaces only the arithmetic. src/dropin holds the drop-in API: this, ./kernels.ts and their addon ./native.ts.
import type { BackendChoice } from '../backends/index.js';
import { resolveDropin } from './native.js';
import type { BackendSession, Chunk } from '../backends/backend.js';
import { jsBackend } from '../backends/js/index.js';
import {
  MAX_HIDDEN_SIZE,
  MAX_SCRATCH_ELEMENTS,
  MAX_VOCAB_SIZE,
  resolveModelConfig,
} from '../model/config.js';
import { viewOf } from '../model/layout.js';
import { layoutFor } from '../model/spec.js';
import { describe, float32Array, rangeError, typeError } from '../util/validate.js';

/** The five parameters of a vanilla RNN, as min-char-rnn names them. Read, never written. */
export interface RnnParams {
  /** Input → hidden [H, V]. */
  readonly Wxh: Float32Array;
  /** Hidden → hidden [H, H]. */
  readonly Whh: Float32Array;
  /** Hidden → output [V, H]. */
  readonly Why: Float32Array;
  /** Hidden bias [H]. */
  readonly bh: Float32Array;
  /** Output bias [V]. */
  readonly by: Float32Array;
}

/** Gradients of the summed loss, one per parameter and of the same shape. */
export interface RnnGrads {
  readonly dWxh: Float32Array;
  readonly dWhh: Float32Array;
  readonly dWhy: Float32Array;
  readonly dbh: Float32Array;
  readonly dby: Float32Array;
}

export interface LossFunResult extends RnnGrads {
  /** Σ over the sequence of −log p(target), in nats (min-char-rnn's `loss`, not a mean). */
  readonly loss: number;
  /** The hidden state after the last input (min-char-rnn's `hs[len(inputs)-1]`) [H]. */
  readonly hlast: Float32Array;
}

export interface LossFunOptions {
  /** 'auto' (default): native when the addon loads, else TypeScript with one warning. */
  backend?: BackendChoice;
}

/**
 * min-char-rnn's `lossFun(inputs, targets, hprev)`: forward over the sequence from `hprev`, then full BPTT.
 * Returns the summed cross-entropy and fresh gradient arrays and `hlast`. `hprev` and the parameters are only
 * read. Throws TypeError / RangeError naming the argument for wrong types, shapes, ids out of [0, V) or
 * aliasing outputs. For a loop without allocations use {@link lossFunInto}.
 *
 * @param inputs  token ids x₀…x_{T−1} (any array-like of integers in [0, V)), T ≥ 1
 * @param targets token ids y₀…y_{T−1}, same length
 * @param hprev   hidden state before x₀ [H]
 */
export function lossFun(
  inputs: ArrayLike<number>,
  targets: ArrayLike<number>,
  hprev: Float32Array,
  params: RnnParams,
  options?: LossFunOptions,
): LossFunResult {
  const p = readParams(params);
  const H = p.bh.length;
  const V = p.by.length;
  const grads: RnnGrads = {
    dWxh: new Float32Array(H * V),
    dWhh: new Float32Array(H * H),
    dWhy: new Float32Array(V * H),
    dbh: new Float32Array(H),
    dby: new Float32Array(V),
  };
  const hlast = new Float32Array(H);
  const loss = lossFunInto(inputs, targets, hprev, p, grads, hlast, options);
  return { loss, ...grads, hlast };
}

/**
 * {@link lossFun} writing into caller buffers: every element of the five gradients is overwritten (not
 * accumulated) and h_T goes to `hOut`, which may be `hprev` itself (to carry the state in place). No other
 * output may share memory with an input or another output. Returns the summed loss in nats.
 */
export function lossFunInto(
  inputs: ArrayLike<number>,
  targets: ArrayLike<number>,
  hprev: Float32Array,
  params: RnnParams,
  grads: RnnGrads,
  hOut: Float32Array,
  options?: LossFunOptions,
): number {
  const backend = readBackend(options);
  const p = readParams(params);
  const g = readGrads(grads);
  const H = p.bh.length;
  const V = p.by.length;
  checkShapes(p, g, hprev, hOut, H, V);
  const T = sequenceLength(inputs, targets, H, V);
  checkOverlaps(p, g, hprev, hOut);
  const native = resolveDropin(backend);
  const ids = idScratch(T);
  copyIds('inputs', inputs, ids.inputs, V);
  copyIds('targets', targets, ids.targets, V);
  if (native)
    return native.lossFun(
      ids.inputs,
      ids.targets,
      hprev,
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
      hOut,
    );
  return jsLossFun(ids.inputs, ids.targets, hprev, p, g, hOut, H, V);
}

// ---------------------------------------------------------------------------------------------------------
// Validation (mirrored, message for message, by LossFun in native/binding/dropin.cc)

function readBackend(options: LossFunOptions | undefined): BackendChoice | undefined {
  if (options === undefined) return undefined;
  if (options === null || typeof options !== 'object') typeError('an object', 'options', options);
  return options.backend;
}

function readParams(params: RnnParams): RnnParams {
  if (params === null || typeof params !== 'object')
    typeError('an object { Wxh, Whh, Why, bh, by }', 'params', params);
  const { Wxh, Whh, Why, bh, by } = params;
  return {
    Wxh: float32Array('Wxh', Wxh),
    Whh: float32Array('Whh', Whh),
    Why: float32Array('Why', Why),
    bh: float32Array('bh', bh),
    by: float32Array('by', by),
  };
}

function readGrads(grads: RnnGrads): RnnGrads {
  if (grads === null || typeof grads !== 'object')
    typeError('an object { dWxh, dWhh, dWhy, dbh, dby }', 'grads', grads);
  const { dWxh, dWhh, dWhy, dbh, dby } = grads;
  return {
    dWxh: float32Array('dWxh', dWxh),
    dWhh: float32Array('dWhh', dWhh),
    dWhy: float32Array('dWhy', dWhy),
    dbh: float32Array('dbh', dbh),
    dby: float32Array('dby', dby),
  };
}

function matrix(name: string, a: Float32Array, rows: number, cols: number, shape: string): void {
  if (a.length !== rows * cols)
    rangeError(`a Float32Array of length ${rows * cols} (${shape} = [${rows}, ${cols}])`, name, a);
}

function vector(name: string, a: Float32Array, n: number, shape: string): void {
  if (a.length !== n) rangeError(`a Float32Array of length ${n} (${shape} = [${n}])`, name, a);
}

/** H and V come from the biases; every other array must agree with them. */
function checkShapes(p: RnnParams, g: RnnGrads, hprev: unknown, hOut: unknown, H: number, V: number): void {
  float32Array('hprev', hprev);
  float32Array('hOut', hOut);
  if (H < 1 || H > MAX_HIDDEN_SIZE)
    rangeError(`a Float32Array of length in [1, ${MAX_HIDDEN_SIZE}] (H)`, 'bh', p.bh);
  if (V < 2 || V > MAX_VOCAB_SIZE)
    rangeError(`a Float32Array of length in [2, ${MAX_VOCAB_SIZE}] (V)`, 'by', p.by);
  matrix('Wxh', p.Wxh, H, V, '[H, V]');
  matrix('Whh', p.Whh, H, H, '[H, H]');
  matrix('Why', p.Why, V, H, '[V, H]');
  vector('hprev', hprev as Float32Array, H, '[H]');
  matrix('dWxh', g.dWxh, H, V, '[H, V]');
  matrix('dWhh', g.dWhh, H, H, '[H, H]');
  matrix('dWhy', g.dWhy, V, H, '[V, H]');
  vector('dbh', g.dbh, H, '[H]');
  vector('dby', g.dby, V, '[V]');
  vector('hOut', hOut as Float32Array, H, '[H]');
}

function arrayLength(name: string, ids: unknown): number {
  if (ids === null || typeof ids !== 'object') typeError('an array-like of token ids', name, ids);
  const n = (ids as { length?: unknown }).length;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 0 || n > 2 ** 32)
    typeError('an array-like of token ids', name, ids);
  return n;
}

function sequenceLength(inputs: unknown, targets: unknown, H: number, V: number): number {
  const T = arrayLength('inputs', inputs);
  const n = arrayLength('targets', targets);
  if (T < 1) rangeError('at least 1 token', 'inputs', inputs);
  if (n !== T) rangeError(`${T} token ids (as many as inputs)`, 'targets', targets);
  const widest = Math.max(H, V);
  if (T * widest > MAX_SCRATCH_ELEMENTS)
    throw new RangeError(
      `Expected inputs.length × max(H, V) ≤ ${MAX_SCRATCH_ELEMENTS} but received ${T} × ${widest}`,
    );
  return T;
}

/** Copies ids into `out` (Int32Array), checking each is an integer in [0, V). */
function copyIds(name: string, ids: ArrayLike<number>, out: Int32Array, V: number): void {
  for (let i = 0; i < out.length; i++) {
    const id = ids[i];
    if (typeof id !== 'number')
      throw new TypeError(
        `Expected token ids in [0, ${V - 1}] for ${name} but received ${describe(id)} at index ${i}`,
      );
    if (!Number.isInteger(id) || id < 0 || id >= V)
      throw new RangeError(
        `Expected token ids in [0, ${V - 1}] for ${name} but received ${id} at index ${i}`,
      );
    out[i] = id;
  }
}

function overlaps(a: Float32Array, b: Float32Array): boolean {
  if (a.buffer !== b.buffer || a.length === 0 || b.length === 0) return false;
  return a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength;
}

const OUT_NAMES = ['dWxh', 'dWhh', 'dWhy', 'dbh', 'dby', 'hOut'] as const;
const IN_NAMES = ['hprev', 'Wxh', 'Whh', 'Why', 'bh', 'by'] as const;
const EMPTY = new Float32Array(0);
const outs: Float32Array[] = [];
const ins: Float32Array[] = [];

function disjoint(name: string, out: Float32Array, other: string, a: Float32Array): void {
  if (overlaps(out, a))
    throw new RangeError(
      `Expected a Float32Array that shares no memory with ${other} for ${name} but received ${describe(out)} overlapping it`,
    );
}

/** Outputs are written: none may share memory with an input or another output (hOut may be hprev itself). */
function checkOverlaps(p: RnnParams, g: RnnGrads, hprev: Float32Array, hOut: Float32Array): void {
  outs[0] = g.dWxh;
  outs[1] = g.dWhh;
  outs[2] = g.dWhy;
  outs[3] = g.dbh;
  outs[4] = g.dby;
  outs[5] = hOut;
  ins[0] = hprev;
  ins[1] = p.Wxh;
  ins[2] = p.Whh;
  ins[3] = p.Why;
  ins[4] = p.bh;
  ins[5] = p.by;
  const inPlace = hOut.buffer === hprev.buffer && hOut.byteOffset === hprev.byteOffset;
  try {
    for (let i = 0; i < 6; i++) {
      for (let j = 0; j < i; j++) disjoint(OUT_NAMES[i], outs[i], OUT_NAMES[j], outs[j]);
      for (let j = 0; j < 6; j++) {
        if (i === 5 && j === 0 && inPlace) continue;
        disjoint(OUT_NAMES[i], outs[i], IN_NAMES[j], ins[j]);
      }
    }
  } finally {
    outs.fill(EMPTY); // hold no user buffer past the call
    ins.fill(EMPTY);
  }
}

// ---------------------------------------------------------------------------------------------------------
// Scratch: the id copies (sized exactly T, so the native call needs no views) and the JS fallback's arenas.

let idCache: { inputs: Int32Array; targets: Int32Array } | undefined;

function idScratch(T: number): { inputs: Int32Array; targets: Int32Array } {
  if (!idCache || idCache.inputs.length !== T)
    idCache = { inputs: new Int32Array(T), targets: new Int32Array(T) };
  return idCache;
}

interface JsScratch {
  H: number;
  V: number;
  session: BackendSession;
  hidden: Float32Array;
  /** Views into the session's params and grads arenas, in the order Wxh, Whh, Why, bh, by. */
  params: Float32Array[];
  grads: Float32Array[];
}

let jsCache: JsScratch | undefined;

function jsScratch(H: number, V: number): JsScratch {
  if (jsCache && jsCache.H === H && jsCache.V === V) return jsCache;
  const config = resolveModelConfig({ cell: 'rnn', hiddenSize: H, vocabSize: V });
  const layout = layoutFor(config);
  const arenas = {
    params: new Float32Array(layout.size),
    grads: new Float32Array(layout.size),
    optState: new Float32Array(layout.size),
  };
  const names = ['Wxh', 'Whh', 'Why', 'bh', 'by'];
  jsCache = {
    H,
    V,
    session: jsBackend.open(config, arenas),
    hidden: new Float32Array(H),
    params: names.map((n) => viewOf(arenas.params, layout.get(n))),
    grads: names.map((n) => viewOf(arenas.grads, layout.get(n))),
  };
  return jsCache;
}

/** The TypeScript fallback: the JS backend's chunk gradient (B = 1, reduction 'sum') on a cached arena copy. */
function jsLossFun(
  inputs: Int32Array,
  targets: Int32Array,
  hprev: Float32Array,
  p: RnnParams,
  g: RnnGrads,
  hOut: Float32Array,
  H: number,
  V: number,
): number {
  const s = jsScratch(H, V);
  s.params[0].set(p.Wxh);
  s.params[1].set(p.Whh);
  s.params[2].set(p.Why);
  s.params[3].set(p.bh);
  s.params[4].set(p.by);
  s.hidden.set(hprev);
  const T = inputs.length;
  const chunk: Chunk = { inputs, targets, batch: 1, steps: T, hidden: s.hidden };
  const meanLoss = s.session.gradient(chunk, 'sum');
  g.dWxh.set(s.grads[0]);
  g.dWhh.set(s.grads[1]);
  g.dWhy.set(s.grads[2]);
  g.dbh.set(s.grads[3]);
  g.dby.set(s.grads[4]);
  hOut.set(s.hidden);
  return meanLoss * T;
}

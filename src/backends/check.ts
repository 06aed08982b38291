// Argument checks shared by both backend adapters: the TS door of "validation at both doors".
// Deliberately checks only what a backend dereferences (lengths, id ranges, hyper-parameters).
import type { Arenas, Chunk, SampleRequest, StepHyper } from './backend.js';
import { optimizerSlots } from './backend.js';
import { argmax, drawFromProbs } from '../sampling/draw.js';
import { isIdentity, Transformer, type TransformSpec } from '../sampling/transform.js';
import type { Rng } from '../util/rng.js';
import { gateCount, type ModelConfig } from '../model/config.js';
import { layoutFor, stateSize } from '../model/layout.js';
import {
  describe,
  float32Array,
  numberInRange,
  positiveInt,
  positiveNumber,
  nonNegativeNumber,
  oneOf,
} from '../util/validate.js';

/** Upper bound on B·T·max(H, V) scratch elements a single call may ask for (≈ 2 GiB of float32). */
export const MAX_SCRATCH_ELEMENTS = 2 ** 29;

export function checkArenas(config: ModelConfig, arenas: Arenas): number {
  const P = layoutFor(config).size;
  float32Array('params', arenas.params, P);
  float32Array('grads', arenas.grads, P);
  float32Array('optState', arenas.optState);
  if (arenas.optState.length < P)
    throw new RangeError(
      `Expected a Float32Array of length ≥ ${P} for optState but received ${describe(arenas.optState)}`,
    );
  return P;
}

export function checkIds(name: string, ids: unknown, length: number | undefined, V: number): Int32Array {
  if (!(ids instanceof Int32Array))
    throw new TypeError(`Expected an Int32Array for ${name} but received ${describe(ids)}`);
  if (length !== undefined && ids.length !== length)
    throw new RangeError(
      `Expected an Int32Array of length ${length} for ${name} but received ${describe(ids)}`,
    );
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id < 0 || id >= V)
      throw new RangeError(
        `Expected token ids in [0, ${V - 1}] for ${name} but received ${id} at index ${i}`,
      );
  }
  return ids;
}

export function checkChunk(config: ModelConfig, chunk: Chunk): void {
  if (chunk === null || typeof chunk !== 'object')
    throw new TypeError(`Expected an object for chunk but received ${describe(chunk)}`);
  const B = positiveInt('batch', chunk.batch);
  const T = positiveInt('steps', chunk.steps);
  const widest = Math.max(
    gateCount(config.cell) * Math.max(...config.hiddenSizes),
    config.vocabSize,
    config.embeddingSize,
  );
  if (B * T * widest > MAX_SCRATCH_ELEMENTS)
    throw new RangeError(
      `Expected batch × steps × max(hiddenSize, vocabSize) ≤ ${MAX_SCRATCH_ELEMENTS} but received ${B} × ${T} × ${widest}`,
    );
  checkIds('inputs', chunk.inputs, B * T, config.vocabSize);
  checkIds('targets', chunk.targets, B * T, config.vocabSize);
  float32Array('hidden', chunk.hidden, stateSize(config, B));
  if (config.dropout > 0) checkRngState(chunk.rngState, 'dropout > 0 needs a seeded mask stream');
}

function checkRngState(state: unknown, hint?: string): void {
  if (!(state instanceof Uint32Array) || state.length !== 4)
    throw new TypeError(
      `Expected a Uint32Array of length 4 for rngState but received ${describe(state)}` +
        (hint ? `. HINT: ${hint}` : ''),
    );
}

export function checkHyper(hyper: StepHyper, arenas: Arenas, P: number): void {
  if (hyper === null || typeof hyper !== 'object')
    throw new TypeError(`Expected an object for hyper but received ${describe(hyper)}`);
  const o = hyper.optimizer;
  if (o === null || typeof o !== 'object')
    throw new TypeError(`Expected an object for optimizer but received ${describe(o)}`);
  const kind = oneOf('optimizer.kind', o.kind, ['sgd', 'adagrad', 'rmsprop', 'adam'] as const);
  positiveNumber('lr', o.lr);
  numberInRange('momentum', o.momentum, 0, 1, true);
  numberInRange('beta1', o.beta1, 0, 1, true);
  numberInRange('beta2', o.beta2, 0, 1, true);
  positiveNumber('eps', o.eps);
  nonNegativeNumber('weightDecay', o.weightDecay);
  nonNegativeNumber('clipValue', hyper.clipValue);
  nonNegativeNumber('clipNorm', hyper.clipNorm);
  positiveInt('step', hyper.step);
  oneOf('reduction', hyper.reduction, ['sum', 'mean'] as const);
  const need = optimizerSlots(kind) * P;
  if (arenas.optState.length < need)
    throw new RangeError(
      `Expected a Float32Array of length ≥ ${need} for optState (${kind}) but received ${describe(arenas.optState)}`,
    );
}

export function checkTemperature(t: unknown): number {
  return positiveNumber('temperature', t);
}

export function checkSample(config: ModelConfig, req: SampleRequest): void {
  if (req === null || typeof req !== 'object')
    throw new TypeError(`Expected an object for sample request but received ${describe(req)}`);
  float32Array('hidden', req.hidden, stateSize(config, 1));
  checkIds('prime', req.prime, undefined, config.vocabSize);
  if (req.prime.length < 1)
    throw new RangeError(`Expected at least 1 token for prime but received an Int32Array of length 0`);
  if (
    typeof req.length !== 'number' ||
    !Number.isInteger(req.length) ||
    req.length < 0 ||
    req.length > 2 ** 30
  )
    throw new RangeError(
      `Expected an integer in [0, ${2 ** 30}] for length but received ${describe(req.length)}`,
    );
  if (!req.greedy) checkTemperature(req.temperature);
  checkRngState(req.rngState);
  if (req.transform !== undefined) checkTransform(req.transform, config.vocabSize);
}

/** The generation options of a sample request (src/generate/transform.ts), as the addon checks them. */
export function checkTransform(spec: TransformSpec, V: number): void {
  if (spec === null || typeof spec !== 'object')
    throw new TypeError(`Expected an object for transform but received ${describe(spec)}`);
  checkIds('banned', spec.banned, undefined, V);
  const theta = spec.repetitionPenalty;
  if (typeof theta !== 'number' || !Number.isFinite(theta) || theta < 1)
    throw new RangeError(
      `Expected a finite number ≥ 1 for repetitionPenalty but received ${describe(theta)}`,
    );
  const w = spec.repetitionWindow;
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > 2 ** 30)
    throw new RangeError(
      `Expected an integer in [1, ${2 ** 30}] for repetitionWindow but received ${describe(w)}`,
    );
  const k = spec.topK;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > 2 ** 31 - 1)
    throw new RangeError(`Expected an integer in [0, ${2 ** 31 - 1}] for topK but received ${describe(k)}`);
  const p = spec.topP;
  if (typeof p !== 'number' || !(p > 0 && p <= 1))
    throw new RangeError(`Expected a number in (0, 1] for topP but received ${describe(p)}`);
}

/**
 * The token rule of a JS sampling loop: the plain draw (argmax when greedy), or the transform rule when the
 * request carries generation options. `n` is the number of tokens generated so far (the history is the prime
 * followed by them).
 */
export function tokenPicker(
  req: SampleRequest,
  V: number,
  rng: Rng,
): (probs: Float32Array, n: number) => number {
  const spec = req.transform;
  const greedy = Boolean(req.greedy);
  if (spec === undefined || isIdentity(spec))
    return (probs) => (greedy ? argmax(probs) : drawFromProbs(probs, rng));
  const transformer = new Transformer(V);
  const history = new Int32Array(req.prime.length + req.length);
  history.set(req.prime);
  return (probs, n) => {
    const tok = transformer.pick(probs, spec, history, req.prime.length + n, greedy, rng);
    history[req.prime.length + n] = tok; // picks come in order: the history grows by each one
    return tok;
  };
}

// Argument checks of the backend interface's types (arenas, chunks, hyper-parameters, sample requests), shared by
// both backend adapters (./js and ./native.ts): the TS door of "validation at both doors". The checks they build
// on live below the backends: token ids in src/util/validate.ts, the generation options beside their rule in
// src/sampling/transform.ts, the limits in src/model/config.ts. Deliberately checks only what a backend
// dereferences (lengths, id ranges, hyper-parameters).
import type {
  Arenas,
  Chunk,
  SampleRequest,
  SequenceBatch,
  SequenceLossOptions,
  StepHyper,
} from './backend.js';
import { optimizerSlots } from './backend.js';
import { checkTransform } from '../sampling/transform.js';
import {
  directions,
  gateCount,
  MAX_SAMPLE_LENGTH,
  MAX_SCRATCH_ELEMENTS,
  type ModelConfig,
} from '../model/config.js';
import { stateSize } from '../model/layout.js';
import { describeModel } from '../model/spec.js';
import {
  checkIds,
  describe,
  float32Array,
  numberInRange,
  positiveInt,
  positiveNumber,
  nonNegativeNumber,
  oneOf,
} from '../util/validate.js';

/** Checks the arenas against the model's layout; returns its length P. */
export function checkArenas(config: ModelConfig, arenas: Arenas): number {
  const P = describeModel(config).layout.size;
  float32Array('params', arenas.params, P);
  float32Array('grads', arenas.grads, P);
  float32Array('optState', arenas.optState);
  if (arenas.optState.length < P)
    throw new RangeError(
      `Expected a Float32Array of length ≥ ${P} for optState but received ${describe(arenas.optState)}`,
    );
  return P;
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

/** stepBatch's arguments: n = tokens.length ≥ 1 streams within the scratch cap, states [n·S], probs [n·V]. */
export function checkStepBatch(
  config: ModelConfig,
  states: unknown,
  tokens: unknown,
  probs: unknown,
  temperature: unknown,
): void {
  const S = stateSize(config, 1);
  const V = config.vocabSize;
  if (!(tokens instanceof Int32Array))
    throw new TypeError(`Expected an Int32Array for tokens but received ${describe(tokens)}`);
  const n = tokens.length;
  const widest = Math.max(
    S,
    gateCount(config.cell) * Math.max(...config.hiddenSizes),
    config.vocabSize,
    config.embeddingSize,
  );
  if (n < 1 || n * widest > MAX_SCRATCH_ELEMENTS)
    throw new RangeError(
      `Expected 1 ≤ tokens.length and tokens.length × max(stateSize, hiddenSize, vocabSize) ≤ ${MAX_SCRATCH_ELEMENTS} but received ${n} × ${widest}`,
    );
  checkIds('tokens', tokens, n, V);
  float32Array('states', states, n * S);
  float32Array('probs', probs, n * V);
  if ((states as Float32Array).buffer === (probs as Float32Array).buffer) {
    const a = states as Float32Array;
    const b = probs as Float32Array;
    if (a.byteOffset < b.byteOffset + b.byteLength && b.byteOffset < a.byteOffset + a.byteLength)
      throw new RangeError(
        'Expected states and probs to be disjoint Float32Arrays but received overlapping views of one buffer',
      );
  }
  checkTemperature(temperature);
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
    req.length > MAX_SAMPLE_LENGTH
  )
    throw new RangeError(
      `Expected an integer in [0, ${MAX_SAMPLE_LENGTH}] for length but received ${describe(req.length)}`,
    );
  if (!req.greedy) checkTemperature(req.temperature);
  checkRngState(req.rngState);
  if (req.transform !== undefined) checkTransform(req.transform, config.vocabSize);
}

/**
 * A padded sequence batch for a 'classify' / 'tag' model (see SequenceBatch): B, T ≥ 1 within the scratch cap, ids
 * [B·T] in [0, V), lengths [B] in [1, T], and (withLabels) labels in [0, C) — classify [B], tag [B·T] with −1 allowed
 * (labels at padded steps are never counted, whatever they hold).
 */
export function checkSequenceBatch(config: ModelConfig, batch: SequenceBatch, withLabels: boolean): void {
  if (batch === null || typeof batch !== 'object')
    throw new TypeError(`Expected an object for batch but received ${describe(batch)}`);
  const B = positiveInt('batch.B', batch.B);
  const T = positiveInt('batch.T', batch.T);
  const D = directions(config);
  const widest = Math.max(
    gateCount(config.cell) * Math.max(...config.hiddenSizes),
    D * Math.max(...config.hiddenSizes),
    config.numClasses,
    config.embeddingSize,
  );
  if (B * T * widest > MAX_SCRATCH_ELEMENTS)
    throw new RangeError(
      `Expected B × T × max(gates × hiddenSize, numClasses, embeddingSize) ≤ ${MAX_SCRATCH_ELEMENTS} but received ${B} × ${T} × ${widest}`,
    );
  checkIds('batch.ids', batch.ids, B * T, config.vocabSize);
  const lengths = batch.lengths;
  if (!(lengths instanceof Int32Array) || lengths.length !== B)
    throw new TypeError(
      `Expected an Int32Array of length ${B} for batch.lengths but received ${describe(lengths)}`,
    );
  for (let b = 0; b < B; b++)
    if (lengths[b] < 1 || lengths[b] > T)
      throw new RangeError(
        `Expected an integer in [1, ${T}] for batch.lengths[${b}] but received ${lengths[b]}`,
      );
  if (!withLabels) return;
  const tag = config.task === 'tag';
  const n = tag ? B * T : B;
  const labels = batch.labels;
  if (!(labels instanceof Int32Array) || labels.length !== n)
    throw new TypeError(
      `Expected an Int32Array of length ${n} (${tag ? 'B × T: one label per step' : 'B: one label per sequence'}) for batch.labels but received ${describe(labels)}`,
    );
  const C = config.numClasses;
  const lo = tag ? -1 : 0;
  for (let i = 0; i < n; i++)
    if (labels[i] < lo || labels[i] >= C)
      throw new RangeError(
        `Expected a label in [${lo}, ${C - 1}]${tag ? ' (−1 = not counted)' : ''} for batch.labels[${i}] but received ${labels[i]}`,
      );
}

/** Class weights of a sequence loss: absent, or a Float32Array [C] of finite values ≥ 0. */
export function checkSequenceLoss(
  config: ModelConfig,
  options: SequenceLossOptions,
): Float32Array | undefined {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`Expected an options object but received ${describe(options)}`);
  const w = options.classWeights;
  if (w === undefined) return undefined;
  float32Array('classWeights', w, config.numClasses);
  for (let i = 0; i < w.length; i++)
    if (!(Number.isFinite(w[i]) && w[i] >= 0))
      throw new RangeError(`Expected a finite number ≥ 0 for classWeights[${i}] but received ${w[i]}`);
  return w;
}

/** The dropout mask stream a sequence call needs when config.dropout > 0. */
export function checkSequenceRng(config: ModelConfig, rngState: unknown): void {
  if (config.dropout > 0) checkRngState(rngState, 'dropout > 0 needs a seeded mask stream');
}

// The trainer's resumable state as plain JSON data (checkpoints store it in `__metadata__.training_state`),
// and its validator. It lives in src/run, below both the trainer (src/train) that advances it and the checkpoint
// format (src/io) that stores it, so neither imports the other's folder for it. The model-owned parts (optimizer moments, carried hidden state, dropout PRNG) live
// in CharRNN.exportTrainingState. Deliberately no I/O and no training logic here.
import type { OptimizerHyper } from '../backends/backend.js';
import { describe } from '../util/validate.js';
import { OPTIMIZERS } from './optim.js';
import {
  checkScheduleState,
  resolveSchedule,
  type LrSchedule,
  type LrScheduleOptions,
  type LrScheduleState,
} from './schedule.js';

/** Where the training text came from, so `--resume` can find it and check it is the same split. */
export interface CorpusReference {
  /** What the user passed (`shakespeare` or a file path, absolute when saved by the CLI). */
  ref: string;
  /** Fraction held out for validation. */
  validationFraction: number;
  /** Tokens in the training split (a resumed run must see the same number). */
  trainTokens: number;
}

export interface TrainingState {
  /** Completed iterations (optimizer updates). The next update is step iteration + 1. */
  iteration: number;
  /** Completed passes over the training split. */
  epoch: number;
  /** Index of the next chunk within the epoch (Batcher.position). */
  position: number;
  /** Exponential moving average of the chunk loss. */
  smoothLoss: number;
  /** Best periodic validation loss so far (null before the first). */
  bestValLoss: number | null;
  /** Learning rate of the last update (informational; recomputed from the schedule). */
  lr: number;
  /** Optimizer kind and hyper-parameters; optimizer.lr is the base learning rate. */
  optimizer: OptimizerHyper;
  lrSchedule: LrSchedule;
  schedule: LrScheduleState;
  clipValue: number;
  clipNorm: number;
  reduction: 'sum' | 'mean';
  seqLength: number;
  batchSize: number;
  /** EMA factor of smoothLoss. */
  smoothing: number;
  /** Periodic validation every N iterations (0 = by time or never: not reproducible for plateau). */
  evalEvery: number;
  /** NaN/Inf roll-backs so far. */
  rollbacks: number;
  /** Initialisation seed, when known. */
  seed: number | null;
  corpus: CorpusReference | null;
}

/** Throws the loader's typed error for a field (e.g. "training_state.iteration"). */
export type FieldFail = (field: string, message: string) => never;

const defaultFail: FieldFail = (field, message) => {
  throw new RangeError(message.includes(field) ? message : `${message} (${field})`);
};

/** The keys of each kind of schedule as a checkpoint stores it (resolved: every field written). */
const SCHEDULE_KEYS: Record<LrSchedule['kind'], readonly string[]> = {
  none: ['kind'],
  step: ['kind', 'every', 'gamma'],
  exp: ['kind', 'gamma', 'every'],
  plateau: ['kind', 'factor', 'patience', 'minLr', 'threshold'],
  cosine: ['kind', 'floor'],
  linear: ['kind', 'floor'],
};

/**
 * Validate a parsed `training_state` object: every field present, of the right type and range, integers
 * exact, no extra keys (at any depth). Returns a fresh object (the input is not kept).
 */
export function checkTrainingState(
  value: unknown,
  name = 'training_state',
  fail = defaultFail,
): TrainingState {
  const obj = (v: unknown, field: string): Record<string, unknown> => {
    if (v === null || typeof v !== 'object' || Array.isArray(v))
      fail(field, `Expected an object for ${field} but received ${describe(v)}`);
    return v as Record<string, unknown>;
  };
  const o = obj(value, name);
  const expect = (field: string, what: string, v: unknown): never =>
    fail(`${name}.${field}`, `Expected ${what} for ${name}.${field} but received ${describe(v)}`);
  const int = (field: string, min: number, v = o[field]): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min) expect(field, `an integer ≥ ${min}`, v);
    return v as number;
  };
  const finite = (field: string, v = o[field], min = -Infinity, max = Infinity): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v < min || v > max)
      expect(field, `a finite number in [${min}, ${max}]`, v);
    return v as number;
  };
  const positive = (field: string, v = o[field]): number => {
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) expect(field, 'a positive finite number', v);
    return v as number;
  };
  const nullableFinite = (field: string): number | null => (o[field] === null ? null : finite(field));
  const allowed = new Set([
    'iteration',
    'epoch',
    'position',
    'smoothLoss',
    'bestValLoss',
    'lr',
    'optimizer',
    'lrSchedule',
    'schedule',
    'clipValue',
    'clipNorm',
    'reduction',
    'seqLength',
    'batchSize',
    'smoothing',
    'evalEvery',
    'rollbacks',
    'seed',
    'corpus',
  ]);
  // Exactly these keys, at every level: an unknown key is a misspelling or another program's, and a missing one
  // would be defaulted into a state the file does not name.
  const exactKeys = (v: Record<string, unknown>, path: string, keys: Iterable<string>): void => {
    const want = new Set(keys);
    for (const k of Object.keys(v)) if (!want.has(k)) fail(`${path}.${k}`, `Unexpected key ${path}.${k}`);
    for (const k of want)
      if (!Object.hasOwn(v, k)) fail(`${path}.${k}`, `Missing ${path}.${k} in the training state`);
  };
  exactKeys(o, name, allowed);

  const opt = obj(o.optimizer, `${name}.optimizer`);
  exactKeys(opt, `${name}.optimizer`, ['kind', 'lr', 'momentum', 'beta1', 'beta2', 'eps', 'weightDecay']);
  const optField = (k: string) => `optimizer.${k}`;
  const kind = opt.kind;
  if (typeof kind !== 'string' || !(OPTIMIZERS as readonly string[]).includes(kind))
    expect('optimizer.kind', `one of ${OPTIMIZERS.join(', ')}`, kind);
  const optimizer: OptimizerHyper = {
    kind: kind as OptimizerHyper['kind'],
    lr: positive(optField('lr'), opt.lr),
    momentum: finite(optField('momentum'), opt.momentum, 0, 1),
    beta1: finite(optField('beta1'), opt.beta1, 0, 1),
    beta2: finite(optField('beta2'), opt.beta2, 0, 1),
    eps: positive(optField('eps'), opt.eps),
    weightDecay: finite(optField('weightDecay'), opt.weightDecay, 0),
  };
  let lrSchedule: LrSchedule;
  const sched = obj(o.lrSchedule, `${name}.lrSchedule`);
  try {
    lrSchedule = resolveSchedule(sched as LrScheduleOptions);
  } catch (err) {
    return fail(`${name}.lrSchedule`, (err as Error).message);
  }
  // The values first (their messages name the field), then the keys: resolveSchedule defaults missing ones.
  exactKeys(sched, `${name}.lrSchedule`, SCHEDULE_KEYS[lrSchedule.kind]);
  let schedule: LrScheduleState;
  try {
    schedule = checkScheduleState(o.schedule, `${name}.schedule`);
  } catch (err) {
    return fail(`${name}.schedule`, (err as Error).message);
  }
  exactKeys(o.schedule as Record<string, unknown>, `${name}.schedule`, [
    'baseLr',
    'scale',
    'best',
    'badEvals',
  ]);
  const reduction = o.reduction;
  if (reduction !== 'sum' && reduction !== 'mean') expect('reduction', "'sum' or 'mean'", reduction);
  let corpus: CorpusReference | null = null;
  if (o.corpus !== null) {
    const c = obj(o.corpus, `${name}.corpus`);
    exactKeys(c, `${name}.corpus`, ['ref', 'validationFraction', 'trainTokens']);
    if (typeof c.ref !== 'string' || c.ref.length === 0) expect('corpus.ref', 'a non-empty string', c.ref);
    corpus = {
      ref: c.ref as string,
      validationFraction: finite('corpus.validationFraction', c.validationFraction, 0, 0.5),
      trainTokens: int('corpus.trainTokens', 2, c.trainTokens),
    };
  }
  return {
    iteration: int('iteration', 0),
    epoch: int('epoch', 0),
    position: int('position', 0),
    smoothLoss: finite('smoothLoss'),
    bestValLoss: nullableFinite('bestValLoss'),
    lr: positive('lr'),
    optimizer,
    lrSchedule,
    schedule,
    clipValue: finite('clipValue', o.clipValue, 0),
    clipNorm: finite('clipNorm', o.clipNorm, 0),
    reduction: reduction as 'sum' | 'mean',
    seqLength: int('seqLength', 1),
    batchSize: int('batchSize', 1),
    smoothing: finite('smoothing', o.smoothing, 0, 1),
    evalEvery: int('evalEvery', 0),
    rollbacks: int('rollbacks', 0),
    seed: o.seed === null ? null : (int('seed', -(2 ** 53)) as number),
    corpus,
  };
}

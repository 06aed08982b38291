// Option resolution for train(): every TrainOptions value checked and defaulted (or taken from the checkpoint
// being resumed, where it fixes the arithmetic), in one pass before the loop starts. Deliberately no training:
// the loop itself is trainer.ts.
import type { OptimizerHyper } from '../backends/backend.js';
import {
  describe,
  nonNegativeInt,
  nonNegativeNumber,
  numberInRange,
  oneOf,
  positiveInt,
  positiveNumber,
} from '../util/validate.js';
import { resolveOptimizer } from '../run/optim.js';
import { formatSchedule, isBudgetSchedule, resolveSchedule, type LrSchedule } from '../run/schedule.js';
import type { CorpusReference } from '../run/state.js';
import type { CheckpointOptions, TrainOptions } from './trainer.js';

/** Same options, same values? (JSON of plain data; key order as written by the resolvers.) */
export function sameJson(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

/** TrainOptions after checking and defaulting: what the loop runs with (Infinity = no such limit). */
export interface ResolvedTrainOptions {
  /** Settings that fix the arithmetic (and must match the checkpoint on resume). */
  fixed: {
    seqLength: number;
    batchSize: number;
    optimizer: OptimizerHyper;
    clipValue: number;
    clipNorm: number;
    reduction: 'sum' | 'mean';
    lrSchedule: LrSchedule;
  };
  maxIters: number;
  maxEpochs: number;
  maxTime: number;
  maxTrainTime: number;
  evalInterval: number | undefined;
  evalEvery: number;
  sampleEvery: number;
  sampleInterval: number | undefined;
  logEvery: number | undefined;
  logInterval: number;
  smoothing: number;
  onNonFinite: 'stop' | 'rollback';
  rollbackFactor: number;
  maxRollbacks: number;
  checkpoint: CheckpointOptions | undefined;
  corpusRef: CorpusReference | null;
  seed: number | null;
}

/**
 * Check and default `options` for a run over a training split of `trainTokens` tokens; on resume, the
 * settings that fix the arithmetic come from the checkpoint and must not contradict it. Throws the
 * TypeError / RangeError of the first bad option.
 */
/**
 * The stop criteria of train / trainTask (Infinity when absent): at least one of them or a signal, and a budget
 * for a schedule that decays over it (cosine, linear).
 */
export function resolveBudget(
  options: {
    maxIters?: number;
    maxEpochs?: number;
    maxTime?: number;
    maxTrainTime?: number;
    signal?: AbortSignal;
  },
  lrSchedule: LrSchedule,
  caller: 'train' | 'trainTask',
): { maxIters: number; maxEpochs: number; maxTime: number; maxTrainTime: number } {
  const maxIters = options.maxIters === undefined ? Infinity : positiveInt('maxIters', options.maxIters);
  const maxEpochs = options.maxEpochs === undefined ? Infinity : positiveInt('maxEpochs', options.maxEpochs);
  const maxTime = options.maxTime === undefined ? Infinity : nonNegativeNumber('maxTime', options.maxTime);
  const maxTrainTime =
    options.maxTrainTime === undefined ? Infinity : nonNegativeNumber('maxTrainTime', options.maxTrainTime);
  const budget =
    maxIters !== Infinity || maxEpochs !== Infinity || maxTime !== Infinity || maxTrainTime !== Infinity;
  if (!budget && !options.signal)
    throw new RangeError(
      `Expected a stop criterion (maxIters, maxEpochs, maxTime, maxTrainTime or signal) for ${caller} but received none`,
    );
  if (isBudgetSchedule(lrSchedule) && !budget)
    throw new RangeError(
      `Expected maxIters, maxEpochs, maxTime or maxTrainTime for lrSchedule '${formatSchedule(lrSchedule)}' but received none. ` +
        "HINT: it decays over the run's budget",
    );
  return { maxIters, maxEpochs, maxTime, maxTrainTime };
}

export function resolveTrainOptions(options: TrainOptions, trainTokens: number): ResolvedTrainOptions {
  const resume = options.resume;
  // Settings that fix the arithmetic: from the checkpoint when resuming, else from the options.
  const fixed = {
    seqLength: positiveInt('seqLength', options.seqLength ?? resume?.seqLength ?? 25),
    batchSize: positiveInt('batchSize', options.batchSize ?? resume?.batchSize ?? 1),
    optimizer:
      options.optimizer === undefined && resume ? resume.optimizer : resolveOptimizer(options.optimizer),
    clipValue: nonNegativeNumber('clipValue', options.clipValue ?? resume?.clipValue ?? 5),
    clipNorm: nonNegativeNumber('clipNorm', options.clipNorm ?? resume?.clipNorm ?? 0),
    reduction: oneOf('reduction', options.reduction ?? resume?.reduction ?? 'sum', ['sum', 'mean'] as const),
    lrSchedule:
      options.lrSchedule === undefined && resume ? resume.lrSchedule : resolveSchedule(options.lrSchedule),
  };
  if (resume) {
    for (const key of Object.keys(fixed) as (keyof typeof fixed)[])
      if (!sameJson(fixed[key], resume[key]))
        throw new RangeError(
          `Expected ${key === 'lrSchedule' ? formatSchedule(resume.lrSchedule) : JSON.stringify(resume[key])} ` +
            `(the checkpoint's) for ${key} but received ${key === 'lrSchedule' ? formatSchedule(fixed.lrSchedule) : JSON.stringify(fixed[key])}. ` +
            'HINT: an exact resume keeps the settings the run started with; leave this option out',
        );
    if (resume.corpus && resume.corpus.trainTokens !== trainTokens)
      throw new RangeError(
        `Expected a training split of ${resume.corpus.trainTokens} tokens (the checkpoint's) for trainIds but received ` +
          `${trainTokens}. HINT: resume on the same corpus with the same validation fraction`,
      );
  }
  const { maxIters, maxEpochs, maxTime, maxTrainTime } = resolveBudget(options, fixed.lrSchedule, 'train');
  const evalInterval =
    options.evalInterval === undefined ? undefined : positiveNumber('evalInterval', options.evalInterval);
  const evalEvery =
    evalInterval !== undefined
      ? 0
      : nonNegativeInt('evalEvery', options.evalEvery ?? resume?.evalEvery ?? 1000);
  const sampleEvery = nonNegativeInt('sampleEvery', options.sampleEvery ?? 0);
  const sampleInterval =
    options.sampleInterval === undefined
      ? undefined
      : positiveNumber('sampleInterval', options.sampleInterval);
  const logEvery = options.logEvery === undefined ? undefined : positiveInt('logEvery', options.logEvery);
  const logInterval = positiveNumber('logInterval', options.logInterval ?? 1);
  const smoothing = numberInRange('smoothing', options.smoothing ?? resume?.smoothing ?? 0.999, 0, 1);
  const onNonFinite = oneOf('onNonFinite', options.onNonFinite ?? 'stop', ['stop', 'rollback'] as const);
  const rollbackFactor = numberInRange('rollbackFactor', options.rollbackFactor ?? 0.5, 0, 1, true);
  if (rollbackFactor === 0)
    throw new RangeError('Expected a number in (0, 1) for rollbackFactor but received 0');
  const maxRollbacks = nonNegativeInt('maxRollbacks', options.maxRollbacks ?? 3);
  const ck = options.checkpoint;
  if (ck !== undefined) {
    if (ck === null || typeof ck !== 'object')
      throw new TypeError(`Expected an options object for checkpoint but received ${describe(ck)}`);
    if (typeof ck.path !== 'string' || ck.path === '')
      throw new TypeError(`Expected a file path for checkpoint.path but received ${describe(ck.path)}`);
    nonNegativeInt('checkpoint.every', ck.every ?? 0);
    nonNegativeNumber('checkpoint.interval', ck.interval ?? 0);
    nonNegativeInt('checkpoint.keepLast', ck.keepLast ?? 0);
  }
  if (onNonFinite === 'rollback' && ck === undefined)
    throw new RangeError(
      "Expected checkpoint options for onNonFinite 'rollback' but received none. HINT: a roll-back needs a checkpoint to go back to",
    );
  const corpusRef: CorpusReference | null = options.corpus
    ? { ...options.corpus, trainTokens: trainTokens }
    : (resume?.corpus ?? null);
  const seed = options.seed ?? resume?.seed ?? null;

  return {
    fixed,
    maxIters,
    maxEpochs,
    maxTime,
    maxTrainTime,
    evalInterval,
    evalEvery,
    sampleEvery,
    sampleInterval,
    logEvery,
    logInterval,
    smoothing,
    onNonFinite,
    rollbackFactor,
    maxRollbacks,
    checkpoint: ck,
    corpusRef,
    seed,
  };
}

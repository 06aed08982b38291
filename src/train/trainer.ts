// The training loop: chunks from a Batcher, one backend call each, smoothed loss, periodic validation
// and sample previews, progress events, and stopping by iterations / epochs / wall time / abort signal.
// Deliberately no printing (the CLI renders events) and no file I/O (checkpoints are the caller's).
import type { StepHyper } from '../backends/backend.js';
import type { CharRNN, EvaluateResult } from '../model/model.js';
import { Batcher } from '../text/batcher.js';
import type { TokenIds } from '../text/vocabulary.js';
import { nonNegativeInt, nonNegativeNumber, oneOf, positiveInt, positiveNumber } from '../util/validate.js';
import { resolveOptimizer, type OptimizerOptions } from './optim.js';

export interface TrainOptions {
  /** Steps of backprop-through-time per chunk (T, default 25). */
  seqLength?: number;
  /** Parallel streams (B, default 1). */
  batchSize?: number;
  optimizer?: OptimizerOptions;
  /** Element-wise gradient clamp to [−c, c] (default 5, as min-char-rnn; 0 = off). */
  clipValue?: number;
  /** Global-norm clipping (default 0 = off). */
  clipNorm?: number;
  /** 'sum' (default, min-char-rnn) or 'mean' (PyTorch) cross-entropy reduction for the gradient. */
  reduction?: 'sum' | 'mean';
  /** Stop after this many iterations (chunks). */
  maxIters?: number;
  /** Stop after this many passes over the training split. */
  maxEpochs?: number;
  /** Stop after this many seconds of training. */
  maxTime?: number;
  /** Validate every N iterations (default 1000 unless evalInterval is given; 0 = only at the end). */
  evalEvery?: number;
  /** Validate every this many seconds of training instead (wall time; takes precedence over evalEvery). */
  evalInterval?: number;
  /** Sample a preview every N iterations (default 0 = never). */
  sampleEvery?: number;
  sampleLength?: number;
  sampleTemperature?: number;
  /** Emit a 'progress' event every N iterations (default: time-based, see logInterval). */
  logEvery?: number;
  /** Emit a 'progress' event every this many seconds (default 1) when logEvery is not given. */
  logInterval?: number;
  /** EMA factor of the smoothed loss (default 0.999, as min-char-rnn). */
  smoothing?: number;
  onEvent?: (event: TrainEvent) => void;
  signal?: AbortSignal;
}

export interface ProgressEvent {
  type: 'progress';
  iteration: number;
  epoch: number;
  /** Fraction of the current epoch done. */
  epochProgress: number;
  loss: number;
  smoothLoss: number;
  gradNorm: number;
  /** Tokens trained per second since the previous progress event. */
  charsPerSec: number;
  elapsed: number;
  /** Estimated seconds left when a stop criterion allows it, else undefined. */
  eta?: number;
  /** Fraction of the whole run done (by the stop criterion closest to firing), if known. */
  fraction?: number;
}

export interface EvalEvent {
  type: 'eval';
  iteration: number;
  elapsed: number;
  valLoss: number;
  valPerplexity: number;
  valBitsPerChar: number;
}

export interface SampleEvent {
  type: 'sample';
  iteration: number;
  text: string;
}

export type TrainEvent = ProgressEvent | EvalEvent | SampleEvent;

export interface TrainResult {
  iterations: number;
  epochs: number;
  elapsed: number;
  smoothLoss: number;
  validation?: EvaluateResult;
  stoppedBy: 'maxIters' | 'maxEpochs' | 'maxTime' | 'signal';
  /** Validation losses recorded during the run. */
  history: EvalEvent[];
}

/**
 * Train `model` on `train` ids (and validate on `validation` ids when given).
 * Yields to the event loop between chunks so timers, signals and progress rendering stay live.
 */
export async function train(
  model: CharRNN,
  trainIds: TokenIds,
  validation: TokenIds | undefined,
  options: TrainOptions = {},
): Promise<TrainResult> {
  const T = positiveInt('seqLength', options.seqLength ?? 25);
  const B = positiveInt('batchSize', options.batchSize ?? 1);
  const maxIters = options.maxIters === undefined ? Infinity : positiveInt('maxIters', options.maxIters);
  const maxEpochs = options.maxEpochs === undefined ? Infinity : positiveInt('maxEpochs', options.maxEpochs);
  const maxTime = options.maxTime === undefined ? Infinity : nonNegativeNumber('maxTime', options.maxTime);
  if (maxIters === Infinity && maxEpochs === Infinity && maxTime === Infinity && !options.signal)
    throw new RangeError(
      'Expected a stop criterion (maxIters, maxEpochs, maxTime or signal) for train but received none',
    );
  const evalInterval =
    options.evalInterval === undefined ? undefined : positiveNumber('evalInterval', options.evalInterval);
  const evalEvery = evalInterval !== undefined ? 0 : nonNegativeInt('evalEvery', options.evalEvery ?? 1000);
  const sampleEvery = nonNegativeInt('sampleEvery', options.sampleEvery ?? 0);
  const logEvery = options.logEvery === undefined ? undefined : positiveInt('logEvery', options.logEvery);
  const logInterval = positiveNumber('logInterval', options.logInterval ?? 1);
  const smoothing = options.smoothing ?? 0.999;
  const hyperBase = {
    optimizer: resolveOptimizer(options.optimizer),
    clipValue: nonNegativeNumber('clipValue', options.clipValue ?? 5),
    clipNorm: nonNegativeNumber('clipNorm', options.clipNorm ?? 0),
    reduction: oneOf('reduction', options.reduction ?? 'sum', ['sum', 'mean'] as const),
  };
  const batcher = new Batcher(trainIds, B, T);
  const valIds = validation && validation.length >= 2 ? validation : undefined;
  const emit = options.onEvent ?? (() => {});
  const history: EvalEvent[] = [];

  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  let smoothLoss = Math.log(model.config.vocabSize);
  let iteration = 0;
  let lastLogTime = t0;
  let lastLogIter = 0;
  let lastYield = t0;
  let lastEvalTime = t0;
  let stoppedBy: TrainResult['stoppedBy'] = 'maxIters';

  const validate = () => {
    if (!valIds) return;
    const r = model.evaluate(valIds);
    const ev: EvalEvent = {
      type: 'eval',
      iteration,
      elapsed: elapsed(),
      valLoss: r.loss,
      valPerplexity: r.perplexity,
      valBitsPerChar: r.bitsPerChar,
    };
    history.push(ev);
    emit(ev);
    return r;
  };

  for (;;) {
    if (iteration >= maxIters) {
      stoppedBy = 'maxIters';
      break;
    }
    if (batcher.epoch >= maxEpochs) {
      stoppedBy = 'maxEpochs';
      break;
    }
    if (elapsed() >= maxTime) {
      stoppedBy = 'maxTime';
      break;
    }
    if (options.signal?.aborted) {
      stoppedBy = 'signal';
      break;
    }
    if (batcher.next()) model.resetState(); // a new pass over the data starts from a zero state
    const hyper: StepHyper = { ...hyperBase, step: iteration + 1 };
    const r = model.trainChunk(batcher.inputs, batcher.targets, B, T, hyper);
    iteration++;
    smoothLoss = smoothing * smoothLoss + (1 - smoothing) * r.loss;
    if (!Number.isFinite(r.loss))
      throw new Error(
        `Training diverged at iteration ${iteration}: loss is ${r.loss}. HINT: lower the learning rate or enable clipping`,
      );

    const now = performance.now();
    if (logEvery !== undefined ? iteration % logEvery === 0 : now - lastLogTime >= logInterval * 1000) {
      const el = (now - t0) / 1000;
      const fractions = [
        iteration / maxIters,
        (batcher.epoch + batcher.position / batcher.chunksPerEpoch) / maxEpochs,
        el / maxTime,
      ];
      const fraction = Math.max(...fractions.filter((f) => Number.isFinite(f)), 0) || undefined;
      emit({
        type: 'progress',
        iteration,
        epoch: batcher.epoch,
        epochProgress: batcher.position / batcher.chunksPerEpoch,
        loss: r.loss,
        smoothLoss,
        gradNorm: r.gradNorm,
        charsPerSec: ((iteration - lastLogIter) * B * T) / ((now - lastLogTime) / 1000),
        elapsed: el,
        fraction,
        eta: fraction ? (el / fraction) * (1 - fraction) : undefined,
      });
      lastLogTime = now;
      lastLogIter = iteration;
    }
    if (evalEvery > 0 && iteration % evalEvery === 0) validate();
    else if (evalInterval !== undefined && now - lastEvalTime >= evalInterval * 1000) {
      validate();
      lastEvalTime = performance.now();
    }
    if (sampleEvery > 0 && iteration % sampleEvery === 0)
      emit({
        type: 'sample',
        iteration,
        text: model.sample({
          length: options.sampleLength ?? 200,
          temperature: options.sampleTemperature ?? 1,
          seed: iteration,
        }),
      });
    // Let timers, signal handlers and the progress bar run about every 50 ms.
    if (performance.now() - lastYield > 50) {
      await new Promise<void>((resolve) => setImmediate(resolve));
      lastYield = performance.now();
    }
  }
  const last = history.at(-1);
  const validation_ = last?.iteration === iteration ? undefined : validate();
  const final =
    validation_ ??
    (last
      ? {
          loss: last.valLoss,
          perplexity: last.valPerplexity,
          bitsPerChar: last.valBitsPerChar,
          count: valIds?.length ?? 0,
        }
      : undefined);
  return {
    iterations: iteration,
    epochs: batcher.epoch,
    elapsed: elapsed(),
    smoothLoss,
    validation: final,
    stoppedBy,
    history,
  };
}

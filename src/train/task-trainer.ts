// The training loop of the classify and tag heads: length-bucketed padded batches (src/tasks/batch.ts), one
// trainSequenceBatch call each, the optimizer / clipping / learning-rate schedule machinery of the language-model
// trainer (src/run), periodic validation scored by the task's metric (accuracy by default) which drives the plateau
// schedule and the best checkpoint, stopping by iterations / epochs / wall time / abort signal, and exact resume from
// a checkpoint's TrainingState (the batch order depends only on the seed and the epoch). The label vocabulary
// travels in every checkpoint's metadata (LABELS_KEY). Deliberately no printing (the CLI renders the events, which
// are the language-model trainer's, so run logs and progress displays read them unchanged).
import type { OptimizerHyper, StepHyper } from '../backends/backend.js';
import type { CharRNN } from '../charrnn.js';
import {
  checkCheckpointFolders,
  cleanCheckpointTemporaries,
  writeBest,
  writeLatest,
  LOSS_HISTORY_KEY,
  type CheckpointFiles,
} from '../io/checkpoint.js';
import { LABELS_KEY } from '../io/task-model.js';
import { resolveOptimizer, type OptimizerOptions } from '../run/optim.js';
import {
  formatSchedule,
  initialScheduleState,
  budgetProgress,
  lrAt,
  observeValidation,
  resolveSchedule,
  type LrScheduleOptions,
  type LrScheduleState,
} from '../run/schedule.js';
import type { TrainingState } from '../run/state.js';
import {
  copyLossHistory,
  emptyLossHistory,
  recordTrainLoss,
  recordValidationLoss,
  truncateLossHistory,
  type LossHistory,
} from '../run/loss-history.js';
import { SequenceBatcher, type EncodedSequences } from '../tasks/batch.js';
import { evaluateSequences, type SequenceEvaluation } from '../tasks/evaluate.js';
import type { LabelVocabulary } from '../tasks/labels.js';
import { trainingBusyError } from '../util/errors.js';
import {
  describe,
  nonNegativeInt,
  nonNegativeNumber,
  oneOf,
  positiveInt,
  positiveNumber,
} from '../util/validate.js';
import { yieldToEventLoop } from '../util/yield.js';
import { resolveBudget, sameJson } from './options.js';
import type { CheckpointOptions, EvalEvent, TrainEvent } from './trainer.js';

/** What "better" means for validation: higher accuracy or macro-F1, or lower cross-entropy. */
export type TaskMetric = 'accuracy' | 'macro-f1' | 'loss';
export const TASK_METRICS: readonly TaskMetric[] = ['accuracy', 'macro-f1', 'loss'];

export interface TaskTrainOptions {
  /** Sequences per batch (default 64). */
  batchSize?: number;
  /**
   * Longest training sequence (default 128): a longer classify example is cut, a longer tag example split into
   * windows (src/tasks/batch.ts, encodeSequences) — applied by the caller when encoding; recorded in checkpoints.
   */
  maxLength?: number;
  /** Default Adam, lr 2e-3. */
  optimizer?: OptimizerOptions;
  /** Element-wise gradient clamp (default 0 = off). */
  clipValue?: number;
  /** Global-norm clipping (default 5). */
  clipNorm?: number;
  /** Cross-entropy weight of each class ([C], ≥ 0), or 'balanced' (n / (C · count of the class) in training). */
  classWeights?: Float32Array | 'balanced';
  maxIters?: number;
  maxEpochs?: number;
  /** Seconds of wall time (the final validation is reserved out of it once one has been timed). */
  maxTime?: number;
  /** Seconds spent in training batches (validation and checkpoints off this clock). */
  maxTrainTime?: number;
  /** Validate every N iterations (default: once per epoch); 0 = only at the end. */
  evalEvery?: number;
  /** Validate every this many seconds instead (takes precedence over evalEvery). */
  evalInterval?: number;
  /** The validation metric behind the best checkpoint and the plateau schedule (default 'accuracy'). */
  metric?: TaskMetric;
  /** As TrainOptions.lrSchedule; 'plateau:…' watches `metric`. */
  lrSchedule?: LrScheduleOptions | string;
  /** Seed of the batch order (default 1; the checkpoint's on resume). */
  seed?: number;
  /** Continue exactly from a checkpoint's state (its settings must not be contradicted). */
  resume?: TrainingState;
  lossHistory?: LossHistory;
  checkpoint?: CheckpointOptions;
  /** Stored in checkpoints: where the data came from (trainTokens is filled in with the training examples). */
  data?: { ref: string; validationFraction: number };
  /** Emit a 'progress' event every this many seconds (default 1). */
  logInterval?: number;
  /** Batch size of validation forward passes (default 2 × batchSize). */
  evalBatchSize?: number;
  onEvent?: (event: TrainEvent) => void;
  signal?: AbortSignal;
}

/** An 'eval' event of a classify / tag run: the language-model fields plus the task's scores. */
export interface TaskEvalEvent extends EvalEvent {
  /** Accuracy of the headline scores (per sequence; per word for tagging with words, else per character). */
  valAccuracy: number;
  valMacroF1: number;
  /** The value of the run's metric (what the best checkpoint and plateau compare). */
  valMetric: number;
  metric: TaskMetric;
  /** The confusion matrix of the headline scores (rows: true label, columns: predicted), for the report's picture. */
  confusion: { labels: string[]; matrix: number[][] };
}

export interface TaskTrainResult {
  iterations: number;
  epochs: number;
  elapsed: number;
  trainTime: number;
  smoothLoss: number;
  stoppedBy: 'maxIters' | 'maxEpochs' | 'maxTime' | 'maxTrainTime' | 'signal';
  /** The last validation (the final one when the run ended after its last periodic one). */
  validation?: SequenceEvaluation;
  history: TaskEvalEvent[];
  state: TrainingState;
  lossHistory: LossHistory;
}

/** The per-class weights 'balanced' gives: n / (C · count), 0 for a class absent from the training data. */
export function balancedClassWeights(data: EncodedSequences, C: number): Float32Array {
  const counts = new Float64Array(C);
  let n = 0;
  for (const y of data.labels)
    for (const c of y)
      if (c >= 0) {
        counts[c]++;
        n++;
      }
  return Float32Array.from(counts, (k) => (k > 0 ? n / (C * k) : 0));
}

/** Lower is better: what the schedule and the best checkpoint compare (1 − accuracy, 1 − macro-F1, or the loss). */
function errorOf(metric: TaskMetric, e: SequenceEvaluation): number {
  return metric === 'accuracy'
    ? 1 - e.metrics.accuracy
    : metric === 'macro-f1'
      ? 1 - e.metrics.macroF1
      : e.loss;
}

function valueOf(metric: TaskMetric, e: SequenceEvaluation): number {
  return metric === 'accuracy' ? e.metrics.accuracy : metric === 'macro-f1' ? e.metrics.macroF1 : e.loss;
}

const running = new WeakSet<object>();

/**
 * Train a 'classify' or 'tag' `model` on `train` (encoded with its vocabulary and `labels`), validating on
 * `valid` when given. One run per model at a time.
 */
export async function trainTask(
  model: CharRNN,
  labels: LabelVocabulary,
  train: EncodedSequences,
  valid: EncodedSequences | undefined,
  options: TaskTrainOptions = {},
): Promise<TaskTrainResult> {
  if (model === null || typeof model !== 'object')
    throw new TypeError(`Expected a CharRNN for model but received ${describe(model)}`);
  if (running.has(model)) throw trainingBusyError();
  running.add(model);
  try {
    return await run(model, labels, train, valid, options);
  } finally {
    running.delete(model);
  }
}

async function run(
  model: CharRNN,
  labels: LabelVocabulary,
  train: EncodedSequences,
  valid: EncodedSequences | undefined,
  options: TaskTrainOptions,
): Promise<TaskTrainResult> {
  const task = model.config.task;
  if (task !== 'classify' && task !== 'tag')
    throw new RangeError(
      `Expected a 'classify' or 'tag' model for trainTask but received a '${task}' model. HINT: use train() for a language model`,
    );
  if (model.config.numClasses !== labels.size)
    throw new RangeError(
      `Expected ${model.config.numClasses} labels (the model's numClasses) but received ${labels.size}`,
    );
  if (train.task !== task || (valid && valid.task !== task))
    throw new RangeError(`Expected data encoded for task '${task}' but received '${train.task}'`);
  const resume = options.resume;
  const fixed = {
    seqLength: positiveInt('maxLength', options.maxLength ?? resume?.seqLength ?? 128),
    batchSize: positiveInt('batchSize', options.batchSize ?? resume?.batchSize ?? 64),
    optimizer:
      options.optimizer === undefined && resume
        ? resume.optimizer
        : resolveOptimizer(options.optimizer ?? { kind: 'adam', lr: 2e-3 }),
    clipValue: nonNegativeNumber('clipValue', options.clipValue ?? resume?.clipValue ?? 0),
    clipNorm: nonNegativeNumber('clipNorm', options.clipNorm ?? resume?.clipNorm ?? 5),
    reduction: 'mean' as const,
    lrSchedule:
      options.lrSchedule === undefined && resume ? resume.lrSchedule : resolveSchedule(options.lrSchedule),
  };
  const seed = options.seed ?? resume?.seed ?? 1;
  if (resume) {
    for (const key of Object.keys(fixed) as (keyof typeof fixed)[])
      if (!sameJson(fixed[key], resume[key]))
        throw new RangeError(
          `Expected ${key === 'lrSchedule' ? formatSchedule(resume.lrSchedule) : JSON.stringify(resume[key])} ` +
            `(the checkpoint's) for ${key === 'seqLength' ? 'maxLength' : key} but received ${key === 'lrSchedule' ? formatSchedule(fixed.lrSchedule) : JSON.stringify(fixed[key])}. ` +
            'HINT: an exact resume keeps the settings the run started with; leave this option out',
        );
    if (resume.seed !== null && resume.seed !== seed)
      throw new RangeError(
        `Expected ${resume.seed} (the checkpoint's) for seed but received ${seed}. HINT: an exact resume keeps the batch order's seed; leave it out`,
      );
    if (resume.corpus && resume.corpus.trainTokens !== train.count)
      throw new RangeError(
        `Expected ${resume.corpus.trainTokens} training sequences (the checkpoint's) but received ${train.count}. HINT: resume on the same data with the same split and seed`,
      );
  }
  const { maxIters, maxEpochs, maxTime, maxTrainTime } = resolveBudget(
    options,
    fixed.lrSchedule,
    'trainTask',
  );
  const metric = oneOf('metric', options.metric ?? 'accuracy', TASK_METRICS);
  const batcher = new SequenceBatcher(train, fixed.batchSize, seed);
  const evalInterval =
    options.evalInterval === undefined ? undefined : positiveNumber('evalInterval', options.evalInterval);
  const evalEvery =
    evalInterval !== undefined
      ? 0
      : nonNegativeInt('evalEvery', options.evalEvery ?? resume?.evalEvery ?? batcher.batchesPerEpoch);
  const logInterval = positiveNumber('logInterval', options.logInterval ?? 1);
  const evalBatch = positiveInt('evalBatchSize', options.evalBatchSize ?? 2 * fixed.batchSize);
  let classWeights: Float32Array | undefined;
  if (options.classWeights === 'balanced') classWeights = balancedClassWeights(train, labels.size);
  else if (options.classWeights !== undefined) {
    const w = options.classWeights;
    if (!(w instanceof Float32Array) || w.length !== labels.size)
      throw new RangeError(
        `Expected a Float32Array of ${labels.size} weights (one per label) or 'balanced' for classWeights but received ${describe(w)}`,
      );
    classWeights = w;
  }
  const ck = options.checkpoint;
  const emit = options.onEvent ?? (() => {});
  const smoothing = 0.99;

  let iteration = 0;
  let smoothLoss = Math.log(labels.size);
  let bestError: number | null = null;
  let schedule: LrScheduleState = initialScheduleState(fixed.optimizer.lr);
  let lossHistory = emptyLossHistory();
  if (resume) {
    lossHistory = options.lossHistory ? copyLossHistory(options.lossHistory) : emptyLossHistory();
    truncateLossHistory(lossHistory, resume.iteration);
    iteration = resume.iteration;
    smoothLoss = resume.smoothLoss;
    bestError = resume.bestValLoss;
    schedule = { ...resume.schedule };
    batcher.epoch = resume.epoch;
    batcher.position = resume.position;
  }
  // How far through its budget the run is (the budget schedules decay over it); set once the clock starts below.
  let progress = (): number => 0;
  const currentLr = () => lrAt(fixed.lrSchedule, schedule, iteration, progress());
  const corpus = options.data ? { ...options.data, trainTokens: train.count } : (resume?.corpus ?? null);
  const snapshot = (): TrainingState => ({
    iteration,
    epoch: batcher.epoch,
    position: batcher.position,
    smoothLoss,
    bestValLoss: bestError,
    lr: currentLr(),
    optimizer: fixed.optimizer,
    lrSchedule: fixed.lrSchedule,
    schedule: { ...schedule },
    clipValue: fixed.clipValue,
    clipNorm: fixed.clipNorm,
    reduction: fixed.reduction,
    seqLength: fixed.seqLength,
    batchSize: fixed.batchSize,
    smoothing,
    evalEvery,
    rollbacks: 0,
    seed,
    corpus,
  });
  const files = (): CheckpointFiles => ({
    ...ck!,
    extra: {
      ...ck!.extra,
      [LABELS_KEY]: JSON.stringify(labels.toJSON()),
      [LOSS_HISTORY_KEY]: JSON.stringify(lossHistory),
    },
  });

  const t0 = performance.now();
  const elapsed = () => (performance.now() - t0) / 1000;
  let trainTime = 0;
  progress = () =>
    budgetProgress({
      iteration,
      maxIters,
      epochs: batcher.epoch + batcher.position / batcher.batchesPerEpoch,
      maxEpochs,
      elapsed: elapsed(),
      maxTime,
      trainTime,
      maxTrainTime,
    });
  let lastLog = t0;
  let windowSum = 0;
  let windowCount = 0;
  let windowChars = 0;
  let lastEvalTime = t0;
  let lastCheckpointTime = t0;
  let lastCheckpointIter = iteration;
  let lastYield = t0;
  let evalSeconds = 0;
  const history: TaskEvalEvent[] = [];
  let lastEvaluation: SequenceEvaluation | undefined;
  if (ck) {
    await checkCheckpointFolders(ck);
    await cleanCheckpointTemporaries(ck);
  }

  const evaluate = async (final: boolean): Promise<TaskEvalEvent | undefined> => {
    if (!valid || valid.count === 0) return undefined;
    emit({ type: 'validating', iteration, elapsed: elapsed(), tokens: valid.count, final });
    const started = performance.now();
    const e = await evaluateSequences(valid, labels, (b) => model.forwardSequences(b), evalBatch);
    evalSeconds = (performance.now() - started) / 1000;
    lastEvaluation = e;
    const ev: TaskEvalEvent = {
      type: 'eval',
      iteration,
      epoch: batcher.epoch,
      epochProgress: batcher.position / batcher.batchesPerEpoch,
      elapsed: elapsed(),
      trainTime,
      valLoss: e.loss,
      valPerplexity: Math.exp(e.loss),
      valBitsPerChar: e.loss / Math.LN2,
      lr: currentLr(),
      final,
      valAccuracy: e.metrics.accuracy,
      valMacroF1: e.metrics.macroF1,
      valMetric: valueOf(metric, e),
      metric,
      confusion: { labels: [...e.metrics.labels], matrix: e.metrics.confusion.map((row) => [...row]) },
    };
    history.push(ev);
    if (!final && Number.isFinite(e.loss)) recordValidationLoss(lossHistory, iteration, e.loss);
    emit(ev);
    return ev;
  };

  const writeCheckpoint = async (reason: 'periodic' | 'end') => {
    if (!ck) return;
    const bad = model.findNonFinite();
    if (bad !== undefined)
      throw new RangeError(
        `Training diverged at iteration ${iteration}: ${bad} is not finite; nothing was saved. HINT: lower the learning rate or clip harder (--clip-norm)`,
      );
    const paths = await writeLatest(model, snapshot(), files());
    lastCheckpointTime = performance.now();
    lastCheckpointIter = iteration;
    emit({ type: 'checkpoint', iteration, reason, paths, elapsed: elapsed() });
  };

  let stoppedBy: TaskTrainResult['stoppedBy'] = 'maxIters';
  const timed = Number.isFinite(maxTime);
  for (;;) {
    if (iteration >= maxIters) {
      stoppedBy = 'maxIters';
      break;
    }
    if (batcher.epoch >= maxEpochs) {
      stoppedBy = 'maxEpochs';
      break;
    }
    // Keep time for the final validation (its last measured duration, when that is under half the budget).
    const reserve = timed && valid && evalSeconds < maxTime / 2 ? evalSeconds * 1.25 : 0;
    if (elapsed() + reserve >= maxTime) {
      stoppedBy = 'maxTime';
      break;
    }
    if (trainTime >= maxTrainTime) {
      stoppedBy = 'maxTrainTime';
      break;
    }
    if (options.signal?.aborted) {
      stoppedBy = 'signal';
      break;
    }
    const batch = batcher.next();
    const lr = currentLr();
    const optimizer: OptimizerHyper =
      lr === fixed.optimizer.lr ? fixed.optimizer : { ...fixed.optimizer, lr };
    const hyper: StepHyper = {
      optimizer,
      clipValue: fixed.clipValue,
      clipNorm: fixed.clipNorm,
      reduction: 'mean',
      step: iteration + 1,
    };
    const started = performance.now();
    // Off the main thread on the native backend (bit-identical to trainSequenceBatch), so a batch of 20–300 ms
    // does not hold up the caller's event loop; the TypeScript backend runs it in place.
    const r = await model.trainSequenceBatchAsync(batch, hyper, classWeights ? { classWeights } : {});
    trainTime += (performance.now() - started) / 1000;
    iteration++;
    if (!Number.isFinite(r.loss) || !Number.isFinite(r.gradNorm))
      throw new RangeError(
        `Training diverged at iteration ${iteration}: ${Number.isFinite(r.loss) ? `gradient norm is ${r.gradNorm}` : `loss is ${r.loss}`}. HINT: lower the learning rate or clip harder (--clip-norm)`,
      );
    smoothLoss = smoothing * smoothLoss + (1 - smoothing) * r.loss;
    windowSum += r.loss;
    windowCount++;
    for (let b = 0; b < batch.B; b++) windowChars += batch.lengths[b];
    recordTrainLoss(lossHistory, iteration, r.loss);
    const now = performance.now();
    if (now - lastLog >= logInterval * 1000) {
      const el = (now - t0) / 1000;
      const fractions = [
        iteration / maxIters,
        (batcher.epoch + batcher.position / batcher.batchesPerEpoch) / maxEpochs,
        el / maxTime,
        trainTime / maxTrainTime,
      ].filter((f) => Number.isFinite(f));
      const fraction = Math.min(1, Math.max(0, ...fractions)) || undefined;
      emit({
        type: 'progress',
        iteration,
        epoch: batcher.epoch,
        epochProgress: batcher.position / batcher.batchesPerEpoch,
        loss: r.loss,
        meanLoss: windowSum / windowCount,
        smoothLoss,
        gradNorm: r.gradNorm,
        charsPerSec: windowChars / ((now - lastLog) / 1000),
        elapsed: el,
        trainTime,
        fraction,
        eta: fraction ? (el / fraction) * (1 - fraction) : undefined,
        lr,
      });
      lastLog = now;
      windowSum = 0;
      windowCount = 0;
      windowChars = 0;
    }
    let ev: TaskEvalEvent | undefined;
    if (evalEvery > 0 && iteration % evalEvery === 0) ev = await evaluate(false);
    else if (evalInterval !== undefined && now - lastEvalTime >= evalInterval * 1000) {
      ev = await evaluate(false);
      lastEvalTime = performance.now();
    }
    if (ev && lastEvaluation) {
      const err = errorOf(metric, lastEvaluation);
      if (observeValidation(fixed.lrSchedule, schedule, err, iteration))
        emit({ type: 'lr', iteration, lr: currentLr(), reason: 'plateau', elapsed: elapsed() });
      if (Number.isFinite(err) && (bestError === null || err < bestError)) {
        bestError = err;
        if (ck?.bestPath !== undefined) {
          await writeBest(model, snapshot(), files());
          emit({ type: 'checkpoint', iteration, reason: 'best', paths: [ck.bestPath], elapsed: elapsed() });
        }
      }
    }
    if (
      ck &&
      iteration > lastCheckpointIter &&
      (((ck.every ?? 0) > 0 && iteration % ck.every! === 0) ||
        ((ck.interval ?? 0) > 0 && performance.now() - lastCheckpointTime >= ck.interval! * 1000))
    )
      await writeCheckpoint('periodic');
    if (performance.now() - lastYield > 10) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  if (valid && valid.count > 0 && history.at(-1)?.iteration !== iteration) await evaluate(true);
  if (ck && (ck.atEnd ?? true)) await writeCheckpoint('end');
  return {
    iterations: iteration,
    epochs: batcher.epoch,
    elapsed: elapsed(),
    trainTime,
    smoothLoss,
    stoppedBy,
    validation: lastEvaluation,
    history,
    state: snapshot(),
    lossHistory: copyLossHistory(lossHistory),
  };
}

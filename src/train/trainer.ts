// The training loop: chunks from a Batcher, one backend call each, smoothed loss, learning-rate
// schedules, periodic validation and sample previews, progress events, stopping by iterations / epochs /
// wall time / abort signal, exact resume from a TrainingState, periodic / best / final checkpoints (the
// files through src/io/checkpoint.ts) and the NaN/Inf policy (stop, or roll back to the last good
// checkpoint with a lower lr). Deliberately no printing (the CLI renders events).
import type { OptimizerHyper, StepHyper } from '../backends/backend.js';
import type { CharRNN, EvaluateResult } from '../charrnn.js';
import { Batcher } from '../text/batcher.js';
import { isTokenSource, readTokens, type TokenInput } from '../text/token-source.js';
import {
  checkCheckpointFolders,
  cleanCheckpointTemporaries,
  readCheckpoint,
  writeBest,
  writeLatest,
  LOSS_HISTORY_KEY,
  type CheckpointFiles,
} from '../io/checkpoint.js';
import type { OptimizerOptions } from '../run/optim.js';
import {
  initialScheduleState,
  budgetProgress,
  lrAt,
  observeValidation,
  type LrScheduleOptions,
  type LrScheduleState,
} from '../run/schedule.js';
import type { CorpusReference, TrainingState } from '../run/state.js';
import {
  checkLossHistory,
  copyLossHistory,
  emptyLossHistory,
  recordTrainLoss,
  recordValidationLoss,
  truncateLossHistory,
  type LossHistory,
} from '../run/loss-history.js';
import { resolveTrainOptions, sameJson } from './options.js';
import { ERROR_CODES, trainingBusyError } from '../util/errors.js';
import { yieldToEventLoop } from '../util/yield.js';

/**
 * Chunks estimated above this many floating-point operations (≈ 6 per parameter per token) run off the main thread
 * (trainChunkAsync: the native AsyncWorker, or the TypeScript backend's worker thread); smaller ones (a W1 chunk
 * takes ~50 µs natively) run in place, where a thread hop would cost as much as the chunk, between yields to the
 * event loop every YIELD_MS. About 0.5 ms of native work, 5 ms of TypeScript.
 */
const ASYNC_CHUNK_FLOPS = { native: 2e7, js: 5e6 } as const;
/** The loop yields to the event loop at least this often (ms) between chunks that run in place. */
const YIELD_MS = 10;
/** Margin on the estimated time of the final validation reserved out of maxTime. */
const RESERVE_MARGIN = 1.25;
/**
 * Validation scores at most this many positions per backend call: a longer validation split is scored in
 * consecutive segments (each from a zero state, the last token of one the first context of the next), so that it is
 * never held whole as int32 ids. Splits up to this size are one stream, as model.evaluate scores them.
 */
export const VALIDATION_SEGMENT = 1 << 20;

export interface CheckpointOptions extends CheckpointFiles {
  /** Write the latest checkpoint every N iterations (0 = off, default). */
  every?: number;
  /** Write the latest checkpoint every this many seconds of training (0 = off, default). */
  interval?: number;
  /** Write the latest checkpoint when the run stops (maxIters/… or the signal; default true). */
  atEnd?: boolean;
  /** A checkpoint to roll back to before this run has written one (the file it resumed from). */
  rollbackFrom?: string;
}

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
  /** Stop after this many seconds of wall time: the whole run, validations included (the final one is fitted in). */
  maxTime?: number;
  /**
   * Stop after this many seconds spent in training chunks: validation, samples and checkpoints are off this clock
   * (the W5 quality runs' clock). With maxTime, whichever comes first.
   */
  maxTrainTime?: number;
  /** Validate every N iterations (default 1000 unless evalInterval is given; 0 = only at the end). */
  evalEvery?: number;
  /** Validate every this many seconds of training instead (wall time; takes precedence over evalEvery). */
  evalInterval?: number;
  /** Sample a preview every N iterations (default 0 = never). */
  sampleEvery?: number;
  /** Sample a preview every this many seconds (wall time, whatever the speed; default never). With sampleEvery, both. */
  sampleInterval?: number;
  sampleLength?: number;
  sampleTemperature?: number;
  /** Emit a 'progress' event every N iterations (default: time-based, see logInterval). */
  logEvery?: number;
  /** Emit a 'progress' event every this many seconds (default 1), and after the first chunk, when logEvery is not given. */
  logInterval?: number;
  /** EMA factor of the smoothed loss (default 0.999, as min-char-rnn). */
  smoothing?: number;
  /**
   * Learning-rate schedule: an object or the CLI spelling ('step:1000:0.5', 'exp:0.9999', 'plateau:0.5:3',
   * 'cosine', 'linear:0.1', see src/run/schedule.ts). Default none. Plateau is fed by the periodic validations
   * (evalEvery); cosine and linear decay over the run's budget (maxIters, maxEpochs, maxTime or maxTrainTime, whichever is
   * furthest along), so they need one.
   */
  lrSchedule?: LrScheduleOptions | string;
  /**
   * Continue a run exactly from a checkpoint's state (loadCheckpoint returns it with the model restored).
   * seqLength, batchSize, optimizer, clipping, reduction and lrSchedule come from it (passing a different
   * value is a RangeError); maxIters / maxEpochs count the whole run, so they include its iterations.
   */
  resume?: TrainingState;
  /** Where and when to write checkpoints (none by default). */
  checkpoint?: CheckpointOptions;
  /**
   * When the loss, gradient or parameters become NaN/Inf: 'stop' (default: throw NonFiniteError, write
   * nothing) or 'rollback' (reload the last good checkpoint, multiply the lr by rollbackFactor, go on).
   */
  onNonFinite?: 'stop' | 'rollback';
  /** Learning-rate multiplier applied at each roll-back (default 0.5). */
  rollbackFactor?: number;
  /** Roll-backs allowed in the whole run before stopping anyway (default 3). */
  maxRollbacks?: number;
  /** Stored in checkpoints: where the training text came from. trainTokens is filled in here. */
  corpus?: Omit<CorpusReference, 'trainTokens'>;
  /** Stored in checkpoints: the model's initialisation seed. */
  seed?: number;
  /**
   * The loss history to continue (a resumed run: the checkpoint's `lossHistory`); points after the resumed
   * iteration are dropped. Default: a new one. The run's history is in the result and in every checkpoint.
   */
  lossHistory?: LossHistory;
  /** Every event of the run (src/train/run-log.ts turns them into the records of a run log). */
  onEvent?: (event: TrainEvent) => void;
  signal?: AbortSignal;
}

/** Training produced NaN/Inf; nothing from that point was written. */
export class NonFiniteError extends Error {
  override readonly name = 'NonFiniteError';
  constructor(
    message: string,
    /** Iteration at which it was detected. */
    readonly iteration: number,
  ) {
    super(message);
  }
}

export interface ProgressEvent {
  type: 'progress';
  iteration: number;
  epoch: number;
  /** Fraction of the current epoch done. */
  epochProgress: number;
  /** Loss of the last chunk (per token, nats). */
  loss: number;
  /** Mean chunk loss over the iterations since the previous progress event (the honest figure to show). */
  meanLoss: number;
  /** Exponential moving average of the chunk loss (factor `smoothing`, min-char-rnn's figure). */
  smoothLoss: number;
  gradNorm: number;
  /** Tokens trained per second since the previous progress event. */
  charsPerSec: number;
  /** Wall seconds since this call of train() began. */
  elapsed: number;
  /** Seconds of those spent in training chunks (not validating, sampling or writing checkpoints). */
  trainTime: number;
  /** Estimated seconds left (≥ 0) when a stop criterion allows it, else undefined. */
  eta?: number;
  /** Learning rate of the last update. */
  lr?: number;
  /** Fraction of the whole run done (by the stop criterion closest to firing), if known. */
  fraction?: number;
}

export interface EvalEvent {
  type: 'eval';
  iteration: number;
  epoch: number;
  epochProgress: number;
  elapsed: number;
  trainTime: number;
  valLoss: number;
  valPerplexity: number;
  valBitsPerChar: number;
  /** Learning rate of the last update. */
  lr: number;
  /** The report at the end of the run (not fed to the schedule, the best checkpoint or the loss history). */
  final: boolean;
}

/** A validation pass starts (an 'eval' event follows): lets a display say "validating…". */
export interface ValidatingEvent {
  type: 'validating';
  iteration: number;
  elapsed: number;
  /** Tokens in the validation split. */
  tokens: number;
  final: boolean;
}

export interface SampleEvent {
  type: 'sample';
  iteration: number;
  elapsed: number;
  text: string;
}

export interface CheckpointEvent {
  type: 'checkpoint';
  iteration: number;
  /** 'periodic' (every / interval), 'best' (validation improved), 'end' (the run stopped). */
  reason: 'periodic' | 'best' | 'end';
  paths: string[];
  elapsed: number;
}

export interface LrEvent {
  type: 'lr';
  iteration: number;
  lr: number;
  /** 'plateau' (validation stopped improving) or 'rollback'. */
  reason: 'plateau' | 'rollback';
  elapsed: number;
}

export interface RollbackEvent {
  type: 'rollback';
  /** Where NaN/Inf appeared. */
  iteration: number;
  /** The iteration of the checkpoint training resumes from. */
  to: number;
  path: string;
  reason: string;
  lr: number;
  elapsed: number;
}

export type TrainEvent =
  ProgressEvent | ValidatingEvent | EvalEvent | SampleEvent | CheckpointEvent | LrEvent | RollbackEvent;

export interface TrainResult {
  iterations: number;
  epochs: number;
  elapsed: number;
  /** Seconds of `elapsed` spent in training chunks. */
  trainTime: number;
  smoothLoss: number;
  validation?: EvaluateResult;
  stoppedBy: 'maxIters' | 'maxEpochs' | 'maxTime' | 'maxTrainTime' | 'signal';
  /** Validation losses recorded during the run. */
  history: EvalEvent[];
  /** The state at the end (what the final checkpoint holds): pass as `resume` to continue. */
  state: TrainingState;
  /** The run's short loss history (what the final checkpoint holds): pass as `lossHistory` to continue. */
  lossHistory: LossHistory;
}

/** The models a train() run is using: a second run on one of them rejects instead of interleaving its updates. */
const training = new WeakSet<object>();

/**
 * Train `model` on `train` ids (and validate on `validation` ids when given). Either may be a TokenSource (a corpus
 * file read through bounded windows, src/io/corpus-file.ts) instead of an id array: the run is the same, bit for bit.
 * Never blocks the event loop for long: large chunks run off the main thread (the native AsyncWorker, or a worker
 * thread of the TypeScript backend), small ones in place between yields every few milliseconds; validation runs off
 * the main thread (native) or in slices that yield (TypeScript). `maxTime` bounds the whole run, final validation included: time for
 * it is reserved from the measured speed of evaluation, and a validation still running at maxTime is abandoned.
 * One run per model at a time: a second train() on a model that is being trained rejects with
 * `code: 'ERR_CHARRNN_BUSY'`.
 */
export async function train(
  model: CharRNN,
  trainIds: TokenInput,
  validation: TokenInput | undefined,
  options: TrainOptions = {},
): Promise<TrainResult> {
  if (model === null || typeof model !== 'object') return run(model, trainIds, validation, options);
  if (training.has(model)) throw trainingBusyError();
  training.add(model);
  try {
    return await run(model, trainIds, validation, options);
  } finally {
    training.delete(model);
  }
}

async function run(
  model: CharRNN,
  trainIds: TokenInput,
  validation: TokenInput | undefined,
  options: TrainOptions,
): Promise<TrainResult> {
  const resume = options.resume;
  const {
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
  } = resolveTrainOptions(options, trainIds.length);
  const T = fixed.seqLength;
  const B = fixed.batchSize;

  const hyperBase = {
    clipValue: fixed.clipValue,
    clipNorm: fixed.clipNorm,
    reduction: fixed.reduction,
  };
  const batcher = new Batcher(trainIds, B, T);
  const valIds = validation && validation.length >= 2 ? validation : undefined;
  const emit = options.onEvent ?? (() => {});
  const history: EvalEvent[] = [];

  // The resumable state of the loop (everything else is in the model).
  let iteration = 0;
  let smoothLoss = Math.log(model.config.vocabSize);
  let bestValLoss: number | null = null;
  let schedule: LrScheduleState = initialScheduleState(fixed.optimizer.lr);
  let rollbacks = 0;
  let lossHistory = emptyLossHistory();
  const restore = (s: TrainingState, h: LossHistory | null | undefined) => {
    lossHistory = h ? copyLossHistory(h) : emptyLossHistory();
    truncateLossHistory(lossHistory, s.iteration);
    iteration = s.iteration;
    smoothLoss = s.smoothLoss;
    bestValLoss = s.bestValLoss;
    schedule = { ...s.schedule };
    rollbacks = s.rollbacks;
    batcher.epoch = s.epoch;
    batcher.position = s.position;
  };
  if (resume)
    restore(
      resume,
      options.lossHistory === undefined ? undefined : checkLossHistory(options.lossHistory, 'lossHistory'),
    );
  // How far through its budget the run is (the budget schedules decay over it); set once the clock starts below.
  let progress = (): number => 0;
  const currentLr = () => lrAt(fixed.lrSchedule, schedule, iteration, progress());
  const snapshot = (): TrainingState => ({
    iteration,
    epoch: batcher.epoch,
    position: batcher.position,
    smoothLoss,
    bestValLoss,
    lr: currentLr(),
    optimizer: fixed.optimizer,
    lrSchedule: fixed.lrSchedule,
    schedule: { ...schedule },
    clipValue: fixed.clipValue,
    clipNorm: fixed.clipNorm,
    reduction: fixed.reduction,
    seqLength: T,
    batchSize: B,
    smoothing,
    evalEvery,
    rollbacks,
    seed,
    corpus: corpusRef,
  });

  const t0 = performance.now();
  const firstIteration = iteration;
  const elapsed = () => (performance.now() - t0) / 1000;
  let lastLogTime = t0;
  let lastLogIter = iteration;
  let trainTime = 0; // seconds inside trainChunk
  let windowSum = 0; // chunk losses since the last progress event
  let windowCount = 0;
  let lastYield = t0;
  let lastEvalTime = t0;
  let lastSampleTime = t0;
  let lastCheckpointTime = t0;
  let lastCheckpointIter = iteration;
  let lastGood: { path: string; iteration: number } | undefined =
    ck?.rollbackFrom !== undefined ? { path: ck.rollbackFrom, iteration } : undefined;
  let cutsSinceGood = 0;
  let runRollbacks = 0;
  let stoppedBy: TrainResult['stoppedBy'] = 'maxIters';
  if (ck) {
    await checkCheckpointFolders(ck); // before the first chunk: never lose a run at its first save
    await cleanCheckpointTemporaries(ck);
  }

  // Chunks large enough to be worth a thread hop run off the main thread (native); see ASYNC_CHUNK_FLOPS.
  const chunkAsync = 6 * model.layout.size * B * T >= ASYNC_CHUNK_FLOPS[model.backend];
  const timed = Number.isFinite(maxTime);
  /** Seconds per validation token, from the last validation (or the probe below); undefined before any. */
  let evalSecondsPerToken: number | undefined;
  /** Time to keep free for the final validation: its estimate, unless that would take half the budget or more. */
  const reserve = (): number => {
    if (!timed || !valIds || evalSecondsPerToken === undefined) return 0;
    const r = evalSecondsPerToken * valIds.length * RESERVE_MARGIN;
    return r < maxTime / 2 ? r : 0;
  };
  // The time kept for the final validation counts as spent, so that a budget schedule ends where training does.
  progress = () =>
    budgetProgress({
      iteration,
      maxIters,
      epochs: batcher.epoch + batcher.position / batcher.chunksPerEpoch,
      maxEpochs,
      elapsed: elapsed() + reserve(),
      maxTime,
      trainTime,
      maxTrainTime,
    });
  /**
   * Validate within what is left of maxTime; undefined when abandoned there (nothing is recorded). A split longer
   * than VALIDATION_SEGMENT + 1 tokens is scored segment by segment (the same segments for an array and a source).
   */
  const validate = async (ids: TokenInput): Promise<EvaluateResult | undefined> => {
    const started = performance.now();
    const limit = () => (timed ? { timeLimit: Math.max(0, maxTime - elapsed()) } : {});
    try {
      const n = ids.length;
      let r: EvaluateResult;
      if (n <= VALIDATION_SEGMENT + 1 && !isTokenSource(ids)) r = await model.evaluateAsync(ids, limit());
      else {
        const cursor = isTokenSource(ids) ? ids.cursor() : undefined;
        let totalNats = 0;
        let count = 0;
        for (let s = 0; s + 1 < n; s += VALIDATION_SEGMENT) {
          const len = Math.min(n - s, VALIDATION_SEGMENT + 1);
          const seg = isTokenSource(ids) ? readTokens(ids, s, len, cursor) : ids.subarray(s, s + len);
          const part = await model.evaluateAsync(seg, limit());
          totalNats += part.loss * part.count;
          count += part.count;
        }
        const loss = totalNats / count;
        r = { loss, perplexity: Math.exp(loss), bitsPerChar: loss / Math.LN2, count };
      }
      evalSecondsPerToken = (performance.now() - started) / 1000 / n;
      return r;
    } catch (err) {
      if ((err as { code?: unknown }).code === ERROR_CODES.timeout) return undefined;
      throw err;
    }
  };

  let lastEvaluation: EvaluateResult | undefined;
  const evaluate = async (final = false): Promise<EvalEvent | undefined> => {
    if (!valIds) return undefined;
    emit({ type: 'validating', iteration, elapsed: elapsed(), tokens: valIds.length, final });
    const r = await validate(valIds);
    if (r === undefined) return undefined;
    lastEvaluation = r;
    const ev: EvalEvent = {
      type: 'eval',
      iteration,
      epoch: batcher.epoch,
      epochProgress: batcher.position / batcher.chunksPerEpoch,
      elapsed: elapsed(),
      trainTime,
      valLoss: r.loss,
      valPerplexity: r.perplexity,
      valBitsPerChar: r.bitsPerChar,
      lr: currentLr(),
      final,
    };
    history.push(ev);
    if (!final && Number.isFinite(r.loss)) recordValidationLoss(lossHistory, iteration, r.loss);
    emit(ev);
    return ev;
  };
  /** The checkpoint files with this run's loss history in their metadata. */
  const withHistory = (files: CheckpointFiles): CheckpointFiles => ({
    ...files,
    extra: { ...files.extra, [LOSS_HISTORY_KEY]: JSON.stringify(lossHistory) },
  });

  /** NaN/Inf: throw (stop), or reload the last good checkpoint with a lower lr (rollback). */
  const diverged = async (reason: string): Promise<void> => {
    const where = `Training diverged at iteration ${iteration}: ${reason}`;
    const kept = lastGood
      ? `; nothing was saved from this point: the last good checkpoint is ${lastGood.path} (iteration ${lastGood.iteration})`
      : '; nothing was saved';
    if (onNonFinite === 'stop' || lastGood === undefined || runRollbacks >= maxRollbacks)
      throw new NonFiniteError(
        where +
          kept +
          (onNonFinite === 'rollback' && lastGood !== undefined
            ? `; gave up after ${runRollbacks} roll-backs`
            : '') +
          '. HINT: lower the learning rate or enable clipping (--clip-norm), ' +
          (onNonFinite === 'stop' ? 'or roll back automatically (--on-nonfinite rollback)' : 'then resume'),
        iteration,
      );
    const from = iteration;
    const back = await readCheckpoint(lastGood.path);
    if (back.training === null || !sameJson(back.config, model.config))
      throw new NonFiniteError(
        `${where}; cannot roll back: ${lastGood.path} is not a checkpoint of this model`,
        from,
      );
    model.setParameters(back.parameters);
    model.importTrainingState(back.training.model);
    runRollbacks++;
    // Each roll-back to the same checkpoint lowers the lr once more than the previous one did.
    cutsSinceGood++;
    restore(back.training.state, back.lossHistory);
    rollbacks += cutsSinceGood;
    schedule.scale *= Math.pow(rollbackFactor, cutsSinceGood);
    const lr = currentLr();
    emit({
      type: 'rollback',
      iteration: from,
      to: iteration,
      path: lastGood.path,
      reason,
      lr,
      elapsed: elapsed(),
    });
    emit({ type: 'lr', iteration, lr, reason: 'rollback', elapsed: elapsed() });
  };

  /** Write the latest checkpoint (and numbered copy); false when the model turned out non-finite. */
  const writeCheckpoint = async (reason: 'periodic' | 'end'): Promise<boolean> => {
    if (!ck) return true;
    const bad = model.findNonFinite();
    if (bad !== undefined) {
      await diverged(`${bad} is not finite`);
      return false;
    }
    const paths = await writeLatest(model, snapshot(), withHistory(ck));
    lastGood = { path: ck.path, iteration };
    cutsSinceGood = 0;
    lastCheckpointTime = performance.now();
    lastCheckpointIter = iteration;
    emit({ type: 'checkpoint', iteration, reason, paths, elapsed: elapsed() });
    return true;
  };

  // A roll-back needs a good checkpoint to go back to from the very start.
  if (ck && onNonFinite === 'rollback' && lastGood === undefined) await writeCheckpoint('periodic');
  // With a time budget, measure the evaluation speed on a prefix of the validation text, so the final validation's
  // time can be reserved before the first periodic one has run.
  if (timed && valIds) {
    const probe = Math.min(valIds.length, 4096);
    await validate(isTokenSource(valIds) ? readTokens(valIds, 0, probe) : valIds.subarray(0, probe));
  }

  for (;;) {
    if (iteration >= maxIters) {
      stoppedBy = 'maxIters';
      break;
    }
    if (batcher.epoch >= maxEpochs) {
      stoppedBy = 'maxEpochs';
      break;
    }
    if (elapsed() + reserve() >= maxTime) {
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
    if (batcher.next()) model.resetState(); // a new pass over the data starts from a zero state
    const lr = currentLr();
    const optimizer: OptimizerHyper =
      lr === fixed.optimizer.lr ? fixed.optimizer : { ...fixed.optimizer, lr };
    const hyper: StepHyper = { ...hyperBase, optimizer, step: iteration + 1 };
    const chunkStart = performance.now();
    const r = chunkAsync
      ? await model.trainChunkAsync(batcher.inputs, batcher.targets, B, T, hyper)
      : model.trainChunk(batcher.inputs, batcher.targets, B, T, hyper);
    trainTime += (performance.now() - chunkStart) / 1000;
    iteration++;
    if (!Number.isFinite(r.loss) || !Number.isFinite(r.gradNorm)) {
      await diverged(Number.isFinite(r.loss) ? `gradient norm is ${r.gradNorm}` : `loss is ${r.loss}`);
      continue;
    }
    smoothLoss = smoothing * smoothLoss + (1 - smoothing) * r.loss;
    windowSum += r.loss;
    windowCount++;
    recordTrainLoss(lossHistory, iteration, r.loss);

    const now = performance.now();
    // By time, the first chunk of a run reports too: how long the start took (a streamed corpus's scan, the
    // first reads) shows at once.
    if (
      logEvery !== undefined
        ? iteration % logEvery === 0
        : now - lastLogTime >= logInterval * 1000 || iteration === firstIteration + 1
    ) {
      const el = (now - t0) / 1000;
      const fractions = [
        iteration / maxIters,
        (batcher.epoch + batcher.position / batcher.chunksPerEpoch) / maxEpochs,
        el / maxTime,
        trainTime / maxTrainTime,
      ];
      const fraction = Math.min(1, Math.max(...fractions.filter((f) => Number.isFinite(f)), 0)) || undefined;
      emit({
        type: 'progress',
        iteration,
        epoch: batcher.epoch,
        epochProgress: batcher.position / batcher.chunksPerEpoch,
        loss: r.loss,
        meanLoss: windowSum / windowCount,
        smoothLoss,
        gradNorm: r.gradNorm,
        charsPerSec: ((iteration - lastLogIter) * B * T) / ((now - lastLogTime) / 1000),
        elapsed: el,
        trainTime,
        fraction,
        eta: fraction ? (el / fraction) * (1 - fraction) : undefined,
        lr,
      });
      lastLogTime = now;
      lastLogIter = iteration;
      windowSum = 0;
      windowCount = 0;
    }
    let ev: EvalEvent | undefined;
    if (evalEvery > 0 && iteration % evalEvery === 0) ev = await evaluate();
    else if (evalInterval !== undefined && now - lastEvalTime >= evalInterval * 1000) {
      ev = await evaluate();
      lastEvalTime = performance.now();
    }
    if (ev) {
      if (observeValidation(fixed.lrSchedule, schedule, ev.valLoss, iteration))
        emit({ type: 'lr', iteration, lr: currentLr(), reason: 'plateau', elapsed: elapsed() });
      if (Number.isFinite(ev.valLoss) && (bestValLoss === null || ev.valLoss < bestValLoss)) {
        bestValLoss = ev.valLoss;
        if (ck?.bestPath !== undefined) {
          const bad = model.findNonFinite();
          if (bad !== undefined) {
            await diverged(`${bad} is not finite`);
            continue;
          }
          await writeBest(model, snapshot(), withHistory(ck));
          emit({ type: 'checkpoint', iteration, reason: 'best', paths: [ck.bestPath], elapsed: elapsed() });
        }
      }
    }
    if (
      (sampleEvery > 0 && iteration % sampleEvery === 0) ||
      (sampleInterval !== undefined && performance.now() - lastSampleTime >= sampleInterval * 1000)
    ) {
      lastSampleTime = performance.now();
      emit({
        type: 'sample',
        iteration,
        elapsed: elapsed(),
        text: model.sample({
          length: options.sampleLength ?? 200,
          temperature: options.sampleTemperature ?? 1,
          seed: iteration,
        }),
      });
    }
    if (
      ck &&
      iteration > lastCheckpointIter &&
      (((ck.every ?? 0) > 0 && iteration % ck.every! === 0) ||
        ((ck.interval ?? 0) > 0 && performance.now() - lastCheckpointTime >= ck.interval! * 1000))
    )
      await writeCheckpoint('periodic');
    // Let timers, signal handlers and the progress bar run. Not skipped after an awaited chunk: where no thread
    // can take it (a browser, a CommonJS bundle) the chunk ran in place and its promise yielded only to microtasks,
    // so a Web Worker's 'stop' message would never be read.
    if (performance.now() - lastYield > YIELD_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }
  // A final report (not fed to the schedule or the best-by-validation record: a resumed run must see
  // the same validations as an uninterrupted one).
  const last = history.at(-1);
  let final: EvaluateResult | undefined;
  if (last?.iteration !== iteration && valIds) {
    // Within maxTime only (validate() abandons it there; then the result has no validation).
    if (!timed || elapsed() < maxTime) final = (await evaluate(true)) && lastEvaluation;
  } else if (last)
    final = {
      loss: last.valLoss,
      perplexity: last.valPerplexity,
      bitsPerChar: last.valBitsPerChar,
      count: valIds?.length ?? 0,
    };
  if (ck && (ck.atEnd ?? true)) {
    // A model that went non-finite is never written: diverged() throws (stop) or rolls back, and the
    // rolled-back state is the checkpoint already on disk.
    await writeCheckpoint('end');
  }
  return {
    iterations: iteration,
    epochs: batcher.epoch,
    elapsed: elapsed(),
    trainTime,
    smoothLoss,
    validation: final,
    stoppedBy,
    history,
    state: snapshot(),
    lossHistory: copyLossHistory(lossHistory),
  };
}

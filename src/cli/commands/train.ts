// `charrnn train`: its options (a new model, or --resume from a checkpoint) and the handler that resolves the
// corpus, builds or restores the model, renders progress and saves on Ctrl-C.
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { capabilities, resolveBackend, setThreads, type BackendChoice } from '../../backends/index.js';
import { checkCheckpointFolders, modelFromCheckpoint } from '../../io/checkpoint.js';
import { CorpusFile, scanCorpusFile, scanVocabulary, shouldStream } from '../../io/corpus-file.js';
import { resolveCorpus, SHAKESPEARE_NAME } from '../../io/resolve-corpus.js';
import { resolveModelConfig, type Activation, type CellKind, type ModelConfig } from '../../model/config.js';
import { CharRNN, type ModelVocabulary } from '../../charrnn.js';
import { Corpus } from '../../text/corpus.js';
import { WordVocabulary } from '../../text/word-vocabulary.js';
import { OPTIMIZERS, resolveOptimizer } from '../../run/optim.js';
import { formatSchedule, resolveSchedule } from '../../run/schedule.js';
import type { LossHistory } from '../../run/loss-history.js';
import { train, type CheckpointOptions, type TrainEvent, type TrainOptions } from '../../train/trainer.js';
import { defaultLogPath, RunLogWriter } from '../../train/run-log-file.js';
import { lossChart } from '../../report/terminal-chart.js';
import { VERSION } from '../../version.js';
import { backendOption, ExitCode, int, num, signalExitCode } from '../args.js';
import { cliMessage } from '../messages.js';
import { MAX_SEED } from '../../util/rng.js';
import { checkResumeOptions, checkSameVocabulary, readResumable } from '../checkpoint-cli.js';
import { ProgressRenderer } from '../progress.js';
import {
  addTaskTrainOptions,
  checkLanguageModelOptions,
  trainTaskCommand,
  type TaskTrainCliOptions,
} from './task.js';
import { readCheckpoint } from '../../io/checkpoint.js';
import { getPreset, PRESET_NAMES, PRESETS, type TrainPreset } from '../../train/presets.js';

/** --forget-bias: a number, or 'pytorch' for torch.nn.LSTM's own init. */
function forgetBiasArg(value: string): number | 'pytorch' {
  if (value === 'pytorch') return value;
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n))
    throw new InvalidArgumentError(
      `expected a number or 'pytorch' for --forget-bias, got ${JSON.stringify(value)}`,
    );
  return n;
}

interface TrainCliOptions {
  corpus: string;
  backend: BackendChoice;
  cell: CellKind;
  hidden: number;
  layers: number;
  embedding: number;
  forgetBias: number | 'pytorch';
  dropout: number;
  activation: Activation;
  seqLength: number;
  batchSize: number;
  optimizer: (typeof OPTIMIZERS)[number];
  lr?: number;
  weightDecay?: number;
  clipValue: number;
  clipNorm: number;
  reduction: 'sum' | 'mean';
  maxTime?: number;
  maxTrainTime?: number;
  maxIters?: number;
  maxEpochs?: number;
  seed: number;
  out: string;
  valFraction: number;
  evalEvery?: number;
  evalInterval: number;
  sampleEvery: number;
  sampleInterval?: number;
  sampleLength: number;
  logEvery?: number;
  logInterval?: number;
  progress: boolean;
  /** --log FILE, or false for --no-log (undefined: the default beside --out). */
  log?: string | false;
  /** --chart / --no-chart (undefined: on a terminal). */
  chart?: boolean;
  tokens: 'char' | 'word';
  minFreq: number;
  maxVocab: number;
  lrSchedule?: string;
  threads?: number;
  resume?: string;
  checkpointEvery?: number;
  checkpointInterval: number;
  keepLast: number;
  best?: string;
  onNonfinite: 'stop' | 'rollback';
  rollbackFactor: number;
  preset?: TrainPreset;
}

/** --preset: a known name, else one line listing them. */
function presetArg(value: string): TrainPreset {
  try {
    return getPreset(value);
  } catch {
    throw new InvalidArgumentError(
      `unknown preset ${JSON.stringify(value)}; expected one of ${PRESET_NAMES.join(', ')}`,
    );
  }
}

/**
 * The options with a preset's recipe in place of every default: an option given on the command line keeps its
 * value. (--optimizer given without --lr takes that optimizer's default lr; the preset's betas go with its optimizer,
 * its weight decay with any optimizer: the decay is decoupled from the update rule.)
 */
function withPreset(
  opts: TrainCliOptions,
  given: (key: string) => boolean,
): { opts: TrainCliOptions; optimizerExtra: Record<string, number> } {
  const p = opts.preset;
  if (p === undefined) return { opts, optimizerExtra: {} };
  const m = p.model;
  const t = p.training;
  const recipe: Partial<TrainCliOptions> = {
    cell: m.cell,
    layers: m.layers,
    hidden: m.hiddenSize,
    embedding: m.embeddingSize,
    dropout: m.dropout,
    activation: m.activation,
    forgetBias: m.forgetBias,
    seqLength: t.seqLength,
    batchSize: t.batchSize,
    optimizer: t.optimizer.kind as TrainCliOptions['optimizer'],
    clipValue: t.clipValue,
    clipNorm: t.clipNorm,
    reduction: t.reduction,
    lrSchedule: t.lrSchedule,
    evalInterval: t.evalInterval,
    weightDecay: t.optimizer.weightDecay,
  };
  const out: TrainCliOptions = { ...opts };
  for (const [key, value] of Object.entries(recipe))
    if (!given(key)) (out as unknown as Record<string, unknown>)[key] = value;
  const sameOptimizer = out.optimizer === t.optimizer.kind;
  if (!given('lr') && sameOptimizer) out.lr = t.optimizer.lr;
  // The budget: unless a stop criterion was given.
  if (!given('maxTime') && !given('maxTrainTime') && !given('maxIters') && !given('maxEpochs'))
    out.maxTrainTime = t.maxTrainTime;
  const optimizerExtra: Record<string, number> = {};
  if (sameOptimizer)
    for (const [k, v] of Object.entries(t.optimizer))
      if (k !== 'kind' && k !== 'lr' && k !== 'weightDecay' && typeof v === 'number') optimizerExtra[k] = v;
  return { opts: out, optimizerExtra };
}

/** "a vanilla RNN (hidden 100", "a 2-layer LSTM (hidden 256, embedding 64, dropout 0.2" … for the start line. */
function describeModel(c: ModelConfig): string {
  const kind = c.cell === 'rnn' ? (c.activation === 'relu' ? 'ReLU RNN' : 'RNN') : c.cell.toUpperCase();
  const head = c.layers > 1 ? `a ${c.layers}-layer ${kind}` : c.cell === 'lstm' ? `an ${kind}` : `a ${kind}`;
  const parts = [`hidden ${new Set(c.hiddenSizes).size === 1 ? c.hiddenSize : c.hiddenSizes.join('/')}`];
  if (c.embeddingSize > 0) parts.push(`embedding ${c.embeddingSize}`);
  if (c.dropout > 0) parts.push(`dropout ${c.dropout}`);
  return `${head === 'a RNN' ? 'a vanilla RNN' : head} (${parts.join(', ')})`;
}

/**
 * The corpus file to stream (read through bounded windows, src/io/corpus-file.ts) instead of reading it into memory:
 * a file larger than CHARRNN_STREAM_THRESHOLD bytes (64 MiB by default); undefined for the built-in name or smaller files.
 */
async function streamedPath(ref: string, wordTokens: boolean): Promise<string | undefined> {
  if (ref === SHAKESPEARE_NAME) return undefined;
  const path = resolvePath(ref);
  if (!(await shouldStream(path))) return undefined;
  if (wordTokens)
    throw new RangeError(
      `Word tokens need the whole text in memory, and ${path} is larger than the corpus size charrnn reads into ` +
        `memory (it streams larger files, character tokens only). HINT: use --tokens char, or a part of the file ` +
        `(e.g. head -c 50M FILE > part.txt)`,
    );
  return path;
}

/** --lr-schedule: validated at parse time so a typo is one clear line. */
function scheduleArg(value: string): string {
  try {
    resolveSchedule(value);
  } catch (err) {
    throw new InvalidArgumentError(cliMessage((err as Error).message));
  }
  return value;
}

/** " (2 threads)" for the native backend, nothing for the single-threaded JS one. */
function threadNote(model: CharRNN): string {
  if (model.backend !== 'native') return '';
  const n = capabilities().threads;
  return ` (${n} thread${n > 1 ? 's' : ''})`;
}

async function trainCommand(cliOpts: TrainCliOptions & TaskTrainCliOptions, cmd: Command): Promise<void> {
  const given = (key: string) => cmd.getOptionValueSource(key) === 'cli';
  const { opts: presetOpts, optimizerExtra } =
    cliOpts.resume === undefined ? withPreset(cliOpts, given) : { opts: cliOpts, optimizerExtra: {} };
  const opts = presetOpts as TrainCliOptions & TaskTrainCliOptions;
  // A classify / tag run (new, or the resume of one) is src/cli/commands/task.ts.
  const resumedTask =
    opts.resume !== undefined && !given('task')
      ? (await readCheckpoint(opts.resume).catch(() => undefined))?.config.task
      : undefined;
  if (opts.task !== 'lm' || (resumedTask !== undefined && resumedTask !== 'lm'))
    return trainTaskCommand(opts, cmd);
  checkLanguageModelOptions(given);
  const log = (msg: string) => process.stderr.write(msg + '\n');
  const warn = (msg: string) => log(cliMessage(msg));
  if (opts.threads !== undefined) setThreads(opts.threads);
  let model: CharRNN;
  let corpus: Corpus<ModelVocabulary> | CorpusFile;
  let path: string;
  let corpusRef: string;
  let base: TrainOptions;
  let out = opts.out;
  let lossHistory: LossHistory | undefined;
  let settings: Record<string, unknown>;
  if (opts.resume !== undefined) {
    // Resume: the model, the corpus reference and the training settings come from the checkpoint.
    checkResumeOptions(given);
    const ck = await readResumable(opts.resume);
    const state = ck.training.state;
    if (!given('out')) out = opts.resume;
    corpusRef = given('corpus') ? opts.corpus : (state.corpus?.ref ?? opts.corpus);
    const validationFraction = given('valFraction')
      ? opts.valFraction
      : (state.corpus?.validationFraction ?? opts.valFraction);
    const big = await streamedPath(corpusRef, ck.vocabulary.kind === 'word');
    if (big !== undefined && ck.vocabulary.kind === 'char') {
      path = big;
      const scan = await scanCorpusFile(path, { log });
      checkSameVocabulary(scanVocabulary(scan), ck.vocabulary, path, opts.resume);
      corpus = await CorpusFile.open(path, { validationFraction, vocabulary: ck.vocabulary, scan });
    } else {
      const resolved = await resolveCorpus(corpusRef, { log });
      path = resolved.path;
      checkSameVocabulary(resolved.text, ck.vocabulary, path, opts.resume);
      corpus = Corpus.fromText(resolved.text, { validationFraction, vocabulary: ck.vocabulary });
    }
    const backend = resolveBackend(opts.backend, { warn, config: ck.config });
    model = modelFromCheckpoint(ck, backend.name);
    base = {
      resume: state,
      evalEvery: given('evalEvery') || state.evalEvery === 0 ? opts.evalEvery : state.evalEvery,
    };
    lossHistory = ck.lossHistory ?? undefined;
    settings = {
      seqLength: state.seqLength,
      batchSize: state.batchSize,
      optimizer: state.optimizer.kind,
      lr: state.optimizer.lr,
      lrSchedule: formatSchedule(state.lrSchedule),
      clipValue: state.clipValue,
      clipNorm: state.clipNorm,
      reduction: state.reduction,
      seed: state.seed,
    };
    log(
      `charrnn ${VERSION}: resuming ${opts.resume} at iteration ${state.iteration} (epoch ${state.epoch}): ` +
        `${describeModel(ck.config)} (${model.parameterCount.toLocaleString('en-US')} parameters) on ${path} ` +
        `with the ${model.backend} backend${threadNote(model)}; saving to ${out}`,
    );
  } else {
    corpusRef =
      opts.corpus === 'shakespeare' || isAbsolute(opts.corpus) ? opts.corpus : resolvePath(opts.corpus);
    const big = await streamedPath(opts.corpus, opts.tokens === 'word');
    if (big !== undefined) {
      path = big;
      corpus = await CorpusFile.open(path, { validationFraction: opts.valFraction, log });
    } else {
      const resolved = await resolveCorpus(opts.corpus, { log });
      path = resolved.path;
      corpus =
        opts.tokens === 'word'
          ? Corpus.fromText(resolved.text, {
              validationFraction: opts.valFraction,
              vocabulary: WordVocabulary.fromText(resolved.text, {
                minFreq: opts.minFreq,
                maxSize: opts.maxVocab,
              }),
            })
          : Corpus.fromText(resolved.text, { validationFraction: opts.valFraction });
    }
    const config = resolveModelConfig({
      cell: opts.cell,
      vocabSize: corpus.vocabulary.size,
      hiddenSize: opts.hidden,
      layers: opts.layers,
      embeddingSize: opts.embedding,
      dropout: opts.dropout,
      activation: opts.activation,
    });
    const backend = resolveBackend(opts.backend, { warn, config });
    model = CharRNN.create({
      vocabulary: corpus.vocabulary,
      cell: config.cell,
      hiddenSize: config.hiddenSize,
      layers: config.layers,
      embeddingSize: config.embeddingSize,
      dropout: config.dropout,
      activation: config.activation,
      forgetBias: opts.forgetBias,
      seed: opts.seed,
      backend: backend.name,
    });
    base = {
      seqLength: opts.seqLength,
      batchSize: opts.batchSize,
      optimizer: { kind: opts.optimizer, lr: opts.lr, ...optimizerExtra, weightDecay: opts.weightDecay },
      clipValue: opts.clipValue,
      clipNorm: opts.clipNorm,
      reduction: opts.reduction,
      lrSchedule: opts.lrSchedule,
      evalEvery: opts.evalEvery,
      seed: opts.seed,
    };
    settings = {
      seqLength: opts.seqLength,
      batchSize: opts.batchSize,
      ...(opts.preset ? { preset: opts.preset.name } : {}),
      optimizer: opts.optimizer,
      lr: resolveOptimizer({ kind: opts.optimizer, lr: opts.lr }).lr,
      ...optimizerExtra,
      ...(opts.weightDecay ? { weightDecay: opts.weightDecay } : {}),
      lrSchedule: formatSchedule(resolveSchedule(opts.lrSchedule)),
      clipValue: opts.clipValue,
      clipNorm: opts.clipNorm,
      reduction: opts.reduction,
      seed: opts.seed,
    };
    const unbounded =
      opts.maxTime === undefined &&
      opts.maxTrainTime === undefined &&
      opts.maxIters === undefined &&
      opts.maxEpochs === undefined;
    log(
      `charrnn ${VERSION}: ${opts.preset ? `preset ${opts.preset.name}: ` : ''}training ${describeModel(config)} (${model.parameterCount.toLocaleString('en-US')} parameters) ` +
        `on ${path} (${corpus.length.toLocaleString('en-US')} ${opts.tokens === 'word' ? 'word' : 'char'}s, vocabulary ${corpus.vocabulary.size}; ` +
        `${corpus.train.length.toLocaleString('en-US')} train / ${corpus.validation.length.toLocaleString('en-US')} validation) ` +
        `with the ${model.backend} backend${threadNote(model)}` +
        (unbounded ? '; press Ctrl-C to stop and save' : ''),
    );
  }
  const checkpoint: CheckpointOptions = {
    path: out,
    every: opts.checkpointEvery,
    interval: opts.checkpointInterval,
    keepLast: opts.keepLast,
    bestPath: opts.best,
    rollbackFrom: opts.resume,
    extra: { corpus: path },
  };
  const unit = corpus.vocabulary.kind === 'word' ? 'word' : 'char';
  const controller = new AbortController();
  // Ctrl-C (SIGINT) or SIGTERM: finish the chunk, save, then exit 130 / 143 as shells expect of a stopped command;
  // a second one quits at once, without saving.
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signalExitCode(signal));
    stoppedBy = signal;
    log('\nstopping after this chunk, then saving a checkpoint (Ctrl-C again to quit without saving)…');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = opts.progress && process.stderr.isTTY === true;
  const renderer = new ProgressRenderer({ tty, write: log, unit });
  // The run log: beside --out unless --log FILE or --no-log; a resumed session appends to it. Its folder is
  // checked (with the checkpoints') before any training.
  let runLog: RunLogWriter | undefined;
  let lastElapsed = 0;
  let started = false;
  if (opts.log !== false) {
    await checkCheckpointFolders(checkpoint);
    runLog = await RunLogWriter.open(opts.log ?? defaultLogPath(out), {
      append: opts.resume !== undefined,
      // The live line redraws every 0.2 s on a terminal; the log keeps one progress record per 2 s of that
      // (merged honestly) unless --log-every / --log-interval asked for a rate.
      progressInterval: opts.logEvery === undefined && opts.logInterval === undefined ? 2 : 0,
      onError: (err) =>
        log(`charrnn: cannot write the run log (${err.message}); training goes on without it`),
    });
    runLog.start({
      iteration: base.resume?.iteration ?? 0,
      ...(opts.resume !== undefined ? { resumedFrom: opts.resume } : {}),
      model: {
        config: model.config,
        parameters: model.parameterCount,
        backend: model.backend,
        ...(model.backend === 'native' ? { threads: capabilities().threads } : {}),
      },
      corpus: {
        ref: corpusRef,
        tokens: corpus.length,
        trainTokens: corpus.train.length,
        validationTokens: corpus.validation.length,
        unit,
      },
      settings: {
        ...settings,
        maxIters: opts.maxIters,
        maxEpochs: opts.maxEpochs,
        maxTime: opts.maxTime,
        maxTrainTime: opts.maxTrainTime,
        evalEvery: base.evalEvery,
        evalInterval: base.evalEvery === undefined ? opts.evalInterval : undefined,
      },
    });
  }
  try {
    const result = await train(model, corpus.train, corpus.validation, {
      ...base,
      maxTime: opts.maxTime,
      maxTrainTime: opts.maxTrainTime,
      maxIters: opts.maxIters,
      maxEpochs: opts.maxEpochs,
      evalInterval: base.evalEvery === undefined ? opts.evalInterval : undefined,
      sampleEvery: opts.sampleEvery,
      sampleInterval: opts.sampleInterval,
      sampleLength: opts.sampleLength,
      logEvery: opts.logEvery,
      logInterval: opts.logInterval ?? (process.stderr.isTTY ? 0.2 : 2),
      checkpoint,
      onNonFinite: opts.onNonfinite,
      rollbackFactor: opts.rollbackFactor,
      corpus: { ref: corpusRef, validationFraction: corpus.validationFraction },
      signal: controller.signal,
      lossHistory,
      onEvent: (ev: TrainEvent) => {
        lastElapsed = ev.elapsed;
        if (ev.type === 'progress' && !started) {
          started = true;
          log(`first chunk trained ${process.uptime().toFixed(1)} s after launch`);
        }
        renderer.event(ev);
        runLog?.event(ev);
      },
    });
    renderer.stop();
    runLog?.end(result);
    if (opts.chart ?? tty) {
      const chart = lossChart(result.lossHistory, {
        width: process.stderr.columns ?? 80,
        color: process.stderr.isTTY === true,
        unit,
      });
      if (chart) log(chart);
    }
    const v = result.validation;
    log(
      `done: ${result.iterations} iterations in ${result.elapsed.toFixed(1)} s (stopped by ${result.stoppedBy}); ` +
        `smooth train loss ${result.smoothLoss.toFixed(4)}` +
        (v
          ? `; validation loss ${v.loss.toFixed(4)} nats/${unit} (${v.bitsPerChar.toFixed(3)} bits/${unit}, ` +
            `perplexity ${v.perplexity.toFixed(2)} per ${unit})`
          : result.stoppedBy === 'maxTime' && corpus.validation.length >= 2
            ? '; no final validation: it did not fit in --max-time'
            : ''),
    );
    log(`saved ${out}`);
    if (runLog) log(`run log: ${runLog.path} (charrnn report ${runLog.path} --out report.html)`);
    if (stoppedBy !== undefined) throw new ExitCode(signalExitCode(stoppedBy));
  } catch (err) {
    // A stop by signal after saving is not a failure of the run (its log already ends with the 'end' record).
    if (!(err instanceof ExitCode))
      runLog?.error(err as Error, lastElapsed, (err as { iteration?: number }).iteration);
    throw err;
  } finally {
    runLog?.close();
    renderer.stop();
    if (corpus instanceof CorpusFile) corpus.close();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** Adds `charrnn train` (its options and handler) to the program. */
export function registerTrain(program: Command): void {
  const cmd = program
    .command('train')
    .description(
      'train a language model on a corpus (or, with --task classify|tag, a classifier / tagger on --data) and save it',
    )
    .option(
      '--corpus <file>',
      'a UTF-8 text file, or "shakespeare" (found via CHARRNN_DATA_DIR, cache or download)',
      'shakespeare',
    )
    .option(
      '--preset <name>',
      `a whole recipe (model and training options) for a time budget: ${PRESET_NAMES.join(' | ')} (listed below); options given explicitly override its values`,
      presetArg,
    )
    .addOption(backendOption())
    .addOption(new Option('--cell <kind>', 'recurrent cell').choices(['rnn', 'lstm', 'gru']).default('rnn'))
    .option('--hidden <n>', 'hidden size (of every layer)', int('--hidden', 1), 100)
    .option('--layers <n>', 'stacked recurrent layers', int('--layers', 1), 1)
    .option('--embedding <n>', 'learned input embedding width (0 = one-hot input)', int('--embedding'), 0)
    .option(
      '--forget-bias <b>',
      "LSTM: initial forget-gate bias, or 'pytorch' for torch.nn.LSTM's own init",
      forgetBiasArg,
      1,
    )
    .option(
      '--dropout <p>',
      "dropout on each layer's output while training, in [0, 1)",
      num('--dropout', { min: 0 }),
      0,
    )
    .addOption(
      new Option('--activation <fn>', "non-linearity of cell 'rnn'")
        .choices(['tanh', 'relu'])
        .default('tanh'),
    )
    .option('--seq-length <n>', 'steps of backprop-through-time per chunk', int('--seq-length', 1), 25)
    .option('--batch-size <n>', 'parallel streams per chunk', int('--batch-size', 1), 1)
    .addOption(new Option('--optimizer <name>', 'optimizer').choices([...OPTIMIZERS]).default('adagrad'))
    .option(
      '--lr <rate>',
      'learning rate (default: 0.1 for sgd/adagrad, 2e-3 for rmsprop/adam)',
      num('--lr', { min: 0, exclusiveMin: true }),
    )
    .option(
      '--weight-decay <wd>',
      'decoupled weight decay (AdamW-style: every update also scales each weight by 1 − lr·wd; default 0)',
      num('--weight-decay', { min: 0 }),
    )
    .option(
      '--clip-value <c>',
      'clamp every gradient element to [-c, c] (0 = off)',
      num('--clip-value', { min: 0 }),
      5,
    )
    .option(
      '--clip-norm <c>',
      'clip the global gradient norm to c (0 = off)',
      num('--clip-norm', { min: 0 }),
      0,
    )
    .addOption(
      new Option('--reduction <r>', 'loss reduction for gradients').choices(['sum', 'mean']).default('sum'),
    )
    .option(
      '--max-time <seconds>',
      'stop after this much wall time, validations included',
      num('--max-time', { min: 0 }),
    )
    .option(
      '--max-train-time <seconds>',
      'stop after this much time spent training (validation, samples and checkpoints off the clock)',
      num('--max-train-time', { min: 0 }),
    )
    .option('--max-iters <n>', 'stop after this many chunks', int('--max-iters', 1))
    .option('--max-epochs <n>', 'stop after this many passes over the training split', int('--max-epochs', 1))
    .option('--seed <n>', 'initialisation seed', int('--seed', 0, MAX_SEED), 1)
    .option('--out <file>', 'where to save the model', 'model.safetensors')
    .option(
      '--val-fraction <f>',
      'fraction of the corpus held out for validation',
      num('--val-fraction', { min: 0 }),
      0.1,
    )
    .option('--eval-every <n>', 'validate every n chunks (0 = only at the end)', int('--eval-every'))
    .option(
      '--eval-interval <seconds>',
      'validate every this many seconds (unless --eval-every is given)',
      num('--eval-interval', { min: 0, exclusiveMin: true }),
      30,
    )
    .option('--sample-every <n>', 'print a sample every n chunks (0 = never)', int('--sample-every'), 0)
    .option(
      '--sample-interval <seconds>',
      'print a sample every this many seconds, whatever the speed (default never)',
      num('--sample-interval', { min: 0, exclusiveMin: true }),
    )
    .option('--sample-length <n>', 'length of preview samples', int('--sample-length', 1), 200)
    .option('--log-every <n>', 'report progress every n chunks (default: by time)', int('--log-every', 1))
    .option(
      '--log-interval <seconds>',
      'report progress every this many seconds (default 0.2 on a terminal, else 2)',
      num('--log-interval', { min: 0, exclusiveMin: true }),
    )
    .option('--no-progress', 'plain log lines even on a terminal')
    .option(
      '--log <file>',
      'write the run log (JSON Lines) here (default: beside --out, <out>.log.jsonl; a resumed run appends)',
    )
    .option('--no-log', 'write no run log')
    .option('--chart', 'print the loss chart at the end (default: on a terminal)')
    .option('--no-chart', 'no loss chart at the end')
    .option(
      '--threads <n>',
      'threads for the native backend (default: CHARRNN_THREADS, else the number of CPUs)',
      int('--threads', 1),
    )
    .addOption(
      new Option('--tokens <kind>', 'char: one token per character; word: words, punctuation and newlines')
        .choices(['char', 'word'])
        .default('char'),
    )
    .option('--min-freq <n>', 'word tokens: keep words seen at least n times', int('--min-freq', 1), 1)
    .option(
      '--max-vocab <n>',
      'word tokens: at most n tokens (<unk> and newline included)',
      int('--max-vocab', 3),
      65536,
    )
    .option(
      '--lr-schedule <spec>',
      'learning-rate schedule: none | step:EVERY[:GAMMA] | exp:GAMMA[:EVERY] | plateau[:FACTOR[:PATIENCE[:MIN_LR[:THRESHOLD]]]] | cosine[:FLOOR] | linear[:FLOOR] (e.g. step:1000:0.5, exp:0.9999, plateau:0.5:3; cosine and linear decay to FLOOR × lr, default 0, over the budget: --max-time, --max-iters or --max-epochs)',
      scheduleArg,
    )
    .option(
      '--resume <checkpoint>',
      'continue the run saved in this checkpoint exactly (model, corpus and settings from it; --max-iters counts the whole run)',
    )
    .option(
      '--checkpoint-every <n>',
      'write a checkpoint to --out every n chunks',
      int('--checkpoint-every', 1),
    )
    .option(
      '--checkpoint-interval <seconds>',
      'write a checkpoint to --out every this many seconds (0 = off)',
      num('--checkpoint-interval', { min: 0 }),
      300,
    )
    .option(
      '--keep-last <n>',
      'also keep the n newest checkpoints as <out>.iter-<N>.safetensors',
      int('--keep-last'),
      0,
    )
    .option('--best <file>', 'also write the best checkpoint by validation loss here')
    .addOption(
      new Option('--on-nonfinite <policy>', 'when the loss or parameters become NaN/Inf')
        .choices(['stop', 'rollback'])
        .default('stop'),
    )
    .option(
      '--rollback-factor <f>',
      'multiply the learning rate by f at each roll-back to the last good checkpoint',
      num('--rollback-factor', { min: 0, exclusiveMin: true }),
      0.5,
    );
  cmd.addHelpText(
    'after',
    '\nPresets (--preset NAME; tuned on tinyshakespeare on 2 cores, see docs/presets.md):\n' +
      PRESET_NAMES.map((n) => `  ${n.padEnd(6)} ${PRESETS[n].summary}`).join('\n'),
  );
  addTaskTrainOptions(cmd).action((opts: TrainCliOptions & TaskTrainCliOptions, c: Command) =>
    trainCommand(opts, c),
  );
}

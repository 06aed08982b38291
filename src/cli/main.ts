#!/usr/bin/env node
// The `charrnn` command: train (and resume), sample, inspect and info over the library's public API.
// Deliberately thin: argument parsing (commander), rendering of progress events, one-line errors.
import { realpathSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import { resolveCorpus } from '../io/resolve-corpus.js';
import { Corpus, decodeUtf8Strict } from '../text/corpus.js';
import { WordVocabulary } from '../text/word-vocabulary.js';
import type { ScoreUnknownPolicy } from '../generate/score.js';
import { CharRNN, type ModelVocabulary } from '../model/model.js';
import { resolveModelConfig, type Activation, type CellKind, type ModelConfig } from '../model/config.js';
import { train, type CheckpointOptions, type TrainEvent, type TrainOptions } from '../train/trainer.js';
import { loadModel } from '../io/model-file.js';
import { modelFromCheckpoint } from '../io/checkpoint.js';
import { resolveSchedule } from '../train/schedule.js';
import {
  checkResumeOptions,
  checkSameVocabulary,
  CheckpointUsageError,
  inspectText,
  readResumable,
} from './checkpoint-cli.js';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { capabilities, resolveBackend, setThreads, type BackendChoice } from '../backends/index.js';
import { runBenchmarks, summarize } from '../bench/runner.js';
import { OPTIMIZERS } from '../train/optim.js';
import { ProgressRenderer } from './progress.js';
import { VERSION } from '../version.js';

/** A mistake by the user: printed as one line, exit code 1, no stack trace. */
class UsageError extends Error {}

function int(name: string, min = 0) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min)
      throw new InvalidArgumentError(
        `expected an integer ≥ ${min} for ${name}, got ${JSON.stringify(value)}`,
      );
    return n;
  };
}

function num(name: string, opts: { min?: number; exclusiveMin?: boolean } = {}) {
  return (value: string): number => {
    const n = Number(value);
    const { min = -Infinity, exclusiveMin = false } = opts;
    if (value.trim() === '' || !Number.isFinite(n) || n < min || (exclusiveMin && n === min))
      throw new InvalidArgumentError(
        `expected a number ${exclusiveMin ? '>' : '≥'} ${min} for ${name}, got ${JSON.stringify(value)}`,
      );
    return n;
  };
}

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

const backendOption = () =>
  new Option('--backend <name>', 'arithmetic backend').choices(['auto', 'js', 'native']).default('auto');

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
  clipValue: number;
  clipNorm: number;
  reduction: 'sum' | 'mean';
  maxTime?: number;
  maxIters?: number;
  maxEpochs?: number;
  seed: number;
  out: string;
  valFraction: number;
  evalEvery?: number;
  evalInterval: number;
  sampleEvery: number;
  sampleLength: number;
  logEvery?: number;
  logInterval?: number;
  progress: boolean;
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

/** --lr-schedule: validated at parse time so a typo is one clear line. */
function scheduleArg(value: string): string {
  try {
    resolveSchedule(value);
  } catch (err) {
    throw new InvalidArgumentError((err as Error).message);
  }
  return value;
}

/** " (2 threads)" for the native backend, nothing for the single-threaded JS one. */
function threadNote(model: CharRNN): string {
  if (model.backend !== 'native') return '';
  const n = capabilities().threads;
  return ` (${n} thread${n > 1 ? 's' : ''})`;
}

async function trainCommand(opts: TrainCliOptions, cmd: Command): Promise<void> {
  const log = (msg: string) => process.stderr.write(msg + '\n');
  if (opts.threads !== undefined) setThreads(opts.threads);
  const given = (key: string) => cmd.getOptionValueSource(key) === 'cli';
  let model: CharRNN;
  let corpus: Corpus<ModelVocabulary>;
  let path: string;
  let corpusRef: string;
  let base: TrainOptions;
  let out = opts.out;
  if (opts.resume !== undefined) {
    // Resume: the model, the corpus reference and the training settings come from the checkpoint.
    checkResumeOptions(given);
    const ck = await readResumable(opts.resume);
    const state = ck.training.state;
    if (!given('out')) out = opts.resume;
    corpusRef = given('corpus') ? opts.corpus : (state.corpus?.ref ?? opts.corpus);
    const resolved = await resolveCorpus(corpusRef, { log });
    path = resolved.path;
    checkSameVocabulary(resolved.text, ck.vocabulary, path, opts.resume);
    corpus = Corpus.fromText(resolved.text, {
      validationFraction: given('valFraction')
        ? opts.valFraction
        : (state.corpus?.validationFraction ?? opts.valFraction),
      vocabulary: ck.vocabulary,
    });
    const backend = resolveBackend(opts.backend, { warn: log, config: ck.config });
    model = modelFromCheckpoint(ck, backend.name);
    base = {
      resume: state,
      evalEvery: given('evalEvery') || state.evalEvery === 0 ? opts.evalEvery : state.evalEvery,
    };
    log(
      `charrnn ${VERSION}: resuming ${opts.resume} at iteration ${state.iteration} (epoch ${state.epoch}): ` +
        `${describeModel(ck.config)} (${model.parameterCount.toLocaleString('en-US')} parameters) on ${path} ` +
        `with the ${model.backend} backend${threadNote(model)}; saving to ${out}`,
    );
  } else {
    const resolved = await resolveCorpus(opts.corpus, { log });
    path = resolved.path;
    corpusRef =
      opts.corpus === 'shakespeare' || isAbsolute(opts.corpus) ? opts.corpus : resolvePath(opts.corpus);
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
    const config = resolveModelConfig({
      cell: opts.cell,
      vocabSize: corpus.vocabulary.size,
      hiddenSize: opts.hidden,
      layers: opts.layers,
      embeddingSize: opts.embedding,
      dropout: opts.dropout,
      activation: opts.activation,
    });
    const backend = resolveBackend(opts.backend, { warn: log, config });
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
      optimizer: { kind: opts.optimizer, lr: opts.lr },
      clipValue: opts.clipValue,
      clipNorm: opts.clipNorm,
      reduction: opts.reduction,
      lrSchedule: opts.lrSchedule,
      evalEvery: opts.evalEvery,
      seed: opts.seed,
    };
    const unbounded =
      opts.maxTime === undefined && opts.maxIters === undefined && opts.maxEpochs === undefined;
    log(
      `charrnn ${VERSION}: training ${describeModel(config)} (${model.parameterCount.toLocaleString('en-US')} parameters) ` +
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
  const onSignal = () => {
    if (controller.signal.aborted) process.exit(130);
    log('\nstopping after this chunk, then saving a checkpoint (Ctrl-C again to quit without saving)…');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const renderer = new ProgressRenderer({
    tty: opts.progress && process.stderr.isTTY === true,
    write: log,
    unit,
  });
  try {
    const result = await train(model, corpus.train, corpus.validation, {
      ...base,
      maxTime: opts.maxTime,
      maxIters: opts.maxIters,
      maxEpochs: opts.maxEpochs,
      evalInterval: base.evalEvery === undefined ? opts.evalInterval : undefined,
      sampleEvery: opts.sampleEvery,
      sampleLength: opts.sampleLength,
      logEvery: opts.logEvery,
      logInterval: opts.logInterval ?? (process.stderr.isTTY ? 0.2 : 2),
      checkpoint,
      onNonFinite: opts.onNonfinite,
      rollbackFactor: opts.rollbackFactor,
      corpus: { ref: corpusRef, validationFraction: corpus.validationFraction },
      signal: controller.signal,
      onEvent: (ev: TrainEvent) => renderer.event(ev),
    });
    renderer.stop();
    const v = result.validation;
    log(
      `done: ${result.iterations} iterations in ${result.elapsed.toFixed(1)} s (stopped by ${result.stoppedBy}); ` +
        `smooth train loss ${result.smoothLoss.toFixed(4)}` +
        (v
          ? `; validation loss ${v.loss.toFixed(4)} nats/${unit} (${v.bitsPerChar.toFixed(3)} bits/${unit}, ` +
            `perplexity ${v.perplexity.toFixed(2)} per ${unit})`
          : ''),
    );
    log(`saved ${out}`);
  } finally {
    renderer.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

interface SampleCliOptions {
  backend: BackendChoice;
  prime?: string;
  length: number;
  temperature: number;
  greedy: boolean;
  seed: number;
  topK?: number;
  topP?: number;
  repetitionPenalty?: number;
  ban?: string;
  stop?: string[];
  maxLength?: number;
  beam?: number;
  lengthPenalty: number;
  unknown?: 'error' | 'skip';
}

/** Write to stdout, waiting when the pipe is full. */
async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

async function sampleCommand(file: string, opts: SampleCliOptions, cmd: Command): Promise<void> {
  const given = (name: string) => cmd.getOptionValueSource(name) === 'cli';
  if (opts.beam !== undefined) {
    const clash = ['temperature', 'greedy', 'topK', 'topP', 'repetitionPenalty', 'maxLength'].filter(given);
    if (clash.length > 0)
      throw new UsageError(
        `--beam is deterministic and takes no ${clash.map((c) => '--' + c.replace(/[A-Z]/g, (m) => '-' + m.toLowerCase())).join(', ')}`,
      );
  }
  const model = await loadModel(file, { backend: opts.backend });
  const prime = opts.prime ?? '';
  const common = {
    prime: prime === '' ? undefined : prime,
    length: opts.length,
    stop: opts.stop,
    unknown: opts.unknown,
  };
  if (opts.beam !== undefined) {
    const [best] = model.beamSearch({
      ...common,
      width: opts.beam,
      lengthPenalty: opts.lengthPenalty,
      banned: opts.ban,
    });
    await writeOut(prime + best.text + '\n');
    return;
  }
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.on('SIGINT', onSignal);
  try {
    const pieces = model.stream({
      ...common,
      temperature: opts.temperature,
      greedy: opts.greedy,
      topK: opts.topK,
      topP: opts.topP,
      repetitionPenalty: opts.repetitionPenalty,
      banned: opts.ban,
      maxLength: opts.maxLength,
      seed: opts.seed,
      signal: controller.signal,
    });
    await writeOut(prime);
    for await (const piece of pieces) await writeOut(piece);
    await writeOut('\n');
  } catch (err) {
    if ((err as Error).name !== 'AbortError') throw err;
    await writeOut('\n');
    process.stderr.write('charrnn: stopped\n');
  } finally {
    process.off('SIGINT', onSignal);
  }
}

interface ScoreCliOptions {
  backend: BackendChoice;
  unknown: string;
  context?: string;
  perChar: boolean;
  json: boolean;
}

/** '--unknown error|skip|NATS' → the scoring policy (undefined: the model's default). */
function scorePolicy(value: string): ScoreUnknownPolicy | undefined {
  if (value === 'default') return undefined;
  if (value === 'error' || value === 'skip') return value;
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n) && n >= 0) return { penalty: n };
  throw new UsageError(
    `expected error, skip or a penalty in nats ≥ 0 for --unknown, got ${JSON.stringify(value)}`,
  );
}

async function readText(file: string): Promise<{ name: string; text: string }> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return { name: 'stdin', text: decodeUtf8Strict(new Uint8Array(Buffer.concat(chunks)), 'stdin') };
  }
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'EISDIR')
      throw new UsageError(`Text file not found: ${file}. HINT: pass a UTF-8 text file, or - to read stdin`);
    throw err;
  }
  return { name: file, text: decodeUtf8Strict(bytes, file) };
}

async function scoreCommand(modelFile: string, file: string, opts: ScoreCliOptions): Promise<void> {
  const unknown = scorePolicy(opts.unknown);
  const model = await loadModel(modelFile, { backend: opts.backend });
  const { name, text } = await readText(file);
  let r;
  try {
    r = model.score(text, { unknown, context: opts.context });
  } catch (err) {
    const m = (err as Error).message;
    if (err instanceof RangeError && m.includes('HINT: pass { unknown:'))
      throw new UsageError(
        m.replace(/HINT: .*/, 'HINT: pass --unknown skip, or --unknown NATS to charge a penalty'),
      );
    throw err;
  }
  const unit = model.vocabulary.kind === 'word' ? 'word' : 'char';
  if (opts.json) {
    const { tokens, surprisal, ...totals } = r;
    const out: Record<string, unknown> = { model: modelFile, file: name, unit, ...totals };
    if (opts.perChar) out.perToken = tokens.map((token, i) => ({ token, nats: surprisal[i] }));
    await writeOut(JSON.stringify(out, null, 2) + '\n');
    return;
  }
  const f = (x: number, d: number) =>
    x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  if (opts.perChar) {
    const lines = r.tokens.map(
      (t, i) =>
        `${i}\t${JSON.stringify(t)}\t${r.surprisal[i].toFixed(4)}\t${(r.surprisal[i] / Math.LN2).toFixed(4)}`,
    );
    await writeOut(`index\t${unit === 'word' ? 'token' : 'char'}\tnats\tbits\n` + lines.join('\n') + '\n');
  }
  const lines = [
    `${name}: ${r.count.toLocaleString('en-US')} ${unit}s scored` +
      (unit === 'word' ? ` (${r.characters.toLocaleString('en-US')} characters)` : '') +
      (r.unknown > 0 ? `, ${r.unknown} unknown` : ''),
    `total ${f(r.totalNats, 3)} nats (${f(r.totalBits, 3)} bits)`,
    `perplexity ${f(r.perplexity, 4)} per ${unit}, ${f(r.bitsPerToken, 4)} bits/${unit}` +
      (unit === 'word'
        ? `; per character: perplexity ${f(r.charPerplexity, 4)}, ${f(r.bitsPerChar, 4)} bits/char`
        : ''),
  ];
  await writeOut(lines.join('\n') + '\n');
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('charrnn')
    .description('Character-level RNN language models: train on a text, then generate from it.')
    .version(VERSION)
    .showHelpAfterError('(run with --help for usage)')
    .configureOutput({ outputError: (str, write) => write(str) });

  program
    .command('train')
    .description('train a model on a corpus and save it')
    .option(
      '--corpus <file>',
      'a UTF-8 text file, or "shakespeare" (found via CHARRNN_DATA_DIR, cache or download)',
      'shakespeare',
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
    .option('--max-time <seconds>', 'stop after this much training time', num('--max-time', { min: 0 }))
    .option('--max-iters <n>', 'stop after this many chunks', int('--max-iters', 1))
    .option('--max-epochs <n>', 'stop after this many passes over the training split', int('--max-epochs', 1))
    .option('--seed <n>', 'initialisation seed', int('--seed'), 1)
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
    .option('--sample-length <n>', 'length of preview samples', int('--sample-length', 1), 200)
    .option('--log-every <n>', 'report progress every n chunks (default: by time)', int('--log-every', 1))
    .option(
      '--log-interval <seconds>',
      'report progress every this many seconds (default 0.2 on a terminal, else 2)',
      num('--log-interval', { min: 0, exclusiveMin: true }),
    )
    .option('--no-progress', 'plain log lines even on a terminal')
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
      'learning-rate schedule: none | step:EVERY[:GAMMA] | exp:GAMMA[:EVERY] | plateau[:FACTOR[:PATIENCE[:MIN_LR[:THRESHOLD]]]] (e.g. step:1000:0.5, exp:0.9999, plateau:0.5:3)',
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
    )
    .action((opts: TrainCliOptions, cmd: Command) => trainCommand(opts, cmd));

  const collect = (value: string, previous: string[] = []) => [...previous, value];
  program
    .command('sample')
    .description('generate text from a saved model, streaming it to stdout')
    .argument('<model>', 'a model file written by `charrnn train`')
    .addOption(backendOption())
    .option('--prime <text>', 'text that primes the hidden state (printed before the sample)')
    .option('--length <n>', 'tokens (characters, or words) to generate', int('--length'), 500)
    .option('--temperature <t>', 'softmax temperature (0 = greedy)', num('--temperature', { min: 0 }), 1)
    .option('--greedy', 'always pick the most likely token (same as --temperature 0)', false)
    .option('--top-k <k>', 'sample among the k most likely tokens only', int('--top-k', 1))
    .option(
      '--top-p <p>',
      'sample from the smallest set of tokens whose probability reaches p, in (0, 1]',
      (value: string): number => {
        const n = Number(value);
        if (value.trim() === '' || !(n > 0 && n <= 1))
          throw new InvalidArgumentError(
            `expected a number in (0, 1] for --top-p, got ${JSON.stringify(value)}`,
          );
        return n;
      },
    )
    .option(
      '--repetition-penalty <r>',
      'divide the probability of recently seen tokens by r ≥ 1',
      num('--repetition-penalty', { min: 1 }),
    )
    .option('--ban <chars>', 'characters (or words of a word model) never to generate')
    .option('--stop <text>', 'stop before this text (repeatable)', collect)
    .option('--max-length <n>', 'stop after this many characters', int('--max-length'))
    .option('--beam <k>', 'beam search with k beams (deterministic; prints the best)', int('--beam', 1))
    .option(
      '--length-penalty <a>',
      'beam search: rank beams by logProb / length^a',
      num('--length-penalty', { min: 0 }),
      0,
    )
    .option('--seed <n>', 'sampling seed', int('--seed'), 1)
    .addOption(
      new Option(
        '--unknown <policy>',
        'prime characters outside the vocabulary (default: error; <unk> for words of a word model)',
      ).choices(['error', 'skip']),
    )
    .action((file: string, opts: SampleCliOptions, cmd: Command) => sampleCommand(file, opts, cmd));

  program
    .command('score')
    .description('score a text under a saved model: total log-probability, perplexity, bits per character')
    .argument('<model>', 'a model file written by `charrnn train`')
    .argument('[file]', 'a UTF-8 text file, or - for stdin', '-')
    .addOption(backendOption())
    .option(
      '--unknown <policy>',
      'tokens outside the vocabulary: error, skip, or a penalty in nats (default: error; <unk> for word models)',
      'default',
    )
    .option('--context <text>', 'text fed before the scored text (otherwise its first token is the context)')
    .option('--per-char', 'also print the surprisal of every scored character (token)', false)
    .option('--json', 'machine-readable output', false)
    .action((modelFile: string, file: string, opts: ScoreCliOptions) => scoreCommand(modelFile, file, opts));

  program
    .command('inspect')
    .description(
      'print what a model or checkpoint file holds: config, vocabulary, parameters, training state',
    )
    .argument('<file>', 'a model or checkpoint written by `charrnn train`')
    .option('--json', 'print everything as JSON', false)
    .action(async (file: string, opts: { json: boolean }) => {
      process.stdout.write((await inspectText(file, opts.json)) + '\n');
    });

  program
    .command('info')
    .description('print the version, the active backend and CPU capabilities')
    .action(() => {
      process.stdout.write(JSON.stringify({ version: VERSION, ...capabilities() }, null, 2) + '\n');
    });

  program
    .command('bench')
    .description('time the benchmark workloads (W1–W4 of WORKLOADS.md) on this machine')
    .option('--workload <names>', 'comma-separated workloads: W1, W2, W3, W4', 'W1,W2,W3,W4')
    .option('--backend <names>', 'comma-separated backends: js, native', 'js,native')
    .option(
      '--threads <list>',
      'comma-separated native thread counts to measure (default: 1 and the configured count)',
    )
    .option(
      '--time <seconds>',
      'seconds of timing per measurement',
      num('--time', { min: 0, exclusiveMin: true }),
      3,
    )
    .option('--json <file>', 'also write the records as a JSON array to this file')
    .action(
      async (opts: { workload: string; backend: string; threads?: string; time: number; json?: string }) => {
        const backends = opts.backend.split(',').map((b) => b.trim());
        for (const b of backends)
          if (b !== 'js' && b !== 'native')
            throw new UsageError(`Expected js or native for --backend but received ${JSON.stringify(b)}`);
        const threads = opts.threads?.split(',').map((t) => {
          const n = Number(t.trim());
          if (!Number.isInteger(n) || n < 1 || n > 256)
            throw new UsageError(
              `Expected integers in [1, 256] for --threads but received ${JSON.stringify(t)}`,
            );
          return n;
        });
        const workloads = opts.workload.split(',').map((w) => w.trim().toUpperCase());
        for (const w of workloads)
          if (!['W1', 'W2', 'W3', 'W4'].includes(w))
            throw new UsageError(
              `Expected W1, W2, W3 or W4 for --workload but received ${JSON.stringify(w)}`,
            );
        const log = (line: string) => process.stdout.write(line + '\n');
        const records = await runBenchmarks({
          workloads,
          backends: backends as ('js' | 'native')[],
          threads,
          seconds: opts.time,
          log,
        });
        log(summarize(records));
        if (opts.json !== undefined) {
          await writeFile(opts.json, JSON.stringify(records, null, 2) + '\n');
          log(`wrote ${opts.json}`);
        }
      },
    );
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    const e = err as Error & { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      // commander already printed its message (or help/version).
      return e.exitCode ?? 1;
    }
    if (process.env.CHARRNN_DEBUG) console.error(e);
    const message =
      e instanceof UsageError || e instanceof CheckpointUsageError ? e.message : (e.message ?? String(e));
    process.stderr.write(`charrnn: ${message.split('\n')[0]}\n`);
    return 1;
  }
}

// Run when executed directly or through the npm bin link (not when imported by tests).
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (isEntryPoint()) {
  // main() turns every error into a message and an exit code; it never rejects, so nothing is left unhandled.
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}

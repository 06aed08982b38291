// The classify / tag side of the `charrnn` command: `train --task classify|tag` (a new run, or --resume of one),
// `predict MODEL [FILE|-]` (labels with probabilities; per character for tagging) and `eval MODEL DATA` (accuracy,
// macro-F1, per-class precision / recall and the confusion matrix, per word and per character for tagging).
// Deliberately no arithmetic: the data, scoring and training are src/tasks, src/io/task-*.ts and src/train.
import { readFile } from 'node:fs/promises';
import { isAbsolute, resolve as resolvePath } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import { capabilities, resolveBackend, setThreads, type BackendChoice } from '../../backends/index.js';
import { CharRNN } from '../../charrnn.js';
import { checkCheckpointFolders, modelFromCheckpoint, readCheckpoint } from '../../io/checkpoint.js';
import { readTaskData, readTaskSplits } from '../../io/task-data.js';
import {
  labelsOf,
  loadTaskModel,
  taskDataOf,
  TASK_DATA_KEY,
  type TaskDataReference,
} from '../../io/task-model.js';
import { resolveModelConfig, type Activation, type CellKind, type Pooling } from '../../model/config.js';
import { formatSchedule, resolveSchedule } from '../../run/schedule.js';
import { encodeSequences, makeBatch, type EncodedSequences } from '../../tasks/batch.js';
import { codePointLength, SPACE_LABEL, type SequenceTask, type TaskExample } from '../../tasks/data.js';
import { evaluateSequences, topLabels, type SequenceEvaluation } from '../../tasks/evaluate.js';
import { LabelVocabulary } from '../../tasks/labels.js';
import { metricsText, summaryLine, type ClassificationMetrics } from '../../tasks/metrics.js';
import { parseSplit } from '../../tasks/split.js';
import { decodeUtf8Strict } from '../../text/corpus.js';
import { refuseTooLongText } from '../../text/corpus-file.js';
import { Vocabulary } from '../../text/vocabulary.js';
import { defaultLogPath, RunLogWriter } from '../../train/run-log-file.js';
import { trainTask, TASK_METRICS, type TaskEvalEvent, type TaskMetric } from '../../train/task-trainer.js';
import type { CheckpointOptions, TrainEvent } from '../../train/trainer.js';
import { refuseSpecialFile } from '../../util/files.js';
import { VERSION } from '../../version.js';
import { backendOption, ExitCode, int, signalExitCode, UsageError, writeOut } from '../args.js';
import { checkResumeOptions } from '../checkpoint-cli.js';
import { cliMessage } from '../messages.js';
import { ProgressRenderer } from '../progress.js';

/** What `charrnn train` passes for a classify / tag run (its own options; the language-model ones are ignored). */
export interface TaskTrainCliOptions {
  task: 'lm' | SequenceTask;
  data?: string;
  valid?: string;
  test?: string;
  split?: string;
  bidirectional?: boolean;
  pooling: Pooling;
  classWeights: 'none' | 'balanced';
  metric: TaskMetric;
  maxLength: number;
  backend: BackendChoice;
  cell: CellKind;
  hidden: number;
  layers: number;
  embedding: number;
  forgetBias: number | 'pytorch';
  dropout: number;
  activation: Activation;
  batchSize: number;
  optimizer: 'sgd' | 'adagrad' | 'rmsprop' | 'adam';
  lr?: number;
  weightDecay?: number;
  clipValue: number;
  clipNorm: number;
  maxTime?: number;
  maxTrainTime?: number;
  maxIters?: number;
  maxEpochs?: number;
  seed: number;
  out: string;
  evalEvery?: number;
  evalInterval: number;
  logInterval?: number;
  progress: boolean;
  log?: string | false;
  lrSchedule?: string;
  threads?: number;
  resume?: string;
  checkpointEvery?: number;
  checkpointInterval: number;
  keepLast: number;
  best?: string;
}

/** The options `train` adds for the classify / tag tasks. */
export function addTaskTrainOptions(cmd: Command): Command {
  return cmd
    .addOption(
      new Option('--task <kind>', 'lm: a language model (--corpus); classify or tag: labels (--data)')
        .choices(['lm', 'classify', 'tag'])
        .default('lm'),
    )
    .option(
      '--data <path>',
      'classify/tag data: a folder of LABEL.txt files, a .tsv, a .jsonl or (tag) a .conllu file',
    )
    .option('--valid <path>', 'classify/tag: validation data (default: split off --data)')
    .option('--test <path>', 'classify/tag: test data, scored at the end (default: split off --data)')
    .option(
      '--split <spec>',
      'classify/tag: TRAIN/VALID[/TEST] percentages split off --data, seeded by --seed (default 90/10)',
    )
    .option('--bidirectional', 'classify/tag: run every layer in both directions')
    .addOption(
      new Option('--pooling <how>', 'classify: read-out of the sequence')
        .choices(['last', 'mean', 'max'])
        .default('last'),
    )
    .addOption(
      new Option('--class-weights <w>', 'classify/tag: cross-entropy weights per class')
        .choices(['none', 'balanced'])
        .default('none'),
    )
    .addOption(
      new Option('--metric <m>', 'classify/tag: validation metric for --best and plateau schedules')
        .choices([...TASK_METRICS])
        .default('accuracy'),
    )
    .option(
      '--max-length <n>',
      'classify/tag: longest training sequence (classify cuts, tag splits into windows at spaces)',
      int('--max-length', 1),
      128,
    );
}

/** Options that only a language model reads: refused with --task classify|tag. */
const LM_ONLY: readonly [key: string, flag: string][] = [
  ['corpus', '--corpus'],
  ['seqLength', '--seq-length'],
  ['reduction', '--reduction'],
  ['sampleEvery', '--sample-every'],
  ['sampleInterval', '--sample-interval'],
  ['preset', '--preset'],
  ['tokens', '--tokens'],
  ['onNonfinite', '--on-nonfinite'],
];
/** Options that only a classify / tag run reads: refused with a language model. */
const TASK_ONLY: readonly [key: string, flag: string][] = [
  ['data', '--data'],
  ['valid', '--valid'],
  ['test', '--test'],
  ['split', '--split'],
  ['bidirectional', '--bidirectional'],
  ['pooling', '--pooling'],
  ['classWeights', '--class-weights'],
  ['metric', '--metric'],
  ['maxLength', '--max-length'],
];

/** A language-model run given classify / tag options: one line saying which. */
export function checkLanguageModelOptions(given: (key: string) => boolean): void {
  const clash = TASK_ONLY.filter(([k]) => given(k)).map(([, f]) => f);
  if (clash.length > 0)
    throw new UsageError(
      `${clash.join(', ')} ${clash.length > 1 ? 'apply' : 'applies'} to --task classify or tag only. HINT: add --task classify (or tag), or leave ${clash.length > 1 ? 'them' : 'it'} out`,
    );
}

function percent(x: number): string {
  return `${(100 * x).toFixed(2)}%`;
}

/** The line an 'eval' event of a task run prints (the progress line shows only the loss). */
function evalLine(ev: TaskEvalEvent, unit: string): string {
  return (
    `${ev.final ? 'final ' : ''}validation at iteration ${ev.iteration}: accuracy ${percent(ev.valAccuracy)} ` +
    `(${unit}), macro-F1 ${ev.valMacroF1.toFixed(4)}, loss ${ev.valLoss.toFixed(4)}`
  );
}

/** Headline unit of a task's scores. */
function unitOf(task: SequenceTask, e: SequenceEvaluation | undefined): string {
  return task === 'classify' ? 'per sequence' : e?.words ? 'per word' : 'per character';
}

/** `charrnn train --task classify|tag`. */
export async function trainTaskCommand(opts: TaskTrainCliOptions, cmd: Command): Promise<void> {
  const log = (msg: string) => process.stderr.write(msg + '\n');
  const warn = (msg: string) => log(cliMessage(msg));
  const given = (key: string) => cmd.getOptionValueSource(key) === 'cli';
  if (opts.threads !== undefined) setThreads(opts.threads);
  const clash = LM_ONLY.filter(([k]) => given(k)).map(([, f]) => f);
  if (clash.length > 0)
    throw new UsageError(
      `${clash.join(', ')} ${clash.length > 1 ? 'apply' : 'applies'} to a language model (--task lm) only. HINT: a classify/tag run reads --data, --max-length and --batch-size`,
    );
  let model: CharRNN | undefined;
  let labels: LabelVocabulary | undefined;
  let ref: TaskDataReference;
  let task: SequenceTask;
  let out = opts.out;
  let resume: Awaited<ReturnType<typeof readTaskCheckpoint>> | undefined;
  if (opts.resume !== undefined) {
    checkResumeOptions(given);
    // The data, its split, the model's shape, the loss's class weights and the validation metric (which the best
    // checkpoint and a plateau schedule compare) come from the checkpoint.
    const fixed = TASK_ONLY.filter(([k]) => given(k)).map(([, f]) => f);
    if (fixed.length > 0)
      throw new UsageError(
        `${fixed.join(', ')} cannot be used with --resume: the checkpoint fixes the data and its split, the model, the class weights and the validation metric. HINT: leave them out`,
      );
    resume = await readTaskCheckpoint(opts.resume);
    ref = resume.ref;
    labels = resume.labels;
    task = resume.task;
    if (!given('out')) out = opts.resume;
    const backend = resolveBackend(opts.backend, { warn, config: resume.ck.config });
    model = modelFromCheckpoint(resume.ck, backend.name);
  } else {
    if (opts.task === 'lm') throw new Error('unreachable: a language model is trained by train.ts');
    task = opts.task;
    if (opts.data === undefined)
      throw new UsageError(
        `--task ${task} needs --data PATH (${task === 'classify' ? 'a folder of LABEL.txt files, a .tsv or a .jsonl' : 'a .conllu, .tsv or .jsonl file'})`,
      );
    const abs = (p: string | undefined) => (p === undefined || isAbsolute(p) ? p : resolvePath(p));
    const split = parseSplit(opts.split ?? (opts.valid !== undefined ? '100/0' : '90/10'));
    ref = {
      data: abs(opts.data)!,
      ...(opts.valid !== undefined ? { valid: abs(opts.valid) } : {}),
      ...(opts.test !== undefined ? { test: abs(opts.test) } : {}),
      split: {
        valid: opts.valid !== undefined ? 0 : split.valid,
        test: opts.test !== undefined ? 0 : split.test,
      },
      seed: opts.seed,
      maxLength: opts.maxLength,
      classWeights: opts.classWeights,
      metric: opts.metric,
    };
  }
  const parts = await readTaskSplits({
    task,
    data: ref.data,
    valid: ref.valid,
    test: ref.test,
    split: ref.split,
    seed: ref.seed,
  });
  if (!model || !labels) {
    labels = LabelVocabulary.fromLabels(labelStream(parts.train, task));
    const vocab = Vocabulary.fromText(parts.train.map((e) => e.text).join(''));
    // Task defaults where the language model's would be wrong (Adam 2e-3, clip norm 5, no value clip, batch 64).
    const config = resolveModelConfig({
      cell: given('cell') ? opts.cell : 'lstm',
      vocabSize: vocab.size,
      hiddenSize: opts.hidden,
      layers: opts.layers,
      embeddingSize: given('embedding') ? opts.embedding : 64,
      dropout: opts.dropout,
      activation: opts.activation,
      task,
      numClasses: labels.size,
      bidirectional: opts.bidirectional ?? false,
      pooling: task === 'classify' ? opts.pooling : 'last',
    });
    const backend = resolveBackend(opts.backend, { warn, config });
    model = CharRNN.create({
      vocabulary: vocab,
      cell: config.cell,
      hiddenSize: config.hiddenSize,
      layers: config.layers,
      embeddingSize: config.embeddingSize,
      dropout: config.dropout,
      activation: config.activation,
      forgetBias: opts.forgetBias,
      task,
      numClasses: config.numClasses,
      bidirectional: config.bidirectional,
      pooling: config.pooling,
      seed: opts.seed,
      backend: backend.name,
    });
  }
  const vocab = model.vocabulary as Vocabulary;
  const classes = labels;
  const encode = (examples: TaskExample[], maxLength?: number) =>
    encodeSequences(examples, task, vocab, classes, maxLength === undefined ? {} : { maxLength });
  const train = encode(parts.train, ref.maxLength);
  const valid = parts.valid.length > 0 ? encode(parts.valid) : undefined;
  const test = parts.test.length > 0 ? encode(parts.test) : undefined;
  const c = model.config;
  const what =
    `${c.bidirectional ? 'a bidirectional ' : 'a '}${c.layers > 1 ? `${c.layers}-layer ` : ''}${c.cell.toUpperCase()} ` +
    `${task === 'classify' ? 'classifier' : 'tagger'} (hidden ${c.hiddenSize}, embedding ${c.embeddingSize}, ${labels.size} labels${task === 'classify' && c.pooling !== 'last' ? `, ${c.pooling} pooling` : ''})`;
  log(
    `charrnn ${VERSION}: ${resume ? `resuming ${opts.resume} at iteration ${resume.ck.training!.state.iteration}: ` : 'training '}` +
      `${what} (${model.parameterCount.toLocaleString('en-US')} parameters) on ${ref.data}: ` +
      `${parts.train.length.toLocaleString('en-US')} train / ${parts.valid.length.toLocaleString('en-US')} validation / ` +
      `${parts.test.length.toLocaleString('en-US')} test examples, vocabulary ${vocab.size}, with the ${model.backend} backend` +
      (model.backend === 'native' ? ` (${capabilities().threads} threads)` : ''),
  );
  const checkpoint: CheckpointOptions = {
    path: out,
    every: opts.checkpointEvery,
    interval: opts.checkpointInterval,
    keepLast: opts.keepLast,
    bestPath: opts.best,
    extra: { [TASK_DATA_KEY]: JSON.stringify(ref) },
  };
  const controller = new AbortController();
  let stoppedBy: NodeJS.Signals | undefined;
  const onSignal = (signal: NodeJS.Signals) => {
    if (controller.signal.aborted) process.exit(signalExitCode(signal));
    stoppedBy = signal;
    log('\nstopping after this batch, then saving a checkpoint (Ctrl-C again to quit without saving)…');
    controller.abort();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);
  const tty = opts.progress && process.stderr.isTTY === true;
  const renderer = new ProgressRenderer({ tty, write: log });
  let runLog: RunLogWriter | undefined;
  let lastElapsed = 0;
  const state = resume?.ck.training?.state;
  const settings = {
    task,
    batchSize: state?.batchSize ?? opts.batchSize,
    maxLength: ref.maxLength,
    optimizer: state?.optimizer.kind ?? (given('optimizer') ? opts.optimizer : 'adam'),
    lr: state?.optimizer.lr ?? opts.lr ?? 2e-3,
    weightDecay: state?.optimizer.weightDecay ?? opts.weightDecay ?? 0,
    lrSchedule: formatSchedule(state?.lrSchedule ?? resolveSchedule(opts.lrSchedule)),
    clipValue: state?.clipValue ?? (given('clipValue') ? opts.clipValue : 0),
    clipNorm: state?.clipNorm ?? (given('clipNorm') ? opts.clipNorm : 5),
    seed: ref.seed,
    metric: ref.metric,
    classWeights: ref.classWeights,
  };
  if (opts.log !== false) {
    await checkCheckpointFolders(checkpoint);
    runLog = await RunLogWriter.open(opts.log ?? defaultLogPath(out), {
      append: resume !== undefined,
      progressInterval: opts.logInterval === undefined ? 2 : 0,
      onError: (err) =>
        log(`charrnn: cannot write the run log (${err.message}); training goes on without it`),
    });
    runLog.start({
      iteration: state?.iteration ?? 0,
      ...(resume ? { resumedFrom: opts.resume } : {}),
      model: {
        config: model.config,
        parameters: model.parameterCount,
        backend: model.backend,
        ...(model.backend === 'native' ? { threads: capabilities().threads } : {}),
      },
      corpus: {
        ref: ref.data,
        tokens: parts.train.length + parts.valid.length + parts.test.length,
        trainTokens: train.count,
        unit: 'sequence',
      },
      settings: {
        ...settings,
        maxIters: opts.maxIters,
        maxEpochs: opts.maxEpochs,
        maxTime: opts.maxTime,
        maxTrainTime: opts.maxTrainTime,
      },
    });
  }
  try {
    const result = await trainTask(model, labels, train, valid, {
      ...(state
        ? { resume: state, lossHistory: resume?.ck.lossHistory ?? undefined }
        : {
            batchSize: given('batchSize') ? opts.batchSize : 64,
            maxLength: ref.maxLength,
            optimizer: {
              kind: given('optimizer') ? opts.optimizer : 'adam',
              lr: opts.lr,
              weightDecay: opts.weightDecay,
            },
            clipValue: given('clipValue') ? opts.clipValue : 0,
            clipNorm: given('clipNorm') ? opts.clipNorm : 5,
            lrSchedule: opts.lrSchedule,
            seed: ref.seed,
          }),
      classWeights: ref.classWeights === 'balanced' ? 'balanced' : undefined,
      metric: ref.metric,
      maxTime: opts.maxTime,
      maxTrainTime: opts.maxTrainTime,
      maxIters: opts.maxIters,
      maxEpochs: opts.maxEpochs,
      evalEvery: opts.evalEvery,
      evalInterval: opts.evalEvery === undefined && given('evalInterval') ? opts.evalInterval : undefined,
      logInterval: opts.logInterval ?? (tty ? 0.2 : 2),
      checkpoint,
      data: { ref: ref.data, validationFraction: ref.split.valid },
      signal: controller.signal,
      onEvent: (ev: TrainEvent) => {
        lastElapsed = ev.elapsed;
        renderer.event(ev);
        runLog?.event(ev);
        if (ev.type === 'eval') log(evalLine(ev as TaskEvalEvent, unitOf(task, undefined)));
      },
    });
    renderer.stop();
    const v = result.validation;
    runLog?.end({
      ...result,
      validation: v
        ? {
            loss: v.loss,
            perplexity: Math.exp(v.loss),
            bitsPerChar: v.loss / Math.LN2,
            count: valid?.count ?? 0,
          }
        : undefined,
      history: [],
    });
    log(
      `done: ${result.iterations} iterations, ${result.epochs} epochs in ${result.elapsed.toFixed(1)} s ` +
        `(${result.trainTime.toFixed(1)} s training; stopped by ${result.stoppedBy}); smooth train loss ${result.smoothLoss.toFixed(4)}`,
    );
    if (result.validation)
      log(
        `validation: ${summaryLine(result.validation.metrics, unitOf(task, result.validation).replace('per ', '') + 's')}`,
      );
    if (test) {
      const e = await evaluateSequences(test, labels, (b) => model.forwardSequences(b), 128);
      log(`test: ${summaryLine(e.metrics, unitOf(task, e).replace('per ', '') + 's')}`);
      if (e.words && e.chars) log(`test per character: ${summaryLine(e.chars, 'characters')}`);
    }
    log(`saved ${out}`);
    if (runLog) log(`run log: ${runLog.path} (charrnn report ${runLog.path} --out report.html)`);
    if (stoppedBy !== undefined) throw new ExitCode(signalExitCode(stoppedBy));
  } catch (err) {
    if (!(err instanceof ExitCode)) runLog?.error(err as Error, lastElapsed);
    throw err;
  } finally {
    runLog?.close();
    renderer.stop();
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
  }
}

/** The labels of every example, for the label vocabulary. */
function* labelStream(examples: readonly TaskExample[], task: SequenceTask): Generator<string> {
  for (const e of examples)
    if (task === 'classify') yield (e as { label: string }).label;
    else yield* (e as { labels: readonly string[] }).labels;
}

async function readTaskCheckpoint(path: string) {
  const ck = await readCheckpoint(path);
  const task = ck.config.task;
  if (task !== 'classify' && task !== 'tag')
    throw new UsageError(`internal: ${path} is not a classify/tag checkpoint`);
  if (ck.training === null)
    throw new UsageError(
      `${path} is a model file without training state, so it cannot be resumed exactly. HINT: resume from the --out file of charrnn train`,
    );
  const ref = taskDataOf(ck);
  if (ref === undefined)
    throw new UsageError(
      `${path} does not say where its data came from (no task_data metadata), so it cannot be resumed. HINT: resume from the --out file of charrnn train --task`,
    );
  return { ck, task, ref, labels: labelsOf(ck) };
}

// ---- predict ----

interface PredictCliOptions {
  backend: BackendChoice;
  json: boolean;
  top: number;
  batchSize: number;
}

async function readInput(file: string): Promise<string> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return decodeUtf8Strict(new Uint8Array(Buffer.concat(chunks)), 'stdin');
  }
  await refuseSpecialFile(file, 'Text file');
  await refuseTooLongText(file, 'Text file');
  try {
    return decodeUtf8Strict(await readFile(file), file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new UsageError(
        `Text file not found: ${file}. HINT: pass a UTF-8 text file (one text per line), or - to read stdin`,
      );
    if (code === 'EISDIR')
      throw new UsageError(
        `Text file ${file} is a directory. HINT: pass a UTF-8 text file (one text per line), or - to read stdin`,
      );
    throw err;
  }
}

/** "President/PROPN Bush/PROPN": runs of characters with one predicted label, spaces predicted SPACE left bare. */
export function formatTagged(text: string, labels: readonly string[]): string {
  const chars = [...text];
  let out = '';
  for (let i = 0; i < chars.length;) {
    let j = i + 1;
    while (j < chars.length && labels[j] === labels[i]) j++;
    const run = chars.slice(i, j).join('');
    out += labels[i] === SPACE_LABEL && run.trim() === '' ? run : `${run}/${labels[i]}`;
    i = j;
  }
  return out;
}

async function predictCommand(modelFile: string, file: string, opts: PredictCliOptions): Promise<void> {
  const { name } = resolveBackend(opts.backend, { warn: (m) => process.stderr.write(cliMessage(m) + '\n') });
  const { model, labels } = await loadTaskModel(modelFile, { backend: name });
  const task = model.config.task as SequenceTask;
  const text = await readInput(file);
  const lines = text.split('\n').map((l) => (l.endsWith('\r') ? l.slice(0, -1) : l));
  if (lines.at(-1) === '') lines.pop();
  const vocab = model.vocabulary as Vocabulary;
  const fallback = vocab.has(' ') ? ' ' : vocab.tokens[0];
  const k = Math.min(opts.top, labels.size);
  const C = labels.size;
  for (let s = 0; s < lines.length; s += opts.batchSize) {
    const group = lines.slice(s, s + opts.batchSize);
    const present = group.map((l, i) => [l, i] as const).filter(([l]) => l.length > 0);
    const tokens = present.map(([l]) => vocab.encode(l, { unknown: { replaceWith: fallback } }));
    const data: EncodedSequences = {
      task,
      count: tokens.length,
      tokens,
      labels: tokens.map((t) => new Int32Array(task === 'classify' ? 1 : t.length)),
      wordStarts: tokens.map(() => new Int32Array(0)),
    };
    const logits =
      tokens.length > 0
        ? model.forwardSequences(
            makeBatch(
              data,
              Array.from(tokens, (_, i) => i),
            ),
          )
        : new Float32Array(0);
    const T = tokens.reduce((m, t) => Math.max(m, t.length), 0);
    const results = new Map<number, string>();
    present.forEach(([line, i], b) => {
      if (task === 'classify') {
        const top = topLabels(logits, b * C, labels, k);
        results.set(
          i,
          opts.json
            ? JSON.stringify({ text: line, label: top[0].label, probability: top[0].probability, top })
            : `${top.map((t) => `${t.label}\t${t.probability.toFixed(4)}`).join('\t')}\t${line}`,
        );
      } else {
        const n = codePointLength(line);
        const per = Array.from({ length: n }, (_, t) => topLabels(logits, (b * T + t) * C, labels, k));
        results.set(
          i,
          opts.json
            ? JSON.stringify({
                text: line,
                labels: per.map((p) => p[0].label),
                probabilities: per.map((p) => p[0].probability),
                ...(k > 1 ? { top: per } : {}),
              })
            : formatTagged(
                line,
                per.map((p) => p[0].label),
              ),
        );
      }
    });
    let chunk = '';
    group.forEach((line, i) => {
      chunk += (results.get(i) ?? (opts.json ? JSON.stringify({ text: line, empty: true }) : '')) + '\n';
    });
    await writeOut(chunk);
  }
}

// ---- eval ----

interface EvalCliOptions {
  backend: BackendChoice;
  json: boolean;
  batchSize: number;
}

async function evalCommand(modelFile: string, dataPath: string, opts: EvalCliOptions): Promise<void> {
  const { name } = resolveBackend(opts.backend, { warn: (m) => process.stderr.write(cliMessage(m) + '\n') });
  const { model, labels } = await loadTaskModel(modelFile, { backend: name });
  const task = model.config.task as SequenceTask;
  const { examples } = await readTaskData(dataPath, task);
  const data = encodeSequences(examples, task, model.vocabulary as Vocabulary, labels);
  const e = await evaluateSequences(data, labels, (b) => model.forwardSequences(b), opts.batchSize);
  if (opts.json) {
    const out: Record<string, unknown> = { task, examples: examples.length, loss: e.loss };
    if (task === 'classify') out.metrics = e.metrics;
    else {
      out.chars = e.chars;
      if (e.words) out.words = e.words;
    }
    await writeOut(JSON.stringify(out, null, 2) + '\n');
    return;
  }
  const section = (title: string, m: ClassificationMetrics, items: string) =>
    `${title}\n${metricsText(m, items)}\n`;
  let text = `${examples.length} examples, mean cross-entropy ${e.loss.toFixed(4)} nats\n\n`;
  if (task === 'classify') text += section('per sequence:', e.metrics, 'sequences');
  else {
    if (e.words) text += section('per word (first character):', e.words, 'words') + '\n';
    text += section('per character:', e.chars!, 'characters');
  }
  await writeOut(text);
}

function topArg(value: string): number {
  const n = Number(value);
  if (!/^\d+$/.test(value.trim()) || n < 1)
    throw new InvalidArgumentError(`expected an integer ≥ 1 for --top, got ${JSON.stringify(value)}`);
  return n;
}

/** Adds `charrnn predict` and `charrnn eval`. */
export function registerTaskCommands(program: Command): void {
  program
    .command('predict')
    .description('label each line of a text with a classify / tag model (with probabilities)')
    .argument('<model>', 'a model trained with charrnn train --task classify|tag')
    .argument('[file]', 'a UTF-8 text file, one text per line, or - for stdin', '-')
    .addOption(backendOption())
    .option('--json', 'one JSON object per line (labels, probabilities, top K)')
    .option('--top <k>', 'show the k most probable labels', topArg, 1)
    .option('--batch-size <n>', 'lines per forward pass', int('--batch-size', 1), 64)
    .action((model: string, file: string, opts: PredictCliOptions) => predictCommand(model, file, opts));
  program
    .command('eval')
    .description(
      'score a classify / tag model on labelled data: accuracy, macro-F1, per-class P/R, confusion matrix',
    )
    .argument('<model>', 'a model trained with charrnn train --task classify|tag')
    .argument(
      '<data>',
      'labelled data: a folder of LABEL.txt files, a .tsv, a .jsonl or (tag) a .conllu file',
    )
    .addOption(backendOption())
    .option('--json', 'the metrics as JSON (confusion matrix included)')
    .option('--batch-size <n>', 'sequences per forward pass', int('--batch-size', 1), 128)
    .action((model: string, data: string, opts: EvalCliOptions) => evalCommand(model, data, opts));
}

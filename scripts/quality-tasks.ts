// The quality runs of issue 14's acceptance, time-bounded and seeded (figures from a script, not a timed test):
//   names: a bidirectional LSTM classifier on names/ (seeded 80/10/10 split), at most --minutes of training
//          (default 5); the test accuracy, macro-F1 and confusion matrix of the best-by-validation model.
//   ud:    a bidirectional LSTM tagger trained on UD English EWT dev (a seeded 95/5 split of it for validation),
//          at most --minutes (default 10), scored on test per word (UPOS of the word's first character) and per
//          character; then (--compare, default on) a unidirectional model of the same size on the same budget.
//   npm run quality:names -- [--minutes 5] [--hidden 128] [--embedding 64] [--layers 1] [--backend auto] [--threads N]
//   npm run quality:ud -- [--minutes 10] [--hidden 128] [--layers 2] [--no-compare]
// Exits 0 when the acceptance figure was reached (names ≥ 80% test accuracy; ud ≥ 85% per-word accuracy and the
// unidirectional model below the bidirectional one).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { capabilities, setThreads, type BackendChoice } from '../src/backends/index.js';
import { CharRNN } from '../src/charrnn.js';
import { loadCheckpoint } from '../src/io/checkpoint.js';
import { readTaskSplits } from '../src/io/task-data.js';
import { encodeSequences } from '../src/tasks/batch.js';
import type { SequenceTask, TaskExample } from '../src/tasks/data.js';
import { evaluateSequences, type SequenceEvaluation } from '../src/tasks/evaluate.js';
import { LabelVocabulary } from '../src/tasks/labels.js';
import { metricsText, summaryLine } from '../src/tasks/metrics.js';
import { Vocabulary } from '../src/text/vocabulary.js';
import { trainTask, type TaskEvalEvent } from '../src/train/task-trainer.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    minutes: { type: 'string' },
    hidden: { type: 'string' },
    embedding: { type: 'string', default: '64' },
    layers: { type: 'string' },
    dropout: { type: 'string', default: '0' },
    'batch-size': { type: 'string', default: '64' },
    lr: { type: 'string', default: '2e-3' },
    backend: { type: 'string', default: 'auto' },
    threads: { type: 'string' },
    seed: { type: 'string', default: '1' },
    compare: { type: 'boolean', default: true },
    'no-compare': { type: 'boolean', default: false },
    'eval-interval': { type: 'string', default: '30' },
  },
});
const which = positionals[0];
if (which !== 'names' && which !== 'ud') throw new RangeError('Expected names or ud as the first argument');
const dir = process.env.CHARRNN_DATA_DIR ?? '../shared/data';
const task: SequenceTask = which === 'names' ? 'classify' : 'tag';
const minutes = Number(values.minutes ?? (which === 'names' ? 5 : 10));
const hidden = Number(values.hidden ?? 128);
const layers = Number(values.layers ?? (which === 'names' ? 1 : 2));
const seed = Number(values.seed);
if (values.threads) setThreads(Number(values.threads));

const parts =
  which === 'names'
    ? await readTaskSplits({ task, data: join(dir, 'names'), split: { valid: 0.1, test: 0.1 }, seed })
    : await readTaskSplits({
        task,
        data: join(dir, 'ud-english-ewt', 'en_ewt-ud-dev.conllu'),
        test: join(dir, 'ud-english-ewt', 'en_ewt-ud-test.conllu'),
        split: { valid: 0.05, test: 0 },
        seed,
      });
const labels = LabelVocabulary.fromLabels(
  parts.train.flatMap((e: TaskExample) => ('label' in e ? [e.label] : [...e.labels])),
);
const vocab = Vocabulary.fromText(parts.train.map((e) => e.text).join(''));
const train = encodeSequences(parts.train, task, vocab, labels, { maxLength: 128 });
const valid = encodeSequences(parts.valid, task, vocab, labels);
const test = encodeSequences(parts.test, task, vocab, labels);
console.log(
  `${which}: ${parts.train.length} train / ${parts.valid.length} validation / ${parts.test.length} test examples, ` +
    `vocabulary ${vocab.size}, ${labels.size} labels; seed ${seed}; ${minutes} min of training per model`,
);

async function runOne(bidirectional: boolean): Promise<SequenceEvaluation> {
  const model = CharRNN.create({
    vocabulary: vocab,
    cell: 'lstm',
    hiddenSize: hidden,
    layers,
    embeddingSize: Number(values.embedding),
    dropout: Number(values.dropout),
    task,
    numClasses: labels.size,
    bidirectional,
    seed,
    backend: values.backend as BackendChoice,
  });
  const tmp = mkdtempSync(join(tmpdir(), 'charrnn-quality-'));
  const started = Date.now();
  console.log(
    `\n${bidirectional ? 'bidirectional' : 'unidirectional'} ${layers}-layer LSTM, hidden ${hidden}, embedding ${values.embedding}: ` +
      `${model.parameterCount.toLocaleString('en-US')} parameters, ${model.backend} backend` +
      (model.backend === 'native' ? ` (${capabilities().threads} threads)` : ''),
  );
  try {
    const r = await trainTask(model, labels, train, valid, {
      batchSize: Number(values['batch-size']),
      optimizer: { kind: 'adam', lr: Number(values.lr) },
      clipNorm: 5,
      maxTime: minutes * 60,
      evalInterval: Number(values['eval-interval']),
      seed,
      checkpoint: {
        path: join(tmp, 'last.safetensors'),
        bestPath: join(tmp, 'best.safetensors'),
        atEnd: false,
      },
      onEvent: (ev) => {
        if (ev.type === 'eval')
          console.log(
            `  ${(ev.elapsed / 60).toFixed(1).padStart(4)} min  iteration ${String(ev.iteration).padStart(6)}  ` +
              `validation accuracy ${(100 * (ev as TaskEvalEvent).valAccuracy).toFixed(2)}%  loss ${ev.valLoss.toFixed(4)}`,
          );
      },
    });
    console.log(
      `  trained ${r.iterations} iterations (${r.epochs} epochs) in ${r.trainTime.toFixed(0)} s of training ` +
        `(${((Date.now() - started) / 1000).toFixed(0)} s wall, stopped by ${r.stoppedBy})`,
    );
    // The model the run's validation chose (the best checkpoint; the last one when no periodic validation ran).
    const bestPath = join(tmp, 'best.safetensors');
    const best = existsSync(bestPath)
      ? (await loadCheckpoint(bestPath, { backend: model.backend })).model
      : model;
    if (best === model) console.log('  (no periodic validation ran: scoring the last model)');
    const e = await evaluateSequences(test, labels, (b) => best.forwardSequences(b), 128);
    if (best !== model) best.dispose();
    return e;
  } finally {
    model.dispose();
    rmSync(tmp, { recursive: true, force: true });
  }
}

const bi = await runOne(true);
let ok: boolean;
if (which === 'names') {
  console.log(`\ntest (best-by-validation model): ${summaryLine(bi.metrics, 'names')}\n`);
  console.log(metricsText(bi.metrics, 'names'));
  ok = bi.metrics.accuracy >= 0.8;
  console.log(`\nacceptance (≥ 80% test accuracy): ${ok ? 'met' : 'NOT met'}`);
} else {
  console.log(`\ntest, bidirectional: per word ${summaryLine(bi.words!, 'words')}`);
  console.log(`                     per character ${summaryLine(bi.chars!, 'characters')}`);
  ok = bi.words!.accuracy >= 0.85;
  if (values.compare && !values['no-compare']) {
    const uni = await runOne(false);
    console.log(`\ntest, unidirectional: per word ${summaryLine(uni.words!, 'words')}`);
    console.log(`                      per character ${summaryLine(uni.chars!, 'characters')}`);
    console.log(
      `bidirectional − unidirectional: ${(100 * (bi.words!.accuracy - uni.words!.accuracy)).toFixed(2)} points per word`,
    );
    ok &&= uni.words!.accuracy < bi.words!.accuracy;
  }
  console.log(`\nper-word confusion matrix (bidirectional):\n${metricsText(bi.words!, 'words')}`);
  console.log(`\nacceptance (≥ 85% per word; unidirectional worse): ${ok ? 'met' : 'NOT met'}`);
}
process.exitCode = ok ? 0 : 1;

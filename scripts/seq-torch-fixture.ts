// The charrnn side of scripts/interop-torch-seq.py: for each case (a bidirectional classifier per read-out, a tagger,
// a unidirectional classifier), create the model, train it a few steps on random sequences (so no weight is at its
// initial value), save it as a model file, and write a padded batch with charrnn's logits on each backend (JSON).
// Usage: node --import tsx scripts/seq-torch-fixture.ts OUTDIR
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CharRNN } from '../src/charrnn.js';
import { Vocabulary } from '../src/text/vocabulary.js';
import { saveModel } from '../src/io/model-file.js';
import { resolveOptimizer } from '../src/run/optim.js';
import { Rng } from '../src/util/rng.js';
import type { SequenceBatch } from '../src/backends/backend.js';
import type { CreateModelOptions } from '../src/charrnn.js';

const out = process.argv[2];
if (!out) throw new Error('usage: seq-torch-fixture.ts OUTDIR');
mkdirSync(out, { recursive: true });
const vocabulary = Vocabulary.fromText('abcdefghijklmnopqrstuvwxyz ');

const cases: Record<string, Omit<CreateModelOptions, 'vocabulary'>> = {
  'lstm-bi-last': {
    cell: 'lstm',
    task: 'classify',
    numClasses: 5,
    bidirectional: true,
    layers: 2,
    hiddenSize: 16,
    embeddingSize: 8,
  },
  'lstm-bi-mean': {
    cell: 'lstm',
    task: 'classify',
    numClasses: 5,
    bidirectional: true,
    hiddenSize: 12,
    pooling: 'mean',
  },
  'gru-bi-max': {
    cell: 'gru',
    task: 'classify',
    numClasses: 4,
    bidirectional: true,
    hiddenSize: 12,
    embeddingSize: 6,
    pooling: 'max',
  },
  'rnn-uni-last': { cell: 'rnn', task: 'classify', numClasses: 3, hiddenSize: 10, layers: 2 },
  'lstm-bi-tag': {
    cell: 'lstm',
    task: 'tag',
    numClasses: 6,
    bidirectional: true,
    layers: 2,
    hiddenSize: 12,
    embeddingSize: 8,
  },
};

function randomBatch(rng: Rng, B: number, T: number, tag: boolean, C: number): SequenceBatch {
  const ids = Int32Array.from({ length: B * T }, () => rng.nextU32() % vocabulary.size);
  const lengths = Int32Array.from({ length: B }, (_, b) => (b === 0 ? T : 1 + (rng.nextU32() % T)));
  const labels = Int32Array.from({ length: tag ? B * T : B }, () => rng.nextU32() % C);
  return { B, T, ids, lengths, labels };
}

for (const [name, opts] of Object.entries(cases)) {
  const model = CharRNN.create({ vocabulary, seed: 7, backend: 'js', ...opts });
  const rng = new Rng(11);
  const tag = opts.task === 'tag';
  const C = opts.numClasses!;
  for (let step = 1; step <= 5; step++) {
    const hyper = {
      optimizer: resolveOptimizer({ kind: 'adam', lr: 0.02 }),
      clipValue: 0,
      clipNorm: 5,
      step,
      reduction: 'mean',
    } as const;
    model.trainSequenceBatch(randomBatch(rng, 8, 12, tag, C), hyper);
  }
  const path = join(out, `${name}.safetensors`);
  await saveModel(model, path);
  const batch = randomBatch(rng, 7, 15, tag, C);
  const logits: Record<string, number[]> = { js: Array.from(model.forwardSequences(batch)) };
  try {
    const native = CharRNN.fromParameters(model.config, vocabulary, model.parameters(), 'native');
    logits.native = Array.from(native.forwardSequences(batch));
  } catch (err) {
    console.error(`${name}: native backend unavailable (${(err as Error).message})`);
  }
  writeFileSync(
    join(out, `${name}.json`),
    JSON.stringify({
      model: path,
      config: model.config,
      B: batch.B,
      T: batch.T,
      ids: Array.from(batch.ids),
      lengths: Array.from(batch.lengths),
      logits,
    }),
  );
  console.log(`${name}: ${path}`);
}

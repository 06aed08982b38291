// `npm run bench:event-loop [-- --iters N --eval-every K]`: how long train() holds the host's event loop. W3 (2-layer
// LSTM, hidden 256, embedding 64, B 32, T 64, Adam 2e-3, global norm 5) on tinyshakespeare (last 10% validated, from
// $CHARRNN_DATA_DIR; seeded random ids when absent), validation every K chunks, on the native backend (the kernel
// path dispatch picks, then AVX2 where that differs). Side by side in one run: the same work as a synchronous loop
// (trainChunk + evaluate, yielding between calls: what train() did before), and train(). monitorEventLoopDelay
// (5 ms resolution) gives p50 / p99 / max of the delay in ms.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { loadNative } from '../src/backends/native.js';
import { CharRNN } from '../src/charrnn.js';
import { resolveOptimizer } from '../src/run/optim.js';
import { Batcher } from '../src/text/batcher.js';
import { Corpus } from '../src/text/corpus.js';
import { Vocabulary } from '../src/text/vocabulary.js';
import { train } from '../src/train/trainer.js';
import { Rng } from '../src/util/rng.js';

const { values } = parseArgs({
  options: { iters: { type: 'string', default: '40' }, 'eval-every': { type: 'string', default: '10' } },
});
const iters = Number(values.iters);
const evalEvery = Number(values['eval-every']);

const { binding, error } = loadNative();
if (!binding) throw error ?? new Error('the native addon is not built: npm run build:native');

let trainIds: Int32Array;
let valIds: Int32Array;
let vocabulary: Vocabulary;
let data: string;
try {
  const text = readFileSync(
    join(process.env.CHARRNN_DATA_DIR ?? '../shared/data', 'tinyshakespeare.txt'),
    'utf8',
  );
  const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
  ({ vocabulary } = corpus);
  trainIds = corpus.train as Int32Array;
  valIds = corpus.validation as Int32Array;
  data = `tinyshakespeare (${trainIds.length.toLocaleString('en-US')} train / ${valIds.length.toLocaleString('en-US')} validation chars)`;
} catch (err) {
  console.warn(
    `bench: Shakespeare unavailable (${(err as Error).message}); using random ids over 65 symbols`,
  );
  vocabulary = Vocabulary.fromText(
    Array.from({ length: 65 }, (_, i) => String.fromCharCode(32 + i)).join(''),
  );
  const rng = new Rng(1);
  trainIds = Int32Array.from({ length: 1_000_000 }, () => rng.nextU32() % 65);
  valIds = Int32Array.from({ length: 111_000 }, () => rng.nextU32() % 65);
  data = 'random ids over 65 symbols';
}

const B = 32;
const T = 64;
const model = () =>
  CharRNN.create({
    vocabulary,
    cell: 'lstm',
    hiddenSize: 256,
    layers: 2,
    embeddingSize: 64,
    seed: 1,
    backend: 'native',
  });

async function measure(work: () => Promise<void>): Promise<string> {
  const h = monitorEventLoopDelay({ resolution: 5 });
  const t0 = performance.now();
  h.enable();
  await work();
  h.disable();
  const ms = (ns: number) => (ns / 1e6).toFixed(1).padStart(7);
  const wall = ((performance.now() - t0) / 1000).toFixed(1);
  return `p50 ${ms(h.percentile(50))}  p99 ${ms(h.percentile(99))}  max ${ms(h.max)}   (${wall} s)`;
}

/** The same chunks and validations, each one synchronous call, yielding between calls. */
async function synchronousLoop(): Promise<void> {
  const m = model();
  const batcher = new Batcher(trainIds, B, T);
  const optimizer = resolveOptimizer({ kind: 'adam', lr: 2e-3 });
  for (let i = 1; i <= iters; i++) {
    if (batcher.next()) m.resetState();
    m.trainChunk(batcher.inputs, batcher.targets, B, T, {
      optimizer,
      clipValue: 0,
      clipNorm: 5,
      reduction: 'sum',
      step: i,
    });
    if (i % evalEvery === 0) m.evaluate(valIds);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

async function trainRun(): Promise<void> {
  const m = model();
  await train(m, trainIds, valIds, {
    seqLength: T,
    batchSize: B,
    optimizer: { kind: 'adam', lr: 2e-3 },
    clipValue: 0,
    clipNorm: 5,
    maxIters: iters,
    evalEvery,
  });
}

console.log(`event-loop delay (ms) of W3 on ${data}: ${iters} chunks, validation every ${evalEvery}`);
const { isa: picked, supported } = binding.capabilities();
for (const isa of [picked, 'avx2'].filter((x, i, all) => all.indexOf(x) === i && supported.includes(x))) {
  binding.setIsa(isa);
  console.log(`[${isa}, ${binding.capabilities().threads} threads]`);
  console.log(`  synchronous calls (before)  ${await measure(synchronousLoop)}`);
  console.log(`  train()                     ${await measure(trainRun)}`);
}

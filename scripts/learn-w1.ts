// Workload W1 (min-char-rnn) learning run: vanilla RNN, hidden 100, seq 25, Adagrad 0.1, clip 5, on the
// Shakespeare training split; prints the validation-loss curve and a sample, and exits 0 when the target
// validation loss is reached within the time budget. Usage:
//   npm run learn:w1 -- [--backend js|native|auto] [--minutes 10] [--target 2.10] [--eval-every 10000]
import { parseArgs } from 'node:util';
import { resolveCorpus } from '../src/io/resolve-corpus.js';
import { Corpus } from '../src/text/corpus.js';
import { CharRNN } from '../src/charrnn.js';
import { train } from '../src/train/trainer.js';
import type { BackendChoice } from '../src/backends/index.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'js' },
    minutes: { type: 'string', default: '10' },
    target: { type: 'string', default: '2.10' },
    'eval-every': { type: 'string', default: '10000' },
    seed: { type: 'string', default: '1' },
  },
});
const minutes = Number(values.minutes);
const target = Number(values.target);
const { path, text } = await resolveCorpus('shakespeare', { log: (m) => console.error(m) });
const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
const model = CharRNN.create({
  vocabulary: corpus.vocabulary,
  hiddenSize: 100,
  seed: Number(values.seed),
  backend: values.backend as BackendChoice,
});
console.log(
  `W1 min-char-rnn on ${path}: backend ${model.backend}, budget ${minutes} min, target ≤ ${target} nats/char`,
);
const controller = new AbortController();
let reachedAt: { elapsed: number; iteration: number; loss: number } | undefined;
const result = await train(model, corpus.train, corpus.validation, {
  seqLength: 25,
  batchSize: 1,
  optimizer: { kind: 'adagrad', lr: 0.1 },
  clipValue: 5,
  reduction: 'sum',
  maxTime: minutes * 60,
  evalEvery: Number(values['eval-every']),
  logEvery: 1_000_000_000,
  signal: controller.signal,
  onEvent: (ev) => {
    if (ev.type !== 'eval') return;
    console.log(
      `  ${ev.elapsed.toFixed(0).padStart(4)} s  iter ${String(ev.iteration).padStart(7)}  val loss ${ev.valLoss.toFixed(4)} nats/char`,
    );
    if (ev.valLoss <= target && !reachedAt) {
      reachedAt = { elapsed: ev.elapsed, iteration: ev.iteration, loss: ev.valLoss };
      controller.abort();
    }
  },
});
const charsPerSec = (result.iterations * 25) / result.elapsed;
console.log(
  `trained ${result.iterations} iterations (${Math.round(charsPerSec).toLocaleString('en-US')} chars/s including validation passes)`,
);
console.log('--- sample (prime "\\n", temperature 0.8, seed 1) ---');
console.log(model.sample({ length: 600, temperature: 0.8, seed: 1 }));
console.log('---');
if (reachedAt) {
  console.log(
    `reached validation loss ${reachedAt.loss.toFixed(4)} ≤ ${target} after ${reachedAt.elapsed.toFixed(0)} s (iteration ${reachedAt.iteration})`,
  );
} else {
  const best = Math.min(...result.history.map((e) => e.valLoss));
  console.log(`did NOT reach ${target} within ${minutes} min (best validation loss ${best.toFixed(4)})`);
  process.exitCode = 1;
}

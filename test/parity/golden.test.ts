// Golden hashes: the same seed gives the same parameters, losses, evaluation and samples after N steps, bit for
// bit, on every backend flavour — before and after any restructuring. The table below was recorded from the code
// as it stood before the redesign (issue 12); a change that moves any bit of any result on any kernel path fails
// here. Each case covers a different route through both backends: the min-char-rnn fast path (vanilla, B = 1,
// small H), a batched vanilla model, a stacked ReLU RNN with an embedding, a 2-layer LSTM with embedding and
// dropout, and a one-hot GRU, over all four optimizers and both clipping modes.
//
// To re-record (only when a change is meant to move results, and say so in the commit):
//   GOLDEN_PRINT=1 npx vitest run test/parity/golden.test.ts   and copy the printed table.
import { createHash } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { CharRNN, type CreateModelOptions } from '../../src/charrnn.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { resolveOptimizer, type OptimizerOptions } from '../../src/run/optim.js';
import { Rng } from '../../src/util/rng.js';
import { FLAVOURS, flavourRunner } from '../helpers/parity.js';

const vocabulary = Vocabulary.fromText('abcdefghijklmnopqrstuvwxyz .,;:!?\nABCDEFGHIJKLMNOP\'"-');
const V = vocabulary.size;

interface Case {
  name: string;
  model: Omit<CreateModelOptions, 'vocabulary' | 'backend' | 'seed'>;
  batch: number;
  steps: number;
  optimizer: OptimizerOptions;
  clipValue: number;
  clipNorm: number;
  reduction: 'sum' | 'mean';
}

const CASES: Case[] = [
  {
    name: 'vanilla W1-like H=100 B=1 T=25 adagrad clip-value',
    model: { hiddenSize: 100 },
    batch: 1,
    steps: 25,
    optimizer: { kind: 'adagrad', lr: 0.1 },
    clipValue: 5,
    clipNorm: 0,
    reduction: 'sum',
  },
  {
    name: 'vanilla H=72 B=6 T=16 rmsprop clip-norm',
    model: { hiddenSize: 72 },
    batch: 6,
    steps: 16,
    optimizer: { kind: 'rmsprop', lr: 2e-3 },
    clipValue: 0,
    clipNorm: 5,
    reduction: 'mean',
  },
  {
    name: '2-layer relu RNN H=40 E=12 adam',
    model: { hiddenSize: 40, layers: 2, embeddingSize: 12, activation: 'relu' },
    batch: 4,
    steps: 12,
    optimizer: { kind: 'adam', lr: 3e-3, weightDecay: 1e-3 },
    clipValue: 0,
    clipNorm: 1,
    reduction: 'mean',
  },
  {
    name: '2-layer LSTM H=48 E=16 dropout adam',
    model: { cell: 'lstm', hiddenSize: 48, layers: 2, embeddingSize: 16, dropout: 0.1 },
    batch: 5,
    steps: 14,
    optimizer: { kind: 'adam', lr: 2e-3 },
    clipValue: 0,
    clipNorm: 5,
    reduction: 'mean',
  },
  {
    name: 'GRU H=36 one-hot sgd momentum',
    model: { cell: 'gru', hiddenSize: 36 },
    batch: 3,
    steps: 10,
    optimizer: { kind: 'sgd', lr: 0.05, momentum: 0.9, weightDecay: 1e-4 },
    clipValue: 1,
    clipNorm: 0,
    reduction: 'sum',
  },
];

const CHUNKS = 6;

/** sha256 over every parameter, every chunk's loss and gradient norm, an evaluation and a sample. */
function goldenHash(c: Case, backend: 'js' | 'native'): string {
  const model = CharRNN.create({ vocabulary, seed: 7, backend, ...c.model });
  const rng = new Rng(3);
  const n = c.batch * c.steps;
  const optimizer = resolveOptimizer(c.optimizer);
  const hash = createHash('sha256');
  const numbers: number[] = [];
  for (let step = 1; step <= CHUNKS; step++) {
    const inputs = Int32Array.from({ length: n }, () => rng.nextU32() % V);
    const targets = Int32Array.from({ length: n }, () => rng.nextU32() % V);
    const r = model.trainChunk(inputs, targets, c.batch, c.steps, {
      optimizer,
      clipValue: c.clipValue,
      clipNorm: c.clipNorm,
      reduction: c.reduction,
      step,
    });
    numbers.push(r.loss, r.gradNorm);
  }
  for (const [name, t] of model.parameters()) {
    hash.update(name);
    hash.update(new Uint8Array(t.buffer, t.byteOffset, t.byteLength));
  }
  numbers.push(
    model.evaluate('the quick brown fox jumps over the lazy dog. "ABC" - it said!\n'.repeat(3)).loss,
  );
  hash.update(new Uint8Array(Float64Array.from(numbers).buffer));
  hash.update(model.sample({ prime: 'the ', length: 120, temperature: 0.9, seed: 11 }));
  model.dispose();
  return hash.digest('hex').slice(0, 24);
}

// flavour → case name → hash prefix, recorded before the redesign.
const GOLDEN: Record<string, Record<string, string>> = {
  js: {
    'vanilla W1-like H=100 B=1 T=25 adagrad clip-value': '4d15662a8cbd35e2ddc17f1d',
    'vanilla H=72 B=6 T=16 rmsprop clip-norm': 'a18bbb8c0cbd80d25a836bfc',
    '2-layer relu RNN H=40 E=12 adam': '6ab4917da6fd6a37ace20347',
    '2-layer LSTM H=48 E=16 dropout adam': '264b3d16fa8252729622b73b',
    'GRU H=36 one-hot sgd momentum': 'a92d31faff4c5f26f892a2d4',
  },
  'native-scalar': {
    'vanilla W1-like H=100 B=1 T=25 adagrad clip-value': '9a9c9c50b07f475e26e8a929',
    'vanilla H=72 B=6 T=16 rmsprop clip-norm': '47a4fe33dbf7c8f0e1cf3a33',
    '2-layer relu RNN H=40 E=12 adam': '20ac5900b13bd4e899c2de36',
    '2-layer LSTM H=48 E=16 dropout adam': '945d2c24317e154e13c59008',
    'GRU H=36 one-hot sgd momentum': '7aea9498befc4af9e6a3e618',
  },
  'native-avx2': {
    'vanilla W1-like H=100 B=1 T=25 adagrad clip-value': 'a6c59e718f5e6bc1473998a6',
    'vanilla H=72 B=6 T=16 rmsprop clip-norm': '74ef6173f75469842ea0fcd3',
    '2-layer relu RNN H=40 E=12 adam': '6ce25fcc9d6565bd6edba214',
    '2-layer LSTM H=48 E=16 dropout adam': '7e8acb8d4d967ac5d8bc51a1',
    'GRU H=36 one-hot sgd momentum': '20dbb056cf65a3ff5d4a556e',
  },
  'native-avx512': {
    'vanilla W1-like H=100 B=1 T=25 adagrad clip-value': 'a6c59e718f5e6bc1473998a6',
    'vanilla H=72 B=6 T=16 rmsprop clip-norm': '74ef6173f75469842ea0fcd3',
    '2-layer relu RNN H=40 E=12 adam': '6ce25fcc9d6565bd6edba214',
    '2-layer LSTM H=48 E=16 dropout adam': '7e8acb8d4d967ac5d8bc51a1',
    'GRU H=36 one-hot sgd momentum': '20dbb056cf65a3ff5d4a556e',
  },
};

const printed: Record<string, Record<string, string>> = {};
afterAll(() => {
  if (process.env.GOLDEN_PRINT) console.log(JSON.stringify(printed, null, 2));
});

describe.each(FLAVOURS)('golden results on $name', (flavour) => {
  const runner = flavourRunner(flavour);
  it.runIf(runner.run).each(CASES)('$name', (c) => {
    runner.backend();
    try {
      const got = goldenHash(c, flavour.isa ? 'native' : 'js');
      (printed[flavour.name] ??= {})[c.name] = got;
      if (!process.env.GOLDEN_PRINT) expect(got).toBe(GOLDEN[flavour.name][c.name]);
    } finally {
      runner.restore();
    }
  });
});

// Thread-count parity: the native backend's results do not depend on CHARRNN_THREADS / setThreads. The pool splits
// gemm and gemv outputs on the kernels' blocking boundaries (native/kernels/parallel.cc) and the vanilla step by
// column panels, so the expected difference is zero: the same model trained, evaluated and sampled with 1, 2 and
// 3 threads must agree bit for bit, on every kernel path. Shapes are chosen above the pool's size thresholds
// (so the split really happens) and with widths that are not multiples of the blocking (so edges are split too).
import { afterAll, describe, expect, it } from 'vitest';
import { capabilities, setThreads } from '../../src/backends/index.js';
import { loadNative } from '../../src/backends/native.js';
import { CharRNN, type CreateModelOptions } from '../../src/charrnn.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { resolveOptimizer } from '../../src/run/optim.js';
import { Rng } from '../../src/util/rng.js';

const binding = loadNative().binding;
const vocabulary = Vocabulary.fromText('abcdefghijklmnopqrstuvwxyz .,;:!?\nABCDEFGHIJ');
const V = vocabulary.size;

type ModelShape = Omit<CreateModelOptions, 'vocabulary' | 'backend' | 'seed'>;
const MODELS: { name: string; model: ModelShape; batch: number; steps: number }[] = [
  // Per-step product 8·260·260 ≈ 541k multiply-adds and whole-chunk gemms well above 2^18; 260 = 16·16 + 4.
  { name: 'vanilla H=260 B=8', model: { hiddenSize: 260 }, batch: 8, steps: 12 },
  {
    name: '2-layer LSTM H=132 E=20 dropout',
    model: { cell: 'lstm', hiddenSize: 132, layers: 2, embeddingSize: 20, dropout: 0.2 },
    batch: 8,
    steps: 12,
  },
  { name: 'GRU H=200 one-hot', model: { cell: 'gru', hiddenSize: 200 }, batch: 6, steps: 10 },
];

const initialThreads = binding ? capabilities().threads : 1;
const initialIsa = binding ? capabilities().isa : 'js';
afterAll(() => {
  if (!binding) return;
  setThreads(initialThreads);
  binding.setIsa(initialIsa);
});

interface Outcome {
  params: Map<string, Float32Array>;
  losses: number[];
  evalLoss: number;
  sample: string;
}

function run(shape: (typeof MODELS)[number]): Outcome {
  const model = CharRNN.create({ vocabulary, seed: 7, backend: 'native', ...shape.model });
  const rng = new Rng(3);
  const n = shape.batch * shape.steps;
  const hyper = {
    optimizer: resolveOptimizer({ kind: 'adam', lr: 2e-3 }),
    clipValue: 0,
    clipNorm: 5,
    reduction: 'mean' as const,
  };
  const losses: number[] = [];
  for (let step = 1; step <= 3; step++) {
    const inputs = Int32Array.from({ length: n }, () => rng.nextU32() % V);
    const targets = Int32Array.from({ length: n }, () => rng.nextU32() % V);
    losses.push(model.trainChunk(inputs, targets, shape.batch, shape.steps, { ...hyper, step }).loss);
  }
  const text = 'the quick brown fox jumps over the lazy dog. ABCDEF!\n'.repeat(4);
  const out: Outcome = {
    params: model.parameters(),
    losses,
    evalLoss: model.evaluate(text).loss,
    sample: model.sample({ length: 300, temperature: 1, seed: 11 }),
  };
  model.dispose();
  return out;
}

const isas = binding ? capabilities().supported : [];

describe.runIf(binding !== undefined).each(isas)('thread-count parity on %s', (isa) => {
  it.each(MODELS)(
    '$name: 1, 2 and 3 threads give bit-identical training, evaluation and samples',
    (shape) => {
      binding!.setIsa(isa);
      setThreads(1);
      const ref = run(shape);
      for (const threads of [2, 3]) {
        expect(setThreads(threads)).toBe(threads);
        expect(capabilities().threads).toBe(threads);
        const got = run(shape);
        expect(got.losses).toEqual(ref.losses);
        expect(got.evalLoss).toBe(ref.evalLoss);
        expect(got.sample).toBe(ref.sample);
        for (const [name, a] of ref.params) {
          const b = got.params.get(name)!;
          const ua = new Uint32Array(a.buffer, a.byteOffset, a.length);
          const ub = new Uint32Array(b.buffer, b.byteOffset, b.length);
          let differing = 0;
          for (let i = 0; i < ua.length; i++) if (ua[i] !== ub[i]) differing++;
          expect(differing, `${name}: elements differing between 1 and ${threads} threads`).toBe(0);
        }
      }
    },
  );
});

describe('setThreads', () => {
  it('rejects counts outside [1, 256] with a RangeError naming threads', () => {
    for (const bad of [0, -1, 1.5, 257, Number.NaN, '2' as unknown as number])
      expect(() => setThreads(bad)).toThrow(/for threads/);
  });
  it.runIf(binding !== undefined)('the addon refuses garbage itself too', () => {
    for (const bad of [0, 1e9, Number.NaN, 'x', undefined, {}])
      expect(() => binding!.setThreads(bad as number)).toThrow(/threads|argument/);
  });
});

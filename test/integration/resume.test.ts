// Exact resume: N steps + checkpoint + load + N steps gives bit-identical parameters (and optimizer state,
// carried state, dropout stream, schedule, smoothed loss) to 2N uninterrupted steps, on each backend; a
// checkpoint written by one backend loads into the other.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BackendName } from '../../src/backends/backend.js';
import { loadNative } from '../../src/backends/native.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { CharRNN, type CreateModelOptions } from '../../src/charrnn.js';
import { Corpus } from '../../src/text/corpus.js';
import { train, type TrainOptions } from '../../src/train/trainer.js';

const { binding, error } = loadNative();
if (!binding && process.env.CI) throw error ?? new Error('native addon missing');

const dir = mkdtempSync(join(tmpdir(), 'charrnn-resume-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const text = 'the cat sat on the mat. the dog sat on the log. a bird sang in the tree!\n'.repeat(30);
const corpus = Corpus.fromText(text, { validationFraction: 0.1 });

interface Case {
  name: string;
  backend: BackendName;
  model: Omit<CreateModelOptions, 'vocabulary' | 'backend'>;
  train: TrainOptions;
}

// An LSTM with dropout on, Adam, global-norm clipping and a plateau schedule that does cut the lr
// (threshold 0.2: most validations count as no improvement).
const lstmCase = (backend: BackendName): Case => ({
  name: '2-layer LSTM, embedding, dropout 0.25, Adam, plateau schedule',
  backend,
  model: { cell: 'lstm', hiddenSize: 16, layers: 2, embeddingSize: 8, dropout: 0.25, seed: 5 },
  train: {
    seqLength: 8,
    batchSize: 3,
    optimizer: { kind: 'adam', lr: 1e-2 },
    clipValue: 0,
    clipNorm: 1,
    reduction: 'mean',
    lrSchedule: 'plateau:0.5:0:0:0.2',
    evalEvery: 4,
  },
});

// The vanilla model (no dropout: the vanilla config has none), Adagrad with a step schedule.
const vanillaCase = (backend: BackendName): Case => ({
  name: 'vanilla RNN, Adagrad, step schedule',
  backend,
  model: { hiddenSize: 24, seed: 5 },
  train: {
    seqLength: 10,
    batchSize: 2,
    optimizer: { kind: 'adagrad', lr: 0.1 },
    lrSchedule: 'step:7:0.5',
    evalEvery: 5,
  },
});

const CASES: Case[] = [lstmCase('js'), vanillaCase('js'), lstmCase('native'), vanillaCase('native')];

const N = 20;

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

function expectSameParameters(a: CharRNN, b: CharRNN): void {
  const pa = a.parameters();
  const pb = b.parameters();
  let differing = 0;
  for (const [name, x] of pa) {
    const y = pb.get(name)!;
    const bx = bits(x);
    const by = bits(y);
    for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i]) differing++;
  }
  expect(differing).toBe(0);
}

describe.each(CASES)('resume on $backend: $name', (c) => {
  it.runIf(c.backend === 'js' || binding !== undefined)(
    `${N} steps + checkpoint + resume + ${N} steps = ${2 * N} steps, bit for bit`,
    async () => {
      const make = () => CharRNN.create({ vocabulary: corpus.vocabulary, backend: c.backend, ...c.model });
      const whole = make();
      expect(whole.backend).toBe(c.backend);
      const ra = await train(whole, corpus.train, corpus.validation, { ...c.train, maxIters: 2 * N });

      const first = make();
      const file = join(dir, `${c.backend}-${c.model.cell ?? 'vanilla'}.safetensors`);
      await train(first, corpus.train, corpus.validation, {
        ...c.train,
        maxIters: N,
        checkpoint: { path: file },
      });
      const { model: resumed, state } = await loadCheckpoint(file, { backend: c.backend });
      expect(resumed.backend).toBe(c.backend);
      expect(state!.iteration).toBe(N);
      const rb = await train(resumed, corpus.train, corpus.validation, { resume: state!, maxIters: 2 * N });

      expect(rb.iterations).toBe(2 * N);
      expectSameParameters(whole, resumed);
      // Everything else a run carries agrees too.
      const ta = whole.exportTrainingState();
      const tb = resumed.exportTrainingState();
      expect(bits(tb.optState)).toEqual(bits(ta.optState));
      expect(bits(tb.hidden)).toEqual(bits(ta.hidden));
      expect([...tb.dropoutRng]).toEqual([...ta.dropoutRng]);
      expect(rb.state.schedule).toEqual(ra.state.schedule);
      expect(rb.state.smoothLoss).toBe(ra.state.smoothLoss);
      // Equal but for the timings (wall and training seconds).
      const later = rb.history.filter((h) => h.iteration > N);
      expect(later).toEqual(
        ra.history
          .filter((e) => e.iteration > N)
          .map((e, i) => ({ ...e, elapsed: later[i].elapsed, trainTime: later[i].trainTime })),
      );
      // The schedule was active: the lr of the last update differs from the base lr.
      expect(ra.state.lr).not.toBe(ra.state.optimizer.lr);
    },
  );
});

describe.runIf(binding !== undefined)('checkpoints across backends', () => {
  it('a checkpoint written by the native backend loads into the JS backend and vice versa', async () => {
    const c = vanillaCase('native');
    const native = CharRNN.create({ vocabulary: corpus.vocabulary, backend: 'native', ...c.model });
    const file = join(dir, 'cross.safetensors');
    await train(native, corpus.train, corpus.validation, {
      ...c.train,
      maxIters: 12,
      checkpoint: { path: file },
    });
    const { model: js, state } = await loadCheckpoint(file, { backend: 'js' });
    expect(js.backend).toBe('js');
    expectSameParameters(native, js);
    expect(bits(js.exportTrainingState().optState)).toEqual(bits(native.exportTrainingState().optState));
    // Both continue from the same state; the backends agree to the parity tolerance, not bit for bit.
    const { model: native2 } = await loadCheckpoint(file, { backend: 'native' });
    await train(js, corpus.train, corpus.validation, { resume: state!, maxIters: 16 });
    await train(native2, corpus.train, corpus.validation, { resume: state!, maxIters: 16 });
    const pj = js.parameters();
    let maxDiff = 0;
    for (const [name, x] of native2.parameters()) {
      const y = pj.get(name)!;
      for (let i = 0; i < x.length; i++) maxDiff = Math.max(maxDiff, Math.abs(x[i] - y[i]));
    }
    // float32 FMA kernels vs float64 accumulation over 4 Adagrad steps: well inside 1e-4.
    expect(maxDiff).toBeLessThan(1e-4);
  });
});

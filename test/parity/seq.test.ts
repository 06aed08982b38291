// Parity of the 'classify' / 'tag' models: native (every kernel path) against the TypeScript reference on the same
// seeded parameters and padded batches — the loss, every gradient tensor and the logits, for every cell × {uni, bi}
// × {classify last/mean/max, tag}, with 2 layers, an embedding, dropout and class weights; the native layout
// against the TS one; and bit-identical results whatever the native thread count.
import { afterAll, describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backends/js/index.js';
import { loadNative, nativeBackend } from '../../src/backends/native.js';
import { setThreads } from '../../src/backends/index.js';
import { CharRNN } from '../../src/charrnn.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { resolveOptimizer } from '../../src/run/optim.js';
import { resolveModelConfig, type CellKind, type ModelConfigInput } from '../../src/model/config.js';
import { layoutFor } from '../../src/model/spec.js';
import { Rng } from '../../src/util/rng.js';
import { cloneArenas, seededArenas } from '../helpers/model.js';
import { compare, FLAVOURS, flavourRunner } from '../helpers/parity.js';
import { seededBatch } from '../helpers/seq.js';

// float32 with FMA and vectorised exp/tanh (≈ 1e-7 relative each) against float64: over a few layers and steps the
// gradients keep ≈ 1e-5 of their tensor's scale; 2e-4 relative to the tensor's largest element leaves a 10×
// margin while a dropped term (of the size of the others) or a mis-routed row would be off by O(1).
const RTOL = 2e-4;
const ATOL = 1e-6;

const cells: CellKind[] = ['rnn', 'lstm', 'gru'];
const heads = [
  { task: 'classify', pooling: 'last' },
  { task: 'classify', pooling: 'mean' },
  { task: 'classify', pooling: 'max' },
  { task: 'tag', pooling: 'last' },
] as const;
const cases = cells.flatMap((cell) =>
  [false, true].flatMap((bidirectional) => heads.map((h) => ({ cell, bidirectional, ...h }))),
);

function configOf(c: Omit<ModelConfigInput, 'vocabSize'>) {
  return resolveModelConfig({
    vocabSize: 7,
    hiddenSizes: [6, 5],
    embeddingSize: 4,
    dropout: 0.25,
    numClasses: 4,
    ...c,
  });
}

describe.each(FLAVOURS.filter((f) => f.isa))('$name vs js, classify and tag', (flavour) => {
  const { run, backend: pick, restore } = flavourRunner(flavour);
  afterAll(restore);

  it.runIf(run).each(cases)('$cell bidirectional=$bidirectional $task/$pooling', (c) => {
    const config = configOf(c);
    const ref = seededArenas(config, 5);
    const got = cloneArenas(ref);
    const js = jsBackend.open(config, ref);
    const nat = pick().open(config, got);
    const batch = seededBatch(config, 5, 9, 11);
    const options = { classWeights: Float32Array.of(1, 0.5, 2, 1.5) };
    const lj = js.sequenceGradient(batch, options, new Rng(3).state);
    const ln = nat.sequenceGradient(batch, options, new Rng(3).state);
    expect(Math.abs(ln - lj) / lj).toBeLessThan(1e-5);
    for (const t of layoutFor(config).tensors)
      compare(
        `${flavour.name} ${t.name}`,
        got.grads.subarray(t.offset, t.offset + t.size),
        ref.grads.subarray(t.offset, t.offset + t.size),
        RTOL,
        ATOL,
      );
    compare(`${flavour.name} logits`, nat.forwardSequences(batch), js.forwardSequences(batch), 1e-5, 1e-6);
  });

  it.runIf(run)('one optimizer step moves the parameters alike', () => {
    const config = configOf({ cell: 'lstm', bidirectional: true, task: 'tag' });
    const ref = seededArenas(config, 6);
    const got = cloneArenas(ref);
    const hyper = {
      optimizer: { kind: 'adam', lr: 0.01, momentum: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
      clipValue: 0,
      clipNorm: 1,
      step: 1,
      reduction: 'mean',
    } as const;
    const batch = seededBatch(config, 4, 7, 12);
    const rj = jsBackend.open(config, ref).trainSequences(batch, {}, hyper, new Rng(4).state);
    const rn = pick().open(config, got).trainSequences(batch, {}, hyper, new Rng(4).state);
    expect(Math.abs(rn.loss - rj.loss) / rj.loss).toBeLessThan(1e-5);
    expect(Math.abs(rn.gradNorm - rj.gradNorm) / rj.gradNorm).toBeLessThan(1e-4);
    compare(`${flavour.name} params after a step`, got.params, ref.params, 1e-4, 1e-6);
  });
});

const native = loadNative();
describe.runIf(native.binding !== undefined)('native classify / tag: layout and threads', () => {
  it('derives the TS layout (names, offsets, sizes) for bidirectional stacks', () => {
    for (const c of cases) {
      const config = configOf(c);
      const arenas = seededArenas(config);
      const s = new native.binding!.SeqSession(
        config.cell,
        config.activation,
        config.vocabSize,
        Int32Array.from(config.hiddenSizes),
        config.embeddingSize,
        config.dropout,
        config.task as 'classify' | 'tag',
        config.numClasses,
        config.bidirectional,
        config.pooling,
        arenas.params,
        arenas.grads,
        arenas.optState,
      );
      expect(s.tensors()).toEqual(
        layoutFor(config).tensors.map((t) => ({ name: t.name, offset: t.offset, size: t.size })),
      );
      s.dispose();
    }
  });

  it.each(cells)('%s: gradients and logits are bit-identical for 1, 2 and 3 threads', (cell) => {
    const before = setThreads(1);
    try {
      // big enough that the kernels split their work (B·T rows × widths in the thousands)
      const config = resolveModelConfig({
        vocabSize: 30,
        cell,
        hiddenSizes: [96, 64],
        embeddingSize: 16,
        numClasses: 5,
        task: 'tag',
        bidirectional: true,
        dropout: 0.1,
      });
      const results = [1, 2, 3].map((threads) => {
        setThreads(threads);
        const arenas = seededArenas(config, 8, 0.1);
        const s = nativeBackend().open(config, arenas);
        const batch = seededBatch(config, 24, 40, 13);
        const loss = s.sequenceGradient(batch, {}, new Rng(5).state);
        return { loss, grads: arenas.grads.slice(), logits: s.forwardSequences(batch) };
      });
      for (const r of results.slice(1)) {
        expect(r.loss).toBe(results[0].loss);
        expect(Buffer.from(r.grads.buffer).equals(Buffer.from(results[0].grads.buffer))).toBe(true);
        expect(Buffer.from(r.logits.buffer).equals(Buffer.from(results[0].logits.buffer))).toBe(true);
      }
    } finally {
      setThreads(before);
    }
  });
});

describe.runIf(native.binding !== undefined)('native trainSequenceBatchAsync', () => {
  it('is bit-identical to the synchronous call, advances the dropout stream alike, and keeps the model busy', async () => {
    const vocabulary = Vocabulary.fromText('abcdefg');
    const make = () =>
      CharRNN.create({
        vocabulary,
        cell: 'lstm',
        hiddenSize: 32,
        embeddingSize: 8,
        dropout: 0.2,
        task: 'classify',
        numClasses: 3,
        bidirectional: true,
        backend: 'native',
        seed: 4,
      });
    const sync = make();
    const async = make();
    const config = sync.config;
    const hyper = (step: number) => ({
      optimizer: resolveOptimizer({ kind: 'adam', lr: 0.01 }),
      clipValue: 0,
      clipNorm: 5,
      step,
      reduction: 'mean' as const,
    });
    for (let step = 1; step <= 3; step++) {
      const batch = seededBatch(config, 16, 12, 20 + step);
      const a = sync.trainSequenceBatch(batch, hyper(step));
      const pending = async.trainSequenceBatchAsync(batch, hyper(step));
      expect(() => async.forwardSequences(batch)).toThrow(/model is busy/);
      const b = await pending;
      expect(b).toEqual(a);
    }
    const ps = sync.parameters();
    for (const [name, p] of async.parameters()) expect(p, name).toEqual(ps.get(name));
    expect(async.exportTrainingState().dropoutRng).toEqual(sync.exportTrainingState().dropoutRng);
    expect(async.exportTrainingState().optState).toEqual(sync.exportTrainingState().optState);
  });
});

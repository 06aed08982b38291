// The addon's own door for 'classify' / 'tag' models: SeqSession called directly (past the TS checks) with bad
// batches, weights, streams and hyper-parameters must throw a TypeError / RangeError naming the argument — never
// crash or read out of bounds — and a random mix of bad and good calls must leave the process standing.
import { describe, expect, it } from 'vitest';
import { loadNative, type NativeSeqSession } from '../../src/backends/native.js';
import { resolveModelConfig } from '../../src/model/config.js';
import { Rng } from '../../src/util/rng.js';
import { seededArenas } from '../helpers/model.js';
import { seededBatch } from '../helpers/seq.js';

const { binding, error } = loadNative();
if (!binding && process.env.CI) throw error ?? new Error('native addon missing');

describe.runIf(binding !== undefined)('native SeqSession boundary', () => {
  const b = binding!;
  const config = resolveModelConfig({
    vocabSize: 6,
    cell: 'gru',
    hiddenSize: 4,
    embeddingSize: 3,
    dropout: 0.2,
    task: 'tag',
    numClasses: 3,
    bidirectional: true,
  });
  const arenas = seededArenas(config);
  const open = (): NativeSeqSession =>
    new b.SeqSession(
      'gru',
      'tanh',
      6,
      Int32Array.of(4),
      3,
      0.2,
      'tag',
      3,
      true,
      'last',
      arenas.params,
      arenas.grads,
      arenas.optState,
    );
  const s = open();
  const good = seededBatch(config, 3, 4, 2);
  const hyper = Float64Array.of(0.01, 0, 0.9, 0.999, 1e-8, 0, 0, 1, 1);
  const grad = (over: Partial<Record<string, unknown>> = {}) => {
    const a = {
      ids: good.ids,
      lengths: good.lengths,
      labels: good.labels,
      B: 3,
      T: 4,
      w: undefined,
      rng: new Rng(1).state,
      ...over,
    };
    return () =>
      s.gradient(
        a.ids as never,
        a.lengths as never,
        a.labels as never,
        a.B as never,
        a.T as never,
        a.w as never,
        a.rng as never,
      );
  };

  it('runs a good batch', () => {
    expect(Number.isFinite(grad()())).toBe(true);
  });

  it.each([
    [
      'ids',
      { ids: Int32Array.of(0, 1, 2, 6, 0, 0, 0, 0, 0, 0, 0, 0) },
      RangeError,
      'Expected a token id in [0, 5] for ids[3] but received 6',
    ],
    [
      'ids',
      { ids: Int32Array.of(-1, 1, 2, 3, 0, 0, 0, 0, 0, 0, 0, 0) },
      RangeError,
      'for ids[0] but received -1',
    ],
    ['ids', { ids: new Int32Array(11) }, RangeError, 'Expected an Int32Array of length 12 for ids'],
    ['ids', { ids: new Float32Array(12) }, TypeError, 'ids'],
    [
      'lengths',
      { lengths: Int32Array.of(4, 0, 2) },
      RangeError,
      'Expected an integer in [1, 4] for lengths[1] but received 0',
    ],
    [
      'lengths',
      { lengths: Int32Array.of(4, 5, 2) },
      RangeError,
      'Expected an integer in [1, 4] for lengths[1] but received 5',
    ],
    [
      'lengths',
      { lengths: Int32Array.of(4, 2) },
      RangeError,
      'Expected an Int32Array of length 3 for lengths',
    ],
    [
      'labels',
      { labels: new Int32Array(12).fill(3) },
      RangeError,
      'Expected an integer in [-1, 2] for labels[0] but received 3',
    ],
    ['labels', { labels: new Int32Array(12).fill(-2) }, RangeError, 'for labels[0] but received -2'],
    ['labels', { labels: new Int32Array(3) }, RangeError, 'Expected an Int32Array of length 12 for labels'],
    ['B', { B: 0 }, RangeError, 'B'],
    ['T', { T: 2.5 }, RangeError, 'T'],
    [
      'B × T',
      { B: 1 << 20, T: 1 << 20 },
      RangeError,
      'Expected B × T × max(gates × hiddenSize, numClasses, embeddingSize) ≤ 536870912',
    ],
    [
      'classWeights',
      { w: Float32Array.of(1, -1, 1) },
      RangeError,
      'Expected a finite number ≥ 0 for classWeights[1] but received -1',
    ],
    ['classWeights', { w: Float32Array.of(1, NaN, 1) }, RangeError, 'for classWeights[1] but received NaN'],
    [
      'classWeights',
      { w: new Float32Array(2) },
      RangeError,
      'Expected a Float32Array of length 3 for classWeights',
    ],
    [
      'rngState',
      { rng: undefined },
      TypeError,
      'Expected a Uint32Array of length 4 for rngState but received undefined. HINT: dropout > 0 needs a seeded mask stream',
    ],
    ['rngState', { rng: new Uint32Array(3) }, TypeError, 'rngState'],
  ] as const)('%s: %o', (_name, over, Kind, message) => {
    const call = grad(over);
    expect(call).toThrow(Kind);
    expect(call).toThrow(message);
  });

  it('refuses bad hyper-parameters and a bad config', () => {
    const t =
      (h: Float64Array, kind = 'adam') =>
      () =>
        s.train(good.ids, good.lengths, good.labels!, 3, 4, undefined, new Rng(1).state, kind as never, h);
    expect(t(hyper, 'lion')).toThrow(RangeError);
    expect(t(Float64Array.of(-1, 0, 0.9, 0.999, 1e-8, 0, 0, 1, 1))).toThrow(
      'Expected a positive finite number for lr',
    );
    expect(t(new Float64Array(3))).toThrow(RangeError);
    expect(
      () =>
        new b.SeqSession(
          'gru',
          'tanh',
          6,
          Int32Array.of(4),
          3,
          0.2,
          'tag',
          1,
          true,
          'last',
          arenas.params,
          arenas.grads,
          arenas.optState,
        ),
    ).toThrow('Expected an integer in [2, 65536] for numClasses but received 1');
    expect(
      () =>
        new b.SeqSession(
          'gru',
          'tanh',
          6,
          Int32Array.of(4),
          3,
          0.2,
          'lm' as never,
          3,
          true,
          'last',
          arenas.params,
          arenas.grads,
          arenas.optState,
        ),
    ).toThrow(RangeError);
    expect(
      () =>
        new b.SeqSession(
          'gru',
          'tanh',
          6,
          Int32Array.of(4),
          3,
          0.2,
          'tag',
          3,
          true,
          'max',
          arenas.params,
          arenas.grads,
          arenas.optState,
        ),
    ).toThrow("Expected 'last' for task 'tag' for pooling");
    expect(
      () =>
        new b.SeqSession(
          'gru',
          'tanh',
          6,
          Int32Array.of(4),
          3,
          0.2,
          'tag',
          3,
          false,
          'last',
          arenas.params,
          arenas.grads,
          arenas.optState,
        ),
    ).toThrow(/Expected a Float32Array of length \d+ for params/);
    expect(() => s.forward(good.ids, Int32Array.of(1, 1, 9), 3, 4)).toThrow(RangeError);
  });

  it('refuses every call once disposed', () => {
    const d = open();
    d.dispose();
    expect(() => d.forward(good.ids, good.lengths, 3, 4)).toThrow('This backend session has been disposed');
  });

  it('survives a random mix of bad and good batches', () => {
    const rng = new Rng(99);
    const pick = (n: number) => rng.nextU32() % n;
    for (let i = 0; i < 300; i++) {
      const B = 1 + pick(4);
      const T = 1 + pick(5);
      const ids = Int32Array.from({ length: B * T + (pick(8) === 0 ? 1 : 0) }, () => pick(8) - 1);
      const lengths = Int32Array.from({ length: B }, () => pick(T + 2));
      const labels = Int32Array.from({ length: B * T }, () => pick(5) - 2);
      try {
        const loss = s.gradient(ids, lengths, labels, B, T, undefined, new Rng(i + 1).state);
        expect(Number.isFinite(loss)).toBe(true);
        s.forward(ids, lengths, B, T);
      } catch (err) {
        expect(err instanceof RangeError || err instanceof TypeError).toBe(true);
      }
    }
  });
});

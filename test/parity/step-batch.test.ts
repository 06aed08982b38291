// Batched inference: BackendSession.stepBatch for n streams must give every stream exactly (bit for bit) the state
// and distribution that step() gives it alone, on every backend and kernel path, for every model shape (the vanilla
// fast path, stacked rnn / lstm / gru, one-hot and embedded input), for stream counts around the kernels' blocking
// (1, 2, odd, ≥ V so a layer-0 table would kick in) and 1 or 2 native threads. This is what makes stream i of a
// batch session equal a one-stream session seeded seed + i.
import { afterAll, describe, expect, it } from 'vitest';
import { setThreads } from '../../src/backends/index.js';
import { resolveModelConfig, type ModelConfigInput } from '../../src/model/config.js';
import { stateSize } from '../../src/model/layout.js';
import { Rng } from '../../src/util/rng.js';
import { seededArenas } from '../helpers/model.js';
import { FLAVOURS, flavourRunner } from '../helpers/parity.js';

const shapes: { name: string; config: ModelConfigInput }[] = [
  { name: 'vanilla (min-char-rnn fast path)', config: { vocabSize: 13, hiddenSizes: [20] } },
  {
    name: 'rnn 2 layers, embedding',
    config: { vocabSize: 11, cell: 'rnn', hiddenSizes: [12, 9], embeddingSize: 5 },
  },
  {
    name: 'lstm 2 layers, embedding',
    config: { vocabSize: 11, cell: 'lstm', hiddenSizes: [17, 24], embeddingSize: 6 },
  },
  { name: 'lstm one-hot', config: { vocabSize: 9, cell: 'lstm', hiddenSizes: [16] } },
  {
    name: 'gru 2 layers, embedding',
    config: { vocabSize: 10, cell: 'gru', hiddenSizes: [13, 8], embeddingSize: 4 },
  },
  {
    name: 'lstm W3-like widths',
    config: { vocabSize: 65, cell: 'lstm', hiddenSizes: [64, 64], embeddingSize: 16 },
  },
];

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

describe.each(FLAVOURS)('$name: stepBatch equals step per stream', (flavour) => {
  const { run, backend: pick, restore } = flavourRunner(flavour);
  afterAll(() => {
    restore();
    if (flavour.isa) setThreads(1);
  });

  it.runIf(run).each(shapes)('$name', ({ config: input }) => {
    const config = resolveModelConfig(input);
    const session = pick().open(config, seededArenas(config, 3, 0.4));
    const S = stateSize(config, 1);
    const V = config.vocabSize;
    const rng = new Rng(11);
    for (const threads of flavour.isa ? [1, 2] : [1])
      for (const n of [1, 2, 3, 8, 9, V + 2]) {
        if (flavour.isa) setThreads(threads);
        const states = new Float32Array(n * S);
        for (let i = 0; i < states.length; i++) states[i] = (rng.nextFloat() - 0.5) * 1.6;
        const tokens = Int32Array.from({ length: n }, () => Math.floor(rng.nextFloat() * V));
        for (const temperature of [1, 0.7]) {
          const want = states.slice();
          const wantProbs = new Float32Array(n * V);
          for (let b = 0; b < n; b++)
            session.step(
              want.subarray(b * S, (b + 1) * S),
              tokens[b],
              wantProbs.subarray(b * V, (b + 1) * V),
              temperature,
            );
          const got = states.slice();
          const probs = new Float32Array(n * V);
          session.stepBatch(got, tokens, probs, temperature);
          expect(bits(got), `state n=${n} threads=${threads}`).toEqual(bits(want));
          expect(bits(probs), `probs n=${n} threads=${threads}`).toEqual(bits(wantProbs));
          // The step is not the identity: the states moved and the distributions are proper.
          expect(got).not.toEqual(states);
          for (let b = 0; b < n; b++) {
            let sum = 0;
            for (let v = 0; v < V; v++) sum += probs[b * V + v];
            expect(sum).toBeCloseTo(1, 5);
          }
          states.set(got); // chain the next round from the stepped states
        }
      }
    session.dispose();
  });

  it.runIf(run)('refuses bad batches with the argument named', () => {
    const config = resolveModelConfig({ vocabSize: 7, cell: 'lstm', hiddenSizes: [6] });
    const session = pick().open(config, seededArenas(config, 1));
    const S = stateSize(config, 1);
    const ok = () => ({
      states: new Float32Array(2 * S),
      tokens: Int32Array.of(1, 2),
      probs: new Float32Array(14),
    });
    const a = ok();
    expect(() => session.stepBatch(a.states, new Int32Array(0), new Float32Array(0), 1)).toThrow(RangeError);
    expect(() => session.stepBatch(a.states, Int32Array.of(1, 7), a.probs, 1)).toThrow(/tokens/);
    expect(() => session.stepBatch(a.states, Int32Array.of(1, -1), a.probs, 1)).toThrow(RangeError);
    expect(() => session.stepBatch(new Float32Array(S), a.tokens, a.probs, 1)).toThrow(/states/);
    expect(() => session.stepBatch(a.states, a.tokens, new Float32Array(13), 1)).toThrow(/probs/);
    expect(() => session.stepBatch(a.states, a.tokens, a.probs, 0)).toThrow(/temperature/);
    expect(() => session.stepBatch(a.states, [1, 2] as unknown as Int32Array, a.probs, 1)).toThrow(TypeError);
    const shared = new Float32Array(2 * S + 14);
    expect(() =>
      session.stepBatch(shared.subarray(0, 2 * S), a.tokens, shared.subarray(2 * S - 1, 2 * S + 13), 1),
    ).toThrow(/disjoint/);
    // nothing above touched the good buffers
    expect(a.states.every((x) => x === 0) && a.probs.every((x) => x === 0)).toBe(true);
    session.dispose();
  });
});

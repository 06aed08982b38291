// The JS backend's stacked/gated forward against a naive reference written straight from PyTorch's
// equations (torch.nn.RNN/LSTM/GRU docs) and the documented dropout-mask rule: loss and carried state.
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backends/js/index.js';
import { resolveModelConfig, type CellKind, type ModelConfig } from '../../src/model/config.js';
import { stateOffsets } from '../../src/model/layout.js';
import { layoutFor } from '../../src/model/spec.js';
import { Rng } from '../../src/util/rng.js';
import { cloneChunk, seededArenas, seededChunk } from '../helpers/model.js';
import type { Chunk } from '../../src/backends/backend.js';

const sig = (x: number) => 1 / (1 + Math.exp(-x));

/** Mean cross-entropy and final state, one token, one stream, one layer at a time — no blocking at all. */
function reference(config: ModelConfig, params: Float32Array, chunk: Chunk) {
  const lay = layoutFor(config);
  const P = (name: string) => {
    const t = lay.get(name);
    return (r: number, c = 0) => params[t.offset + r * (t.shape[1] ?? 1) + c];
  };
  const { batch: B, steps: T } = chunk;
  const V = config.vocabSize;
  const so = stateOffsets(config, B);
  const state = Float64Array.from(chunk.hidden);
  const p = config.dropout;
  const rng = new Rng(chunk.rngState!.slice());
  // masks[t][l][b][i], drawn in the documented order
  const masks = Array.from({ length: T }, () =>
    config.hiddenSizes.map((H) =>
      Array.from({ length: B }, () =>
        Array.from({ length: H }, () => (p > 0 ? (rng.nextFloat() >= p ? 1 / (1 - p) : 0) : 1)),
      ),
    ),
  );
  let loss = 0;
  for (let t = 0; t < T; t++)
    for (let b = 0; b < B; b++) {
      const tok = chunk.inputs[t * B + b];
      let x: number[];
      if (config.embeddingSize > 0) {
        const e = P('embedding.weight');
        x = Array.from({ length: config.embeddingSize }, (_, k) => e(tok, k));
      } else x = Array.from({ length: V }, (_, k) => (k === tok ? 1 : 0));
      for (let l = 0; l < config.layers; l++) {
        const H = config.hiddenSizes[l];
        const [Wi, Wh, bi, bh] = ['weight_ih', 'weight_hh', 'bias_ih', 'bias_hh'].map((n) =>
          P(`rnn.${n}_l${l}`),
        );
        const h = Array.from({ length: H }, (_, i) => state[so.h[l] + b * H + i]);
        const gi = (row: number) => x.reduce((s, v, k) => s + Wi(row, k) * v, 0) + bi(row);
        const gh = (row: number) => h.reduce((s, v, k) => s + Wh(row, k) * v, 0) + bh(row);
        const out: number[] = [];
        for (let i = 0; i < H; i++) {
          if (config.cell === 'rnn') out.push(Math.tanh(gi(i) + gh(i)));
          else if (config.cell === 'lstm') {
            const c = state[so.c[l] + b * H + i];
            const [ig, fg, og] = [0, 1, 3].map((g) => sig(gi(g * H + i) + gh(g * H + i)));
            const gg = Math.tanh(gi(2 * H + i) + gh(2 * H + i));
            const c2 = fg * c + ig * gg;
            state[so.c[l] + b * H + i] = c2;
            out.push(og * Math.tanh(c2));
          } else {
            const r = sig(gi(i) + gh(i));
            const z = sig(gi(H + i) + gh(H + i));
            const n = Math.tanh(gi(2 * H + i) + r * gh(2 * H + i));
            out.push((1 - z) * n + z * h[i]);
          }
        }
        for (let i = 0; i < H; i++) state[so.h[l] + b * H + i] = out[i];
        x = out.map((v, i) => v * masks[t][l][b][i]);
      }
      const D = P('decoder.weight');
      const db = P('decoder.bias');
      const logits = Array.from({ length: V }, (_, k) => x.reduce((s, v, i) => s + D(k, i) * v, 0) + db(k));
      const m = Math.max(...logits);
      const lse = m + Math.log(logits.reduce((s, y) => s + Math.exp(y - m), 0));
      loss += lse - logits[chunk.targets[t * B + b]];
    }
  return { loss: loss / (B * T), state };
}

const cases = (['rnn', 'lstm', 'gru'] as CellKind[]).flatMap((cell) =>
  [0, 0.4].map((dropout) => ({ cell, dropout })),
);

describe('stacked/gated forward vs a naive PyTorch-equation reference', () => {
  it.each(cases)('cell $cell, 2 layers, embedding, dropout $dropout', ({ cell, dropout }) => {
    const config = resolveModelConfig({ cell, vocabSize: 6, hiddenSizes: [5, 4], embeddingSize: 3, dropout });
    const arenas = seededArenas(config, 3, 0.5);
    const session = jsBackend.open(config, arenas);
    const chunk = seededChunk(config, 3, 5);
    const ref = reference(config, arenas.params, chunk);
    const got = cloneChunk(chunk);
    const loss = session.gradient(got, 'mean');
    // Both compute in float64 from the same float32 parameters; only summation order differs.
    expect(Math.abs(loss - ref.loss)).toBeLessThan(1e-12);
    for (let i = 0; i < ref.state.length; i++)
      expect(Math.abs(got.hidden[i] - Math.fround(ref.state[i]))).toBeLessThanOrEqual(1e-7);
  });

  it('one-hot input for every cell (weight_ih_l0 is [G·H, V])', () => {
    for (const cell of ['rnn', 'lstm', 'gru'] as CellKind[]) {
      const config = resolveModelConfig({ cell, vocabSize: 6, hiddenSize: 4, layers: 2 });
      const arenas = seededArenas(config, 4, 0.5);
      const chunk = seededChunk(config, 2, 4);
      const loss = jsBackend.open(config, arenas).gradient(cloneChunk(chunk), 'mean');
      expect(Math.abs(loss - reference(config, arenas.params, chunk).loss)).toBeLessThan(1e-12);
    }
  });

  it('step() and evaluate() carry the same state as a training chunk (no dropout)', () => {
    const config = resolveModelConfig({ cell: 'lstm', vocabSize: 6, hiddenSizes: [5, 4], embeddingSize: 3 });
    const arenas = seededArenas(config, 5, 0.5);
    const session = jsBackend.open(config, arenas);
    const chunk = seededChunk(config, 1, 6);
    const ref = reference(config, arenas.params, chunk);
    const h = chunk.hidden.slice();
    const probs = new Float32Array(6);
    let nats = 0;
    for (let t = 0; t < 6; t++) {
      session.step(h, chunk.inputs[t], probs, 1);
      nats -= Math.log(probs[chunk.targets[t]]);
    }
    expect(Math.abs(nats / 6 - ref.loss)).toBeLessThan(1e-6);
    for (let i = 0; i < h.length; i++) expect(Math.abs(h[i] - ref.state[i])).toBeLessThan(1e-6);
  });
});

// Backend parity for every model config: one test body per flavour (js, native-scalar, native-avx2, native-avx512)
// against the JS reference, for every cell × {1, 2 layers} × {one-hot, embedding} × {dropout off, on} (plus ReLU):
// chunk loss, every gradient element, carried state and mask stream, consecutive Adam + clip-norm steps (sync and
// async), evaluate, step and sample. Each tolerance is stated next to its check, with the reason.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Arenas, Backend, Chunk, StepHyper } from '../../src/backends/backend.js';
import { jsBackend } from '../../src/backends/js/index.js';
import { loadNative } from '../../src/backends/native.js';
import { drawFromProbs } from '../../src/sampling/draw.js';
import { resolveModelConfig, type CellKind, type ModelConfig } from '../../src/model/config.js';
import { stateSize } from '../../src/model/layout.js';
import { layoutFor } from '../../src/model/spec.js';
import { Rng } from '../../src/util/rng.js';
import { cloneArenas, seededArenas, seededChunk } from '../helpers/model.js';
import { compare, FLAVOURS, flavourRunner, relDiff } from '../helpers/parity.js';

interface Case {
  cell: CellKind;
  layers: number;
  embeddingSize: number;
  dropout: number;
  activation?: 'relu';
}

// V = 29, H = 37 / 19, E = 11: no width is a multiple of a SIMD width, so every kernel's remainder path runs.
// Two layers get different widths, so per-layer shapes (and In_1 = H_0 ≠ H_1) are exercised.
const CASES: Case[] = [
  ...(['rnn', 'lstm', 'gru'] as const).flatMap((cell) =>
    [1, 2].flatMap((layers) =>
      [0, 11].flatMap((embeddingSize) =>
        [0, 0.25].map((dropout) => ({ cell, layers, embeddingSize, dropout })),
      ),
    ),
  ),
  { cell: 'rnn', layers: 1, embeddingSize: 0, dropout: 0, activation: 'relu' },
  { cell: 'rnn', layers: 2, embeddingSize: 11, dropout: 0.25, activation: 'relu' },
];

function configFor(c: Case): ModelConfig {
  return resolveModelConfig({
    cell: c.cell,
    vocabSize: 29,
    hiddenSizes: c.layers === 1 ? [37] : [37, 19],
    embeddingSize: c.embeddingSize,
    dropout: c.dropout,
    activation: c.activation ?? 'tanh',
  });
}

/** Seeded arenas: every parameter N(0, 0.2²) (biases too, so their gradients are exercised). */
const arenasFor = (config: ModelConfig, seed: number): Arenas => seededArenas(config, seed, 0.2, 2);
const chunkFor = (config: ModelConfig, B: number, T: number, seed: number): Chunk =>
  seededChunk(config, B, T, seed, 0.5, seed + 1);

function copyChunk(c: Chunk): Chunk {
  return { ...c, hidden: c.hidden.slice(), rngState: c.rngState?.slice() };
}

const W3_HYPER = (step: number): StepHyper => ({
  optimizer: { kind: 'adam', lr: 2e-3, momentum: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
  clipValue: 0,
  clipNorm: 0.1, // below every case's gradient norm, so the scale is active
  step,
  reduction: 'mean',
});

const label = (c: Case) =>
  `${c.cell}${c.activation ? `-${c.activation}` : ''} L=${c.layers} E=${c.embeddingSize} p=${c.dropout}`;

// Gradient tolerance, per tensor: |a − b| ≤ 1e-4·max|g| + 1e-7. The native backend accumulates in float32 (FMA),
// the JS reference in float64; each gradient element is a sum of up to T·B·max(G·H, V) products, and the
// through-time terms pass through T = 24 steps of gate derivatives. Measured worst case on these shapes (both
// kernel paths): 2.6e-6·max|g| (float32 rounding, ≈ 6e-8 per operation, over sums of ~10³ terms). 1e-4 keeps
// a 40× margin for other shapes and summation orders, while a wrong term (a dropped bias, a mis-indexed gate, a
// missing through-time or dropout factor) changes elements by ≥ 1e-2·max|g|, as test/gradcheck shows.
const G_RTOL = 1e-4;
const G_ATOL = 1e-7;

describe.each(FLAVOURS)('stacked/gated parity: $name vs the JS reference', (flavour) => {
  const { run, backend: pick, restore } = flavourRunner(flavour);
  let backend: Backend;
  beforeAll(() => {
    if (run) backend = pick();
  });
  afterAll(restore);

  it.runIf(run && flavour.isa !== undefined)(
    'the addon derives the same arena and state layout as src/model/layout.ts',
    () => {
      const native = loadNative().binding!;
      const configs = [
        ...CASES.map(configFor),
        resolveModelConfig({ cell: 'lstm', vocabSize: 65, hiddenSize: 256, layers: 2, embeddingSize: 64 }),
        resolveModelConfig({ cell: 'gru', vocabSize: 2, hiddenSizes: [1, 5, 2], embeddingSize: 1 }),
        resolveModelConfig({ vocabSize: 65, hiddenSize: 100 }), // vanilla: the seeds' names
      ];
      for (const c of configs) {
        const l = layoutFor(c);
        const n = native.layout(
          c.cell,
          c.activation,
          c.vocabSize,
          Int32Array.from(c.hiddenSizes),
          c.embeddingSize,
          c.dropout,
        );
        expect(n).toEqual({
          tensors: l.tensors.map(({ name, offset, size }) => ({ name, offset, size })),
          size: l.size,
          stateSize: stateSize(c, 1),
        });
      }
    },
  );

  describe.each(CASES.map((c) => ({ ...c, name: label(c) })))('$name', (c) => {
    const config = configFor(c);
    const tensors = layoutFor(config).tensors;

    // B·T = 96 ≥ V: the input-table path of native/nn/stack.cc (one-hot or embedded); B·T = 8 < V: its direct
    // gather/scatter and embedding gemms;
    // B = 1 makes every per-step product a gemv, and B·T = 1 every whole-chunk one; B = 7 splits into 6 + 1 rows.
    it.runIf(run).each([
      { B: 4, T: 24, reduction: 'mean' as const },
      { B: 1, T: 8, reduction: 'sum' as const },
      { B: 1, T: 1, reduction: 'mean' as const },
      { B: 7, T: 5, reduction: 'sum' as const },
    ])('gradient B=$B T=$T ($reduction): loss, every gradient, carried state and mask stream', (s) => {
      const ref = arenasFor(config, 11);
      const got = cloneArenas(ref);
      const chunk = chunkFor(config, s.B, s.T, 12);
      const cRef = copyChunk(chunk);
      const cGot = copyChunk(chunk);
      const lossRef = jsBackend.open(config, ref).gradient(cRef, s.reduction);
      const lossGot = backend.open(config, got).gradient(cGot, s.reduction);
      // Loss: a mean of −log p summed in float64 from float32 logits (native) vs float64 logits (js).
      console.log(
        `${label(c)}: loss ${lossGot} vs ${lossRef} (rel ${relDiff(lossGot, lossRef).toExponential(2)})`,
      );
      expect(relDiff(lossGot, lossRef)).toBeLessThanOrEqual(1e-5);
      for (const t of tensors) {
        const v = (a: Float32Array) => a.subarray(t.offset, t.offset + t.size);
        compare(`${label(c)} d${t.name}`, v(got.grads), v(ref.grads), G_RTOL, G_ATOL);
      }
      // Carried state (h of every layer, c of an LSTM): T float32 steps vs float64; |h| ≤ 1 and |c| stays O(1)
      // here, so rounding stays near 1e-7 per step: 1e-5 absolute.
      compare(`${label(c)} carried state`, cGot.hidden, cRef.hidden, 0, 1e-5);
      // The mask stream: both drew T·ΣH·B floats (or none without dropout) from the same generator.
      expect(Array.from(cGot.rngState!)).toEqual(Array.from(cRef.rngState!));
      if (c.dropout > 0) expect(Array.from(cGot.rngState!)).not.toEqual(Array.from(chunk.rngState!));
      else expect(Array.from(cGot.rngState!)).toEqual(Array.from(chunk.rngState!));
    });

    it.runIf(run)('three consecutive trainChunk steps (Adam, clip-norm), sync and async agree', async () => {
      const ref = arenasFor(config, 21);
      const got = cloneArenas(ref);
      const gotAsync = cloneArenas(ref);
      const sRef = jsBackend.open(config, ref);
      const sGot = backend.open(config, got);
      const sAsync = backend.open(config, gotAsync);
      const cRef = chunkFor(config, 3, 16, 22);
      const cGot = copyChunk(cRef);
      const cAsync = copyChunk(cRef);
      for (let step = 1; step <= 3; step++) {
        const r = sGot.trainChunk(cGot, W3_HYPER(step));
        const rr = sRef.trainChunk(cRef, W3_HYPER(step));
        const ra = await sAsync.trainChunkAsync(cAsync, W3_HYPER(step));
        // Loss 1e-5 relative (as above); gradNorm is a float64 sum of squares dominated by the largest
        // elements, each within 1e-4·max|g|: 1e-4 relative.
        expect(relDiff(r.loss, rr.loss), `loss step ${step}`).toBeLessThanOrEqual(1e-5);
        expect(relDiff(r.gradNorm, rr.gradNorm), `gradNorm step ${step}`).toBeLessThanOrEqual(1e-4);
        expect(r.gradNorm, 'clip-norm 0.1 is active').toBeGreaterThan(0.1);
        compare(`${label(c)} step ${step} grads`, got.grads, ref.grads, G_RTOL, G_ATOL);
        // The async path runs the same code on the same inputs off the main thread: bit-identical.
        expect(ra).toEqual(r);
        expect(gotAsync.params).toEqual(got.params);
        expect(Array.from(cAsync.hidden)).toEqual(Array.from(cGot.hidden));
        expect(Array.from(cAsync.rngState!)).toEqual(Array.from(cGot.rngState!));
      }
      // Parameters after 3 Adam steps: Adam divides by √(m2) ≈ |g|, so a gradient element near 0 turns its
      // 1e-4·max|g| rounding into up to lr·O(1) in its step: 3 steps × lr absolute.
      compare(`${label(c)} params after 3 steps`, got.params, ref.params, 0, 3 * 2e-3);
      compare(`${label(c)} optimizer state after 3 steps`, got.optState, ref.optState, 1e-3, 1e-9);
      // The state carried over 3 chunks of 16 steps, under weights within 3·lr: 1e-4 absolute.
      compare(`${label(c)} carried state after 3 steps`, cGot.hidden, cRef.hidden, 0, 1e-4);
      expect(Array.from(cGot.rngState!)).toEqual(Array.from(cRef.rngState!));
    });

    it.runIf(run)('evaluate: from zero and from a given state, over more than one native block', () => {
      const a = arenasFor(config, 31);
      const rng = new Rng(32);
      const ids = Int32Array.from({ length: 300 }, () => rng.nextU32() % config.vocabSize);
      const h0 = new Float32Array(stateSize(config, 1)).map(() => rng.nextFloat() - 0.5);
      const h0Copy = h0.slice();
      const sRef = jsBackend.open(config, a);
      const sGot = backend.open(config, a);
      // 300 ids: native blocks of 128, 128 and 43 positions (≥ V: layer 0 through the input table); 140: the last
      // block has 11 < V positions (the direct path after table blocks, sharing one reserved workspace).
      for (const n of [300, 140])
        for (const hidden of [undefined, h0]) {
          const r = sRef.evaluate(ids.subarray(0, n), hidden);
          const g = sGot.evaluate(ids.subarray(0, n), hidden);
          // n − 1 float32 steps vs float64, summed in float64: 1e-5 relative on the total.
          expect(g.count).toBe(n - 1);
          expect(
            relDiff(g.totalNats, r.totalNats),
            `totalNats ${g.totalNats} vs ${r.totalNats}`,
          ).toBeLessThanOrEqual(1e-5);
        }
      expect(h0).toEqual(h0Copy); // a given state is copied, never written
      // evaluate() scores the same forward pass as gradient() without dropout masks drawn.
      if (c.dropout === 0) {
        const chunk = {
          inputs: ids.subarray(0, 299),
          targets: ids.subarray(1, 300),
          batch: 1,
          steps: 299,
          hidden: new Float32Array(stateSize(config, 1)),
        };
        expect(relDiff(sGot.gradient(chunk, 'mean'), sGot.evaluate(ids).totalNats / 299)).toBeLessThanOrEqual(
          1e-6,
        );
      }
    });

    it.runIf(run)('step: distributions and state within 1e-5 at several temperatures', () => {
      const a = arenasFor(config, 41);
      const sRef = jsBackend.open(config, a);
      const sGot = backend.open(config, a);
      const hRef = new Float32Array(stateSize(config, 1));
      const hGot = hRef.slice();
      const pRef = new Float32Array(config.vocabSize);
      const pGot = new Float32Array(config.vocabSize);
      for (const temperature of [1, 0.5, 2, 1e-3]) {
        for (const tok of [3, 0, 28, 7, 7, 15]) {
          sRef.step(hRef, tok, pRef, temperature);
          sGot.step(hGot, tok, pGot, temperature);
          // Probabilities in [0, 1] from float32 logits: 1e-5 absolute (the issue's bound); state likewise.
          compare(`${label(c)} step T=${temperature} probs`, pGot, pRef, 0, 1e-5);
          compare(`${label(c)} step T=${temperature} state`, hGot, hRef, 0, 1e-5);
        }
      }
    });

    it.runIf(run)('sample: identical ids and rng state to the JS backend from the same seed', () => {
      const a = arenasFor(config, 51);
      const prime = Int32Array.from([1, 2, 3, 5, 8]);
      const request = (greedy: boolean) => ({
        hidden: new Float32Array(stateSize(config, 1)),
        prime,
        length: 120,
        temperature: 0.9,
        greedy,
        rngState: new Rng(52).state,
      });
      for (const greedy of [false, true]) {
        const qRef = request(greedy);
        const qGot = request(greedy);
        const ref = jsBackend.open(config, a).sample(qRef);
        const got = backend.open(config, a).sample(qGot);
        expect(Array.from(got)).toEqual(Array.from(ref));
        expect(Array.from(qGot.rngState)).toEqual(Array.from(qRef.rngState));
        compare(`${label(c)} sample final state`, qGot.hidden, qRef.hidden, 0, 1e-5);
        if (!greedy) expect(new Set(got).size).toBeGreaterThan(5);
      }
      // The draw rule itself, on this backend's own distributions: exact (draw.ts is what both implement).
      const s = backend.open(config, a);
      const q = request(false);
      const tokens = s.sample(q);
      const h = new Float32Array(stateSize(config, 1));
      const probs = new Float32Array(config.vocabSize);
      const r = new Rng(52);
      for (const tok of prime) s.step(h, tok, probs, 0.9);
      for (let i = 0; i < tokens.length; i++) {
        const tok = drawFromProbs(probs, r);
        expect(tokens[i], `token ${i}`).toBe(tok);
        s.step(h, tok, probs, 0.9);
      }
      expect(Array.from(q.rngState)).toEqual(Array.from(r.state));
      expect(Array.from(q.hidden)).toEqual(Array.from(h));
    });
  });
});

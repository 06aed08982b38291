// Gradient check of the 'classify' and 'tag' models: every cell × {uni, bi} × {classify (last, mean, max), tag} ×
// {all full length, masked: padded sequences}, plus 2 layers with an embedding and dropout, class weights, and a
// negative control (a wrong gradient is caught). Task 'lm' is the stacked suite (./cells.test.ts): a bidirectional
// language model is refused by the config (its reverse direction would read the token it predicts).
import { afterAll, describe, expect, it } from 'vitest';
import type {
  Arenas,
  Backend,
  BackendSession,
  SequenceBatch,
  SequenceLossOptions,
} from '../../src/backends/backend.js';
import { FLAVOURS, flavourRunner } from '../helpers/parity.js';
import {
  resolveModelConfig,
  type CellKind,
  type ModelConfig,
  type ModelConfigInput,
} from '../../src/model/config.js';
import { layoutFor } from '../../src/model/spec.js';
import { Rng } from '../../src/util/rng.js';
import { seededArenas } from '../helpers/model.js';
import { seededBatch } from '../helpers/seq.js';

// The stacked suite's bounds (./cells.test.ts, where they are justified): JS computes in float64, so only the central
// difference's truncation error remains; native float32 losses carry ≈ 1e-7 relative rounding noise, hence a larger
// step and bound — still well below what a dropped term or a 1% error in one element produces (the negative control
// runs on every flavour with the same bounds).
const TOL_F64 = { eps: 1e-3, atol: 1e-6, rtol: 1e-4 };
const TOL_F32 = { eps: 1e-2, atol: 2e-5, rtol: 2e-3 };
const TOL_F32_MAX = { eps: 1e-3, atol: 2e-4, rtol: 2e-3 };
type Tol = typeof TOL_F64;

const RNG_SEED = 77;

function seqGradCheck(
  TOL: Tol,
  session: BackendSession,
  config: ModelConfig,
  arenas: Arenas,
  batch: SequenceBatch,
  options: SequenceLossOptions,
  analytic: Float32Array,
): { name: string; maxAbsErr: number; ok: boolean }[] {
  const p = arenas.params;
  // the same dropout masks for every evaluation: a fresh copy of one mask stream each time
  const loss = () => session.sequenceGradient(batch, options, new Rng(RNG_SEED).state);
  return layoutFor(config).tensors.map((t) => {
    let maxAbsErr = 0;
    let ok = true;
    for (let k = 0; k < t.size; k++) {
      const i = t.offset + k;
      const orig = p[i];
      p[i] = orig + TOL.eps;
      const up = p[i];
      const lp = loss();
      p[i] = orig - TOL.eps;
      const down = p[i];
      const lm = loss();
      p[i] = orig;
      const numeric = (lp - lm) / (up - down);
      const abs = Math.abs(analytic[i] - numeric);
      maxAbsErr = Math.max(maxAbsErr, abs);
      if (!(abs <= TOL.atol + TOL.rtol * Math.abs(numeric))) ok = false;
    }
    return { name: t.name, maxAbsErr, ok };
  });
}

function run(
  backend: Backend,
  TOL: Tol,
  input: Omit<ModelConfigInput, 'vocabSize'>,
  masked: boolean,
  options: SequenceLossOptions = {},
) {
  const config = resolveModelConfig({
    vocabSize: 5,
    numClasses: 3,
    ...(input.hiddenSizes ? {} : { hiddenSize: 3 }),
    ...input,
  });
  const arenas = seededArenas(config);
  const session = backend.open(config, arenas);
  const batch = seededBatch(config, 3, 5, 4, !masked);
  session.sequenceGradient(batch, options, new Rng(RNG_SEED).state);
  const analytic = arenas.grads.slice();
  return {
    config,
    arenas,
    session,
    batch,
    analytic,
    reports: seqGradCheck(TOL, session, config, arenas, batch, options, analytic),
  };
}

const cells: CellKind[] = ['rnn', 'lstm', 'gru'];
const heads = [
  { task: 'classify', pooling: 'last' },
  { task: 'classify', pooling: 'mean' },
  { task: 'classify', pooling: 'max' },
  { task: 'tag', pooling: 'last' },
] as const;
const cases = cells.flatMap((cell) =>
  [false, true].flatMap((bidirectional) =>
    heads.flatMap((h) => [false, true].map((masked) => ({ cell, bidirectional, ...h, masked }))),
  ),
);

describe.each(FLAVOURS)('gradient check, $name backend, classify and tag', (flavour) => {
  const { run: runs, backend: pick, restore } = flavourRunner(flavour);
  const TOL = flavour.isa ? TOL_F32 : TOL_F64;
  afterAll(restore);

  it.runIf(runs).each(cases)(
    '$cell bidirectional=$bidirectional $task/$pooling masked=$masked',
    ({ cell, bidirectional, task, pooling, masked }) => {
      // Max pooling is not differentiable where two steps tie: native's larger step (1e-2) crosses such switches, so
      // it takes a smaller one there, with the float32 noise that brings (≈ 1e-7 / 2e-3 ≈ 5e-5) in the bound.
      const tol = flavour.isa && pooling === 'max' ? TOL_F32_MAX : TOL;
      const { config, reports } = run(pick(), tol, { cell, bidirectional, task, pooling }, masked);
      expect(reports.map((r) => r.name)).toEqual(layoutFor(config).tensors.map((t) => t.name));
      expect(reports.filter((r) => !r.ok)).toEqual([]);
    },
  );

  it.runIf(runs).each(cells)(
    '%s: 2 bidirectional layers of different widths, embedding, dropout, class weights',
    (cell) => {
      for (const task of ['classify', 'tag'] as const) {
        const { reports } = run(
          pick(),
          TOL,
          { cell, bidirectional: true, task, hiddenSizes: [3, 2], embeddingSize: 2, dropout: 0.3 },
          true,
          { classWeights: Float32Array.of(0.5, 2, 1) },
        );
        expect(reports.filter((r) => !r.ok)).toEqual([]);
      }
    },
  );

  it.runIf(runs)('catches a wrong gradient (negative control)', () => {
    const { session, config, arenas, batch, analytic } = run(
      pick(),
      TOL,
      { cell: 'lstm', bidirectional: true, task: 'classify' },
      true,
    );
    // 1% off in the largest element of the reverse direction's recurrent weights must fail the check
    const t = layoutFor(config).get('rnn.weight_hh_l0_reverse');
    let k = t.offset;
    for (let i = t.offset; i < t.offset + t.size; i++)
      if (Math.abs(analytic[i]) > Math.abs(analytic[k])) k = i;
    const wrong = analytic.slice();
    wrong[k] *= 1.01;
    expect(Math.abs(analytic[k])).toBeGreaterThan(1e-3);
    const reports = seqGradCheck(TOL, session, config, arenas, batch, {}, wrong);
    expect(reports.filter((r) => !r.ok).map((r) => r.name)).toEqual(['rnn.weight_hh_l0_reverse']);
  });
});

// Gradient check of the stacked/gated models on every backend flavour (js, native-scalar, native-avx2/512): every
// cell × {1, 2 layers} × {one-hot, embedding} × {no dropout, dropout with masks fixed by a fixed rng state},
// every tensor against central differences, plus sensitivity checks that a dropped or wrong term is caught.
import { afterAll, describe, expect, it } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { resolveModelConfig, type CellKind } from '../../src/model/config.js';
import { layoutFor } from '../../src/model/spec.js';
import { cloneChunk, seededArenas, seededChunk } from '../helpers/model.js';
import { FLAVOURS, flavourRunner } from '../helpers/parity.js';
import { gradCheck, truncatedGradient } from './gradcheck.js';

// Same tolerances as the vanilla suite (test/gradcheck/rnn.test.ts, where they are justified). JS (float64):
// only the central difference's truncation error (≈ 1e-7) remains. Native (float32): each loss carries ≈ 1e-7
// relative rounding noise, so the step is larger (eps = 1e-2, truncation ≈ 1e-5) and the bound is 2e-5 absolute
// + 2e-3 relative — still 10× below what a dropped through-time term or a 1% error in one element produces
// (the sensitivity checks below run on every flavour with the same bounds).
const TOL_F64 = { eps: 1e-3, atol: 1e-6, rtol: 1e-4 };
const TOL_F32 = { eps: 1e-2, atol: 2e-5, rtol: 2e-3 };

const cells: CellKind[] = ['rnn', 'lstm', 'gru'];
const cases = cells.flatMap((cell) =>
  [1, 2].flatMap((layers) =>
    [0, 4].flatMap((embeddingSize) => [0, 0.3].map((dropout) => ({ cell, layers, embeddingSize, dropout }))),
  ),
);

function configFor(c: { cell: CellKind; layers: number; embeddingSize: number; dropout: number }) {
  // Two layers get different widths, so per-layer shapes are exercised too.
  return resolveModelConfig({
    cell: c.cell,
    vocabSize: 5,
    hiddenSizes: c.layers === 1 ? [4] : [4, 3],
    embeddingSize: c.embeddingSize,
    dropout: c.dropout,
  });
}

describe.each(FLAVOURS)('gradient check, $name backend, stacked and gated cells', (flavour) => {
  const { run, backend: pick, restore } = flavourRunner(flavour);
  const TOL = flavour.isa ? TOL_F32 : TOL_F64;
  let backend: Backend;
  const open = (config: ReturnType<typeof configFor>, arenas: ReturnType<typeof seededArenas>) => {
    backend ??= pick();
    return backend.open(config, arenas);
  };
  afterAll(restore);

  function check(config: ReturnType<typeof configFor>, B = 2, T = 6) {
    const arenas = seededArenas(config);
    const session = open(config, arenas);
    const chunk = seededChunk(config, B, T);
    session.gradient(cloneChunk(chunk), 'mean');
    const analytic = arenas.grads.slice();
    return {
      session,
      arenas,
      chunk,
      analytic,
      reports: gradCheck(session, config, arenas, chunk, analytic, TOL),
    };
  }

  it.runIf(run).each(cases)(
    'cell $cell, $layers layer(s), embedding $embeddingSize, dropout $dropout',
    ({ cell, layers, embeddingSize, dropout }) => {
      const config = configFor({ cell, layers, embeddingSize, dropout });
      const { reports } = check(config);
      const worst = reports.reduce((m, r) => Math.max(m, r.maxAbsErr), 0);
      console.log(
        `${flavour.name} ${cell} L=${layers} E=${embeddingSize} p=${dropout}: max abs err ${worst.toExponential(2)}`,
      );
      expect(reports.map((r) => r.name)).toEqual(layoutFor(config).tensors.map((t) => t.name));
      expect(reports.filter((r) => !r.ok)).toEqual([]);
    },
  );

  it.runIf(run)('matches for a 2-layer ReLU RNN with an embedding and dropout', () => {
    const config = resolveModelConfig({
      cell: 'rnn',
      activation: 'relu',
      vocabSize: 5,
      hiddenSizes: [5, 4],
      embeddingSize: 3,
      dropout: 0.2,
    });
    expect(check(config).reports.filter((r) => !r.ok)).toEqual([]);
  });

  it.runIf(run)('draws the same masks for the same rng state, and advances it', () => {
    const config = configFor({ cell: 'lstm', layers: 2, embeddingSize: 0, dropout: 0.5 });
    const arenas = seededArenas(config);
    const session = open(config, arenas);
    const chunk = seededChunk(config, 2, 6);
    const a = cloneChunk(chunk);
    const b = cloneChunk(chunk);
    expect(session.gradient(a, 'mean')).toBe(session.gradient(b, 'mean'));
    expect(Array.from(a.rngState!)).toEqual(Array.from(b.rngState!));
    expect(Array.from(a.rngState!)).not.toEqual(Array.from(chunk.rngState!));
    // a different mask stream gives a different loss
    expect(session.gradient(cloneChunk(a), 'mean')).not.toBe(session.gradient(cloneChunk(chunk), 'mean'));
  });

  describe('sensitivity (LSTM)', () => {
    const config = configFor({ cell: 'lstm', layers: 2, embeddingSize: 4, dropout: 0 });

    it.runIf(run)('fails when the through-time terms (dh_next, dc_next) are dropped', () => {
      const arenas = seededArenas(config);
      const session = open(config, arenas);
      const chunk = seededChunk(config, 1, 8);
      const truncated = truncatedGradient(session, config, arenas, chunk);
      const reports = gradCheck(session, config, arenas, chunk, truncated, TOL);
      const failed = reports.filter((r) => !r.ok).map((r) => r.name);
      expect(failed).toContain('rnn.weight_hh_l0');
      expect(failed).toContain('rnn.weight_hh_l1');
      expect(failed).toContain('rnn.weight_ih_l0');
      expect(failed).not.toContain('decoder.weight'); // the decoder has no through-time term
    });

    it.runIf(run)('fails when one forget-gate bias gradient is 1% off', () => {
      const { session, arenas, chunk, analytic } = check(config);
      const b = layoutFor(config).get('rnn.bias_hh_l1');
      // The largest element of the f slice (units 3..5, H_1 = 3), so that 1% of it exceeds the float32 bound
      // (2e-5 + 2e-3·|g|) as well as the float64 one.
      let k = b.offset + 3;
      for (let i = k + 1; i < b.offset + 6; i++) if (Math.abs(analytic[i]) > Math.abs(analytic[k])) k = i;
      expect(0.01 * Math.abs(analytic[k])).toBeGreaterThan(2 * (TOL.atol + TOL.rtol * Math.abs(analytic[k])));
      analytic[k] *= 1.01;
      const reports = gradCheck(session, config, arenas, chunk, analytic, TOL);
      expect(reports.filter((r) => !r.ok).map((r) => r.name)).toEqual(['rnn.bias_hh_l1']);
    });
  });
});

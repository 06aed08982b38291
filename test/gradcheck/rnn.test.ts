// Gradient check of the vanilla RNN's BPTT: analytic gradients vs central differences, every tensor.
import { describe, expect, it } from 'vitest';
import { jsBackend } from '../../src/backends/js/index.js';
import { layoutFor } from '../../src/model/layout.js';
import { cloneChunk, seededArenas, seededChunk, smallConfig } from '../helpers/model.js';
import { gradCheck } from './gradcheck.js';

// eps = 1e-3 on float32 parameters: the loss is evaluated in float64, so the central difference's
// truncation error is O(eps²·f''') ≈ 1e-7 and its rounding error ≈ 1e-16/1e-3; analytic and numeric
// gradients must agree to 1e-6 absolute + 1e-4 relative. Dropping any BPTT term gives errors ≥ 1e-3.
const TOL = { eps: 1e-3, atol: 1e-6, rtol: 1e-4 };

describe.each([
  { B: 1, T: 10 },
  { B: 3, T: 10 },
])('gradient check, js backend, B=$B T=$T', ({ B, T }) => {
  it('matches central differences for every parameter tensor', () => {
    const config = smallConfig(7, 5);
    const arenas = seededArenas(config);
    const session = jsBackend.open(config, arenas);
    const chunk = seededChunk(config, B, T);
    session.gradient(cloneChunk(chunk), 'mean');
    const analytic = arenas.grads.slice();
    const reports = gradCheck(session, config, arenas, chunk, analytic, TOL);
    for (const r of reports)
      console.log(
        `${r.name}: max abs err ${r.maxAbsErr.toExponential(2)}, max rel ${r.maxRelErr.toExponential(2)}`,
      );
    expect(reports.map((r) => r.name)).toEqual(['Wxh', 'Whh', 'bh', 'Why', 'by']);
    expect(reports.filter((r) => !r.ok)).toEqual([]);
  });
});

describe('gradient check sensitivity', () => {
  it('fails when the recurrent (through-time) term is dropped', () => {
    // Truncating BPTT to one step drops every dh_next contribution: emulate it with T 1-step chunks.
    const config = smallConfig(7, 5);
    const arenas = seededArenas(config);
    const session = jsBackend.open(config, arenas);
    const chunk = seededChunk(config, 1, 10);
    const P = layoutFor(config).size;
    const truncated = new Float32Array(P);
    const hidden = chunk.hidden.slice();
    for (let t = 0; t < chunk.steps; t++) {
      const one = {
        inputs: chunk.inputs.subarray(t, t + 1),
        targets: chunk.targets.subarray(t, t + 1),
        batch: 1,
        steps: 1,
        hidden,
      };
      session.gradient(one, 'mean');
      for (let i = 0; i < P; i++) truncated[i] += arenas.grads[i] / chunk.steps;
    }
    const reports = gradCheck(session, config, arenas, chunk, truncated, TOL);
    const failed = reports.filter((r) => !r.ok).map((r) => r.name);
    expect(failed).toContain('Whh');
    expect(failed).toContain('Wxh');
    expect(failed).not.toContain('Why'); // the output layer has no through-time term
  });

  it('fails when one tensor gradient is perturbed', () => {
    const config = smallConfig(7, 5);
    const arenas = seededArenas(config);
    const session = jsBackend.open(config, arenas);
    const chunk = seededChunk(config, 1, 10);
    session.gradient(cloneChunk(chunk), 'mean');
    const analytic = arenas.grads.slice();
    const bh = layoutFor(config).get('bh');
    analytic[bh.offset + 3] *= 1.01; // a 1% error in one bias element
    const reports = gradCheck(session, config, arenas, chunk, analytic, TOL);
    expect(reports.filter((r) => !r.ok).map((r) => r.name)).toEqual(['bh']);
  });
});

// Gradient check of the vanilla RNN's BPTT: analytic gradients vs central differences, every tensor.
import { afterAll, describe, expect, it } from 'vitest';
import { loadNative, nativeBackend } from '../../src/backends/native.js';
import { jsBackend } from '../../src/backends/js/index.js';
import { layoutFor } from '../../src/model/spec.js';
import { cloneChunk, seededArenas, seededChunk, smallConfig } from '../helpers/model.js';
import { gradCheck, truncatedGradient } from './gradcheck.js';

// JS backend (float64 arithmetic over float32 parameters): eps = 1e-3 keeps the central difference's
// truncation error O(eps²·f‴) ≈ 1e-7 and its rounding error ≈ 1e-16/1e-3, so analytic and numeric
// gradients must agree to 1e-6 absolute + 1e-4 relative. Dropping any BPTT term gives errors ≥ 1e-3.
const TOL = { eps: 1e-3, atol: 1e-6, rtol: 1e-4 };
// Native backend (float32 arithmetic): each loss carries ≈ 1e-7 relative rounding noise, so the step
// must be larger (eps = 1e-2, truncation ≈ 1e-5) and the tolerance is 2e-5 absolute + 2e-3 relative —
// still 10× below what a dropped term or a 1% error in one tensor produces.
const TOL_F32 = { eps: 1e-2, atol: 2e-5, rtol: 2e-3 };

const native = loadNative();
const supported = native.binding?.capabilities().supported ?? [];
const flavours = [
  { name: 'js', isa: undefined as string | undefined, tol: TOL },
  { name: 'native-scalar', isa: 'scalar', tol: TOL_F32 },
  { name: 'native-avx2', isa: 'avx2', tol: TOL_F32 },
  { name: 'native-avx512', isa: 'avx512', tol: TOL_F32 },
];

describe.each(flavours)('gradient check, $name backend', ({ name, isa, tol }) => {
  const available = isa === undefined || (native.binding !== undefined && supported.includes(isa));
  if (!available && isa === 'scalar' && process.env.CI)
    throw native.error ?? new Error('native addon missing');
  afterAll(() => {
    if (available && isa) native.binding!.setIsa(supported[0]);
  });

  it.each([
    { B: 1, T: 10 },
    { B: 3, T: 10 },
  ])('matches central differences for every parameter tensor (B=$B, T=$T)', ({ B, T }) => {
    if (!available) {
      console.log(`${name} unavailable on this machine`);
      return;
    }
    if (isa) native.binding!.setIsa(isa);
    const backend = isa ? nativeBackend() : jsBackend;
    const config = smallConfig(7, 5);
    const arenas = seededArenas(config);
    const session = backend.open(config, arenas);
    const chunk = seededChunk(config, B, T);
    session.gradient(cloneChunk(chunk), 'mean');
    const analytic = arenas.grads.slice();
    const reports = gradCheck(session, config, arenas, chunk, analytic, tol);
    for (const r of reports)
      console.log(
        `${name} B=${B}: ${r.name} max abs err ${r.maxAbsErr.toExponential(2)}, max rel ${r.maxRelErr.toExponential(2)}`,
      );
    expect(reports.map((r) => r.name)).toEqual(['Wxh', 'Whh', 'bh', 'Why', 'by']);
    expect(reports.filter((r) => !r.ok)).toEqual([]);
  });
});

describe.each(flavours)('gradient check sensitivity, $name backend', ({ name, isa, tol }) => {
  const available = isa === undefined || (native.binding !== undefined && supported.includes(isa));
  const open = (config: ReturnType<typeof smallConfig>, arenas: ReturnType<typeof seededArenas>) => {
    if (isa) native.binding!.setIsa(isa);
    return (isa ? nativeBackend() : jsBackend).open(config, arenas);
  };
  afterAll(() => {
    if (available && isa) native.binding!.setIsa(supported[0]);
  });

  it('fails when the recurrent (through-time) term is dropped', () => {
    // Truncating BPTT to one step drops every dh_next contribution: emulate it with T 1-step chunks.
    const config = smallConfig(7, 5);
    const arenas = seededArenas(config);
    if (!available) return console.log(`${name} unavailable on this machine`);
    const session = open(config, arenas);
    const chunk = seededChunk(config, 1, 10);
    const truncated = truncatedGradient(session, config, arenas, chunk);
    const reports = gradCheck(session, config, arenas, chunk, truncated, tol);
    const failed = reports.filter((r) => !r.ok).map((r) => r.name);
    expect(failed).toContain('Whh');
    expect(failed).toContain('Wxh');
    expect(failed).not.toContain('Why'); // the output layer has no through-time term
  });

  it('fails when one tensor gradient is perturbed', () => {
    const config = smallConfig(7, 5);
    const arenas = seededArenas(config);
    if (!available) return console.log(`${name} unavailable on this machine`);
    const session = open(config, arenas);
    const chunk = seededChunk(config, 1, 10);
    session.gradient(cloneChunk(chunk), 'mean');
    const analytic = arenas.grads.slice();
    const bh = layoutFor(config).get('bh');
    analytic[bh.offset + 3] *= 1.01; // a 1% error in one bias element
    const reports = gradCheck(session, config, arenas, chunk, analytic, tol);
    expect(reports.filter((r) => !r.ok).map((r) => r.name)).toEqual(['bh']);
  });
});

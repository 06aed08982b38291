// Shared pieces of the parity suites: the backend flavours one test body runs over, and the array comparison
// that checks non-finite positions first and always prints the largest difference.
import { expect } from 'vitest';
import type { Backend } from '../../src/backends/backend.js';
import { jsBackend } from '../../src/backends/js/index.js';
import { loadNative, nativeBackend } from '../../src/backends/native.js';

export interface Flavour {
  name: string;
  /** Kernel path forced with setIsa (native flavours only). */
  isa?: string;
}

export const FLAVOURS: Flavour[] = [
  { name: 'js' },
  { name: 'native-scalar', isa: 'scalar' },
  { name: 'native-avx2', isa: 'avx2' },
  { name: 'native-avx512', isa: 'avx512' },
];

/**
 * Whether a flavour can run here (in CI a missing addon is an error, not a skip), and how to get its backend
 * (forcing the kernel path first) and restore the default path afterwards.
 */
export function flavourRunner(f: Flavour): { run: boolean; backend(): Backend; restore(): void } {
  const native = loadNative();
  const supported = native.binding?.capabilities().supported ?? [];
  const nativeMissing = f.isa !== undefined && !native.binding;
  const isaMissing = f.isa !== undefined && native.binding !== undefined && !supported.includes(f.isa);
  if (nativeMissing && process.env.CI) throw native.error ?? new Error('native addon missing');
  const run = !(nativeMissing || isaMissing);
  if (!run)
    console.log(`skipping ${f.name}: ${nativeMissing ? native.error?.message : `CPU lacks ${f.isa}`}`);
  return {
    run,
    backend() {
      if (!f.isa) return jsBackend;
      native.binding!.setIsa(f.isa);
      return nativeBackend();
    },
    restore() {
      if (run && f.isa) native.binding!.setIsa(supported[0]);
    },
  };
}

/**
 * Compare two float arrays: non-finite positions must agree exactly, then |a − b| ≤ atol + rtol·scale
 * where scale = max |ref| over the array (a per-tensor scale: gradients are sums whose rounding error is
 * proportional to the magnitude of the terms, not of the possibly cancelled result). Returns the max diff.
 */
export function compare(
  label: string,
  got: ArrayLike<number>,
  ref: ArrayLike<number>,
  rtol: number,
  atol: number,
): number {
  expect(got.length, `${label}: length`).toBe(ref.length);
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    const g = got[i];
    const r = ref[i];
    if (!Number.isFinite(g) || !Number.isFinite(r)) {
      expect(
        Object.is(g, r) || (Number.isNaN(g) && Number.isNaN(r)),
        `${label}: non-finite at ${i}: ${g} vs ${r}`,
      ).toBe(true);
      continue;
    }
    scale = Math.max(scale, Math.abs(r));
  }
  const tol = atol + rtol * scale;
  let maxDiff = 0;
  let worst = -1;
  for (let i = 0; i < ref.length; i++) {
    if (!Number.isFinite(ref[i])) continue;
    const d = Math.abs(got[i] - ref[i]);
    if (d > maxDiff) {
      maxDiff = d;
      worst = i;
    }
  }
  console.log(
    `${label}: max |diff| ${maxDiff.toExponential(2)} at ${worst} (tol ${tol.toExponential(2)}, scale ${scale.toExponential(2)})`,
  );
  expect(maxDiff, `${label}: max |diff| at index ${worst}`).toBeLessThanOrEqual(tol);
  return maxDiff;
}

export function relDiff(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-30);
}

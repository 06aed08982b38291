// The token draw rule shared by both backends.
import { describe, expect, it } from 'vitest';
import { argmax, drawFromProbs } from '../../src/sampling/draw.js';
import { Rng } from '../../src/util/rng.js';

describe('drawFromProbs', () => {
  it('follows the distribution (chi-square, fixed seed)', () => {
    const probs = new Float32Array([0.1, 0.2, 0.3, 0.4]);
    const rng = new Rng(11);
    const counts = [0, 0, 0, 0];
    const n = 40_000;
    for (let i = 0; i < n; i++) counts[drawFromProbs(probs, rng)]++;
    const chi2 = counts.reduce((acc, c, i) => acc + (c - n * probs[i]) ** 2 / (n * probs[i]), 0);
    expect(chi2).toBeLessThan(16.27); // p = 0.001 critical value, 3 degrees of freedom
  });

  it('never returns a zero-probability token and normalises unnormalised input', () => {
    const probs = new Float32Array([0, 2, 0, 2]);
    const rng = new Rng(5);
    for (let i = 0; i < 1000; i++) expect([1, 3]).toContain(drawFromProbs(probs, rng));
  });

  it('is the first index whose running sum exceeds u·total', () => {
    const probs = new Float32Array([0.25, 0.25, 0.25, 0.25]);
    const rng = new Rng(9);
    const u = rng.clone().nextFloat();
    expect(drawFromProbs(probs, rng)).toBe(Math.floor(u * 4));
  });
});

describe('argmax', () => {
  it('returns the first maximum', () => {
    expect(argmax(new Float32Array([1, 3, 3, 2]))).toBe(1);
    expect(argmax(new Float64Array([-1]))).toBe(0);
  });
});

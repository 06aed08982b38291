// The shared PRNG: xoshiro128** seeded by splitmix32, checked against an independent BigInt model.
import { describe, expect, it } from 'vitest';
import { MAX_SEED, Rng } from '../../src/util/rng.js';

const M32 = (1n << 32n) - 1n;
const rotl = (x: bigint, k: bigint) => ((x << k) | (x >> (32n - k))) & M32;

/** Straight from the reference C of xoshiro128** (Blackman & Vigna), in BigInt arithmetic. */
function referenceStream(state: bigint[], n: number): number[] {
  const s = [...state];
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const result = (rotl((s[1] * 5n) & M32, 7n) * 9n) & M32;
    const t = (s[1] << 9n) & M32;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11n);
    out.push(Number(result));
  }
  return out;
}

describe('Rng', () => {
  it('matches the reference xoshiro128** stream for arbitrary states', () => {
    const rng = new Rng(12345);
    const state = [...rng.state].map(BigInt);
    const expected = referenceStream(state, 1000);
    const got = Array.from({ length: 1000 }, () => rng.nextU32());
    expect(got).toEqual(expected);
  });

  it('seeds through splitmix32 deterministically and differently per seed', () => {
    expect([...new Rng(1).state]).toEqual([...new Rng(1).state]);
    expect([...new Rng(1).state]).not.toEqual([...new Rng(2).state]);
    // seed 0 must not give the all-zero (stuck) state
    expect([...new Rng(0).state].some((w) => w !== 0)).toBe(true);
  });

  it('nextFloat is in [0, 1) with 24-bit resolution and a uniform mean', () => {
    const rng = new Rng(7);
    let sum = 0;
    let bad = 0;
    for (let i = 0; i < 100_000; i++) {
      const u = rng.nextFloat();
      if (!(u >= 0 && u < 1) || !Number.isInteger(u * 2 ** 24)) bad++;
      sum += u;
    }
    expect(bad).toBe(0);
    expect(Math.abs(sum / 100_000 - 0.5)).toBeLessThan(0.005);
  });

  it('clone continues the same stream independently', () => {
    const a = new Rng(3);
    a.nextU32();
    const b = a.clone();
    expect(b.nextU32()).toBe(a.nextU32());
  });

  it('rejects a non-integer seed and a wrong-length state', () => {
    expect(() => new Rng(1.5)).toThrow(TypeError);
    expect(() => new Rng(new Uint32Array(3))).toThrow(RangeError);
  });

  it('refuses seeds outside [0, 2³² − 1] instead of wrapping them onto smaller ones', () => {
    // Regression (issue 15, defect 9): --seed 4294967297 gave exactly the stream of --seed 1.
    for (const seed of [2 ** 32 + 1, 2 ** 32, -1, 2 ** 53])
      expect(() => new Rng(seed)).toThrow(
        `Expected an integer in [0, 4294967295] for seed but received ${seed}. HINT: seeds are 32-bit; a larger one would repeat a smaller one`,
      );
    expect(() => new Rng(-1)).toThrow(RangeError);
    const ends = [0, 1, MAX_SEED - 1, MAX_SEED].map((seed) => new Rng(seed).nextU32());
    expect(new Set(ends).size).toBe(4);
  });
});

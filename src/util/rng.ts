// The one PRNG of charrnn: xoshiro128** seeded by splitmix32, reproduced bit for bit in native/util/rng.h.
// Deliberately 32-bit only (Math.imul, >>> 0) so both languages agree exactly; no crypto use.

/** The largest seed: seeds are 32-bit, so every seed in [0, MAX_SEED] gives a different stream. */
export const MAX_SEED = 2 ** 32 - 1;

/** State is four uint32 words, held in a Uint32Array so the native side can advance it in place. */
export class Rng {
  readonly state: Uint32Array;

  constructor(seed: number | Uint32Array = 1) {
    this.state = new Uint32Array(4);
    if (seed instanceof Uint32Array) {
      if (seed.length !== 4)
        throw new RangeError(
          `Expected a Uint32Array of length 4 for rng state but received a Uint32Array of length ${seed.length}`,
        );
      this.state.set(seed);
      return;
    }
    if (typeof seed !== 'number' || !Number.isInteger(seed))
      throw new TypeError(`Expected an integer for seed but received ${String(seed)}`);
    // Seeds are 32-bit: a larger or negative one would silently repeat a smaller one (2³² + 1 seeded like 1).
    if (seed < 0 || seed > MAX_SEED)
      throw new RangeError(
        `Expected an integer in [0, ${MAX_SEED}] for seed but received ${seed}. HINT: seeds are 32-bit; a larger one would repeat a smaller one`,
      );
    // splitmix32 over the seed fills the state; never all-zero.
    let x = seed >>> 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      z = (z ^ (z >>> 16)) >>> 0;
      this.state[i] = z;
    }
    if ((this.state[0] | this.state[1] | this.state[2] | this.state[3]) === 0) this.state[0] = 1;
  }

  /** Next uint32 (xoshiro128**). */
  nextU32(): number {
    const s = this.state;
    const s0 = s[0],
      s1 = s[1],
      s2 = s[2],
      s3 = s[3];
    const m = Math.imul(s1, 5);
    const r = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = (s1 << 9) >>> 0;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = (n3 << 11) | (n3 >>> 21);
    return r;
  }

  /** Uniform float in [0, 1) with 24 random bits: exactly representable in float32 and float64. */
  nextFloat(): number {
    return (this.nextU32() >>> 8) * 5.9604644775390625e-8; // 2^-24
  }

  /** Standard normal (Box–Muller, TS only: used for initialisation, never needed natively). */
  nextGaussian(): number {
    let u = this.nextFloat();
    while (u === 0) u = this.nextFloat();
    const v = this.nextFloat();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** Independent copy of this generator. */
  clone(): Rng {
    return new Rng(new Uint32Array(this.state));
  }
}

// Train / validation / test splits of a list of examples by fraction, seeded: the same seed and the same examples
// in the same order give the same split on every machine (the project's PRNG, an unbiased Fisher–Yates shuffle).
// Deliberately not stratified and no de-duplication: the split is of the examples as given.
import { Rng } from '../util/rng.js';
import { numberInRange, rangeError, typeError } from '../util/validate.js';

export interface SplitFractions {
  /** Fraction of the examples for validation, in [0, 1). */
  readonly valid: number;
  /** Fraction of the examples for testing, in [0, 1). */
  readonly test: number;
}

export interface Split<T> {
  readonly train: T[];
  readonly valid: T[];
  readonly test: T[];
}

/** A uniform integer in [0, n) from `rng`, without modulo bias (n ≤ 2³²). */
export function randomBelow(rng: Rng, n: number): number {
  const limit = 2 ** 32 - (2 ** 32 % n);
  let x = rng.nextU32();
  while (x >= limit) x = rng.nextU32();
  return x % n;
}

/** Shuffle `items` in place (Fisher–Yates over `rng`) and return it. */
export function shuffleInPlace<T>(items: T[], rng: Rng): T[] {
  for (let i = items.length - 1; i > 0; i--) {
    const j = randomBelow(rng, i + 1);
    const t = items[i];
    items[i] = items[j];
    items[j] = t;
  }
  return items;
}

/**
 * Parse a split written as percentages or fractions `TRAIN/VALID/TEST` ("80/10/10", "0.8/0.1/0.1") or
 * `TRAIN/VALID` ("90/10": no test part). The parts must add up to 100 (or 1).
 */
export function parseSplit(text: string, name = '--split'): SplitFractions {
  if (typeof text !== 'string') typeError('a string such as "80/10/10"', name, text);
  const parts = text.split('/').map((p) => (p.trim() === '' ? NaN : Number(p)));
  if ((parts.length !== 2 && parts.length !== 3) || parts.some((p) => !Number.isFinite(p) || p < 0))
    rangeError('TRAIN/VALID[/TEST] with non-negative numbers, such as 80/10/10', name, text);
  const total = parts.reduce((a, b) => a + b, 0);
  const scale = Math.abs(total - 100) < 1e-9 ? 100 : Math.abs(total - 1) < 1e-9 ? 1 : NaN;
  if (Number.isNaN(scale)) rangeError('parts that add up to 100 (or 1)', name, text);
  if (parts[0] <= 0) rangeError('a training part above 0', name, text);
  return { valid: parts[1] / scale, test: (parts[2] ?? 0) / scale };
}

/**
 * Split `examples` (not modified) into train, valid and test: a seeded shuffle of their indices, then
 * round(n·valid) for validation, round(n·test) for testing and the rest for training, each part in the shuffled
 * order. Throws when the training part would be empty.
 */
export function splitByFraction<T>(
  examples: readonly T[],
  fractions: SplitFractions,
  seed: number,
): Split<T> {
  if (!Array.isArray(examples)) typeError('an array of examples', 'examples', examples);
  const valid = numberInRange('valid fraction', fractions.valid, 0, 1, true);
  const test = numberInRange('test fraction', fractions.test, 0, 1, true);
  const n = examples.length;
  const nValid = Math.round(n * valid);
  const nTest = Math.round(n * test);
  if (n - nValid - nTest < 1)
    rangeError(
      'at least one training example after the split',
      'the data',
      `${n} examples`,
      'use more data or smaller validation/test fractions',
    );
  const order = shuffleInPlace(
    Array.from({ length: n }, (_, i) => i),
    new Rng(seed),
  );
  const pick = (from: number, to: number) => order.slice(from, to).map((i) => examples[i]);
  return { valid: pick(0, nValid), test: pick(nValid, nValid + nTest), train: pick(nValid + nTest, n) };
}

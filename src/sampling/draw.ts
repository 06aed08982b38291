// Turning a next-token distribution into a token: the exact rule both backends implement (so it sits in
// src/sampling, below the backends).
// Deliberately nothing else (no temperature, no top-k): those shape `probs` before this runs.
import type { Rng } from '../util/rng.js';

/**
 * Ancestral draw: u = rng.nextFloat(); total = Σ probs (float64, index order); return the first i whose
 * float64 running sum exceeds u·total; if rounding leaves none, the last i with probs[i] > 0.
 * native/nn/sample.cc implements the same rule, so identical probs and rng state give identical tokens.
 */
export function drawFromProbs(probs: Float32Array, rng: Rng): number {
  const u = rng.nextFloat();
  let total = 0;
  for (let i = 0; i < probs.length; i++) total += probs[i];
  const target = u * total;
  let cum = 0;
  let last = -1;
  for (let i = 0; i < probs.length; i++) {
    const p = probs[i];
    cum += p;
    if (cum > target) return i;
    if (p > 0) last = i;
  }
  return last < 0 ? 0 : last;
}

/** First index of the maximum value (greedy decoding). */
export function argmax(values: Float32Array | Float64Array): number {
  let best = 0;
  let bestValue = values[0];
  for (let i = 1; i < values.length; i++) {
    if (values[i] > bestValue) {
      bestValue = values[i];
      best = i;
    }
  }
  return best;
}

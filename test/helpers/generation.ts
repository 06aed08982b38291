// Test helpers for generation: models with a fixed next-token distribution, the transform rule in float64
// (an independent re-statement of transform.ts), and a chi-square goodness-of-fit check.
import { CharRNN } from '../../src/charrnn.js';
import { resolveModelConfig } from '../../src/model/config.js';
import { layoutFor } from '../../src/model/spec.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import type { BackendChoice } from '../../src/backends/index.js';
import { loadNative } from '../../src/backends/native.js';

export const nativeAvailable = loadNative().binding !== undefined;
/** Backends to run a test body on: 'native' only when the addon is built (CI builds it). */
export const BACKENDS: ('js' | 'native')[] = nativeAvailable ? ['js', 'native'] : ['js'];

/**
 * A vanilla model whose every weight is 0 except the output bias: whatever the state, the next-token
 * distribution is softmax(logits / T). `chars` gives the vocabulary (one token per character, sorted).
 */
export function fixedDistributionModel(
  logits: number[],
  backend: BackendChoice,
  chars = 'abcdefghij',
): CharRNN {
  const vocabulary = Vocabulary.fromText(chars.slice(0, logits.length));
  const config = resolveModelConfig({ cell: 'rnn', hiddenSize: 4, vocabSize: logits.length });
  const tensors: Record<string, Float32Array> = {};
  for (const t of layoutFor(config).tensors) tensors[t.name] = new Float32Array(t.size);
  tensors.by = Float32Array.from(logits);
  return CharRNN.fromParameters(config, vocabulary, tensors, backend);
}

/** softmax(logits / T) in float64. */
export function softmax(logits: number[], T = 1): number[] {
  const m = Math.max(...logits);
  const e = logits.map((l) => Math.exp((l - m) / T));
  const s = e.reduce((a, b) => a + b, 0);
  return e.map((x) => x / s);
}

/** Keep the k largest (ties: lower index), renormalised. */
export function topK(p: number[], k: number): number[] {
  const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
  const keep = new Set(order.slice(0, k));
  return normalise(p.map((x, i) => (keep.has(i) ? x : 0)));
}

/** Keep the smallest prefix of the ranking whose mass reaches q, renormalised. */
export function topP(p: number[], q: number): number[] {
  const order = p.map((_, i) => i).sort((a, b) => p[b] - p[a] || a - b);
  const total = p.reduce((a, b) => a + b, 0);
  const keep = new Set<number>();
  let c = 0;
  for (const i of order) {
    keep.add(i);
    c += p[i];
    if (c >= q * total) break;
  }
  return normalise(p.map((x, i) => (keep.has(i) ? x : 0)));
}

export function normalise(p: number[]): number[] {
  const s = p.reduce((a, b) => a + b, 0);
  return p.map((x) => x / s);
}

/** Counts of each id in `ids`. */
export function histogram(ids: ArrayLike<number>, V: number): number[] {
  const c = new Array<number>(V).fill(0);
  for (let i = 0; i < ids.length; i++) c[ids[i]]++;
  return c;
}

/**
 * Pearson's chi-square statistic of `counts` against the distribution `q`, and the critical value at
 * significance 0.001 (Wilson–Hilferty approximation of the chi-square quantile). Categories with q = 0 must have
 * no counts at all (checked separately: `impossible`).
 */
export function chiSquare(
  counts: number[],
  q: number[],
): { stat: number; critical: number; impossible: number } {
  const n = counts.reduce((a, b) => a + b, 0);
  let stat = 0;
  let df = -1;
  let impossible = 0;
  for (let i = 0; i < q.length; i++) {
    if (q[i] === 0) {
      impossible += counts[i];
      continue;
    }
    const e = n * q[i];
    stat += (counts[i] - e) ** 2 / e;
    df++;
  }
  if (df < 1) return { stat, critical: 0, impossible };
  const z = 3.0902; // one-sided normal quantile at 0.999
  const a = 2 / (9 * df);
  const critical = df * (1 - a + z * Math.sqrt(a)) ** 3;
  return { stat, critical, impossible };
}

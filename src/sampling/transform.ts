// The one rule that turns a model's next-token distribution into the next token, with every generation
// option applied in a fixed order. Written to be ported operation for operation to C++ (native/nn/sample.cc):
// only float32 storage, float64 sums/products/divisions, comparisons and a total order for ties — no exp, log
// or pow, whose last bits differ between libms.
// Deliberately no softmax or temperature here: the backend's step() applies the temperature inside its softmax.
//
// THE RULE. Input: p[0..V), the float32 distribution from BackendSession.step at temperature T (T = 1 when
// greedy), and the history (the prime and every token generated so far). w ← p (float32), then in order:
//   1. banned:   w[i] = 0 for every banned id i.
//   2. repetition penalty θ > 1: for every distinct id i among the last `repetitionWindow` history tokens,
//                w[i] = float32(float64(w[i]) / θ). (On the distribution, not the logits: dividing a
//                probability by θ is subtracting ln θ from its logit, whatever the logit's sign.)
//   3. top-k (1 ≤ k < V): rank ids by w descending, ties by ascending id; w[i] = 0 for rank ≥ k.
//   4. top-p (0 < p < 1): same ranking; total = Σ w[i] in ascending id order (float64); walk the ranking
//                accumulating c (float64) and keep ids up to and including the first with c ≥ p · total
//                (float64 product); w = 0 for the rest. If no id reaches it (rounding), all are kept.
//   5. pick:     greedy → the first id with the largest w (argmax);
//                otherwise drawFromProbs(w, rng) (draw.ts: one rng.nextFloat(); the draw divides by Σ w
//                itself, so no explicit renormalisation is needed).
//   If Σ w = 0 after steps 1–4 (every token with probability left is banned, or underflowed to 0), the pick
//   is the first unbanned id with the largest p, and no random number is drawn.
// With no option set (no banned ids, θ = 1, k = 0, p = 1) w = p and the draw is exactly the backend's own
// sampling loop (BackendSession.sample), so both paths give the same tokens for the same seed.
import { MAX_SAMPLE_LENGTH } from '../model/config.js';
import { argmax, drawFromProbs } from './draw.js';
import type { Rng } from '../util/rng.js';
import { checkIds, describe } from '../util/validate.js';

/** Resolved transform options (see resolveGenerateOptions in options.ts). */
export interface TransformSpec {
  /** Ids that are never picked. */
  readonly banned: Int32Array;
  /** θ ≥ 1; 1 = off. */
  readonly repetitionPenalty: number;
  /** How many of the most recent history tokens the penalty looks at (≥ 1). */
  readonly repetitionWindow: number;
  /** k ≥ 0; 0 (or ≥ V) = off. */
  readonly topK: number;
  /** p in (0, 1]; 1 = off. */
  readonly topP: number;
}

export const NO_TRANSFORM: TransformSpec = Object.freeze({
  banned: new Int32Array(0),
  repetitionPenalty: 1,
  repetitionWindow: 64,
  topK: 0,
  topP: 1,
});

/** A TransformSpec as the backends receive it (the addon re-checks it the same way); V = vocabulary size. */
export function checkTransform(spec: TransformSpec, V: number): void {
  if (spec === null || typeof spec !== 'object')
    throw new TypeError(`Expected an object for transform but received ${describe(spec)}`);
  checkIds('banned', spec.banned, undefined, V);
  const theta = spec.repetitionPenalty;
  if (typeof theta !== 'number' || !Number.isFinite(theta) || theta < 1)
    throw new RangeError(
      `Expected a finite number ≥ 1 for repetitionPenalty but received ${describe(theta)}`,
    );
  const w = spec.repetitionWindow;
  if (typeof w !== 'number' || !Number.isInteger(w) || w < 1 || w > MAX_SAMPLE_LENGTH)
    throw new RangeError(
      `Expected an integer in [1, ${MAX_SAMPLE_LENGTH}] for repetitionWindow but received ${describe(w)}`,
    );
  const k = spec.topK;
  if (typeof k !== 'number' || !Number.isInteger(k) || k < 0 || k > 2 ** 31 - 1)
    throw new RangeError(`Expected an integer in [0, ${2 ** 31 - 1}] for topK but received ${describe(k)}`);
  const p = spec.topP;
  if (typeof p !== 'number' || !(p > 0 && p <= 1))
    throw new RangeError(`Expected a number in (0, 1] for topP but received ${describe(p)}`);
}

/** Whether the spec leaves the distribution unchanged (then the backend's whole sampling loop may run). */
export function isIdentity(spec: TransformSpec): boolean {
  return spec.banned.length === 0 && spec.repetitionPenalty === 1 && spec.topK === 0 && spec.topP === 1;
}

/** Applies a TransformSpec with scratch sized once per vocabulary. Not re-entrant. */
export class Transformer {
  /** The transformed weights of the last apply(). */
  readonly w: Float32Array;
  private readonly order: Int32Array;
  private readonly marked: Uint8Array;

  constructor(readonly V: number) {
    this.w = new Float32Array(V);
    this.order = new Int32Array(V);
    this.marked = new Uint8Array(V);
  }

  /**
   * Steps 1–4 of the rule into this.w. `history` holds the history tokens in history[0..historyLength);
   * only the last spec.repetitionWindow of them matter.
   */
  apply(
    p: Float32Array,
    spec: TransformSpec,
    history: ArrayLike<number>,
    historyLength: number,
  ): Float32Array {
    const V = this.V;
    const w = this.w;
    w.set(p);
    for (let j = 0; j < spec.banned.length; j++) w[spec.banned[j]] = 0;
    if (spec.repetitionPenalty !== 1) {
      const theta = spec.repetitionPenalty;
      const from = Math.max(0, historyLength - spec.repetitionWindow);
      const marked = this.marked;
      for (let j = from; j < historyLength; j++) {
        const id = history[j];
        if (marked[id]) continue;
        marked[id] = 1;
        w[id] = w[id] / theta; // float64 division, rounded to float32 by the store
      }
      for (let j = from; j < historyLength; j++) marked[history[j]] = 0;
    }
    const k = spec.topK > 0 && spec.topK < V ? spec.topK : 0;
    const topP = spec.topP;
    if (k === 0 && topP === 1) return w;
    const order = this.order;
    for (let i = 0; i < V; i++) order[i] = i;
    order.sort((a, b) => w[b] - w[a] || a - b);
    if (k > 0) for (let r = k; r < V; r++) w[order[r]] = 0;
    if (topP < 1) {
      let total = 0;
      for (let i = 0; i < V; i++) total += w[i];
      const target = topP * total;
      let c = 0;
      let keep = V;
      for (let r = 0; r < V; r++) {
        c += w[order[r]];
        if (c >= target) {
          keep = r + 1;
          break;
        }
      }
      for (let r = keep; r < V; r++) w[order[r]] = 0;
    }
    return w;
  }

  /** The whole rule: steps 1–5. Consumes one rng.nextFloat() unless greedy (or Σ w = 0). */
  pick(
    p: Float32Array,
    spec: TransformSpec,
    history: ArrayLike<number>,
    historyLength: number,
    greedy: boolean,
    rng: Rng,
  ): number {
    const w = this.apply(p, spec, history, historyLength);
    let total = 0;
    for (let i = 0; i < w.length; i++) total += w[i];
    if (total === 0) return this.fallback(p, spec);
    return greedy ? argmax(w) : drawFromProbs(w, rng);
  }

  /** The first unbanned id with the largest p (Σ w = 0 case). */
  private fallback(p: Float32Array, spec: TransformSpec): number {
    const w = this.w;
    w.set(p);
    for (let j = 0; j < spec.banned.length; j++) w[spec.banned[j]] = -1;
    return argmax(w);
  }
}

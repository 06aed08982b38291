// The token rule of src/sampling/transform.ts on hand-made distributions (order of steps, ties, edge cases), and
// its sampling statistics through whole models on every backend: chi-square against the transformed distribution.
import { describe, expect, it } from 'vitest';
import { NO_TRANSFORM, Transformer, isIdentity, type TransformSpec } from '../../src/sampling/transform.js';
import { Rng } from '../../src/util/rng.js';
import {
  BACKENDS,
  chiSquare,
  fixedDistributionModel,
  histogram,
  softmax,
  topK,
  topP,
} from '../helpers/generation.js';

const spec = (s: Partial<TransformSpec>): TransformSpec => ({ ...NO_TRANSFORM, ...s });
const f32 = (xs: number[]) => Float32Array.from(xs);

describe('Transformer.apply: the rule step by step', () => {
  it('leaves the distribution unchanged with no option set', () => {
    const p = f32([0.1, 0.4, 0.3, 0.2]);
    expect(isIdentity(NO_TRANSFORM)).toBe(true);
    expect(Array.from(new Transformer(4).apply(p, NO_TRANSFORM, [], 0))).toEqual(Array.from(p));
  });

  it('bans ids, then divides recent tokens once each by the penalty, within the window only', () => {
    const t = new Transformer(4);
    const p = f32([0.1, 0.4, 0.3, 0.2]);
    const w = t.apply(p, spec({ banned: Int32Array.of(1) }), [], 0);
    expect(Array.from(w)).toEqual([p[0], 0, p[2], p[3]]);
    // history 3, 3, 0, 2 with window 3: ids 3, 0, 2 penalised once each (3 appears twice but once in the window… and once outside).
    const w2 = t.apply(p, spec({ repetitionPenalty: 2, repetitionWindow: 3 }), [3, 3, 0, 2], 4);
    expect(Array.from(w2)).toEqual([
      Math.fround(p[0] / 2),
      p[1],
      Math.fround(p[2] / 2),
      Math.fround(p[3] / 2),
    ]);
    const w3 = t.apply(p, spec({ repetitionPenalty: 2, repetitionWindow: 2 }), [3, 3, 0, 2], 4);
    expect(Array.from(w3)).toEqual([Math.fround(p[0] / 2), p[1], Math.fround(p[2] / 2), p[3]]);
  });

  it('top-k keeps the k largest, ties going to the lower id', () => {
    const w = new Transformer(4).apply(f32([0.2, 0.3, 0.2, 0.3]), spec({ topK: 3 }), [], 0);
    expect(Array.from(w)).toEqual([Math.fround(0.2), Math.fround(0.3), 0, Math.fround(0.3)]);
  });

  it('top-p keeps the smallest ranked prefix that reaches p·total (the crossing id included)', () => {
    const t = new Transformer(4);
    const p = f32([0.1, 0.4, 0.3, 0.2]);
    expect(Array.from(t.apply(p, spec({ topP: 0.65 }), [], 0))).toEqual([0, p[1], p[2], 0]);
    expect(Array.from(t.apply(p, spec({ topP: 0.75 }), [], 0))).toEqual([0, p[1], p[2], p[3]]);
    expect(Array.from(t.apply(p, spec({ topP: 0.1 }), [], 0))).toEqual([0, p[1], 0, 0]);
  });

  it('applies penalty before top-k (a penalised favourite can drop out)', () => {
    const p = f32([0.5, 0.3, 0.2]);
    const w = new Transformer(3).apply(p, spec({ repetitionPenalty: 4, topK: 1 }), [0], 1);
    expect(Array.from(w)).toEqual([0, p[1], 0]);
  });

  it('pick: greedy is the first argmax and draws nothing; sampling draws once', () => {
    const t = new Transformer(4);
    const rng = new Rng(5);
    const before = rng.state.slice();
    expect(t.pick(f32([0.1, 0.4, 0.1, 0.4]), NO_TRANSFORM, [], 0, true, rng)).toBe(1);
    expect(Array.from(rng.state)).toEqual(Array.from(before));
    t.pick(f32([0.1, 0.4, 0.1, 0.4]), NO_TRANSFORM, [], 0, false, rng);
    const ref = new Rng(5);
    ref.nextU32();
    expect(Array.from(rng.state)).toEqual(Array.from(ref.state));
  });

  it('falls back to the most likely unbanned id when nothing is left to draw from', () => {
    const rng = new Rng(1);
    // p = [0, 1, 0] with id 1 banned: Σ w = 0, so the first unbanned id with the largest p (0) is picked.
    expect(
      new Transformer(3).pick(f32([0, 1, 0]), spec({ banned: Int32Array.of(1) }), [], 0, false, rng),
    ).toBe(0);
  });
});

describe.each(BACKENDS)('sampling statistics on the %s backend', (backend) => {
  const logits = [1.2, -0.3, 0.4, 2.0, 0.0, -1.1, 0.9, 1.6];
  const V = logits.length;
  const N = 30_000;
  const m = fixedDistributionModel(logits, backend);
  const check = (ids: Int32Array, q: number[]) => {
    expect(ids).toHaveLength(N);
    const { stat, critical, impossible } = chiSquare(histogram(ids, V), q);
    expect(impossible).toBe(0);
    expect(stat).toBeLessThanOrEqual(critical);
  };

  it.each([1, 0.5, 2])('temperature %s: the whole-loop and the step path match softmax(logits / T)', (T) => {
    const fast = m.generate({ prime: 'a', length: N, temperature: T, seed: 11 });
    check(fast.ids, softmax(logits, T));
    // The step path (forced by a stop sequence that never occurs) draws the very same tokens.
    const step = m.generate({ prime: 'a', length: N, temperature: T, seed: 11, stop: 'zz' });
    expect(step.ids).toEqual(fast.ids);
  });

  it.each([1, 3, 5])('top-k %s (T = 0.8) matches the renormalised top k', (k) => {
    check(
      m.generate({ prime: 'a', length: N, temperature: 0.8, topK: k, seed: 12 }).ids,
      topK(softmax(logits, 0.8), k),
    );
  });

  it.each([0.3, 0.6, 0.9])('top-p %s matches the renormalised nucleus', (q) => {
    check(m.generate({ prime: 'a', length: N, topP: q, seed: 13 }).ids, topP(softmax(logits), q));
  });

  it('a wrong target distribution is rejected by the same check (the test can fail)', () => {
    const ids = m.generate({ prime: 'a', length: N, seed: 14 }).ids;
    const { stat, critical } = chiSquare(histogram(ids, V), softmax(logits, 1.1));
    expect(stat).toBeGreaterThan(critical);
  });

  it('top-k 1 and temperature 0 are greedy decoding', () => {
    const greedy = m.generate({ prime: 'a', length: 50, greedy: true }).text;
    expect(greedy).toBe('d'.repeat(50)); // logit 2.0 is id 3 ('d')
    expect(m.generate({ prime: 'a', length: 50, temperature: 0 }).text).toBe(greedy);
    expect(m.generate({ prime: 'a', length: 50, topK: 1, seed: 3 }).text).toBe(greedy);
  });
});

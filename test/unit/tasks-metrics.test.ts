// The scores of the sequence tasks (src/tasks/metrics.ts): confusion matrix, accuracy, per-class P/R/F1,
// macro-F1, per-word tagging, and their text forms, checked against counts worked out by hand.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { ConfusionMatrix, TaggingScorer, confusionTable, metricsText } from '../../src/tasks/metrics.js';

describe('ConfusionMatrix', () => {
  it('gives the accuracy, per-class scores and macro-F1 of a worked example', () => {
    // truth → predicted: a→a ×3, a→b ×1, b→b ×2, b→a ×2; class c never occurs (left out of macro-F1).
    const m = new ConfusionMatrix(['a', 'b', 'c']);
    for (const [t, p] of [
      [0, 0],
      [0, 0],
      [0, 0],
      [0, 1],
      [1, 1],
      [1, 1],
      [1, 0],
      [1, 0],
    ])
      m.add(t, p);
    const j = m.toJSON();
    expect(j.count).toBe(8);
    expect(j.accuracy).toBe(5 / 8);
    expect(j.confusion).toEqual([
      [3, 1, 0],
      [2, 2, 0],
      [0, 0, 0],
    ]);
    const [a, b, c] = j.perClass;
    expect(a.precision).toBeCloseTo(3 / 5, 12);
    expect(a.recall).toBeCloseTo(3 / 4, 12);
    expect(a.f1).toBeCloseTo((2 * 0.6 * 0.75) / 1.35, 12);
    expect(b.precision).toBeCloseTo(2 / 3, 12);
    expect(b.recall).toBeCloseTo(1 / 2, 12);
    expect(c).toEqual({ label: 'c', precision: 0, recall: 0, f1: 0, support: 0, predicted: 0 });
    expect(j.macroF1).toBeCloseTo((a.f1 + b.f1) / 2, 12);
  });

  it('agrees with a direct count on random predictions (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })), { minLength: 1 }),
        (pairs) => {
          const m = new ConfusionMatrix(['w', 'x', 'y', 'z']);
          for (const [t, p] of pairs) m.add(t, p);
          const j = m.toJSON();
          expect(j.accuracy).toBeCloseTo(pairs.filter(([t, p]) => t === p).length / pairs.length, 12);
          expect(j.confusion.flat().reduce((s, v) => s + v, 0)).toBe(pairs.length);
          for (const s of j.perClass) expect(s.f1).toBeLessThanOrEqual(1);
          expect(j.perClass.reduce((s, c) => s + c.support, 0)).toBe(pairs.length);
        },
      ),
    );
  });

  it('refuses a class id outside the matrix', () => {
    expect(() => new ConfusionMatrix(['a', 'b']).add(0, 2)).toThrow(
      new RangeError('Expected a class id in [0, 1] for predicted class but received 2'),
    );
  });

  it('writes the matrix as aligned text, zeros as dots', () => {
    const m = new ConfusionMatrix(['Arabic', 'Greek']);
    m.add(0, 0);
    m.add(0, 0);
    m.add(1, 0);
    expect(confusionTable(m.toJSON())).toBe(
      ['true \\ predicted Arab Gree', 'Arabic              2    .', 'Greek               1    .'].join('\n'),
    );
    expect(metricsText(m.toJSON(), 'names')).toMatch(/^accuracy 66\.67% · macro-F1 0\.4000 · 3 names\n/);
  });
});

describe('TaggingScorer', () => {
  it('scores per character and per word (the first character of each word)', () => {
    const s = new TaggingScorer(['N', 'SPACE', 'V']);
    // "ab cd": truth N N SPACE V V, predicted N V SPACE N V; words start at 0 and 3.
    s.add([0, 0, 1, 2, 2], [0, 2, 1, 0, 2], [0, 3]);
    const j = s.toJSON();
    expect(j.chars.accuracy).toBe(3 / 5);
    expect(j.words!.count).toBe(2);
    expect(j.words!.accuracy).toBe(1 / 2);
    expect(j.words!.confusion[2]).toEqual([1, 0, 0]);
  });

  it('leaves words out when no sequence had any', () => {
    const s = new TaggingScorer(['N', 'V']);
    s.add([0, 1], [0, 1]);
    expect(s.toJSON()).toEqual({ chars: expect.objectContaining({ accuracy: 1 }) });
    expect(() => s.add([0], [0, 1])).toThrow(
      new RangeError('Expected 1 predictions (one per character) for predicted tags but received 2'),
    );
  });
});

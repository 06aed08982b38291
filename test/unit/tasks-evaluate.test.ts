// From logits to predictions, probabilities, cross-entropy and metrics (src/tasks/evaluate.ts), with a stand-in
// forward pass whose logits are worked out here, so the scoring is checked apart from any model.
import { describe, expect, it } from 'vitest';
import {
  argmaxAt,
  crossEntropyAt,
  evaluateSequences,
  topLabels,
  type SequenceForward,
} from '../../src/tasks/evaluate.js';
import { encodeSequences } from '../../src/tasks/batch.js';
import { LabelVocabulary } from '../../src/tasks/labels.js';
import { Vocabulary } from '../../src/text/vocabulary.js';

describe('argmaxAt, crossEntropyAt, topLabels', () => {
  const logits = Float32Array.of(9, 9, 0, 1, 2, 0);

  it('reads one row of C logits', () => {
    expect(argmaxAt(logits, 3, 3)).toBe(1);
    expect(argmaxAt(logits, 0, 3)).toBe(0); // ties: the first
    const lse = Math.log(Math.exp(0) + Math.exp(1) + Math.exp(2));
    expect(crossEntropyAt(logits, 2, 3, 0)).toBeCloseTo(lse - 0, 12);
    expect(crossEntropyAt(Float32Array.of(1000, 0), 0, 2, 1)).toBeCloseTo(1000, 9); // no overflow
  });

  it('gives the k most probable labels with softmax probabilities', () => {
    const labels = LabelVocabulary.fromLabels(['a', 'b', 'c']);
    const top = topLabels(Float32Array.of(0, 2, 1), 0, labels, 2);
    const z = 1 + Math.exp(2) + Math.exp(1);
    expect(top.map((t) => t.label)).toEqual(['b', 'c']);
    expect(top[0].probability).toBeCloseTo(Math.exp(2) / z, 12);
    expect(topLabels(Float32Array.of(0, 2, 1), 0, labels, 10)).toHaveLength(3);
  });
});

const vocab = Vocabulary.fromText('ab ');

describe('evaluateSequences', () => {
  it('scores a classifier: the class whose letter the text starts with wins', async () => {
    const labels = LabelVocabulary.fromLabels(['A', 'B']);
    const data = encodeSequences(
      [
        { text: 'ab', label: 'A' },
        { text: 'ba', label: 'B' },
        { text: 'b', label: 'A' }, // predicted B: wrong
      ],
      'classify',
      vocab,
      labels,
    );
    const a = vocab.idOf('a');
    const forward: SequenceForward = (batch) => {
      const out = new Float32Array(batch.B * 2);
      for (let b = 0; b < batch.B; b++) out[b * 2 + (batch.ids[b * batch.T] === a ? 0 : 1)] = 3;
      return out;
    };
    const r = await evaluateSequences(data, labels, forward, 2);
    expect(r.metrics.accuracy).toBeCloseTo(2 / 3, 12);
    expect(r.metrics.confusion).toEqual([
      [1, 1],
      [0, 1],
    ]);
    const ceRight = Math.log(1 + Math.exp(-3));
    expect(r.loss).toBeCloseTo((2 * ceRight + (ceRight + 3)) / 3, 9);
    expect(r.predictions.map((p) => p[0])).toEqual([0, 1, 1]);
  });

  it('scores a tagger per character and per word, never reading padded steps', async () => {
    const labels = LabelVocabulary.fromLabels(['A', 'B', 'SPACE']);
    const text = 'ab ba';
    const tags = ['A', 'A', 'SPACE', 'B', 'B'];
    const data = encodeSequences(
      [
        { text, labels: tags, wordStarts: [0, 3] },
        { text: 'a', labels: ['B'], wordStarts: [0] },
      ],
      'tag',
      vocab,
      labels,
    );
    const ids = { a: vocab.idOf('a'), b: vocab.idOf('b') };
    // Predict the tag of each character from the character itself: 'a' → A, 'b' → B, ' ' → SPACE; padding → NaN.
    const forward: SequenceForward = (batch) => {
      const out = new Float32Array(batch.B * batch.T * 3).fill(NaN);
      for (let b = 0; b < batch.B; b++)
        for (let t = 0; t < batch.lengths[b]; t++) {
          const id = batch.ids[b * batch.T + t];
          const at = (b * batch.T + t) * 3;
          out.fill(0, at, at + 3);
          out[at + (id === ids.a ? 0 : id === ids.b ? 1 : 2)] = 5;
        }
      return out;
    };
    const r = await evaluateSequences(data, labels, forward, 8);
    // chars: a→A ✓, b→B ✗ (truth A), ' ' ✓, b ✓, a ✗ (truth B); 'a' alone ✗ (truth B): 3 of 6.
    expect(r.chars!.accuracy).toBeCloseTo(3 / 6, 12);
    // words: "ab" (a → A ✓), "ba" (b → B ✓), "a" (A, truth B ✗).
    expect(r.words!.count).toBe(3);
    expect(r.metrics).toBe(r.words);
    expect(r.words!.accuracy).toBeCloseTo(2 / 3, 12);
    expect(Number.isFinite(r.loss)).toBe(true);
    expect(Array.from(r.predictions[0])).toEqual([0, 1, 2, 1, 0]);
  });

  it('refuses logits of the wrong size', async () => {
    const labels = LabelVocabulary.fromLabels(['A', 'B']);
    const data = encodeSequences([{ text: 'ab', label: 'A' }], 'classify', vocab, labels);
    await expect(evaluateSequences(data, labels, () => new Float32Array(3))).rejects.toThrow(
      new RangeError(
        'Expected a Float32Array of 2 logits for the logits of a batch of 1×2 but received a Float32Array of length 3',
      ),
    );
  });
});

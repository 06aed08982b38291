// Seeded splits (src/tasks/split.ts) and padded, length-bucketed batches (src/tasks/batch.ts).
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { parseSplit, splitByFraction } from '../../src/tasks/split.js';
import {
  SequenceBatcher,
  encodeSequences,
  evaluationBatches,
  makeBatch,
  type EncodedSequences,
} from '../../src/tasks/batch.js';
import { LabelVocabulary } from '../../src/tasks/labels.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import type { ClassifyExample, TagExample } from '../../src/tasks/data.js';

describe('parseSplit', () => {
  it('reads percentages and fractions, with or without a test part', () => {
    expect(parseSplit('80/10/10')).toEqual({ valid: 0.1, test: 0.1 });
    expect(parseSplit('0.9/0.1')).toEqual({ valid: 0.1, test: 0 });
  });

  it('refuses parts that do not add up', () => {
    expect(() => parseSplit('80/10/5')).toThrow(
      new RangeError('Expected parts that add up to 100 (or 1) for --split but received "80/10/5"'),
    );
    expect(() => parseSplit('80-20')).toThrow(RangeError);
  });
});

describe('splitByFraction', () => {
  const items = Array.from({ length: 103 }, (_, i) => i);

  it('gives the same split for the same seed and a different one for another', () => {
    const a = splitByFraction(items, { valid: 0.1, test: 0.1 }, 7);
    const b = splitByFraction(items, { valid: 0.1, test: 0.1 }, 7);
    const c = splitByFraction(items, { valid: 0.1, test: 0.1 }, 8);
    expect(a).toEqual(b);
    expect(a.test).not.toEqual(c.test);
    expect([a.train.length, a.valid.length, a.test.length]).toEqual([83, 10, 10]);
  });

  it('puts every example in exactly one part (property)', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 3, max: 300 }),
        fc.integer({ min: 0, max: 2 ** 32 - 1 }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        fc.double({ min: 0, max: 0.3, noNaN: true }),
        (n, seed, valid, test) => {
          const xs = Array.from({ length: n }, (_, i) => i);
          const s = splitByFraction(xs, { valid, test }, seed);
          expect([...s.train, ...s.valid, ...s.test].sort((a, b) => a - b)).toEqual(xs);
          expect(s.valid.length).toBe(Math.round(n * valid));
          expect(s.test.length).toBe(Math.round(n * test));
        },
      ),
    );
  });

  it('refuses a split that leaves no training example', () => {
    expect(() => splitByFraction([1, 2], { valid: 0.5, test: 0.5 }, 1)).toThrow(
      new RangeError(
        'Expected at least one training example after the split for the data but received "2 examples". HINT: use more data or smaller validation/test fractions',
      ),
    );
  });
});

const vocab = Vocabulary.fromText('abc ');

describe('encodeSequences and makeBatch', () => {
  const labels = LabelVocabulary.fromLabels(['N', 'V']);

  it('pads row-major with 0 and marks tag padding -1', () => {
    const data = encodeSequences(
      [
        { text: 'ab', labels: ['N', 'V'] },
        { text: 'c', labels: ['V'] },
      ] as TagExample[],
      'tag',
      vocab,
      labels,
    );
    const batch = makeBatch(data, [1, 0]);
    expect(batch.B).toBe(2);
    expect(batch.T).toBe(2);
    expect(Array.from(batch.ids)).toEqual([vocab.idOf('c'), 0, vocab.idOf('a'), vocab.idOf('b')]);
    expect(Array.from(batch.lengths)).toEqual([1, 2]);
    expect(Array.from(batch.labels)).toEqual([1, -1, 0, 1]);
    expect(Array.from(batch.rows)).toEqual([1, 0]);
  });

  it('replaces an unknown character one for one, truncates classify and windows tag at spaces', () => {
    const cls = encodeSequences(
      [{ text: 'axbc', label: 'V' }] as ClassifyExample[],
      'classify',
      vocab,
      labels,
      {
        maxLength: 3,
      },
    );
    expect(vocab.decode(cls.tokens[0])).toBe('a b');
    const text = 'ab abc a';
    const tag = encodeSequences(
      [
        { text, labels: [...text].map((ch) => (ch === ' ' ? 'V' : 'N')), wordStarts: [0, 3, 7] },
      ] as TagExample[],
      'tag',
      vocab,
      labels,
      { maxLength: 5 },
    );
    expect(tag.tokens.map((t) => vocab.decode(t))).toEqual(['ab ', 'abc a']);
    expect(tag.wordStarts.map((w) => Array.from(w))).toEqual([[0], [0, 4]]);
    expect(tag.labels.map((l) => Array.from(l))).toEqual([
      [0, 0, 1],
      [0, 0, 0, 1, 0],
    ]);
  });

  it('names an example whose label the model does not know', () => {
    expect(() => encodeSequences([{ text: 'a', label: 'Q' }], 'classify', vocab, labels)).toThrow(
      new RangeError(
        'Expected one of the model\'s 2 labels for the label of example 0 but received "Q". HINT: the model knows "N", "V"',
      ),
    );
  });
});

function toyData(n: number, seed: number): EncodedSequences {
  const tokens: Int32Array[] = [];
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (Math.imul(x, 1103515245) + 12345) >>> 0;
    tokens.push(new Int32Array(1 + (x % 40)).fill(i % 3));
  }
  return {
    task: 'classify',
    count: n,
    tokens,
    labels: tokens.map((_, i) => Int32Array.of(i % 2)),
    wordStarts: tokens.map(() => new Int32Array(0)),
  };
}

describe('SequenceBatcher', () => {
  it('serves every example once per epoch, in batches of similar lengths', () => {
    const data = toyData(1000, 3);
    const batcher = new SequenceBatcher(data, 8, 42);
    expect(batcher.batchesPerEpoch).toBe(125);
    const seen: number[] = [];
    let padded = 0;
    let real = 0;
    for (let k = 0; k < batcher.batchesPerEpoch; k++) {
      const b = batcher.next();
      seen.push(...b.rows);
      padded += b.B * b.T;
      real += b.lengths.reduce((a, l) => a + l, 0);
    }
    expect(batcher.epoch).toBe(1);
    expect(seen.sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    // Bucketing: under 10% padding (random batches of lengths 1–40 would waste about half).
    expect(padded / real).toBeLessThan(1.1);
  });

  it('resumes exactly from { epoch, position } and shuffles each epoch differently', () => {
    const data = toyData(100, 9);
    const a = new SequenceBatcher(data, 7, 5);
    const rows: number[][] = [];
    for (let k = 0; k < 40; k++) rows.push(Array.from(a.next().rows));
    const b = new SequenceBatcher(data, 7, 5);
    // 15 batches per epoch: the 41st batch is epoch 2, position 10.
    b.epoch = 2;
    b.position = 10;
    for (let k = 40; k < 45; k++) {
      rows.push(Array.from(a.next().rows));
      expect(Array.from(b.next().rows)).toEqual(rows[k]);
    }
    expect(a.epochOrder(0)).not.toEqual(a.epochOrder(1));
    expect(new SequenceBatcher(data, 7, 6).epochOrder(0)).not.toEqual(a.epochOrder(0));
    expect(() => (b.position = 15)).toThrow(
      new RangeError('Expected an integer in [0, 14] for batcher position but received 15'),
    );
  });

  it('evaluationBatches covers every example once, shortest first', () => {
    const data = toyData(50, 1);
    const batches = [...evaluationBatches(data, 16)];
    expect(batches.map((b) => b.B)).toEqual([16, 16, 16, 2]);
    expect(batches.flatMap((b) => Array.from(b.rows)).sort((a, b) => a - b)).toEqual(
      Array.from({ length: 50 }, (_, i) => i),
    );
    for (let k = 1; k < batches.length; k++) expect(batches[k].T).toBeGreaterThanOrEqual(batches[k - 1].T);
  });
});

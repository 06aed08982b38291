// Batched inference through CharRNN (issue 16, part 1): a batch session's streams, scoreMany and rank step many
// streams per backend call (stepBatch) and must give exactly what the one-stream paths give — stream i of a batch
// equals a session seeded seed + i, scoreMany(texts)[i] equals score(texts[i]) — on every backend, for the vanilla
// model, a stacked LSTM with an embedding and a GRU, with more streams than the vocabulary has tokens.
import { describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { WordVocabulary } from '../../src/text/word-vocabulary.js';
import { Rng } from '../../src/util/rng.js';
import { BACKENDS } from '../helpers/generation.js';

const vocab = Vocabulary.fromText('abcdefgh \n.');

function model(backend: 'js' | 'native', cell: 'rnn' | 'lstm' | 'gru'): CharRNN {
  if (cell === 'rnn')
    return CharRNN.create({ vocabulary: vocab, hiddenSize: 16, initScale: 0.5, seed: 5, backend });
  return CharRNN.create({
    vocabulary: vocab,
    cell,
    hiddenSizes: [14, 10],
    embeddingSize: 5,
    seed: 5,
    backend,
  });
}

/** Random texts over the vocabulary, of lengths in [lo, hi]. */
function texts(n: number, lo: number, hi: number, seed: number): string[] {
  const rng = new Rng(seed);
  const chars = 'abcdefgh \n.';
  return Array.from({ length: n }, () => {
    const len = lo + Math.floor(rng.nextFloat() * (hi - lo + 1));
    let s = '';
    for (let i = 0; i < len; i++) s += chars[Math.floor(rng.nextFloat() * chars.length)];
    return s;
  });
}

const cases = BACKENDS.flatMap((backend) =>
  (['rnn', 'lstm', 'gru'] as const).map((cell) => ({ name: `${backend} ${cell}`, backend, cell })),
);

describe.each(cases)('batched inference ($name)', ({ backend, cell }) => {
  const m = model(backend, cell);

  it('generate: stream i equals a session seeded seed + i (fed texts of different lengths, options, stops)', () => {
    const primes = texts(23, 1, 9, 1);
    const options = {
      length: 60,
      temperature: 0.8,
      topK: 6,
      topP: 0.95,
      stop: ['ff', 'hh', 'a '],
      maxLength: 50,
    };
    const b = m.batchSession(primes.length, { seed: 100 });
    expect(b.feed(primes)).toEqual(primes.map((p) => p.length));
    const outs = b.generate(options);
    const again = b.generate({ length: 15 }); // the streams go on from where each one stopped
    primes.forEach((prime, i) => {
      const s = m.session({ seed: 100 + i });
      s.feed(prime);
      const want = s.generate(options);
      expect(outs[i], `stream ${i}`).toEqual(want);
      expect(again[i], `stream ${i}, second call`).toEqual(s.generate({ length: 15 }));
      expect(Array.from(b.streams[i].state())).toEqual(Array.from(s.state()));
      expect(b.streams[i].rng.state).toEqual(s.rng.state);
    });
    // the stop sequences did make streams drop out of the batch at different steps
    expect(outs.some((o) => o.stoppedBy === 'stop')).toBe(true);
    expect(new Set(outs.map((o) => o.ids.length)).size).toBeGreaterThan(1);
  });

  it('generate with a prime and a seed; sample and next; fork', () => {
    const b = m.batchSession(vocab.size + 3, { seed: 7 });
    const outs = b.generate({ prime: 'ab', length: 25, seed: 9 });
    const s = m.session({ seed: 1 });
    const want = s.generate({ prime: 'ab', length: 25, seed: 9 });
    for (const o of outs) expect(o).toEqual(want); // options.seed: a fresh Rng(seed) for every stream
    const f = b.fork();
    const next = b.next();
    const pieces = b.sample({ temperature: 1.3 });
    b.streams.forEach((stream, i) => {
      const one = m.session({ seed: 7 + i });
      one.generate({ prime: 'ab', length: 25, seed: 9 });
      expect(Array.from(next.subarray(i * vocab.size, (i + 1) * vocab.size))).toEqual(Array.from(one.next()));
      expect(pieces[i]).toBe(one.sample({ temperature: 1.3 }));
      expect(stream.length).toBe(one.length);
    });
    // the fork did not move with b
    expect(f.streams.map((x) => x.length)).toEqual(b.streams.map((x) => x.length - 1));
    expect(f.sample({ temperature: 1.3 })).toEqual(pieces);
  });

  it('scoreMany equals score per text, bit for bit, in input order (any batch size)', () => {
    const many = texts(150, 2, 40, 2);
    const want = many.map((t) => m.score(t));
    expect(m.scoreMany(many)).toEqual(want);
    expect(m.scoreMany(many, { batch: 7 })).toEqual(want);
    expect(m.scoreMany(many, { batch: 1 })).toEqual(want);
    const withContext = m.scoreMany(many.slice(0, 9), { context: '\n', batch: 4 });
    expect(withContext).toEqual(many.slice(0, 9).map((t) => m.score(t, { context: '\n' })));
    expect(m.scoreMany([])).toEqual([]);
  });

  it('unknown-character policies and errors as score gives them', () => {
    const odd = ['abxc', 'xab', 'a\u00e9bcd', 'hhh'];
    for (const unknown of ['skip', { penalty: 7 }] as const)
      expect(m.scoreMany(odd, { unknown })).toEqual(odd.map((t) => m.score(t, { unknown })));
    expect(() => m.scoreMany(['abc', 'abxc'])).toThrow(
      'Character "x" (U+0078) at index 2 of texts[1] is not in the vocabulary',
    );
    expect(() => m.scoreMany(['abc', 'a'])).toThrow(/texts\[1\]/);
    expect(() => m.scoreMany(['abc', 3 as unknown as string])).toThrow(TypeError);
    expect(() => m.scoreMany(['abc'], { batch: 0 })).toThrow(RangeError);
  });

  it('evaluate with streams: B segments from zero states, every prediction counted once', async () => {
    const long = texts(1, 300, 300, 4)[0];
    const ids = vocab.encode(long);
    expect(m.evaluate(long, { streams: 1 })).toEqual(m.evaluate(long));
    for (const B of [2, 7, 64]) {
      const r = m.evaluate(long, { streams: B });
      expect(r.count).toBe(long.length - 1);
      // the same as evaluating each segment on its own (segment b: ids[t_b] … ids[t_b+1]), up to float32 rounding
      let total = 0;
      for (let b = 0; b < B; b++) {
        const t0 = Math.floor((b * (ids.length - 1)) / B);
        const t1 = Math.floor(((b + 1) * (ids.length - 1)) / B);
        total += m.evaluate(ids.subarray(t0, t1 + 1)).loss * (t1 - t0);
      }
      expect(Math.abs(r.loss * r.count - total) / total).toBeLessThan(1e-6);
      expect(await m.evaluateAsync(long, { streams: B })).toEqual(r);
    }
    expect(() => m.evaluate(long, { streams: 0 })).toThrow(RangeError);
    expect(() => m.evaluate(long, { streams: long.length })).toThrow(/streams/);
    expect(() => m.evaluate(long, { streams: 1.5 })).toThrow(/streams/);
  });

  it('rank orders by the batched scores and equals ranking by score()', () => {
    const many = texts(40, 2, 30, 3);
    const ranked = m.rank(many, { batch: 16 });
    const byScore = many
      .map((t, index) => ({ ...m.score(t), index, text: t }))
      .sort((a, b) => a.totalNats / a.count - b.totalNats / b.count || a.index - b.index);
    expect(ranked).toEqual(byScore);
  });
});

describe.each(BACKENDS)('word model (%s)', (backend) => {
  it('scoreMany equals score per text, <unk> included', () => {
    const words = WordVocabulary.fromText('the cat sat on the mat . a dog ran to the cat .');
    const m = CharRNN.create({
      vocabulary: words,
      cell: 'gru',
      hiddenSize: 12,
      embeddingSize: 6,
      seed: 2,
      backend,
    });
    const many = ['the cat sat .', 'a dog sat on the zebra .', 'the mat ran', 'dog dog dog cat the a'];
    expect(m.scoreMany(many)).toEqual(many.map((t) => m.score(t)));
  });
});

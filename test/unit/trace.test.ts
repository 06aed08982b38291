// model.trace (per-step activations, top-k predictions and surprisal) against a manual step loop through a Session
// on both backends, its input checks, and the neuron ranking (rankNeurons) on synthetic activations.
import { describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { WordVocabulary } from '../../src/text/word-vocabulary.js';
import { MAX_TRACE_LENGTH } from '../../src/model/config.js';
import { stateOffsets } from '../../src/model/layout.js';
import { rankNeurons, textFeatures, pearson, type TraceResult } from '../../src/generate/trace.js';

const corpus = 'He said "hello (there)" to her.\nShe said \'no\' and left [quickly].\n';
const vocab = Vocabulary.fromText(corpus);

const models = () =>
  (['js', 'native'] as const).flatMap((backend) => [
    {
      label: `${backend} lstm ×2`,
      model: CharRNN.create({
        vocabulary: vocab,
        cell: 'lstm',
        hiddenSizes: [9, 6],
        layers: 2,
        seed: 3,
        backend,
      }),
    },
    {
      label: `${backend} rnn`,
      model: CharRNN.create({ vocabulary: vocab, hiddenSize: 8, seed: 4, backend }),
    },
    {
      label: `${backend} gru`,
      model: CharRNN.create({
        vocabulary: vocab,
        cell: 'gru',
        hiddenSize: 7,
        embeddingSize: 5,
        seed: 5,
        backend,
      }),
    },
  ]);

describe('model.trace', () => {
  for (const { label, model } of models())
    it(`equals a manual step loop (${label})`, () => {
      const text = corpus.slice(0, 40);
      const r = model.trace(text, { topK: 4 });
      const chars = Array.from(text);
      expect(r.steps).toBe(chars.length);
      expect(r.tokens).toEqual(chars);
      const cfg = model.config;
      const names = cfg.hiddenSizes.map((_, l) => `h${l}`);
      if (cfg.cell === 'lstm') names.push(...cfg.hiddenSizes.map((_, l) => `c${l}`));
      expect(r.layers.map((l) => l.name)).toEqual(names);
      const off = stateOffsets(cfg, 1);
      const s = model.session();
      const score = model.score(text);
      for (let t = 0; t < chars.length; t++) {
        s.feed(chars[t]);
        const state = s.state();
        for (const layer of r.layers) {
          const o = (layer.kind === 'h' ? off.h : off.c)[layer.layer];
          expect(layer.values.subarray(t * layer.size, (t + 1) * layer.size)).toEqual(
            state.subarray(o, o + layer.size),
          );
        }
        const probs = s.next();
        const ids = Array.from(r.topK.ids.subarray(t * 4, t * 4 + 4));
        const ps = Array.from(r.topK.probs.subarray(t * 4, t * 4 + 4));
        // The k largest, in order, sum ≤ 1, and every other probability is no larger than the k-th.
        expect(ps).toEqual(ids.map((id) => probs[id]));
        for (let j = 1; j < 4; j++) expect(ps[j]).toBeLessThanOrEqual(ps[j - 1]);
        expect(ps.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(1 + 1e-6);
        const sorted = Array.from(probs).sort((a, b) => b - a);
        expect(ps).toEqual(sorted.slice(0, 4));
        if (t + 1 < chars.length) {
          expect(r.surprisal[t]).toBeCloseTo(-Math.log2(probs[vocab.idOf(chars[t + 1])]), 4);
          expect(r.surprisal[t] * Math.LN2).toBeCloseTo(score.surprisal[t], 4);
        } else expect(r.surprisal[t]).toBeNaN();
      }
    });

  it('gives the same activations on both backends', () => {
    const mk = (backend: 'js' | 'native') =>
      CharRNN.create({ vocabulary: vocab, cell: 'lstm', hiddenSize: 6, seed: 9, backend });
    const a = mk('js').trace(corpus);
    const b = mk('native').trace(corpus);
    for (let i = 0; i < a.layers.length; i++)
      for (let j = 0; j < a.layers[i].values.length; j++)
        expect(a.layers[i].values[j]).toBeCloseTo(b.layers[i].values[j], 4);
    expect(Array.from(a.topK.ids)).toEqual(Array.from(b.topK.ids));
  });

  it('traces the tokens of a word model', () => {
    const words = WordVocabulary.fromText('the cat sat on the mat . the dog sat .');
    const model = CharRNN.create({ vocabulary: words, hiddenSize: 5, backend: 'js' });
    const r = model.trace('the dog sat on the cat .', { topK: 2 });
    expect(r.tokens).toEqual(['the', 'dog', 'sat', 'on', 'the', 'cat', '.']);
    expect(Array.from(r.ids)).toEqual(r.tokens.map((w) => words.idOf(w)));
    const score = model.score('the dog sat on the cat .');
    for (let t = 0; t + 1 < r.steps; t++)
      expect(r.surprisal[t] * Math.LN2).toBeCloseTo(score.surprisal[t], 4);
  });

  it('checks its input', () => {
    const model = CharRNN.create({ vocabulary: vocab, hiddenSize: 4, backend: 'js' });
    expect(() => model.trace(42 as unknown as string)).toThrow(TypeError);
    expect(() => model.trace('he', null as unknown as object)).toThrow(TypeError);
    expect(() => model.trace('he', { topK: 1.5 })).toThrow(/integer for topK/);
    expect(() => model.trace('he', { topK: 0 })).toThrow(RangeError);
    expect(() => model.trace('he', { topK: vocab.size + 1 })).toThrow(
      new RegExp(`\\[1, ${vocab.size}\\] for topK`),
    );
    expect(() => model.trace('')).toThrow(/at least 1 token/);
    expect(() => model.trace('hé')).toThrow(RangeError); // é is not in the vocabulary
    expect(() => model.trace('e'.repeat(MAX_TRACE_LENGTH + 1))).toThrow(
      new RegExp(`at most ${MAX_TRACE_LENGTH} tokens`),
    );
    expect(model.trace('h', { topK: vocab.size }).topK.probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });
});

describe('rankNeurons', () => {
  it('computes the text features', () => {
    // The apostrophe of it's opens no quote; 'x' is one.
    const f = textFeatures(Array.from("a \"b\" (c)\nit's 'x'"));
    expect(Array.from(f.quote)).toEqual([0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 0]);
    expect(Array.from(f.bracket)).toEqual([0, 0, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    expect(Array.from(f.linePosition)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5, 6, 7, 8]);
    expect(Array.from(f.wordStart)).toEqual([1, 0, 0, 1, 0, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 1, 0]);
    expect(pearson([1, 2, 3], [2, 4, 6])).toBeCloseTo(1, 12);
    expect(pearson([1, 1, 1], [2, 4, 6])).toBe(0);
  });

  it('finds a synthetic quote neuron first', () => {
    const tokens = Array.from(corpus.repeat(3));
    const quote = textFeatures(tokens).quote;
    const T = tokens.length;
    const H = 16;
    const values = new Float32Array(T * H);
    let seed = 1;
    const noise = () => ((seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648) * 2 - 1;
    for (let t = 0; t < T; t++)
      for (let j = 0; j < H; j++) values[t * H + j] = j === 11 ? -0.8 * quote[t] + 0.1 * noise() : noise();
    const result: Pick<TraceResult, 'tokens' | 'layers'> = {
      tokens,
      layers: [{ name: 'h0', layer: 0, kind: 'h', size: H, values }],
    };
    const ranking = rankNeurons(result, { top: 3 });
    expect(ranking.map((f) => f.feature)).toEqual(['quote', 'bracket', 'linePosition', 'wordStart']);
    const q = ranking[0];
    expect(q.neurons).toHaveLength(3);
    expect(q.neurons[0]).toMatchObject({ layer: 'h0', index: 11 });
    expect(q.neurons[0].r).toBeLessThan(-0.9);
    expect(Math.abs(q.neurons[1].r)).toBeLessThan(0.5);
    expect(() => rankNeurons(result, { top: 0 })).toThrow(RangeError);
  });

  it('lists nothing for a feature absent from the text', () => {
    const tokens = Array.from('abc abc');
    const values = Float32Array.from(tokens, (_, i) => Math.sin(i));
    const r = rankNeurons({ tokens, layers: [{ name: 'h0', layer: 0, kind: 'h', size: 1, values }] });
    expect(r[0].neurons).toEqual([]);
    expect(r[1].neurons).toEqual([]);
  });
});

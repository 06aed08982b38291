// WordVocabulary: the tokenizer rule, frequency cut-offs, <unk>, round-trips, JSON and errors; vocabularyFromJSON
// dispatch (old files without `kind` are char vocabularies); a word model saved and loaded, sampled and scored.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { tokenizeWords, vocabularyFromJSON, WordVocabulary } from '../../src/text/word-vocabulary.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { Corpus } from '../../src/text/corpus.js';
import { CharRNN } from '../../src/charrnn.js';
import { loadModel, saveModel } from '../../src/io/model-file.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-words-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('tokenizeWords', () => {
  it('splits words, joined apostrophes and hyphens, punctuation and newlines; drops other white space', () => {
    expect(tokenizeWords("O'er the well-a-day, 'tis\tnigh!\r\nROMEO: 3.14 — ok?").tokens).toEqual([
      "O'er",
      'the',
      'well-a-day',
      ',',
      "'",
      'tis',
      'nigh',
      '!',
      '\n',
      'ROMEO',
      ':',
      '3',
      '.',
      '14',
      '—',
      'ok',
      '?',
    ]);
    expect(tokenizeWords('  café 中文 😀x ').tokens).toEqual(['café', '中文', '😀', 'x']);
    const t = tokenizeWords('ab, cd');
    expect(t.starts).toEqual([0, 2, 4]);
    expect(t.ends).toEqual([2, 3, 6]);
  });
});

describe('WordVocabulary', () => {
  const text = 'the cat sat on the mat.\nthe dog sat on the log!\n';

  it('orders <unk>, newline, then words by frequency (ties in code-unit order)', () => {
    const v = WordVocabulary.fromText(text);
    expect(v.tokens.slice(0, 5)).toEqual(['<unk>', '\n', 'the', 'on', 'sat']);
    expect(v.tokens.slice(5)).toEqual(['!', '.', 'cat', 'dog', 'log', 'mat']);
    expect(v.kind).toBe('word');
    expect(v.idOf('the')).toBe(2);
    expect(v.idOf('zebra')).toBe(-1);
  });

  it('minFreq and maxSize cut the vocabulary; rare words become <unk>', () => {
    const v = WordVocabulary.fromText(text, { minFreq: 2 });
    expect(v.tokens).toEqual(['<unk>', '\n', 'the', 'on', 'sat']);
    expect(v.decode(v.encode('the cat sat'))).toBe('the <unk> sat');
    expect(WordVocabulary.fromText(text, { maxSize: 4 }).tokens).toEqual(['<unk>', '\n', 'the', 'on']);
  });

  it('decode spaces tokens by the documented rule, and encode(decode(ids)) gives ids back', () => {
    const v = WordVocabulary.fromText(text);
    expect(v.decode(v.encode(text))).toBe(text);
    const w = WordVocabulary.fromText(text + '( ) [ ] ; ?');
    expect(w.decode(w.encode('( the cat ) sat . [ on ] the mat ?\n the dog ;'))).toBe(
      '(the cat) sat. [on] the mat?\nthe dog;',
    );
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 1, max: v.size - 1 }), { maxLength: 40 }), (ids) => {
        expect(Array.from(v.encode(v.decode(ids)))).toEqual(ids);
      }),
      { numRuns: 300 },
    );
  });

  it('round-trips any text up to white space (words built from it)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1, maxLength: 60 }), (s) => {
        fc.pre(tokenizeWords(s).tokens.some((t) => t !== '\n'));
        const v = WordVocabulary.fromText(s);
        const ids = v.encode(s);
        expect(ids.includes(0)).toBe(false);
        expect(Array.from(v.encode(v.decode(ids)))).toEqual(Array.from(ids));
      }),
      { numRuns: 300 },
    );
  });

  it('unknown words: <unk> by default, or error / skip / replaceWith', () => {
    const v = WordVocabulary.fromText(text);
    expect(Array.from(v.encode('the zebra'))).toEqual([2, 0]);
    expect(() => v.encode('the zebra', { unknown: 'error' })).toThrow(
      `Word "zebra" at index 4 is not in the vocabulary of ${v.size} words. HINT: leave options.unknown unset to encode it as <unk>, or pass { unknown: 'skip' }`,
    );
    expect(Array.from(v.encode('the zebra', { unknown: 'skip' }))).toEqual([2]);
    expect(Array.from(v.encode('the zebra', { unknown: { replaceWith: 'cat' } }))).toEqual([
      2,
      v.idOf('cat'),
    ]);
    expect(() => v.encode('x', { unknown: { replaceWith: 'zebra' } })).toThrow(RangeError);
    expect(v.encodeCompact('the cat')).toBeInstanceOf(Uint16Array);
  });

  it('JSON round trip, validation, and dispatch on kind', () => {
    const v = WordVocabulary.fromText(text);
    const json = JSON.parse(JSON.stringify(v.toJSON()));
    const back = vocabularyFromJSON(json);
    expect(back).toBeInstanceOf(WordVocabulary);
    expect((back as WordVocabulary).tokens).toEqual(v.tokens);
    const chars = vocabularyFromJSON({ kind: 'char', tokens: ['a', 'b'] });
    expect(chars).toBeInstanceOf(Vocabulary);
    // Files written before word vocabularies had no kind: they are character vocabularies.
    expect(vocabularyFromJSON({ tokens: ['a', 'b'] })).toBeInstanceOf(Vocabulary);
    expect(() => vocabularyFromJSON({ kind: 'bpe', tokens: [] })).toThrow(
      `Expected 'char' or 'word' for vocabulary.kind but received "bpe". HINT: this file was written by a newer charrnn`,
    );
    expect(() => WordVocabulary.fromJSON({ kind: 'word', tokens: ['a', '\n', 'b'] })).toThrow(
      'Expected "<unk>" for vocabulary.tokens[0] but received "a"',
    );
    expect(() => WordVocabulary.fromJSON({ kind: 'word', tokens: ['<unk>', '\n', 'two words'] })).toThrow(
      /single token .* for vocabulary.tokens\[2\]/,
    );
    expect(() => WordVocabulary.fromJSON({ kind: 'word', tokens: ['<unk>', '\n', 'a', 'a'] })).toThrow(
      'Expected tokens without duplicates for vocabulary.tokens[3] but received "a"',
    );
    expect(() => WordVocabulary.fromJSON({ kind: 'word', tokens: ['<unk>', '\n', 5] })).toThrow(TypeError);
    expect(() => WordVocabulary.fromJSON(null)).toThrow(TypeError);
  });

  it('rejects bad construction options and texts without words', () => {
    expect(() => WordVocabulary.fromText(text, { minFreq: 0 })).toThrow(
      'Expected a positive integer for minFreq but received 0',
    );
    expect(() => WordVocabulary.fromText(text, { maxSize: 2 })).toThrow(RangeError);
    expect(() => WordVocabulary.fromText('\n\n  ')).toThrow(RangeError);
    expect(() => WordVocabulary.fromText(text, { minFreq: 100 })).toThrow(/HINT: lower minFreq/);
    expect(() => WordVocabulary.fromText(7 as never)).toThrow(TypeError);
  });
});

describe('a word-level model', () => {
  const text = 'the cat sat on the mat.\nthe dog sat on the log!\n'.repeat(20);
  const vocabulary = WordVocabulary.fromText(text);
  const corpus = Corpus.fromText(text, { vocabulary, validationFraction: 0.1 });

  it('trains through the same facade, and saves / loads unchanged', async () => {
    expect(corpus.vocabulary).toBe(vocabulary);
    const m = CharRNN.create({ vocabulary, hiddenSize: 8, seed: 2, backend: 'js' });
    const file = join(dir, 'words.safetensors');
    await saveModel(m, file);
    const back = await loadModel(file, { backend: 'js' });
    expect(back.vocabulary).toBeInstanceOf(WordVocabulary);
    expect(back.vocabulary.toJSON()).toEqual(vocabulary.toJSON());
    const a = m.generate({ prime: 'the cat', length: 20, seed: 3 });
    expect(back.generate({ prime: 'the cat', length: 20, seed: 3 }).text).toBe(a.text);
    expect(a.ids).toHaveLength(20);
    expect(a.text.startsWith(' ') || a.text.startsWith('\n') || /^[.,!]/.test(a.text)).toBe(true);
  });

  it('scores per word, with the per-character equivalent over the text it covers', () => {
    const m = CharRNN.create({ vocabulary, hiddenSize: 8, seed: 2, backend: 'js' });
    const r = m.score('the cat sat on the zebra.');
    expect(r.tokens).toEqual(['cat', 'sat', 'on', 'the', 'zebra', '.']);
    expect(r.count).toBe(6);
    expect(r.unknown).toBe(0); // a word model scores an unknown word as <unk> by default
    expect(r.characters).toBe(' cat sat on the zebra.'.length);
    expect(r.charPerplexity).toBeCloseTo(Math.exp(r.totalNats / r.characters), 12);
    expect(r.perplexity).toBeCloseTo(Math.exp(r.totalNats / 6), 12);
    const e = m.evaluate(vocabulary.encode('the cat sat on the zebra.'));
    expect(Math.abs(e.loss * e.count - r.totalNats) / r.totalNats).toBeLessThan(1e-6);
    expect(() => m.score('the zebra', { unknown: 'error' })).toThrow(
      /Word "zebra" at index 4 of text is not in the vocabulary/,
    );
    expect(m.score('the zebra cat', { unknown: { penalty: 7 } }).surprisal[0]).toBe(7);
  });

  it('stream pieces carry the spacing rule', async () => {
    const m = CharRNN.create({ vocabulary, hiddenSize: 8, seed: 2, backend: 'js' });
    let s = '';
    for await (const p of m.stream({ prime: 'the', length: 30, seed: 4 })) s += p;
    expect(s).toBe(m.generate({ prime: 'the', length: 30, seed: 4, stop: 'zzz' }).text);
    expect(s).toBe(m.generate({ prime: 'the', length: 30, seed: 4 }).text);
  });
});

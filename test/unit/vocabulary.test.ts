// Vocabulary: code-point round-trips (ASCII, emoji, CJK, surrogates), order, JSON, unknown-character policies.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { Vocabulary } from '../../src/text/vocabulary.js';

const roundTrip = (text: string): string => {
  const v = Vocabulary.fromText(text);
  return v.decode(v.encode(text));
};

describe('Vocabulary.fromText', () => {
  it('sorts tokens by code point, one per distinct code point', () => {
    const v = Vocabulary.fromText('hello world');
    expect(v.tokens).toEqual([' ', 'd', 'e', 'h', 'l', 'o', 'r', 'w']);
    expect(v.size).toBe(8);
    expect(v.idOf('e')).toBe(2);
    expect(v.tokenOf(2)).toBe('e');
  });

  it('keeps astral code points whole and sorts them after the BMP by code point', () => {
    // U+1F600 😀, U+1F431 🐱, U+4E2D 中, U+20BB7 𠮷 (astral CJK), U+FFFD
    const v = Vocabulary.fromText('😀a🐱中𠮷\uFFFD😀');
    expect(v.tokens).toEqual(['a', '中', '\uFFFD', '🐱', '😀', '𠮷']);
    expect(v.encode('😀𠮷a')).toEqual(Int32Array.from([4, 5, 0]));
    for (const t of v.tokens) expect([...t]).toHaveLength(1);
  });

  it('round-trips ASCII, emoji, CJK and mixed surrogate pairs', () => {
    for (const text of [
      'The quick brown fox.\n\tTabs & "quotes"',
      '👍🏽 family: 👨‍👩‍👧 flags: 🇫🇷🇯🇵',
      '漢字かなカナ한국어，中文标点。',
      'a😀b\u{10FFFF}c\u{10000}中😀',
      'lone \uD800 high, lone \uDC00 low, reversed \uDC00\uD800',
      '\uFEFFa leading BOM is a character too\uFEFF',
      '\u0000nul\u0000',
    ])
      expect(roundTrip(text)).toBe(text);
  });

  it('encodes one id per code point', () => {
    const text = 'x😀y𠮷';
    expect(Vocabulary.fromText(text).encode(text)).toHaveLength(4);
  });

  it('rejects empty text and non-strings', () => {
    expect(() => Vocabulary.fromText('')).toThrow(RangeError);
    expect(() => Vocabulary.fromText('')).toThrow(
      'Expected a non-empty string for text but received "". HINT: a vocabulary needs at least one character',
    );
    expect(() => Vocabulary.fromText(42 as unknown as string)).toThrow(TypeError);
  });

  it('has/idOf return false/-1 for absent characters and multi-code-point strings', () => {
    const v = Vocabulary.fromText('ab😀');
    expect(v.has('a')).toBe(true);
    expect(v.has('😀')).toBe(true);
    expect(v.has('c')).toBe(false);
    expect(v.idOf('c')).toBe(-1);
    expect(v.idOf('ab')).toBe(-1);
    expect(v.idOf('')).toBe(-1);
    expect(v.idOf('\uD83D')).toBe(-1);
  });

  it('tokenOf rejects out-of-range and non-integer ids', () => {
    const v = Vocabulary.fromText('abc');
    expect(() => v.tokenOf(3)).toThrow('Expected an integer id in [0, 2] for id but received 3');
    expect(() => v.tokenOf(-1)).toThrow(RangeError);
    expect(() => v.tokenOf(1.5)).toThrow(RangeError);
  });
});

describe('Vocabulary property tests', () => {
  it('decode(encode(s)) === s for arbitrary code-point strings', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1 }), (s) => {
        expect(roundTrip(s)).toBe(s);
      }),
      { numRuns: 500 },
    );
  });

  it('decode(encode(s)) === s for arbitrary graphemes', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', minLength: 1 }), (s) => {
        expect(roundTrip(s)).toBe(s);
      }),
      { numRuns: 300 },
    );
  });

  it('decode(encode(s)) === s for arbitrary UTF-16 (lone surrogates included)', () => {
    const unit = fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c));
    fc.assert(
      fc.property(fc.string({ unit, minLength: 1 }), (s) => {
        const v = Vocabulary.fromText(s);
        const ids = v.encode(s);
        expect(ids).toHaveLength([...s].length);
        expect(v.decode(ids)).toBe(s);
        expect(v.decode(v.encodeCompact(s))).toBe(s);
      }),
      { numRuns: 500 },
    );
  });

  it('tokens are strictly ascending by code point', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', minLength: 1 }), (s) => {
        const cps = Vocabulary.fromText(s).tokens.map((t) => t.codePointAt(0)!);
        for (let i = 1; i < cps.length; i++) expect(cps[i]).toBeGreaterThan(cps[i - 1]);
        expect(cps.length).toBe(new Set(s).size);
      }),
    );
  });
});

describe('Vocabulary JSON', () => {
  it('round-trips through JSON.stringify/parse', () => {
    const v = Vocabulary.fromText('héllo 😀 中\n');
    const json = v.toJSON();
    expect(json.kind).toBe('char');
    const back = Vocabulary.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(back.tokens).toEqual(v.tokens);
    expect(back.encode('中😀é')).toEqual(v.encode('中😀é'));
  });

  it('toJSON returns a copy', () => {
    const v = Vocabulary.fromText('ab');
    v.toJSON().tokens.push('z');
    expect(v.size).toBe(2);
  });

  it('rejects malformed JSON with precise errors', () => {
    expect(() => Vocabulary.fromJSON(null)).toThrow(
      "Expected an object { kind: 'char', tokens: string[] } for vocabulary but received null",
    );
    expect(() => Vocabulary.fromJSON([])).toThrow(TypeError);
    expect(() => Vocabulary.fromJSON({ kind: 'word', tokens: ['a'] })).toThrow(
      'Expected kind \'char\' for vocabulary.kind but received "word"',
    );
    expect(() => Vocabulary.fromJSON({ kind: 'word', tokens: ['a'] })).toThrow(RangeError);
    expect(() => Vocabulary.fromJSON({ kind: 'char' })).toThrow(
      'Expected an array of strings for vocabulary.tokens but received undefined',
    );
    expect(() => Vocabulary.fromJSON({ kind: 'char', tokens: [] })).toThrow(RangeError);
    expect(() => Vocabulary.fromJSON({ kind: 'char', tokens: ['a', 7] })).toThrow(
      'Expected a string for vocabulary.tokens[1] but received 7',
    );
    expect(() => Vocabulary.fromJSON({ kind: 'char', tokens: ['a', 'bc'] })).toThrow(
      'Expected a single-code-point string for vocabulary.tokens[1] but received "bc"',
    );
    expect(() => Vocabulary.fromJSON({ kind: 'char', tokens: [''] })).toThrow(RangeError);
    expect(() => Vocabulary.fromJSON({ kind: 'char', tokens: ['b', 'a'] })).toThrow(
      'Expected tokens sorted by code point without duplicates for vocabulary.tokens[1] ' +
        'but received "a" (U+0061) after "b" (U+0062)',
    );
    expect(() => Vocabulary.fromJSON({ kind: 'char', tokens: ['a', 'a'] })).toThrow(RangeError);
  });
});

describe('Vocabulary.encode unknown characters', () => {
  const v = Vocabulary.fromText('abc ');

  it("throws by default, naming the character, its code point and index ('error')", () => {
    expect(() => v.encode('ab cé')).toThrow(RangeError);
    expect(() => v.encode('ab cé')).toThrow(
      'Character "é" (U+00E9) at index 4 is not in the vocabulary of 4 characters. ' +
        "HINT: pass { unknown: 'skip' } or { unknown: { replaceWith: ' ' } }",
    );
    expect(() => v.encode('a😀', { unknown: 'error' })).toThrow(
      'Character "😀" (U+1F600) at index 1 is not in the vocabulary of 4 characters.',
    );
    expect(() => v.encode('a\n')).toThrow('Character "\\n" (U+000A) at index 1');
  });

  it("skips unknown characters with 'skip'", () => {
    expect(v.encode('a😀bé c', { unknown: 'skip' })).toEqual(Int32Array.from([1, 2, 0, 3]));
  });

  it('replaces unknown characters with { replaceWith }', () => {
    expect(v.encode('a😀bé', { unknown: { replaceWith: ' ' } })).toEqual(Int32Array.from([1, 0, 2, 0]));
  });

  it('rejects a replacement that is not in the vocabulary, and bad policies', () => {
    expect(() => v.encode('a', { unknown: { replaceWith: '?' } })).toThrow(
      'Expected a single character of the vocabulary of 4 characters for options.unknown.replaceWith ' +
        'but received "?". HINT: choose a character that occurs in the training text, e.g. a space if it does',
    );
    expect(() => v.encode('a', { unknown: { replaceWith: 'ab' } })).toThrow(RangeError);
    expect(() => v.encode('a', { unknown: 'ignore' as 'skip' })).toThrow(RangeError);
    expect(() => v.encode('a', { unknown: 3 as unknown as 'skip' })).toThrow(TypeError);
  });
});

describe('Vocabulary.encodeCompact / decode', () => {
  it('returns a Uint16Array for ≤ 65536 tokens', () => {
    const v = Vocabulary.fromText('ab😀');
    const ids = v.encodeCompact('b😀a');
    expect(ids).toBeInstanceOf(Uint16Array);
    expect(Array.from(ids)).toEqual([1, 2, 0]);
    expect(ids.buffer.byteLength).toBe(6);
  });

  it('returns an Int32Array for more than 65536 tokens', () => {
    let text = '';
    for (let cp = 0x10000; cp < 0x10000 + 65537; cp++) text += String.fromCodePoint(cp);
    const v = Vocabulary.fromText(text);
    expect(v.size).toBe(65537);
    const ids = v.encodeCompact(text);
    expect(ids).toBeInstanceOf(Int32Array);
    expect(ids[65536]).toBe(65536);
    expect(v.decode(ids)).toBe(text);
  });

  it('decode rejects out-of-range and non-integer ids with their index', () => {
    const v = Vocabulary.fromText('abc');
    expect(v.decode([2, 0, 1])).toBe('cab');
    expect(v.decode(new Uint16Array(0))).toBe('');
    expect(() => v.decode([0, 3])).toThrow('Expected an integer id in [0, 2] for ids[1] but received 3');
    expect(() => v.decode([0, 1, -1])).toThrow(RangeError);
    expect(() => v.decode([0.5])).toThrow('for ids[0] but received 0.5');
    expect(() => v.decode([NaN])).toThrow(RangeError);
  });
});

describe('Vocabulary performance', () => {
  it('encodes 1.1 MB well under 100 ms', () => {
    // A self-made 1.1 MB text: 65 ASCII characters in a pseudo-random order.
    const alphabet = 'abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ .,;:!?\'"-\n&$';
    const parts: string[] = [];
    let x = 12345;
    for (let i = 0; i < 1_115_394; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      parts.push(alphabet[(x >>> 16) % alphabet.length]);
    }
    const text = parts.join('');
    const v = Vocabulary.fromText(text);
    expect(v.size).toBe(65);
    let best = Infinity;
    for (let r = 0; r < 3; r++) {
      const t0 = performance.now();
      const ids = v.encodeCompact(text);
      best = Math.min(best, performance.now() - t0);
      expect(ids.length).toBe(text.length);
    }
    expect(best).toBeLessThan(100);
  });
});

// Corpus: strict UTF-8 decoding with byte offsets, missing files, degenerate corpora, train/validation split.
import { mkdtemp, rm, truncate, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { constants as bufferConstants } from 'node:buffer';
import { Corpus, decodeUtf8Strict, findInvalidUtf8, MAX_TEXT_LENGTH } from '../../src/text/corpus.js';
import { readCorpusFile, refuseTooLongText } from '../../src/text/corpus-file.js';
import { Vocabulary } from '../../src/text/vocabulary.js';

const bytes = (...b: number[]) => Uint8Array.from(b);

describe('decodeUtf8Strict', () => {
  it('decodes valid UTF-8 and strips a leading BOM', () => {
    expect(decodeUtf8Strict(new TextEncoder().encode('héllo 😀 中'))).toBe('héllo 😀 中');
    expect(decodeUtf8Strict(bytes(0xef, 0xbb, 0xbf, 0x61, 0x62))).toBe('ab');
    expect(decodeUtf8Strict(bytes())).toBe('');
  });

  it('names the byte offset of an invalid start byte', () => {
    expect(() => decodeUtf8Strict(bytes(0x61, 0x62, 0xff), 'x.txt')).toThrow(
      'Invalid UTF-8 in x.txt at byte offset 2 (byte 0xFF: invalid start byte). HINT: save the file as UTF-8',
    );
    expect(() => decodeUtf8Strict(bytes(0x61, 0x62, 0xff))).toThrow(RangeError);
  });

  it('names the start of a truncated 3-byte sequence', () => {
    // "a€" is 61 E2 82 AC; drop the last byte.
    expect(() => decodeUtf8Strict(bytes(0x61, 0xe2, 0x82))).toThrow(
      'Invalid UTF-8 in input at byte offset 1 (byte 0xE2: unexpected end of data).',
    );
    expect(() => decodeUtf8Strict(bytes(0x61, 0xe2, 0x82, 0x62))).toThrow(
      'at byte offset 1 (byte 0xE2: invalid continuation byte)',
    );
  });

  it('finds overlongs, surrogates and code points above U+10FFFF', () => {
    expect(findInvalidUtf8(bytes(0x61, 0xc0, 0xaf))).toEqual({ offset: 1, reason: 'invalid start byte' });
    expect(findInvalidUtf8(bytes(0xe0, 0x80, 0xaf))).toEqual({
      offset: 0,
      reason: 'invalid continuation byte',
    });
    expect(findInvalidUtf8(bytes(0x20, 0xed, 0xa0, 0x80))).toMatchObject({ offset: 1 });
    expect(findInvalidUtf8(bytes(0xf4, 0x90, 0x80, 0x80))).toMatchObject({ offset: 0 });
    expect(findInvalidUtf8(bytes(0x80))).toMatchObject({ offset: 0 });
    expect(findInvalidUtf8(new TextEncoder().encode('ok 😀 \u{10FFFF} \uE000'))).toBeNull();
  });

  it('agrees with TextDecoder on random bytes', () => {
    const fatal = new TextDecoder('utf-8', { fatal: true });
    let x = 7;
    for (let t = 0; t < 2000; t++) {
      const b = new Uint8Array(1 + (t % 9));
      for (let i = 0; i < b.length; i++) {
        x = (Math.imul(x, 1103515245) + 12345) >>> 0;
        b[i] = x >>> 24;
      }
      let ok = true;
      try {
        fatal.decode(b);
      } catch {
        ok = false;
      }
      expect(findInvalidUtf8(b) === null).toBe(ok);
    }
  });
});

describe('readCorpusFile', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charrnn-corpus-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('reads a UTF-8 file', async () => {
    const p = join(dir, 'ok.txt');
    await writeFile(p, 'to be or not\n');
    expect(await readCorpusFile(p)).toBe('to be or not\n');
  });

  it('explains a missing file', async () => {
    const p = join(dir, 'missing.txt');
    await expect(readCorpusFile(p)).rejects.toThrow(
      `Corpus file not found: ${p}. HINT: pass --corpus FILE with an existing UTF-8 text file, or --corpus shakespeare`,
    );
    await expect(readCorpusFile(p)).rejects.toMatchObject({ code: 'ENOENT' });
  });

  it('rejects a directory and invalid UTF-8 with the file name', async () => {
    await expect(readCorpusFile(dir)).rejects.toThrow('Corpus path is a directory');
    const p = join(dir, 'latin1.txt');
    await writeFile(p, bytes(0x63, 0x61, 0x66, 0xe9)); // "café" in Latin-1
    await expect(readCorpusFile(p)).rejects.toThrow(
      `Invalid UTF-8 in ${p} at byte offset 3 (byte 0xE9: unexpected end of data)`,
    );
  });
});

describe('readCorpusFile: a text too long for one string (issue 15, defect 11)', () => {
  it("states the limit as Node's own (the module has no node:buffer, so it runs in a browser)", () => {
    expect(MAX_TEXT_LENGTH).toBe(bufferConstants.MAX_STRING_LENGTH);
  });

  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'charrnn-corpus-long-'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is refused with one line naming the limit, counted without holding the file in memory', async () => {
    // 600 MB of NULs (a sparse file: no disk space): more code units than a string holds, so it cannot decode.
    // The file is scanned in 4 MiB chunks, never read whole (reading it whole was V8's raw "Cannot create a string
    // longer than 0x1fffffe8 characters").
    const p = join(dir, 'long.txt');
    await writeFile(p, '');
    await truncate(p, 600 * 2 ** 20);
    const err = await readCorpusFile(p).then(
      () => undefined,
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(RangeError);
    expect(err!.message).toBe(
      `Corpus file ${p} is too long: its 629,145,600 bytes decode to more than ${MAX_TEXT_LENGTH.toLocaleString('en-US')} ` +
        'UTF-16 code units, the longest text charrnn can hold (one JavaScript string, about 512 MB). ' +
        'HINT: use a part of it (e.g. head -c 500M FILE > part.txt)',
    );
    await rm(p);
  }, 60_000);

  it('leaves a file of at most MAX_TEXT_LENGTH bytes to be read as usual', async () => {
    const p = join(dir, 'short.txt');
    await writeFile(p, 'ab');
    await expect(refuseTooLongText(p, 'Corpus file')).resolves.toBeUndefined();
    await expect(refuseTooLongText(join(dir, 'missing.txt'), 'Corpus file')).resolves.toBeUndefined();
  });
});

describe('Corpus.fromText', () => {
  it('rejects an empty corpus', () => {
    expect(() => Corpus.fromText('')).toThrow(RangeError);
    expect(() => Corpus.fromText('')).toThrow(
      'The corpus is empty. HINT: pass a UTF-8 text file with at least 2 distinct characters',
    );
  });

  it('rejects a one-character corpus, naming the count', () => {
    expect(() => Corpus.fromText('aaaa')).toThrow(
      'The corpus has only 1 distinct character ("a" (U+0061)); a language model needs at least 2.',
    );
    const v = Vocabulary.fromText('ab');
    expect(() => Corpus.fromText('bbbbbb', { vocabulary: v, validationFraction: 0 })).toThrow(RangeError);
  });

  it('splits the first (1 − f) of the tokens into train and the rest into validation', () => {
    const text = 'abcdefghij'.repeat(10); // 100 tokens
    const c = Corpus.fromText(text);
    expect(c.length).toBe(100);
    expect(c.train.length).toBe(90);
    expect(c.validation.length).toBe(10);
    expect(c.vocabulary.size).toBe(10);
    expect(c.ids).toBeInstanceOf(Uint16Array);
    expect(c.train).toBeInstanceOf(Uint16Array);
    expect(c.train.buffer).toBe(c.ids.buffer);
    expect(c.vocabulary.decode(c.train) + c.vocabulary.decode(c.validation)).toBe(text);
    expect(c.vocabulary.decode(c.validation)).toBe('abcdefghij');
  });

  it('counts code points, not UTF-16 units, when splitting', () => {
    const text = '😀🐱'.repeat(10); // 20 tokens, 40 UTF-16 units
    const c = Corpus.fromText(text, { validationFraction: 0.25 });
    expect(c.length).toBe(20);
    expect(c.train.length).toBe(15);
    expect(c.validation.length).toBe(5);
    expect(c.vocabulary.decode(c.validation)).toBe('🐱😀🐱😀🐱');
  });

  it('allows an empty validation split only with fraction 0', () => {
    const c = Corpus.fromText('ab', { validationFraction: 0 });
    expect(c.train.length).toBe(2);
    expect(c.validation.length).toBe(0);
    expect(() => Corpus.fromText('abcde', { validationFraction: 0.1 })).toThrow(
      'Expected a validationFraction that leaves at least 2 tokens in each split for validationFraction ' +
        'but received 0.1 (a corpus of 5 tokens splits into 5 train and 0 validation tokens). ' +
        'HINT: use a longer corpus, or validationFraction: 0 to skip validation',
    );
    expect(() => Corpus.fromText('abc', { validationFraction: 0.5 })).toThrow(RangeError);
    expect(Corpus.fromText('abcd', { validationFraction: 0.5 }).validation.length).toBe(2);
  });

  it('validates the fraction range', () => {
    expect(() => Corpus.fromText('abcabc', { validationFraction: 0.6 })).toThrow(
      'Expected a number in [0, 0.5] for validationFraction but received 0.6',
    );
    expect(() => Corpus.fromText('abcabc', { validationFraction: -0.1 })).toThrow(RangeError);
    expect(() => Corpus.fromText('abcabc', { validationFraction: NaN })).toThrow(RangeError);
  });

  it('encodes with a given vocabulary and reports unknown characters', () => {
    const v = Vocabulary.fromText('abcdefghijklmnopqrstuvwxyz ');
    const c = Corpus.fromText('the cat sat on the mat', { vocabulary: v, validationFraction: 0 });
    expect(c.vocabulary).toBe(v);
    expect(c.vocabulary.decode(c.ids)).toBe('the cat sat on the mat');
    expect(() => Corpus.fromText('the Cat', { vocabulary: v })).toThrow(
      'Character "C" (U+0043) at index 4 is not in the vocabulary of 27 characters.',
    );
  });
});

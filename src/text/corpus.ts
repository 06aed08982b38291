// Corpus loading: strict UTF-8 decoding and the train/validation split. No file I/O (corpus-file.ts reads files),
// so it runs in a browser. Deliberately no downloading or name resolution (see io/resolve-corpus.ts) and no batching.
import { numberInRange, typeError } from '../util/validate.js';
import { formatChar, Vocabulary, type TokenIds } from './vocabulary.js';
import { isTokenVocabulary, type WordVocabulary } from './word-vocabulary.js';

/** The fix a split too small suggests (the CLI says it with its flags: src/cli/messages.ts). */
export const SPLIT_HINT = 'use a longer corpus, or validationFraction: 0 to skip validation';

const FIX_ENCODING_HINT =
  'save the file as UTF-8 (e.g. iconv -f WINDOWS-1252 -t UTF-8 FILE > FILE.utf8) or pass another --corpus FILE';

/**
 * The offset of the first byte of the first ill-formed sequence and why, or null when `bytes` is
 * well-formed UTF-8 (Unicode Table 3-7: no overlongs, no surrogates, nothing above U+10FFFF).
 */
export function findInvalidUtf8(bytes: Uint8Array): { offset: number; reason: string } | null {
  const n = bytes.length;
  let i = 0;
  while (i < n) {
    const b = bytes[i];
    if (b < 0x80) {
      i++;
      continue;
    }
    let need: number;
    let lo = 0x80;
    let hi = 0xbf;
    if (b >= 0xc2 && b <= 0xdf) need = 1;
    else if (b >= 0xe0 && b <= 0xef) {
      need = 2;
      if (b === 0xe0) lo = 0xa0;
      else if (b === 0xed) hi = 0x9f;
    } else if (b >= 0xf0 && b <= 0xf4) {
      need = 3;
      if (b === 0xf0) lo = 0x90;
      else if (b === 0xf4) hi = 0x8f;
    } else return { offset: i, reason: 'invalid start byte' };
    for (let k = 1; k <= need; k++) {
      if (i + k >= n) return { offset: i, reason: 'unexpected end of data' };
      const c = bytes[i + k];
      if (c < lo || c > hi) return { offset: i, reason: 'invalid continuation byte' };
      lo = 0x80;
      hi = 0xbf;
    }
    i += need + 1;
  }
  return null;
}

const strictDecoder = new TextDecoder('utf-8', { fatal: true });

/**
 * The longest text charrnn can hold, in UTF-16 code units: one JavaScript string (V8's limit, 2^29 − 24 on 64-bit
 * platforms, about 512 MB). A longer corpus is read through bounded windows instead (src/io/corpus-file.ts).
 */
export const MAX_TEXT_LENGTH = 2 ** 29 - 24; // buffer.constants.MAX_STRING_LENGTH of Node >= 20 on 64 bits (tested)

export function textTooLong(source: string, size: string): RangeError {
  return new RangeError(
    `${source} is too long: ${size} decode to more than ${MAX_TEXT_LENGTH.toLocaleString('en-US')} UTF-16 code ` +
      'units, the longest text charrnn can hold (one JavaScript string, about 512 MB). ' +
      'HINT: use a part of it (e.g. head -c 500M FILE > part.txt)',
  );
}

/**
 * Decode UTF-8, stripping a leading BOM. Ill-formed input throws a RangeError naming the byte
 * offset of the start of the first ill-formed sequence (Python's convention), e.g.
 * `Invalid UTF-8 in corpus.txt at byte offset 2 (byte 0xFF: invalid start byte). HINT: …`.
 */
export function decodeUtf8Strict(bytes: Uint8Array, source = 'input'): string {
  if (!(bytes instanceof Uint8Array)) typeError('a Uint8Array', 'bytes', bytes);
  try {
    return strictDecoder.decode(bytes);
  } catch (err) {
    if ((err as { code?: unknown }).code === 'ERR_STRING_TOO_LONG')
      throw textTooLong(source, `its ${bytes.length.toLocaleString('en-US')} bytes`);
    const bad = findInvalidUtf8(bytes);
    if (bad === null) throw err; // the decoder failed for another reason: let it surface as is
    throw invalidUtf8Error(source, bad.offset, bytes[bad.offset], bad.reason);
  }
}

/** The RangeError of ill-formed UTF-8 in `source` at byte `offset` (which holds `byte`), with the fix. */
export function invalidUtf8Error(source: string, offset: number, byte: number, reason: string): RangeError {
  const hex = byte.toString(16).toUpperCase().padStart(2, '0');
  return new RangeError(
    `Invalid UTF-8 in ${source} at byte offset ${offset} (byte 0x${hex}: ${reason}). HINT: ${FIX_ENCODING_HINT}`,
  );
}

export interface CorpusOptions<V extends Vocabulary | WordVocabulary = Vocabulary> {
  /** Fraction of the tokens (the tail) held out for validation, in [0, 0.5]; default 0.1. */
  validationFraction?: number;
  /** Encode with this vocabulary (e.g. a checkpoint's, or a WordVocabulary) instead of building one from the text. */
  vocabulary?: V;
}

/** A text encoded once, split into a training head and a validation tail (views, no copies). */
export class Corpus<V extends Vocabulary | WordVocabulary = Vocabulary> {
  /** Token ids of the whole text. */
  readonly ids: TokenIds;
  /** ids[0, length - validation.length): the first (1 − validationFraction) of the tokens. */
  readonly train: TokenIds;
  /** The rest: floor(length × validationFraction) tokens (empty only when the fraction is 0). */
  readonly validation: TokenIds;

  private constructor(
    readonly vocabulary: V,
    ids: TokenIds,
    readonly validationFraction: number,
  ) {
    const n = ids.length;
    const nVal = Math.floor(n * validationFraction);
    const nTrain = n - nVal;
    if (nTrain < 2 || (validationFraction > 0 && nVal < 2))
      throw new RangeError(
        `Expected a validationFraction that leaves at least 2 tokens in each split for validationFraction ` +
          `but received ${validationFraction} (a corpus of ${n} tokens splits into ${nTrain} train and ` +
          `${nVal} validation tokens). HINT: ${SPLIT_HINT}`,
      );
    this.ids = ids;
    this.train = ids.subarray(0, nTrain);
    this.validation = ids.subarray(nTrain, n);
  }

  /** Number of tokens (code points) in the whole text. */
  get length(): number {
    return this.ids.length;
  }

  /** Encode `text` (with its own vocabulary unless one is given) and split it. */
  static fromText<V extends Vocabulary | WordVocabulary = Vocabulary>(
    text: string,
    options: CorpusOptions<V> = {},
  ): Corpus<V> {
    if (typeof text !== 'string') typeError('a string', 'text', text);
    const { validationFraction = 0.1, vocabulary } = options;
    numberInRange('validationFraction', validationFraction, 0, 0.5);
    if (vocabulary !== undefined && !isTokenVocabulary(vocabulary))
      typeError('a Vocabulary or WordVocabulary', 'vocabulary', vocabulary);
    if (text.length === 0)
      throw new RangeError(
        'The corpus is empty. HINT: pass a UTF-8 text file with at least 2 distinct characters',
      );
    const vocab = vocabulary ?? (Vocabulary.fromText(text) as V);
    const ids = vocab.encodeCompact(text);
    const distinct = countDistinct(ids, vocab.size);
    if (distinct < 2) {
      throw new RangeError(
        `The corpus has only 1 distinct character (${formatChar(text.codePointAt(0)!)}); ` +
          `a language model needs at least 2. HINT: pass a text with more than one distinct character`,
      );
    }
    return new Corpus(vocab, ids, validationFraction);
  }
}

function countDistinct(ids: TokenIds, size: number): number {
  const seen = new Uint8Array(size);
  let count = 0;
  for (let i = 0; i < ids.length && count < 2; i++) {
    if (seen[ids[i]] === 0) {
      seen[ids[i]] = 1;
      count++;
    }
  }
  return count;
}

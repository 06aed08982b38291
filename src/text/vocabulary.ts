// Char-level vocabulary over Unicode code points: text ↔ token ids, sorted by code point, JSON round-trip;
// and TokenVocabulary, the interface every vocabulary (this one, word-vocabulary.ts) gives models and trainers.
// Deliberately no normalisation (NFC/NFD), no grapheme clustering and no corpus-level checks (see corpus.ts).
import { describe as describeValue, rangeError, typeError } from '../util/validate.js';

/** The fix a character outside the vocabulary suggests (the CLI says it with its flags: src/cli/messages.ts). */
export const UNKNOWN_CHARACTER_HINT = "pass { unknown: 'skip' } or { unknown: { replaceWith: ' ' } }";

/** Token ids of a text: Uint16Array when the vocabulary fits (≤ 65536 tokens), else Int32Array. */
export type TokenIds = Uint16Array | Int32Array;

/** What encode does with a character that is not in the vocabulary. */
export type UnknownPolicy = 'error' | 'skip' | { replaceWith: string };

export interface EncodeOptions {
  /** Default 'error': throw a RangeError naming the character and its index. */
  unknown?: UnknownPolicy;
}

/** The serialised form, as written into checkpoints. */
export interface VocabularyJSON {
  kind: 'char';
  tokens: string[];
}

/**
 * What a model, a trainer and the generation code need from a vocabulary: ids 0 … size-1, text ↔ ids,
 * and a JSON form whose `kind` field says which class reads it back (see vocabularyFromJSON in
 * word-vocabulary.ts). Implemented by Vocabulary (kind 'char') and WordVocabulary (kind 'word').
 */
export interface TokenVocabulary {
  readonly kind: 'char' | 'word';
  readonly size: number;
  /** Token ids of `text` (unknown tokens follow options.unknown; each vocabulary documents its default). */
  encode(text: string, options?: EncodeOptions): Int32Array;
  /** As encode, in a Uint16Array when size ≤ 65536. */
  encodeCompact(text: string, options?: EncodeOptions): TokenIds;
  /** The text of `ids`: the concatenation of decodeStep(ids[i-1], ids[i]) (with -1 before the first). */
  decode(ids: ArrayLike<number>): string;
  /** The text that token `id` adds after token `prev` (-1: at the start), for streaming output. */
  decodeStep(prev: number, id: number): string;
  /** The id of a token, or -1 when absent. */
  idOf(token: string): number;
  /** The token of `id`. */
  tokenOf(id: number): string;
  toJSON(): { kind: 'char' | 'word' };
}

const BMP = 0x10000;
// ignoreBOM: a leading U+FEFF token must survive decode. Uint16Array is native-endian, hence the check.
const utf16 = new TextDecoder('utf-16le', { ignoreBOM: true });
const LITTLE_ENDIAN = new Uint8Array(Uint16Array.of(1).buffer)[0] === 1;

/** `"é" (U+00E9)`: a character as a JSON string literal plus its code point. */
export function formatChar(cp: number): string {
  return `${JSON.stringify(String.fromCodePoint(cp))} (U+${cp.toString(16).toUpperCase().padStart(4, '0')})`;
}

/** The code point of a string that holds exactly one code point, else -1. */
function singleCodePoint(s: string): number {
  if (s.length === 0 || s.length > 2) return -1;
  const cp = s.codePointAt(0)!;
  return (cp >= BMP ? 2 : 1) === s.length ? cp : -1;
}

type Out = { [i: number]: number; slice(begin: number, end: number): Out };

export class Vocabulary implements TokenVocabulary {
  readonly kind = 'char' as const;
  /** Number of tokens (ids are 0 … size-1). */
  readonly size: number;
  /** Tokens sorted by code point; tokens[id] is the character of id. */
  readonly tokens: readonly string[];
  /** codePoints[id]: the code point of token id (ascending). */
  private readonly codePoints: Int32Array;
  /** Dense table for code points below bmpLimit: id or -1. */
  private readonly bmp: Int32Array;
  /** Code points ≥ 0x10000 → id. */
  private readonly astral: Map<number, number>;
  /** Whether a token is a lone surrogate (U+D800–U+DFFF), which TextDecoder cannot reproduce. */
  private readonly hasLoneSurrogates: boolean;

  private constructor(sortedCodePoints: Int32Array) {
    this.size = sortedCodePoints.length;
    this.codePoints = sortedCodePoints;
    this.tokens = Object.freeze(Array.from(sortedCodePoints, (cp) => String.fromCodePoint(cp)));
    let maxBmp = -1;
    for (const cp of sortedCodePoints) if (cp < BMP) maxBmp = cp;
    this.bmp = new Int32Array(maxBmp + 1).fill(-1);
    this.astral = new Map();
    this.hasLoneSurrogates = sortedCodePoints.some((cp) => cp >= 0xd800 && cp <= 0xdfff);
    sortedCodePoints.forEach((cp, id) => {
      if (cp < BMP) this.bmp[cp] = id;
      else this.astral.set(cp, id);
    });
  }

  /** The vocabulary of every distinct code point in `text` (at least one). */
  static fromText(text: string): Vocabulary {
    if (typeof text !== 'string') typeError('a string', 'text', text);
    if (text.length === 0)
      rangeError('a non-empty string', 'text', text, 'a vocabulary needs at least one character');
    const seen = new Uint8Array(BMP);
    const astral = new Set<number>();
    const n = text.length;
    for (let i = 0; i < n;) {
      const cp = text.codePointAt(i)!;
      if (cp < BMP) {
        seen[cp] = 1;
        i++;
      } else {
        astral.add(cp);
        i += 2;
      }
    }
    const cps: number[] = [];
    for (let cp = 0; cp < BMP; cp++) if (seen[cp]) cps.push(cp);
    cps.push(...[...astral].sort((a, b) => a - b));
    return new Vocabulary(Int32Array.from(cps));
  }

  /** Load and validate the output of toJSON(). A missing `kind` (files older than word vocabularies) means 'char'. */
  static fromJSON(json: unknown): Vocabulary {
    const shape = "an object { kind: 'char', tokens: string[] }";
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      typeError(shape, 'vocabulary', json);
    const { kind, tokens } = json as { kind?: unknown; tokens?: unknown };
    if (kind !== 'char' && kind !== undefined) {
      const msg = `Expected kind 'char' for vocabulary.kind but received ${describeValue(kind)}`;
      throw typeof kind === 'string' ? new RangeError(msg) : new TypeError(msg);
    }
    if (!Array.isArray(tokens)) typeError('an array of strings', 'vocabulary.tokens', tokens);
    if (tokens.length === 0) rangeError('a non-empty array', 'vocabulary.tokens', tokens);
    const cps = new Int32Array(tokens.length);
    for (let i = 0; i < tokens.length; i++) {
      const t: unknown = tokens[i];
      if (typeof t !== 'string') typeError('a string', `vocabulary.tokens[${i}]`, t);
      const cp = singleCodePoint(t);
      if (cp < 0) rangeError('a single-code-point string', `vocabulary.tokens[${i}]`, t);
      if (i > 0 && cp <= cps[i - 1])
        throw new RangeError(
          `Expected tokens sorted by code point without duplicates for vocabulary.tokens[${i}] ` +
            `but received ${formatChar(cp)} after ${formatChar(cps[i - 1])}`,
        );
      cps[i] = cp;
    }
    return new Vocabulary(cps);
  }

  toJSON(): VocabularyJSON {
    return { kind: 'char', tokens: [...this.tokens] };
  }

  /** Whether `ch` (one code point) is a token. */
  has(ch: string): boolean {
    return this.idOf(ch) >= 0;
  }

  /** The id of `ch`, or -1 when absent (or when `ch` is not exactly one code point). */
  idOf(ch: string): number {
    if (typeof ch !== 'string') return -1;
    const cp = singleCodePoint(ch);
    return cp < 0 ? -1 : this.idOfCodePoint(cp);
  }

  /** The character of token `id`. */
  tokenOf(id: number): string {
    if (typeof id !== 'number') typeError(`an integer id in [0, ${this.size - 1}]`, 'id', id);
    if (!Number.isInteger(id) || id < 0 || id >= this.size)
      rangeError(`an integer id in [0, ${this.size - 1}]`, 'id', id);
    return this.tokens[id];
  }

  /**
   * Token ids of `text` as an Int32Array, one id per code point. An unknown character throws a
   * RangeError naming it and its index in `text` (a UTF-16 index, as for text.codePointAt), unless
   * options.unknown says 'skip' or { replaceWith: CH } (CH must be in the vocabulary).
   */
  encode(text: string, options?: EncodeOptions): Int32Array {
    return this.encodeInto(text, options, Int32Array);
  }

  /** Like encode, but a Uint16Array when size ≤ 65536 (half the memory for a corpus), else Int32Array. */
  encodeCompact(text: string, options?: EncodeOptions): TokenIds {
    return this.size <= BMP
      ? this.encodeInto(text, options, Uint16Array)
      : this.encodeInto(text, options, Int32Array);
  }

  /** The text of `ids` (each an integer in [0, size)). */
  decode(ids: ArrayLike<number>): string {
    if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number')
      typeError('an array or typed array of token ids', 'ids', ids);
    const n = ids.length;
    // Code units into one buffer, then a single UTF-16 decode (several times faster than fromCharCode).
    const units = new Uint16Array(this.astral.size > 0 ? 2 * n : n);
    const cps = this.codePoints;
    const size = this.size;
    let u = 0;
    for (let i = 0; i < n; i++) {
      const id = ids[i];
      if (!(Number.isInteger(id) && id >= 0 && id < size))
        rangeError(`an integer id in [0, ${size - 1}]`, `ids[${i}]`, id);
      const cp = cps[id];
      if (cp < BMP) units[u++] = cp;
      else {
        units[u++] = 0xd800 + ((cp - BMP) >> 10);
        units[u++] = 0xdc00 + ((cp - BMP) & 0x3ff);
      }
    }
    if (LITTLE_ENDIAN && !this.hasLoneSurrogates) return utf16.decode(units.subarray(0, u));
    // Lone surrogates (TextDecoder would make them U+FFFD) or a big-endian host: build the string by hand.
    const parts: string[] = [];
    for (let i = 0; i < u; i += 8192)
      parts.push(
        String.fromCharCode.apply(null, units.subarray(i, Math.min(u, i + 8192)) as unknown as number[]),
      );
    return parts.join('');
  }

  /** The character of `id` (a char vocabulary's text never depends on the previous token). */
  decodeStep(prev: number, id: number): string {
    return this.tokenOf(id);
  }

  private idOfCodePoint(cp: number): number {
    if (cp < BMP) return cp < this.bmp.length ? this.bmp[cp] : -1;
    return this.astral.get(cp) ?? -1;
  }

  /** -1: throw; -2: skip; ≥ 0: the replacement id. */
  private unknownAction(options: EncodeOptions | undefined): number {
    if (options === undefined) return -1;
    if (typeof options !== 'object' || options === null)
      typeError('an options object { unknown? }', 'options', options);
    const u = options.unknown;
    if (u === undefined || u === 'error') return -1;
    if (u === 'skip') return -2;
    const policy = "'error', 'skip' or { replaceWith: string }";
    if (typeof u !== 'object' || u === null) {
      const msg = `Expected ${policy} for options.unknown but received ${describeValue(u)}`;
      throw typeof u === 'string' ? new RangeError(msg) : new TypeError(msg);
    }
    const r: unknown = (u as { replaceWith?: unknown }).replaceWith;
    if (typeof r !== 'string') typeError('a string', 'options.unknown.replaceWith', r);
    const id = this.idOf(r);
    if (id < 0)
      rangeError(
        `a single character of the vocabulary of ${this.size} characters`,
        'options.unknown.replaceWith',
        r,
        'choose a character that occurs in the training text, e.g. a space if it does',
      );
    return id;
  }

  private encodeInto<T extends Out>(
    text: string,
    options: EncodeOptions | undefined,
    Ctor: new (n: number) => T,
  ): T {
    if (typeof text !== 'string') typeError('a string', 'text', text);
    const action = this.unknownAction(options);
    const n = text.length;
    const out = new Ctor(n);
    const bmp = this.bmp;
    const bmpLen = bmp.length;
    let k = 0;
    for (let i = 0; i < n;) {
      const c = text.charCodeAt(i);
      let id: number;
      let cp = c;
      let width = 1;
      if (c < bmpLen && (c < 0xd800 || c > 0xdbff)) {
        id = bmp[c];
      } else {
        cp = text.codePointAt(i)!;
        width = cp >= BMP ? 2 : 1;
        id = this.idOfCodePoint(cp);
      }
      if (id < 0) {
        if (action === -1) {
          throw new RangeError(
            `Character ${formatChar(cp)} at index ${i} is not in the vocabulary of ${this.size} characters. ` +
              `HINT: ${UNKNOWN_CHARACTER_HINT}`,
          );
        }
        if (action === -2) {
          i += width;
          continue;
        }
        id = action;
      }
      out[k++] = id;
      i += width;
    }
    // Surrogate pairs or skipped characters leave a tail: copy so that .buffer holds only the ids.
    return (k === n ? out : out.slice(0, k)) as T;
  }
}

// Word-level vocabulary: a documented tokenizer (words, punctuation, newlines), frequency cut-offs, `<unk>`,
// and vocabularyFromJSON, which reads either kind of vocabulary back from a model file by its `kind` field.
// Deliberately no lower-casing, stemming or sub-word units: a token is exactly a piece of the text.
import { describe as describeValue, positiveInt, rangeError, typeError } from '../util/validate.js';
import { Vocabulary, type EncodeOptions, type TokenIds, type TokenVocabulary } from './vocabulary.js';

/** The token every out-of-vocabulary word becomes (id 0). */
export const UNK = '<unk>';
/** The fixes these errors suggest (the CLI says them with its flags: src/cli/messages.ts). */
export const UNKNOWN_WORD_HINT = `leave options.unknown unset to encode it as ${UNK}, or pass { unknown: 'skip' }`;
export const MIN_FREQ_HINT = 'lower minFreq';
/** The end-of-line token (id 1): a newline is a token of its own, so line structure is modelled. */
export const EOL = '\n';

/**
 * The tokenizer rule. Scanning left to right, at each position the first alternative that matches is a token:
 *   1. a newline `\n` (the end-of-line token);
 *   2. a word: a run of letters, marks and digits (`[\p{L}\p{M}\p{N}]+`), with apostrophes (' or ’) or
 *      hyphens joining runs inside it (`o'er`, `well-a-day`; a leading or trailing apostrophe is punctuation);
 *   3. any other character that is not white space (punctuation, symbols, emoji): a token of one code point.
 * Other white space (spaces, tabs, `\r`) separates tokens and is dropped.
 */
const TOKEN = /\n|[\p{L}\p{M}\p{N}]+(?:['’-][\p{L}\p{M}\p{N}]+)*|[^\s]/gu;

/** Tokens that decode without a space before them. */
const NO_SPACE_BEFORE = new Set([',', '.', ';', ':', '!', '?', ')', ']', '}']);
/** Tokens that decode without a space after them. */
const NO_SPACE_AFTER = new Set(['(', '[', '{']);

export interface WordVocabularyOptions {
  /** Keep only words that occur at least this often (default 1). */
  minFreq?: number;
  /** At most this many tokens, `<unk>` and the end-of-line token included (default 65536). */
  maxSize?: number;
}

/** The serialised form, as written into model files. tokens[0] is `<unk>`, tokens[1] the newline. */
export interface WordVocabularyJSON {
  kind: 'word';
  tokens: string[];
}

/** A tokenized text: the tokens and their UTF-16 [start, end) offsets in the text. */
export interface Tokenized {
  tokens: string[];
  starts: number[];
  ends: number[];
}

/** Split `text` into tokens by the rule documented on TOKEN above. */
export function tokenizeWords(text: string): Tokenized {
  if (typeof text !== 'string') typeError('a string', 'text', text);
  const tokens: string[] = [];
  const starts: number[] = [];
  const ends: number[] = [];
  for (const m of text.matchAll(TOKEN)) {
    tokens.push(m[0]);
    starts.push(m.index);
    ends.push(m.index + m[0].length);
  }
  return { tokens, starts, ends };
}

function displayToken(t: string): string {
  return JSON.stringify(t);
}

export class WordVocabulary implements TokenVocabulary {
  readonly kind = 'word' as const;
  readonly size: number;
  /** tokens[id]: `<unk>`, the newline, then words by descending frequency (ties in code-unit order). */
  readonly tokens: readonly string[];
  private readonly ids: Map<string, number>;

  private constructor(tokens: string[]) {
    this.tokens = Object.freeze(tokens);
    this.size = tokens.length;
    this.ids = new Map(tokens.map((t, i) => [t, i]));
  }

  /**
   * The vocabulary of `text`: `<unk>`, the newline, then every token occurring at least minFreq times, most
   * frequent first (ties in code-unit order), cut to maxSize tokens in all.
   */
  static fromText(text: string, options: WordVocabularyOptions = {}): WordVocabulary {
    if (typeof text !== 'string') typeError('a string', 'text', text);
    if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
    const minFreq = positiveInt('minFreq', options.minFreq ?? 1);
    const maxSize = positiveInt('maxSize', options.maxSize ?? 65536);
    if (maxSize < 3)
      rangeError('an integer ≥ 3 (<unk>, the newline and at least one word)', 'maxSize', maxSize);
    const counts = new Map<string, number>();
    for (const m of text.matchAll(TOKEN)) counts.set(m[0], (counts.get(m[0]) ?? 0) + 1);
    counts.delete(EOL);
    const words = [...counts].filter(([, c]) => c >= minFreq);
    if (words.length === 0)
      rangeError(
        `a text with at least one word occurring ${minFreq} or more times`,
        'text',
        text,
        minFreq > 1 ? MIN_FREQ_HINT : 'pass a non-empty text',
      );
    words.sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0));
    return new WordVocabulary([UNK, EOL, ...words.slice(0, maxSize - 2).map(([w]) => w)]);
  }

  /** Load and validate the output of toJSON(). */
  static fromJSON(json: unknown): WordVocabulary {
    const shape = "an object { kind: 'word', tokens: string[] }";
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      typeError(shape, 'vocabulary', json);
    const { kind, tokens } = json as { kind?: unknown; tokens?: unknown };
    if (kind !== 'word') {
      const msg = `Expected kind 'word' for vocabulary.kind but received ${describeValue(kind)}`;
      throw typeof kind === 'string' ? new RangeError(msg) : new TypeError(msg);
    }
    if (!Array.isArray(tokens)) typeError('an array of strings', 'vocabulary.tokens', tokens);
    if (tokens.length < 3) rangeError('an array of at least 3 tokens', 'vocabulary.tokens', tokens);
    if (tokens[0] !== UNK) rangeError(`"${UNK}"`, 'vocabulary.tokens[0]', tokens[0]);
    if (tokens[1] !== EOL) rangeError('"\\n"', 'vocabulary.tokens[1]', tokens[1]);
    const seen = new Set<string>([UNK, EOL]);
    for (let i = 2; i < tokens.length; i++) {
      const t: unknown = tokens[i];
      if (typeof t !== 'string') typeError('a string', `vocabulary.tokens[${i}]`, t);
      const parts = tokenizeWords(t).tokens;
      if (parts.length !== 1 || parts[0] !== t)
        rangeError('a single token (a word or one punctuation character)', `vocabulary.tokens[${i}]`, t);
      if (seen.has(t)) rangeError('tokens without duplicates', `vocabulary.tokens[${i}]`, t);
      seen.add(t);
    }
    return new WordVocabulary([...(tokens as string[])]);
  }

  toJSON(): WordVocabularyJSON {
    return { kind: 'word', tokens: [...this.tokens] };
  }

  /** The id of a token, or -1 when absent. */
  idOf(token: string): number {
    if (typeof token !== 'string') return -1;
    return this.ids.get(token) ?? -1;
  }

  has(token: string): boolean {
    return this.idOf(token) >= 0;
  }

  tokenOf(id: number): string {
    if (typeof id !== 'number') typeError(`an integer id in [0, ${this.size - 1}]`, 'id', id);
    if (!Number.isInteger(id) || id < 0 || id >= this.size)
      rangeError(`an integer id in [0, ${this.size - 1}]`, 'id', id);
    return this.tokens[id];
  }

  /**
   * Token ids of `text`, one per token of tokenizeWords. An out-of-vocabulary word becomes `<unk>` (id 0)
   * unless options.unknown says 'error' (a RangeError naming the word and its UTF-16 index), 'skip', or
   * { replaceWith: TOKEN } (TOKEN must be in the vocabulary).
   */
  encode(text: string, options?: EncodeOptions): Int32Array {
    const { tokens, starts } = tokenizeWords(text);
    const action = this.unknownAction(options);
    const out = new Int32Array(tokens.length);
    let k = 0;
    for (let i = 0; i < tokens.length; i++) {
      let id = this.ids.get(tokens[i]) ?? -1;
      if (id < 0) {
        if (action === -1)
          throw new RangeError(
            `Word ${displayToken(tokens[i])} at index ${starts[i]} is not in the vocabulary of ${this.size} words. ` +
              `HINT: ${UNKNOWN_WORD_HINT}`,
          );
        if (action === -2) continue;
        id = action;
      }
      out[k++] = id;
    }
    return k === out.length ? out : out.slice(0, k);
  }

  encodeCompact(text: string, options?: EncodeOptions): TokenIds {
    const ids = this.encode(text, options);
    return this.size <= 65536 ? Uint16Array.from(ids) : ids;
  }

  /**
   * The text of token `id` after token `prev` (-1 at the start): a space, then the token, except no space
   * next to a newline, before `, . ; : ! ? ) ] }` and after `( [ {`. So decode is a readable rendering, and
   * encode(decode(ids)) gives ids back whenever ids holds no `<unk>` (which renders as the text "<unk>").
   */
  decodeStep(prev: number, id: number): string {
    const t = this.tokenOf(id);
    if (prev === -1) return t;
    const p = this.tokenOf(prev);
    if (t === EOL || p === EOL || NO_SPACE_BEFORE.has(t) || NO_SPACE_AFTER.has(p)) return t;
    return ' ' + t;
  }

  decode(ids: ArrayLike<number>): string {
    if (ids === null || typeof ids !== 'object' || typeof ids.length !== 'number')
      typeError('an array or typed array of token ids', 'ids', ids);
    const parts: string[] = [];
    for (let i = 0; i < ids.length; i++) {
      const id = ids[i];
      if (!(Number.isInteger(id) && id >= 0 && id < this.size))
        rangeError(`an integer id in [0, ${this.size - 1}]`, `ids[${i}]`, id);
      parts.push(this.decodeStep(i === 0 ? -1 : ids[i - 1], id));
    }
    return parts.join('');
  }

  /** -1: throw; -2: skip; ≥ 0: the replacement id (default: `<unk>`). */
  private unknownAction(options: EncodeOptions | undefined): number {
    if (options === undefined) return 0;
    if (typeof options !== 'object' || options === null)
      typeError('an options object { unknown? }', 'options', options);
    const u = options.unknown;
    if (u === undefined) return 0;
    if (u === 'error') return -1;
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
      rangeError(`a token of the vocabulary of ${this.size} words`, 'options.unknown.replaceWith', r);
    return id;
  }
}

/**
 * Read a vocabulary written by either class's toJSON, dispatching on `kind`: 'word' → WordVocabulary;
 * 'char' or no kind at all (files written before word vocabularies existed) → Vocabulary.
 */
export function vocabularyFromJSON(json: unknown): Vocabulary | WordVocabulary {
  const kind = typeof json === 'object' && json !== null ? (json as { kind?: unknown }).kind : undefined;
  if (kind === 'word') return WordVocabulary.fromJSON(json);
  if (typeof kind === 'string' && kind !== 'char')
    rangeError("'char' or 'word'", 'vocabulary.kind', kind, 'this file was written by a newer charrnn');
  return Vocabulary.fromJSON(json);
}

/** Whether `v` is one of the two vocabulary classes. */
export function isTokenVocabulary(v: unknown): v is Vocabulary | WordVocabulary {
  return v instanceof Vocabulary || v instanceof WordVocabulary;
}

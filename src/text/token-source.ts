// A token sequence read by position instead of held whole: what the Batcher's streams and the trainer's validation
// read from when the corpus is a file larger than memory should hold (src/io/corpus-file.ts implements it over a
// UTF-8 file). Deliberately no I/O here: this is the interface, plus helpers that treat an id array and a source alike.
import { rangeError } from '../util/validate.js';
import type { TokenIds } from './vocabulary.js';

/** A reader of a TokenSource with its own bounded window (each of the B streams has one). */
export interface TokenCursor {
  /** Copy ids [start, start + count) of the source into out[0, count). Sequential reads are the cheap ones. */
  read(start: number, count: number, out: Int32Array): void;
}

/** Token ids 0 … length − 1, read through cursors; never all in memory at once. */
export interface TokenSource {
  readonly kind: 'token-source';
  /** Number of tokens. */
  readonly length: number;
  /** A new reader (its window is allocated lazily and bounded by the source). */
  cursor(): TokenCursor;
  /** Tokens [start, end) as a source of their own (the same file, no copy). */
  slice(start: number, end: number): TokenSource;
}

/** Token ids held in memory, or read from a source. */
export type TokenInput = TokenIds | TokenSource;

export function isTokenSource(x: unknown): x is TokenSource {
  return typeof x === 'object' && x !== null && (x as { kind?: unknown }).kind === 'token-source';
}

/** ids[start, start + count) of an array or a source, as a fresh Int32Array. */
export function readTokens(
  input: TokenInput,
  start: number,
  count: number,
  cursor?: TokenCursor,
): Int32Array {
  if (
    !Number.isInteger(start) ||
    !Number.isInteger(count) ||
    start < 0 ||
    count < 0 ||
    start + count > input.length
  )
    rangeError(`a range within [0, ${input.length}]`, 'tokens', `[${start}, ${start + count})`);
  if (!isTokenSource(input)) return Int32Array.from(input.subarray(start, start + count));
  const out = new Int32Array(count);
  (cursor ?? input.cursor()).read(start, count, out);
  return out;
}

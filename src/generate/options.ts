// Generation options: the public option object and its validation into a resolved form (ids, limits, rng).
// Deliberately no generation here (see session.ts / generate.ts) and no defaults hidden elsewhere.
import type { EncodeOptions, TokenVocabulary, UnknownPolicy } from '../text/vocabulary.js';
import { Rng } from '../util/rng.js';
import { nonNegativeInt, numberInRange, positiveInt, rangeError, typeError } from '../util/validate.js';
import type { TransformSpec } from '../sampling/transform.js';
import { MAX_SAMPLE_LENGTH } from '../model/config.js';

/** The fix a banned token outside the vocabulary suggests (the CLI says it with its flags: src/cli/messages.ts). */
export const BANNED_HINT = 'ban only tokens of the vocabulary (the model never generates any other)';

/** How the next token is chosen (the transform rule of transform.ts, plus temperature). */
export interface PickOptions {
  /** Softmax temperature ≥ 0 (default 1); 0 = greedy (always the most likely token). */
  temperature?: number;
  /** Same as temperature 0 (kept for compatibility with earlier releases). */
  greedy?: boolean;
  /** Keep only the k most likely tokens (default 0 = off). */
  topK?: number;
  /** Keep the smallest set of most likely tokens whose probability reaches p, in (0, 1] (default 1 = off). */
  topP?: number;
  /** Divide the probability of every token seen in the last repetitionWindow tokens by this, ≥ 1 (default 1 = off). */
  repetitionPenalty?: number;
  /** How many recent tokens (prime included) the repetition penalty looks at (default 64). */
  repetitionWindow?: number;
  /** Tokens that are never generated: a string (its characters, or its words for a word model) or a list of tokens. */
  banned?: string | readonly string[];
}

export interface GenerateOptions extends PickOptions {
  /** Text that primes the state (default: a newline if the vocabulary has one, else its first token). */
  prime?: string;
  /** Number of tokens to generate (default 200); an upper bound when stop sequences or maxLength end it first. */
  length?: number;
  /** Stop once the output holds this many characters (UTF-16 code units), cutting it there (default: no limit). */
  maxLength?: number;
  /** Stop when the output contains one of these strings; the output ends before it unless includeStop. */
  stop?: string | readonly string[];
  /** Keep the stop sequence at the end of the output (default false). */
  includeStop?: boolean;
  /** Seed of the sampling PRNG (default 1); or pass `rng` to continue a stream. */
  seed?: number;
  rng?: Rng;
  /** Prime tokens outside the vocabulary: 'error' (default for characters), 'skip', { replaceWith } (words: `<unk>` by default). */
  unknown?: UnknownPolicy;
  /** Stops a stream (stream()/readable()) with an AbortError. */
  signal?: AbortSignal;
}

export interface ResolvedPick {
  /** Temperature passed to the backend's softmax (1 when greedy). */
  readonly temperature: number;
  readonly greedy: boolean;
  readonly spec: TransformSpec;
}

export interface ResolvedGenerate extends ResolvedPick {
  /** Prime token ids (at least one). */
  readonly prime: Int32Array;
  readonly length: number;
  readonly maxLength: number;
  readonly stop: readonly string[];
  readonly includeStop: boolean;
  readonly rng: Rng;
  readonly signal: AbortSignal | undefined;
}

function checkObject(name: string, value: unknown): void {
  if (value === null || typeof value !== 'object') typeError('an options object', name, value);
}

/** The encode options for user text: characters default to 'error', words to `<unk>`. */
export function encodeOptionsFor(
  vocabulary: TokenVocabulary,
  unknown: UnknownPolicy | undefined,
): EncodeOptions {
  if (unknown !== undefined) return { unknown };
  return vocabulary.kind === 'word' ? {} : { unknown: 'error' };
}

function bannedIds(vocabulary: TokenVocabulary, banned: PickOptions['banned']): Int32Array {
  if (banned === undefined) return new Int32Array(0);
  let tokens: string[];
  if (typeof banned === 'string') {
    // A string: its characters (char model) or its tokens (word model); every one must be in the vocabulary.
    let ids: Int32Array;
    try {
      ids = vocabulary.encode(banned, { unknown: 'error' });
    } catch (err) {
      // The encoder's own hint (options.unknown) does not apply to banned: say what does.
      if (!(err instanceof RangeError)) throw err;
      const what = err.message.replace(/\. HINT: .*$/, '');
      throw new RangeError(`${what}, so banned cannot hold it. HINT: ${BANNED_HINT}`);
    }
    return Int32Array.from(new Set(ids)).sort();
  } else if (Array.isArray(banned)) tokens = banned as string[];
  else return typeError('a string or an array of tokens', 'banned', banned);
  const ids = new Set<number>();
  tokens.forEach((t, i) => {
    if (typeof t !== 'string') typeError('a string', `banned[${i}]`, t);
    const id = vocabulary.idOf(t);
    if (id < 0) rangeError(`a token of the vocabulary of ${vocabulary.size}`, `banned[${i}]`, t);
    ids.add(id);
  });
  return Int32Array.from(ids).sort();
}

/** Validate the pick options against a vocabulary of `vocabulary.size` tokens. */
export function resolvePick(vocabulary: TokenVocabulary, options: PickOptions): ResolvedPick {
  checkObject('options', options);
  const t = options.temperature ?? 1;
  if (typeof t !== 'number') typeError('a finite number ≥ 0', 'temperature', t);
  if (!Number.isFinite(t) || t < 0)
    rangeError('a finite number ≥ 0', 'temperature', t, 'use temperature 0 for greedy decoding');
  if (options.greedy !== undefined && typeof options.greedy !== 'boolean')
    typeError('a boolean', 'greedy', options.greedy);
  const greedy = options.greedy === true || t === 0;
  const topK = nonNegativeInt('topK', options.topK ?? 0);
  const topP = options.topP ?? 1;
  numberInRange('topP', topP, 0, 1);
  if (topP === 0)
    rangeError('a number in (0, 1]', 'topP', topP, 'use topK: 1 for the single most likely token');
  const repetitionPenalty = options.repetitionPenalty ?? 1;
  if (typeof repetitionPenalty !== 'number')
    typeError('a finite number ≥ 1', 'repetitionPenalty', repetitionPenalty);
  if (!Number.isFinite(repetitionPenalty) || repetitionPenalty < 1)
    rangeError('a finite number ≥ 1', 'repetitionPenalty', repetitionPenalty);
  const repetitionWindow = positiveInt('repetitionWindow', options.repetitionWindow ?? 64);
  const banned = bannedIds(vocabulary, options.banned);
  if (banned.length >= vocabulary.size)
    rangeError(`at most ${vocabulary.size - 1} banned tokens (one must remain)`, 'banned', options.banned);
  return {
    temperature: greedy ? 1 : t,
    greedy,
    spec: { banned, repetitionPenalty, repetitionWindow, topK: topK >= vocabulary.size ? 0 : topK, topP },
  };
}

function stopList(stop: GenerateOptions['stop']): string[] {
  if (stop === undefined) return [];
  const list = typeof stop === 'string' ? [stop] : stop;
  if (!Array.isArray(list)) typeError('a string or an array of strings', 'stop', stop);
  return list.map((s, i) => {
    if (typeof s !== 'string') typeError('a string', `stop[${i}]`, s);
    if (s.length === 0) rangeError('a non-empty string', `stop[${i}]`, s);
    return s;
  });
}

/** The default prime: a newline if the vocabulary has one, else token 0. */
export function defaultPrime(vocabulary: TokenVocabulary): Int32Array {
  const nl = vocabulary.idOf('\n');
  return Int32Array.of(nl >= 0 ? nl : 0);
}

/** Encode a prime under the unknown policy; it must keep at least one token. */
export function encodePrime(
  vocabulary: TokenVocabulary,
  prime: unknown,
  unknown: UnknownPolicy | undefined,
): Int32Array {
  if (typeof prime !== 'string') typeError('a string', 'prime', prime);
  const ids = vocabulary.encode(prime, encodeOptionsFor(vocabulary, unknown));
  if (ids.length === 0) rangeError(`at least one token of the vocabulary in prime`, 'prime', prime);
  return ids;
}

/** Validate every generation option. `needPrime` false: the prime is ignored (a session continues its state). */
export function resolveGenerate(
  vocabulary: TokenVocabulary,
  options: GenerateOptions,
  needPrime = true,
): ResolvedGenerate {
  checkObject('options', options);
  const pick = resolvePick(vocabulary, options);
  const prime = !needPrime
    ? new Int32Array(0)
    : options.prime === undefined || options.prime === ''
      ? defaultPrime(vocabulary)
      : encodePrime(vocabulary, options.prime, options.unknown);
  const length = nonNegativeInt('length', options.length ?? 200);
  if (length > MAX_SAMPLE_LENGTH) rangeError(`an integer in [0, ${MAX_SAMPLE_LENGTH}]`, 'length', length);
  const maxLength =
    options.maxLength === undefined ? Infinity : nonNegativeInt('maxLength', options.maxLength);
  if (options.includeStop !== undefined && typeof options.includeStop !== 'boolean')
    typeError('a boolean', 'includeStop', options.includeStop);
  if (options.rng !== undefined && !(options.rng instanceof Rng)) typeError('an Rng', 'rng', options.rng);
  const rng = options.rng ?? new Rng(options.seed ?? 1);
  const signal = options.signal;
  if (signal !== undefined && !(signal instanceof AbortSignal)) typeError('an AbortSignal', 'signal', signal);
  return {
    ...pick,
    prime,
    length,
    maxLength,
    stop: stopList(options.stop),
    includeStop: options.includeStop ?? false,
    rng,
    signal,
  };
}

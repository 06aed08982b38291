// Scoring: how likely a text is under a model — total log-probability, per-token surprisal, perplexity,
// bits per character — with an explicit policy for tokens outside the vocabulary; and ranking of texts.
// The numbers come from the same BackendSession.step distributions a Session's next() returns, so summing a
// session's logProb() over the text gives exactly -totalNats. Deliberately no batching of texts.
import { formatChar } from '../text/vocabulary.js';
import { tokenizeWords } from '../text/word-vocabulary.js';
import { nonNegativeNumber, oneOf, rangeError, typeError } from '../util/validate.js';
import type { ModelCore } from './core.js';

/** The fix an unknown token in a scored text suggests (the CLI says it with its flags: src/cli/messages.ts). */
export const SCORE_UNKNOWN_HINT = "pass { unknown: 'skip' } or { unknown: { penalty: NATS } }";

/** What happens to a character (a word, for a word model) that is not in the vocabulary. */
export type ScoreUnknownPolicy =
  /** Throw a RangeError naming it and its index (default for character models). */
  | 'error'
  /** Leave it out: not scored, not fed to the model, not counted. */
  | 'skip'
  /** Count it as a scored token with this surprisal (nats); it is not fed to the model. */
  | { penalty: number };

export interface ScoreOptions {
  /**
   * Default 'error' for a character model; a word model scores an unknown word as its `<unk>` token unless
   * a policy is given.
   */
  unknown?: ScoreUnknownPolicy;
  /** Text fed before `text` and not scored; without it the first token of `text` is the (unscored) context. */
  context?: string;
}

export interface ScoreResult {
  /** Σ −ln p over the scored tokens (the penalty for penalised unknown tokens included), nats. */
  totalNats: number;
  /** totalNats / ln 2. */
  totalBits: number;
  /** Number of scored tokens (characters, or words and punctuation for a word model). */
  count: number;
  /** Characters (code points) the scored tokens stand for; a word model's include the spaces between words. */
  characters: number;
  /** exp(totalNats / count): per character, or per word for a word model. */
  perplexity: number;
  /** totalBits / count. */
  bitsPerToken: number;
  /** totalBits / characters. */
  bitsPerChar: number;
  /** exp(totalNats / characters): the per-character equivalent (equal to perplexity for a character model). */
  charPerplexity: number;
  /** Unknown tokens met (skipped or penalised). */
  unknown: number;
  /** The scored tokens, in order (an unknown token as written in the text). */
  tokens: string[];
  /** −ln p of each scored token, nats (aligned with tokens). */
  surprisal: Float64Array;
}

interface Item {
  /** Token id, or -1 for an unknown token. */
  id: number;
  token: string;
  /** UTF-16 index in the text. */
  index: number;
  /** Code points up to the end of this token, from the start of the text. */
  cpEnd: number;
}

type Policy = { kind: 'error' } | { kind: 'skip' } | { kind: 'penalty'; nats: number } | { kind: 'unk' };

function resolvePolicy(core: ModelCore, unknown: unknown): Policy {
  if (unknown === undefined) return core.vocabulary.kind === 'word' ? { kind: 'unk' } : { kind: 'error' };
  if (typeof unknown === 'string') {
    oneOf('unknown', unknown, ['error', 'skip'] as const);
    return { kind: unknown as 'error' | 'skip' };
  }
  if (unknown === null || typeof unknown !== 'object' || !('penalty' in unknown))
    typeError("'error', 'skip' or { penalty: nats }", 'unknown', unknown);
  return {
    kind: 'penalty',
    nats: nonNegativeNumber('unknown.penalty', (unknown as { penalty: unknown }).penalty),
  };
}

function codePoints(s: string): number {
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0xd800 || c > 0xdbff || i + 1 >= s.length) n++;
    else {
      const d = s.charCodeAt(i + 1);
      n++;
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
  }
  return n;
}

/** The text's tokens with their ids (-1 when unknown), under the vocabulary's own tokenization. */
function items(core: ModelCore, text: string, unk: boolean): Item[] {
  const v = core.vocabulary;
  const out: Item[] = [];
  if (v.kind === 'word') {
    const { tokens, starts, ends } = tokenizeWords(text);
    let cp = 0;
    let at = 0;
    for (let i = 0; i < tokens.length; i++) {
      cp += codePoints(text.slice(at, ends[i]));
      at = ends[i];
      const id = v.idOf(tokens[i]);
      out.push({ id: id < 0 && unk ? 0 : id, token: tokens[i], index: starts[i], cpEnd: cp });
    }
    return out;
  }
  let cp = 0;
  for (let i = 0; i < text.length;) {
    const c = text.codePointAt(i)!;
    const ch = String.fromCodePoint(c);
    out.push({ id: v.idOf(ch), token: ch, index: i, cpEnd: ++cp });
    i += ch.length;
  }
  return out;
}

function unknownError(core: ModelCore, item: Item, where: string): never {
  const v = core.vocabulary;
  const what =
    v.kind === 'word'
      ? `Word ${JSON.stringify(item.token)}`
      : `Character ${formatChar(item.token.codePointAt(0)!)}`;
  throw new RangeError(
    `${what} at index ${item.index} of ${where} is not in the vocabulary of ${v.size} ` +
      `${v.kind === 'word' ? 'words' : 'characters'}. HINT: ${SCORE_UNKNOWN_HINT}`,
  );
}

/** Score `text` under the model (see ScoreResult). */
export function score(core: ModelCore, text: string, options: ScoreOptions = {}): ScoreResult {
  if (typeof text !== 'string') typeError('a string', 'text', text);
  if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
  const policy = resolvePolicy(core, options.unknown);
  const context = options.context;
  if (context !== undefined && typeof context !== 'string') typeError('a string', 'context', context);
  const S = core.stateSize;
  const h = new Float32Array(S);
  const hPrev = new Float32Array(S);
  const probs = new Float32Array(core.config.vocabSize);
  let last = -1;
  const feed = (id: number) => {
    hPrev.set(h);
    core.step(h, id, probs, 1);
    last = id;
  };
  let unknown = 0;
  if (context !== undefined)
    for (const it of items(core, context, policy.kind === 'unk')) {
      if (it.id >= 0) feed(it.id);
      else if (policy.kind === 'error') unknownError(core, it, 'context');
    }
  const all = items(core, text, policy.kind === 'unk');
  const tokens: string[] = [];
  const surprisal: number[] = [];
  let total = 0;
  let charStart = 0; // code points before the first scored position
  for (const it of all) {
    if (it.id < 0) {
      if (policy.kind === 'error') unknownError(core, it, 'text');
      unknown++;
      if (policy.kind === 'skip') {
        if (last < 0) charStart = it.cpEnd;
        continue;
      }
      if (last < 0) {
        charStart = it.cpEnd; // an unknown first token is context that cannot be fed: leave it out
        continue;
      }
      const p = (policy as { nats: number }).nats;
      tokens.push(it.token);
      surprisal.push(p);
      total += p;
      continue;
    }
    if (last < 0) {
      feed(it.id);
      charStart = it.cpEnd;
      continue;
    }
    let s: number;
    const p = probs[it.id];
    if (p > 0) s = -Math.log(p);
    // The float32 probability underflowed (p < 1.4e-45): recompute this one step in float64 via evaluate.
    else s = core.evaluate(Int32Array.of(last, it.id), hPrev).totalNats;
    tokens.push(it.token);
    surprisal.push(s);
    total += s;
    feed(it.id);
  }
  const count = surprisal.length;
  if (count === 0)
    rangeError(
      'a text with at least 2 tokens of the vocabulary (the first is context)',
      'text',
      text,
      'pass options.context, e.g. "\\n", to score every token of a short text',
    );
  const charsTotal = all.length === 0 ? 0 : all[all.length - 1].cpEnd;
  const characters = core.vocabulary.kind === 'char' ? count : charsTotal - charStart;
  const totalBits = total / Math.LN2;
  return {
    totalNats: total,
    totalBits,
    count,
    characters,
    perplexity: Math.exp(total / count),
    bitsPerToken: totalBits / count,
    bitsPerChar: totalBits / characters,
    charPerplexity: Math.exp(total / characters),
    unknown,
    tokens,
    surprisal: Float64Array.from(surprisal),
  };
}

export interface RankOptions extends ScoreOptions {
  /** 'perToken' (default): by totalNats / count; 'total': by totalNats. */
  by?: 'perToken' | 'total';
}

export interface RankedText extends ScoreResult {
  /** Index of the text in the input array. */
  index: number;
  text: string;
}

/** Score every text and sort them most likely first (ties keep input order). */
export function rank(core: ModelCore, texts: readonly string[], options: RankOptions = {}): RankedText[] {
  if (!Array.isArray(texts)) typeError('an array of strings', 'texts', texts);
  if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
  const by = oneOf('by', options.by ?? 'perToken', ['perToken', 'total'] as const);
  const scored = texts.map((text, index) => {
    if (typeof text !== 'string') typeError('a string', `texts[${index}]`, text);
    return { ...score(core, text, options), index, text };
  });
  const key = (r: RankedText) => (by === 'total' ? r.totalNats : r.totalNats / r.count);
  return scored.sort((a, b) => key(a) - key(b) || a.index - b.index);
}

// Scoring: how likely a text is under a model — total log-probability, per-token surprisal, perplexity,
// bits per character — with an explicit policy for tokens outside the vocabulary; and ranking of texts.
// The numbers come from the same BackendSession.step distributions a Session's next() returns, so summing a
// session's logProb() over the text gives exactly -totalNats. Many texts (scoreMany, rank) are grouped by length and
// stepped together through BackendSession.stepBatch, which gives each text the same bits.
import { formatChar } from '../text/vocabulary.js';
import { tokenizeWords } from '../text/word-vocabulary.js';
import { nonNegativeNumber, oneOf, positiveInt, rangeError, typeError } from '../util/validate.js';
import { MAX_BATCH_STREAMS } from './session.js';
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

/** One text's scoring, planned: the ids fed in order, which of them are scored, and what the result reports. */
interface Plan {
  text: string;
  /** Every id fed, in order (the context's, then the text's). */
  ids: number[];
  /** Per scored token, in order: the index in `ids` whose probability it is (−1: a penalised unknown token). */
  at: number[];
  tokens: string[];
  /** The penalty of a penalised unknown token (aligned with at; 0 elsewhere). */
  penalty: number[];
  unknown: number;
  /** Code points before the first scored position, and of the whole text. */
  charStart: number;
  charsTotal: number;
}

function plan(core: ModelCore, text: string, options: ScoreOptions, policy: Policy, where = 'text'): Plan {
  if (typeof text !== 'string') typeError('a string', where, text);
  const context = options.context;
  const p: Plan = { text, ids: [], at: [], tokens: [], penalty: [], unknown: 0, charStart: 0, charsTotal: 0 };
  if (context !== undefined)
    for (const it of items(core, context, policy.kind === 'unk')) {
      if (it.id >= 0) p.ids.push(it.id);
      else if (policy.kind === 'error') unknownError(core, it, 'context');
    }
  const all = items(core, text, policy.kind === 'unk');
  for (const it of all) {
    const fed = p.ids.length > 0;
    if (it.id < 0) {
      if (policy.kind === 'error') unknownError(core, it, where);
      p.unknown++;
      // A skipped token, or an unknown first token (context that cannot be fed), is left out.
      if (policy.kind === 'skip' || !fed) {
        if (!fed) p.charStart = it.cpEnd;
        continue;
      }
      p.at.push(-1);
      p.tokens.push(it.token);
      p.penalty.push((policy as { nats: number }).nats);
      continue;
    }
    if (!fed) p.charStart = it.cpEnd;
    else {
      p.at.push(p.ids.length);
      p.tokens.push(it.token);
      p.penalty.push(0);
    }
    p.ids.push(it.id);
  }
  if (p.at.length === 0)
    rangeError(
      'a text with at least 2 tokens of the vocabulary (the first is context)',
      where,
      text,
      'pass options.context, e.g. "\\n", to score every token of a short text',
    );
  p.charsTotal = all.length === 0 ? 0 : all[all.length - 1].cpEnd;
  return p;
}

/** The ScoreResult of a plan from the surprisal of every fed id (nats[k]: of ids[k]; penalties from the plan). */
function result(core: ModelCore, p: Plan, nats: Float64Array): ScoreResult {
  const count = p.at.length;
  const surprisal = new Float64Array(count);
  let total = 0;
  for (let j = 0; j < count; j++) {
    const s = p.at[j] < 0 ? p.penalty[j] : nats[p.at[j]];
    surprisal[j] = s;
    total += s;
  }
  const characters = core.vocabulary.kind === 'char' ? count : p.charsTotal - p.charStart;
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
    unknown: p.unknown,
    tokens: p.tokens,
    surprisal,
  };
}

/** −ln p of every fed id of one plan, one stream stepped token by token (nats[0] unused). */
function surprisals(core: ModelCore, ids: readonly number[]): Float64Array {
  const S = core.stateSize;
  const h = new Float32Array(S);
  const hPrev = new Float32Array(S);
  const probs = new Float32Array(core.config.vocabSize);
  const nats = new Float64Array(ids.length);
  for (let k = 0; k < ids.length; k++) {
    if (k > 0) {
      const p = probs[ids[k]];
      // The float32 probability underflowed (p < 1.4e-45): recompute this one step in float64 via evaluate.
      nats[k] = p > 0 ? -Math.log(p) : core.evaluate(Int32Array.of(ids[k - 1], ids[k]), hPrev).totalNats;
    }
    hPrev.set(h);
    core.step(h, ids[k], probs, 1);
  }
  return nats;
}

/** Score `text` under the model (see ScoreResult). */
export function score(core: ModelCore, text: string, options: ScoreOptions = {}): ScoreResult {
  if (typeof text !== 'string') typeError('a string', 'text', text);
  if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
  const policy = resolvePolicy(core, options.unknown);
  const context = options.context;
  if (context !== undefined && typeof context !== 'string') typeError('a string', 'context', context);
  const p = plan(core, text, options, policy);
  return result(core, p, surprisals(core, p.ids));
}

/** How many texts scoreMany / rank step together by default (the streams of one stepBatch call). */
export const DEFAULT_SCORE_BATCH = 64;

export interface ScoreManyOptions extends ScoreOptions {
  /** Texts stepped together per backend call (default 64); texts are grouped by length first. */
  batch?: number;
}

/**
 * Score many texts: the results of score(text, options) for each, in input order, bit for bit — computed with the
 * texts grouped by length (longest first) and each group stepped together, one stepBatch call per token position.
 */
export function scoreMany(
  core: ModelCore,
  texts: readonly string[],
  options: ScoreManyOptions = {},
): ScoreResult[] {
  if (!Array.isArray(texts)) typeError('an array of strings', 'texts', texts);
  if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
  const policy = resolvePolicy(core, options.unknown);
  const context = options.context;
  if (context !== undefined && typeof context !== 'string') typeError('a string', 'context', context);
  const G = options.batch === undefined ? DEFAULT_SCORE_BATCH : positiveInt('batch', options.batch);
  if (G > MAX_BATCH_STREAMS) rangeError(`an integer in [1, ${MAX_BATCH_STREAMS}]`, 'batch', G);
  const plans = texts.map((t, i) => plan(core, t, options, policy, `texts[${i}]`));
  const nats: Float64Array[] = plans.map((p) => new Float64Array(p.ids.length));
  const redo = new Set<number>();
  const order = plans.map((_, i) => i).sort((a, b) => plans[b].ids.length - plans[a].ids.length || a - b);
  const S = core.stateSize;
  const V = core.config.vocabSize;
  const states = new Float32Array(Math.min(G, order.length) * S);
  const probs = new Float32Array(Math.min(G, order.length) * V);
  const tokens = new Int32Array(Math.min(G, order.length));
  for (let g0 = 0; g0 < order.length; g0 += G) {
    const group = order.slice(g0, g0 + G);
    states.fill(0);
    let live = group.length;
    const longest = plans[group[0]].ids.length;
    for (let k = 0; k < longest; k++) {
      while (live > 0 && plans[group[live - 1]].ids.length <= k) live--; // sorted longest first: a prefix is live
      for (let b = 0; b < live; b++) {
        const ids = plans[group[b]].ids;
        if (k > 0) {
          const p = probs[b * V + ids[k]];
          if (p > 0) nats[group[b]][k] = -Math.log(p);
          else redo.add(group[b]); // an underflow: rescored on its own below (score's float64 fallback)
        }
        tokens[b] = ids[k];
      }
      core.stepBatch(states.subarray(0, live * S), tokens.subarray(0, live), probs.subarray(0, live * V), 1);
    }
  }
  for (const i of redo) nats[i] = surprisals(core, plans[i].ids);
  return plans.map((p, i) => result(core, p, nats[i]));
}

export interface RankOptions extends ScoreManyOptions {
  /** 'perToken' (default): by totalNats / count; 'total': by totalNats. */
  by?: 'perToken' | 'total';
}

export interface RankedText extends ScoreResult {
  /** Index of the text in the input array. */
  index: number;
  text: string;
}

/** Score every text (scoreMany: batched) and sort them most likely first (ties keep input order). */
export function rank(core: ModelCore, texts: readonly string[], options: RankOptions = {}): RankedText[] {
  if (!Array.isArray(texts)) typeError('an array of strings', 'texts', texts);
  if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
  const by = oneOf('by', options.by ?? 'perToken', ['perToken', 'total'] as const);
  const scored = scoreMany(core, texts, options).map((r, index) => ({ ...r, index, text: texts[index] }));
  const key = (r: RankedText) => (by === 'total' ? r.totalNats : r.totalNats / r.count);
  return scored.sort((a, b) => key(a) - key(b) || a.index - b.index);
}

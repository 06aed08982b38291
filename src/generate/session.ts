// Step sessions: one stream's recurrent state with feed / next / sample / generate / stream / fork / reset,
// and BatchSession, several independent streams driven together. A Session's arithmetic goes through
// BackendSession.step (one call per token); a BatchSession's through BackendSession.stepBatch (one call per token
// position for all its streams), which gives each stream step()'s bits, so the two agree exactly. The choice of
// token is the rule of transform.ts. Deliberately no whole-loop fast path here (see generate.ts) and no beam
// search (see beam.ts).
import type { EncodeOptions, UnknownPolicy } from '../text/vocabulary.js';
import { MAX_SEED, Rng } from '../util/rng.js';
import { positiveInt, rangeError, typeError } from '../util/validate.js';
import type { ModelCore } from './core.js';
import {
  defaultPrime,
  encodeOptionsFor,
  resolveGenerate,
  resolvePick,
  type GenerateOptions,
  type PickOptions,
  type ResolvedGenerate,
  type ResolvedPick,
} from './options.js';
import { Transformer } from '../sampling/transform.js';
import { usageError } from '../util/errors.js';
import { yieldToEventLoop } from '../util/yield.js';

export interface SessionOptions {
  /** Seed of the session's sampling PRNG (default 1); or pass `rng`. */
  seed?: number;
  rng?: Rng;
}

/** Why a generation ended. */
export type StopReason = 'length' | 'stop' | 'maxLength';

export interface GenerateResult {
  /** The generated text (without the prime), cut before the stop sequence (or after it with includeStop). */
  text: string;
  /** Every generated token id, including those of a stop sequence and any text cut away after it. */
  ids: Int32Array;
  stoppedBy: StopReason;
}

/** History tokens kept for the repetition penalty (compacted to the most recent half when full). */
const HISTORY_CAP = 8192;

/**
 * The output text of a generation, with stop sequences and maxLength applied as pieces arrive, and how much of
 * it is safe to stream (a suffix that could still become a stop sequence is held back).
 */
export class OutputTracker {
  text = '';
  private released = 0;
  done: StopReason | undefined;

  constructor(
    private readonly stop: readonly string[],
    private readonly includeStop: boolean,
    private readonly maxLength: number,
  ) {}

  /** Append a piece; returns the stop reason once the output is complete. */
  push(piece: string): StopReason | undefined {
    const before = this.text.length;
    this.text += piece;
    let cut = -1;
    for (const s of this.stop) {
      const i = this.text.indexOf(s, Math.max(0, before - s.length + 1));
      if (i >= 0 && (cut < 0 || i + (this.includeStop ? s.length : 0) < cut))
        cut = i + (this.includeStop ? s.length : 0);
    }
    if (cut >= 0 && cut <= this.maxLength) {
      this.text = this.text.slice(0, cut);
      return (this.done = 'stop');
    }
    if (this.text.length >= this.maxLength) {
      let end = this.maxLength;
      const c = this.text.charCodeAt(end - 1);
      if (end > 0 && c >= 0xd800 && c <= 0xdbff) end--; // never split a surrogate pair
      this.text = this.text.slice(0, end);
      return (this.done = 'maxLength');
    }
    return undefined;
  }

  /** Text that can be emitted now (everything once done; else all but a possible stop-sequence prefix). */
  release(): string {
    let end = this.text.length;
    if (this.done === undefined && !this.includeStop) {
      let hold = 0;
      for (const s of this.stop)
        for (let n = Math.min(s.length - 1, end - this.released); n > hold; n--)
          if (this.text.endsWith(s.slice(0, n))) {
            hold = n;
            break;
          }
      end -= hold;
    }
    const out = this.text.slice(this.released, end);
    this.released = end;
    return out;
  }
}

/** One stream of a model: the recurrent state after every token fed so far, and the next-token distribution. */
export class Session {
  readonly #core: ModelCore;
  /** State after every fed token. */
  #h: Float32Array;
  /** State before the last fed token (to recompute the distribution at another temperature). */
  #prevH: Float32Array;
  #last = -1;
  /** Next-token distribution at temperature #probsT (NaN: not computed). */
  readonly #probs: Float32Array;
  #probsT = NaN;
  #scratch: Float32Array;
  #history: Int32Array;
  #historyLength = 0;
  #fed = 0;
  #transformer: Transformer | undefined;
  /** The session's sampling PRNG (advanced by sample / generate / stream). */
  rng: Rng;

  constructor(core: ModelCore, options: SessionOptions = {}) {
    if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
    this.#core = core;
    this.#h = new Float32Array(core.stateSize);
    this.#prevH = new Float32Array(core.stateSize);
    this.#scratch = new Float32Array(core.stateSize);
    this.#probs = new Float32Array(core.config.vocabSize);
    this.#history = new Int32Array(256);
    if (options.rng !== undefined && !(options.rng instanceof Rng)) typeError('an Rng', 'rng', options.rng);
    this.rng = options.rng ?? new Rng(options.seed ?? 1);
  }

  /** Number of tokens fed (or generated) since the start or the last reset(). */
  get length(): number {
    return this.#fed;
  }

  /** The id of the last token fed, or -1. */
  get lastToken(): number {
    return this.#last;
  }

  /** A copy of the recurrent state (stateSize(config, 1) floats). */
  state(): Float32Array {
    return this.#h.slice();
  }

  /** Back to the zero state with nothing fed (the PRNG is left as it is). */
  reset(): void {
    this.#h.fill(0);
    this.#prevH.fill(0);
    this.#last = -1;
    this.#probsT = NaN;
    this.#historyLength = 0;
    this.#fed = 0;
  }

  /** An independent copy: same state, distribution, history and a clone of the PRNG. */
  fork(): Session {
    const s = new Session(this.#core, { rng: this.rng.clone() });
    s.#h.set(this.#h);
    s.#prevH.set(this.#prevH);
    s.#last = this.#last;
    s.#probs.set(this.#probs);
    s.#probsT = this.#probsT;
    s.#history = this.#history.slice();
    s.#historyLength = this.#historyLength;
    s.#fed = this.#fed;
    return s;
  }

  /**
   * Feed text (encoded with the model's vocabulary: unknown characters throw unless options.unknown says
   * otherwise; a word model encodes unknown words as `<unk>`) or token ids. Each call is tokenized on its own.
   * Returns the number of tokens fed.
   */
  feed(input: string | ArrayLike<number>, options: { unknown?: UnknownPolicy } = {}): number {
    const vocab = this.#core.vocabulary;
    let ids: ArrayLike<number>;
    if (typeof input === 'string') {
      if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
      ids = vocab.encode(input, encodeOptionsFor(vocab, options.unknown) as EncodeOptions);
    } else if (input !== null && typeof input === 'object' && typeof input.length === 'number') ids = input;
    else return typeError('a string or an array of token ids', 'input', input);
    const V = this.#core.config.vocabSize;
    for (let i = 0; i < ids.length; i++)
      if (!(Number.isInteger(ids[i]) && ids[i] >= 0 && ids[i] < V))
        throw new RangeError(`Expected an integer id in [0, ${V - 1}] for ids[${i}] but received ${ids[i]}`);
    for (let i = 0; i < ids.length; i++) this.pushToken(ids[i], 1);
    return ids.length;
  }

  /** A copy of the next-token distribution (temperature 1). Needs at least one fed token. */
  next(): Float32Array {
    return this.distribution(1).slice();
  }

  /** ln p(token | everything fed), from next()'s distribution (float32 probabilities, float64 log). */
  logProb(token: string | number): number {
    const id = typeof token === 'number' ? token : this.#core.vocabulary.idOf(token);
    const V = this.#core.config.vocabSize;
    if (!(Number.isInteger(id) && id >= 0 && id < V))
      throw new RangeError(
        `Expected a token of the vocabulary or an id in [0, ${V - 1}] for token but received ${JSON.stringify(token)}`,
      );
    return Math.log(this.distribution(1)[id]);
  }

  /** Draw one token by the transform rule (default: plain sampling at temperature 1), feed it, return its text. */
  sample(options: PickOptions & { seed?: number; rng?: Rng } = {}): string {
    const pick = resolvePick(this.#core.vocabulary, options);
    const rng = options.rng ?? (options.seed !== undefined ? new Rng(options.seed) : this.rng);
    const p = this.distribution(pick.temperature);
    const id = this.transformer().pick(p, pick.spec, this.#history, this.#historyLength, pick.greedy, rng);
    const piece = this.#core.vocabulary.decodeStep(this.#last, id);
    this.pushToken(id, pick.temperature);
    return piece;
  }

  /**
   * Continue the text: feed options.prime first when given (or the default prime when nothing was fed yet),
   * then generate up to options.length tokens. Uses the session's PRNG unless options.seed / options.rng.
   */
  generate(options: GenerateOptions = {}): GenerateResult {
    const r = this.resolve(options);
    const ids: number[] = [];
    const out = new OutputTracker(r.stop, r.includeStop, r.maxLength);
    let stoppedBy: StopReason = 'length';
    for (let n = 0; n < r.length; n++) {
      const reason = out.push(this.step(r, ids));
      if (reason !== undefined) {
        stoppedBy = reason;
        break;
      }
    }
    return { text: out.text, ids: Int32Array.from(ids), stoppedBy };
  }

  /**
   * As generate, as an async iterator of text pieces (a suffix that could start a stop sequence is held back
   * until it is decided). It yields to the event loop every few tokens; options.signal ends it by throwing the
   * signal's reason (an AbortError).
   */
  async *stream(options: GenerateOptions = {}): AsyncGenerator<string, GenerateResult, undefined> {
    const r = this.resolve(options);
    const ids: number[] = [];
    const out = new OutputTracker(r.stop, r.includeStop, r.maxLength);
    let stoppedBy: StopReason = 'length';
    let lastYield = performance.now();
    for (let n = 0; n < r.length; n++) {
      r.signal?.throwIfAborted();
      const reason = out.push(this.step(r, ids));
      const piece = out.release();
      if (piece !== '') yield piece;
      if (reason !== undefined) {
        stoppedBy = reason;
        break;
      }
      if (performance.now() - lastYield > 20) {
        await yieldToEventLoop();
        lastYield = performance.now();
      }
    }
    r.signal?.throwIfAborted();
    const rest = out.release();
    if (rest !== '') yield rest;
    return { text: out.text, ids: Int32Array.from(ids), stoppedBy };
  }

  // ---- internals (used by generate.ts, beam.ts and score.ts through the public surface above) ----

  private resolve(options: GenerateOptions): ResolvedGenerate {
    const needPrime = options?.prime !== undefined && options.prime !== '';
    const r = resolveGenerate(this.#core.vocabulary, options, needPrime);
    const rng = options.rng ?? (options.seed !== undefined ? r.rng : this.rng);
    const prime = needPrime ? r.prime : this.#fed === 0 ? defaultPrime(this.#core.vocabulary) : r.prime;
    for (let i = 0; i < prime.length; i++) this.pushToken(prime[i], 1);
    return { ...r, rng };
  }

  /** Pick, feed and record one token; returns its text piece. */
  private step(r: ResolvedGenerate, ids: number[]): string {
    const p = this.distribution(r.temperature);
    const id = this.transformer().pick(p, r.spec, this.#history, this.#historyLength, r.greedy, r.rng);
    const piece = this.#core.vocabulary.decodeStep(this.#last, id);
    this.pushToken(id, r.temperature);
    ids.push(id);
    return piece;
  }

  // ---- several sessions of one model stepped together (BatchSession): one stepBatch call per token position ----

  /** @internal Feed ids[i] to sessions[i] at temperature t in one backend call (ids validated by the caller). */
  static pushMany(
    batch: StepBatchBuffers,
    sessions: readonly Session[],
    ids: ArrayLike<number>,
    t: number,
  ): void {
    const n = sessions.length;
    if (n === 0) return;
    if (n === 1) return sessions[0].pushToken(ids[0], t);
    const { states, tokens, probs } = batch.reserve(n);
    const S = batch.S;
    const V = batch.V;
    for (let i = 0; i < n; i++) {
      const s = sessions[i];
      s.#probsT = NaN;
      states.set(s.#h, i * S);
      tokens[i] = ids[i];
    }
    batch.core.stepBatch(states, tokens, probs, t);
    for (let i = 0; i < n; i++) {
      const s = sessions[i];
      s.#scratch.set(states.subarray(i * S, (i + 1) * S));
      s.#probs.set(probs.subarray(i * V, (i + 1) * V));
      s.commit(ids[i], t);
    }
  }

  /** @internal Make every session's live distribution the one at temperature t (one backend call for those that need it). */
  static distributionMany(batch: StepBatchBuffers, sessions: readonly Session[], t: number): void {
    const stale: Session[] = [];
    for (const s of sessions) {
      if (s.#last < 0)
        throw usageError(
          'This session has no token yet, so no next-token distribution. HINT: feed(text) first',
        );
      if (s.#probsT !== t) stale.push(s);
    }
    const n = stale.length;
    if (n === 0) return;
    if (n === 1) {
      stale[0].distribution(t);
      return;
    }
    const { states, tokens, probs } = batch.reserve(n);
    const S = batch.S;
    const V = batch.V;
    for (let i = 0; i < n; i++) {
      states.set(stale[i].#prevH, i * S);
      tokens[i] = stale[i].#last;
    }
    batch.core.stepBatch(states, tokens, probs, t);
    for (let i = 0; i < n; i++) {
      stale[i].#probs.set(probs.subarray(i * V, (i + 1) * V));
      stale[i].#probsT = t;
    }
  }

  /** @internal Feed lists[i] to sessions[i] in lock step (lists of any lengths; a session whose list ended drops out). */
  static feedMany(
    batch: StepBatchBuffers,
    sessions: readonly Session[],
    lists: readonly ArrayLike<number>[],
    t: number,
  ): void {
    let longest = 0;
    for (const l of lists) longest = Math.max(longest, l.length);
    const ids: number[] = [];
    const active: Session[] = [];
    for (let k = 0; k < longest; k++) {
      active.length = 0;
      ids.length = 0;
      for (let i = 0; i < sessions.length; i++)
        if (k < lists[i].length) {
          active.push(sessions[i]);
          ids.push(lists[i][k]);
        }
      Session.pushMany(batch, active, ids, t);
    }
  }

  /** @internal One pick per session by the rule of `pick` with rngs[i]; returns the ids and text pieces (nothing fed). */
  static pickMany(
    sessions: readonly Session[],
    pick: ResolvedPick,
    rngs: readonly Rng[],
  ): { ids: number[]; pieces: string[] } {
    const ids: number[] = [];
    const pieces: string[] = [];
    for (let i = 0; i < sessions.length; i++) {
      const s = sessions[i];
      const id = s
        .transformer()
        .pick(s.#probs, pick.spec, s.#history, s.#historyLength, pick.greedy, rngs[i]);
      ids.push(id);
      pieces.push(s.#core.vocabulary.decodeStep(s.#last, id));
    }
    return { ids, pieces };
  }

  /**
   * @internal generate() on every session, stepped together: each session resolves the options (its prime, or the default
   * prime when nothing was fed) and draws from its own PRNG (options.seed: a fresh Rng(seed) each), exactly as
   * session.generate(options) would. Sessions that stop (a stop sequence, maxLength) drop out of the batch.
   */
  static generateMany(
    batch: StepBatchBuffers,
    sessions: readonly Session[],
    options: GenerateOptions,
  ): GenerateResult[] {
    const n = sessions.length;
    const rs: ResolvedGenerate[] = [];
    const primes: Int32Array[] = [];
    for (const s of sessions) {
      const needPrime = options?.prime !== undefined && options.prime !== '';
      const r = resolveGenerate(s.#core.vocabulary, options, needPrime);
      rs.push({ ...r, rng: options.rng ?? (options.seed !== undefined ? r.rng : s.rng) });
      primes.push(needPrime ? r.prime : s.#fed === 0 ? defaultPrime(s.#core.vocabulary) : r.prime);
    }
    Session.feedMany(batch, sessions, primes, 1);
    const r0 = rs[0];
    const ids: number[][] = sessions.map(() => []);
    const outs = rs.map((r) => new OutputTracker(r.stop, r.includeStop, r.maxLength));
    const stoppedBy: StopReason[] = sessions.map(() => 'length');
    let live = sessions.map((_, i) => i);
    for (let k = 0; k < r0.length && live.length > 0; k++) {
      const group = live.map((i) => sessions[i]);
      Session.distributionMany(batch, group, r0.temperature);
      const picked = Session.pickMany(
        group,
        r0,
        live.map((i) => rs[i].rng),
      );
      Session.pushMany(batch, group, picked.ids, r0.temperature);
      const next: number[] = [];
      for (let j = 0; j < live.length; j++) {
        const i = live[j];
        ids[i].push(picked.ids[j]);
        const reason = outs[i].push(picked.pieces[j]);
        if (reason !== undefined) stoppedBy[i] = reason;
        else next.push(i);
      }
      live = next;
    }
    return Array.from({ length: n }, (_, i) => ({
      text: outs[i].text,
      ids: Int32Array.from(ids[i]),
      stoppedBy: stoppedBy[i],
    }));
  }

  private transformer(): Transformer {
    return (this.#transformer ??= new Transformer(this.#core.config.vocabSize));
  }

  /** The live next-token distribution at temperature t (recomputed from the previous state when t changed). */
  private distribution(t: number): Float32Array {
    if (this.#last < 0)
      throw usageError(
        'This session has no token yet, so no next-token distribution. HINT: feed(text) first',
      );
    if (this.#probsT !== t) {
      this.#scratch.set(this.#prevH);
      this.#core.step(this.#scratch, this.#last, this.#probs, t);
      this.#probsT = t;
    }
    return this.#probs;
  }

  /** Feed one (validated) token at temperature t. A step that throws (e.g. model busy) leaves the session as it was. */
  private pushToken(id: number, t: number): void {
    this.#probsT = NaN; // recomputable from (#prevH, #last) if the step below fails half-way
    const next = this.#scratch;
    next.set(this.#h);
    this.#core.step(next, id, this.#probs, t);
    this.commit(id, t);
  }

  /** After a step into #scratch (and #probs at temperature t): rotate the state buffers and record the token. */
  private commit(id: number, t: number): void {
    const next = this.#scratch;
    this.#scratch = this.#prevH;
    this.#prevH = this.#h;
    this.#h = next;
    this.#probsT = t;
    this.#last = id;
    this.#fed++;
    if (this.#historyLength === this.#history.length) {
      if (this.#historyLength >= HISTORY_CAP) {
        const keep = HISTORY_CAP >> 1;
        this.#history.copyWithin(0, this.#historyLength - keep);
        this.#historyLength = keep;
      } else {
        const grown = new Int32Array(this.#history.length * 2);
        grown.set(this.#history);
        this.#history = grown;
      }
    }
    this.#history[this.#historyLength++] = id;
  }
}

/** @internal The scratch of batched steps over one model: states [n·S], tokens [n], probs [n·V], grown on demand. */
export class StepBatchBuffers {
  readonly S: number;
  readonly V: number;
  #states = new Float32Array(0);
  #tokens = new Int32Array(0);
  #probs = new Float32Array(0);

  constructor(readonly core: ModelCore) {
    this.S = core.stateSize;
    this.V = core.config.vocabSize;
  }

  /** Views of exactly n streams' worth. */
  reserve(n: number): { states: Float32Array; tokens: Int32Array; probs: Float32Array } {
    if (this.#tokens.length < n) {
      const cap = Math.max(n, this.#tokens.length * 2);
      this.#states = new Float32Array(cap * this.S);
      this.#tokens = new Int32Array(cap);
      this.#probs = new Float32Array(cap * this.V);
    }
    return {
      states: this.#states.subarray(0, n * this.S),
      tokens: this.#tokens.subarray(0, n),
      probs: this.#probs.subarray(0, n * this.V),
    };
  }
}

/** The most streams one batch session drives (each holds a state and a [V] distribution of its own). */
export const MAX_BATCH_STREAMS = 65536;

/**
 * Several independent streams driven together: stream i draws from Rng(seed + i), so it produces exactly what a
 * single Session with seed + i would. Each token position of all streams is one backend call (stepBatch: on the
 * native backend one product per layer and weight for all streams), and every stream's arithmetic is bit for bit
 * a one-stream step's. The streams are ordinary Sessions (`streams[i]`) and may also be driven one by one.
 */
export class BatchSession {
  readonly streams: readonly Session[];
  readonly #batch: StepBatchBuffers;

  constructor(core: ModelCore, size: number, options: { seed?: number } = {}) {
    positiveInt('size', size);
    if (size > MAX_BATCH_STREAMS)
      rangeError(
        `an integer in [1, ${MAX_BATCH_STREAMS}]`,
        'size',
        size,
        'each stream holds its own state and distribution; run larger batches in parts',
      );
    if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
    const seed = options.seed ?? 1;
    if (!Number.isInteger(seed)) typeError('an integer', 'seed', seed);
    if (seed < 0 || seed + size - 1 > MAX_SEED)
      rangeError(`an integer in [0, ${MAX_SEED - size + 1}] (stream i is seeded seed + i)`, 'seed', seed);
    this.#batch = new StepBatchBuffers(core);
    this.streams = Object.freeze(
      Array.from({ length: size }, (_, i) => new Session(core, { seed: seed + i })),
    );
  }

  get size(): number {
    return this.streams.length;
  }

  /** Feed one text to every stream, or texts[i] to stream i (in lock step; every text is encoded first). */
  feed(texts: string | readonly string[], options: { unknown?: UnknownPolicy } = {}): number[] {
    if (typeof texts !== 'string' && (!Array.isArray(texts) || texts.length !== this.size))
      typeError(`a string or an array of ${this.size} strings`, 'texts', texts);
    if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
    const core = this.#batch.core;
    const encode = encodeOptionsFor(core.vocabulary, options.unknown) as EncodeOptions;
    const lists = this.streams.map((_, i) => {
      const text = typeof texts === 'string' ? texts : texts[i];
      if (typeof text !== 'string')
        typeError('a string', typeof texts === 'string' ? 'texts' : `texts[${i}]`, text);
      return core.vocabulary.encode(text, encode);
    });
    Session.feedMany(this.#batch, this.streams, lists, 1);
    return lists.map((l) => l.length);
  }

  /** The next-token distributions of every stream, row i = stream i ([size, V]). */
  next(): Float32Array {
    Session.distributionMany(this.#batch, this.streams, 1);
    const V = this.#batch.V;
    const out = new Float32Array(this.size * V);
    this.streams.forEach((s, i) => out.set(s.next(), i * V));
    return out;
  }

  /** One token per stream (each with its own PRNG, or a fresh Rng(options.seed) each); returns the pieces. */
  sample(options: PickOptions & { seed?: number; rng?: Rng } = {}): string[] {
    if (options?.rng !== undefined) return this.streams.map((s) => s.sample(options)); // one shared stream, in order
    const core = this.#batch.core;
    const pick = resolvePick(core.vocabulary, options);
    const rngs = this.streams.map((s) => (options.seed !== undefined ? new Rng(options.seed) : s.rng));
    Session.distributionMany(this.#batch, this.streams, pick.temperature);
    const picked = Session.pickMany(this.streams, pick, rngs);
    Session.pushMany(this.#batch, this.streams, picked.ids, pick.temperature);
    return picked.pieces;
  }

  /**
   * generate() on every stream, stepped together (prime and options shared; each stream its own PRNG unless
   * options.seed). Stream i's result equals streams[i].generate(options) run alone. With options.rng (one PRNG for
   * all) the streams run one after another, as that PRNG's draws are then ordered by stream.
   */
  generate(options: GenerateOptions = {}): GenerateResult[] {
    if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
    if (options.rng !== undefined) return this.streams.map((s) => s.generate(options));
    return Session.generateMany(this.#batch, this.streams, options);
  }

  fork(): BatchSession {
    const b = new BatchSession(this.#batch.core, 1);
    (b as { streams: readonly Session[] }).streams = Object.freeze(this.streams.map((s) => s.fork()));
    return b;
  }

  reset(): void {
    for (const s of this.streams) s.reset();
  }
}

// CharRNN: the model a user holds — config, vocabulary, private parameter arenas and a bound backend; the facade
// above the model description (src/model), the backends and generation (src/generate), which it ties together.
// It owns the arenas (user code only ever gets copies) and refuses re-entry while a call is running.
// Deliberately no training policy (see src/train) and no file format details (see src/io/model-file).
import type {
  Arenas,
  BackendName,
  BackendSession,
  ChunkResult,
  SequenceBatch,
  SequenceLossOptions,
  StepHyper,
} from './backends/backend.js';
import { resolveBackend, type BackendChoice } from './backends/index.js';
import type { Vocabulary, TokenIds } from './text/vocabulary.js';
import type { WordVocabulary } from './text/word-vocabulary.js';
import type { ModelCore } from './generate/core.js';
import type { GenerateOptions } from './generate/options.js';
import { generate, stream } from './generate/generate.js';
import { readable } from './generate/readable.js';
import { BatchSession, Session, type GenerateResult, type SessionOptions } from './generate/session.js';
import { beamSearch, type Beam, type BeamOptions } from './generate/beam.js';
import {
  rank,
  score,
  scoreMany,
  type RankedText,
  type RankOptions,
  type ScoreManyOptions,
  type ScoreOptions,
  type ScoreResult,
} from './generate/score.js';
import { trace, type TraceOptions, type TraceResult } from './generate/trace.js';
import { checkStreams, evaluateSplit, evaluateSplitAsync } from './generate/split-eval.js';
import type { Readable } from 'node:stream';
import { Rng } from './util/rng.js';
import { describe, positiveInt } from './util/validate.js';
import {
  resolveModelConfig,
  type Activation,
  type CellKind,
  type ModelConfig,
  type Pooling,
  type Task,
} from './model/config.js';
import { initParameters } from './model/init.js';
import { stateSize, type Layout } from './model/layout.js';
import { describeModel } from './model/spec.js';
import { busyError, notLanguageModelError, notSequenceModelError, timeoutError } from './util/errors.js';

/** A model's vocabulary: characters (Vocabulary) or words (WordVocabulary). */
export type ModelVocabulary = Vocabulary | WordVocabulary;

export interface CreateModelOptions {
  vocabulary: ModelVocabulary;
  /** Recurrent cell: 'rnn' (default), 'lstm' or 'gru'. */
  cell?: CellKind;
  /** Hidden size H of every layer (default 100, as min-char-rnn). */
  hiddenSize?: number;
  /** Per-layer hidden sizes, bottom first (instead of hiddenSize). */
  hiddenSizes?: readonly number[];
  /** Stacked recurrent layers (default 1). */
  layers?: number;
  /** Width of a learned input embedding (default 0 = one-hot input). */
  embeddingSize?: number;
  /** Dropout on each layer's output while training, in [0, 1) (default 0). */
  dropout?: number;
  /** Non-linearity of cell 'rnn' (default 'tanh'). */
  activation?: Activation;
  /**
   * Seed of the initialisation PRNG (default 1). The same stream, continued after initialisation, draws
   * the dropout masks.
   */
  seed?: number;
  /**
   * Standard deviation of a Gaussian weight init (biases start at 0). Default 0.01 (as min-char-rnn) for
   * the vanilla model; other models default to PyTorch's initialisation (uniform ±1/√H for the recurrent
   * layers and the decoder, N(0, 1) for the embedding), and an LSTM's forget gate starts with a summed
   * bias of 1 (bias_ih's f slice 1, bias_hh's 0; see forgetBias).
   */
  initScale?: number;
  /**
   * LSTM only: the summed forget-gate bias at initialisation (bias_ih's f slice = forgetBias, bias_hh's = 0).
   * Default 1, the usual char-rnn choice; 'pytorch' keeps torch.nn.LSTM's own init for those slices too
   * (U(−1/√H, 1/√H), like every other bias), e.g. to compare learning curves with PyTorch's.
   */
  forgetBias?: number | 'pytorch';
  /** What the model predicts: 'lm' (default), 'classify' (a label per sequence) or 'tag' (a label per token). */
  task?: Task;
  /** Number of labels of a 'classify' / 'tag' model (required for those). */
  numClasses?: number;
  /** Run every layer in both directions ('classify' / 'tag' only; default false). */
  bidirectional?: boolean;
  /** Read-out of a 'classify' model: 'last' (default), 'mean' or 'max'. */
  pooling?: Pooling;
  /** 'auto' (native if available, else JS with one warning), 'native' or 'js'. Default 'auto'. */
  backend?: BackendChoice;
}

/** A label and the probabilities of every label (softmax of the head's logits). */
export interface LabelPrediction {
  /** Index of the most probable label (the first one on a tie). */
  label: number;
  /** [C] probabilities. */
  probabilities: Float32Array;
}

/** model.tag's result: one prediction per token of the text. */
export interface TagResult {
  /** [n] most probable label of each token. */
  labels: Int32Array;
  /** [n·C] probabilities, row-major (token i's at i·C). */
  probabilities: Float32Array;
}

export interface EvaluateOptions {
  /**
   * Read the sequence as this many parallel streams over consecutive segments (default 1: one stream, the whole
   * context). B > 1 is faster and changes the result: each segment starts from a zero state.
   */
  streams?: number;
}

/** options.streams, checked against a sequence of n tokens (1 when absent). */
function evaluateStreams(options: EvaluateOptions, n: number): number {
  if (options === null || typeof options !== 'object')
    throw new TypeError(`Expected an options object for options but received ${String(options)}`);
  return options.streams === undefined ? 1 : checkStreams(options.streams, n);
}

export interface EvaluateResult {
  /** Mean cross-entropy in nats per token. */
  loss: number;
  /** exp(loss). */
  perplexity: number;
  /** loss / ln 2. */
  bitsPerChar: number;
  /** Number of predicted tokens. */
  count: number;
}

/** model.sample's options: every generation option (see src/generate/options.ts). */
export type SampleOptions = GenerateOptions;

/** What a training run carries besides the parameters (see CharRNN.exportTrainingState). */
export interface ModelTrainingState {
  /** Optimizer slots: k·P elements (k ≤ 2), slot j of parameter i at j·P + offset(i). */
  optState: Float32Array;
  /** Carried recurrent state of hiddenBatch streams: stateSize(config, hiddenBatch) elements. */
  hidden: Float32Array;
  hiddenBatch: number;
  /** xoshiro128** state of the dropout mask stream. */
  dropoutRng: Uint32Array;
}

/** Largest optimizer-state footprint: two slots per parameter (Adam). */
const OPT_SLOTS = 2;

export class CharRNN {
  readonly config: ModelConfig;
  readonly vocabulary: ModelVocabulary;
  readonly layout: Layout;
  readonly #arenas: Arenas;
  readonly #session: BackendSession;
  /** Carried training state of B streams (stateSize(config, B)); reallocated (zeroed) when B changes. */
  #hidden: Float32Array;
  /** Draws the dropout masks (advanced by every training chunk). */
  readonly #dropoutRng: Rng;
  #busy = false;

  private constructor(
    config: ModelConfig,
    vocabulary: ModelVocabulary,
    params: Float32Array,
    backend: BackendChoice,
    dropoutRng: Rng,
  ) {
    this.config = config;
    this.vocabulary = vocabulary;
    this.layout = describeModel(config).layout;
    const P = this.layout.size;
    const chosen = resolveBackend(backend, { config });
    // The TypeScript backend trains asynchronous chunks in a worker thread, in place on the arenas: it needs them in
    // SharedArrayBuffers (where the runtime has them; elsewhere its chunks run in place).
    const shared = chosen.name === 'js' && typeof SharedArrayBuffer === 'function';
    const arena = (n: number) =>
      shared ? new Float32Array(new SharedArrayBuffer(n * 4)) : new Float32Array(n);
    let owned = params;
    if (shared) {
      owned = arena(P);
      owned.set(params);
    }
    this.#arenas = Object.freeze({ params: owned, grads: arena(P), optState: arena(P * OPT_SLOTS) });
    this.#session = chosen.open(config, this.#arenas);
    this.#hidden = new Float32Array(stateSize(config, 1));
    this.#dropoutRng = dropoutRng;
  }

  /** A freshly initialised model. */
  static create(options: CreateModelOptions): CharRNN {
    if (options === null || typeof options !== 'object')
      throw new TypeError(`Expected an options object for CharRNN.create but received ${describe(options)}`);
    const vocabulary = options.vocabulary;
    if (!vocabulary || typeof vocabulary.encode !== 'function')
      throw new TypeError(`Expected a Vocabulary for vocabulary but received ${describe(vocabulary)}`);
    const config = resolveModelConfig({
      cell: options.cell,
      vocabSize: vocabulary.size,
      hiddenSize: options.hiddenSize,
      hiddenSizes: options.hiddenSizes,
      layers: options.layers,
      embeddingSize: options.embeddingSize,
      dropout: options.dropout,
      activation: options.activation,
      task: options.task,
      numClasses: options.numClasses,
      bidirectional: options.bidirectional,
      pooling: options.pooling,
    });
    const rng = new Rng(options.seed ?? 1);
    const params = initParameters(describeModel(config), rng, {
      initScale: options.initScale,
      forgetBias: options.forgetBias,
    });
    return new CharRNN(config, vocabulary, params, options.backend ?? 'auto', rng);
  }

  /** A model from existing parameters (copied), e.g. read from a file. */
  static fromParameters(
    config: ModelConfig,
    vocabulary: ModelVocabulary,
    tensors: ReadonlyMap<string, Float32Array> | Record<string, Float32Array>,
    backend: BackendChoice = 'auto',
  ): CharRNN {
    const cfg = resolveModelConfig(config);
    if (vocabulary.size !== cfg.vocabSize)
      throw new RangeError(
        `Expected a vocabulary of ${cfg.vocabSize} tokens for this model but received one of ${vocabulary.size}`,
      );
    const layout = describeModel(cfg).layout;
    const params = new Float32Array(layout.size);
    copyParameters(layout, tensors, params);
    return new CharRNN(cfg, vocabulary, params, backend, new Rng(1));
  }

  /** Which backend runs this model's arithmetic. */
  get backend(): BackendName {
    return this.#session.backend;
  }

  get parameterCount(): number {
    return this.layout.size;
  }

  /** Copies of every parameter tensor, by layout name (Wxh, … for the vanilla model; PyTorch's otherwise). */
  parameters(): Map<string, Float32Array> {
    this.#checkIdle();
    const out = new Map<string, Float32Array>();
    for (const t of this.layout.tensors)
      out.set(t.name, this.#arenas.params.slice(t.offset, t.offset + t.size));
    return out;
  }

  #checkIdle(): void {
    if (this.#busy) throw busyError();
  }

  #hiddenFor(batch: number): Float32Array {
    const n = stateSize(this.config, batch);
    if (this.#hidden.length !== n) this.#hidden = new Float32Array(n);
    return this.#hidden;
  }

  /** Zero the carried training state (start of an epoch, or on request). */
  resetState(): void {
    this.#checkIdle();
    this.#hidden.fill(0);
  }

  /**
   * Train one chunk of B streams × T steps (time-major ids: element t·B + b). The carried hidden state is
   * read and updated. Used by the Trainer; public for custom loops.
   */
  trainChunk(
    inputs: Int32Array,
    targets: Int32Array,
    batch: number,
    steps: number,
    hyper: StepHyper,
  ): ChunkResult {
    this.#checkIdle();
    this.#lmOnly('trainChunk');
    const hidden = this.#hiddenFor(positiveInt('batch', batch));
    const rngState = this.#dropoutRng.state;
    return this.#session.trainChunk({ inputs, targets, batch, steps, hidden, rngState }, hyper);
  }

  /** As trainChunk, off the main thread on the native backend; the model is busy until it settles. */
  async trainChunkAsync(
    inputs: Int32Array,
    targets: Int32Array,
    batch: number,
    steps: number,
    hyper: StepHyper,
  ): Promise<ChunkResult> {
    this.#checkIdle();
    this.#lmOnly('trainChunkAsync');
    const hidden = this.#hiddenFor(positiveInt('batch', batch));
    // Private copies of the ids: the caller's buffers stay theirs while native code reads ours.
    const rngState = this.#dropoutRng.state;
    const chunk = { inputs: inputs.slice(), targets: targets.slice(), batch, steps, hidden, rngState };
    this.#busy = true;
    try {
      return await this.#session.trainChunkAsync(chunk, hyper);
    } finally {
      this.#busy = false;
    }
  }

  /**
   * Mean loss over a token sequence (one stream from a zero state), with perplexity and bits per char. With
   * `streams: B` (> 1) the sequence is cut into B consecutive segments read by B streams at once (one batched step
   * per position): faster, but each segment starts from a zero state, so the context across a cut is lost and the
   * loss is a little higher than one stream's (see src/generate/split-eval.ts). Every prediction is counted once.
   */
  evaluate(ids: TokenIds | string, options: EvaluateOptions = {}): EvaluateResult {
    this.#checkIdle();
    this.#lmOnly('evaluate');
    const arr = this.#idsOf(ids);
    const B = evaluateStreams(options, arr.length);
    const { totalNats, count } = B > 1 ? evaluateSplit(this.#core, arr, B) : this.#session.evaluate(arr);
    return evaluateResult(totalNats, count);
  }

  /**
   * As evaluate (bit-identical), without blocking the event loop: off the main thread on the native backend, in
   * slices of a few milliseconds on the TypeScript one. The model is busy until it settles. With `timeLimit`
   * (seconds) it gives up once that has passed and rejects with `code: 'ERR_CHARRNN_TIMEOUT'`.
   */
  async evaluateAsync(
    ids: TokenIds | string,
    options: EvaluateOptions & { timeLimit?: number } = {},
  ): Promise<EvaluateResult> {
    this.#checkIdle();
    this.#lmOnly('evaluateAsync');
    const limit = options.timeLimit;
    if (limit !== undefined && (typeof limit !== 'number' || Number.isNaN(limit) || limit < 0))
      throw new RangeError(`Expected a number of seconds ≥ 0 for timeLimit but received ${String(limit)}`);
    const deadline = limit === undefined ? Infinity : performance.now() + limit * 1000;
    const arr = this.#idsOf(ids);
    const B = evaluateStreams(options, arr.length);
    // The split evaluation steps through the session itself while the model is marked busy (so no other call runs).
    const session = this.#session;
    const core: ModelCore | undefined =
      B > 1
        ? {
            ...this.#core,
            stepBatch: (states, tokens, probs, t) => session.stepBatch(states, tokens, probs, t),
            evaluate: (ids, hidden) => session.evaluate(ids, hidden),
          }
        : undefined;
    this.#busy = true;
    let r;
    try {
      r = core
        ? await evaluateSplitAsync(core, arr, B, deadline)
        : await this.#session.evaluateAsync(arr, undefined, deadline);
    } finally {
      this.#busy = false;
    }
    if (!r.complete)
      throw timeoutError(
        `evaluation of ${r.count} positions gave up at its time limit (timeLimit ${limit} s); nothing was kept`,
      );
    return evaluateResult(r.totalNats, r.count);
  }

  #idsOf(ids: TokenIds | string): Int32Array {
    return typeof ids === 'string'
      ? this.vocabulary.encode(ids)
      : ids instanceof Int32Array
        ? ids
        : Int32Array.from(ids);
  }

  /**
   * Generate text (without the prime) by ancestral sampling with every option of generate(); temperature 0
   * (or greedy) is argmax decoding.
   */
  sample(options: SampleOptions = {}): string {
    return this.generate(options).text;
  }

  // ---- generation and scoring (src/generate) ----

  /** The narrow view generation code works through; every call checks that the model is idle. */
  #coreView: ModelCore | undefined;
  get #core(): ModelCore {
    // Every generation / scoring call comes through here: a 'classify' / 'tag' model has no next-token distribution.
    this.#lmOnly('sampling, generation, sessions and scoring');
    if (this.#coreView) return this.#coreView;
    const session = this.#session;
    const idle = () => this.#checkIdle();
    return (this.#coreView = Object.freeze({
      config: this.config,
      vocabulary: this.vocabulary,
      stateSize: stateSize(this.config, 1),
      step(hidden: Float32Array, token: number, probs: Float32Array, temperature: number) {
        idle();
        session.step(hidden, token, probs, temperature);
      },
      stepBatch(states: Float32Array, tokens: Int32Array, probs: Float32Array, temperature: number) {
        idle();
        session.stepBatch(states, tokens, probs, temperature);
      },
      sampleLoop(req: Parameters<BackendSession['sample']>[0]) {
        idle();
        return session.sample(req);
      },
      evaluate(ids: Int32Array, hidden?: Float32Array) {
        idle();
        return session.evaluate(ids, hidden);
      },
    }));
  }

  /**
   * Generate from the zero state: the text, its token ids and why it stopped. Without stop sequences or maxLength
   * the backend's whole sampling loop (transform rule included) runs in one call; otherwise it steps token by token.
   */
  generate(options: GenerateOptions = {}): GenerateResult {
    this.#checkIdle();
    return generate(this.#core, options);
  }

  /** generate() as an async iterator of text pieces, abortable with options.signal. */
  stream(options: GenerateOptions = {}): AsyncGenerator<string, GenerateResult, undefined> {
    this.#checkIdle();
    return stream(this.#core, options);
  }

  /** generate() as a Node Readable (UTF-8 bytes), abortable with options.signal or destroy(). */
  readable(options: GenerateOptions = {}): Readable {
    this.#checkIdle();
    return readable(this.#core, options);
  }

  /** A step session: one stream's state with feed / next / sample / generate / stream / fork / reset. */
  session(options: SessionOptions = {}): Session {
    this.#checkIdle();
    return new Session(this.#core, options);
  }

  /** `size` independent step sessions driven together (stream i seeded with seed + i). */
  batchSession(size: number, options: { seed?: number } = {}): BatchSession {
    this.#checkIdle();
    return new BatchSession(this.#core, size, options);
  }

  /** The `width` most probable continuations of the prime, best first, with their log-probabilities. */
  beamSearch(options: BeamOptions = {}): Beam[] {
    this.#checkIdle();
    return beamSearch(this.#core, options);
  }

  /** Total log-probability, per-token surprisal, perplexity and bits per character of `text`. */
  score(text: string, options: ScoreOptions = {}): ScoreResult {
    this.#checkIdle();
    return score(this.#core, text, options);
  }

  /**
   * Follow `text` from the zero state one token at a time: after each token, every layer's h (and an LSTM's c),
   * the top-k next-token predictions and the surprisal (bits) of the actual next token. At most
   * MAX_TRACE_LENGTH tokens. Gate values are not traced.
   */
  trace(text: string, options: TraceOptions = {}): TraceResult {
    this.#checkIdle();
    return trace(this.#core, text, options);
  }

  /**
   * score() of each text, in input order and bit for bit, computed in batches: texts grouped by length, each group
   * of options.batch (64) stepped together (one backend call per token position; on the native backend one
   * product per layer for the whole group).
   */
  scoreMany(texts: readonly string[], options: ScoreManyOptions = {}): ScoreResult[] {
    this.#checkIdle();
    return scoreMany(this.#core, texts, options);
  }

  /** Score each text (batched, as scoreMany) and sort them most likely first. */
  rank(texts: readonly string[], options: RankOptions = {}): RankedText[] {
    this.#checkIdle();
    return rank(this.#core, texts, options);
  }

  #lmOnly(what: string): void {
    if (this.config.task !== 'lm') throw notLanguageModelError(this.config, what);
  }

  #seqOnly(what: string): void {
    if (this.config.task === 'lm') throw notSequenceModelError(what);
  }

  // ---- 'classify' / 'tag' models (see docs/tasks.md) ----

  /**
   * Train on one padded batch of whole sequences (SequenceBatch: B, T, ids [B·T] row-major, lengths [B], labels):
   * forward, backward, clipping and one optimizer update with the same machinery as trainChunk (hyper.reduction
   * is ignored: the loss is always the weighted mean over counted items). Returns that loss and the gradient norm.
   */
  trainSequenceBatch(batch: SequenceBatch, hyper: StepHyper, options: SequenceLossOptions = {}): ChunkResult {
    this.#checkIdle();
    this.#seqOnly('trainSequenceBatch');
    return this.#session.trainSequences(batch, options, hyper, this.#dropoutRng.state);
  }

  /**
   * As trainSequenceBatch, off the main thread on the native backend (in place on the TypeScript one); the model is
   * busy until it settles. The batch's arrays are copied before it starts.
   */
  async trainSequenceBatchAsync(
    batch: SequenceBatch,
    hyper: StepHyper,
    options: SequenceLossOptions = {},
  ): Promise<ChunkResult> {
    this.#checkIdle();
    this.#seqOnly('trainSequenceBatchAsync');
    this.#busy = true;
    try {
      return await this.#session.trainSequencesAsync(batch, options, hyper, this.#dropoutRng.state);
    } finally {
      this.#busy = false;
    }
  }

  /** The loss of one padded batch and its gradient (into the private grads arena, not applied), for checks. */
  sequenceLoss(batch: SequenceBatch, options: SequenceLossOptions = {}): number {
    this.#checkIdle();
    this.#seqOnly('sequenceLoss');
    return this.#session.sequenceGradient(batch, options, this.#dropoutRng.state);
  }

  /** Logits of a padded batch (no dropout): 'classify' [B·C]; 'tag' [B·T·C] (row b·T + t; padded steps zero). */
  forwardSequences(batch: SequenceBatch): Float32Array {
    this.#checkIdle();
    this.#seqOnly('forwardSequences');
    return this.#session.forwardSequences(batch);
  }

  /** Texts as one padded batch (ids encoded by the vocabulary, padded with id 0). */
  #batchOf(texts: readonly (TokenIds | string)[]): SequenceBatch {
    const seqs = texts.map((t) => this.#idsOf(t));
    const B = seqs.length;
    if (B === 0) throw new RangeError('Expected at least one text but received an empty array');
    seqs.forEach((s, i) => {
      if (s.length === 0)
        throw new RangeError(`Expected a non-empty text for texts[${i}] but received an empty one`);
    });
    const T = Math.max(...seqs.map((s) => s.length));
    const ids = new Int32Array(B * T);
    const lengths = new Int32Array(B);
    seqs.forEach((s, b) => {
      ids.set(s, b * T);
      lengths[b] = s.length;
    });
    return { B, T, ids, lengths };
  }

  /** The most probable label of a text (or of each text, batched) with every label's probability ('classify'). */
  classify(text: TokenIds | string): LabelPrediction;
  classify(texts: readonly (TokenIds | string)[]): LabelPrediction[];
  classify(input: TokenIds | string | readonly (TokenIds | string)[]): LabelPrediction | LabelPrediction[] {
    this.#checkIdle();
    if (this.config.task !== 'classify')
      throw this.config.task === 'lm'
        ? notSequenceModelError('classify')
        : notLanguageModelError(this.config, 'classify'); // a 'tag' model: say what it is
    const many = Array.isArray(input);
    const texts = many ? (input as readonly (TokenIds | string)[]) : [input as TokenIds | string];
    const logits = this.#session.forwardSequences(this.#batchOf(texts));
    const C = this.config.numClasses;
    const out = texts.map((_, b) => softmaxPrediction(logits.subarray(b * C, (b + 1) * C)));
    return many ? out : out[0];
  }

  /** The most probable label of every token of a text (or of each text, batched) ('tag'). */
  tag(text: TokenIds | string): TagResult;
  tag(texts: readonly (TokenIds | string)[]): TagResult[];
  tag(input: TokenIds | string | readonly (TokenIds | string)[]): TagResult | TagResult[] {
    this.#checkIdle();
    if (this.config.task !== 'tag')
      throw this.config.task === 'lm'
        ? notSequenceModelError('tag')
        : notLanguageModelError(this.config, 'tag');
    const many = Array.isArray(input);
    const texts = many ? (input as readonly (TokenIds | string)[]) : [input as TokenIds | string];
    const batch = this.#batchOf(texts);
    const logits = this.#session.forwardSequences(batch);
    const C = this.config.numClasses;
    const out = texts.map((_, b) => {
      const n = batch.lengths[b];
      const labels = new Int32Array(n);
      const probabilities = new Float32Array(n * C);
      for (let t = 0; t < n; t++) {
        const o = (b * batch.T + t) * C;
        const p = softmaxPrediction(logits.subarray(o, o + C));
        labels[t] = p.label;
        probabilities.set(p.probabilities, t * C);
      }
      return { labels, probabilities };
    });
    return many ? out : out[0];
  }

  // -------------------------------------------------------------------------------------------------
  // Training state (checkpoints): copies in, copies out; the arenas stay private.

  /**
   * Copies of what a training run carries besides the parameters: the optimizer slots (the whole
   * optimizer arena, optimizerSlots-many copies of the layout, unused slots zero), the carried hidden
   * state with its batch size B (stateSize(config, B) elements), and the dropout PRNG state.
   */
  exportTrainingState(): ModelTrainingState {
    this.#checkIdle();
    const perStream = stateSize(this.config, 1);
    return {
      optState: this.#arenas.optState.slice(),
      hidden: this.#hidden.slice(),
      hiddenBatch: this.#hidden.length / perStream,
      dropoutRng: this.#dropoutRng.state.slice(),
    };
  }

  /** Restore what exportTrainingState returned (every field validated; the model keeps copies). */
  importTrainingState(state: ModelTrainingState): void {
    this.#checkIdle();
    if (state === null || typeof state !== 'object')
      throw new TypeError(`Expected a training state object but received ${describe(state)}`);
    const { optState, hidden, dropoutRng } = state;
    const batch = positiveInt('hiddenBatch', state.hiddenBatch);
    const want = this.#arenas.optState.length;
    if (!(optState instanceof Float32Array) || optState.length > want || optState.length % this.layout.size)
      throw new RangeError(
        `Expected a Float32Array of a multiple of ${this.layout.size} elements, at most ${want}, for optState but received ${describe(optState)}`,
      );
    const n = stateSize(this.config, batch);
    if (!(hidden instanceof Float32Array) || hidden.length !== n)
      throw new RangeError(
        `Expected a Float32Array of length ${n} (batch ${batch}) for hidden but received ${describe(hidden)}`,
      );
    if (!(dropoutRng instanceof Uint32Array) || dropoutRng.length !== 4)
      throw new RangeError(
        `Expected a Uint32Array of length 4 for dropoutRng but received ${describe(dropoutRng)}`,
      );
    if ((dropoutRng[0] | dropoutRng[1] | dropoutRng[2] | dropoutRng[3]) === 0)
      throw new RangeError('Expected a non-zero xoshiro128** state for dropoutRng but received all zeros');
    for (const [name, a] of [
      ['optState', optState],
      ['hidden', hidden],
    ] as const)
      for (let i = 0; i < a.length; i++)
        if (!Number.isFinite(a[i]))
          throw new RangeError(`Expected finite values for ${name} but received ${a[i]} at index ${i}`);
    this.#arenas.optState.fill(0);
    this.#arenas.optState.set(optState);
    this.#hidden = hidden.slice();
    this.#dropoutRng.state.set(dropoutRng);
  }

  /** Overwrite every parameter from named copies (as parameters() returns; all finite, exact sizes). */
  setParameters(tensors: ReadonlyMap<string, Float32Array>): void {
    this.#checkIdle();
    const params = new Float32Array(this.layout.size);
    copyParameters(this.layout, tensors, params);
    this.#arenas.params.set(params);
  }

  /**
   * Where the first NaN/±Inf is among the parameters (or the optimizer state), e.g. "rnn.weight_hh_l0[12]",
   * or undefined when all are finite.
   */
  findNonFinite(): string | undefined {
    this.#checkIdle();
    const { params, optState } = this.#arenas;
    for (const t of this.layout.tensors)
      for (let i = t.offset; i < t.offset + t.size; i++)
        if (!Number.isFinite(params[i])) return `${t.name}[${i - t.offset}]`;
    for (let i = 0; i < optState.length; i++)
      if (!Number.isFinite(optState[i])) return `optimizer state[${i}]`;
    return undefined;
  }

  /** Release backend resources. */
  dispose(): void {
    this.#checkIdle();
    this.#session.dispose();
  }
}

/** Copy named tensors into `params` by `layout`, checking type, size and finiteness of each. */
function copyParameters(
  layout: Layout,
  tensors: ReadonlyMap<string, Float32Array> | Record<string, Float32Array>,
  params: Float32Array,
): void {
  const get = (name: string) =>
    tensors instanceof Map ? tensors.get(name) : (tensors as Record<string, Float32Array>)[name];
  for (const t of layout.tensors) {
    const data = get(t.name);
    if (!(data instanceof Float32Array))
      throw new TypeError(`Expected a Float32Array for parameter ${t.name} but received ${describe(data)}`);
    if (data.length !== t.size)
      throw new RangeError(
        `Expected ${t.size} elements (shape [${t.shape.join(', ')}]) for parameter ${t.name} but received ${data.length}`,
      );
    for (let i = 0; i < data.length; i++)
      if (!Number.isFinite(data[i]))
        throw new RangeError(
          `Expected finite values for parameter ${t.name} but received ${data[i]} at index ${i}`,
        );
    params.set(data, t.offset);
  }
}

/** Softmax of one row of logits (float64 sums) and its argmax. */
function softmaxPrediction(logits: Float32Array): LabelPrediction {
  let max = -Infinity;
  let label = 0;
  for (let k = 0; k < logits.length; k++)
    if (logits[k] > max) {
      max = logits[k];
      label = k;
    }
  let sum = 0;
  for (let k = 0; k < logits.length; k++) sum += Math.exp(logits[k] - max);
  const probabilities = new Float32Array(logits.length);
  for (let k = 0; k < logits.length; k++) probabilities[k] = Math.exp(logits[k] - max) / sum;
  return { label, probabilities };
}

function evaluateResult(totalNats: number, count: number): EvaluateResult {
  const loss = totalNats / count;
  return { loss, perplexity: Math.exp(loss), bitsPerChar: loss / Math.LN2, count };
}

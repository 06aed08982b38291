// The native backend: loads the C++ addon (native/binding/), types its raw surface, and adapts it to Backend,
// reading the model's description (src/model/spec.ts) for the arena and state sizes it checks.
// Validation happens here first (the same checks as the JS backend), and again in C++ before any pointer is
// dereferenced. Deliberately no math and no fallback policy here: src/backends/index.ts decides between backends.
import { describeLoadError } from './load-error.js';
import { addonPathOverride, requireAddon } from './native-host.js';

export { describeLoadError };
import type {
  Arenas,
  AsyncEvalResult,
  Backend,
  BackendSession,
  Chunk,
  ChunkResult,
  EvalResult,
  OptimizerKind,
  SampleRequest,
  SequenceBatch,
  SequenceLossOptions,
  StepHyper,
} from './backend.js';
import type { ModelConfig } from '../model/config.js';
import { describeModel } from '../model/spec.js';
import {
  checkArenas,
  checkChunk,
  checkHyper,
  checkSample,
  checkStepBatch,
  checkSequenceBatch,
  checkSequenceLoss,
  checkSequenceRng,
  checkTemperature,
} from './check.js';
import { checkIds, float32Array, oneOf } from '../util/validate.js';
import { isIdentity } from '../sampling/transform.js';
import { notLanguageModelError, notSequenceModelError } from '../util/errors.js';

/** The `{ loss, gradNorm }` object returned by the addon's trainChunk. */
export interface NativeChunkResult {
  loss: number;
  gradNorm: number;
}

/** Which kernel path the addon runs and which it could run. */
export interface NativeCapabilities {
  /** The active kernel table ('avx512', 'avx2', 'neon' or 'scalar'). */
  isa: string;
  /** Kernel paths this build contains and this CPU supports, best first. */
  supported: string[];
  /** True when CHARRNN_SIMD or setIsa() chose the path instead of CPU detection. */
  simdForced: boolean;
  /** Threads the addon's gemm and element-wise work may use (the caller's included). */
  threads: number;
}

/** The arena layout as the addon derives it (native/nn/layout.h, native/nn/stack.h), in arena order. */
export interface NativeLayout {
  tensors: { name: string; offset: number; size: number }[];
  /** Arena length P. */
  size: number;
  /** Recurrent state of one stream: stateSize(config, 1). */
  stateSize: number;
}

/**
 * The bounds the addon enforces (native/binding/limits.h), one per TS constant of the same meaning
 * (MAX_HIDDEN_SIZE, MAX_VOCAB_SIZE, MAX_LAYERS, MAX_EMBEDDING_SIZE, MAX_SCRATCH_ELEMENTS and MAX_SAMPLE_LENGTH
 * in src/model/config.ts); test/unit/limits.test.ts checks they agree.
 */
export interface NativeLimits {
  readonly maxHidden: number;
  readonly maxVocab: number;
  readonly maxLayers: number;
  readonly maxEmbedding: number;
  /** MAX_CLASSES: labels of a 'classify' / 'tag' model. */
  readonly maxClasses: number;
  readonly maxScratchElements: number;
  readonly maxSampleLength: number;
}

/**
 * One model bound in C++: holds references to the arenas and works on them in place. Raw, positional
 * signatures (no option objects, so no user getters can run during a native call); `hyper` is a
 * Float64Array laid out as NativeBinding.hyperFields.
 */
export interface NativeSession {
  gradient(
    inputs: Int32Array,
    targets: Int32Array,
    hidden: Float32Array,
    batch: number,
    steps: number,
    reduction: 'sum' | 'mean',
    rngState?: Uint32Array,
  ): number;
  /** Returns the session's one result object, overwritten by its next trainChunk: read the numbers out. */
  trainChunk(
    inputs: Int32Array,
    targets: Int32Array,
    hidden: Float32Array,
    batch: number,
    steps: number,
    reduction: 'sum' | 'mean',
    kind: OptimizerKind,
    hyper: Float64Array,
    rngState?: Uint32Array,
  ): NativeChunkResult;
  trainChunkAsync(
    inputs: Int32Array,
    targets: Int32Array,
    hidden: Float32Array,
    batch: number,
    steps: number,
    reduction: 'sum' | 'mean',
    kind: OptimizerKind,
    hyper: Float64Array,
    rngState?: Uint32Array,
  ): Promise<NativeChunkResult>;
  evaluate(ids: Int32Array, hidden?: Float32Array): EvalResult;
  evaluateAsync(
    ids: Int32Array,
    hidden: Float32Array | undefined,
    budgetMs: number,
  ): Promise<{ totalNats: number; count: number; complete: boolean }>;
  step(hidden: Float32Array, token: number, probs: Float32Array, temperature: number): void;
  stepBatch(states: Float32Array, tokens: Int32Array, probs: Float32Array, temperature: number): void;
  sample(
    hidden: Float32Array,
    prime: Int32Array,
    length: number,
    temperature: number,
    greedy: boolean,
    rngState: Uint32Array,
    ...transform:
      | []
      | [banned: Int32Array, repetitionPenalty: number, repetitionWindow: number, topK: number, topP: number]
  ): Int32Array;
  dispose(): void;
}

/**
 * A 'classify' / 'tag' model bound in C++ (native/binding/seq_session.h): raw, positional signatures; the batch is
 * copied and re-checked inside. `classWeights` / `rngState` may be undefined (rngState is required when dropout > 0).
 */
export interface NativeSeqSession {
  gradient(
    ids: Int32Array,
    lengths: Int32Array,
    labels: Int32Array,
    B: number,
    T: number,
    classWeights: Float32Array | undefined,
    rngState: Uint32Array | undefined,
  ): number;
  train(
    ids: Int32Array,
    lengths: Int32Array,
    labels: Int32Array,
    B: number,
    T: number,
    classWeights: Float32Array | undefined,
    rngState: Uint32Array | undefined,
    kind: OptimizerKind,
    hyper: Float64Array,
  ): NativeChunkResult;
  trainAsync(
    ids: Int32Array,
    lengths: Int32Array,
    labels: Int32Array,
    B: number,
    T: number,
    classWeights: Float32Array | undefined,
    rngState: Uint32Array | undefined,
    kind: OptimizerKind,
    hyper: Float64Array,
  ): Promise<NativeChunkResult>;
  forward(ids: Int32Array, lengths: Int32Array, B: number, T: number): Float32Array;
  tensors(): { name: string; offset: number; size: number }[];
  dispose(): void;
}

/** Everything the addon exports. */
export interface NativeBinding {
  /** Version of this surface; a mismatch means a stale build. */
  readonly abi: number;
  /** Field order of the `hyper` Float64Array. */
  readonly hyperFields: readonly string[];
  /** The addon's argument bounds (a frozen object). */
  readonly limits: NativeLimits;
  capabilities(): NativeCapabilities;
  /** Force a kernel path (process-wide); returns the active isa. Throws for an unknown/unsupported one. */
  setIsa(name: string): string;
  /** Resize the addon's thread pool (process-wide, 1 = single-threaded); returns the new count. */
  setThreads(threads: number): number;
  layout(
    cell: ModelConfig['cell'],
    activation: ModelConfig['activation'],
    vocabSize: number,
    hiddenSizes: Int32Array,
    embeddingSize: number,
    dropout: number,
  ): NativeLayout;
  /**
   * A session for any model config (positional, so no user getter runs inside the addon). The addon picks the
   * implementation by the config's shape (native/nn/model.h). `rngState` (the dropout mask stream, advanced
   * in place) is required by gradient/trainChunk when dropout > 0 and ignored otherwise.
   */
  readonly Session: new (
    cell: ModelConfig['cell'],
    activation: ModelConfig['activation'],
    vocabSize: number,
    hiddenSizes: Int32Array,
    embeddingSize: number,
    dropout: number,
    params: Float32Array,
    grads: Float32Array,
    optState: Float32Array,
  ) => NativeSession;
  /** A session for a 'classify' / 'tag' config (src/model/config.ts), positional as Session's. */
  readonly SeqSession: new (
    cell: ModelConfig['cell'],
    activation: ModelConfig['activation'],
    vocabSize: number,
    hiddenSizes: Int32Array,
    embeddingSize: number,
    dropout: number,
    task: 'classify' | 'tag',
    numClasses: number,
    bidirectional: boolean,
    pooling: ModelConfig['pooling'],
    params: Float32Array,
    grads: Float32Array,
    optState: Float32Array,
  ) => NativeSeqSession;
}

/** The addon surface this adapter was written against. */
export const NATIVE_ABI = 5;
export const HYPER_FIELDS = [
  'lr',
  'momentum',
  'beta1',
  'beta2',
  'eps',
  'weightDecay',
  'clipValue',
  'clipNorm',
  'step',
] as const;

export const NATIVE_HINT =
  "HINT: run `npm rebuild charrnn` (needs a C++ toolchain: g++, make, python3), or use backend: 'js'";

export interface NativeLoad {
  binding?: NativeBinding;
  /** The addon file loaded (a source build, a prebuild, or CHARRNN_ADDON_PATH). */
  path?: string;
  error?: Error;
}

let cached: NativeLoad | undefined;

function checkShape(b: unknown): NativeBinding {
  const o = b as Partial<NativeBinding> | null;
  if (o === null || typeof o !== 'object' || typeof o.Session !== 'function')
    throw new Error('the addon does not export a Session class');
  if (o.abi !== NATIVE_ABI)
    throw new Error(`the addon is a stale build (abi ${String(o.abi)}, expected ${NATIVE_ABI})`);
  const fields = o.hyperFields;
  if (!Array.isArray(fields) || fields.join(',') !== HYPER_FIELDS.join(','))
    throw new Error('the addon is a stale build (hyper-parameter fields differ)');
  return o as NativeBinding;
}

/**
 * Load the addon once per process: CHARRNN_ADDON_PATH (e.g. a Debug/ASan build) when set, else
 * `bindings('charrnn')` from the package root. Never throws: the error says why it is unavailable.
 */
export function loadNative(): NativeLoad {
  if (cached) return cached;
  const override = addonPathOverride();
  try {
    const addon = requireAddon(override);
    cached = { binding: checkShape(addon.exports), path: addon.path };
  } catch (err) {
    const reason = override
      ? `CHARRNN_ADDON_PATH=${override}: ${describeLoadError(err)}`
      : describeLoadError(err);
    cached = { error: new Error(`native addon could not be loaded: ${reason}`) };
  }
  return cached;
}

/** A one-line reason why the addon is unavailable, or undefined when it loaded. */
export function nativeUnavailableReason(): string | undefined {
  const { error } = loadNative();
  return error ? error.message.replace(/^native addon could not be loaded: /, '') : undefined;
}

/** The hyper-parameters in HYPER_FIELDS order, into `h` (already validated by checkHyper). */
function packHyper(hyper: StepHyper, h: Float64Array): Float64Array {
  const o = hyper.optimizer;
  h[0] = o.lr;
  h[1] = o.momentum;
  h[2] = o.beta1;
  h[3] = o.beta2;
  h[4] = o.eps;
  h[5] = o.weightDecay;
  h[6] = hyper.clipValue;
  h[7] = hyper.clipNorm;
  h[8] = hyper.step;
  return h;
}

/**
 * A 'classify' / 'tag' model on the addon: the three sequence calls; every language-model call throws the
 * not-a-language-model error (before touching the addon).
 */
class NativeSeqBackendSession implements BackendSession {
  readonly backend = 'native' as const;
  private readonly native: NativeSeqSession;
  private readonly hyper = new Float64Array(HYPER_FIELDS.length);
  private readonly P: number;

  constructor(
    binding: NativeBinding,
    private readonly config: ModelConfig,
    private readonly arenas: Arenas,
  ) {
    this.P = checkArenas(config, arenas);
    this.native = new binding.SeqSession(
      config.cell,
      config.activation,
      config.vocabSize,
      Int32Array.from(config.hiddenSizes),
      config.embeddingSize,
      config.dropout,
      config.task as 'classify' | 'tag',
      config.numClasses,
      config.bidirectional,
      config.pooling,
      arenas.params,
      arenas.grads,
      arenas.optState,
    );
  }

  private check(
    batch: SequenceBatch,
    options: SequenceLossOptions,
    rngState: unknown,
  ): Float32Array | undefined {
    checkSequenceBatch(this.config, batch, true);
    const w = checkSequenceLoss(this.config, options);
    checkSequenceRng(this.config, rngState);
    return w;
  }

  sequenceGradient(batch: SequenceBatch, options: SequenceLossOptions, rngState?: Uint32Array): number {
    const w = this.check(batch, options, rngState);
    const rng = this.config.dropout > 0 ? rngState : undefined;
    return this.native.gradient(batch.ids, batch.lengths, batch.labels!, batch.B, batch.T, w, rng);
  }

  trainSequences(
    batch: SequenceBatch,
    options: SequenceLossOptions,
    hyper: StepHyper,
    rngState?: Uint32Array,
  ): ChunkResult {
    const w = this.check(batch, options, rngState);
    checkHyper(hyper, this.arenas, this.P);
    const rng = this.config.dropout > 0 ? rngState : undefined;
    const r = this.native.train(
      batch.ids,
      batch.lengths,
      batch.labels!,
      batch.B,
      batch.T,
      w,
      rng,
      hyper.optimizer.kind,
      packHyper(hyper, this.hyper),
    );
    return { loss: r.loss, gradNorm: r.gradNorm };
  }

  trainSequencesAsync(
    batch: SequenceBatch,
    options: SequenceLossOptions,
    hyper: StepHyper,
    rngState?: Uint32Array,
  ): Promise<ChunkResult> {
    try {
      const w = this.check(batch, options, rngState);
      checkHyper(hyper, this.arenas, this.P);
      const rng = this.config.dropout > 0 ? rngState : undefined;
      return this.native
        .trainAsync(
          batch.ids,
          batch.lengths,
          batch.labels!,
          batch.B,
          batch.T,
          w,
          rng,
          hyper.optimizer.kind,
          packHyper(hyper, this.hyper),
        )
        .then((r) => ({ loss: r.loss, gradNorm: r.gradNorm }));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  forwardSequences(batch: SequenceBatch): Float32Array {
    checkSequenceBatch(this.config, batch, false);
    return this.native.forward(batch.ids, batch.lengths, batch.B, batch.T);
  }

  private lm(what: string): never {
    throw notLanguageModelError(this.config, what);
  }
  gradient(): number {
    return this.lm('gradient');
  }
  trainChunk(): ChunkResult {
    return this.lm('trainChunk');
  }
  trainChunkAsync(): Promise<ChunkResult> {
    return Promise.reject(notLanguageModelError(this.config, 'trainChunkAsync'));
  }
  evaluate(): EvalResult {
    return this.lm('evaluate');
  }
  evaluateAsync(): Promise<AsyncEvalResult> {
    return Promise.reject(notLanguageModelError(this.config, 'evaluateAsync'));
  }
  step(): void {
    this.lm('step');
  }
  stepBatch(): void {
    this.lm('stepBatch');
  }
  sample(): Int32Array {
    return this.lm('sample');
  }

  dispose(): void {
    this.native.dispose();
  }
}

class NativeBackendSession implements BackendSession {
  readonly backend = 'native' as const;
  private readonly native: NativeSession;
  private readonly hyper = new Float64Array(HYPER_FIELDS.length);
  private readonly P: number;
  private readonly stateWidth: number;

  constructor(
    binding: NativeBinding,
    private readonly config: ModelConfig,
    private readonly arenas: Arenas,
  ) {
    const spec = describeModel(config);
    this.P = checkArenas(config, arenas);
    this.native = new binding.Session(
      config.cell,
      config.activation,
      config.vocabSize,
      Int32Array.from(config.hiddenSizes),
      config.embeddingSize,
      config.dropout,
      arenas.params,
      arenas.grads,
      arenas.optState,
    );
    this.stateWidth = spec.stateSize;
  }

  /** The dropout mask stream, passed only when the model draws masks (checkChunk required it then). */
  private rng(chunk: Chunk): Uint32Array | undefined {
    return this.config.dropout > 0 ? chunk.rngState : undefined;
  }

  gradient(chunk: Chunk, reduction: 'sum' | 'mean'): number {
    checkChunk(this.config, chunk);
    oneOf('reduction', reduction, ['sum', 'mean'] as const);
    return this.native.gradient(
      chunk.inputs,
      chunk.targets,
      chunk.hidden,
      chunk.batch,
      chunk.steps,
      reduction,
      this.rng(chunk),
    );
  }

  /** Packs the hyper-parameters into the session's Float64Array (read synchronously by C++). */
  private pack(hyper: StepHyper): Float64Array {
    return packHyper(hyper, this.hyper);
  }

  private checkTrain(chunk: Chunk, hyper: StepHyper): void {
    checkChunk(this.config, chunk);
    checkHyper(hyper, this.arenas, this.P);
  }

  trainChunk(chunk: Chunk, hyper: StepHyper): ChunkResult {
    this.checkTrain(chunk, hyper);
    const r = this.native.trainChunk(
      chunk.inputs,
      chunk.targets,
      chunk.hidden,
      chunk.batch,
      chunk.steps,
      hyper.reduction,
      hyper.optimizer.kind,
      this.pack(hyper),
      this.rng(chunk),
    );
    return { loss: r.loss, gradNorm: r.gradNorm };
  }

  trainChunkAsync(chunk: Chunk, hyper: StepHyper): Promise<ChunkResult> {
    try {
      this.checkTrain(chunk, hyper);
      return this.native
        .trainChunkAsync(
          chunk.inputs,
          chunk.targets,
          chunk.hidden,
          chunk.batch,
          chunk.steps,
          hyper.reduction,
          hyper.optimizer.kind,
          this.pack(hyper),
          this.rng(chunk),
        )
        .then((r) => ({ loss: r.loss, gradNorm: r.gradNorm }));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private checkEval(ids: Int32Array, hidden: Float32Array | undefined): void {
    checkIds('ids', ids, undefined, this.config.vocabSize);
    if (ids.length < 2)
      throw new RangeError(
        `Expected at least 2 tokens for ids but received an Int32Array of length ${ids.length}`,
      );
    if (hidden !== undefined) float32Array('hidden', hidden, this.stateWidth);
  }

  evaluate(ids: Int32Array, hidden?: Float32Array): EvalResult {
    this.checkEval(ids, hidden);
    const r = this.native.evaluate(ids, hidden);
    return { totalNats: r.totalNats, count: r.count };
  }

  evaluateAsync(
    ids: Int32Array,
    hidden: Float32Array | undefined,
    deadline: number,
  ): Promise<AsyncEvalResult> {
    try {
      this.checkEval(ids, hidden);
      if (typeof deadline !== 'number' || Number.isNaN(deadline))
        throw new TypeError(
          `Expected a performance.now() time or Infinity for deadline but received ${String(deadline)}`,
        );
      const budget = Math.max(0, deadline - performance.now());
      return this.native
        .evaluateAsync(ids, hidden, budget)
        .then((r) => ({ totalNats: r.totalNats, count: r.count, complete: r.complete }));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  step(hidden: Float32Array, token: number, probs: Float32Array, temperature: number): void {
    const V = this.config.vocabSize;
    float32Array('hidden', hidden, this.stateWidth);
    float32Array('probs', probs, V);
    if (!Number.isInteger(token) || token < 0 || token >= V)
      throw new RangeError(`Expected a token id in [0, ${V - 1}] for token but received ${token}`);
    checkTemperature(temperature);
    this.native.step(hidden, token, probs, temperature);
  }

  stepBatch(states: Float32Array, tokens: Int32Array, probs: Float32Array, temperature: number): void {
    checkStepBatch(this.config, states, tokens, probs, temperature);
    this.native.stepBatch(states, tokens, probs, temperature);
  }

  sample(req: SampleRequest): Int32Array {
    checkSample(this.config, req);
    const greedy = Boolean(req.greedy);
    const t = req.transform;
    const options: [] | [Int32Array, number, number, number, number] =
      t === undefined || isIdentity(t)
        ? []
        : [t.banned, t.repetitionPenalty, t.repetitionWindow, t.topK, t.topP];
    return this.native.sample(
      req.hidden,
      req.prime,
      req.length,
      greedy ? 1 : req.temperature,
      greedy,
      req.rngState,
      ...options,
    );
  }

  sequenceGradient(_batch: SequenceBatch, _options: SequenceLossOptions, _rngState?: Uint32Array): number {
    throw notSequenceModelError('sequenceGradient');
  }

  trainSequences(
    _batch: SequenceBatch,
    _options: SequenceLossOptions,
    _hyper: StepHyper,
    _rngState?: Uint32Array,
  ): ChunkResult {
    throw notSequenceModelError('trainSequences');
  }

  trainSequencesAsync(): Promise<ChunkResult> {
    return Promise.reject(notSequenceModelError('trainSequencesAsync'));
  }

  forwardSequences(_batch: SequenceBatch): Float32Array {
    throw notSequenceModelError('forwardSequences');
  }

  dispose(): void {
    this.native.dispose();
  }
}

/**
 * The native backend. Throws (with the reason and a HINT) when the addon is not available; use
 * resolveBackend('auto') from src/backends/index.ts for a fallback to the JS backend.
 */
export function nativeBackend(): Backend {
  const { binding, error } = loadNative();
  if (!binding)
    throw new Error(
      `charrnn: the native backend is not available (${nativeUnavailableReason() ?? String(error)}). ${NATIVE_HINT}`,
    );
  return Object.freeze({
    name: 'native' as const,
    open(config: ModelConfig, arenas: Arenas): BackendSession {
      if (config.task !== 'lm') return new NativeSeqBackendSession(binding, config, arenas);
      return new NativeBackendSession(binding, config, arenas);
    },
  });
}

// The backend boundary: everything a backend must do for a model, and nothing else.
// A backend owns the arithmetic of a chunk (forward, BPTT, clipping, update), evaluation and the
// sampling loop. It never owns parameters: it works in place on the model's private arenas.
// Deliberately free of policy (schedules, batching, text): that lives in the TS facade.
import type { ModelConfig } from '../model/config.js';
import type { TransformSpec } from '../sampling/transform.js';

export type BackendName = 'js' | 'native';
export type OptimizerKind = 'sgd' | 'adagrad' | 'rmsprop' | 'adam';

/** Optimizer hyper-parameters. Every field is present (resolved by src/run/optim.ts). */
export interface OptimizerHyper {
  readonly kind: OptimizerKind;
  /** Learning rate. */
  readonly lr: number;
  /** SGD momentum (0 = plain SGD). */
  readonly momentum: number;
  /** Adam β1. */
  readonly beta1: number;
  /** Adam β2; RMSProp's decay (α in PyTorch). */
  readonly beta2: number;
  /** Denominator epsilon (Adagrad/RMSProp/Adam). */
  readonly eps: number;
  /** Decoupled (AdamW-style) weight decay; 0 = off. */
  readonly weightDecay: number;
}

/** Number of float32 optimizer-state slots per parameter, each a sibling arena of the parameter layout. */
export function optimizerSlots(kind: OptimizerKind): number {
  return kind === 'adam' ? 2 : 1;
}

export interface StepHyper {
  readonly optimizer: OptimizerHyper;
  /** Element-wise clamp of every gradient to [-clipValue, clipValue]; 0 = off. Applied first. */
  readonly clipValue: number;
  /** Global-norm clipping: scale all gradients so their L2 norm is ≤ clipNorm; 0 = off. */
  readonly clipNorm: number;
  /** 1-based update count (Adam bias correction). */
  readonly step: number;
  /**
   * 'sum': gradients of the summed cross-entropy over the chunk (min-char-rnn);
   * 'mean': of the mean over B×T tokens (PyTorch's default).
   */
  readonly reduction: 'sum' | 'mean';
}

/** The model-owned buffers a backend works on in place. Private to the model: never user-visible. */
export interface Arenas {
  /** All parameters, laid out as the model description says (src/model/spec.ts, layoutFor). */
  readonly params: Float32Array;
  /** Gradients, same layout. */
  readonly grads: Float32Array;
  /** Optimizer state: optimizerSlots(kind) consecutive copies of the layout. */
  readonly optState: Float32Array;
}

/** A training (or gradient) chunk: B parallel streams × T steps, time-major (element t·B + b). */
export interface Chunk {
  readonly inputs: Int32Array;
  readonly targets: Int32Array;
  readonly batch: number;
  readonly steps: number;
  /**
   * Carried recurrent state of the B streams, stateSize(config, B) elements laid out as
   * src/model/layout.ts says (stateSize; [B, H] for the vanilla model): read as the state at t = 0, overwritten
   * with the state after step T.
   */
  readonly hidden: Float32Array;
  /**
   * xoshiro128** state that draws the dropout masks, advanced in place (so a seed fixes every mask).
   * Required when config.dropout > 0, ignored otherwise. The mask rule is documented on
   * drawDropoutMasks in src/backends/js/stack.ts.
   */
  readonly rngState?: Uint32Array;
}

export interface ChunkResult {
  /** Mean cross-entropy over the chunk's B×T tokens, in nats. */
  readonly loss: number;
  /** L2 norm of the gradient before any clipping (as seen by clipNorm). */
  readonly gradNorm: number;
}

export interface EvalResult {
  /** Sum of −log p(target) over the scored positions, nats. */
  readonly totalNats: number;
  /** Number of scored positions. */
  readonly count: number;
}

/** An evaluation that may have given up at its deadline. */
export interface AsyncEvalResult extends EvalResult {
  /** false: the deadline passed first; totalNats is NaN and nothing was kept. */
  readonly complete: boolean;
}

export interface SampleRequest {
  /** Recurrent state of one stream (stateSize(config, 1)) to start from; overwritten with the state after the last fed token. */
  readonly hidden: Float32Array;
  /** Tokens fed before sampling starts (may be empty: then sampling starts from `hidden` and `first`). */
  readonly prime: Int32Array;
  /** Number of tokens to generate. */
  readonly length: number;
  /** Softmax temperature (> 0); ignored when greedy. */
  readonly temperature: number;
  /** Argmax instead of sampling. */
  readonly greedy: boolean;
  /** xoshiro128** state, advanced in place (one draw per sampled token). */
  readonly rngState: Uint32Array;
  /**
   * Generation options (banned ids, repetition penalty, top-k, top-p) applied to each distribution by the rule of
   * src/sampling/transform.ts before the pick; absent = the plain draw. Both backends apply it identically.
   */
  readonly transform?: TransformSpec;
}

/**
 * A padded batch of B whole, independent sequences for a 'classify' / 'tag' model (each read from a zero state),
 * row-major: sequence b's token at step t is ids[b·T + t].
 */
export interface SequenceBatch {
  /** Number of sequences B. */
  readonly B: number;
  /** Padded length T (the longest sequence's length, or more). */
  readonly T: number;
  /** [B·T] token ids; steps t ≥ lengths[b] are padding (any valid id) and never read into anything. */
  readonly ids: Int32Array;
  /** [B] true lengths, each in [1, T]. */
  readonly lengths: Int32Array;
  /**
   * Labels in [0, C) — 'classify': [B], one per sequence; 'tag': [B·T] row-major, −1 = not counted (padding or
   * unlabelled). Required for training; ignored by forwardSequences.
   */
  readonly labels?: Int32Array;
}

/** Options of a sequence loss: per-class weights of the cross-entropy (PyTorch's `weight`). */
export interface SequenceLossOptions {
  /** [C] finite, ≥ 0 weights; the loss is Σ w[y]·nll / Σ w[y] over counted items (PyTorch's weighted mean). */
  readonly classWeights?: Float32Array;
}

/** One model bound to one backend. Every method validates its inputs (both backends). */
export interface BackendSession {
  readonly backend: BackendName;
  /** Forward + BPTT into `arenas.grads` (overwritten, unclipped); no update. Returns mean loss. */
  gradient(chunk: Chunk, reduction: 'sum' | 'mean'): number;
  /** Forward + BPTT + clipping + optimizer update, in place. */
  trainChunk(chunk: Chunk, hyper: StepHyper): ChunkResult;
  /** Same as trainChunk, off the main thread where the backend can (the JS backend cannot). */
  trainChunkAsync(chunk: Chunk, hyper: StepHyper): Promise<ChunkResult>;
  /**
   * Score one stream: predict ids[i+1] from ids[0..i] for every i, from a zero state
   * (or `hidden` when given: stateSize(config, 1) elements, left untouched). No dropout.
   */
  evaluate(ids: Int32Array, hidden?: Float32Array): EvalResult;
  /**
   * As evaluate, without blocking the event loop: off the main thread (native) or in slices of a few
   * milliseconds between which it yields (js). The sum is bit-identical to evaluate's. `deadline` is a
   * performance.now() time in ms (Infinity = none); once it has passed the evaluation gives up (complete false).
   * The ids and state are copied first; the caller must not start another call on the session until it settles.
   */
  evaluateAsync(
    ids: Int32Array,
    hidden: Float32Array | undefined,
    deadline: number,
  ): Promise<AsyncEvalResult>;
  /**
   * One step: feed `token` into `hidden` (the state of one stream, stateSize(config, 1), in place) and write
   * the next-token distribution into `probs` [V]. No dropout.
   */
  step(hidden: Float32Array, token: number, probs: Float32Array, temperature: number): void;
  /**
   * step() for n = tokens.length streams in one call: `states` [n·stateSize(config, 1)] holds stream b's state at
   * b·stateSize (in place), `probs` [n·V] receives stream b's distribution at b·V. Stream b's result is bit for bit
   * what step() gives it alone (native: one product per layer and weight for all streams; js: a loop of step()).
   */
  stepBatch(states: Float32Array, tokens: Int32Array, probs: Float32Array, temperature: number): void;
  /** The whole sampling loop; returns the generated token ids. The last prime token conditions the first sample. */
  sample(req: SampleRequest): Int32Array;
  /**
   * 'classify' / 'tag' models: forward + backward of a padded batch (SequenceBatch, labels required) into
   * `arenas.grads` (overwritten, unclipped), with the weighted mean cross-entropy over the counted items
   * (0 when none counts). No update; dropout masks drawn from `rngState` when config.dropout > 0.
   */
  sequenceGradient(batch: SequenceBatch, options: SequenceLossOptions, rngState?: Uint32Array): number;
  /** As sequenceGradient, then clipping and one optimizer update (the trainChunk machinery). */
  trainSequences(
    batch: SequenceBatch,
    options: SequenceLossOptions,
    hyper: StepHyper,
    rngState?: Uint32Array,
  ): ChunkResult;
  /**
   * As trainSequences, off the main thread where the backend can (native: an AsyncWorker; the session refuses other
   * calls until it settles). The TypeScript backend runs it in place. The batch is copied before it starts.
   */
  trainSequencesAsync(
    batch: SequenceBatch,
    options: SequenceLossOptions,
    hyper: StepHyper,
    rngState?: Uint32Array,
  ): Promise<ChunkResult>;
  /**
   * Logits of a padded batch, no dropout: 'classify' [B, C]; 'tag' [B·T, C] row-major (row b·T + t), padded steps
   * zero.
   */
  forwardSequences(batch: SequenceBatch): Float32Array;
  /** Release native resources; further calls throw. */
  dispose(): void;
}

export interface Backend {
  readonly name: BackendName;
  /** Bind a model's config and arenas; the arenas must outlive the session. */
  open(config: ModelConfig, arenas: Arenas): BackendSession;
}

// Model configuration: what a model is (cell, sizes, layers, input, dropout), validated once; no parameters live here.
import {
  describe,
  numberInRange,
  oneOf,
  nonNegativeInt,
  positiveInt,
  rangeError,
  typeError,
} from '../util/validate.js';

/** Why relu is refused for a gated cell (the CLI says it with its flags: src/cli/messages.ts). */
export const ACTIVATION_HINT = "activation applies to cell 'rnn' only";

export type CellKind = 'rnn' | 'lstm' | 'gru';
export type Activation = 'tanh' | 'relu';
/**
 * What the model predicts: 'lm' the next token at every step (a language model), 'classify' one label per
 * sequence, 'tag' one label per input token. See docs/tasks.md.
 */
export type Task = 'lm' | 'classify' | 'tag';
/**
 * How a classifier reads a sequence out (task 'classify'): 'last' the final state of each direction (the forward
 * direction's h at the sequence's last true step, the reverse direction's h after reading back to step 0,
 * concatenated), 'mean' / 'max' the element-wise mean / max of the top layer's outputs over the true steps.
 */
export type Pooling = 'last' | 'mean' | 'max';

export interface ModelConfig {
  /** Recurrent cell: Elman RNN, LSTM (gates i, f, g, o) or GRU (gates r, z, n), as PyTorch. */
  readonly cell: CellKind;
  /** Number of distinct tokens (V). */
  readonly vocabSize: number;
  /** Width of the top layer (the decoder's input); equals every layer's width unless hiddenSizes differ. */
  readonly hiddenSize: number;
  /** Width of each layer, bottom first (length = layers). */
  readonly hiddenSizes: readonly number[];
  /** Number of stacked recurrent layers (≥ 1). */
  readonly layers: number;
  /** Width E of a learned input embedding; 0 = one-hot input. */
  readonly embeddingSize: number;
  /** Dropout probability in [0, 1) on each layer's output (between layers and before the decoder), training only. */
  readonly dropout: number;
  /** Non-linearity of cell 'rnn' (always 'tanh' for the gated cells). */
  readonly activation: Activation;
  /** What the model predicts (default 'lm'). */
  readonly task: Task;
  /** Number of labels C of a 'classify' or 'tag' model (the head's rows); 0 for 'lm'. */
  readonly numClasses: number;
  /**
   * Every layer runs in both directions (PyTorch's bidirectional=True): the next layer, and the head, read both
   * directions' outputs concatenated (forward first). 'classify' and 'tag' only: a language model would see the
   * token it predicts.
   */
  readonly bidirectional: boolean;
  /** Read-out of a 'classify' model ('last' otherwise, where it means nothing). */
  readonly pooling: Pooling;
}

export interface ModelConfigInput {
  cell?: CellKind;
  vocabSize: number;
  /** Width of every layer (default 100); when hiddenSizes is given too, it must equal its last entry. */
  hiddenSize?: number;
  /** Per-layer widths, bottom first; sets layers when layers is omitted. */
  hiddenSizes?: readonly number[];
  layers?: number;
  embeddingSize?: number;
  dropout?: number;
  activation?: Activation;
  task?: Task;
  /** Required for task 'classify' / 'tag' (≥ 2); absent or 0 for 'lm'. */
  numClasses?: number;
  bidirectional?: boolean;
  /** Task 'classify' only (default 'last'). */
  pooling?: Pooling;
}

export const DEFAULT_HIDDEN_SIZE = 100;

/** Largest vocabulary accepted: ids must fit the Int32 boundary and the one-hot matrix must stay sane. */
export const MAX_VOCAB_SIZE = 1 << 20;
/** Largest hidden size accepted (H×H float32 stays below 1 GiB). */
export const MAX_HIDDEN_SIZE = 16384;
/** Largest number of stacked layers accepted. */
export const MAX_LAYERS = 64;
/** Largest number of labels of a 'classify' / 'tag' model (native/binding/limits.h kMaxClasses). */
export const MAX_CLASSES = 1 << 16;
/** Largest embedding width accepted. */
export const MAX_EMBEDDING_SIZE = 16384;
/** Upper bound on B·T·max(H, V) scratch elements a single backend or drop-in call may ask for (≈ 2 GiB of float32). */
export const MAX_SCRATCH_ELEMENTS = 2 ** 29;
/** Upper bound on the tokens one sample call generates (and on its repetition window). */
export const MAX_SAMPLE_LENGTH = 2 ** 30;
/** Upper bound on the tokens one model.trace call (and `charrnn viz`) follows. */
export const MAX_TRACE_LENGTH = 100_000;

/** Directions per layer: 2 for a bidirectional model, else 1. */
export function directions(config: Pick<ModelConfig, 'bidirectional'>): number {
  return config.bidirectional ? 2 : 1;
}

/** Gates per cell: G = 1 (rnn), 4 (lstm: i, f, g, o), 3 (gru: r, z, n). */
export function gateCount(cell: CellKind): number {
  return cell === 'lstm' ? 4 : cell === 'gru' ? 3 : 1;
}

function hidden(name: string, value: unknown): number {
  const h = positiveInt(name, value);
  if (h > MAX_HIDDEN_SIZE) rangeError(`an integer in [1, ${MAX_HIDDEN_SIZE}]`, name, h);
  return h;
}

export function resolveModelConfig(input: ModelConfigInput): ModelConfig {
  if (input === null || typeof input !== 'object')
    throw new TypeError(`Expected an object for model config but received ${String(input)}`);
  const cell = oneOf('cell', input.cell ?? 'rnn', ['rnn', 'lstm', 'gru'] as const);
  const vocabSize = positiveInt('vocabSize', input.vocabSize);
  if (vocabSize < 2 || vocabSize > MAX_VOCAB_SIZE)
    throw new RangeError(
      `Expected an integer in [2, ${MAX_VOCAB_SIZE}] for vocabSize but received ${vocabSize}`,
    );
  let layers = input.layers === undefined ? undefined : positiveInt('layers', input.layers);
  if (layers !== undefined && layers > MAX_LAYERS)
    rangeError(`an integer in [1, ${MAX_LAYERS}]`, 'layers', layers);
  let hiddenSizes: number[];
  if (input.hiddenSizes !== undefined) {
    if (!Array.isArray(input.hiddenSizes) || input.hiddenSizes.length === 0)
      throw new TypeError(
        `Expected a non-empty array of positive integers for hiddenSizes but received ${describe(input.hiddenSizes)}`,
      );
    hiddenSizes = input.hiddenSizes.map((h, i) => hidden(`hiddenSizes[${i}]`, h));
    if (layers !== undefined && layers !== hiddenSizes.length)
      rangeError(`an array of length ${layers} (one width per layer)`, 'hiddenSizes', input.hiddenSizes);
    layers = hiddenSizes.length;
    if (input.hiddenSize !== undefined && input.hiddenSize !== hiddenSizes[layers - 1])
      rangeError(
        `${hiddenSizes[layers - 1]} (the last entry of hiddenSizes) or nothing`,
        'hiddenSize',
        input.hiddenSize,
      );
  } else {
    layers ??= 1;
    const h = hidden('hiddenSize', input.hiddenSize ?? DEFAULT_HIDDEN_SIZE);
    hiddenSizes = new Array<number>(layers).fill(h);
  }
  const embeddingSize = nonNegativeInt('embeddingSize', input.embeddingSize ?? 0);
  if (embeddingSize > MAX_EMBEDDING_SIZE)
    rangeError(`an integer in [0, ${MAX_EMBEDDING_SIZE}]`, 'embeddingSize', embeddingSize);
  const dropout = numberInRange('dropout', input.dropout ?? 0, 0, 1, true);
  const activation = oneOf('activation', input.activation ?? 'tanh', ['tanh', 'relu'] as const);
  if (activation !== 'tanh' && cell !== 'rnn')
    rangeError(`'tanh' for cell '${cell}'`, 'activation', activation, ACTIVATION_HINT);
  const task = oneOf('task', input.task ?? 'lm', ['lm', 'classify', 'tag'] as const);
  let numClasses = 0;
  if (task === 'lm') {
    if (input.numClasses !== undefined && input.numClasses !== 0)
      rangeError(
        "0 or nothing for task 'lm'",
        'numClasses',
        input.numClasses,
        "a language model predicts tokens; use task 'classify' or 'tag' for labels",
      );
  } else {
    if (input.numClasses === undefined)
      typeError(
        `an integer in [2, ${MAX_CLASSES}]`,
        'numClasses',
        undefined,
        `task '${task}' needs the number of labels`,
      );
    numClasses = positiveInt('numClasses', input.numClasses);
    if (numClasses < 2 || numClasses > MAX_CLASSES)
      rangeError(`an integer in [2, ${MAX_CLASSES}]`, 'numClasses', numClasses);
  }
  const bidirectional = input.bidirectional ?? false;
  if (typeof bidirectional !== 'boolean')
    throw new TypeError(`Expected a boolean for bidirectional but received ${describe(bidirectional)}`);
  if (bidirectional && task === 'lm')
    rangeError(
      "false for task 'lm'",
      'bidirectional',
      bidirectional,
      "a language model's reverse direction would read the token it predicts; use task 'classify' or 'tag'",
    );
  const pooling = oneOf('pooling', input.pooling ?? 'last', ['last', 'mean', 'max'] as const);
  if (pooling !== 'last' && task !== 'classify')
    rangeError(`'last' for task '${task}'`, 'pooling', pooling, "pooling applies to task 'classify' only");
  return Object.freeze({
    cell,
    vocabSize,
    hiddenSize: hiddenSizes[layers - 1],
    hiddenSizes: Object.freeze(hiddenSizes),
    layers,
    embeddingSize,
    dropout,
    activation,
    task,
    numClasses,
    bidirectional,
    pooling,
  });
}

/**
 * What makes `config` differ from the vanilla model (one-layer tanh RNN, one-hot input, no dropout), or
 * undefined when it is the vanilla model: the seeds' arena layout and both backends' dedicated fast path are for
 * that model only. Asked by the model description (./spec.ts, describeModel) only; everything else reads that.
 */
export function nonVanillaFeature(config: ModelConfig): string | undefined {
  if (config.task !== 'lm') return `task '${config.task}'`;
  if (config.bidirectional) return 'bidirectional';
  if (config.cell !== 'rnn') return `cell '${config.cell}'`;
  if (config.layers !== 1) return `layers ${config.layers}`;
  if (config.embeddingSize !== 0) return `embeddingSize ${config.embeddingSize}`;
  if (config.dropout !== 0) return `dropout ${config.dropout}`;
  if (config.activation !== 'tanh') return `activation '${config.activation}'`;
  return undefined;
}

export function isVanilla(config: ModelConfig): boolean {
  return nonVanillaFeature(config) === undefined;
}

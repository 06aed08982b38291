// Model configuration: what a model is (cell, sizes), validated once; no parameters live here.
import { oneOf, positiveInt } from '../util/validate.js';

export type CellKind = 'rnn';

export interface ModelConfig {
  /** Recurrent cell. Only the vanilla Elman tanh RNN so far; LSTM/GRU come with the models issue. */
  readonly cell: CellKind;
  /** Number of distinct tokens (V). */
  readonly vocabSize: number;
  /** Hidden state width (H). */
  readonly hiddenSize: number;
}

export interface ModelConfigInput {
  cell?: CellKind;
  vocabSize: number;
  hiddenSize?: number;
}

export const DEFAULT_HIDDEN_SIZE = 100;

/** Largest vocabulary accepted: ids must fit the Int32 boundary and the one-hot matrix must stay sane. */
export const MAX_VOCAB_SIZE = 1 << 20;
/** Largest hidden size accepted (H×H float32 stays below 1 GiB). */
export const MAX_HIDDEN_SIZE = 16384;

export function resolveModelConfig(input: ModelConfigInput): ModelConfig {
  if (input === null || typeof input !== 'object')
    throw new TypeError(`Expected an object for model config but received ${String(input)}`);
  const cell = oneOf('cell', input.cell ?? 'rnn', ['rnn'] as const);
  const vocabSize = positiveInt('vocabSize', input.vocabSize);
  if (vocabSize < 2 || vocabSize > MAX_VOCAB_SIZE)
    throw new RangeError(
      `Expected an integer in [2, ${MAX_VOCAB_SIZE}] for vocabSize but received ${vocabSize}`,
    );
  const hiddenSize = positiveInt('hiddenSize', input.hiddenSize ?? DEFAULT_HIDDEN_SIZE);
  if (hiddenSize > MAX_HIDDEN_SIZE)
    throw new RangeError(
      `Expected an integer in [1, ${MAX_HIDDEN_SIZE}] for hiddenSize but received ${hiddenSize}`,
    );
  return Object.freeze({ cell, vocabSize, hiddenSize });
}

// Saving and loading a trained model (config, vocabulary, parameters) as one safetensors file.
// Format version 1 (the vanilla model): tensors in the seeds' names (Wxh, Whh, bh, Why, by). Format version 2
// (every other model: stacked, LSTM/GRU, embedding, dropout): tensors in PyTorch's names and shapes, as
// the model description lists them (src/model/spec.ts, layoutFor), so a reader older than version 2 refuses such a file clearly.
// `__metadata__` holds `format` = "charrnn", `format_version`, `config` and `vocabulary` as JSON strings.
// loadModel also reads checkpoints (version 3, src/io/checkpoint.ts) and ignores their training state.
// Deliberately no training state here: checkpoints are src/io/checkpoint.ts.
import { writeFileAtomic } from './atomic.js';
import {
  encodeModelChunks,
  FORMAT_VERSION_PYTORCH_NAMES,
  FORMAT_VERSION_VANILLA,
  MODEL_FORMAT as FORMAT,
  readCheckpoint,
} from './checkpoint.js';
import { CharRNN } from '../charrnn.js';
import type { BackendChoice } from '../backends/index.js';

export const MODEL_FORMAT = FORMAT;
/** Written for the vanilla model (unchanged since the first release). */
export const MODEL_FORMAT_VERSION = FORMAT_VERSION_VANILLA;
/** Written for every other model (PyTorch tensor names). */
export const MODEL_FORMAT_VERSION_PYTORCH_NAMES = FORMAT_VERSION_PYTORCH_NAMES;

/** Write `model` to `path` atomically. Extra metadata entries (strings) are stored alongside. */
export async function saveModel(
  model: CharRNN,
  path: string,
  extra: Record<string, string> = {},
): Promise<void> {
  await writeFileAtomic(path, encodeModelChunks(model, extra));
}

/**
 * Read a model written by saveModel, or a checkpoint (its training state is ignored). Every malformed
 * part is a SafetensorsError naming it.
 */
export async function loadModel(path: string, options: { backend?: BackendChoice } = {}): Promise<CharRNN> {
  const ck = await readCheckpoint(path);
  return CharRNN.fromParameters(ck.config, ck.vocabulary, ck.parameters, options.backend ?? 'auto');
}

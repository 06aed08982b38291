// Saving and loading a trained model (config, vocabulary, parameters) as one safetensors file.
// Format version 1 (the vanilla model): tensors in the seeds' names (Wxh, Whh, bh, Why, by). Format version 2
// (every other model: stacked, LSTM/GRU, embedding, dropout): tensors in PyTorch's names and shapes, as
// src/model/layout.ts lists them, so a reader older than version 2 refuses such a file clearly.
// `__metadata__` holds `format` = "charrnn", `format_version`, `config` and `vocabulary` as JSON strings.
// Deliberately no training state yet (resume comes with the checkpoints work).
import { loadSafetensors, saveSafetensors, SafetensorsError, type TensorData } from './safetensors.js';
import { CharRNN } from '../model/model.js';
import { isVanilla, resolveModelConfig } from '../model/config.js';
import { vocabularyFromJSON } from '../text/word-vocabulary.js';
import type { BackendChoice } from '../backends/index.js';

export const MODEL_FORMAT = 'charrnn';
/** Written for the vanilla model (unchanged since the first release). */
export const MODEL_FORMAT_VERSION = '1';
/** Written for every other model (PyTorch tensor names). */
export const MODEL_FORMAT_VERSION_PYTORCH_NAMES = '2';

/** Write `model` to `path` atomically. Extra metadata entries (strings) are stored alongside. */
export async function saveModel(
  model: CharRNN,
  path: string,
  extra: Record<string, string> = {},
): Promise<void> {
  const tensors = new Map<string, TensorData>();
  const params = model.parameters();
  for (const t of model.layout.tensors) tensors.set(t.name, { shape: t.shape, data: params.get(t.name)! });
  await saveSafetensors(path, tensors, {
    ...extra,
    format: MODEL_FORMAT,
    format_version: isVanilla(model.config) ? MODEL_FORMAT_VERSION : MODEL_FORMAT_VERSION_PYTORCH_NAMES,
    config: JSON.stringify(model.config),
    vocabulary: JSON.stringify(model.vocabulary.toJSON()),
  });
}

/** Read a model written by saveModel. Every malformed part is a SafetensorsError naming it. */
export async function loadModel(path: string, options: { backend?: BackendChoice } = {}): Promise<CharRNN> {
  let contents;
  try {
    contents = await loadSafetensors(path);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(`Model file not found: ${path}. HINT: train one with \`charrnn train --out ${path}\``, {
        cause: err,
      });
    throw err;
  }
  const { tensors, metadata } = contents;
  const bad = (field: string, what: string): never => {
    throw new SafetensorsError(`Invalid charrnn model file ${path}: ${what}`, field);
  };
  if (metadata.format !== MODEL_FORMAT)
    bad('format', `__metadata__.format is ${JSON.stringify(metadata.format)}, expected "charrnn"`);
  const version = metadata.format_version;
  if (version !== MODEL_FORMAT_VERSION && version !== MODEL_FORMAT_VERSION_PYTORCH_NAMES)
    bad(
      'format_version',
      `unsupported format_version ${JSON.stringify(version)} (this charrnn reads "1" and "2")`,
    );
  const parse = (field: string): unknown => {
    try {
      return JSON.parse(metadata[field] ?? '');
    } catch {
      return bad(field, `__metadata__.${field} is not valid JSON`);
    }
  };
  let config;
  let vocabulary;
  try {
    config = resolveModelConfig(parse('config') as never);
    vocabulary = vocabularyFromJSON(parse('vocabulary'));
  } catch (err) {
    if (err instanceof SafetensorsError) throw err;
    return bad('config', (err as Error).message);
  }
  if ((version === MODEL_FORMAT_VERSION) !== isVanilla(config))
    bad(
      'format_version',
      `format_version ${JSON.stringify(version)} does not match its config (version "1" is the vanilla model only)`,
    );
  const data = new Map<string, Float32Array>();
  for (const [name, t] of tensors) data.set(name, t.data);
  try {
    const model = CharRNN.fromParameters(config, vocabulary, data, options.backend ?? 'auto');
    // Shapes must match the config, not just sizes.
    for (const t of model.layout.tensors) {
      const shape = tensors.get(t.name)!.shape;
      if (shape.join(',') !== t.shape.join(','))
        bad(t.name, `tensor ${t.name} has shape [${shape.join(', ')}], expected [${t.shape.join(', ')}]`);
    }
    return model;
  } catch (err) {
    if (err instanceof SafetensorsError) throw err;
    return bad('tensors', (err as Error).message);
  }
}

// The charrnn file format in memory: model files (format versions 1 and 2) and training checkpoints (version 3) —
// a model file plus everything an exact resume needs: the trainer's state as JSON in `__metadata__.training_state`,
// the dropout PRNG state, the optimizer moments (`optim.<slot>.<parameter>`) and the carried hidden state
// (`state.h_l<l>`, `state.c_l<l>`) as tensors. The reader validates every field before anything is built from it;
// each defect is a SafetensorsError naming the field. No file I/O (checkpoint.ts has the files), so it runs in a
// browser: encodeModel / decodeModel are the page's way to save and load. Deliberately no training logic.
import type { OptimizerHyper } from '../backends/backend.js';
import type { BackendChoice } from '../backends/index.js';
import { resolveModelConfig, type ModelConfig } from '../model/config.js';
import { stateOffsets, stateSize } from '../model/layout.js';
import { describeModel } from '../model/spec.js';
import { CharRNN, type ModelTrainingState } from '../charrnn.js';
import { vocabularyFromJSON } from '../text/word-vocabulary.js';
import type { ModelVocabulary } from '../charrnn.js';
import { checkTrainingState, type TrainingState } from '../run/state.js';
import { checkLossHistory, type LossHistory } from '../run/loss-history.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  SafetensorsError,
  type SafetensorsContents,
  type TensorData,
} from './safetensors-codec.js';
import { parseJsonStrict } from './strict-json.js';
import { typeError } from '../util/validate.js';

export const MODEL_FORMAT = 'charrnn';

/** The keys of a file's config (every key ModelConfig has had; keys have only ever been added). */
const CONFIG_KEYS = [
  'cell',
  'vocabSize',
  'hiddenSize',
  'hiddenSizes',
  'layers',
  'embeddingSize',
  'dropout',
  'activation',
  'task',
  'numClasses',
  'bidirectional',
  'pooling',
] as const;
/**
 * Keys a language model's config omits (they hold their defaults: task 'lm', no classes, one direction, 'last'),
 * so its file is the same as before they existed; a 'classify' / 'tag' model writes them all.
 */
const CONFIG_KEYS_SEQ = ['task', 'numClasses', 'bidirectional', 'pooling'] as const;

/** The config as a file stores it (JSON): a language model without the task keys (CONFIG_KEYS_SEQ). */
export function configJson(config: ModelConfig): string {
  if (config.task !== 'lm') return JSON.stringify(config);
  const plain: Record<string, unknown> = { ...config };
  for (const k of CONFIG_KEYS_SEQ) delete plain[k];
  return JSON.stringify(plain);
}
/** Version-1 files from before stacked models hold only these; the rest default (1 layer, one-hot, no dropout, tanh). */
const CONFIG_KEYS_V1 = ['cell', 'vocabSize', 'hiddenSize'] as const;

/**
 * A config must name exactly what its format version writes: an unknown key is an error (a renamed `activation`
 * must not load a ReLU model as tanh), and so is a missing one, except the keys version 1 files may predate.
 */
function checkConfigKeys(raw: unknown, version: string, bad: (what: string) => never): void {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) return; // resolveModelConfig says what it is
  const known: readonly string[] = CONFIG_KEYS;
  const unknown = Object.keys(raw).find((k) => !known.includes(k));
  if (unknown !== undefined)
    bad(`has an unknown key ${JSON.stringify(unknown)} (a config holds ${CONFIG_KEYS.join(', ')})`);
  const required: readonly string[] = version === FORMAT_VERSION_VANILLA ? CONFIG_KEYS_V1 : CONFIG_KEYS;
  const optional: readonly string[] = CONFIG_KEYS_SEQ;
  const missing = required.find((k) => !optional.includes(k) && !Object.hasOwn(raw, k));
  if (missing !== undefined)
    bad(`is missing ${JSON.stringify(missing)} (required in format version ${version})`);
}
/** Plain model whose layout has the seeds' names (the vanilla model; see describeModel in src/model/spec.ts). */
export const FORMAT_VERSION_VANILLA = '1';
/** Plain model of any other config (PyTorch tensor names). */
export const FORMAT_VERSION_PYTORCH_NAMES = '2';

/** The plain-model format version of a config: by the naming of its layout. */
function plainVersion(config: ModelConfig): FormatVersion {
  return describeModel(config).names === 'seeds' ? FORMAT_VERSION_VANILLA : FORMAT_VERSION_PYTORCH_NAMES;
}
/** Checkpoint: model (names as versions 1 / 2) + training state. */
export const FORMAT_VERSION_CHECKPOINT = '3';
const VERSIONS = [FORMAT_VERSION_VANILLA, FORMAT_VERSION_PYTORCH_NAMES, FORMAT_VERSION_CHECKPOINT] as const;
export type FormatVersion = (typeof VERSIONS)[number];

/** Everything a checkpoint (or plain model file) holds, validated, not yet bound to a backend. */
export interface Checkpoint {
  formatVersion: FormatVersion;
  config: ModelConfig;
  vocabulary: ModelVocabulary;
  /** By layout name, in layout order. */
  parameters: Map<string, Float32Array>;
  /** Present for format version 3 only. */
  training: { state: TrainingState; model: ModelTrainingState } | null;
  /**
   * The run's short loss history (`__metadata__.loss_history`, optional: checkpoints written by `train` since it
   * existed hold one; older files and plain models do not). Pass it as `train(…, { lossHistory })` on resume.
   */
  lossHistory: LossHistory | null;
  /** Every `__metadata__` entry (format, config, … and any extra ones such as `corpus`). */
  metadata: Record<string, string>;
}

/** The `__metadata__` key of a checkpoint's loss history (JSON of a LossHistory; optional). */
export const LOSS_HISTORY_KEY = 'loss_history';

/** PyTorch's names of an optimizer's state slots, in arena slot order (`optim.<slot>.<parameter>`). */
export function optimizerSlotNames(o: Pick<OptimizerHyper, 'kind' | 'momentum'>): string[] {
  switch (o.kind) {
    case 'adam':
      return ['exp_avg', 'exp_avg_sq'];
    case 'rmsprop':
      return ['square_avg'];
    case 'adagrad':
      return ['sum'];
    case 'sgd':
      return o.momentum > 0 ? ['momentum_buffer'] : [];
  }
}

/** Tensor names and shapes of a carried state of B streams: state.h_l<l> [B, H_l] (and state.c_l<l>). */
function stateTensors(config: ModelConfig, B: number): { name: string; shape: number[]; offset: number }[] {
  const { h, c } = stateOffsets(config, B);
  const out = h.map((offset, l) => ({ name: `state.h_l${l}`, shape: [B, config.hiddenSizes[l]], offset }));
  c.forEach((offset, l) => out.push({ name: `state.c_l${l}`, shape: [B, config.hiddenSizes[l]], offset }));
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Writing

function modelMetadata(model: CharRNN, version: FormatVersion): Record<string, string> {
  return {
    format: MODEL_FORMAT,
    format_version: version,
    config: configJson(model.config),
    vocabulary: JSON.stringify(model.vocabulary.toJSON()),
  };
}

/** The parameters of `model` as safetensors chunks (format 1 or 2, by config): encodeModel's parts, unjoined. */
export function encodeModelChunks(model: CharRNN, extra: Record<string, string> = {}): Uint8Array[] {
  const tensors = new Map<string, TensorData>();
  const params = model.parameters();
  for (const t of model.layout.tensors) tensors.set(t.name, { shape: t.shape, data: params.get(t.name)! });
  return encodeSafetensors(tensors, { ...extra, ...modelMetadata(model, plainVersion(model.config)) });
}

/**
 * The model as the bytes of a `.safetensors` model file: exactly what `saveModel` writes (format 1, or 2 for
 * stacked, gated, embedded and dropout models), so `loadModel`, `charrnn sample` and `decodeModel` read it. No file
 * system needed: a page saves these bytes as a download, a worker posts them.
 */
export function encodeModel(model: CharRNN): Uint8Array {
  if (!(model instanceof CharRNN)) typeError('a CharRNN', 'model', model);
  const chunks = encodeModelChunks(model);
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

export interface DecodeModelOptions {
  /** The backend to bind the model to (default 'auto': native in Node where the addon loads, else TypeScript). */
  backend?: BackendChoice;
  /** What to call the bytes in error messages (e.g. the file name a page was given). */
  source?: string;
}

/**
 * A model from the bytes of a `.safetensors` file written by charrnn (`encodeModel`, `saveModel`, or a checkpoint
 * of `charrnn train`, whose training state is restored into the model). Every field is validated first; malformed
 * bytes throw a SafetensorsError naming the field, bytes that are not a Uint8Array a TypeError.
 */
export function decodeModel(bytes: Uint8Array, options: DecodeModelOptions = {}): CharRNN {
  if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
  if (options.source !== undefined && typeof options.source !== 'string')
    typeError('a string', 'options.source', options.source);
  return modelFromCheckpoint(decodeCheckpoint(bytes, options.source), options.backend ?? 'auto');
}

/**
 * A checkpoint of `model` with the trainer's `state` as safetensors chunks. Refuses (RangeError) a model
 * whose parameters or optimizer state hold NaN/Inf: such a file is never written.
 */
export function encodeCheckpoint(
  model: CharRNN,
  state: TrainingState,
  extra: Record<string, string> = {},
): Uint8Array[] {
  const bad = model.findNonFinite();
  if (bad !== undefined) throw new RangeError(`Refusing to write a checkpoint: ${bad} is not finite`);
  const ms = model.exportTrainingState();
  const tensors = new Map<string, TensorData>();
  const params = model.parameters();
  for (const t of model.layout.tensors) tensors.set(t.name, { shape: t.shape, data: params.get(t.name)! });
  const P = model.layout.size;
  optimizerSlotNames(state.optimizer).forEach((slot, j) => {
    for (const t of model.layout.tensors)
      tensors.set(`optim.${slot}.${t.name}`, {
        shape: t.shape,
        data: ms.optState.subarray(j * P + t.offset, j * P + t.offset + t.size),
      });
  });
  for (const s of stateTensors(model.config, ms.hiddenBatch))
    tensors.set(s.name, {
      shape: s.shape,
      data: ms.hidden.subarray(s.offset, s.offset + s.shape[0] * s.shape[1]),
    });
  return encodeSafetensors(tensors, {
    ...extra,
    ...modelMetadata(model, FORMAT_VERSION_CHECKPOINT),
    training_state: JSON.stringify(state),
    dropout_rng: JSON.stringify([...ms.dropoutRng]),
  });
}

// ---------------------------------------------------------------------------------------------------
// Reading

/**
 * Validate decoded safetensors contents as a charrnn model file or checkpoint. `source` names the file in
 * messages. Throws SafetensorsError (field = the metadata key or tensor at fault).
 */
export function parseCheckpoint(contents: SafetensorsContents, source = 'data'): Checkpoint {
  const { tensors, metadata } = contents;
  const bad: (field: string, what: string, tensor?: string) => never = (field, what, tensor) => {
    throw new SafetensorsError(`Invalid charrnn file ${source}: ${what}`, field, tensor);
  };
  if (metadata.format !== MODEL_FORMAT)
    bad(
      'format',
      `__metadata__.format is ${metadata.format === undefined ? 'missing' : JSON.stringify(metadata.format)}, expected "charrnn"`,
    );
  const version = metadata.format_version as FormatVersion;
  if (!(VERSIONS as readonly string[]).includes(version))
    bad(
      'format_version',
      `unsupported format_version ${JSON.stringify(version)} (this charrnn reads ${VERSIONS.map((v) => `"${v}"`).join(', ')})`,
    );
  const json = (field: string): unknown => {
    if (metadata[field] === undefined) bad(field, `__metadata__.${field} is missing`);
    return parseJsonStrict(metadata[field], (msg) => bad(field, `__metadata__.${field} is ${msg}`));
  };
  let config: ModelConfig;
  const rawConfig = json('config');
  checkConfigKeys(rawConfig, version, (what) => bad('config', `__metadata__.config ${what}`));
  try {
    config = resolveModelConfig(rawConfig as never);
  } catch (err) {
    if (err instanceof SafetensorsError) throw err;
    return bad('config', `__metadata__.config: ${(err as Error).message}`);
  }
  let vocabulary: ModelVocabulary;
  try {
    vocabulary = vocabularyFromJSON(json('vocabulary'));
  } catch (err) {
    if (err instanceof SafetensorsError) throw err;
    return bad('vocabulary', `__metadata__.vocabulary: ${(err as Error).message}`);
  }
  if (vocabulary.size !== config.vocabSize)
    bad(
      'vocabulary',
      `the vocabulary has ${vocabulary.size} tokens but config.vocabSize is ${config.vocabSize}`,
    );
  if (version !== FORMAT_VERSION_CHECKPOINT && version !== plainVersion(config))
    bad(
      'format_version',
      `format_version ${JSON.stringify(version)} does not match its config (version "1" is the vanilla model only)`,
    );

  // Which tensors must be there, with which shapes.
  const expected = new Map<string, readonly number[]>();
  const layout = describeModel(config).layout;
  for (const t of layout.tensors) expected.set(t.name, t.shape);
  let training: Checkpoint['training'] = null;
  let slots: string[] = [];
  let state: TrainingState | undefined;
  let B = 0;
  if (version === FORMAT_VERSION_CHECKPOINT) {
    state = checkTrainingState(json('training_state'), 'training_state', (field, msg) => bad(field, msg));
    slots = optimizerSlotNames(state.optimizer);
    for (const slot of slots)
      for (const t of layout.tensors) expected.set(`optim.${slot}.${t.name}`, t.shape);
    const h0 = tensors.get('state.h_l0');
    if (h0 === undefined)
      bad('state.h_l0', 'tensor state.h_l0 (the carried hidden state) is missing', 'state.h_l0');
    B = h0.shape[0];
    if (h0.shape.length !== 2 || !(B >= 1))
      bad(
        'state.h_l0.shape',
        `tensor state.h_l0 has shape [${h0.shape.join(', ')}], expected [B, ${config.hiddenSizes[0]}] with B ≥ 1`,
        'state.h_l0',
      );
    for (const s of stateTensors(config, B)) expected.set(s.name, s.shape);
  }
  for (const [name, t] of tensors) {
    const want = expected.get(name);
    if (want === undefined)
      bad(
        name,
        `unexpected tensor ${JSON.stringify(name)} for this config and format version ${version}`,
        name,
      );
    if (t.shape.length !== want.length || t.shape.some((d, i) => d !== want[i]))
      bad(
        `${name}.shape`,
        `tensor ${name} has shape [${t.shape.join(', ')}], expected [${want.join(', ')}]`,
        name,
      );
    const d = t.data;
    for (let i = 0; i < d.length; i++)
      if (!Number.isFinite(d[i])) bad(name, `tensor ${name} holds ${d[i]} at index ${i}`, name);
  }
  for (const name of expected.keys()) if (!tensors.has(name)) bad(name, `tensor ${name} is missing`, name);

  const parameters = new Map<string, Float32Array>();
  for (const t of layout.tensors) parameters.set(t.name, tensors.get(t.name)!.data);
  if (state !== undefined) {
    const rng = json('dropout_rng');
    if (
      !Array.isArray(rng) ||
      rng.length !== 4 ||
      !rng.every((x) => typeof x === 'number' && Number.isInteger(x) && x >= 0 && x <= 0xffffffff) ||
      rng.every((x) => x === 0)
    )
      bad('dropout_rng', '__metadata__.dropout_rng is not 4 uint32 words (not all zero)');
    const P = layout.size;
    const optState = new Float32Array(slots.length * P);
    slots.forEach((slot, j) => {
      for (const t of layout.tensors)
        optState.set(tensors.get(`optim.${slot}.${t.name}`)!.data, j * P + t.offset);
    });
    const hidden = new Float32Array(stateSize(config, B));
    for (const s of stateTensors(config, B)) hidden.set(tensors.get(s.name)!.data, s.offset);
    training = {
      state,
      model: { optState, hidden, hiddenBatch: B, dropoutRng: Uint32Array.from(rng as number[]) },
    };
  }
  const lossHistory =
    metadata[LOSS_HISTORY_KEY] === undefined
      ? null
      : checkLossHistory(json(LOSS_HISTORY_KEY), `__metadata__.${LOSS_HISTORY_KEY}`, (msg) =>
          bad(LOSS_HISTORY_KEY, msg),
        );
  return { formatVersion: version, config, vocabulary, parameters, training, lossHistory, metadata };
}

/** Decode and validate an in-memory file (see parseCheckpoint). */
export function decodeCheckpoint(bytes: Uint8Array, source?: string): Checkpoint {
  return parseCheckpoint(decodeSafetensors(bytes, { source }), source);
}

/** Bind a validated checkpoint to a backend; its training state (if any) is restored into the model. */
export function modelFromCheckpoint(ck: Checkpoint, backend: BackendChoice = 'auto'): CharRNN {
  const model = CharRNN.fromParameters(ck.config, ck.vocabulary, ck.parameters, backend);
  if (ck.training) model.importTrainingState(ck.training.model);
  return model;
}

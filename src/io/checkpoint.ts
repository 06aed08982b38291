// Training checkpoints (format version 3): a model file plus everything an exact resume needs — the
// trainer's state as JSON in `__metadata__.training_state`, the dropout PRNG state, the optimizer moments
// (`optim.<slot>.<parameter>`) and the carried hidden state (`state.h_l<l>`, `state.c_l<l>`) as tensors.
// The reader also takes plain model files (versions 1 and 2) and validates every field before anything
// is built from it; each defect is a SafetensorsError naming the field. Also here: the files a run keeps
// (latest, numbered keep-last-N copies, best-by-validation). Deliberately no training logic.
import { lstat, open, readdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import type { OptimizerHyper } from '../backends/backend.js';
import { resolveBackend, type BackendChoice } from '../backends/index.js';
import { resolveModelConfig, type ModelConfig } from '../model/config.js';
import { stateOffsets, stateSize } from '../model/layout.js';
import { describeModel } from '../model/spec.js';
import { CharRNN, type ModelTrainingState } from '../charrnn.js';
import { vocabularyFromJSON } from '../text/word-vocabulary.js';
import type { ModelVocabulary } from '../charrnn.js';
import { checkTrainingState, type TrainingState } from '../run/state.js';
import { checkLossHistory, type LossHistory } from '../run/loss-history.js';
import { removeStaleTemporaries, writeFileAtomic } from './atomic.js';
import {
  decodeSafetensors,
  DEFAULT_MAX_HEADER_BYTES,
  encodeSafetensors,
  loadSafetensors,
  SafetensorsError,
  type SafetensorsContents,
  type TensorData,
} from './safetensors.js';
import { parseJsonStrict } from './strict-json.js';

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

/** The parameters of `model` as safetensors chunks (format 1 or 2, by config). */
export function encodeModel(model: CharRNN, extra: Record<string, string> = {}): Uint8Array[] {
  const tensors = new Map<string, TensorData>();
  const params = model.parameters();
  for (const t of model.layout.tensors) tensors.set(t.name, { shape: t.shape, data: params.get(t.name)! });
  return encodeSafetensors(tensors, { ...extra, ...modelMetadata(model, plainVersion(model.config)) });
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

/** Write a checkpoint atomically (temporary file in the same folder, fsync, rename, fsync of the folder). */
export async function saveCheckpoint(
  model: CharRNN,
  path: string,
  state: TrainingState,
  extra?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(model, state, extra));
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

/** Read and validate a file (see parseCheckpoint). A missing file is an Error with a hint. */
export async function readCheckpoint(path: string): Promise<Checkpoint> {
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
  return parseCheckpoint(contents, path);
}

/** Bind a validated checkpoint to a backend; its training state (if any) is restored into the model. */
export function modelFromCheckpoint(ck: Checkpoint, backend: BackendChoice = 'auto'): CharRNN {
  const model = CharRNN.fromParameters(ck.config, ck.vocabulary, ck.parameters, backend);
  if (ck.training) model.importTrainingState(ck.training.model);
  return model;
}

/**
 * Load a checkpoint (or a plain model file) for training: the model with its optimizer moments, carried
 * state and dropout PRNG restored, and the trainer's state (null for a plain model file). Pass `state`
 * as `train(..., { resume: state })` to continue the run exactly.
 */
export async function loadCheckpoint(
  path: string,
  options: { backend?: BackendChoice } = {},
): Promise<{ model: CharRNN; state: TrainingState | null; checkpoint: Checkpoint }> {
  const checkpoint = await readCheckpoint(path);
  const backend = resolveBackend(options.backend ?? 'auto', { config: checkpoint.config }).name;
  const model = modelFromCheckpoint(checkpoint, backend);
  return { model, state: checkpoint.training?.state ?? null, checkpoint };
}

// ---------------------------------------------------------------------------------------------------
// The files a run keeps

/** `<dir>/<stem>.iter-<n><ext>` beside `path` (ext = ".safetensors" when path has it). */
export function numberedPath(path: string, iteration: number): string {
  const base = basename(path);
  const ext = base.endsWith('.safetensors') ? '.safetensors' : '';
  return join(dirname(path), `${base.slice(0, base.length - ext.length)}.iter-${iteration}${ext}`);
}

/** The numbered copies of `path` that exist, oldest (lowest iteration) first. */
export async function listNumbered(path: string): Promise<{ path: string; iteration: number }[]> {
  const base = basename(path);
  const ext = base.endsWith('.safetensors') ? '.safetensors' : '';
  const stem = base.slice(0, base.length - ext.length);
  const out: { path: string; iteration: number }[] = [];
  let names: string[];
  try {
    names = await readdir(dirname(path));
  } catch {
    return out;
  }
  for (const n of names) {
    if (!n.startsWith(`${stem}.iter-`) || !n.endsWith(ext)) continue;
    const digits = n.slice(stem.length + 6, n.length - ext.length);
    if (/^\d+$/.test(digits)) out.push({ path: join(dirname(path), n), iteration: Number(digits) });
  }
  return out.sort((a, b) => a.iteration - b.iteration);
}

export interface CheckpointFiles {
  /** The latest checkpoint, always overwritten atomically. */
  path: string;
  /** Also keep this many numbered copies (`<stem>.iter-<n>.safetensors`); 0 = none (default). */
  keepLast?: number;
  /** Best-by-validation checkpoint, written when a periodic validation improves on the best so far. */
  bestPath?: string;
  /** Extra `__metadata__` entries (strings). */
  extra?: Record<string, string>;
}

/**
 * Write the latest checkpoint (and a numbered copy, pruning all but the newest keepLast). Returns the
 * paths written. Throws RangeError, writing nothing, when the model holds NaN/Inf.
 */
export async function writeLatest(
  model: CharRNN,
  state: TrainingState,
  files: CheckpointFiles,
): Promise<string[]> {
  const chunks = encodeCheckpoint(model, state, files.extra);
  await writeFileAtomic(files.path, chunks);
  const written = [files.path];
  const keep = files.keepLast ?? 0;
  if (keep > 0) {
    const numbered = numberedPath(files.path, state.iteration);
    // Make room first: a process killed between the two steps leaves keepLast - 1 copies, never keepLast + 1.
    const others = (await listNumbered(files.path)).filter((f) => f.path !== numbered);
    for (const old of others.slice(0, Math.max(0, others.length - (keep - 1))))
      await unlink(old.path).catch(() => undefined);
    await writeFileAtomic(numbered, chunks);
    written.push(numbered);
  }
  return written;
}

/** Write the best-by-validation checkpoint. */
export async function writeBest(model: CharRNN, state: TrainingState, files: CheckpointFiles): Promise<void> {
  if (files.bestPath === undefined) return;
  await writeFileAtomic(files.bestPath, encodeCheckpoint(model, state, files.extra));
}

/**
 * Check, before any training, that the folder of every checkpoint file exists and is a folder, so that a run is
 * not lost at its first save. Throws an Error naming the file and the folder, with the fix.
 */
export async function checkCheckpointFolders(files: CheckpointFiles): Promise<void> {
  for (const path of files.bestPath === undefined ? [files.path] : [files.path, files.bestPath]) {
    const folder = dirname(path);
    const info = await stat(folder).catch(() => undefined);
    if (!info)
      throw new Error(
        `Cannot write checkpoints to ${path}: the folder ${folder} does not exist. HINT: create it (mkdir -p ${folder}) or choose another path`,
      );
    if (!info.isDirectory())
      throw new Error(`Cannot write checkpoints to ${path}: ${folder} is not a folder`);
  }
}

/**
 * True when the temporary at `path` is a charrnn writer's: it begins with a complete safetensors header whose
 * `__metadata__.format` is "charrnn", or it is empty and was for a `.safetensors` file (a writer killed between
 * creating it and its first write). Only a regular file is opened; anything unreadable is not ours.
 */
async function isCharrnnTemporary(target: string, path: string): Promise<boolean> {
  const info = await lstat(path).catch(() => undefined);
  if (!info?.isFile()) return false;
  if (info.size === 0) return target.endsWith('.safetensors');
  if (info.size < 8) return false;
  let fh: FileHandle | undefined;
  try {
    fh = await open(path, 'r');
    const prefix = new Uint8Array(8);
    if ((await fh.read(prefix, 0, 8, 0)).bytesRead !== 8) return false;
    const n = new DataView(prefix.buffer).getBigUint64(0, true);
    if (n > BigInt(Math.min(info.size - 8, DEFAULT_MAX_HEADER_BYTES))) return false;
    const header = new Uint8Array(Number(n));
    if ((await fh.read(header, 0, header.length, 8)).bytesRead !== header.length) return false;
    const parsed = JSON.parse(new TextDecoder().decode(header)) as {
      __metadata__?: { format?: unknown };
    } | null;
    return parsed?.__metadata__?.format === MODEL_FORMAT;
  } catch {
    return false;
  } finally {
    await fh?.close().catch(() => undefined);
  }
}

/**
 * Tidy what killed runs left beside the files a run writes, before its first chunk, whatever this run's options:
 * the temporaries of killed writers of the checkpoint, its numbered copies and the best file (by name), and
 * every other dead writer's temporary that holds a charrnn file (the best file of an earlier run with another
 * --best, or none now); and, when keepLast is given, the numbered copies beyond the newest keepLast (a run killed
 * between writing a copy and pruning), never the one this run resumes from (`rollbackFrom`). A file that is not
 * a charrnn writer's temporary is never touched. Returns the paths removed.
 */
export async function cleanCheckpointTemporaries(
  files: CheckpointFiles & { rollbackFrom?: string },
): Promise<string[]> {
  const removed: string[] = [];
  const numberedBase = basename(numberedPath(files.path, 0));
  const [stemIter, ext] = numberedBase.split('.iter-0');
  const named = new Set([basename(files.path)]);
  if (files.bestPath !== undefined && dirname(files.bestPath) === dirname(files.path))
    named.add(basename(files.bestPath));
  const ours = (target: string, path: string) =>
    named.has(target) ||
    (target.startsWith(`${stemIter}.iter-`) && target.endsWith(ext)) ||
    isCharrnnTemporary(target, path);
  removed.push(...(await removeStaleTemporaries(dirname(files.path), ours)));
  if (files.bestPath !== undefined && dirname(files.bestPath) !== dirname(files.path)) {
    const best = basename(files.bestPath);
    removed.push(
      ...(await removeStaleTemporaries(
        dirname(files.bestPath),
        (t, path) => t === best || isCharrnnTemporary(t, path),
      )),
    );
  }
  const keep = files.keepLast ?? 0;
  if (keep > 0) {
    const resumed = files.rollbackFrom === undefined ? undefined : resolve(files.rollbackFrom);
    const all = await listNumbered(files.path);
    for (const old of all.slice(0, Math.max(0, all.length - keep))) {
      if (resolve(old.path) === resumed) continue;
      try {
        await unlink(old.path);
        removed.push(old.path);
      } catch {
        // already gone
      }
    }
  }
  return removed;
}

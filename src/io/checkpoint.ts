// Checkpoint files: save and read the charrnn format (checkpoint-codec.ts, re-exported here) atomically, and the
// files a run keeps (latest, numbered keep-last-N copies, best-by-validation) with the tidying of what killed runs
// left. Node only: the browser build replaces this module with checkpoint.browser.ts (the codec, and these
// functions throwing). Deliberately no training logic.
import { lstat, open, readdir, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { resolveBackend, type BackendChoice } from '../backends/index.js';
import type { CharRNN } from '../charrnn.js';
import type { TrainingState } from '../run/state.js';
import { removeStaleTemporaries, writeFileAtomic } from './atomic.js';
import { prepareOutputFolder } from '../util/files.js';
import { DEFAULT_MAX_HEADER_BYTES, loadSafetensors } from './safetensors.js';
import {
  encodeCheckpoint,
  MODEL_FORMAT,
  modelFromCheckpoint,
  parseCheckpoint,
  type Checkpoint,
} from './checkpoint-codec.js';

export * from './checkpoint-codec.js';

/** Write a checkpoint atomically (temporary file in the same folder, fsync, rename, fsync of the folder). */
export async function saveCheckpoint(
  model: CharRNN,
  path: string,
  state: TrainingState,
  extra?: Record<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeCheckpoint(model, state, extra));
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
 * Before any training, create the folder of every checkpoint file where it is missing and check that it can be
 * written, so that a run is never lost at its first save. Throws an Error naming the file and what is in the way.
 */
export async function checkCheckpointFolders(files: CheckpointFiles): Promise<void> {
  for (const path of files.bestPath === undefined ? [files.path] : [files.path, files.bestPath])
    await prepareOutputFolder(path, 'checkpoints', 'choose another path');
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

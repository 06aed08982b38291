// Atomic file replacement: write a temp sibling, fsync it, rename it over the target, fsync the folder.
// Also removes the temporaries of writers that were killed mid-write. Deliberately no locking and no
// mode/owner preservation: concurrent writers race and the last rename wins.
import { randomBytes } from 'node:crypto';
import * as fs from 'node:fs';
import { open, readdir, rename, unlink } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { typeError } from '../util/validate.js';

/**
 * Errors from fsync on a directory that mean "this platform cannot do that" rather than "it failed":
 * EISDIR/EPERM where a directory cannot be opened or synced (Windows), EINVAL/ENOTSUP on file systems
 * that do not support fsync of a directory.
 */
const DIR_SYNC_UNSUPPORTED = new Set(['EISDIR', 'EINVAL', 'EPERM', 'ENOTSUP']);

function isUnsupportedDirSync(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && DIR_SYNC_UNSUPPORTED.has(code);
}

function checkArgs(path: unknown, data: unknown): Uint8Array[] {
  if (typeof path !== 'string' || path.length === 0) typeError('a non-empty string', 'path', path);
  const chunks = Array.isArray(data) ? data : [data];
  chunks.forEach((c, i) => {
    if (!(c instanceof Uint8Array)) typeError('a Uint8Array', Array.isArray(data) ? `data[${i}]` : 'data', c);
  });
  return chunks as Uint8Array[];
}

/** `.<base>.tmp-<pid>-<random>` in the target's own directory, so the rename never crosses devices. */
function tempPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(6).toString('hex')}`);
}

const TEMP_NAME = /^\.(.+)\.tmp-(\d+)-[0-9a-f]{12}$/;

function processIsAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}

/**
 * Remove the temporaries in `dir` that a writer killed mid-write left behind (named as tempPathFor names
 * them, by a process that no longer runs) that `match` claims, given the base name of the file the temporary
 * was for and the temporary's own path (default: all). A temporary is never mistaken for the file itself, so
 * this is housekeeping, not a safety measure. Returns the paths removed; a folder that cannot be listed yields [].
 */
export async function removeStaleTemporaries(
  dir: string,
  match: (target: string, path: string) => boolean | Promise<boolean> = () => true,
): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch {
    return [];
  }
  const removed: string[] = [];
  for (const name of names) {
    const m = TEMP_NAME.exec(name);
    if (m === null) continue;
    const pid = Number(m[2]);
    if (pid === process.pid || processIsAlive(pid)) continue;
    const path = join(dir, name);
    if (!(await match(m[1], path))) continue;
    try {
      await unlink(path);
      removed.push(path);
    } catch {
      // already gone (another cleaner), or not ours to remove
    }
  }
  return removed;
}

/**
 * Replace `path` with `data` (one buffer or chunks written in order) so that a reader sees either the
 * old file or the complete new one, never a prefix, even across a crash or power loss.
 * I/O errors propagate unchanged; the temp file is removed on any failure.
 */
export async function writeFileAtomic(path: string, data: Uint8Array | Uint8Array[]): Promise<void> {
  const chunks = checkArgs(path, data);
  const tmp = tempPathFor(path);
  let renamed = false;
  try {
    const fh = await open(tmp, 'wx');
    try {
      for (const chunk of chunks) {
        let off = 0;
        while (off < chunk.length) {
          const { bytesWritten } = await fh.write(chunk, off, chunk.length - off);
          off += bytesWritten;
        }
      }
      await fh.sync();
    } finally {
      await fh.close();
    }
    await rename(tmp, path);
    renamed = true;
    await syncDir(dirname(path));
  } catch (err) {
    if (!renamed) await unlink(tmp).catch(() => undefined);
    throw err;
  }
}

async function syncDir(dir: string): Promise<void> {
  let dh: fs.promises.FileHandle | undefined;
  try {
    dh = await open(dir, 'r');
    await dh.sync();
  } catch (err) {
    if (!isUnsupportedDirSync(err)) throw err;
  } finally {
    await dh?.close();
  }
}

/** Synchronous twin of {@link writeFileAtomic}, same guarantees. */
export function writeFileAtomicSync(path: string, data: Uint8Array | Uint8Array[]): void {
  const chunks = checkArgs(path, data);
  const tmp = tempPathFor(path);
  let renamed = false;
  try {
    const fd = fs.openSync(tmp, 'wx');
    try {
      for (const chunk of chunks) {
        let off = 0;
        while (off < chunk.length) off += fs.writeSync(fd, chunk, off, chunk.length - off);
      }
      fs.fsyncSync(fd);
    } finally {
      fs.closeSync(fd);
    }
    fs.renameSync(tmp, path);
    renamed = true;
    syncDirSync(dirname(path));
  } catch (err) {
    if (!renamed) {
      try {
        fs.unlinkSync(tmp);
      } catch {
        // the temp file was never created, or is already gone
      }
    }
    throw err;
  }
}

function syncDirSync(dir: string): void {
  let fd: number | undefined;
  try {
    fd = fs.openSync(dir, 'r');
    fs.fsyncSync(fd);
  } catch (err) {
    if (!isUnsupportedDirSync(err)) throw err;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

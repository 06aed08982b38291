// Refusing files that cannot be read whole: a FIFO, a device or a socket as a model, checkpoint or text would
// block a read forever (a FIFO with no writer) or never end (/dev/zero). Checked with stat, which never blocks,
// before the file is opened. And making sure a file can be written before the work that produces it starts
// (prepareOutputFolder). Deliberately nothing else: missing input files keep their callers' messages.
import { constants } from 'node:fs';
import { access, mkdir, stat } from 'node:fs/promises';
import { dirname } from 'node:path';

/** Throws (code 'ENOTREG') when `path` exists and is a FIFO, a device or a socket; returns otherwise. */
export async function refuseSpecialFile(path: string, what: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info || info.isFile() || info.isDirectory()) return;
  const kind = info.isFIFO()
    ? 'a FIFO (named pipe)'
    : info.isCharacterDevice()
      ? 'a character device'
      : info.isBlockDevice()
        ? 'a block device'
        : info.isSocket()
          ? 'a socket'
          : 'a special file';
  throw Object.assign(
    new Error(`${what} ${path} is ${kind}, not a regular file. HINT: write it to a regular file first`),
    { code: 'ENOTREG' },
  );
}

/**
 * Make sure the folder of `path` exists and is writable, creating it (and its parents) when missing, so that a
 * file written at the end of a long job (a model after training) never fails for want of its folder. Throws an
 * Error `Cannot write ${what} to ${path}: …` naming the part of the path that is in the way (a file where a folder
 * should be) or the folder that cannot be created or written; `hint` ends the message after `HINT:`.
 */
export async function prepareOutputFolder(path: string, what: string, hint: string): Promise<void> {
  const folder = dirname(path);
  const fail = (why: string): never => {
    throw new Error(`Cannot write ${what} to ${path}: ${why}. HINT: ${hint}`);
  };
  // The nearest existing ancestor decides: a file there means no folder can be made below it.
  let existing = folder;
  let info = await stat(existing).catch(() => undefined);
  while (!info && dirname(existing) !== existing) {
    existing = dirname(existing);
    info = await stat(existing).catch(() => undefined);
  }
  if (info && !info.isDirectory()) fail(`${existing} is not a folder`);
  if (existing !== folder) {
    try {
      await mkdir(folder, { recursive: true });
    } catch (err) {
      fail(`the folder ${folder} cannot be created (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
    }
  }
  try {
    await access(folder, constants.W_OK);
  } catch (err) {
    fail(`the folder ${folder} is not writable (${(err as NodeJS.ErrnoException).code ?? String(err)})`);
  }
}

// Refusing files that cannot be read whole: a FIFO, a device or a socket as a model, checkpoint or text would
// block a read forever (a FIFO with no writer) or never end (/dev/zero). Checked with stat, which never blocks,
// before the file is opened. Deliberately nothing else: missing files and directories keep their callers' messages.
import { stat } from 'node:fs/promises';

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

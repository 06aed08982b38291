// Reading text files for a corpus: strictly decoded UTF-8, refusing special files and texts too long for one string
// before reading them. Node only (the browser entry has no file system: a page passes the text itself).
import { open, readFile, stat } from 'node:fs/promises';
import { refuseSpecialFile } from '../util/files.js';
import { typeError } from '../util/validate.js';
import { decodeUtf8Strict, MAX_TEXT_LENGTH, textTooLong } from './corpus.js';

/**
 * Refuse, before reading it, a text file too long to decode into one string (see MAX_TEXT_LENGTH), with a
 * RangeError naming the limit. Files of at most MAX_TEXT_LENGTH bytes always fit and are not read here; larger
 * ones are scanned in chunks to count their UTF-16 length (multi-byte text may still fit), and files of more than
 * three bytes per code unit of the limit cannot fit and are refused by their size alone. Anything that is not a
 * regular file is left to the caller's messages.
 */
export async function refuseTooLongText(path: string, what: string): Promise<void> {
  const info = await stat(path).catch(() => undefined);
  if (!info?.isFile() || info.size <= MAX_TEXT_LENGTH) return;
  const size = `its ${info.size.toLocaleString('en-US')} bytes`;
  if (info.size > 3 * MAX_TEXT_LENGTH) throw textTooLong(`${what} ${path}`, size);
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(1 << 22);
    let units = 0;
    for (let pos = 0; ;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) return;
      pos += bytesRead;
      // One code unit per character of up to 3 bytes (count the non-continuation bytes), two from 4 bytes.
      for (let i = 0; i < bytesRead; i++) {
        const b = buf[i];
        if ((b & 0xc0) !== 0x80) units += b >= 0xf0 ? 2 : 1;
      }
      if (units > MAX_TEXT_LENGTH) throw textTooLong(`${what} ${path}`, size);
    }
  } finally {
    await fh.close();
  }
}

/** Read a UTF-8 text file (strictly decoded); a missing file gets a message with the fix. */
export async function readCorpusFile(path: string): Promise<string> {
  if (typeof path !== 'string') typeError('a file path string', 'path', path);
  await refuseSpecialFile(path, 'Corpus file');
  await refuseTooLongText(path, 'Corpus file');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') {
      throw Object.assign(
        new Error(
          `Corpus file not found: ${path}. ` +
            `HINT: pass --corpus FILE with an existing UTF-8 text file, or --corpus shakespeare`,
          { cause: err },
        ),
        { code },
      );
    }
    if (code === 'EISDIR') {
      throw Object.assign(
        new Error(`Corpus path is a directory, not a text file: ${path}. HINT: pass --corpus FILE`, {
          cause: err,
        }),
        { code },
      );
    }
    throw err;
  }
  return decodeUtf8Strict(bytes, path);
}

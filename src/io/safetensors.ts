// Safetensors files: the atomic save and a loader that validates the prefix and header before it reads or allocates
// anything the file does not back (the format itself, encoding and decoding in memory, is safetensors-codec.ts,
// re-exported here). Node only: the browser build has no file system. Deliberately no mmap or lazy loading.
import { open } from 'node:fs/promises';
import { writeFileAtomic } from './atomic.js';
import { refuseSpecialFile } from '../util/files.js';
import { typeError } from '../util/validate.js';
import {
  checkPrefix,
  encodeSafetensors,
  failer,
  HOST_LITTLE_ENDIAN,
  littleEndianBytesToF32,
  maxHeaderBytesOf,
  parseHeader,
  tensorLabel,
  type LoadedTensor,
  type LoadOptions,
  type SafetensorsContents,
  type TensorData,
} from './safetensors-codec.js';

export * from './safetensors-codec.js';

/** Encode and write atomically (temp file, fsync, rename): a crash never leaves a half-written checkpoint. */
export async function saveSafetensors(
  path: string,
  tensors: Record<string, TensorData> | ReadonlyMap<string, TensorData>,
  metadata?: Record<string, string> | ReadonlyMap<string, string>,
): Promise<void> {
  await writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}

/**
 * Read a safetensors file. The prefix and header are checked before the header is read, the header
 * before any tensor storage is allocated; tensors are read straight into their fresh Float32Arrays.
 * Malformed files throw SafetensorsError; I/O errors (ENOENT, EISDIR, …) propagate unchanged.
 */
export async function loadSafetensors(path: string, opts?: LoadOptions): Promise<SafetensorsContents> {
  if (typeof path !== 'string' || path.length === 0) typeError('a non-empty string', 'path', path);
  const maxHeaderBytes = maxHeaderBytesOf(opts);
  const fail = failer(path);
  await refuseSpecialFile(path, 'File');
  const fh = await open(path, 'r');
  try {
    const size = (await fh.stat()).size;
    const readExactly = async (into: Uint8Array, position: number, what: string): Promise<void> => {
      let off = 0;
      while (off < into.length) {
        const { bytesRead } = await fh.read(into, off, into.length - off, position + off);
        if (bytesRead === 0)
          fail(
            `file ended at byte ${position + off} while reading ${what} (was it modified while being read?)`,
            'data',
          );
        off += bytesRead;
      }
    };
    const prefix = new Uint8Array(8);
    if (size >= 8) await readExactly(prefix, 0, 'the header length');
    const n = checkPrefix(prefix, size, maxHeaderBytes, fail);
    const header = new Uint8Array(n);
    await readExactly(header, 8, 'the header');
    const dataStart = 8 + n;
    const { entries, metadata } = parseHeader(header, size - dataStart, fail);
    const tensors = new Map<string, LoadedTensor>();
    for (const e of entries) {
      const data = new Float32Array(e.count);
      const what = tensorLabel(e.name);
      if (HOST_LITTLE_ENDIAN) {
        await readExactly(new Uint8Array(data.buffer), dataStart + e.begin, what);
      } else {
        const tmp = new Uint8Array(e.end - e.begin);
        await readExactly(tmp, dataStart + e.begin, what);
        littleEndianBytesToF32(data, tmp);
      }
      tensors.set(e.name, { shape: e.shape, data });
    }
    return { tensors, metadata };
  } finally {
    await fh.close();
  }
}

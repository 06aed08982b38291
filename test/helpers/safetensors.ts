// Byte-level helpers for the safetensors / checkpoint tests: joining encoded chunks and re-encoding a file with edits.
import { decodeSafetensors, encodeSafetensors, type TensorData } from '../../src/io/safetensors.js';

/** The chunks (as encodeSafetensors returns them) as one buffer. */
export function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let off = 0;
  for (const c of chunks) {
    out.set(c, off);
    off += c.length;
  }
  return out;
}

/** Re-encode a decoded file with edits to its tensors and metadata (for malformed-file tests). */
export function reencode(
  bytes: Uint8Array,
  f: (tensors: Map<string, TensorData>, metadata: Record<string, string>) => void,
): Uint8Array {
  const { tensors, metadata } = decodeSafetensors(bytes);
  const t = new Map<string, TensorData>(tensors);
  const m = { ...metadata };
  f(t, m);
  return concat(encodeSafetensors(t, m));
}

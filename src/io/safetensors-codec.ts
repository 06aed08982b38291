// Safetensors in memory, F32 only: encode to bytes, and a decoder that validates the whole header (strict JSON, exact
// tiling of the data section) before it allocates anything the bytes do not back. No file I/O (safetensors.ts reads
// and writes files with these pieces), so it runs in a browser. Deliberately no other dtypes, no mmap or lazy loading,
// no tensor-name mapping (that lives in model/).
import { describe, nonNegativeInt, positiveInt, rangeError, typeError } from '../util/validate.js';
import { RESERVED_NAMES, StrictJsonReader } from './strict-json.js';

// ---------------------------------------------------------------------------------------------------
// Public types

/** A tensor to write: row-major `shape`, `data.length` = product of `shape` (1 for the scalar `[]`). */
export interface TensorData {
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** A tensor read back: fresh, 4-byte-aligned storage owned by the caller. */
export interface LoadedTensor {
  shape: number[];
  data: Float32Array;
}

export interface SafetensorsContents {
  /** In the order the header lists them. */
  tensors: Map<string, LoadedTensor>;
  /** `__metadata__`, as a prototype-less object (empty when the file has none). */
  metadata: Record<string, string>;
}

export interface LoadOptions {
  /** Largest JSON header accepted, in bytes (default 100 MiB). Checked before anything is read. */
  maxHeaderBytes?: number;
}

export interface DecodeOptions extends LoadOptions {
  /** Name used in error messages ("Invalid safetensors file NAME: …"); default "Invalid safetensors data: …". */
  source?: string;
}

/** Every way a safetensors file can be malformed. `field` names what is wrong (`Whh.data_offsets`, `header`). */
export class SafetensorsError extends Error {
  override readonly name = 'SafetensorsError';
  /** `header_length`, `header`, `data`, `__metadata__[…]`, `<tensor>`, or `<tensor>.<dtype|shape|data_offsets|key>`. */
  readonly field: string;
  /** The tensor concerned, when there is one. */
  readonly tensor: string | undefined;

  constructor(message: string, field: string, tensor?: string) {
    super(message);
    this.field = field;
    this.tensor = tensor;
  }
}

// ---------------------------------------------------------------------------------------------------
// Limits and constants

export const DEFAULT_MAX_HEADER_BYTES = 100 * 1024 * 1024;
/** Largest element count accepted for one tensor (8 GiB of F32). */
export const MAX_TENSOR_ELEMENTS = 2 ** 31;
/** More dimensions than any framework supports; refusing them bounds the memory a shape can take. */
export const MAX_RANK = 64;
const METADATA_KEY = '__metadata__';

export const HOST_LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;
const LONE_SURROGATE = /\p{Cs}/u;
/** Strict: invalid UTF-8 throws, and a BOM is kept (so the JSON parser rejects it). Stateless between calls. */
const UTF8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

// ---------------------------------------------------------------------------------------------------
// Byte order

/**
 * @internal The little-endian bytes of `data`: a view (no copy) on little-endian hosts, a swapped copy
 * otherwise. `hostLittleEndian` is a parameter so tests can exercise the big-endian path anywhere.
 */
export function f32ToLittleEndianBytes(
  data: Float32Array,
  hostLittleEndian = HOST_LITTLE_ENDIAN,
): Uint8Array {
  if (hostLittleEndian) return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  const out = new Uint8Array(data.length * 4);
  const dv = new DataView(out.buffer);
  for (let i = 0; i < data.length; i++) dv.setFloat32(i * 4, data[i], true);
  return out;
}

/** @internal Fill `out` from little-endian bytes (`bytes.length` = 4·`out.length`, any alignment). */
export function littleEndianBytesToF32(
  out: Float32Array,
  bytes: Uint8Array,
  hostLittleEndian = HOST_LITTLE_ENDIAN,
): Float32Array {
  if (hostLittleEndian) {
    new Uint8Array(out.buffer, out.byteOffset, out.byteLength).set(bytes);
  } else {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    for (let i = 0; i < out.length; i++) out[i] = dv.getFloat32(i * 4, true);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Encoding

function checkName(what: string, name: string): void {
  if (RESERVED_NAMES.has(name))
    rangeError(`a name other than __proto__, constructor or prototype`, what, name);
  if (LONE_SURROGATE.test(name)) rangeError('a well-formed Unicode string', what, name);
}

function entriesOf<T>(value: unknown, name: string): [string, T][] {
  if (value instanceof Map) return [...(value as Map<unknown, T>)].map(([k, v]) => [String(k), v]);
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    typeError('an object or a Map', name, value);
  return Object.keys(value).map((k) => [k, (value as Record<string, T>)[k]]);
}

/**
 * Encode tensors (in the given key order) and optional metadata as safetensors chunks: first the 8-byte
 * length plus the space-padded header, then each tensor's bytes. On little-endian hosts the tensor
 * chunks are views of the callers' arrays (no copy): write them out before mutating the tensors.
 */
export function encodeSafetensors(
  tensors: Record<string, TensorData> | ReadonlyMap<string, TensorData>,
  metadata?: Record<string, string> | ReadonlyMap<string, string>,
): Uint8Array[] {
  const parts: string[] = [];
  if (metadata !== undefined) {
    const fields = entriesOf<unknown>(metadata, 'metadata').map(([k, v]) => {
      checkName('metadata key', k);
      if (typeof v !== 'string') typeError('a string', `metadata[${JSON.stringify(k)}]`, v);
      if (LONE_SURROGATE.test(v))
        rangeError('a well-formed Unicode string', `metadata[${JSON.stringify(k)}]`, v);
      return `${JSON.stringify(k)}:${JSON.stringify(v)}`;
    });
    parts.push(`${JSON.stringify(METADATA_KEY)}:{${fields.join(',')}}`);
  }
  const chunks: Uint8Array[] = [];
  let offset = 0;
  for (const [name, t] of entriesOf<TensorData>(tensors, 'tensors')) {
    const where = `tensors[${JSON.stringify(name)}]`;
    if (name === METADATA_KEY) rangeError('a name other than __metadata__', 'tensor name', name);
    checkName('tensor name', name);
    if (typeof t !== 'object' || t === null) typeError('an object { shape, data }', where, t);
    if (!Array.isArray(t.shape)) typeError('an array of non-negative integers', `${where}.shape`, t.shape);
    if (t.shape.length > MAX_RANK) rangeError(`at most ${MAX_RANK} dimensions`, `${where}.shape`, t.shape);
    let count = 1;
    t.shape.forEach((d, i) => (count *= nonNegativeInt(`${where}.shape[${i}]`, d)));
    if (!(t.data instanceof Float32Array)) typeError('a Float32Array', `${where}.data`, t.data);
    if (t.data.length !== count)
      rangeError(
        `a Float32Array of length ${count} (shape [${t.shape.join(', ')}])`,
        `${where}.data`,
        t.data,
      );
    if (count > MAX_TENSOR_ELEMENTS) rangeError(`at most ${MAX_TENSOR_ELEMENTS} elements`, where, count);
    const bytes = f32ToLittleEndianBytes(t.data);
    parts.push(
      `${JSON.stringify(name)}:{"dtype":"F32","shape":[${t.shape.join(',')}],` +
        `"data_offsets":[${offset},${offset + bytes.length}]}`,
    );
    offset += bytes.length;
    chunks.push(bytes);
  }
  const json = new TextEncoder().encode(`{${parts.join(',')}}`);
  const n = Math.ceil(json.length / 8) * 8;
  const head = new Uint8Array(8 + n);
  new DataView(head.buffer).setBigUint64(0, BigInt(n), true);
  head.set(json, 8);
  head.fill(0x20, 8 + json.length);
  return [head, ...chunks];
}

// ---------------------------------------------------------------------------------------------------
// Header validation: the strict JSON reader (strict-json.ts) driven by the header's schema

const NON_NEGATIVE_INTEGER_RE = /^(?:0|[1-9][0-9]*)$/;

interface Entry {
  name: string;
  shape: number[];
  count: number;
  begin: number;
  end: number;
}

interface Header {
  entries: Entry[];
  metadata: Record<string, string>;
}

export type Fail = (msg: string, field: string, tensor?: string) => never;

export function failer(source: string | undefined): Fail {
  const prefix = source === undefined ? 'Invalid safetensors data: ' : `Invalid safetensors file ${source}: `;
  return (msg, field, tensor) => {
    throw new SafetensorsError(prefix + msg, field, tensor);
  };
}

function formatDims(dims: readonly number[]): string {
  const shown = dims.length > 8 ? [...dims.slice(0, 8), `… (${dims.length} dims)`] : dims;
  return `[${shown.join(', ')}]`;
}

export function tensorLabel(name: string): string {
  return `tensor ${describe(name)}`;
}

/** Validate the 8-byte prefix; returns N, the header length. */
export function checkPrefix(
  prefix: Uint8Array,
  fileBytes: number,
  maxHeaderBytes: number,
  fail: Fail,
): number {
  if (fileBytes < 8)
    fail(`file is ${fileBytes} bytes, shorter than the 8-byte header length prefix`, 'header_length');
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileBytes - 8))
    fail(`header length ${n} exceeds the ${fileBytes - 8} bytes that follow the prefix`, 'header_length');
  if (n > BigInt(maxHeaderBytes))
    fail(
      `header length ${n} exceeds maxHeaderBytes (${maxHeaderBytes}). HINT: pass a larger maxHeaderBytes if the file is trusted`,
      'header_length',
    );
  return Number(n);
}

/** A non-negative safe integer written as a plain integer literal (no sign, fraction or exponent). */
function readIndex(r: StrictJsonReader, what: string, field: string, tensor: string, fail: Fail): number {
  const c = r.peek();
  const received = c === '-' || (c >= '0' && c <= '9') ? r.numberText() : r.describeValue();
  if (!NON_NEGATIVE_INTEGER_RE.test(received) || !Number.isSafeInteger(Number(received)))
    fail(`Expected a non-negative integer for ${what} but received ${received}`, field, tensor);
  return Number(received);
}

export function parseHeader(headerBytes: Uint8Array, dataBytes: number, fail: Fail): Header {
  let text: string;
  try {
    text = UTF8.decode(headerBytes);
  } catch {
    fail('header is not valid UTF-8', 'header');
  }
  const r = new StrictJsonReader(text, (msg) => fail(`header is not valid JSON: ${msg}`, 'header'));
  if (text[0] !== '{') r.failJson(`header must start with '{' but starts with ${r.peekText()}`);

  const metadata = Object.create(null) as Record<string, string>;
  const entries: Entry[] = [];
  r.object((name) => {
    if (RESERVED_NAMES.has(name)) fail(`reserved name ${describe(name)} is not allowed as a key`, name, name);
    if (name === METADATA_KEY) readMetadata(r, metadata, fail);
    else entries.push(readEntry(r, name, dataBytes, fail));
  });
  if (!r.done) r.failJson(`unexpected ${r.peekText()} after the top-level object`);

  // The tensors must tile the data section exactly: sorted by offset, no overlap, no gap, no tail.
  const sorted = [...entries].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let expected = 0;
  let prev: Entry | undefined;
  for (const e of sorted) {
    if (e.begin !== expected) {
      const label = `${tensorLabel(e.name)} has data_offsets [${e.begin}, ${e.end}]`;
      const field = `${e.name}.data_offsets`;
      if (e.begin > expected || prev === undefined)
        fail(`${label}, leaving a gap of ${e.begin - expected} bytes at offset ${expected}`, field, e.name);
      fail(`${label}, overlapping ${tensorLabel(prev.name)} at [${prev.begin}, ${prev.end}]`, field, e.name);
    }
    expected = e.end;
    prev = e;
  }
  if (expected !== dataBytes)
    fail(
      `the tensors cover ${expected} of the ${dataBytes} bytes in the data section; ${dataBytes - expected} trailing bytes`,
      'data',
    );
  return { entries, metadata };
}

function readMetadata(r: StrictJsonReader, metadata: Record<string, string>, fail: Fail): void {
  if (r.peek() !== '{')
    fail(`Expected an object of strings for __metadata__ but received ${r.describeValue()}`, METADATA_KEY);
  r.object((k) => {
    const at = `__metadata__[${describe(k)}]`;
    if (RESERVED_NAMES.has(k))
      fail(`reserved name ${describe(k)} is not allowed as a key in __metadata__`, at);
    if (r.peek() !== '"') fail(`Expected a string for ${at} but received ${r.describeValue()}`, at);
    metadata[k] = r.string();
  });
}

function readEntry(r: StrictJsonReader, name: string, dataBytes: number, fail: Fail): Entry {
  const label = tensorLabel(name);
  if (r.peek() !== '{')
    fail(
      `Expected an object {dtype, shape, data_offsets} for ${label} but received ${r.describeValue()}`,
      name,
      name,
    );
  const shapeField = `${name}.shape`;
  const offField = `${name}.data_offsets`;
  let dtype: string | undefined;
  let shape: number[] | undefined;
  let offsets: number[] | undefined;
  let count = 0;
  r.object((key) => {
    if (key === 'dtype') {
      if (r.peek() !== '"')
        fail(`Expected a string for ${label} dtype but received ${r.describeValue()}`, `${name}.dtype`, name);
      dtype = r.string();
      if (dtype !== 'F32')
        fail(
          `${label} has dtype ${describe(dtype)}; only F32 is supported. HINT: convert the checkpoint to float32`,
          `${name}.dtype`,
          name,
        );
    } else if (key === 'shape') {
      if (r.peek() !== '[')
        fail(
          `Expected an array of non-negative integers for ${label} shape but received ${r.describeValue()}`,
          shapeField,
          name,
        );
      const dims: number[] = [];
      r.array((i) => {
        if (i >= MAX_RANK)
          fail(`${label} has a shape with more than ${MAX_RANK} dimensions`, shapeField, name);
        dims.push(readIndex(r, `${label} shape[${i}]`, shapeField, name, fail));
      });
      count = dims.includes(0) ? 0 : 1;
      for (const d of dims) {
        if (count === 0) break;
        count *= d;
        if (count > MAX_TENSOR_ELEMENTS)
          fail(
            `${label} has shape ${formatDims(dims)} with more than ${MAX_TENSOR_ELEMENTS} elements`,
            shapeField,
            name,
          );
      }
      if (count * 4 > dataBytes)
        fail(
          `${label} has shape ${formatDims(dims)} of F32 needing ${count * 4} bytes but the data section has only ${dataBytes}`,
          shapeField,
          name,
        );
      shape = dims;
    } else if (key === 'data_offsets') {
      const at = r.pos;
      const wrongShape = (): never => {
        r.pos = at;
        fail(
          `Expected an array [begin, end] for ${label} data_offsets but received ${r.describeValue()}`,
          offField,
          name,
        );
      };
      if (r.peek() !== '[') wrongShape();
      const offs: number[] = [];
      r.array((i) => {
        if (i >= 2) wrongShape();
        offs.push(readIndex(r, `${label} data_offsets[${i}]`, offField, name, fail));
      });
      if (offs.length !== 2) wrongShape();
      offsets = offs;
    } else {
      fail(
        `${label} has unexpected key ${describe(key)}; only dtype, shape and data_offsets are allowed`,
        `${name}.${key}`,
        name,
      );
    }
  });
  if (dtype === undefined) fail(`${label} is missing dtype`, `${name}.dtype`, name);
  if (shape === undefined) fail(`${label} is missing shape`, shapeField, name);
  if (offsets === undefined) fail(`${label} is missing data_offsets`, offField, name);

  const [begin, end] = offsets;
  const offs = `${label} has data_offsets [${begin}, ${end}]`;
  if (begin > end) fail(`${offs} with begin after end`, offField, name);
  if (end > dataBytes) fail(`${offs} past the end of the ${dataBytes}-byte data section`, offField, name);
  if (end - begin !== count * 4)
    fail(`${offs} but shape ${formatDims(shape)} of F32 needs ${count * 4} bytes`, offField, name);
  return { name, shape, count, begin, end };
}

export function maxHeaderBytesOf(opts: LoadOptions | undefined): number {
  if (opts !== undefined && (typeof opts !== 'object' || opts === null))
    typeError('an options object', 'opts', opts);
  return opts?.maxHeaderBytes === undefined
    ? DEFAULT_MAX_HEADER_BYTES
    : positiveInt('maxHeaderBytes', opts.maxHeaderBytes);
}

// ---------------------------------------------------------------------------------------------------
// Decoding

/** Decode an in-memory safetensors file. Throws SafetensorsError for any malformed input. */
export function decodeSafetensors(bytes: Uint8Array, opts?: DecodeOptions): SafetensorsContents {
  if (!(bytes instanceof Uint8Array)) typeError('a Uint8Array', 'bytes', bytes);
  const maxHeaderBytes = maxHeaderBytesOf(opts);
  const fail = failer(opts?.source);
  const n = checkPrefix(bytes, bytes.length, maxHeaderBytes, fail);
  const dataStart = 8 + n;
  const { entries, metadata } = parseHeader(bytes.subarray(8, dataStart), bytes.length - dataStart, fail);
  const tensors = new Map<string, LoadedTensor>();
  for (const e of entries) {
    const data = littleEndianBytesToF32(
      new Float32Array(e.count),
      bytes.subarray(dataStart + e.begin, dataStart + e.end),
    );
    tensors.set(e.name, { shape: e.shape, data });
  }
  return { tensors, metadata };
}

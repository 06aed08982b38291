// Safetensors encode/decode/save/load and atomic writes: round trips, the byte layout of the spec, and
// every rejection class of the loader with its message verbatim.
import { mkdtemp, readdir, readFile, rm, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concat } from '../helpers/safetensors.js';
import { writeFileAtomic, writeFileAtomicSync } from '../../src/io/atomic.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  f32ToLittleEndianBytes,
  littleEndianBytesToF32,
  loadSafetensors,
  saveSafetensors,
  SafetensorsError,
  type TensorData,
} from '../../src/io/safetensors.js';

const HOST_LE = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** A file from a raw header string (padded to 8 with spaces unless `pad` is false) and data bytes. */
function build(header: string, data: number | Uint8Array = 0, pad = true): Uint8Array {
  const json = new TextEncoder().encode(header);
  const n = pad ? Math.ceil(json.length / 8) * 8 : json.length;
  const dataBytes = typeof data === 'number' ? new Uint8Array(data) : data;
  const out = new Uint8Array(8 + n + dataBytes.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  out.set(dataBytes, 8 + n);
  return out;
}

const f32 = (shape: number[], begin: number, end: number): string =>
  JSON.stringify({ dtype: 'F32', shape, data_offsets: [begin, end] });

const SRC = 'model.safetensors';

function errorOf(fn: () => unknown): SafetensorsError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(SafetensorsError);
    return e as SafetensorsError;
  }
  throw new Error('expected a SafetensorsError, but nothing was thrown');
}

function rejects(bytes: Uint8Array, message: string, field?: string): void {
  const err = errorOf(() => decodeSafetensors(bytes, { source: SRC }));
  expect(err.message).toBe(`Invalid safetensors file ${SRC}: ${message}`);
  expect(err.name).toBe('SafetensorsError');
  if (field !== undefined) expect(err.field).toBe(field);
}

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'charrnn-safetensors-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('safetensors round trip', () => {
  const tensors: Record<string, TensorData> = {
    Wxh: { shape: [3, 2], data: new Float32Array([1, -2, 3.5, 4, 5, 6]) },
    bh: { shape: [3], data: new Float32Array([0.1, 0.2, 0.3]) },
    empty: { shape: [0, 4], data: new Float32Array(0) },
    scalar: { shape: [], data: new Float32Array([42]) },
    specials: { shape: [5], data: new Float32Array([NaN, Infinity, -Infinity, -0, 1e-45]) },
  };
  const metadata = { format: 'pt', epoch: '3', note: 'ünïcödé ✓ 𝄞 "quoted" \n' };

  function expectSame(got: ReturnType<typeof decodeSafetensors>): void {
    expect([...got.tensors.keys()]).toEqual(Object.keys(tensors));
    for (const [name, t] of Object.entries(tensors)) {
      const g = got.tensors.get(name)!;
      expect(g.shape).toEqual(t.shape);
      expect(g.data).toBeInstanceOf(Float32Array);
      expect(g.data.byteOffset).toBe(0);
      // Bit-exact, including NaN payloads and the sign of zero.
      expect(new Uint32Array(g.data.buffer)).toEqual(
        new Uint32Array(t.data.buffer, t.data.byteOffset, t.data.length),
      );
    }
    expect({ ...got.metadata }).toEqual(metadata);
    expect(Object.getPrototypeOf(got.metadata)).toBe(null);
  }

  it('decodes what it encodes: several tensors, an empty one, a scalar, special values, metadata', () => {
    expectSame(decodeSafetensors(concat(encodeSafetensors(tensors, metadata))));
  });

  it('saves atomically and loads back from disk', async () => {
    const path = join(dir, 'roundtrip.safetensors');
    await saveSafetensors(path, tensors, metadata);
    expectSame(await loadSafetensors(path));
    expect(await readdir(dir)).toEqual(['roundtrip.safetensors']);
    expect(new Uint8Array(await readFile(path))).toEqual(concat(encodeSafetensors(tensors, metadata)));
  });

  it('accepts a Map (the loader’s output) and keeps its order', () => {
    const first = decodeSafetensors(concat(encodeSafetensors(tensors, metadata)));
    const again = decodeSafetensors(concat(encodeSafetensors(first.tensors, first.metadata)));
    expectSame(again);
  });

  it('encodes only the view of a Float32Array that is a window on a larger buffer', () => {
    const big = new Float32Array([9, 1, 2, 9]);
    const got = decodeSafetensors(concat(encodeSafetensors({ w: { shape: [2], data: big.subarray(1, 3) } })));
    expect(got.tensors.get('w')!.data).toEqual(new Float32Array([1, 2]));
  });

  it('decodes from an unaligned buffer into fresh, aligned arrays that do not alias the input', () => {
    const file = concat(
      encodeSafetensors({ a: { shape: [1], data: new Float32Array([7]) }, b: tensors.Wxh }),
    );
    const shifted = new Uint8Array(file.length + 1);
    shifted.set(file, 1);
    const bytes = shifted.subarray(1);
    const got = decodeSafetensors(bytes);
    expect(got.tensors.get('b')!.data).toEqual(tensors.Wxh.data);
    bytes.fill(0, bytes.length - 24);
    expect(got.tensors.get('b')!.data).toEqual(tensors.Wxh.data);
    expect(got.tensors.get('a')!.data.buffer).not.toBe(got.tensors.get('b')!.data.buffer);
  });

  it('handles a file with no tensors at all', () => {
    const got = decodeSafetensors(concat(encodeSafetensors({})));
    expect(got.tensors.size).toBe(0);
    expect({ ...got.metadata }).toEqual({});
  });

  it('swaps bytes on a big-endian host (path forced here)', () => {
    const data = new Float32Array([1.5, -2, NaN, 3e38]);
    const le = f32ToLittleEndianBytes(data, true);
    const swapped = f32ToLittleEndianBytes(data, false);
    expect(swapped).not.toBe(le);
    const dv = new DataView(swapped.buffer);
    for (let i = 0; i < data.length; i++) expect(dv.getFloat32(i * 4, true)).toBe(data[i]);
    if (HOST_LE) expect(swapped).toEqual(le);
    const back = littleEndianBytesToF32(new Float32Array(4), swapped, false);
    expect(back).toEqual(data);
  });
});

describe('safetensors byte layout', () => {
  it('writes the 8-byte little-endian length, the JSON header padded with spaces to 8, then raw LE data', () => {
    const w = new Float32Array([1, 2]);
    const chunks = encodeSafetensors({ w: { shape: [2], data: w } }, { format: 'pt' });
    expect(chunks).toHaveLength(2);
    const json = '{"__metadata__":{"format":"pt"},"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}';
    expect(json.length).toBe(85);
    const head = chunks[0];
    expect(head.length).toBe(8 + 88);
    expect([...head.subarray(0, 8)]).toEqual([88, 0, 0, 0, 0, 0, 0, 0]);
    expect(new TextDecoder().decode(head.subarray(8))).toBe(json + '   ');
    expect([...chunks[1]]).toEqual([0, 0, 0x80, 0x3f, 0, 0, 0, 0x40]);
    if (HOST_LE) expect(chunks[1].buffer).toBe(w.buffer); // no copy of tensor data
  });

  it('omits __metadata__ when none is given and lays tensors out in key order', () => {
    const [head, ...rest] = encodeSafetensors({
      b: { shape: [1], data: new Float32Array([1]) },
      a: { shape: [2, 1], data: new Float32Array([2, 3]) },
    });
    const header = JSON.parse(new TextDecoder().decode(head.subarray(8)));
    expect(header).toEqual({
      b: { dtype: 'F32', shape: [1], data_offsets: [0, 4] },
      a: { dtype: 'F32', shape: [2, 1], data_offsets: [4, 12] },
    });
    expect(Object.keys(header)).toEqual(['b', 'a']);
    expect(rest.map((c) => c.length)).toEqual([4, 8]);
  });

  it('pads every header length to a multiple of 8 with spaces', () => {
    for (let len = 0; len < 24; len++) {
      const [head] = encodeSafetensors({ ['x'.repeat(len + 1)]: { shape: [], data: new Float32Array(1) } });
      const n = Number(new DataView(head.buffer).getBigUint64(0, true));
      expect(n % 8).toBe(0);
      expect(head.length).toBe(8 + n);
      const text = new TextDecoder().decode(head.subarray(8));
      expect(text.trimEnd().length).toBeGreaterThan(n - 8);
      expect(/^ *$/.test(text.slice(text.trimEnd().length))).toBe(true);
    }
  });

  it('encodes non-ASCII names as UTF-8 and measures the header in bytes', () => {
    const [head] = encodeSafetensors({ 'é𝄞': { shape: [], data: new Float32Array(1) } });
    const n = Number(new DataView(head.buffer).getBigUint64(0, true));
    expect(n % 8).toBe(0);
    expect(head.length).toBe(8 + n);
  });
});

describe('encodeSafetensors argument checks', () => {
  const one = new Float32Array(1);
  it.each([
    [
      { w: { shape: [2, 2], data: new Float32Array(3) } },
      RangeError,
      'Expected a Float32Array of length 4 (shape [2, 2]) for tensors["w"].data but received a Float32Array of length 3',
    ],
    [
      { w: { shape: [-1], data: one } },
      RangeError,
      'Expected a non-negative integer for tensors["w"].shape[0] but received -1',
    ],
    [
      { w: { shape: [1.5], data: one } },
      RangeError,
      'Expected a non-negative integer for tensors["w"].shape[0] but received 1.5',
    ],
    [
      { w: { shape: [2], data: [1, 2] } },
      TypeError,
      'Expected a Float32Array for tensors["w"].data but received an array of length 2',
    ],
    [
      { w: { shape: 2, data: one } },
      TypeError,
      'Expected an array of non-negative integers for tensors["w"].shape but received 2',
    ],
    [
      { __metadata__: { shape: [], data: one } },
      RangeError,
      'Expected a name other than __metadata__ for tensor name but received "__metadata__"',
    ],
    [
      new Map([['__proto__', { shape: [], data: one }]]),
      RangeError,
      'Expected a name other than __proto__, constructor or prototype for tensor name but received "__proto__"',
    ],
    [
      { ['a\ud800']: { shape: [], data: one } },
      RangeError,
      'Expected a well-formed Unicode string for tensor name but received "a\\ud800"',
    ],
    [null, TypeError, 'Expected an object or a Map for tensors but received null'],
  ])('rejects bad tensors %#', (tensors, type, message) => {
    expect(() => encodeSafetensors(tensors as never)).toThrow(type);
    expect(() => encodeSafetensors(tensors as never)).toThrow(message);
  });

  it('rejects bad metadata', () => {
    expect(() => encodeSafetensors({}, { epoch: 3 } as never)).toThrow(
      new TypeError('Expected a string for metadata["epoch"] but received 3'),
    );
    expect(() => encodeSafetensors({}, new Map([['constructor', 'x']]))).toThrow(
      new RangeError(
        'Expected a name other than __proto__, constructor or prototype for metadata key but received "constructor"',
      ),
    );
  });
});

describe('safetensors loader rejections', () => {
  const ok = (name = 'w') => `"${name}":${f32([2], 0, 8)}`;

  it('rejects a file shorter than the 8-byte prefix', () => {
    for (let len = 0; len < 8; len++)
      rejects(
        new Uint8Array(len),
        `file is ${len} bytes, shorter than the 8-byte header length prefix`,
        'header_length',
      );
  });

  it('rejects a header length past the end of the file, up to 2^64 − 1', () => {
    const file = build(`{${ok()}}`, 8);
    const view = new DataView(file.buffer);
    view.setBigUint64(0, BigInt(file.length - 7), true);
    rejects(
      file,
      `header length ${file.length - 7} exceeds the ${file.length - 8} bytes that follow the prefix`,
    );
    view.setBigUint64(0, 2n ** 64n - 1n, true);
    rejects(
      file,
      `header length 18446744073709551615 exceeds the ${file.length - 8} bytes that follow the prefix`,
      'header_length',
    );
  });

  it('rejects a header longer than maxHeaderBytes before reading it', () => {
    const file = build(`{${ok()}}`, 8);
    const err = errorOf(() => decodeSafetensors(file, { maxHeaderBytes: 16, source: SRC }));
    expect(err.message).toBe(
      `Invalid safetensors file ${SRC}: header length 56 exceeds maxHeaderBytes (16). HINT: pass a larger maxHeaderBytes if the file is trusted`,
    );
    expect(() => decodeSafetensors(file, { maxHeaderBytes: 0 })).toThrow(
      new RangeError('Expected a positive integer for maxHeaderBytes but received 0'),
    );
    expect(() => decodeSafetensors([1, 2] as never)).toThrow(
      new TypeError('Expected a Uint8Array for bytes but received an array of length 2'),
    );
  });

  it('rejects a header that is not UTF-8', () => {
    const file = build(`{"\u00e9":1}`);
    file[10] = 0xff;
    rejects(file, 'header is not valid UTF-8', 'header');
  });

  it.each([
    [' {}', `header is not valid JSON: header must start with '{' but starts with " "`],
    ['\ufeff{}', `header is not valid JSON: header must start with '{' but starts with "\ufeff"`],
    ['[]', `header is not valid JSON: header must start with '{' but starts with "["`],
    ['{', `header is not valid JSON: expected a string key but found end of header at character 8`],
    [`{${ok()},}`, `header is not valid JSON: expected a string key but found "}" at character 54`],
    [`{${ok()}} x`, `header is not valid JSON: unexpected "x" after the top-level object`],
    [`{"w":NaN}`, `header is not valid JSON: unexpected "N" at character 5`],
    [`{'w':1}`, `header is not valid JSON: expected a string key but found "'" at character 1`],
    [`{"w":{"shape":[01]}}`, `header is not valid JSON: expected ',' or ']' but found "1" at character 16`],
    [`{"w":{"shape":[1.]}}`, `header is not valid JSON: expected ',' or ']' but found "." at character 16`],
    [`{"w":{"shape":[1,]}}`, `header is not valid JSON: unexpected "]" at character 17`],
    [`{"w":{"shape" [1]}}`, `header is not valid JSON: expected ':' but found "[" at character 14`],
    [`{"w":"a\tb"}`, `header is not valid JSON: unescaped control character in string at character 7`],
    [`{"w":"\\x"}`, `header is not valid JSON: invalid escape in string at character 6`],
    [`{"w":"\\u12"}`, `header is not valid JSON: invalid \\u escape at character 8`],
    [`{"w":"\\ud800"}`, `header is not valid JSON: unpaired surrogate in \\u escape at character 12`],
    [`{"w":"abc`, `header is not valid JSON: unterminated string at character 16`],
    [`{"w":${'['.repeat(40)}`, `header is not valid JSON: nesting deeper than 16 levels at character 22`],
    [`{${ok()},${ok()}}`, `header is not valid JSON: duplicate key "w" at character 54`],
    [
      `{"w":{"dtype":"F32","dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
      `header is not valid JSON: duplicate key "dtype" at character 20`,
    ],
    [`{"__metadata__":{"a":"1","a":"2"}}`, `header is not valid JSON: duplicate key "a" at character 25`],
  ])('rejects malformed JSON %j', (header, message) => {
    rejects(build(header, 8), message, 'header');
  });

  it('rejects duplicate keys even when spelled with different escapes', () => {
    rejects(
      build(`{${ok()},"\\u0077":${f32([2], 0, 8)}}`, 8),
      'header is not valid JSON: duplicate key "w" at character 54',
    );
  });

  it.each(['__proto__', 'constructor', 'prototype'])('rejects the reserved key %s', (name) => {
    rejects(
      build(`{"${name}":${f32([2], 0, 8)}}`, 8),
      `reserved name "${name}" is not allowed as a key`,
      name,
    );
    rejects(
      build(`{"__metadata__":{"${name}":"x"}}`),
      `reserved name "${name}" is not allowed as a key in __metadata__`,
      `__metadata__["${name}"]`,
    );
  });

  it('rejects metadata that is not an object of strings', () => {
    rejects(
      build(`{"__metadata__":["a","b"]}`),
      'Expected an object of strings for __metadata__ but received an array of length 2',
      '__metadata__',
    );
    rejects(
      build(`{"__metadata__":{"epoch":3}}`),
      'Expected a string for __metadata__["epoch"] but received 3',
      '__metadata__["epoch"]',
    );
    rejects(
      build(`{"__metadata__":{"x":null}}`),
      'Expected a string for __metadata__["x"] but received null',
    );
  });

  it('rejects tensor entries that are not exactly {dtype, shape, data_offsets}', () => {
    rejects(
      build(`{"w":[1]}`),
      'Expected an object {dtype, shape, data_offsets} for tensor "w" but received an array of length 1',
      'w',
    );
    rejects(
      build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8],"extra":1}}`, 8),
      'tensor "w" has unexpected key "extra"; only dtype, shape and data_offsets are allowed',
      'w.extra',
    );
    rejects(
      build(`{"w":{"dtype":"F32","shape":[0]}}`),
      'tensor "w" is missing data_offsets',
      'w.data_offsets',
    );
  });

  it('rejects any dtype but F32', () => {
    for (const dtype of ['F64', 'F16', 'BF16', 'I32', 'f32', ''])
      rejects(
        build(`{"w":{"dtype":"${dtype}","shape":[2],"data_offsets":[0,8]}}`, 8),
        `tensor "w" has dtype "${dtype}"; only F32 is supported. HINT: convert the checkpoint to float32`,
        'w.dtype',
      );
    rejects(
      build(`{"w":{"dtype":32,"shape":[2],"data_offsets":[0,8]}}`, 8),
      'Expected a string for tensor "w" dtype but received 32',
      'w.dtype',
    );
  });

  it.each([
    ['-1', 'Expected a non-negative integer for tensor "w" shape[0] but received -1'],
    ['-0', 'Expected a non-negative integer for tensor "w" shape[0] but received -0'],
    ['2.0', 'Expected a non-negative integer for tensor "w" shape[0] but received 2.0'],
    ['2e0', 'Expected a non-negative integer for tensor "w" shape[0] but received 2e0'],
    ['"2"', 'Expected a non-negative integer for tensor "w" shape[0] but received "2"'],
    ['null', 'Expected a non-negative integer for tensor "w" shape[0] but received null'],
    ['[2]', 'Expected a non-negative integer for tensor "w" shape[0] but received an array of length 1'],
    [
      '9007199254740993',
      'Expected a non-negative integer for tensor "w" shape[0] but received 9007199254740993',
    ],
  ])('rejects shape dimension %s', (dim, message) => {
    rejects(build(`{"w":{"dtype":"F32","shape":[${dim}],"data_offsets":[0,8]}}`, 8), message, 'w.shape');
  });

  it('rejects a shape that is not an array', () => {
    rejects(
      build(`{"w":{"dtype":"F32","shape":{},"data_offsets":[0,8]}}`, 8),
      'Expected an array of non-negative integers for tensor "w" shape but received an object with 0 keys',
      'w.shape',
    );
  });

  it('rejects element counts past 2^31 without overflowing, and counts the data section can not hold', () => {
    rejects(
      build(`{"w":${f32([1048576, 1048576], 0, 8)}}`, 8),
      'tensor "w" has shape [1048576, 1048576] with more than 2147483648 elements',
      'w.shape',
    );
    rejects(
      build(`{"w":${f32([2 ** 40], 0, 8)}}`, 8),
      'tensor "w" has shape [1099511627776] with more than 2147483648 elements',
    );
    rejects(
      build(`{"w":${f32(Array(64).fill(2), 0, 8)}}`, 8),
      'tensor "w" has shape [2, 2, 2, 2, 2, 2, 2, 2, … (64 dims)] with more than 2147483648 elements',
    );
    rejects(
      build(`{"w":${f32([2 ** 31], 0, 8)}}`, 8),
      'tensor "w" has shape [2147483648] of F32 needing 8589934592 bytes but the data section has only 8',
    );
    rejects(
      build(`{"w":${f32([3], 0, 12)}}`, 8),
      'tensor "w" has shape [3] of F32 needing 12 bytes but the data section has only 8',
    );
  });

  it('rejects more than 64 dimensions while reading the shape', () => {
    rejects(
      build(`{"w":${f32(Array(65).fill(1), 0, 4)}}`, 4),
      'tensor "w" has a shape with more than 64 dimensions',
      'w.shape',
    );
    expect(
      decodeSafetensors(build(`{"w":${f32(Array(64).fill(1), 0, 4)}}`, 4)).tensors.get('w')!.shape,
    ).toHaveLength(64);
    expect(() => encodeSafetensors({ w: { shape: Array(65).fill(1), data: new Float32Array(1) } })).toThrow(
      new RangeError(
        'Expected at most 64 dimensions for tensors["w"].shape but received an array of length 65',
      ),
    );
  });

  it('describes the offending value, however it is nested, without building it', () => {
    rejects(
      build(`{"w":{"dtype":{"a":[1,{"b":null}],"c":"d"},"shape":[],"data_offsets":[0,4]}}`, 4),
      'Expected a string for tensor "w" dtype but received an object with 2 keys',
      'w.dtype',
    );
    rejects(
      build(`{"w":{"dtype":"F32","shape":[],"data_offsets":[0,4,8]}}`, 4),
      'Expected an array [begin, end] for tensor "w" data_offsets but received an array of length 3',
    );
    const many = `{"__metadata__":{"x":[${Array(100_000).fill('{}').join(',')}]}}`;
    rejects(build(many), 'Expected a string for __metadata__["x"] but received an array of length 100000');
  });

  it('accepts a zero dimension next to a huge one (0 elements)', () => {
    const got = decodeSafetensors(build(`{"w":${f32([2 ** 40, 0], 0, 0)}}`));
    expect(got.tensors.get('w')!.data.length).toBe(0);
  });

  it('rejects malformed data_offsets', () => {
    rejects(
      build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0]}}`, 8),
      'Expected an array [begin, end] for tensor "w" data_offsets but received an array of length 1',
      'w.data_offsets',
    );
    rejects(
      build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0,-8]}}`, 8),
      'Expected a non-negative integer for tensor "w" data_offsets[1] but received -8',
    );
    rejects(
      build(`{"w":{"dtype":"F32","shape":[2],"data_offsets":[0.5,8]}}`, 8),
      'Expected a non-negative integer for tensor "w" data_offsets[0] but received 0.5',
    );
    rejects(build(`{"w":${f32([0], 8, 0)}}`, 8), 'tensor "w" has data_offsets [8, 0] with begin after end');
    rejects(
      build(`{"w":${f32([2], 8, 16)}}`, 8),
      'tensor "w" has data_offsets [8, 16] past the end of the 8-byte data section',
    );
  });

  it('rejects data_offsets whose size does not match the shape', () => {
    rejects(
      build(`{"Whh":${f32([2, 2], 0, 12)}}`, 16),
      'tensor "Whh" has data_offsets [0, 12] but shape [2, 2] of F32 needs 16 bytes',
      'Whh.data_offsets',
    );
  });

  it('rejects tensors that overlap, leave gaps, or leave trailing bytes', () => {
    rejects(
      build(`{"a":${f32([2], 0, 8)},"b":${f32([2], 4, 12)}}`, 12),
      'tensor "b" has data_offsets [4, 12], overlapping tensor "a" at [0, 8]',
      'b.data_offsets',
    );
    rejects(
      build(`{"a":${f32([2], 0, 8)},"b":${f32([2], 0, 8)}}`, 8),
      'tensor "b" has data_offsets [0, 8], overlapping tensor "a" at [0, 8]',
    );
    rejects(
      build(`{"a":${f32([2], 0, 8)},"e":${f32([0], 4, 4)}}`, 8),
      'tensor "e" has data_offsets [4, 4], overlapping tensor "a" at [0, 8]',
    );
    rejects(
      build(`{"a":${f32([1], 0, 4)},"b":${f32([1], 8, 12)}}`, 12),
      'tensor "b" has data_offsets [8, 12], leaving a gap of 4 bytes at offset 4',
      'b.data_offsets',
    );
    rejects(
      build(`{"b":${f32([1], 4, 8)}}`, 8),
      'tensor "b" has data_offsets [4, 8], leaving a gap of 4 bytes at offset 0',
    );
    rejects(
      build(`{"a":${f32([1], 0, 4)}}`, 8),
      'the tensors cover 4 of the 8 bytes in the data section; 4 trailing bytes',
      'data',
    );
    rejects(
      build('{}', 1),
      'the tensors cover 0 of the 1 bytes in the data section; 1 trailing bytes',
      'data',
    );
  });

  it('accepts tensors listed out of offset order, and empty tensors at boundaries', () => {
    const data = new Uint8Array(new Float32Array([1, 2, 3]).buffer);
    const got = decodeSafetensors(
      build(
        `{"b":${f32([2], 4, 12)},"e":${f32([0], 12, 12)},"a":${f32([1], 0, 4)},"z":${f32([0], 0, 0)}}`,
        data,
      ),
    );
    expect([...got.tensors.keys()]).toEqual(['b', 'e', 'a', 'z']);
    expect(got.tensors.get('b')!.data).toEqual(new Float32Array([2, 3]));
    expect(got.tensors.get('a')!.data).toEqual(new Float32Array([1]));
  });

  it('names the data without a source', () => {
    expect(() => decodeSafetensors(new Uint8Array(3))).toThrow(
      'Invalid safetensors data: file is 3 bytes, shorter than the 8-byte header length prefix',
    );
  });
});

describe('loadSafetensors from disk', () => {
  async function loadError(bytes: Uint8Array, opts?: { maxHeaderBytes?: number }): Promise<SafetensorsError> {
    const path = join(dir, 'bad.safetensors');
    await writeFile(path, bytes);
    const err = await loadSafetensors(path, opts).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(err).toBeInstanceOf(SafetensorsError);
    return err as SafetensorsError;
  }

  it('names the path and rejects the same classes as decode', async () => {
    const path = join(dir, 'bad.safetensors');
    expect((await loadError(new Uint8Array(5))).message).toBe(
      `Invalid safetensors file ${path}: file is 5 bytes, shorter than the 8-byte header length prefix`,
    );
    const huge = build('{}');
    new DataView(huge.buffer).setBigUint64(0, 2n ** 60n, true);
    expect((await loadError(huge)).message).toBe(
      `Invalid safetensors file ${path}: header length 1152921504606846976 exceeds the 8 bytes that follow the prefix`,
    );
    expect((await loadError(build(`{"Whh":${f32([2, 2], 0, 12)}}`, 16))).message).toBe(
      `Invalid safetensors file ${path}: tensor "Whh" has data_offsets [0, 12] but shape [2, 2] of F32 needs 16 bytes`,
    );
    expect((await loadError(build('{}'), { maxHeaderBytes: 4 })).field).toBe('header_length');
  });

  it('leaves I/O errors as they are', async () => {
    await expect(loadSafetensors(join(dir, 'missing.safetensors'))).rejects.toMatchObject({ code: 'ENOENT' });
    await expect(loadSafetensors('')).rejects.toThrow(
      new TypeError('Expected a non-empty string for path but received ""'),
    );
  });
});

describe('writeFileAtomic', () => {
  it('writes chunks in order, replaces an existing file, and leaves no temp files', async () => {
    const sub = await mkdtemp(join(dir, 'atomic-'));
    const path = join(sub, 'out.bin');
    await writeFileAtomic(path, [new Uint8Array([1, 2]), new Uint8Array(0), new Uint8Array([3])]);
    expect([...(await readFile(path))]).toEqual([1, 2, 3]);
    await writeFileAtomic(path, new Uint8Array([9]));
    expect([...(await readFile(path))]).toEqual([9]);
    writeFileAtomicSync(path, [new Uint8Array([4]), new Uint8Array([5, 6])]);
    expect([...(await readFile(path))]).toEqual([4, 5, 6]);
    expect(await readdir(sub)).toEqual(['out.bin']);
  });

  it('removes the temp file when the rename fails', async () => {
    const sub = await mkdtemp(join(dir, 'atomic-'));
    const target = join(sub, 'is-a-dir');
    await mkdir(join(target, 'child'), { recursive: true });
    await expect(writeFileAtomic(target, new Uint8Array([1]))).rejects.toThrow();
    expect(() => writeFileAtomicSync(target, new Uint8Array([1]))).toThrow();
    expect(await readdir(sub)).toEqual(['is-a-dir']);
  });

  it('fails cleanly when the directory does not exist', async () => {
    await expect(writeFileAtomic(join(dir, 'nope', 'x.bin'), new Uint8Array(1))).rejects.toMatchObject({
      code: 'ENOENT',
    });
  });

  it('checks its arguments', async () => {
    await expect(writeFileAtomic('', new Uint8Array(1))).rejects.toThrow(
      new TypeError('Expected a non-empty string for path but received ""'),
    );
    expect(() => writeFileAtomicSync(join(dir, 'x'), [new Uint8Array(1), 'a' as never])).toThrow(
      new TypeError('Expected a Uint8Array for data[1] but received "a"'),
    );
  });
});

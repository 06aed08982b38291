// Fuzzing the safetensors loader: truncations, byte flips and generated malicious headers must either
// decode to something that satisfies every invariant or throw SafetensorsError — never another error,
// never a hang, never an allocation the input does not back. About 130,000 cases per run.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat } from '../helpers/safetensors.js';
import {
  decodeSafetensors,
  encodeSafetensors,
  loadSafetensors,
  MAX_TENSOR_ELEMENTS,
  SafetensorsError,
  type SafetensorsContents,
} from '../../src/io/safetensors.js';

/** A small valid file: metadata, a matrix, a vector, an empty tensor and a scalar. */
function baseFile(): Uint8Array {
  return concat(
    encodeSafetensors(
      {
        Wxh: { shape: [2, 3], data: new Float32Array([1, 2, 3, 4, 5, 6]) },
        bh: { shape: [3], data: new Float32Array([-1, 0.5, 1e-3]) },
        none: { shape: [0, 5], data: new Float32Array(0) },
        s: { shape: [], data: new Float32Array([7]) },
      },
      { format: 'pt', vocab: 'abc' },
    ),
  );
}

const RESERVED = new Set(['__proto__', 'constructor', 'prototype', '__metadata__']);

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`invariant violated: ${what}`);
}

/** Everything a successful decode promises, including that it survives a re-encode (plain checks: hot). */
function checkInvariants(got: SafetensorsContents, inputBytes: number): void {
  let allocated = 0;
  for (const [name, t] of got.tensors) {
    check(!RESERVED.has(name), `tensor name ${name}`);
    check(Array.isArray(t.shape), 'shape is an array');
    let count = 1;
    for (const d of t.shape) {
      check(Number.isSafeInteger(d) && d >= 0, `dimension ${d}`);
      count *= d;
    }
    check(count <= MAX_TENSOR_ELEMENTS, `count ${count}`);
    check(t.data instanceof Float32Array && t.data.length === count && t.data.byteOffset === 0, 'data');
    allocated += t.data.byteLength;
  }
  check(allocated <= inputBytes, `allocated ${allocated} > ${inputBytes}`);
  check(Object.getPrototypeOf(got.metadata) === null, 'metadata has no prototype');
  for (const [k, v] of Object.entries(got.metadata)) {
    check(k === '__metadata__' || !RESERVED.has(k), `metadata key ${k}`);
    check(typeof v === 'string', `metadata value ${String(v)}`);
  }
  const again = decodeSafetensors(concat(encodeSafetensors(got.tensors, got.metadata)));
  check([...again.tensors.keys()].join('\0') === [...got.tensors.keys()].join('\0'), 'names survive');
  for (const [name, t] of got.tensors) {
    const u = again.tensors.get(name)!;
    check(u.shape.join() === t.shape.join(), 'shape survives');
    const a = new Uint32Array(u.data.buffer);
    const b = new Uint32Array(t.data.buffer);
    check(a.length === b.length && a.every((x, i) => x === b[i]), 'data survives bit for bit');
  }
  check(JSON.stringify({ ...again.metadata }) === JSON.stringify({ ...got.metadata }), 'metadata survives');
}

/** Decode: success must satisfy the invariants; failure must be a SafetensorsError. Returns which. */
function decodeOrReject(bytes: Uint8Array, opts?: { maxHeaderBytes?: number }): 'ok' | 'rejected' {
  let got: SafetensorsContents;
  try {
    got = decodeSafetensors(bytes, opts);
  } catch (e) {
    if (!(e instanceof SafetensorsError))
      throw new Error(`not a SafetensorsError: ${String(e)}`, { cause: e });
    if (!e.message.startsWith('Invalid safetensors data: ')) throw new Error(`bad message: ${e.message}`);
    if (typeof e.field !== 'string') throw new Error(`no field on: ${e.message}`);
    return 'rejected';
  }
  checkInvariants(got, bytes.length);
  return 'ok';
}

function mustReject(bytes: Uint8Array, opts?: { maxHeaderBytes?: number }): void {
  if (decodeOrReject(bytes, opts) === 'ok') {
    const n = Number(new DataView(bytes.buffer, bytes.byteOffset).getBigUint64(0, true));
    const header = new TextDecoder().decode(bytes.subarray(8, 8 + Math.min(n, 2000)));
    throw new Error(`accepted a file that should be rejected: header ${JSON.stringify(header)}`);
  }
}

// ---------------------------------------------------------------------------------------------------
// Generators of valid files and of malicious headers

const nameArb = fc.string({
  unit: fc.constantFrom('a', 'b', 'W', 'h', 'x', '_', '0', '.', 'é', '"'),
  minLength: 1,
  maxLength: 4,
});
const specsArb = fc.uniqueArray(
  fc.record({ name: nameArb, shape: fc.array(fc.integer({ min: 0, max: 3 }), { maxLength: 3 }) }),
  { selector: (s) => s.name, minLength: 1, maxLength: 4 },
);
const metadataArb = fc.option(fc.dictionary(nameArb, fc.string({ maxLength: 6 }), { maxKeys: 3 }), {
  nil: undefined,
});

function validFile(
  specs: { name: string; shape: number[] }[],
  metadata?: Record<string, string>,
): Uint8Array {
  const tensors = new Map(
    specs.map((s, i) => {
      const data = new Float32Array(s.shape.reduce((a, b) => a * b, 1));
      data.forEach((_, j) => (data[j] = i * 100 + j));
      return [s.name, { shape: s.shape, data }] as const;
    }),
  );
  return concat(encodeSafetensors(tensors, metadata));
}

/** A header as editable JSON text fragments, so that defects can inject any token. */
interface Model {
  entries: { key: string; fields: [string, string][] }[];
  dataBytes: number;
}

function modelOf(specs: { name: string; shape: number[] }[]): Model {
  let off = 0;
  const entries = specs.map((s) => {
    const bytes = 4 * s.shape.reduce((a, b) => a * b, 1);
    const e = {
      key: JSON.stringify(s.name),
      fields: [
        ['"dtype"', '"F32"'],
        ['"shape"', JSON.stringify(s.shape)],
        ['"data_offsets"', JSON.stringify([off, off + bytes])],
      ] as [string, string][],
    };
    off += bytes;
    return e;
  });
  return { entries: [{ key: '"__metadata__"', fields: [['"k"', '"v"']] }, ...entries], dataBytes: off };
}

function headerText(m: Model): string {
  return `{${m.entries.map((e) => `${e.key}:{${e.fields.map(([k, v]) => `${k}:${v}`).join(',')}}`).join(',')}}`;
}

function fileOf(header: string | Uint8Array, dataBytes: number): Uint8Array {
  const json = typeof header === 'string' ? new TextEncoder().encode(header) : header;
  const n = Math.ceil(json.length / 8) * 8;
  const out = new Uint8Array(8 + n + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(n), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.length, 8 + n);
  return out;
}

const BAD_NUMBERS = [
  '-1',
  '-0',
  '1.5',
  '2.0',
  '1e2',
  '1E400',
  '"3"',
  'null',
  'true',
  '[]',
  '{}',
  '9007199254740993',
  '18446744073709551616',
  '-9007199254740992',
];
const HUGE_SHAPES = [
  [2 ** 20, 2 ** 20],
  [2 ** 40],
  [2 ** 31 + 1],
  [2 ** 53 - 1],
  [65536, 65536, 2],
  Array(40).fill(2),
  [3, 2 ** 50, 1],
];
const BAD_DTYPES = [
  '"F64"',
  '"F16"',
  '"BF16"',
  '"I64"',
  '"U8"',
  '"BOOL"',
  '"f32"',
  '"F32 "',
  '""',
  '32',
  'null',
  '["F32"]',
];
const RESERVED_KEYS = ['"__proto__"', '"constructor"', '"prototype"', '"\\u005f_proto__"'];
const BAD_UTF8 = [
  [0xff],
  [0xfe],
  [0xc0, 0xaf],
  [0xed, 0xa0, 0x80],
  [0xf4, 0x90, 0x80, 0x80],
  [0xe2, 0x82],
  [0xc3],
  [0xf0, 0x9f, 0x98],
];

/** Each defect is enough on its own to make the file invalid, whatever the rest of it looks like. */
type Defect = (
  m: Model,
  pick: number,
  pick2: number,
) => { header: string | Uint8Array; dataBytes: number; maxHeaderBytes?: number; prefix?: bigint };

type Entry = Model['entries'][number];
const tensorAt = (m: Model, pick: number) => m.entries[1 + (pick % (m.entries.length - 1))];
/** A field by key; an earlier defect may have removed it (then the file is already invalid). */
const field = (t: Entry, key: 'dtype' | 'shape' | 'data_offsets') => t.fields.find(([k]) => k === `"${key}"`);
/** Numbers of a field that an earlier defect may have made non-numeric. */
const numbers = (f: [string, string] | undefined): number[] | undefined => {
  const v: unknown = f === undefined ? undefined : JSON.parse(f[1]);
  // Only canonical non-negative integers count: "-0" or "1.0" must not be rewritten into a valid number.
  const ok =
    Array.isArray(v) && v.every((x) => Number.isSafeInteger(x) && x >= 0) && JSON.stringify(v) === f![1];
  return ok ? (v as number[]) : undefined;
};
const nonEmptyTensor = (m: Model) =>
  m.entries.slice(1).find((e) => {
    const offs = numbers(field(e, 'data_offsets'));
    return offs !== undefined && offs.length === 2 && offs[1] > offs[0];
  });
const same = (m: Model) => ({ header: headerText(m), dataBytes: m.dataBytes });

const DEFECTS: Record<string, Defect> = {
  hugeShape: (m, p, q) => {
    const f = field(tensorAt(m, p), 'shape');
    if (f !== undefined) f[1] = JSON.stringify(HUGE_SHAPES[q % HUGE_SHAPES.length]);
    return same(m);
  },
  badShapeNumber: (m, p, q) => {
    const f = field(tensorAt(m, p), 'shape');
    const dims = numbers(f);
    if (f === undefined || dims === undefined) return same(m);
    const text = dims.map(String);
    text.splice(
      dims.length === 0 ? 0 : q % dims.length,
      dims.length === 0 ? 0 : 1,
      BAD_NUMBERS[q % BAD_NUMBERS.length],
    );
    f[1] = `[${text.join(',')}]`;
    return same(m);
  },
  badOffsetNumber: (m, p, q) => {
    const f = field(tensorAt(m, p), 'data_offsets');
    const offs = numbers(f);
    if (f === undefined || offs === undefined) return same(m);
    const text = offs.map(String);
    text[q % 2] = BAD_NUMBERS[q % BAD_NUMBERS.length];
    f[1] = `[${text.join(',')}]`;
    return same(m);
  },
  offsetsShape: (m, p, q) => {
    const f = field(tensorAt(m, p), 'data_offsets');
    const offs = numbers(f);
    // Already reversed by an earlier defect: leave it (rewriting could make it valid again).
    if (f === undefined || offs === undefined || offs.length !== 2 || offs[0] > offs[1]) return same(m);
    const [b, e] = offs;
    f[1] = JSON.stringify([[b], [b, e, e], [e + 4, b], [b, e, 0], []][q % 5]);
    return same(m);
  },
  wrongDtype: (m, p, q) => {
    const f = field(tensorAt(m, p), 'dtype');
    if (f !== undefined) f[1] = BAD_DTYPES[q % BAD_DTYPES.length];
    return same(m);
  },
  shiftOffsets: (m, _p, q) => {
    // Moving a non-empty range always uncovers bytes that no other tensor covers.
    const t = nonEmptyTensor(m);
    if (t === undefined) return { header: headerText(m), dataBytes: m.dataBytes + 1 + (q % 8) };
    const f = field(t, 'data_offsets')!;
    const [b, e] = numbers(f)!;
    const d = 1 + (q % 8); // always forward, so two shifts never cancel (negative offsets: BAD_NUMBERS)
    f[1] = JSON.stringify([b + d, e + d]);
    return same(m);
  },
  resizeOffsets: (m, p, q) => {
    const f = field(tensorAt(m, p), 'data_offsets');
    const offs = numbers(f);
    if (f === undefined || offs === undefined || offs.length !== 2 || offs[0] > offs[1]) return same(m);
    f[1] = JSON.stringify([offs[0], offs[1] + 1 + (q % 8)]);
    return { header: headerText(m), dataBytes: m.dataBytes + 1 + (q % 8) };
  },
  dataLength: (m, p, q) => {
    const delta = 1 + (q % 8);
    return {
      header: headerText(m),
      dataBytes: p % 2 === 0 || m.dataBytes < delta ? m.dataBytes + delta : m.dataBytes - delta,
    };
  },
  duplicateTensor: (m, p) => {
    const t = tensorAt(m, p);
    m.entries.push({ key: t.key, fields: t.fields.map(([k, v]) => [k, v]) });
    return same(m);
  },
  duplicateField: (m, p, q) => {
    const t = tensorAt(m, p);
    const [k, v] = t.fields[q % t.fields.length];
    t.fields.push([k, v]);
    return same(m);
  },
  duplicateMetadata: (m) => {
    m.entries[0].fields.push(['"k"', '"w"']);
    return same(m);
  },
  reservedTensorName: (m, p, q) => {
    tensorAt(m, p).key = RESERVED_KEYS[q % RESERVED_KEYS.length];
    return same(m);
  },
  reservedMetadataKey: (m, _p, q) => {
    m.entries[0].fields.push([RESERVED_KEYS[q % RESERVED_KEYS.length], '"x"']);
    return same(m);
  },
  badMetadata: (m, _p, q) => {
    const bad = ['1', 'null', '["a"]', '{"a":{}}', '{"a":1}', '{"a":null}', '"str"', '{"a":["b"]}'][q % 8];
    const text = headerText(m).replace('"__metadata__":{"k":"v"}', `"__metadata__":${bad}`);
    return { header: text, dataBytes: m.dataBytes };
  },
  extraField: (m, p, q) => {
    tensorAt(m, p).fields.splice(q % 4, 0, [
      ['"dtypes"', '"extra"', '"__proto__"', '"data_offset"'][q % 4],
      '0',
    ]);
    return same(m);
  },
  missingField: (m, p, q) => {
    // Every occurrence, so that an earlier duplicateField cannot be undone into a valid entry.
    const t = tensorAt(m, p);
    const key = ['"dtype"', '"shape"', '"data_offsets"'][q % 3];
    t.fields = t.fields.filter(([k]) => k !== key);
    return same(m);
  },
  entryNotObject: (m, p, q) => {
    const t = tensorAt(m, p);
    const text = headerText(m).replace(
      `${t.key}:{${t.fields.map(([k, v]) => `${k}:${v}`).join(',')}}`,
      `${t.key}:${['[]', '"F32"', '0', 'null', 'true'][q % 5]}`,
    );
    return { header: text, dataBytes: m.dataBytes };
  },
  badJson: (m, p, q) => {
    const text = headerText(m);
    const at = 1 + (p % (text.length - 1));
    const broken = [
      text.slice(0, -1),
      text.slice(0, -1) + ',}',
      ' ' + text,
      text + 'x',
      text + '{}',
      text.replace(':', '='),
      text.replace('"__metadata__"', "'__metadata__'"),
      text.replace('"__metadata__"', '__metadata__'),
      text.replace('"v"', '"v\u0001"'),
      text.replace('"v"', '"\\q"'),
      text.replace('"v"', '"\\ud800"'),
      text.replace('"v"', '"\\udc00\\ud800"'),
      text.replace('"v"', '"\\u12G4"'),
      text.slice(0, at), // truncated JSON, padding spaces follow
      '{"a":' + '['.repeat(20 + (q % 1000)) + ']'.repeat(20 + (q % 1000)) + '}',
      text.replace('}', '}}'),
      text.replace(',', ',,'),
      text.replace('[', '[,'),
    ];
    return { header: broken[q % broken.length], dataBytes: m.dataBytes };
  },
  invalidUtf8: (m, p, q) => {
    const bytes = new TextEncoder().encode(headerText(m));
    const at = 1 + (p % (bytes.length - 1));
    const bad = BAD_UTF8[q % BAD_UTF8.length];
    const out = new Uint8Array(bytes.length + bad.length);
    out.set(bytes.subarray(0, at));
    out.set(bad, at);
    out.set(bytes.subarray(at), at + bad.length);
    return { header: out, dataBytes: m.dataBytes };
  },
  headerLengthPastEnd: (m, _p, q) => ({ ...same(m), prefix: BigInt(q) }),
  headerOverMax: (m, p) => ({ ...same(m), maxHeaderBytes: 1 + (p % 7) }),
};

// ---------------------------------------------------------------------------------------------------

describe('safetensors fuzz', () => {
  it('(a) rejects every truncation of a valid file, in memory and on disk', async () => {
    const file = baseFile();
    expect(decodeOrReject(file)).toBe('ok');
    let cases = 0;
    for (let len = 0; len < file.length; len++, cases++) mustReject(file.subarray(0, len));

    const dir = await mkdtemp(join(tmpdir(), 'charrnn-fuzz-'));
    try {
      const path = join(dir, 'cut.safetensors');
      for (let len = 0; len < file.length; len += 3, cases++) {
        await writeFile(path, file.subarray(0, len));
        await expect(loadSafetensors(path)).rejects.toBeInstanceOf(SafetensorsError);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }

    // Random valid files: each round-trips and every proper prefix is rejected.
    fc.assert(
      fc.property(specsArb, metadataArb, (specs, metadata) => {
        const f = validFile(specs, metadata);
        expect(decodeOrReject(f)).toBe('ok');
        for (let len = 0; len < f.length; len++, cases++) mustReject(f.subarray(0, len));
      }),
      { numRuns: 150 },
    );
    expect(cases).toBeGreaterThan(15_000);
  });

  it('(b) every single-byte change either decodes to a valid result or throws SafetensorsError', () => {
    const file = baseFile();
    const counts = { ok: 0, rejected: 0 };
    const copy = file.slice();
    for (let i = 0; i < file.length; i++) {
      for (let x = 1; x < 256; x++) {
        copy[i] = file[i] ^ x;
        counts[decodeOrReject(copy)]++;
      }
      copy[i] = file[i];
    }
    expect(counts.ok + counts.rejected).toBe(file.length * 255);
    // The data section accepts any bytes; a good share of header changes must be caught.
    expect(counts.ok).toBeGreaterThanOrEqual(40 * 255);
    expect(counts.rejected).toBeGreaterThan(counts.ok);

    // Several random edits at once (flip, insert, delete), on random valid files.
    fc.assert(
      fc.property(
        specsArb,
        fc.array(
          fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('flip', 'insert', 'delete')),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (specs, edits) => {
          const bytes = [...validFile(specs, { k: 'v' })];
          for (const [pos, x, op] of edits) {
            const at = pos % bytes.length;
            if (op === 'flip') bytes[at] ^= x;
            else if (op === 'insert') bytes.splice(at, 0, x);
            else bytes.splice(at, 1);
          }
          decodeOrReject(Uint8Array.from(bytes));
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('(c) rejects generated malicious headers', () => {
    const names = Object.keys(DEFECTS);
    const seen = new Set<string>();
    fc.assert(
      fc.property(
        specsArb,
        fc.array(fc.tuple(fc.constantFrom(...names), fc.nat(), fc.nat({ max: 1 << 20 })), {
          minLength: 1,
          maxLength: 2,
        }),
        fc.nat({ max: 255 }),
        (specs, defects, fill) => {
          // Apply every defect but only build the file from the last one; earlier ones only edit the model.
          const model = modelOf(specs);
          let built: ReturnType<Defect> = same(model);
          for (const [name, p, q] of defects) {
            seen.add(name);
            built = DEFECTS[name](model, p, q);
          }
          const file = fileOf(built.header, Math.max(0, built.dataBytes));
          file.fill(fill, file.length - Math.max(0, built.dataBytes));
          if (built.prefix !== undefined) {
            const past = BigInt(file.length - 8) + 1n + built.prefix * 0x1_0000_0001n;
            new DataView(file.buffer).setBigUint64(0, past % 2n ** 64n || 2n ** 64n - 1n, true);
          }
          mustReject(
            file,
            built.maxHeaderBytes === undefined ? undefined : { maxHeaderBytes: built.maxHeaderBytes },
          );
        },
      ),
      { numRuns: 20_000 },
    );
    expect([...seen].sort()).toEqual([...names].sort());
  });

  it('(c) rejects each hostile shape with the element-count message, without allocating', () => {
    for (const shape of HUGE_SHAPES) {
      const header = `{"w":{"dtype":"F32","shape":${JSON.stringify(shape)},"data_offsets":[0,16]}}`;
      let err: unknown;
      try {
        decodeSafetensors(fileOf(header, 16));
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(SafetensorsError);
      expect((err as Error).message).toMatch(
        /tensor "w" has shape \[.*\] (with more than 2147483648 elements|of F32 needing \d+ bytes)/,
      );
    }
  });
});

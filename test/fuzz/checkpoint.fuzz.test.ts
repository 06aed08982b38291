// Fuzzing the checkpoint loader (safetensors container + charrnn metadata + tensors vs config): every
// truncation, single-byte flips, lying sizes, wrong dtypes, bad JSON and generated hostile training
// states / configs / tensor sets. Each input either decodes to a checkpoint that satisfies every
// invariant or is rejected with a SafetensorsError whose `field` names what is wrong — never another
// error, never an allocation the file does not back. More than 100,000 cases per run.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { concat, reencode } from '../helpers/safetensors.js';
import {
  decodeCheckpoint,
  encodeCheckpoint,
  readCheckpoint,
  type Checkpoint,
} from '../../src/io/checkpoint.js';
import { decodeSafetensors, SafetensorsError } from '../../src/io/safetensors.js';
import { stateSize } from '../../src/model/layout.js';
import { layoutFor } from '../../src/model/spec.js';
import { CharRNN } from '../../src/charrnn.js';
import { Corpus } from '../../src/text/corpus.js';
import { train } from '../../src/train/trainer.js';

const corpus = Corpus.fromText('abcab cabba\n'.repeat(20), { validationFraction: 0.1 });

/** A small valid checkpoint: 1-layer LSTM, embedding, Adam (so every kind of tensor is present). */
async function smallCheckpoint(): Promise<Uint8Array> {
  const model = CharRNN.create({
    vocabulary: corpus.vocabulary,
    cell: 'lstm',
    hiddenSize: 2,
    embeddingSize: 2,
    dropout: 0.1,
    seed: 1,
    backend: 'js',
  });
  const r = await train(model, corpus.train, corpus.validation, {
    seqLength: 4,
    batchSize: 2,
    optimizer: { kind: 'adam' },
    lrSchedule: 'plateau:0.5:1',
    maxIters: 3,
    evalEvery: 1,
  });
  return concat(encodeCheckpoint(model, r.state));
}

function check(cond: boolean, what: string): void {
  if (!cond) throw new Error(`invariant violated: ${what}`);
}

/** What an accepted checkpoint promises. */
function checkInvariants(ck: Checkpoint, inputBytes: number): void {
  const layout = layoutFor(ck.config);
  let allocated = 0;
  for (const t of layout.tensors) {
    const d = ck.parameters.get(t.name);
    check(d instanceof Float32Array && d.length === t.size, `parameter ${t.name}`);
    for (const x of d!) check(Number.isFinite(x), `finite ${t.name}`);
    allocated += d!.byteLength;
  }
  check(ck.vocabulary.size === ck.config.vocabSize, 'vocabulary size');
  if (ck.training) {
    const m = ck.training.model;
    check(m.hidden.length === stateSize(ck.config, m.hiddenBatch), 'hidden size');
    check(m.optState.length % layout.size === 0, 'optimizer slots');
    allocated += m.hidden.byteLength + m.optState.byteLength;
    const s = ck.training.state;
    check(Number.isSafeInteger(s.iteration) && s.iteration >= 0, 'iteration');
    check(Number.isFinite(s.smoothLoss) && s.lr > 0, 'state numbers');
  }
  check(allocated <= inputBytes, `allocated ${allocated} > ${inputBytes}`);
}

/** Decode; an accepted input must satisfy the invariants, a rejected one must be a typed, named error. */
function decodeOrReject(bytes: Uint8Array): 'ok' | 'rejected' {
  let ck: Checkpoint;
  try {
    ck = decodeCheckpoint(bytes, 'f');
  } catch (err) {
    if (!(err instanceof SafetensorsError)) throw new Error(`not a SafetensorsError: ${String(err)}`);
    if (typeof err.field !== 'string' || err.field.length === 0)
      throw new Error(`no field named: ${JSON.stringify(err.field)} (${err.message})`);
    return 'rejected';
  }
  checkInvariants(ck, bytes.length);
  return 'ok';
}

function mustReject(bytes: Uint8Array): SafetensorsError {
  try {
    decodeCheckpoint(bytes, 'f');
  } catch (err) {
    if (!(err instanceof SafetensorsError)) throw new Error(`not a SafetensorsError: ${String(err)}`);
    if (typeof err.field !== 'string' || err.field.length === 0)
      throw new Error(`no field named: ${err.message}`);
    return err;
  }
  throw new Error('a malformed checkpoint was accepted');
}

/** Rewrite the JSON header text directly (for things encodeSafetensors refuses to write). */
function withHeader(base: Uint8Array, f: (header: string) => string): Uint8Array {
  const n = Number(new DataView(base.buffer, base.byteOffset).getBigUint64(0, true));
  const header = new TextDecoder().decode(base.subarray(8, 8 + n));
  const json = new TextEncoder().encode(f(header));
  const data = base.subarray(8 + n);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('checkpoint fuzz', async () => {
  const base = await smallCheckpoint();
  let total = 0;

  it('the base checkpoint is valid and small', () => {
    expect(decodeOrReject(base)).toBe('ok');
    expect(base.length).toBeLessThan(8192);
  });

  it('rejects every truncation, in memory and on disk', async () => {
    for (let len = 0; len < base.length; len++, total++) mustReject(base.subarray(0, len));
    const dir = await mkdtemp(join(tmpdir(), 'charrnn-ckfuzz-'));
    try {
      const path = join(dir, 'cut.safetensors');
      for (let len = 0; len < base.length; len += 17, total++) {
        await writeFile(path, base.subarray(0, len));
        await expect(readCheckpoint(path)).rejects.toBeInstanceOf(SafetensorsError);
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('every single-bit flip, and random multi-byte edits, decode validly or are rejected by name', () => {
    const copy = base.slice();
    const counts = { ok: 0, rejected: 0 };
    for (let i = 0; i < base.length; i++) {
      for (let bit = 0; bit < 8; bit++) {
        copy[i] = base[i] ^ (1 << bit);
        counts[decodeOrReject(copy)]++;
        total++;
      }
      copy[i] = base[i];
    }
    // Flips in the data section mostly give other finite floats (accepted); most header flips are caught.
    expect(counts.rejected).toBeGreaterThan(counts.ok / 4);
    // Every position set to each character that matters to JSON (and two raw bytes).
    const specials = [...'"{}[],:0-\\'].map((c) => c.charCodeAt(0)).concat([0x00, 0xff]);
    for (let i = 0; i < base.length; i++) {
      for (const v of specials) {
        if (v === base[i]) continue;
        copy[i] = v;
        counts[decodeOrReject(copy)]++;
        total++;
      }
      copy[i] = base[i];
    }
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom('flip', 'insert', 'delete')),
          {
            minLength: 1,
            maxLength: 4,
          },
        ),
        (edits) => {
          const bytes = [...base];
          for (const [pos, x, op] of edits) {
            const at = pos % bytes.length;
            if (op === 'flip') bytes[at] ^= x;
            else if (op === 'insert') bytes.splice(at, 0, x);
            else bytes.splice(at, 1);
          }
          decodeOrReject(Uint8Array.from(bytes));
          total++;
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('rejects lying sizes and wrong dtypes in the header, without allocating them', () => {
    const names = [...decodeSafetensors(base).tensors.keys()];
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.oneof(
          fc.constantFrom([2 ** 40], [2 ** 20, 2 ** 20], [2 ** 31 + 1], [2 ** 53], [65536, 65536, 65536]),
          fc.array(fc.nat({ max: 2 ** 32 }), { minLength: 1, maxLength: 4 }),
        ),
        fc.constantFrom('F16', 'BF16', 'F64', 'I64', 'I32', 'U8', 'BOOL', 'f32', ''),
        fc.boolean(),
        (name, shape, dtype, lieAboutShape) => {
          const key = JSON.stringify(name);
          const file = withHeader(base, (h) => {
            const at = h.indexOf(`${key}:{`);
            const end = h.indexOf('}', at);
            const entry = h.slice(at, end);
            const changed = lieAboutShape
              ? entry.replace(/"shape":\[[^\]]*\]/, `"shape":${JSON.stringify(shape)}`)
              : entry.replace('"F32"', JSON.stringify(dtype));
            return h.slice(0, at) + changed + h.slice(end);
          });
          const before = process.memoryUsage().arrayBuffers;
          const err = lieAboutShape && decodeOrReject(file) === 'ok' ? undefined : mustReject(file);
          total++;
          if (err === undefined) return; // the "lie" happened to be the true shape
          expect(err.field.startsWith(name)).toBe(true);
          if (!lieAboutShape) expect(err.field).toBe(`${name}.dtype`);
          // Nothing the size of the lie was allocated (a 2^40-element lie would be 4 TiB).
          expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(64 << 20);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('rejects hostile metadata: bad JSON, wrong types and ranges in config / vocabulary / training state', () => {
    const { metadata } = decodeSafetensors(base);
    const state = JSON.parse(metadata.training_state) as Record<string, unknown>;
    const config = JSON.parse(metadata.config) as Record<string, unknown>;
    const hostileValue = fc.oneof(
      fc.jsonValue({ maxDepth: 2 }),
      fc.constantFrom(-1, 1.5, 2 ** 53, -0, Number.POSITIVE_INFINITY, 'NaN', null, [], {}, '', true),
    );
    const keys = (o: Record<string, unknown>) => fc.constantFrom(...Object.keys(o));
    const mutation = fc.oneof(
      // Replace one field of the training state (or its optimizer / schedule objects) with anything.
      fc.tuple(fc.constant('state'), keys(state), hostileValue),
      fc.tuple(fc.constant('optimizer'), keys(state.optimizer as Record<string, unknown>), hostileValue),
      fc.tuple(fc.constant('schedule'), keys(state.schedule as Record<string, unknown>), hostileValue),
      fc.tuple(fc.constant('config'), keys(config), hostileValue),
      // Break the JSON text of a metadata entry: cut it, or splice in junk / duplicate keys / __proto__.
      fc.tuple(
        fc.constant('text'),
        fc.constantFrom('training_state', 'config', 'vocabulary', 'dropout_rng', 'format_version', 'format'),
        fc.oneof(
          fc.nat(),
          fc.constantFrom(
            '{"iteration":0,',
            '{"__proto__":{},',
            '{"constructor":1,',
            '[',
            '"',
            '\\u00',
            ',}',
          ),
        ),
      ),
      // Remove a metadata entry or a tensor, or add a stray tensor.
      fc.tuple(fc.constant('drop'), fc.constantFrom(...Object.keys(metadata)), fc.constant(null)),
    );
    let seenValidMutation = 0;
    fc.assert(
      fc.property(mutation, ([kind, key, value]) => {
        const file = reencode(base, (_t, m) => {
          if (kind === 'state' || kind === 'optimizer' || kind === 'schedule') {
            const s = JSON.parse(m.training_state);
            const target = kind === 'state' ? s : s[kind];
            target[key as string] = value;
            m.training_state = JSON.stringify(s);
          } else if (kind === 'config') {
            const c = JSON.parse(m.config);
            c[key as string] = value;
            m.config = JSON.stringify(c);
          } else if (kind === 'text') {
            const text = m[key as string];
            m[key as string] =
              typeof value === 'number'
                ? text.slice(0, value % text.length)
                : text.replace(/^[[{]/, String(value));
          } else delete m[key as string];
        });
        total++;
        if (decodeOrReject(file) === 'ok') seenValidMutation++;
      }),
      { numRuns: 15_000 },
    );
    // Most hostile values are rejected; a few happen to be valid (say, iteration 0 or a different eps).
    expect(seenValidMutation).toBeLessThan(15_000 / 4);
  });

  it('rejects tensor sets that do not fit the config (missing, stray, reshaped, non-finite)', () => {
    const names = [...decodeSafetensors(base).tensors.keys()];
    fc.assert(
      fc.property(
        fc.constantFrom(...names),
        fc.constantFrom('missing', 'stray', 'reshape', 'nan', 'inf'),
        fc.nat(),
        (name, how, n) => {
          const file = reencode(base, (t) => {
            const old = t.get(name)!;
            if (how === 'missing') t.delete(name);
            else if (how === 'stray') t.set(`${name}.extra${n % 3}`, old);
            else if (how === 'reshape') {
              const size = old.data.length + 1 + (n % 5);
              t.set(name, { shape: [size], data: new Float32Array(size) });
            } else {
              const data = old.data.slice();
              if (data.length === 0) t.delete(name);
              else data[n % data.length] = how === 'nan' ? NaN : -Infinity;
              t.set(name, { shape: old.shape, data });
            }
          });
          total++;
          const err = mustReject(file);
          expect(err.field.startsWith(name) || err.field === 'state.h_l0').toBe(true);
        },
      ),
      { numRuns: 10_000 },
    );
  });

  it('ran more than 100,000 cases', () => {
    console.log(`checkpoint fuzz: ${total} cases on a ${base.length}-byte checkpoint`);
    expect(total).toBeGreaterThan(100_000);
  });
});

// Fuzzing the N-API boundary: garbage into every export and session method of the raw addon must come back as
// a TypeError / RangeError / Error with a meaningful message. The process surviving is the proof (this file
// runs in vitest's forks pool; a crash fails the whole file). Run under ASan by scripts/test-asan.sh.
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative, type NativeBinding } from '../../src/backends/native.js';

const { binding, error } = loadNative();
if (!binding && process.env.CI) throw error ?? new Error('native addon missing');

type Fn = (...args: unknown[]) => unknown;
type RawSession = Record<string, Fn>;

const H = 5;
const V = 7;
const P = H * V + H * H + H + V * H + V; // 117

function arenas(slots = 2) {
  const params = new Float32Array(P).map((_, i) => Math.sin(i) * 0.1);
  return { params, grads: new Float32Array(P), optState: new Float32Array(P * slots) };
}

function open(b: NativeBinding, a = arenas()): RawSession {
  return new b.Session(H, V, a.params, a.grads, a.optState) as unknown as RawSession;
}

// A valid argument list for every method; each test breaks one argument at a time.
function validArgs(method: string): unknown[] {
  const B = 2;
  const T = 3;
  const ids = () => Int32Array.from({ length: B * T }, (_, i) => i % V);
  const hyper = Float64Array.from([0.1, 0, 0.9, 0.999, 1e-8, 0, 5, 0, 1]);
  switch (method) {
    case 'gradient':
      return [ids(), ids(), new Float32Array(B * H), B, T, 'sum'];
    case 'trainChunk':
    case 'trainChunkAsync':
      return [ids(), ids(), new Float32Array(B * H), B, T, 'sum', 'adagrad', hyper];
    case 'evaluate':
      return [Int32Array.from([1, 2, 3, 4]), new Float32Array(H)];
    case 'step':
      return [new Float32Array(H), 3, new Float32Array(V), 1];
    case 'sample':
      return [new Float32Array(H), Int32Array.from([1, 2]), 5, 0.9, false, Uint32Array.from([1, 2, 3, 4])];
    default:
      throw new Error(method);
  }
}

/** Call and require a synchronous throw of `kind` whose message matches `message`. */
function expectThrow(fn: () => unknown, kind: ErrorConstructor, message: RegExp | string): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(caught, `expected a ${kind.name} matching ${String(message)}`).toBeInstanceOf(kind);
  const msg = (caught as Error).message;
  if (typeof message === 'string') expect(msg).toBe(message);
  else expect(msg).toMatch(message);
}

function detached<T extends ArrayBufferView>(view: T): T {
  structuredClone(view, { transfer: [view.buffer as ArrayBuffer] });
  return view;
}

const GARBAGE: unknown[] = [
  undefined,
  null,
  true,
  0,
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31,
  2 ** 53,
  -0,
  'x',
  '3',
  '',
  10n,
  Symbol('s'),
  {},
  { length: 10 },
  [],
  [1, 2, 3],
  () => 1,
  new ArrayBuffer(16),
  new DataView(new ArrayBuffer(8)),
  new Float64Array(8),
  new Float32Array(0),
  new Float32Array(3),
  new Int32Array(0),
  new Int32Array(3).fill(-1),
  new Uint32Array(4),
  new Uint8Array(16),
  Buffer.alloc(8),
];

const METHODS = ['gradient', 'trainChunk', 'trainChunkAsync', 'evaluate', 'step', 'sample'] as const;

describe.runIf(binding !== undefined)('native boundary', () => {
  const b = binding!;
  const raw = b as unknown as Record<string, Fn>;
  const Session = b.Session as unknown as new (...args: unknown[]) => RawSession;

  beforeAll(() => {
    if (!binding) console.log(`native addon missing: ${error?.message}`);
  });
  afterAll(() => {
    b.setIsa(b.capabilities().supported[0]);
  });

  it('module functions reject garbage', () => {
    expect(typeof b.capabilities().isa).toBe('string');
    expectThrow(() => raw.setIsa(), TypeError, /^Expected one of 'avx2', 'scalar'|^Expected one of 'scalar'/);
    expectThrow(() => raw.setIsa(5), TypeError, /for isa but received 5$/);
    expectThrow(() => raw.setIsa('neon-x'), RangeError, /for isa but received "neon-x"$/);
    expect(b.setIsa('scalar')).toBe('scalar');
    expect(b.capabilities().simdForced).toBe(true);
    expectThrow(() => raw.layout(), TypeError, 'Expected 2 arguments for layout but received 0');
    expectThrow(
      () => raw.layout('5', 7),
      TypeError,
      'Expected an integer in [1, 16384] for hiddenSize but received "5"',
    );
    expectThrow(
      () => raw.layout(0, 7),
      RangeError,
      'Expected an integer in [1, 16384] for hiddenSize but received 0',
    );
    expectThrow(
      () => raw.layout(5, 1),
      RangeError,
      'Expected an integer in [2, 1048576] for vocabSize but received 1',
    );
    expectThrow(() => raw.layout(2 ** 40, 7), RangeError, /for hiddenSize but received 1099511627776$/);
    expectThrow(() => raw.layout(NaN, 7), RangeError, /received NaN$/);
    expectThrow(() => raw.layout(5.5, 7), RangeError, /received 5.5$/);
  });

  it('Session construction rejects garbage', () => {
    const a = arenas();
    expectThrow(
      () => (b.Session as unknown as Fn)(H, V, a.params, a.grads, a.optState),
      TypeError,
      /without 'new'/,
    );
    expectThrow(() => new Session(), TypeError, 'Expected 5 arguments for Session but received 0');
    expectThrow(
      () => new Session(H, V, a.params, a.grads),
      TypeError,
      'Expected 5 arguments for Session but received 4',
    );
    expectThrow(
      () => new Session(H, V, new Float32Array(12), a.grads, a.optState),
      RangeError,
      `Expected a Float32Array of length ${P} for params but received a Float32Array of length 12`,
    );
    expectThrow(
      () => new Session(H, V, new Float64Array(P), a.grads, a.optState),
      TypeError,
      `Expected a Float32Array for params but received a Float64Array of length ${P}`,
    );
    expectThrow(
      () => new Session(H, V, a.params, [1, 2], a.optState),
      TypeError,
      'Expected a Float32Array for grads but received an array of length 2',
    );
    expectThrow(
      () => new Session(H, V, a.params, a.grads, new Float32Array(P - 1)),
      RangeError,
      `Expected a Float32Array of length ≥ ${P} for optState but received a Float32Array of length ${P - 1}`,
    );
    const shared = new Float32Array(3 * P);
    expectThrow(
      () =>
        new Session(H, V, shared.subarray(0, P), shared.subarray(P / 2, P / 2 + P), shared.subarray(2 * P)),
      RangeError,
      /disjoint/,
    );
    expectThrow(
      () => new Session(H, V, detached(arenas().params), a.grads, a.optState),
      TypeError,
      /detached Float32Array/,
    );
    for (const h of [0, -1, 1.5, NaN, Infinity, 1e9, '5', null])
      expectThrow(
        () => new Session(h, V, a.params, a.grads, a.optState),
        h === '5' || h === null ? TypeError : RangeError,
        /for hiddenSize/,
      );
    expectThrow(
      () => new Session(H, 1, a.params, a.grads, a.optState),
      RangeError,
      /for vocabSize but received 1$/,
    );
    // every garbage value in every position
    for (let pos = 0; pos < 5; pos++)
      for (const g of GARBAGE) {
        const args: unknown[] = [H, V, a.params, a.grads, a.optState];
        args[pos] = g;
        expect(() => new Session(...args)).toThrow(/Expected/);
      }
  });

  it('every session method rejects every garbage value in every argument position', () => {
    const s = open(b);
    for (const m of METHODS) {
      const n = validArgs(m).length;
      for (let pos = 0; pos < n; pos++) {
        for (const g of GARBAGE) {
          const args = validArgs(m);
          args[pos] = g;
          let threw: unknown;
          try {
            const r = s[m](...args);
            if (r instanceof Promise) {
              // a garbage value that happens to be valid here (e.g. 0 for clipValue): let it finish
              throw new Error('unexpected promise');
            }
          } catch (err) {
            threw = err;
          }
          // Some garbage is valid in some positions (e.g. `true` for greedy, 0 for a token, undefined for
          // evaluate's optional hidden); everything else must throw a typed, explained error.
          if (threw !== undefined) {
            expect(threw, `${m} arg ${pos} = ${String(g)}`).toBeInstanceOf(Error);
            expect((threw as Error).message, `${m} arg ${pos}`).toMatch(/^Expected |unexpected promise/);
            if ((threw as Error).message === 'unexpected promise')
              throw new Error(`${m} accepted ${String(g)} at ${pos}`);
          }
        }
      }
      // and missing arguments
      expectThrow(() => s[m](), TypeError, /^Expected \d arguments? for /);
    }
  });

  it('chunk arguments: lengths, ids, sizes, reduction', () => {
    const s = open(b);
    const args = (over: Record<number, unknown>) => {
      const a = validArgs('gradient');
      for (const [k, v] of Object.entries(over)) a[Number(k)] = v;
      return a;
    };
    expect(typeof s.gradient(...args({}))).toBe('number');
    expectThrow(
      () => s.gradient(...args({ 0: new Int32Array(5) })),
      RangeError,
      'Expected an Int32Array of length 6 for inputs but received a Int32Array of length 5',
    );
    expectThrow(
      () => s.gradient(...args({ 2: new Float32Array(9) })),
      RangeError,
      'Expected a Float32Array of length 10 for hidden but received a Float32Array of length 9',
    );
    expectThrow(
      () => s.gradient(...args({ 0: Int32Array.from([0, 1, 2, 7, 4, 5]) })),
      RangeError,
      'Expected token ids in [0, 6] for inputs but received 7 at index 3',
    );
    expectThrow(
      () => s.gradient(...args({ 1: Int32Array.from([0, 1, 2, 3, 4, -5]) })),
      RangeError,
      'Expected token ids in [0, 6] for targets but received -5 at index 5',
    );
    expectThrow(
      () => s.gradient(...args({ 0: Int32Array.from([2 ** 31 - 1, 0, 0, 0, 0, 0]) })),
      RangeError,
      /received 2147483647 at index 0$/,
    );
    expectThrow(
      () => s.gradient(...args({ 3: 0 })),
      RangeError,
      'Expected a positive integer for batch but received 0',
    );
    expectThrow(
      () => s.gradient(...args({ 4: -2 })),
      RangeError,
      'Expected a positive integer for steps but received -2',
    );
    expectThrow(
      () => s.gradient(...args({ 4: 2.5 })),
      RangeError,
      'Expected a positive integer for steps but received 2.5',
    );
    expectThrow(
      () => s.gradient(...args({ 3: '2' })),
      TypeError,
      'Expected a positive integer for batch but received "2"',
    );
    expectThrow(
      () => s.gradient(...args({ 3: 2 ** 30 })),
      RangeError,
      'Expected batch × steps × max(hiddenSize, vocabSize) ≤ 536870912 but received 1073741824 × 3 × 7',
    );
    expectThrow(
      () => s.gradient(...args({ 3: 2 ** 30, 4: 2 ** 30 })),
      RangeError,
      'Expected batch × steps × max(hiddenSize, vocabSize) ≤ 536870912 but received 1073741824 × 1073741824 × 7',
    );
    expectThrow(
      () => s.gradient(...args({ 3: 2 ** 53 })),
      RangeError,
      'Expected a positive integer for batch but received 9007199254740992',
    );
    expectThrow(
      () => s.gradient(...args({ 5: 'avg' })),
      RangeError,
      `Expected one of 'sum', 'mean' for reduction but received "avg"`,
    );
    expectThrow(
      () => s.gradient(...args({ 0: detached(new Int32Array(6)) })),
      TypeError,
      /for inputs but received a detached Int32Array/,
    );
    expectThrow(
      () => s.gradient(...args({ 2: detached(new Float32Array(10)) })),
      TypeError,
      /for hidden but received a detached Float32Array/,
    );
  });

  it('hyper-parameters: kind, vector length, every field out of range, optState too short', () => {
    const s = open(b);
    const base = () => validArgs('trainChunk');
    const withHyper = (i: number, v: number) => {
      const a = base();
      (a[7] as Float64Array)[i] = v;
      return a;
    };
    expect(s.trainChunk(...base())).toEqual({ loss: expect.any(Number), gradNorm: expect.any(Number) });
    const a1 = base();
    a1[6] = 'sgdx';
    expectThrow(
      () => s.trainChunk(...a1),
      RangeError,
      `Expected one of 'sgd', 'adagrad', 'rmsprop', 'adam' for optimizer.kind but received "sgdx"`,
    );
    const a2 = base();
    a2[7] = new Float64Array(8);
    expectThrow(
      () => s.trainChunk(...a2),
      RangeError,
      'Expected a Float64Array of length 9 for hyper but received a Float64Array of length 8',
    );
    const a3 = base();
    a3[7] = new Float32Array(9);
    expectThrow(
      () => s.trainChunk(...a3),
      TypeError,
      'Expected a Float64Array for hyper but received a Float32Array of length 9',
    );
    const cases: [number, number, string][] = [
      [0, 0, 'Expected a positive finite number for lr but received 0'],
      [0, -0.1, 'Expected a positive finite number for lr but received -0.1'],
      [0, NaN, 'Expected a positive finite number for lr but received NaN'],
      [0, Infinity, 'Expected a positive finite number for lr but received Infinity'],
      [1, 1, 'Expected a number in [0, 1) for momentum but received 1'],
      [2, -0.5, 'Expected a number in [0, 1) for beta1 but received -0.5'],
      [3, NaN, 'Expected a number in [0, 1) for beta2 but received NaN'],
      [4, 0, 'Expected a positive finite number for eps but received 0'],
      [5, -1, 'Expected a non-negative finite number for weightDecay but received -1'],
      [6, -5, 'Expected a non-negative finite number for clipValue but received -5'],
      [7, Infinity, 'Expected a non-negative finite number for clipNorm but received Infinity'],
      [8, 0, 'Expected a positive integer for step but received 0'],
      [8, 1.5, 'Expected a positive integer for step but received 1.5'],
      [8, NaN, 'Expected a positive integer for step but received NaN'],
    ];
    for (const [i, v, msg] of cases) {
      expectThrow(() => s.trainChunk(...withHyper(i, v)), RangeError, msg);
      expectThrow(() => s.trainChunkAsync(...withHyper(i, v)), RangeError, msg);
    }
    const small = arenas(1);
    const s1 = open(b, small);
    const a4 = base();
    a4[6] = 'adam';
    expectThrow(
      () => s1.trainChunk(...a4),
      RangeError,
      `Expected a Float32Array of length ≥ ${2 * P} for optState but received a Float32Array of length ${P}`,
    );
  });

  it('evaluate, step and sample: ranges', () => {
    const s = open(b);
    expect(s.evaluate(...validArgs('evaluate'))).toEqual({ totalNats: expect.any(Number), count: 3 });
    expect(s.evaluate(Int32Array.from([1, 2]))).toEqual({ totalNats: expect.any(Number), count: 1 });
    expectThrow(
      () => s.evaluate(Int32Array.from([1])),
      RangeError,
      'Expected at least 2 tokens for ids but received an Int32Array of length 1',
    );
    expectThrow(
      () => s.evaluate(Int32Array.from([1, 9])),
      RangeError,
      'Expected token ids in [0, 6] for ids but received 9 at index 1',
    );
    expectThrow(
      () => s.evaluate(Int32Array.from([1, 2]), new Float32Array(H + 1)),
      RangeError,
      /for hidden but received a Float32Array of length 6$/,
    );

    const [h, , p] = validArgs('step') as [Float32Array, number, Float32Array, number];
    for (const tok of [-1, V, 1.5, NaN, 2 ** 31])
      expectThrow(
        () => s.step(h, tok, p, 1),
        RangeError,
        `Expected a token id in [0, 6] for token but received ${tok}`,
      );
    expectThrow(
      () => s.step(h, '3', p, 1),
      TypeError,
      'Expected a token id in [0, 6] for token but received "3"',
    );
    for (const t of [0, -1, NaN, Infinity])
      expectThrow(
        () => s.step(h, 3, p, t),
        RangeError,
        `Expected a positive finite number for temperature but received ${t}`,
      );
    expectThrow(
      () => s.step(h, 3, new Float32Array(V - 1), 1),
      RangeError,
      /length 7 for probs but received a Float32Array of length 6$/,
    );
    // extreme but valid temperatures give a finite distribution
    for (const t of [1e-30, 1e30]) {
      s.step(h, 3, p, t);
      expect(p.every(Number.isFinite)).toBe(true);
      expect(Math.abs(p.reduce((x, y) => x + y, 0) - 1)).toBeLessThan(1e-5);
    }

    const sa = (over: Record<number, unknown>) => {
      const a = validArgs('sample');
      for (const [k, v] of Object.entries(over)) a[Number(k)] = v;
      return a;
    };
    expect(s.sample(...sa({}))).toBeInstanceOf(Int32Array);
    expect((s.sample(...sa({ 2: 0 })) as Int32Array).length).toBe(0);
    expectThrow(
      () => s.sample(...sa({ 1: new Int32Array(0) })),
      RangeError,
      'Expected at least 1 token for prime but received an Int32Array of length 0',
    );
    expectThrow(
      () => s.sample(...sa({ 1: Int32Array.from([1, 70]) })),
      RangeError,
      'Expected token ids in [0, 6] for prime but received 70 at index 1',
    );
    for (const len of [-1, 1.5, NaN, 2 ** 31])
      expectThrow(
        () => s.sample(...sa({ 2: len })),
        RangeError,
        `Expected an integer in [0, 1073741824] for length but received ${len}`,
      );
    expectThrow(
      () => s.sample(...sa({ 4: 'yes' })),
      TypeError,
      'Expected a boolean for greedy but received "yes"',
    );
    expectThrow(
      () => s.sample(...sa({ 3: 0 })),
      RangeError,
      'Expected a positive finite number for temperature but received 0',
    );
    expect(s.sample(...sa({ 3: 0, 4: true }))).toBeInstanceOf(Int32Array); // greedy ignores temperature
    expectThrow(
      () => s.sample(...sa({ 5: new Uint32Array(3) })),
      TypeError,
      'Expected a Uint32Array of length 4 for rngState but received a Uint32Array of length 3',
    );
    expectThrow(
      () => s.sample(...sa({ 5: new Int32Array(4) })),
      TypeError,
      'Expected a Uint32Array for rngState but received a Int32Array of length 4',
    );
  });

  it('non-finite weights never crash: NaN flows through, sampling falls back to token 0', () => {
    const a = arenas();
    a.params.fill(NaN);
    const s = open(b, a);
    const loss = s.gradient(...validArgs('gradient')) as number;
    expect(Number.isNaN(loss)).toBe(true);
    expect(Array.from(s.sample(...validArgs('sample')) as Int32Array)).toEqual([0, 0, 0, 0, 0]);
    a.params.fill(Infinity);
    expect(() => s.trainChunk(...validArgs('trainChunk'))).not.toThrow();
  });

  it('detached or resized arenas are detected on the next call', () => {
    const a = arenas();
    const s = open(b, a);
    detached(a.params);
    expectThrow(
      () => s.gradient(...validArgs('gradient')),
      TypeError,
      /for params but received a detached Float32Array/,
    );
    const a2 = arenas();
    const s2 = open(b, a2);
    detached(a2.optState);
    expectThrow(
      () => s2.trainChunk(...validArgs('trainChunk')),
      TypeError,
      /for optState but received a detached Float32Array/,
    );
    // a length-tracking view over a resizable buffer that shrinks
    // (resizable ArrayBuffers are ES2024; this project's lib is ES2023, Node 20 has them)
    type Resizable = ArrayBuffer & { resize(byteLength: number): void };
    const ResizableBuffer = ArrayBuffer as unknown as new (
      n: number,
      o: { maxByteLength: number },
    ) => Resizable;
    const rab = new ResizableBuffer(P * 4, { maxByteLength: P * 8 });
    const s3 = open(b, {
      params: new Float32Array(rab),
      grads: new Float32Array(P),
      optState: new Float32Array(P),
    });
    rab.resize(40);
    expectThrow(
      () => s3.evaluate(Int32Array.from([1, 2])),
      RangeError,
      `Expected a Float32Array of length ${P} for params but received a Float32Array of length 10`,
    );
  });

  it('dispose: later calls throw, dispose twice is fine, wrong receivers throw', () => {
    const s = open(b);
    s.dispose();
    s.dispose();
    for (const m of METHODS)
      expectThrow(() => s[m](...validArgs(m)), Error, 'This backend session has been disposed');
    const proto = b.Session.prototype as unknown as RawSession;
    for (const m of [...METHODS, 'dispose']) {
      expect(() => proto[m].call({}, ...validArgs(m === 'dispose' ? 'step' : m))).toThrow(Error);
      expect(() => proto[m].call(undefined)).toThrow(Error);
    }
  });

  it('while trainChunkAsync runs, every other call on the session throws "model is busy"', async () => {
    // Big enough to still be running when the synchronous calls below are made.
    const H2 = 256;
    const V2 = 65;
    const P2 = H2 * V2 + H2 * H2 + H2 + V2 * H2 + V2;
    const s = new b.Session(
      H2,
      V2,
      new Float32Array(P2).fill(0.01),
      new Float32Array(P2),
      new Float32Array(2 * P2),
    ) as unknown as RawSession;
    const B = 16;
    const T = 64;
    const ids = Int32Array.from({ length: B * T }, (_, i) => i % V2);
    const hidden = new Float32Array(B * H2);
    const hyper = Float64Array.from([0.01, 0, 0.9, 0.999, 1e-8, 0, 0, 5, 1]);
    const pending = s.trainChunkAsync(ids, ids, hidden, B, T, 'mean', 'adam', hyper) as Promise<unknown>;
    const busy = 'model is busy: an asynchronous trainChunk is still running; await it first';
    expectThrow(() => s.trainChunkAsync(ids, ids, hidden, B, T, 'mean', 'adam', hyper), Error, busy);
    expectThrow(() => s.trainChunk(ids, ids, hidden, B, T, 'mean', 'adam', hyper), Error, busy);
    expectThrow(() => s.gradient(ids, ids, hidden, B, T, 'mean'), Error, busy);
    expectThrow(() => s.evaluate(Int32Array.from([1, 2])), Error, busy);
    expectThrow(() => s.step(new Float32Array(H2), 1, new Float32Array(V2), 1), Error, busy);
    expectThrow(
      () => s.sample(new Float32Array(H2), Int32Array.from([1]), 1, 1, false, new Uint32Array(4).fill(1)),
      Error,
      busy,
    );
    expectThrow(() => s.dispose(), Error, busy);
    expectThrow(() => b.setIsa('scalar'), Error, /while an asynchronous trainChunk is running/);
    // the chunk's inputs were copied: detaching them mid-run is harmless
    detached(ids);
    await expect(pending).resolves.toEqual({ loss: expect.any(Number), gradNorm: expect.any(Number) });
    // usable again
    expect(s.evaluate(Int32Array.from([1, 2]))).toEqual({ totalNats: expect.any(Number), count: 1 });
    // hidden detached while running: the promise rejects (the carried state cannot be written back)
    const ids2 = Int32Array.from({ length: B * T }, (_, i) => i % V2);
    const hidden2 = new Float32Array(B * H2);
    const p2 = s.trainChunkAsync(ids2, ids2, hidden2, B, T, 'sum', 'adam', hyper) as Promise<unknown>;
    detached(hidden2);
    await expect(p2).rejects.toThrow(/hidden Float32Array was detached or resized while it ran/);
    s.dispose();
  });

  it('property: random argument lists never crash, and either succeed or throw an explained error', () => {
    const s = open(b);
    const arb = fc.constantFrom(
      ...GARBAGE,
      ...validArgs('trainChunk'),
      ...validArgs('sample'),
      1,
      2,
      3,
      'sum',
      'mean',
      'adam',
    );
    fc.assert(
      fc.property(fc.constantFrom(...METHODS), fc.array(arb, { maxLength: 9 }), (m, args) => {
        try {
          const r = s[m](...args);
          if (r instanceof Promise)
            return r.then(
              () => true,
              () => true,
            ) as unknown as boolean;
        } catch (err) {
          expect(err).toBeInstanceOf(Error);
          expect((err as Error).message).toMatch(/^Expected |model is busy/);
        }
        return true;
      }),
      { numRuns: 3000, seed: 42 },
    );
  });
});

describe.runIf(binding === undefined)('native boundary (addon missing)', () => {
  it('is skipped with a note', () => {
    console.log(`native addon unavailable: ${error?.message}`);
  });
});

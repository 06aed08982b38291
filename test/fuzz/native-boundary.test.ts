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

/** The vanilla model's leading constructor arguments: cell, activation, vocabSize, hiddenSizes, embeddingSize, dropout. */
const vanillaConfig = (h: unknown = Int32Array.of(H), v: unknown = V): unknown[] => [
  'rnn',
  'tanh',
  v,
  h,
  0,
  0,
];

function open(b: NativeBinding, a = arenas()): RawSession {
  return new b.Session(
    'rnn',
    'tanh',
    V,
    Int32Array.of(H),
    0,
    0,
    a.params,
    a.grads,
    a.optState,
  ) as unknown as RawSession;
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
    case 'stepBatch':
      return [new Float32Array(3 * H), Int32Array.of(1, 2, 0), new Float32Array(3 * V), 1];
    case 'sample':
      return [new Float32Array(H), Int32Array.from([1, 2]), 5, 0.9, false, Uint32Array.from([1, 2, 3, 4])];
    default:
      throw new Error(method);
  }
}

/** What a call throws synchronously (undefined when it returns). */
function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (err) {
    return err;
  }
  return undefined;
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

const METHODS = [
  'gradient',
  'trainChunk',
  'trainChunkAsync',
  'evaluate',
  'step',
  'stepBatch',
  'sample',
] as const;

// A valid non-vanilla config (cell, activation, vocabSize, hiddenSizes, embeddingSize, dropout) and bad ones: each
// is refused by layout() and the Session constructor with the same message as resolveModelConfig gives.
const GOOD_CONFIG: unknown[] = ['gru', 'tanh', V, Int32Array.of(4, 3), 2, 0.1];
const BAD_CONFIGS: [unknown[], ErrorConstructor, string][] = [
  [
    ['cnn', 'tanh', V, Int32Array.of(4), 0, 0],
    RangeError,
    `Expected one of 'rnn', 'lstm', 'gru' for cell but received "cnn"`,
  ],
  [
    [3, 'tanh', V, Int32Array.of(4), 0, 0],
    TypeError,
    `Expected one of 'rnn', 'lstm', 'gru' for cell but received 3`,
  ],
  [
    ['rnn', 'gelu', V, Int32Array.of(4), 0, 0],
    RangeError,
    `Expected one of 'tanh', 'relu' for activation but received "gelu"`,
  ],
  [
    ['lstm', 'relu', V, Int32Array.of(4), 0, 0],
    RangeError,
    `Expected 'tanh' for cell 'lstm' for activation but received "relu". HINT: activation applies to cell 'rnn' only`,
  ],
  [
    ['gru', 'tanh', 1, Int32Array.of(4), 0, 0],
    RangeError,
    'Expected an integer in [2, 1048576] for vocabSize but received 1',
  ],
  [
    ['gru', 'tanh', 2 ** 21, Int32Array.of(4), 0, 0],
    RangeError,
    'Expected an integer in [2, 1048576] for vocabSize but received 2097152',
  ],
  [
    ['gru', 'tanh', NaN, Int32Array.of(4), 0, 0],
    RangeError,
    'Expected an integer in [2, 1048576] for vocabSize but received NaN',
  ],
  [
    ['gru', 'tanh', V, [4, 3], 0, 0],
    TypeError,
    'Expected an Int32Array for hiddenSizes but received an array of length 2',
  ],
  [
    ['gru', 'tanh', V, new Int32Array(0), 0, 0],
    RangeError,
    'Expected an Int32Array of length in [1, 64] (one width per layer) for hiddenSizes but received a Int32Array of length 0',
  ],
  [
    ['gru', 'tanh', V, new Int32Array(65).fill(2), 0, 0],
    RangeError,
    'Expected an Int32Array of length in [1, 64] (one width per layer) for hiddenSizes but received a Int32Array of length 65',
  ],
  [
    ['gru', 'tanh', V, Int32Array.of(4, 0), 0, 0],
    RangeError,
    'Expected an integer in [1, 16384] for hiddenSizes[1] but received 0',
  ],
  [
    ['gru', 'tanh', V, Int32Array.of(4, -7), 0, 0],
    RangeError,
    'Expected an integer in [1, 16384] for hiddenSizes[1] but received -7',
  ],
  [
    ['gru', 'tanh', V, Int32Array.of(4), -1, 0],
    RangeError,
    'Expected an integer in [0, 16384] for embeddingSize but received -1',
  ],
  [
    ['gru', 'tanh', V, Int32Array.of(4), 16385, 0],
    RangeError,
    'Expected an integer in [0, 16384] for embeddingSize but received 16385',
  ],
  [
    ['gru', 'tanh', V, Int32Array.of(4), 2.5, 0],
    RangeError,
    'Expected an integer in [0, 16384] for embeddingSize but received 2.5',
  ],
  [
    ['gru', 'tanh', V, Int32Array.of(4), 0, 1],
    RangeError,
    'Expected a number in [0, 1) for dropout but received 1',
  ],
  [
    ['gru', 'tanh', V, Int32Array.of(4), 0, -0.1],
    RangeError,
    'Expected a number in [0, 1) for dropout but received -0.1',
  ],
  [
    ['gru', 'tanh', V, Int32Array.of(4), 0, NaN],
    RangeError,
    'Expected a number in [0, 1) for dropout but received NaN',
  ],
  [
    ['gru', 'tanh', V, Int32Array.of(4), 0, Infinity],
    RangeError,
    'Expected a number in [0, 1) for dropout but received Infinity',
  ],
  [
    ['gru', 'tanh', V, Int32Array.of(4), 0, '0.5'],
    TypeError,
    'Expected a number in [0, 1) for dropout but received "0.5"',
  ],
];

/** Valid arguments of a one-stream method of a stacked session whose one-stream state has `width` floats. */
function stackedArgs(method: string, width: number): unknown[] {
  switch (method) {
    case 'evaluate':
      return [Int32Array.from([1, 2, 3, 4]), new Float32Array(width)];
    case 'step':
      return [new Float32Array(width), 3, new Float32Array(V), 1];
    case 'stepBatch':
      return [new Float32Array(2 * width), Int32Array.of(3, 1), new Float32Array(2 * V), 1];
    case 'sample':
      return [
        new Float32Array(width),
        Int32Array.from([1, 2]),
        5,
        0.9,
        false,
        Uint32Array.from([1, 2, 3, 4]),
      ];
    default:
      throw new Error(method);
  }
}

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
    expectThrow(
      () => raw.setIsa(),
      TypeError,
      /^Expected one of 'avx512', 'avx2', 'scalar'|^Expected one of 'avx2', 'scalar'|^Expected one of 'scalar'/,
    );
    expectThrow(() => raw.setIsa(5), TypeError, /for isa but received 5$/);
    expectThrow(() => raw.setIsa('neon-x'), RangeError, /for isa but received "neon-x"$/);
    expect(b.setIsa('scalar')).toBe('scalar');
    expect(b.capabilities().simdForced).toBe(true);
    expectThrow(() => raw.layout(), TypeError, 'Expected 6 arguments for layout but received 0');
    expect(raw.layout(...vanillaConfig())).toEqual({
      tensors: [
        { name: 'Wxh', offset: 0, size: H * V },
        { name: 'Whh', offset: H * V, size: H * H },
        { name: 'bh', offset: H * V + H * H, size: H },
        { name: 'Why', offset: H * V + H * H + H, size: V * H },
        { name: 'by', offset: H * V + H * H + H + V * H, size: V },
      ],
      size: P,
      stateSize: H,
    });
    for (const [config, kind, message] of BAD_CONFIGS)
      expectThrow(() => raw.layout(...config), kind, message);
    for (let pos = 0; pos < 6; pos++)
      for (const g of GARBAGE) {
        const config = [...GOOD_CONFIG];
        config[pos] = g;
        if ((pos === 4 || pos === 5) && (g === 0 || Object.is(g, -0))) continue; // valid: E 0, dropout 0
        expect(() => raw.layout(...config), `layout arg ${pos} = ${String(g)}`).toThrow(/^Expected /);
      }
  });

  it('Session construction rejects garbage', () => {
    const a = arenas();
    const ok = (...over: [number, unknown][]) => {
      const args: unknown[] = [...vanillaConfig(), a.params, a.grads, a.optState];
      for (const [i, v] of over) args[i] = v;
      return args;
    };
    expectThrow(() => (b.Session as unknown as Fn)(...ok()), TypeError, /without 'new'/);
    expectThrow(() => new Session(), TypeError, 'Expected 9 arguments for Session but received 0');
    expectThrow(
      () => new Session(...ok().slice(0, 8)),
      TypeError,
      'Expected 9 arguments for Session but received 8',
    );
    expectThrow(
      () => new Session(...ok([6, new Float32Array(12)])),
      RangeError,
      `Expected a Float32Array of length ${P} for params but received a Float32Array of length 12`,
    );
    expectThrow(
      () => new Session(...ok([6, new Float64Array(P)])),
      TypeError,
      `Expected a Float32Array for params but received a Float64Array of length ${P}`,
    );
    expectThrow(
      () => new Session(...ok([7, [1, 2]])),
      TypeError,
      'Expected a Float32Array for grads but received an array of length 2',
    );
    expectThrow(
      () => new Session(...ok([8, new Float32Array(P - 1)])),
      RangeError,
      `Expected a Float32Array of length ≥ ${P} for optState but received a Float32Array of length ${P - 1}`,
    );
    const shared = new Float32Array(3 * P);
    expectThrow(
      () =>
        new Session(
          ...ok(
            [6, shared.subarray(0, P)],
            [7, shared.subarray(P / 2, P / 2 + P)],
            [8, shared.subarray(2 * P)],
          ),
        ),
      RangeError,
      /disjoint/,
    );
    expectThrow(() => new Session(...ok([6, detached(arenas().params)])), TypeError, /detached Float32Array/);
    expectThrow(
      () => new Session(...ok([3, detached(Int32Array.of(H))])),
      TypeError,
      /for hiddenSizes but received a detached Int32Array/,
    );
    for (const h of [0, -1, 1e9, 16385])
      expectThrow(
        () => new Session(...ok([3, Int32Array.of(h)])),
        RangeError,
        `Expected an integer in [1, 16384] for hiddenSizes[0] but received ${h}`,
      );
    for (const [config, kind, message] of BAD_CONFIGS)
      expectThrow(() => new Session(...config, a.params, a.grads, a.optState), kind, message);
    // every garbage value in every position
    for (let pos = 0; pos < 9; pos++)
      for (const g of GARBAGE) {
        if ((pos === 4 || pos === 5) && (g === 0 || Object.is(g, -0))) continue; // valid: E 0, dropout 0
        expect(() => new Session(...ok([pos, g])), `Session arg ${pos} = ${String(g)}`).toThrow(/^Expected /);
      }
  });

  it('stacked sessions: arenas sized by the native layout; state, ids, rngState and hyper checked on every path', async () => {
    // 2-layer LSTM (widths 4, 3), embedding 3, dropout 0.5: P and the state size come from the PyTorch layout
    const E = 3;
    const hs = Int32Array.of(4, 3);
    const lstmP = V * E + (16 * E + 16 * 4 + 32) + (12 * 4 + 12 * 3 + 24) + (V * 3 + V);
    const lstmState = 2 * (4 + 3);
    const config = ['lstm', 'tanh', V, hs, E, 0.5];
    expect(raw.layout(...config)).toMatchObject({ size: lstmP, stateSize: lstmState });
    const a = {
      params: new Float32Array(lstmP).map((_, i) => Math.cos(i) * 0.2),
      grads: new Float32Array(lstmP),
      optState: new Float32Array(2 * lstmP),
    };
    expectThrow(
      () => new Session(...config, new Float32Array(P), a.grads, a.optState),
      RangeError,
      `Expected a Float32Array of length ${lstmP} for params but received a Float32Array of length ${P}`,
    );
    const s = new Session(...config, a.params, a.grads, a.optState);
    const B = 2;
    const T = 3;
    const ids = () => Int32Array.from({ length: B * T }, (_, i) => (i * 3) % V);
    const rng = () => Uint32Array.of(1, 2, 3, 4);
    const hyper = () => Float64Array.from([2e-3, 0, 0.9, 0.999, 1e-8, 0, 0, 5, 1]);
    const grad = (over: Record<number, unknown> = {}) => {
      const args: unknown[] = [ids(), ids(), new Float32Array(B * lstmState), B, T, 'mean', rng()];
      for (const [k, v] of Object.entries(over)) args[Number(k)] = v;
      return args;
    };
    const train = (over: Record<number, unknown> = {}) => {
      const args: unknown[] = [
        ids(),
        ids(),
        new Float32Array(B * lstmState),
        B,
        T,
        'mean',
        'adam',
        hyper(),
        rng(),
      ];
      for (const [k, v] of Object.entries(over)) args[Number(k)] = v;
      return args;
    };
    // valid calls work and advance the mask stream in place
    const r = rng();
    expect(typeof s.gradient(...grad({ 6: r }))).toBe('number');
    expect(Array.from(r)).not.toEqual([1, 2, 3, 4]);
    expect(s.trainChunk(...train())).toEqual({ loss: expect.any(Number), gradNorm: expect.any(Number) });
    // the state is stateSize(B) = B·Σ(h, c) floats, not B·H
    expectThrow(
      () => s.gradient(...grad({ 2: new Float32Array(B * 3) })),
      RangeError,
      `Expected a Float32Array of length ${B * lstmState} for hidden but received a Float32Array of length ${B * 3}`,
    );
    expectThrow(
      () => s.gradient(...grad({ 0: Int32Array.from([0, 1, 2, 3, 4, V]) })),
      RangeError,
      `Expected token ids in [0, ${V - 1}] for inputs but received ${V} at index 5`,
    );
    expectThrow(
      () => s.gradient(...grad({ 3: 2 ** 26 })),
      RangeError,
      `Expected batch × steps × max(hiddenSize, vocabSize) ≤ 536870912 but received 67108864 × 3 × ${4 * 4}`,
    );
    // dropout > 0: the mask stream is required, on every training path
    const rngMessage = (got: string) =>
      `Expected a Uint32Array of length 4 for rngState but received ${got}. HINT: dropout > 0 needs a seeded mask stream`;
    for (const [bad, got] of [
      [undefined, 'undefined'],
      [new Uint32Array(3), 'a Uint32Array of length 3'],
      [new Int32Array(4), 'a Int32Array of length 4'],
      [[1, 2, 3, 4], 'an array of length 4'],
      [null, 'null'],
    ] as const) {
      expectThrow(() => s.gradient(...grad({ 6: bad })), TypeError, rngMessage(got));
      expectThrow(() => s.trainChunk(...train({ 8: bad })), TypeError, rngMessage(got));
      expectThrow(() => s.trainChunkAsync(...train({ 8: bad })), TypeError, rngMessage(got));
    }
    expectThrow(() => s.gradient(...grad().slice(0, 6)), TypeError, rngMessage('undefined'));
    expectThrow(
      () => s.gradient(...grad({ 6: detached(rng()) })),
      TypeError,
      /for rngState but received a detached/,
    );
    // NaN / out-of-range hyper-parameters
    for (const [i, v, name] of [
      [0, NaN, 'lr'],
      [3, 1, 'beta2'],
      [4, -1, 'eps'],
      [7, NaN, 'clipNorm'],
      [8, 0.5, 'step'],
    ] as const) {
      const h = hyper();
      h[i] = v;
      expectThrow(
        () => s.trainChunk(...train({ 7: h })),
        RangeError,
        new RegExp(`for ${name} but received ${v}$`),
      );
    }
    // one-stream calls: the state of one stream is Σ(h, c) floats
    expect(s.evaluate(Int32Array.from([1, 2, 3]), new Float32Array(lstmState))).toEqual({
      totalNats: expect.any(Number),
      count: 2,
    });
    expectThrow(
      () => s.evaluate(Int32Array.from([1, 2, 3]), new Float32Array(4)),
      RangeError,
      `Expected a Float32Array of length ${lstmState} for hidden but received a Float32Array of length 4`,
    );
    expectThrow(
      () => s.step(new Float32Array(7), 1, new Float32Array(V), 1),
      RangeError,
      `Expected a Float32Array of length ${lstmState} for hidden but received a Float32Array of length 7`,
    );
    expect(s.step(new Float32Array(lstmState), 1, new Float32Array(V), 1)).toBeUndefined();
    expect(s.sample(...stackedArgs('sample', lstmState))).toBeInstanceOf(Int32Array);
    expectThrow(
      () => s.sample(new Float32Array(V), Int32Array.of(1), 5, 1, false, Uint32Array.of(5, 6, 7, 8)),
      RangeError,
      `Expected a Float32Array of length ${lstmState} for hidden but received a Float32Array of length ${V}`,
    );
    // a model without dropout ignores whatever is passed as rngState
    const gruP = (raw.layout('gru', 'tanh', V, hs, 0, 0) as { size: number }).size;
    const noDrop = new Session(
      'gru',
      'tanh',
      V,
      hs,
      0,
      0,
      new Float32Array(gruP),
      new Float32Array(gruP),
      new Float32Array(gruP),
    );
    for (const junk of [undefined, 'x', new Uint32Array(2)])
      expect(typeof noDrop.gradient(ids(), ids(), new Float32Array(B * 7), B, T, 'sum', junk)).toBe('number');
    // garbage in every position of every method of the stacked session
    const valid = (m: string) =>
      m === 'gradient'
        ? grad()
        : m === 'trainChunk' || m === 'trainChunkAsync'
          ? train()
          : stackedArgs(m, lstmState);
    for (const m of METHODS)
      for (let pos = 0; pos < valid(m).length; pos++)
        for (const bad of GARBAGE) {
          const args = valid(m);
          args[pos] = bad;
          let threw: unknown;
          try {
            const res = s[m](...args);
            if (res instanceof Promise) await res; // valid here (e.g. a zero Uint32Array(4) as rngState)
          } catch (err) {
            threw = err;
          }
          // Some garbage is valid in some positions (0 for a token, true for greedy, …); the rest must throw.
          if (threw !== undefined) {
            expect(threw, `${m} arg ${pos} = ${String(bad)}`).toBeInstanceOf(Error);
            expect((threw as Error).message, `${m} arg ${pos} = ${String(bad)}`).toMatch(/^Expected /);
          }
        }
    // the mask stream is copied for an async chunk; detaching it mid-run rejects (it cannot be written back)
    const streamed = rng();
    const pending = s.trainChunkAsync(...train({ 8: streamed })) as Promise<unknown>;
    detached(streamed);
    await expect(pending).rejects.toThrow(/its rngState Uint32Array was detached or resized while it ran/);
    const after = rng();
    await s.trainChunkAsync(...train({ 8: after }));
    expect(Array.from(after)).not.toEqual([1, 2, 3, 4]); // written back
    // non-finite weights flow through as NaN; sampling falls back to token 0
    a.params.fill(NaN);
    expect(Number.isNaN(s.gradient(...grad()))).toBe(true);
    expect(Array.from(s.sample(...stackedArgs('sample', lstmState)) as Int32Array)).toEqual([0, 0, 0, 0, 0]);
    a.params.fill(Infinity);
    expect(() => s.trainChunk(...train())).not.toThrow();
    await expect(s.trainChunkAsync(...train())).resolves.toEqual({
      loss: expect.any(Number),
      gradNorm: expect.any(Number),
    });
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
    // The generation options (banned ids, repetition penalty, window, top-k, top-p): all five or none.
    const ok = [Int32Array.of(1), 1.5, 4, 3, 0.9];
    expect(s.sample(...sa({}), ...ok)).toBeInstanceOf(Int32Array);
    expectThrow(
      () => s.sample(...sa({}), Int32Array.of(1)),
      TypeError,
      'Expected 11 arguments for sample with generation options but received 7',
    );
    const bad: [number, unknown, ErrorConstructor, string | RegExp][] = [
      [0, Int32Array.of(9), RangeError, 'Expected token ids in [0, 6] for banned but received 9 at index 0'],
      [0, [1], TypeError, /for banned/],
      [1, 0.5, RangeError, 'Expected a finite number ≥ 1 for repetitionPenalty but received 0.5'],
      [1, NaN, RangeError, /for repetitionPenalty but received NaN/],
      [2, 0, RangeError, /for repetitionWindow but received 0/],
      [3, -1, RangeError, /for topK but received -1/],
      [3, 1.5, RangeError, /for topK but received 1.5/],
      [4, 0, RangeError, 'Expected a number in (0, 1] for topP but received 0'],
      [4, 1.01, RangeError, /for topP but received 1.01/],
      [4, 'x', TypeError, /for topP/],
    ];
    for (const [i, value, type, message] of bad) {
      const opts = [...ok];
      opts[i] = value as never;
      expectThrow(() => s.sample(...sa({}), ...opts), type, message);
    }
    // every token banned but one: only that one is ever picked
    const only = Int32Array.from({ length: V - 1 }, (_, i) => i + 1);
    expect(Array.from(s.sample(...sa({}), only, 1, 1, 0, 1) as Int32Array).every((t) => t === 0)).toBe(true);
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

  it('token ids that share memory with the state a call writes are read as they were when the call began', () => {
    // hidden (written mid-call: the carried state is stored before BPTT reads the ids again) and the ids are views
    // of one buffer. Whatever the state's float bits are as integers, no id may be used beyond its checked value.
    const lstmConfig = ['lstm', 'tanh', V, Int32Array.of(4, 3), 3, 0.5];
    const lstmP = (raw.layout(...lstmConfig) as { size: number }).size;
    const sessions: [RawSession, number][] = [
      [open(b), H],
      [
        new Session(
          ...lstmConfig,
          new Float32Array(lstmP).fill(0.3),
          new Float32Array(lstmP),
          new Float32Array(2 * lstmP),
        ),
        2 * 7,
      ],
    ];
    for (const [s, width] of sessions) {
      const B = 2;
      const T = 3;
      const buf = new ArrayBuffer(4 * Math.max(2 * B * T, B * width));
      const inputs = new Int32Array(buf, 0, B * T).map((_, i) => i % V);
      const targets = new Int32Array(buf, 4 * B * T, B * T).fill(1);
      const hidden = new Float32Array(buf, 0, B * width);
      const loss = s.gradient(inputs, targets, hidden, B, T, 'sum', Uint32Array.of(1, 2, 3, 4)) as number;
      expect(Number.isFinite(loss)).toBe(true);
      // sample: the prime ids share memory with the state written after every fed token
      const sbuf = new ArrayBuffer(4 * Math.max(width, 8));
      const prime = new Int32Array(sbuf, 0, 4).fill(2);
      const state = new Float32Array(sbuf, 0, width);
      const out = s.sample(state, prime, 5, 1, false, Uint32Array.of(1, 2, 3, 4)) as Int32Array;
      expect(out.every((id) => id >= 0 && id < V)).toBe(true);
    }
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
    for (const m of METHODS)
      expect(thrown(() => s[m](...validArgs(m)))).toMatchObject({ code: 'ERR_CHARRNN_DISPOSED' });
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
      'rnn',
      'tanh',
      V2,
      Int32Array.of(H2),
      0,
      0,
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
    const busy =
      'model is busy: an asynchronous call (trainChunkAsync or evaluateAsync) is still running; await it first';
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
    expect(thrown(() => s.evaluate(Int32Array.from([1, 2])))).toMatchObject({ code: 'ERR_CHARRNN_BUSY' });
    expect(thrown(() => s.gradient(ids, ids, hidden, B, T, 'mean'))).toMatchObject({
      code: 'ERR_CHARRNN_BUSY',
    });
    expect(thrown(() => s.dispose())).toMatchObject({ code: 'ERR_CHARRNN_BUSY' });
    expectThrow(
      () => b.setIsa('scalar'),
      Error,
      /while an asynchronous call \(trainChunkAsync or evaluateAsync\) is running/,
    );
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

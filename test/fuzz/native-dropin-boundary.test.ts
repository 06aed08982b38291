// Fuzzing the addon's drop-in functions (lossFun, gemm, gemv, axpy, dot; native/binding/dropin.cc): garbage in
// every argument position, short and detached arrays, huge sizes and strides, NaN data, overlapping views and
// random argument lists must come back as a TypeError / RangeError or a result, never a crash. The process
// surviving is the proof (vitest's forks pool: a crash fails the file). Run under ASan + UBSan by
// scripts/test-asan.sh.
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { loadNativeDropin } from '../../src/dropin/native.js';

const { dropin, reason } = loadNativeDropin();
if (!dropin && process.env.CI) throw new Error(`native drop-in functions missing: ${reason}`);

type Fn = (...args: unknown[]) => unknown;

const H = 5;
const V = 7;
const f32 = (n: number, v = 0.1) => new Float32Array(n).fill(v);

function detached<T extends ArrayBufferView>(view: T): T {
  structuredClone(view, { transfer: [view.buffer as ArrayBuffer] });
  return view;
}

function validArgs(fn: string): unknown[] {
  switch (fn) {
    case 'lossFun':
      return [
        Int32Array.from([1, 2, 3]),
        Int32Array.from([2, 3, 4]),
        f32(H),
        f32(H * V),
        f32(H * H),
        f32(V * H),
        f32(H),
        f32(V),
        f32(H * V),
        f32(H * H),
        f32(V * H),
        f32(H),
        f32(V),
        f32(H),
      ];
    case 'gemm':
      return [false, false, 3, 4, 5, f32(15), 5, f32(20), 4, f32(12), 4, false];
    case 'gemv':
      return [false, 3, 4, f32(12), 4, f32(4), f32(3), false];
    case 'axpy':
      return [0.5, f32(6), f32(6)];
    case 'dot':
      return [f32(6), f32(6)];
    default:
      throw new Error(fn);
  }
}

const FUNCTIONS = ['lossFun', 'gemm', 'gemv', 'axpy', 'dot'] as const;

const GARBAGE: unknown[] = [
  undefined,
  null,
  true,
  false,
  0,
  -1,
  1.5,
  NaN,
  Infinity,
  -Infinity,
  2 ** 31,
  2 ** 31 - 1,
  2 ** 53,
  -0,
  'x',
  '3',
  10n,
  Symbol('s'),
  {},
  { length: 10 },
  [1, 2, 3],
  () => 1,
  new ArrayBuffer(16),
  new DataView(new ArrayBuffer(8)),
  new Float64Array(8),
  new Float32Array(0),
  new Float32Array(1),
  new Float32Array(1000),
  new Float32Array(new SharedArrayBuffer(64)),
  new Int32Array(0),
  new Int32Array(3).fill(-1),
  Int32Array.from([2 ** 31 - 1, 0, 0]),
  new Uint32Array(4),
  new Uint8Array(16),
  Buffer.alloc(8),
];

/** Call; a throw must be a TypeError or RangeError whose message starts with "Expected" or names gemm. */
function survive(fn: () => unknown, label: string): void {
  try {
    fn();
  } catch (err) {
    expect(err, label).toBeInstanceOf(Error);
    expect(
      [TypeError, RangeError].some((k) => err instanceof k),
      `${label}: ${String(err)}`,
    ).toBe(true);
    expect((err as Error).message, label).toMatch(/^Expected |^gemm with transA and transB/);
  }
}

describe.runIf(dropin !== undefined)('native drop-in boundary', () => {
  const raw = dropin as unknown as Record<string, Fn>;

  it('valid calls work', () => {
    for (const fn of FUNCTIONS) expect(() => raw[fn](...validArgs(fn))).not.toThrow();
  });

  it('every garbage value in every argument position', () => {
    for (const fn of FUNCTIONS) {
      const n = validArgs(fn).length;
      for (let pos = 0; pos < n; pos++)
        for (const g of GARBAGE) {
          const args = validArgs(fn);
          args[pos] = g;
          survive(() => raw[fn](...args), `${fn} arg ${pos} = ${String(g)}`);
        }
      for (let k = 0; k < n; k++) {
        let err: unknown;
        try {
          raw[fn](...validArgs(fn).slice(0, k));
        } catch (e) {
          err = e;
        }
        expect(err, `${fn} with ${k} arguments`).toBeInstanceOf(TypeError);
        expect((err as Error).message).toMatch(
          new RegExp(`^Expected ${n} arguments? for ${fn} but received ${k}$`),
        );
      }
    }
  });

  it('detached buffers in every array position', () => {
    for (const fn of FUNCTIONS) {
      const template = validArgs(fn);
      template.forEach((v, pos) => {
        if (!ArrayBuffer.isView(v)) return;
        const args = validArgs(fn);
        args[pos] = detached(args[pos] as Float32Array);
        let err: unknown;
        try {
          raw[fn](...args);
        } catch (e) {
          err = e;
        }
        expect(err, `${fn} arg ${pos}`).toBeInstanceOf(TypeError);
        expect((err as Error).message).toMatch(/but received a detached (Float32|Int32)Array/);
      });
    }
  });

  it('huge sizes and strides with tiny arrays are rejected before any access', () => {
    const big = 2 ** 31 - 1;
    const cases: unknown[][] = [
      [false, false, big, big, big, f32(4), big, f32(4), big, f32(4), big, false],
      [false, false, big, 1, 1, f32(4), 1, f32(4), 1, f32(4), 1, false],
      [true, false, 2, 2, big, f32(4), 2, f32(4), 2, f32(4), 2, false],
      [false, true, 2, big, 2, f32(4), 2, f32(4), 2, f32(4), big, true],
      [false, false, 2, 2, 2, f32(4), big, f32(4), 2, f32(4), 2, false],
      [false, false, 2, 2, 2, f32(4), 2, f32(4), 2, f32(4), big, false],
      [false, false, 2, 2, 2, f32(4), 2 ** 32, f32(4), 2, f32(4), 2, false],
    ];
    for (const c of cases) survive(() => raw.gemm(...c), `gemm ${c.slice(2, 5).join('×')}`);
    for (const c of cases) expect(() => raw.gemm(...c)).toThrow(RangeError);
    expect(() => raw.gemv(false, big, big, f32(4), big, f32(4), f32(4), false)).toThrow(RangeError);
    expect(() => raw.gemv(true, 2, big, f32(4), big, f32(4), f32(4), false)).toThrow(RangeError);
    // Zero-sized products with huge other sizes are valid no-ops (nothing to read or write).
    expect(raw.gemm(false, false, big, 0, 0, f32(0), 0, f32(0), 0, f32(0), 0, false)).toBeUndefined();
    expect(raw.gemm(false, false, 0, big, 0, f32(0), 0, f32(0), big, f32(0), big, false)).toBeUndefined();
    // lossFun: a sequence too long for the scratch limit, and an oversize vocabulary.
    const V2 = 2 ** 16;
    const ids = new Int32Array(8193); // 8193 × 65536 > 2^29
    const a = [ids, ids, f32(H), f32(H * V2), f32(H * H), f32(V2 * H), f32(H), f32(V2)];
    a.push(f32(H * V2), f32(H * H), f32(V2 * H), f32(H), f32(V2), f32(H));
    expect(() => raw.lossFun(...a)).toThrow(
      'Expected inputs.length × max(H, V) ≤ 536870912 but received 8193 × 65536',
    );
    const b = validArgs('lossFun');
    b[7] = new Float32Array(2 ** 20 + 1);
    expect(() => raw.lossFun(...b)).toThrow(/for by but received a Float32Array of length 1048577/);
  });

  it('NaN and Infinity in the data propagate without throwing', () => {
    const a = validArgs('lossFun');
    (a[4] as Float32Array).fill(NaN);
    (a[7] as Float32Array)[0] = Infinity;
    expect(Number.isNaN(raw.lossFun(...a) as number)).toBe(true);
    const g = validArgs('gemm');
    (g[5] as Float32Array)[3] = NaN;
    raw.gemm(...g);
    expect(Number.isNaN((g[9] as Float32Array)[0])).toBe(true);
    expect(Number.isNaN(raw.dot(f32(3, NaN), f32(3)) as number)).toBe(true);
    raw.axpy(1e300, f32(3), f32(3)); // alpha beyond float range becomes ±Infinity, not undefined behaviour
    raw.axpy(-Infinity, f32(3), f32(3));
  });

  it('aliasing outputs are refused in every pairing', () => {
    const template = validArgs('lossFun');
    for (let out = 8; out < 14; out++)
      for (let other = 0; other < 14; other++) {
        if (other === out) continue;
        const args = validArgs('lossFun');
        const src = args[other] as ArrayBufferView;
        const n = (template[out] as Float32Array).length;
        // A Float32Array view over the other argument's buffer (same length as the output needs).
        const bytes = Math.max(src.byteLength, n * 4);
        const shared = new ArrayBuffer(bytes);
        const otherView =
          src instanceof Int32Array
            ? new Int32Array(shared, 0, src.length)
            : new Float32Array(shared, 0, (src as Float32Array).length);
        otherView.set(src as Float32Array & Int32Array);
        args[other] = otherView;
        args[out] = new Float32Array(shared, 0, n);
        const inPlace = out === 13 && other === 2; // hOut may be hprev itself
        if (inPlace) {
          expect(typeof raw.lossFun(...args)).toBe('number');
          continue;
        }
        let err: unknown;
        try {
          raw.lossFun(...args);
        } catch (e) {
          err = e;
        }
        expect(err, `output ${out} over argument ${other}`).toBeInstanceOf(RangeError);
        expect((err as Error).message).toMatch(/shares no memory with/);
      }
  });

  it('random argument lists (fast-check)', () => {
    const arr = fc.oneof(
      fc.integer({ min: 0, max: 64 }).map((n) => new Float32Array(n).fill(0.5)),
      fc.integer({ min: 0, max: 8 }).map((n) => new Int32Array(n).fill(1)),
      fc.constantFrom(undefined, null, 0, 1, -1, NaN, 2 ** 31, 'x', true, false, {}),
      fc.integer({ min: -2, max: 70 }),
    );
    for (const fn of FUNCTIONS) {
      const n = validArgs(fn).length;
      fc.assert(
        fc.property(fc.array(arr, { minLength: 0, maxLength: n + 1 }), (args) => {
          survive(() => raw[fn](...args), fn);
        }),
        { numRuns: 400, seed: 7 },
      );
      // Valid-typed arguments with random small sizes and strides: must either work or be refused.
      if (fn === 'gemm' || fn === 'gemv')
        fc.assert(
          fc.property(
            fc.array(fc.integer({ min: 0, max: 9 }), { minLength: 12, maxLength: 12 }),
            fc.boolean(),
            fc.boolean(),
            (d, ta, tb) => {
              if (fn === 'gemm')
                survive(
                  () =>
                    raw.gemm(
                      ta,
                      tb,
                      d[0],
                      d[1],
                      d[2],
                      f32(d[3] * 3),
                      d[4],
                      f32(d[5] * 3),
                      d[6],
                      f32(d[7] * 3),
                      d[8],
                      tb,
                    ),
                  'gemm sizes',
                );
              else
                survive(
                  () => raw.gemv(ta, d[0], d[1], f32(d[2] * 3), d[3], f32(d[4]), f32(d[5]), tb),
                  'gemv sizes',
                );
            },
          ),
          { numRuns: 1500, seed: 11 },
        );
    }
  });
});

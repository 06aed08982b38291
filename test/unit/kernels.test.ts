// The BLAS-style exports (src/dropin/kernels.ts): gemm (NN, NT, TN), gemv (N, T), axpy and dot against naive float64
// references over random shapes (0, 1, odd, blocked sizes) and row strides, on the TypeScript fallback and on
// every native kernel path this machine supports; then every kind of bad shape, at both doors.
import { afterAll, describe, expect, it } from 'vitest';
import { axpy, dot, gemm, gemv } from '../../src/dropin/kernels.js';
import { loadNative } from '../../src/backends/native.js';
import { loadNativeDropin } from '../../src/dropin/native.js';
import { Rng } from '../../src/util/rng.js';

const { binding } = loadNative();
const { dropin, reason } = loadNativeDropin();
if (!dropin && process.env.CI) throw new Error(`native drop-in functions missing: ${reason}`);
const isas = binding && dropin ? binding.capabilities().supported : [];
const PATHS = ['js', ...isas.map((i) => `native:${i}`)];

afterAll(() => {
  if (binding && isas.length > 0) binding.setIsa(isas[0]);
});

const SENTINEL = 1234.5;

function filled(n: number, rng: Rng): Float32Array {
  return Float32Array.from({ length: n }, () => rng.nextFloat() * 2 - 1);
}

/** Storage for a rows × cols matrix with stride ld; the gaps between rows hold SENTINEL. */
function stored(rows: number, cols: number, ld: number, rng: Rng, extra = 0): Float32Array {
  const need = rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
  const a = new Float32Array(need + extra).fill(SENTINEL);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) a[r * ld + c] = rng.nextFloat() * 2 - 1;
  return a;
}

// Float32 accumulation of K products: |error| ≤ K·2⁻²⁴·Σ|a·b| in the worst case (blocked sums do better);
// (K + 2)·1.2e-7 relative to Σ|a·b| + |C_old| covers it with the final rounding and the accumulate add.
function tolerance(K: number, absSum: number): number {
  return (K + 2) * 1.2e-7 * absSum + 1e-30;
}

type Form = 'NN' | 'NT' | 'TN';
const SIZES = [0, 1, 2, 3, 5, 7, 8, 9, 16, 17, 33];

describe.each(PATHS)('kernels on %s', (path) => {
  const backend = path === 'js' ? ('js' as const) : ('native' as const);
  const setPath = () => {
    if (path !== 'js') binding!.setIsa(path.slice('native:'.length));
  };

  it.each(['NN', 'NT', 'TN'] as Form[])(
    'gemm %s matches the float64 reference over random shapes',
    (form) => {
      setPath();
      const rng = new Rng(form.charCodeAt(0) * 31 + form.charCodeAt(1));
      const ta = form === 'TN';
      const tb = form === 'NT';
      const shapes: [number, number, number][] = [
        [0, 3, 4],
        [3, 0, 4],
        [3, 4, 0],
        [1, 1, 1],
        [1, 17, 9],
        [9, 1, 17],
        [65, 100, 25], // packed path (M·N·K > 512), K below one KC block
        [13, 37, 300], // K spans two KC blocks
        [150, 19, 7], // M spans two MC blocks
      ];
      for (let i = 0; i < 30; i++)
        shapes.push([0, 1, 2].map(() => SIZES[rng.nextU32() % SIZES.length]) as [number, number, number]);
      for (const [M, N, K] of shapes) {
        for (const accumulate of [false, true]) {
          const pad = () => [0, 1, 3][rng.nextU32() % 3];
          const [ar, ac] = ta ? [K, M] : [M, K];
          const [br, bc] = tb ? [N, K] : [K, N];
          const lda = ac + pad();
          const ldb = bc + pad();
          const ldc = N + pad();
          const A = stored(ar, ac, lda, rng);
          const B = stored(br, bc, ldb, rng);
          const C = stored(M, N, ldc, rng, 2);
          const before = C.slice();
          gemm(ta, tb, M, N, K, A, B, C, { lda, ldb, ldc, accumulate, backend });
          const a = (i: number, k: number) => (ta ? A[k * lda + i] : A[i * lda + k]);
          const b = (k: number, j: number) => (tb ? B[j * ldb + k] : B[k * ldb + j]);
          let worst = 0;
          for (let i = 0; i < M; i++)
            for (let j = 0; j < N; j++) {
              let s = 0;
              let abs = 0;
              for (let k = 0; k < K; k++) {
                s += a(i, k) * b(k, j);
                abs += Math.abs(a(i, k) * b(k, j));
              }
              const old = before[i * ldc + j];
              const ref = accumulate ? old + s : s;
              const err =
                Math.abs(C[i * ldc + j] - ref) / tolerance(K, abs + (accumulate ? Math.abs(old) : 0));
              worst = Math.max(worst, err);
            }
          expect(worst, `${form} M=${M} N=${N} K=${K} acc=${accumulate}: worst/tolerance`).toBeLessThan(1);
          // Row gaps and the slack after C are untouched.
          for (let i = 0; i < C.length; i++) {
            const inside = Math.floor(i / ldc) < M && i % ldc < N;
            if (!inside) expect(C[i], `${form} C[${i}] outside the matrix`).toBe(before[i]);
          }
        }
      }
    },
  );

  it('gemm with default strides, and K = 0 zeroes C unless accumulating', () => {
    setPath();
    const A = Float32Array.from([1, 2, 3, 4, 5, 6]); // [2,3]
    const B = Float32Array.from([1, 0, 0, 1, 1, 1]); // [3,2]
    const C = new Float32Array(4);
    gemm(false, false, 2, 2, 3, A, B, C, { backend });
    expect([...C]).toEqual([4, 5, 10, 11]);
    gemm(false, false, 2, 2, 3, A, B, C, { backend, accumulate: true });
    expect([...C]).toEqual([8, 10, 20, 22]);
    gemm(true, false, 2, 2, 3, Float32Array.from([1, 4, 2, 5, 3, 6]), B, C, { backend }); // Aᵀ stored [3,2]
    expect([...C]).toEqual([4, 5, 10, 11]);
    gemm(false, true, 2, 2, 3, A, Float32Array.from([1, 0, 1, 0, 1, 1]), C, { backend }); // B stored [2,3]
    expect([...C]).toEqual([4, 5, 10, 11]);
    const Z = new Float32Array(4).fill(7);
    gemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), Z, { backend, accumulate: true });
    expect([...Z]).toEqual([7, 7, 7, 7]);
    gemm(false, false, 2, 2, 0, new Float32Array(0), new Float32Array(0), Z, { backend });
    expect([...Z]).toEqual([0, 0, 0, 0]);
  });

  it('gemv N and T match the float64 reference over random shapes and strides', () => {
    setPath();
    const rng = new Rng(77);
    const shapes: [number, number][] = [
      [0, 4],
      [4, 0],
      [1, 1],
      [100, 65],
      [65, 100],
    ];
    for (let i = 0; i < 30; i++) shapes.push([SIZES[rng.nextU32() % 11], SIZES[rng.nextU32() % 11]]);
    for (const [M, N] of shapes)
      for (const trans of [false, true])
        for (const accumulate of [false, true]) {
          const lda = N + [0, 1, 4][rng.nextU32() % 3];
          const A = stored(M, N, lda, rng);
          const nIn = trans ? M : N;
          const nOut = trans ? N : M;
          const x = filled(nIn + 1, rng); // one spare element: must be ignored
          const y = filled(nOut + 1, rng);
          const before = y.slice();
          gemv(trans, M, N, A, x, y, { lda, accumulate, backend });
          for (let r = 0; r < nOut; r++) {
            let s = 0;
            let abs = 0;
            for (let c = 0; c < nIn; c++) {
              const t = (trans ? A[c * lda + r] : A[r * lda + c]) * x[c];
              s += t;
              abs += Math.abs(t);
            }
            const ref = accumulate ? before[r] + s : s;
            const tol = tolerance(nIn, abs + (accumulate ? Math.abs(before[r]) : 0));
            expect(Math.abs(y[r] - ref), `gemv trans=${trans} M=${M} N=${N} row ${r}`).toBeLessThanOrEqual(
              tol,
            );
          }
          expect(y[nOut]).toBe(before[nOut]);
        }
  });

  it('axpy and dot match the float64 reference (lengths 0 … 1000)', () => {
    setPath();
    const rng = new Rng(5);
    for (const n of [0, 1, 3, 7, 8, 9, 31, 32, 33, 100, 1000]) {
      const x = filled(n, rng);
      const y = filled(n, rng);
      let s = 0;
      let abs = 0;
      for (let i = 0; i < n; i++) {
        s += x[i] * y[i];
        abs += Math.abs(x[i] * y[i]);
      }
      expect(Math.abs(dot(x, y, { backend }) - s), `dot n=${n}`).toBeLessThanOrEqual(tolerance(n, abs));
      const before = y.slice();
      axpy(-0.75, x, y, { backend });
      for (let i = 0; i < n; i++) {
        const ref = before[i] - 0.75 * x[i];
        expect(Math.abs(y[i] - ref), `axpy n=${n} at ${i}`).toBeLessThanOrEqual(
          3 * 1.2e-7 * (Math.abs(before[i]) + Math.abs(0.75 * x[i])),
        );
      }
    }
    const nan = Float32Array.from([1, NaN, 2]);
    expect(Number.isNaN(dot(nan, Float32Array.from([1, 1, 1]), { backend }))).toBe(true);
    const y = Float32Array.from([1, 1, 1]);
    axpy(NaN, Float32Array.from([1, 2, 3]), y, { backend });
    expect(y.every(Number.isNaN)).toBe(true);
  });
});

// ---------------------------------------------------------------------------------------------------------

function caught(fn: () => unknown): Error {
  try {
    fn();
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a throw');
}

describe('kernels reject bad shapes with a precise error', () => {
  const f = (n: number) => new Float32Array(n);
  const cases: [string, () => unknown, ErrorConstructor, string][] = [
    [
      'TT gemm',
      () => gemm(true, true, 2, 2, 2, f(4), f(4), f(4)),
      RangeError,
      'gemm with transA and transB both true (C = Aᵀ·Bᵀ) is not supported. HINT: compute Cᵀ = B·A with gemm(false, false, N, M, K, B, A, Cᵀ)',
    ],
    [
      'a non-boolean transA',
      () => gemm(1 as unknown as boolean, false, 2, 2, 2, f(4), f(4), f(4)),
      TypeError,
      'Expected a boolean for transA but received 1',
    ],
    [
      'a negative M',
      () => gemm(false, false, -1, 2, 2, f(4), f(4), f(4)),
      RangeError,
      'Expected an integer in [0, 2147483647] for M but received -1',
    ],
    [
      'a fractional K',
      () => gemm(false, false, 2, 2, 1.5, f(4), f(4), f(4)),
      RangeError,
      'Expected an integer in [0, 2147483647] for K but received 1.5',
    ],
    [
      'a string N',
      () => gemm(false, false, 2, '2' as unknown as number, 2, f(4), f(4), f(4)),
      TypeError,
      'Expected an integer in [0, 2147483647] for N but received "2"',
    ],
    [
      'an N of 2^31',
      () => gemm(false, false, 2, 2 ** 31, 0, f(0), f(0), f(4)),
      RangeError,
      'Expected an integer in [0, 2147483647] for N but received 2147483648',
    ],
    [
      'lda below the row width of A',
      () => gemm(false, false, 2, 2, 3, f(6), f(6), f(4), { lda: 2 }),
      RangeError,
      'Expected an integer ≥ 3 (the row width of A) for lda but received 2',
    ],
    [
      'ldb below the row width of a transposed B',
      () => gemm(false, true, 2, 2, 3, f(6), f(6), f(4), { ldb: 2 }),
      RangeError,
      'Expected an integer ≥ 3 (the row width of B) for ldb but received 2',
    ],
    [
      'A too short for its stride',
      () => gemm(false, false, 2, 2, 3, f(6), f(6), f(4), { lda: 4 }),
      RangeError,
      'Expected a Float32Array of length ≥ 7 (2 rows × 3 columns, lda 4) for A but received a Float32Array of length 6',
    ],
    [
      'B too short (TN stores A as [K, M], B as [K, N])',
      () => gemm(true, false, 2, 3, 4, f(8), f(11), f(6)),
      RangeError,
      'Expected a Float32Array of length ≥ 12 (4 rows × 3 columns, ldb 3) for B but received a Float32Array of length 11',
    ],
    [
      'C too short',
      () => gemm(false, false, 3, 2, 1, f(3), f(2), f(5)),
      RangeError,
      'Expected a Float32Array of length ≥ 6 (3 rows × 2 columns, ldc 2) for C but received a Float32Array of length 5',
    ],
    [
      'C a Float64Array',
      () => gemm(false, false, 1, 1, 1, f(1), f(1), new Float64Array(1) as unknown as Float32Array),
      TypeError,
      'Expected a Float32Array for C but received a Float64Array of length 1',
    ],
    [
      'C overlapping A',
      () => {
        const buf = f(10);
        return gemm(false, false, 2, 2, 2, buf.subarray(0, 4), f(4), buf.subarray(3, 7));
      },
      RangeError,
      'Expected a Float32Array that shares no memory with A for C but received a Float32Array of length 4 overlapping it',
    ],
    [
      'a non-boolean accumulate',
      () => gemm(false, false, 1, 1, 1, f(1), f(1), f(1), { accumulate: 'yes' as unknown as boolean }),
      TypeError,
      'Expected a boolean for accumulate but received "yes"',
    ],
    [
      'gemv x too short',
      () => gemv(false, 3, 4, f(12), f(3), f(3)),
      RangeError,
      'Expected a Float32Array of length ≥ 4 for x but received a Float32Array of length 3',
    ],
    [
      'gemv y too short (trans)',
      () => gemv(true, 3, 4, f(12), f(3), f(3)),
      RangeError,
      'Expected a Float32Array of length ≥ 4 for y but received a Float32Array of length 3',
    ],
    [
      'gemv lda below N',
      () => gemv(false, 3, 4, f(12), f(4), f(3), { lda: 3 }),
      RangeError,
      'Expected an integer ≥ 4 (the row width of A) for lda but received 3',
    ],
    [
      'gemv y aliasing x',
      () => {
        const v = f(4);
        return gemv(false, 4, 4, f(16), v, v);
      },
      RangeError,
      'Expected a Float32Array that shares no memory with x for y but received a Float32Array of length 4 overlapping it',
    ],
    [
      'axpy lengths differ',
      () => axpy(1, f(3), f(4)),
      RangeError,
      'Expected a Float32Array of length 3 for y but received a Float32Array of length 4',
    ],
    [
      'axpy alpha a string',
      () => axpy('2' as unknown as number, f(3), f(3)),
      TypeError,
      'Expected a number for alpha but received "2"',
    ],
    [
      'axpy in place',
      () => {
        const v = f(3);
        return axpy(1, v, v);
      },
      RangeError,
      'Expected a Float32Array that shares no memory with x for y but received a Float32Array of length 3 overlapping it',
    ],
    [
      'dot lengths differ',
      () => dot(f(2), f(3)),
      RangeError,
      'Expected a Float32Array of length 2 for y but received a Float32Array of length 3',
    ],
    [
      'dot of an array',
      () => dot([1, 2] as unknown as Float32Array, f(2)),
      TypeError,
      'Expected a Float32Array for x but received an array of length 2',
    ],
    [
      'an unknown backend',
      () => dot(f(2), f(2), { backend: 'wasm' as 'js' }),
      RangeError,
      `Expected one of 'auto', 'js', 'native' for backend but received "wasm"`,
    ],
  ];

  it.each(cases)('%s', (_name, fn, kind, message) => {
    const err = caught(fn);
    expect(err).toBeInstanceOf(kind);
    expect(err.message).toBe(message);
  });

  it.runIf(dropin !== undefined)('the native door says the same as the TypeScript door', () => {
    const d = dropin as unknown as Record<string, (...a: unknown[]) => unknown>;
    const same = (native: () => unknown, ts: () => unknown) => {
      const a = caught(native);
      const b = caught(ts);
      expect(a.constructor).toBe(b.constructor);
      expect(a.message).toBe(b.message);
    };
    const byName = (n: string) => cases.find((c) => c[0] === n)![1];
    same(() => d.gemm(true, true, 2, 2, 2, f(4), 2, f(4), 2, f(4), 2, false), byName('TT gemm'));
    same(() => d.gemm(1, false, 2, 2, 2, f(4), 2, f(4), 2, f(4), 2, false), byName('a non-boolean transA'));
    same(() => d.gemm(false, false, -1, 2, 2, f(4), 2, f(4), 2, f(4), 2, false), byName('a negative M'));
    same(() => d.gemm(false, false, 2, 2, 1.5, f(4), 2, f(4), 2, f(4), 2, false), byName('a fractional K'));
    same(() => d.gemm(false, false, 2, '2', 2, f(4), 2, f(4), 2, f(4), 2, false), byName('a string N'));
    same(
      () => d.gemm(false, false, 2, 2, 3, f(6), 2, f(6), 2, f(4), 2, false),
      byName('lda below the row width of A'),
    );
    same(
      () => d.gemm(false, false, 2, 2, 3, f(6), 4, f(6), 2, f(4), 2, false),
      byName('A too short for its stride'),
    );
    same(
      () => d.gemm(true, false, 2, 3, 4, f(8), 2, f(11), 3, f(6), 3, false),
      byName('B too short (TN stores A as [K, M], B as [K, N])'),
    );
    same(() => d.gemm(false, false, 3, 2, 1, f(3), 1, f(2), 2, f(5), 2, false), byName('C too short'));
    const buf = f(10);
    same(
      () => d.gemm(false, false, 2, 2, 2, buf.subarray(0, 4), 2, f(4), 2, buf.subarray(3, 7), 2, false),
      byName('C overlapping A'),
    );
    same(() => d.gemv(false, 3, 4, f(12), 4, f(3), f(3), false), byName('gemv x too short'));
    same(() => d.gemv(true, 3, 4, f(12), 4, f(3), f(3), false), byName('gemv y too short (trans)'));
    same(() => d.axpy(1, f(3), f(4)), byName('axpy lengths differ'));
    same(() => d.dot(f(2), f(3)), byName('dot lengths differ'));
    const v = f(3);
    same(() => d.axpy(1, v, v), byName('axpy in place'));
  });
});

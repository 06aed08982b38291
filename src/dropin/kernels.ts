// BLAS-style float32 kernels over caller Float32Arrays with validated shapes: gemm (NN, NT, TN), gemv, axpy,
// dot. Native (the addon's SIMD kernel table, synchronous) when it loads, plain TypeScript loops otherwise.
// Row-major throughout; lda/ldb/ldc are row strides in elements. Deliberately no alpha/beta scaling beyond
// "overwrite or accumulate" (the kernels' own contract), and no transA && transB form.
import type { BackendChoice } from '../backends/index.js';
import { resolveDropin } from './native.js';
import { describe, float32Array, rangeError, typeError } from '../util/validate.js';

export interface KernelOptions {
  /** 'auto' (default): native when the addon loads, else TypeScript with one warning. */
  backend?: BackendChoice;
}

export interface GemmOptions extends KernelOptions {
  /** C += op(A)·op(B) instead of C = op(A)·op(B). Default false. */
  accumulate?: boolean;
  /** Row stride of A as stored (default: its row width, K for A [M,K], M for A [K,M] when transA). */
  lda?: number;
  /** Row stride of B as stored (default: N for B [K,N], K for B [N,K] when transB). */
  ldb?: number;
  /** Row stride of C (default N). */
  ldc?: number;
}

export interface GemvOptions extends KernelOptions {
  /** y += … instead of y = …. Default false. */
  accumulate?: boolean;
  /** Row stride of A [M,N] (default N). */
  lda?: number;
}

const MAX_DIM = 2147483647;

function options<T extends KernelOptions>(value: T | undefined): T {
  if (value === undefined) return {} as T;
  if (value === null || typeof value !== 'object') typeError('an object', 'options', value);
  return value;
}

function bool(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') typeError('a boolean', name, value);
  return value;
}

function dim(name: string, value: unknown): number {
  const what = `an integer in [0, ${MAX_DIM}]`;
  if (typeof value !== 'number') typeError(what, name, value);
  if (!Number.isInteger(value) || value < 0 || value > MAX_DIM) rangeError(what, name, value);
  return value;
}

/** A rows × cols row-major matrix with row stride ld: ld ≥ cols and length ≥ (rows − 1)·ld + cols. */
function matrix(
  name: string,
  a: unknown,
  rows: number,
  cols: number,
  ld: number,
  ldName: string,
): Float32Array {
  const arr = float32Array(name, a);
  if (ld < cols)
    throw new RangeError(
      `Expected an integer ≥ ${cols} (the row width of ${name}) for ${ldName} but received ${ld}`,
    );
  const need = rows === 0 || cols === 0 ? 0 : (rows - 1) * ld + cols;
  if (arr.length < need)
    rangeError(
      `a Float32Array of length ≥ ${need} (${rows} rows × ${cols} columns, ${ldName} ${ld})`,
      name,
      arr,
    );
  return arr;
}

function vector(name: string, a: unknown, need: number): Float32Array {
  const arr = float32Array(name, a);
  if (arr.length < need) rangeError(`a Float32Array of length ≥ ${need}`, name, arr);
  return arr;
}

function disjoint(name: string, out: Float32Array, other: string, a: Float32Array): void {
  if (
    out.buffer === a.buffer &&
    out.length > 0 &&
    a.length > 0 &&
    out.byteOffset < a.byteOffset + a.byteLength &&
    a.byteOffset < out.byteOffset + out.byteLength
  )
    throw new RangeError(
      `Expected a Float32Array that shares no memory with ${other} for ${name} but received ${describe(out)} overlapping it`,
    );
}

/**
 * C[M,N] = op(A)·op(B), or C += op(A)·op(B) with `accumulate`. op(A) is A [M,K], or Aᵀ of A stored [K,M]
 * when transA; op(B) is B [K,N], or Bᵀ of B stored [N,K] when transB. Forms: NN, NT, TN (TT throws).
 * M, N or K may be 0 (K = 0 without accumulate zeroes C). C must not share memory with A or B.
 */
export function gemm(
  transA: boolean,
  transB: boolean,
  M: number,
  N: number,
  K: number,
  A: Float32Array,
  B: Float32Array,
  C: Float32Array,
  opts?: GemmOptions,
): void {
  const o = options(opts);
  const ta = bool('transA', transA);
  const tb = bool('transB', transB);
  if (ta && tb)
    throw new RangeError(
      'gemm with transA and transB both true (C = Aᵀ·Bᵀ) is not supported. HINT: compute ' +
        'Cᵀ = B·A with gemm(false, false, N, M, K, B, A, Cᵀ)',
    );
  dim('M', M);
  dim('N', N);
  dim('K', K);
  const lda = dim('lda', o.lda ?? (ta ? M : K));
  const ldb = dim('ldb', o.ldb ?? (tb ? K : N));
  const ldc = dim('ldc', o.ldc ?? N);
  const accumulate = bool('accumulate', o.accumulate ?? false);
  const backend = o.backend;
  const a = ta ? matrix('A', A, K, M, lda, 'lda') : matrix('A', A, M, K, lda, 'lda');
  const b = tb ? matrix('B', B, N, K, ldb, 'ldb') : matrix('B', B, K, N, ldb, 'ldb');
  const c = matrix('C', C, M, N, ldc, 'ldc');
  disjoint('C', c, 'A', a);
  disjoint('C', c, 'B', b);
  const native = resolveDropin(backend);
  if (native) return native.gemm(ta, tb, M, N, K, a, lda, b, ldb, c, ldc, accumulate);
  for (let i = 0; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++)
        s += (ta ? a[k * lda + i] : a[i * lda + k]) * (tb ? b[j * ldb + k] : b[k * ldb + j]);
      const at = i * ldc + j;
      c[at] = accumulate ? c[at] + s : s;
    }
  }
}

/**
 * y[M] = A[M,N]·x[N], or with `trans` y[N] = A[M,N]ᵀ·x[M]; `accumulate` adds instead of overwriting.
 * x and y may be longer than needed (the extra elements are ignored); y must not share memory with A or x.
 */
export function gemv(
  trans: boolean,
  M: number,
  N: number,
  A: Float32Array,
  x: Float32Array,
  y: Float32Array,
  opts?: GemvOptions,
): void {
  const o = options(opts);
  const t = bool('trans', trans);
  dim('M', M);
  dim('N', N);
  const lda = dim('lda', o.lda ?? N);
  const accumulate = bool('accumulate', o.accumulate ?? false);
  const backend = o.backend;
  const a = matrix('A', A, M, N, lda, 'lda');
  const nIn = t ? M : N;
  const nOut = t ? N : M;
  const xs = vector('x', x, nIn);
  const ys = vector('y', y, nOut);
  disjoint('y', ys, 'A', a);
  disjoint('y', ys, 'x', xs);
  const native = resolveDropin(backend);
  if (native) return native.gemv(t, M, N, a, lda, xs, ys, accumulate);
  for (let r = 0; r < nOut; r++) {
    let s = 0;
    for (let c = 0; c < nIn; c++) s += (t ? a[c * lda + r] : a[r * lda + c]) * xs[c];
    ys[r] = accumulate ? ys[r] + s : s;
  }
}

/** y += alpha·x over equal-length arrays that share no memory. */
export function axpy(alpha: number, x: Float32Array, y: Float32Array, opts?: KernelOptions): void {
  const o = options(opts);
  if (typeof alpha !== 'number') typeError('a number', 'alpha', alpha);
  const xs = float32Array('x', x);
  const ys = float32Array('y', y, xs.length);
  disjoint('y', ys, 'x', xs);
  const native = resolveDropin(o.backend);
  if (native) return native.axpy(alpha, xs, ys);
  for (let i = 0; i < xs.length; i++) ys[i] += alpha * xs[i];
}

/** Σ x[i]·y[i] over equal-length arrays (natively accumulated in float32, in float64 by the fallback). */
export function dot(x: Float32Array, y: Float32Array, opts?: KernelOptions): number {
  const o = options(opts);
  const xs = float32Array('x', x);
  const ys = float32Array('y', y, xs.length);
  const native = resolveDropin(o.backend);
  if (native) return native.dot(xs, ys);
  let s = 0;
  for (let i = 0; i < xs.length; i++) s += xs[i] * ys[i];
  return s;
}

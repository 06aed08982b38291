// The addon's drop-in functions (lossFun and the BLAS-style kernels, native/binding/dropin.cc): their typed raw surface
// and the one decision "native or JS" for ./lossfun.ts and ./kernels.ts, with the same policy as
// src/backends/index.ts ('auto' warns once and falls back, 'native' fails loudly). Deliberately no math here.
import { loadNative, nativeUnavailableReason, NATIVE_HINT } from '../backends/native.js';
import { resolveBackend, type BackendChoice } from '../backends/index.js';
import { oneOf } from '../util/validate.js';

/**
 * Synchronous functions over caller-owned Float32Arrays. Raw, positional signatures (no option objects, so no
 * user getters run during a native call); every argument is re-checked in C++.
 */
export interface NativeDropin {
  /** min-char-rnn's lossFun: returns Σ −log p(target) (nats); writes the five gradients and h_T into hOut. */
  lossFun(
    inputs: Int32Array,
    targets: Int32Array,
    hprev: Float32Array,
    Wxh: Float32Array,
    Whh: Float32Array,
    Why: Float32Array,
    bh: Float32Array,
    by: Float32Array,
    dWxh: Float32Array,
    dWhh: Float32Array,
    dWhy: Float32Array,
    dbh: Float32Array,
    dby: Float32Array,
    hOut: Float32Array,
  ): number;
  /** C[M,N] (+)= op(A)·op(B); transA and transB both true is rejected. */
  gemm(
    transA: boolean,
    transB: boolean,
    M: number,
    N: number,
    K: number,
    A: Float32Array,
    lda: number,
    B: Float32Array,
    ldb: number,
    C: Float32Array,
    ldc: number,
    accumulate: boolean,
  ): void;
  /** y[M] (+)= A[M,N]·x[N], or with trans y[N] (+)= A[M,N]ᵀ·x[M]. */
  gemv(
    trans: boolean,
    M: number,
    N: number,
    A: Float32Array,
    lda: number,
    x: Float32Array,
    y: Float32Array,
    accumulate: boolean,
  ): void;
  /** y += alpha·x (equal lengths). */
  axpy(alpha: number, x: Float32Array, y: Float32Array): void;
  /** Σ x·y (equal lengths), accumulated in float32 by the active kernel path. */
  dot(x: Float32Array, y: Float32Array): number;
}

const FUNCTIONS = ['lossFun', 'gemm', 'gemv', 'axpy', 'dot'] as const;

let cached: { dropin?: NativeDropin; reason?: string } | undefined;
let staleWarned = false;

/** The addon's drop-in functions, or why they are unavailable (addon missing, or a build that predates them). */
export function loadNativeDropin(): { dropin?: NativeDropin; reason?: string } {
  if (cached) return cached;
  const { binding } = loadNative();
  if (!binding) {
    cached = { reason: nativeUnavailableReason() ?? 'unknown reason' };
  } else {
    const raw = binding as unknown as Record<string, unknown>;
    const missing = FUNCTIONS.filter((f) => typeof raw[f] !== 'function');
    cached =
      missing.length === 0
        ? { dropin: binding as unknown as NativeDropin }
        : { reason: `the addon is a stale build without ${missing.join(', ')}` };
  }
  return cached;
}

/**
 * The native drop-in functions for a backend choice, or undefined when the JS fallback should run:
 * 'js' → undefined; 'native' → the functions, or an Error with the reason and a HINT; 'auto' → the functions
 * when available, else undefined after one warning per process (the same warning as resolveBackend('auto')).
 */
export function resolveDropin(choice: BackendChoice | undefined): NativeDropin | undefined {
  const c = choice === undefined ? 'auto' : oneOf('backend', choice, ['auto', 'js', 'native'] as const);
  if (c === 'js') return undefined;
  const { dropin, reason } = loadNativeDropin();
  if (dropin) return dropin;
  if (c === 'native')
    throw new Error(`charrnn: the native backend is not available (${reason}). ${NATIVE_HINT}`);
  if (!loadNative().binding) {
    resolveBackend('auto'); // warns once per process and returns the JS backend
  } else if (!staleWarned) {
    staleWarned = true;
    console.warn(
      `charrnn: native drop-in functions unavailable (${reason}); using TypeScript. ${NATIVE_HINT}`,
    );
  }
  return undefined;
}

// Small, monomorphic float64 loops for the JS backend, register-blocked over rows: without SIMD,
// V8's throughput is bound by dependency chains, so several independent accumulators per x load
// (8 rows for matvec, 4 rows for the fused backward loop) roughly double it over a plain dot loop.
// Deliberately no allocation; every function works on (array, offset) pairs.

/** out[o + r] = Σ_c W[w + r·cols + c] · x[xo + c]   (float32 weights, float64 accumulation) */
export function matvec(
  out: Float64Array,
  o: number,
  W: Float32Array,
  w: number,
  rows: number,
  cols: number,
  x: Float64Array,
  xo: number,
): void {
  let r = 0;
  for (; r + 7 < rows; r += 8) {
    const r0 = w + r * cols;
    const r1 = r0 + cols;
    const r2 = r1 + cols;
    const r3 = r2 + cols;
    const r4 = r3 + cols;
    const r5 = r4 + cols;
    const r6 = r5 + cols;
    const r7 = r6 + cols;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let a4 = 0;
    let a5 = 0;
    let a6 = 0;
    let a7 = 0;
    for (let c = 0; c < cols; c++) {
      const xc = x[xo + c];
      a0 += W[r0 + c] * xc;
      a1 += W[r1 + c] * xc;
      a2 += W[r2 + c] * xc;
      a3 += W[r3 + c] * xc;
      a4 += W[r4 + c] * xc;
      a5 += W[r5 + c] * xc;
      a6 += W[r6 + c] * xc;
      a7 += W[r7 + c] * xc;
    }
    out[o + r] = a0;
    out[o + r + 1] = a1;
    out[o + r + 2] = a2;
    out[o + r + 3] = a3;
    out[o + r + 4] = a4;
    out[o + r + 5] = a5;
    out[o + r + 6] = a6;
    out[o + r + 7] = a7;
  }
  for (; r < rows; r++) {
    const row = w + r * cols;
    let s0 = 0;
    let s1 = 0;
    let c = 0;
    for (; c + 1 < cols; c += 2) {
      s0 += W[row + c] * x[xo + c];
      s1 += W[row + c + 1] * x[xo + c + 1];
    }
    if (c < cols) s0 += W[row + c] * x[xo + c];
    out[o + r] = s0 + s1;
  }
}

/**
 * C[c + i·N + j] += Σ_t A[a + t·M + i] · B[b + t·N + j]   (C [M,N] += Aᵀ·B with A [K,M], B [K,N])
 * Weight gradients over a whole chunk (dW = dYᵀ·X), 4×4 register blocks: each output is written once.
 */
export function gemmTN(
  C: Float64Array,
  c: number,
  A: Float64Array,
  a: number,
  B: Float64Array,
  b: number,
  M: number,
  N: number,
  K: number,
): void {
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let i = 0; i < M4; i += 4) {
    for (let j = 0; j < N4; j += 4) {
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0;
      let c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0;
      let c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let t = 0; t < K; t++) {
        const ai = a + t * M + i;
        const bj = b + t * N + j;
        const a0 = A[ai],
          a1 = A[ai + 1],
          a2 = A[ai + 2],
          a3 = A[ai + 3];
        const b0 = B[bj],
          b1 = B[bj + 1],
          b2 = B[bj + 2],
          b3 = B[bj + 3];
        c00 += a0 * b0;
        c01 += a0 * b1;
        c02 += a0 * b2;
        c03 += a0 * b3;
        c10 += a1 * b0;
        c11 += a1 * b1;
        c12 += a1 * b2;
        c13 += a1 * b3;
        c20 += a2 * b0;
        c21 += a2 * b1;
        c22 += a2 * b2;
        c23 += a2 * b3;
        c30 += a3 * b0;
        c31 += a3 * b1;
        c32 += a3 * b2;
        c33 += a3 * b3;
      }
      let r = c + i * N + j;
      C[r] += c00;
      C[r + 1] += c01;
      C[r + 2] += c02;
      C[r + 3] += c03;
      r += N;
      C[r] += c10;
      C[r + 1] += c11;
      C[r + 2] += c12;
      C[r + 3] += c13;
      r += N;
      C[r] += c20;
      C[r + 1] += c21;
      C[r + 2] += c22;
      C[r + 3] += c23;
      r += N;
      C[r] += c30;
      C[r + 1] += c31;
      C[r + 2] += c32;
      C[r + 3] += c33;
    }
    for (let j = N4; j < N; j++) {
      let c0 = 0,
        c1 = 0,
        c2 = 0,
        c3 = 0;
      for (let t = 0; t < K; t++) {
        const ai = a + t * M + i;
        const bv = B[b + t * N + j];
        c0 += A[ai] * bv;
        c1 += A[ai + 1] * bv;
        c2 += A[ai + 2] * bv;
        c3 += A[ai + 3] * bv;
      }
      const r = c + i * N + j;
      C[r] += c0;
      C[r + N] += c1;
      C[r + 2 * N] += c2;
      C[r + 3 * N] += c3;
    }
  }
  for (let i = M4; i < M; i++) {
    for (let j = 0; j < N; j++) {
      let s = 0;
      for (let t = 0; t < K; t++) s += A[a + t * M + i] * B[b + t * N + j];
      C[c + i * N + j] += s;
    }
  }
}

/** T[t + c·rows + r] = W[w + r·cols + c]: a transposed copy of a float32 [rows, cols] block. */
export function transposeInto(
  T: Float32Array,
  t: number,
  W: Float32Array,
  w: number,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const row = w + r * cols;
    for (let c = 0; c < cols; c++) T[t + c * rows + r] = W[row + c];
  }
}

/**
 * C[c + r·N + k] = Σ_i A[a + r·K + i] · W[w + k·K + i]   (C [M,N] = A·Wᵀ, A float64 [M,K], W float32 [N,K])
 * The output layer over a whole chunk (logits = H·Whyᵀ), 4×4 register blocks.
 */
export function gemmNT(
  C: Float64Array,
  c: number,
  A: Float64Array,
  a: number,
  W: Float32Array,
  w: number,
  M: number,
  N: number,
  K: number,
): void {
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let r = 0; r < M4; r += 4) {
    const a0 = a + r * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    for (let k = 0; k < N4; k += 4) {
      const w0 = w + k * K;
      const w1 = w0 + K;
      const w2 = w1 + K;
      const w3 = w2 + K;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0;
      let c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0;
      let c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let i = 0; i < K; i++) {
        const x0 = A[a0 + i],
          x1 = A[a1 + i],
          x2 = A[a2 + i],
          x3 = A[a3 + i];
        const y0 = W[w0 + i],
          y1 = W[w1 + i],
          y2 = W[w2 + i],
          y3 = W[w3 + i];
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      let o = c + r * N + k;
      C[o] = c00;
      C[o + 1] = c01;
      C[o + 2] = c02;
      C[o + 3] = c03;
      o += N;
      C[o] = c10;
      C[o + 1] = c11;
      C[o + 2] = c12;
      C[o + 3] = c13;
      o += N;
      C[o] = c20;
      C[o + 1] = c21;
      C[o + 2] = c22;
      C[o + 3] = c23;
      o += N;
      C[o] = c30;
      C[o + 1] = c31;
      C[o + 2] = c32;
      C[o + 3] = c33;
    }
    for (let k = N4; k < N; k++) {
      const wk = w + k * K;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let i = 0; i < K; i++) {
        const y = W[wk + i];
        s0 += A[a0 + i] * y;
        s1 += A[a1 + i] * y;
        s2 += A[a2 + i] * y;
        s3 += A[a3 + i] * y;
      }
      const o = c + r * N + k;
      C[o] = s0;
      C[o + N] = s1;
      C[o + 2 * N] = s2;
      C[o + 3 * N] = s3;
    }
  }
  for (let r = M4; r < M; r++) matvec(C, c + r * N, W, w, N, K, A, a + r * K);
}

/**
 * C[c + r·N + j] = Σ_k A[a + r·K + k] · W[w + k·N + j]   (C [M,N] = A·W, A float64 [M,K], W float32 [K,N])
 * The output layer's input gradient over a whole chunk (dH = dY·Why), 4×4 register blocks.
 */
export function gemmNN(
  C: Float64Array,
  c: number,
  A: Float64Array,
  a: number,
  W: Float32Array,
  w: number,
  M: number,
  N: number,
  K: number,
): void {
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let r = 0; r < M; r += 4) {
    const rows = r < M4 ? 4 : M - r;
    if (rows === 4) {
      const a0 = a + r * K;
      const a1 = a0 + K;
      const a2 = a1 + K;
      const a3 = a2 + K;
      for (let j = 0; j < N4; j += 4) {
        let c00 = 0,
          c01 = 0,
          c02 = 0,
          c03 = 0;
        let c10 = 0,
          c11 = 0,
          c12 = 0,
          c13 = 0;
        let c20 = 0,
          c21 = 0,
          c22 = 0,
          c23 = 0;
        let c30 = 0,
          c31 = 0,
          c32 = 0,
          c33 = 0;
        for (let k = 0; k < K; k++) {
          const x0 = A[a0 + k],
            x1 = A[a1 + k],
            x2 = A[a2 + k],
            x3 = A[a3 + k];
          const wk = w + k * N + j;
          const y0 = W[wk],
            y1 = W[wk + 1],
            y2 = W[wk + 2],
            y3 = W[wk + 3];
          c00 += x0 * y0;
          c01 += x0 * y1;
          c02 += x0 * y2;
          c03 += x0 * y3;
          c10 += x1 * y0;
          c11 += x1 * y1;
          c12 += x1 * y2;
          c13 += x1 * y3;
          c20 += x2 * y0;
          c21 += x2 * y1;
          c22 += x2 * y2;
          c23 += x2 * y3;
          c30 += x3 * y0;
          c31 += x3 * y1;
          c32 += x3 * y2;
          c33 += x3 * y3;
        }
        let o = c + r * N + j;
        C[o] = c00;
        C[o + 1] = c01;
        C[o + 2] = c02;
        C[o + 3] = c03;
        o += N;
        C[o] = c10;
        C[o + 1] = c11;
        C[o + 2] = c12;
        C[o + 3] = c13;
        o += N;
        C[o] = c20;
        C[o + 1] = c21;
        C[o + 2] = c22;
        C[o + 3] = c23;
        o += N;
        C[o] = c30;
        C[o + 1] = c31;
        C[o + 2] = c32;
        C[o + 3] = c33;
      }
    }
    // Remainder columns (and whole remainder rows): plain dot products down the column.
    for (let rr = r; rr < r + rows; rr++) {
      const ar = a + rr * K;
      for (let j = rows === 4 ? N4 : 0; j < N; j++) {
        let s = 0;
        for (let k = 0; k < K; k++) s += A[ar + k] * W[w + k * N + j];
        C[c + rr * N + j] = s;
      }
    }
  }
}

// ---- float64 × float64 variants (weight gradients of the stacked/gated JS session) ----
// gemmTN's inner loop walks two operands down their columns (stride M and N per step), which caps it near
// 1.3 GFLOP/s at LSTM sizes; transposing both operands first (transpose64) and taking row dot products
// (gemmNT64) runs ≈ 3× faster. Same 4×4 register blocks as gemmNT; kept separate so gemmNT's call sites
// stay monomorphic (float32 weights only).

/** T[t + c·rows + r] = A[a + r·cols + c]: a transposed copy of a float64 [rows, cols] block. */
export function transpose64(
  T: Float64Array,
  t: number,
  A: Float64Array,
  a: number,
  rows: number,
  cols: number,
): void {
  for (let r = 0; r < rows; r++) {
    const row = a + r * cols;
    for (let c = 0; c < cols; c++) T[t + c * rows + r] = A[row + c];
  }
}

/** out[o + r] = Σ_c W[w + r·cols + c] · x[xo + c]   (as matvec, float64 W) */
function matvec64(
  out: Float64Array,
  o: number,
  W: Float64Array,
  w: number,
  rows: number,
  cols: number,
  x: Float64Array,
  xo: number,
): void {
  let r = 0;
  for (; r + 7 < rows; r += 8) {
    const r0 = w + r * cols;
    const r1 = r0 + cols;
    const r2 = r1 + cols;
    const r3 = r2 + cols;
    const r4 = r3 + cols;
    const r5 = r4 + cols;
    const r6 = r5 + cols;
    const r7 = r6 + cols;
    let a0 = 0;
    let a1 = 0;
    let a2 = 0;
    let a3 = 0;
    let a4 = 0;
    let a5 = 0;
    let a6 = 0;
    let a7 = 0;
    for (let c = 0; c < cols; c++) {
      const xc = x[xo + c];
      a0 += W[r0 + c] * xc;
      a1 += W[r1 + c] * xc;
      a2 += W[r2 + c] * xc;
      a3 += W[r3 + c] * xc;
      a4 += W[r4 + c] * xc;
      a5 += W[r5 + c] * xc;
      a6 += W[r6 + c] * xc;
      a7 += W[r7 + c] * xc;
    }
    out[o + r] = a0;
    out[o + r + 1] = a1;
    out[o + r + 2] = a2;
    out[o + r + 3] = a3;
    out[o + r + 4] = a4;
    out[o + r + 5] = a5;
    out[o + r + 6] = a6;
    out[o + r + 7] = a7;
  }
  for (; r < rows; r++) {
    const row = w + r * cols;
    let s0 = 0;
    let s1 = 0;
    let c = 0;
    for (; c + 1 < cols; c += 2) {
      s0 += W[row + c] * x[xo + c];
      s1 += W[row + c + 1] * x[xo + c + 1];
    }
    if (c < cols) s0 += W[row + c] * x[xo + c];
    out[o + r] = s0 + s1;
  }
}

/**
 * C[c + r·N + k] = Σ_i A[a + r·K + i] · W[w + k·K + i]   (C [M,N] = A·Wᵀ, A and W float64)
 * As gemmNT with float64 W: dW = dAᵀ·X as row dot products over transposed copies. Deliberately a copy
 * rather than a `Float32Array | Float64Array` parameter: V8 compiles each of these loops for one array kind,
 * and a polymorphic call site measurably slows the vanilla path.
 */
export function gemmNT64(
  C: Float64Array,
  c: number,
  A: Float64Array,
  a: number,
  W: Float64Array,
  w: number,
  M: number,
  N: number,
  K: number,
): void {
  const M4 = M - (M % 4);
  const N4 = N - (N % 4);
  for (let r = 0; r < M4; r += 4) {
    const a0 = a + r * K;
    const a1 = a0 + K;
    const a2 = a1 + K;
    const a3 = a2 + K;
    for (let k = 0; k < N4; k += 4) {
      const w0 = w + k * K;
      const w1 = w0 + K;
      const w2 = w1 + K;
      const w3 = w2 + K;
      let c00 = 0,
        c01 = 0,
        c02 = 0,
        c03 = 0;
      let c10 = 0,
        c11 = 0,
        c12 = 0,
        c13 = 0;
      let c20 = 0,
        c21 = 0,
        c22 = 0,
        c23 = 0;
      let c30 = 0,
        c31 = 0,
        c32 = 0,
        c33 = 0;
      for (let i = 0; i < K; i++) {
        const x0 = A[a0 + i],
          x1 = A[a1 + i],
          x2 = A[a2 + i],
          x3 = A[a3 + i];
        const y0 = W[w0 + i],
          y1 = W[w1 + i],
          y2 = W[w2 + i],
          y3 = W[w3 + i];
        c00 += x0 * y0;
        c01 += x0 * y1;
        c02 += x0 * y2;
        c03 += x0 * y3;
        c10 += x1 * y0;
        c11 += x1 * y1;
        c12 += x1 * y2;
        c13 += x1 * y3;
        c20 += x2 * y0;
        c21 += x2 * y1;
        c22 += x2 * y2;
        c23 += x2 * y3;
        c30 += x3 * y0;
        c31 += x3 * y1;
        c32 += x3 * y2;
        c33 += x3 * y3;
      }
      let o = c + r * N + k;
      C[o] = c00;
      C[o + 1] = c01;
      C[o + 2] = c02;
      C[o + 3] = c03;
      o += N;
      C[o] = c10;
      C[o + 1] = c11;
      C[o + 2] = c12;
      C[o + 3] = c13;
      o += N;
      C[o] = c20;
      C[o + 1] = c21;
      C[o + 2] = c22;
      C[o + 3] = c23;
      o += N;
      C[o] = c30;
      C[o + 1] = c31;
      C[o + 2] = c32;
      C[o + 3] = c33;
    }
    for (let k = N4; k < N; k++) {
      const wk = w + k * K;
      let s0 = 0,
        s1 = 0,
        s2 = 0,
        s3 = 0;
      for (let i = 0; i < K; i++) {
        const y = W[wk + i];
        s0 += A[a0 + i] * y;
        s1 += A[a1 + i] * y;
        s2 += A[a2 + i] * y;
        s3 += A[a3 + i] * y;
      }
      const o = c + r * N + k;
      C[o] = s0;
      C[o + N] = s1;
      C[o + 2 * N] = s2;
      C[o + 3 * N] = s3;
    }
  }
  for (let r = M4; r < M; r++) matvec64(C, c + r * N, W, w, N, K, A, a + r * K);
}

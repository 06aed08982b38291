// Row softmax with cross-entropy for the JS backends (shared by the vanilla and the stacked session).
// Deliberately float64 scratch only; no allocation.

/**
 * ps[o..o+V) holds logits minus the output bias; add w[by..by+V), softmax in place, return −log p[target].
 */
export function softmaxInPlace(
  ps: Float64Array,
  o: number,
  w: Float32Array,
  by: number,
  V: number,
  target: number,
): number {
  let max = -Infinity;
  for (let k = 0; k < V; k++) {
    const y = ps[o + k] + w[by + k];
    ps[o + k] = y;
    if (y > max) max = y;
  }
  let sum = 0;
  for (let k = 0; k < V; k++) {
    const e = Math.exp(ps[o + k] - max);
    ps[o + k] = e;
    sum += e;
  }
  const inv = 1 / sum;
  for (let k = 0; k < V; k++) ps[o + k] *= inv;
  return -Math.log(ps[o + target]);
}

/**
 * The output layer's backward for TB rows of probabilities ps [TB, V] (from softmaxInPlace): in place
 * dY = (p − onehot(target))·scale, and the bias gradient acc[by..by+V) += Σ_rows dY.
 */
export function softmaxBackwardRows(
  ps: Float64Array,
  TB: number,
  V: number,
  targets: Int32Array,
  scale: number,
  acc: Float64Array,
  by: number,
): void {
  for (let row = 0; row < TB; row++) {
    const pc = row * V;
    ps[pc + targets[row]] -= 1;
    for (let k = 0; k < V; k++) {
      const d = ps[pc + k] * scale;
      ps[pc + k] = d;
      acc[by + k] += d;
    }
  }
}

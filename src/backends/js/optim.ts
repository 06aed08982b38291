// Clipping and optimizer updates of the JS backend: flat loops over the parameter arena.
// The exact equations (shared with native/optim) are documented on applyUpdate; no schedules here.
import type { Arenas, StepHyper } from '../backend.js';

/**
 * Store the float64 gradient accumulator into the float32 grads arena, clip, and update in place.
 * Returns the L2 norm of the raw gradient (before clipping).
 *
 *   clipValue > 0: g ← clamp(g, −c, c)            (written to the grads arena)
 *   clipNorm  > 0: s = n > clipNorm ? clipNorm / (n + 1e-6) : 1, n = ‖g‖ after value clipping;
 *                  the update uses g·s (the arena is not rescaled)
 *   weightDecay:   p ← p·(1 − lr·wd)               (decoupled, AdamW-style)
 *   sgd:      momentum > 0 ? (v ← μv + g; p ← p − lr·v) : p ← p − lr·g
 *   adagrad:  m ← m + g²;  p ← p − lr·g / √(m + eps)            (min-char-rnn's form)
 *   rmsprop:  m ← β2·m + (1−β2)·g²;  p ← p − lr·g / (√m + eps)  (PyTorch's form)
 *   adam:     m1 ← β1·m1 + (1−β1)·g;  m2 ← β2·m2 + (1−β2)·g²;
 *             p ← p − (lr / (1−β1^t))·m1 / (√m2 / √(1−β2^t) + eps)   (PyTorch's form)
 */
export function applyUpdate(acc: Float64Array, arenas: Arenas, P: number, hyper: StepHyper): number {
  const g = arenas.grads;
  const p = arenas.params;
  const s = arenas.optState;
  const c = hyper.clipValue;
  const o = hyper.optimizer;
  // Fast path (min-char-rnn's setting): Adagrad or plain SGD without norm clipping or weight decay is a
  // single fused pass. Elements whose gradient is exactly 0 are left untouched — exact for these two
  // optimizers (m += 0, p −= 0), and most of Wxh has a zero gradient under one-hot input.
  if (
    hyper.clipNorm === 0 &&
    o.weightDecay === 0 &&
    (o.kind === 'adagrad' || (o.kind === 'sgd' && o.momentum === 0))
  ) {
    const lr = o.lr;
    const eps = o.eps;
    const adagrad = o.kind === 'adagrad';
    let sq = 0;
    for (let i = 0; i < P; i++) {
      let v = Math.fround(acc[i]);
      if (v === 0) {
        g[i] = 0;
        continue;
      }
      sq += v * v;
      if (c > 0) {
        if (v > c) v = c;
        else if (v < -c) v = -c;
      }
      g[i] = v;
      if (adagrad) {
        s[i] += v * v;
        p[i] -= (lr * v) / Math.sqrt(s[i] + eps);
      } else p[i] -= lr * v;
    }
    return Math.sqrt(sq);
  }
  // One pass: store the float32 gradient, its raw norm, and (clipValue > 0) the clamped values and norm.
  let sq = 0;
  let sqClipped = 0;
  if (c > 0) {
    for (let i = 0; i < P; i++) {
      let v = Math.fround(acc[i]);
      sq += v * v;
      if (v > c) v = c;
      else if (v < -c) v = -c;
      g[i] = v;
      sqClipped += v * v;
    }
  } else {
    for (let i = 0; i < P; i++) {
      const v = Math.fround(acc[i]);
      g[i] = v;
      sq += v * v;
    }
    sqClipped = sq;
  }
  const gradNorm = Math.sqrt(sq);
  const normAfterValue = Math.sqrt(sqClipped);
  const scale =
    hyper.clipNorm > 0 && normAfterValue > hyper.clipNorm ? hyper.clipNorm / (normAfterValue + 1e-6) : 1;
  const lr = o.lr;
  if (o.weightDecay > 0) {
    const f = 1 - lr * o.weightDecay;
    for (let i = 0; i < P; i++) p[i] *= f;
  }
  switch (o.kind) {
    case 'sgd':
      if (o.momentum > 0) {
        const mu = o.momentum;
        for (let i = 0; i < P; i++) {
          const v = mu * s[i] + g[i] * scale;
          s[i] = v;
          p[i] -= lr * s[i];
        }
      } else {
        for (let i = 0; i < P; i++) p[i] -= lr * (g[i] * scale);
      }
      break;
    case 'adagrad': {
      const eps = o.eps;
      for (let i = 0; i < P; i++) {
        const gi = g[i] * scale;
        s[i] += gi * gi;
        p[i] -= (lr * gi) / Math.sqrt(s[i] + eps);
      }
      break;
    }
    case 'rmsprop': {
      const b2 = o.beta2;
      const eps = o.eps;
      for (let i = 0; i < P; i++) {
        const gi = g[i] * scale;
        s[i] = b2 * s[i] + (1 - b2) * gi * gi;
        p[i] -= (lr * gi) / (Math.sqrt(s[i]) + eps);
      }
      break;
    }
    case 'adam': {
      const b1 = o.beta1;
      const b2 = o.beta2;
      const eps = o.eps;
      const stepSize = lr / (1 - Math.pow(b1, hyper.step));
      const sqrtBc2 = Math.sqrt(1 - Math.pow(b2, hyper.step));
      for (let i = 0; i < P; i++) {
        const gi = g[i] * scale;
        s[i] = b1 * s[i] + (1 - b1) * gi;
        const j = P + i;
        s[j] = b2 * s[j] + (1 - b2) * gi * gi;
        p[i] -= (stepSize * s[i]) / (Math.sqrt(s[j]) / sqrtBc2 + eps);
      }
      break;
    }
  }
  return gradNorm;
}

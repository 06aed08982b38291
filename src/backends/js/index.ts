// The pure-TypeScript reference backend: forward, BPTT, clipping and updates over typed arrays for a model in the
// seeds' layout (Wxh, Whh, bh, Why, by: the vanilla RNN); every other layout (stacked, gated, embedded, dropout)
// runs in ./stack.ts. Which one runs is read from the model's description (src/model/spec.ts).
// It is the definition the native backend is tested against, so it favours plain, exact loops
// (float64 registers and scratch over float32 storage). Deliberately no policy: see src/train.
import type { Arenas, Backend, BackendSession, Chunk } from '../backend.js';
import { JsSessionBase } from './session-base.js';
import type { ModelConfig } from '../../model/config.js';
import { describeModel } from '../../model/spec.js';
import { gemmNN, gemmNT, gemmTN, matvec, transposeInto } from './blas.js';
import { softmaxBackwardRows, softmaxInPlace } from './softmax.js';
import { JsStackSession } from './stack.js';
import { JsSeqSession } from './seq.js';

/** Offsets of the named tensors, resolved once per session. */
interface Offsets {
  Wxh: number;
  Whh: number;
  bh: number;
  Why: number;
  by: number;
}

class JsSession extends JsSessionBase implements BackendSession {
  private readonly H: number;
  private readonly o: Offsets;
  // Chunk scratch, grown on demand: hidden states (T+1)·B·H, probabilities T·B·V.
  private hs = new Float64Array(0);
  private ps = new Float64Array(0);
  // Per-step scratch (sized H or V, allocated once).
  private das = new Float64Array(0);
  private readonly WhhT: Float32Array;
  private readonly dhnext: Float64Array;
  private readonly da: Float64Array;

  constructor(config: ModelConfig, arenas: Arenas) {
    super(config, arenas);
    this.H = config.hiddenSize;
    const layout = describeModel(config).layout;
    this.o = {
      Wxh: layout.get('Wxh').offset,
      Whh: layout.get('Whh').offset,
      bh: layout.get('bh').offset,
      Why: layout.get('Why').offset,
      by: layout.get('by').offset,
    };
    this.WhhT = new Float32Array(this.H * this.H);
    this.dhnext = new Float64Array(this.H);
    this.da = new Float64Array(this.H);
  }

  private ensureScratch(B: number, T: number): void {
    const nh = (T + 1) * B * this.H;
    if (this.hs.length < nh) this.hs = new Float64Array(nh);
    const np = T * B * this.V;
    if (this.ps.length < np) this.ps = new Float64Array(np);
    if (this.das.length < T * B * this.H) this.das = new Float64Array(T * B * this.H);
  }

  /**
   * Forward over B streams × T steps, then full BPTT into this.gacc (float64). Returns the summed loss.
   * Shapes: inputs/targets [T, B]; hs [(T+1), B, H] with hs[0] = carried state; ps [T, B, V].
   */
  protected forwardBackward(chunk: Chunk, reduction: 'sum' | 'mean'): number {
    const { inputs, targets, hidden } = chunk;
    const B = chunk.batch;
    const T = chunk.steps;
    const H = this.H;
    const V = this.V;
    const { Wxh, Whh, bh, Why, by } = this.o;
    const w = this.arenas.params;
    this.ensureScratch(B, T);
    const hs = this.hs;
    const ps = this.ps;
    const BH = B * H;
    for (let i = 0; i < BH; i++) hs[i] = hidden[i];

    // ---- forward ----
    // The recurrence runs step by step; the output layer runs once over the whole chunk afterwards.
    const pre = this.da; // pre-activation scratch [H]
    for (let t = 0; t < T; t++) {
      for (let b = 0; b < B; b++) {
        const row = t * B + b;
        const x = inputs[row];
        const hp = row * H; // h_{t-1} of stream b
        const hc = hp + BH; // h_t of stream b
        // h_t = tanh(Wxh[:, x] + bh + Whh · h_{t-1})
        matvec(pre, 0, w, Whh, H, H, hs, hp);
        for (let i = 0; i < H; i++) hs[hc + i] = Math.tanh(w[Wxh + i * V + x] + w[bh + i] + pre[i]);
      }
    }
    // logits [T·B, V] = H_t · Whyᵀ (+ by inside the softmax)
    const TB = T * B;
    gemmNT(ps, 0, hs, BH, w, Why, TB, V, H);
    let lossSum = 0;
    for (let row = 0; row < TB; row++) lossSum += softmaxInPlace(ps, row * V, w, by, V, targets[row]);

    // ---- backward (BPTT over the chunk) ----
    // dY = (P − onehot)·scale for every row, then dH_out = dY·Why in one product; per step only the
    // through-time term Whhᵀ·da runs (on a transposed copy, as row dot products); the weight gradients
    // are two products over the whole chunk: dWhy = dYᵀ·H_t and dWhh = dAᵀ·H_{t-1}.
    const acc = this.gacc;
    acc.fill(0);
    const WhhT = this.WhhT;
    transposeInto(WhhT, 0, w, Whh, H, H);
    const das = this.das;
    const scale = reduction === 'mean' ? 1 / TB : 1;
    softmaxBackwardRows(ps, TB, V, targets, scale, acc, by);
    gemmNN(das, 0, ps, 0, w, Why, TB, H, V); // das ← dH_out, then turned into dA in place below
    const dhnext = this.dhnext;
    for (let b = 0; b < B; b++) {
      dhnext.fill(0);
      for (let t = T - 1; t >= 0; t--) {
        const row = t * B + b;
        const hc = (row + B) * H;
        const dc = row * H;
        // da = (1 − h²) ⊙ (dH_out + dhnext); dbh += da; dWxh[:, x] += da
        const x = inputs[row];
        for (let i = 0; i < H; i++) {
          const h = hs[hc + i];
          const d = (1 - h * h) * (das[dc + i] + dhnext[i]);
          das[dc + i] = d;
          acc[bh + i] += d;
          acc[Wxh + i * V + x] += d;
        }
        // dhnext = Whhᵀ·da
        matvec(dhnext, 0, WhhT, 0, H, H, das, dc);
      }
    }
    gemmTN(acc, Why, ps, 0, hs, BH, V, H, TB);
    gemmTN(acc, Whh, das, 0, hs, 0, H, H, TB);
    // carry h_T to the next chunk
    const last = T * BH;
    for (let i = 0; i < BH; i++) hidden[i] = hs[last + i];
    return lossSum;
  }

  /** h ← tanh(Wxh[:, x] + bh + Whh·h); y ← Why·h + by. Float64 state and logits. */
  protected stepInto(h: Float64Array, x: number, y: Float64Array): void {
    const H = this.H;
    const V = this.V;
    const { Wxh, Whh, bh, Why, by } = this.o;
    const w = this.arenas.params;
    const a = this.da; // pre-activation scratch
    matvec(a, 0, w, Whh, H, H, h, 0);
    for (let i = 0; i < H; i++) h[i] = Math.tanh(w[Wxh + i * V + x] + w[bh + i] + a[i]);
    matvec(y, 0, w, Why, V, H, h, 0);
    for (let k = 0; k < V; k++) y[k] += w[by + k];
  }
}

/** The pure-TypeScript backend. */
export const jsBackend: Backend = Object.freeze({
  name: 'js' as const,
  open(config: ModelConfig, arenas: Arenas): BackendSession {
    // The seeds' layout (the vanilla model) keeps its own tuned session; every other layout runs the stacked/gated one.
    // 'classify' / 'tag' models (uni- or bidirectional) run the sequence session.
    if (config.task !== 'lm') return new JsSeqSession(config, arenas);
    return describeModel(config).names === 'seeds'
      ? new JsSession(config, arenas)
      : new JsStackSession(config, arenas);
  },
});

// The JS backend for every model other than the vanilla one: stacked Elman (tanh/relu), LSTM and GRU
// layers in PyTorch's gate order and two-bias form, one-hot or learned-embedding input, and dropout on
// each layer's output. Forward, BPTT, clipping and updates over typed arrays (float64 scratch over
// float32 storage). The input projections, the decoder and every weight gradient run as products over
// the whole chunk; only the recurrence runs step by step (all B streams at once). Scratch is grown per
// chunk shape, never per timestep. Deliberately no policy: see src/train.
import type { Arenas, BackendSession, Chunk } from '../backend.js';
import { JsSessionBase } from './session-base.js';
import { gateCount, type ModelConfig } from '../../model/config.js';
import { layerInputSize, stateOffsets } from '../../model/layout.js';
import { layoutFor } from '../../model/spec.js';
import { Rng } from '../../util/rng.js';
import { gemmNN, gemmNT, gemmNT64, gemmTN, matvec, transpose64, transposeInto } from './blas.js';
import { softmaxBackwardRows, softmaxInPlace } from './softmax.js';

/** Arena offsets and sizes of one recurrent layer. */
interface LayerPlan {
  readonly H: number;
  readonly In: number;
  /** G·H: rows of weight_ih / weight_hh. */
  readonly GH: number;
  readonly wih: number;
  readonly whh: number;
  readonly bih: number;
  readonly bhh: number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

/** Float64 scratch owned by the session (never a shared buffer). */
type F64 = Float64Array<ArrayBuffer>;

function grow(a: F64, n: number): F64 {
  return a.length >= n ? a : new Float64Array(n);
}

/**
 * Dropout masks of one chunk, drawn from `rng` in this exact order (the native backend must match it):
 *   for t in 0..T−1, for layer boundary l in 0..L−1 (the output of layer l: between layers, and before
 *   the decoder for l = L−1), for stream b in 0..B−1, for unit i in 0..H_l−1:
 *     u = rng.nextFloat();  mask = u ≥ p ? 1 / (1 − p) : 0      (inverted dropout: keep with probability 1 − p)
 * Mask element (t·B + b)·H_l + i of masks[l] multiplies unit i of stream b's layer-l output at step t.
 */
export function drawDropoutMasks(
  rng: Rng,
  masks: readonly Float64Array[],
  hiddenSizes: readonly number[],
  T: number,
  B: number,
  p: number,
): void {
  const keep = 1 / (1 - p);
  for (let t = 0; t < T; t++)
    for (let l = 0; l < hiddenSizes.length; l++) {
      const H = hiddenSizes[l];
      const m = masks[l];
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * H;
        for (let i = 0; i < H; i++) m[o + i] = rng.nextFloat() >= p ? keep : 0;
      }
    }
}

export class JsStackSession extends JsSessionBase implements BackendSession {
  private readonly E: number;
  private readonly L: number;
  private readonly G: number;
  private readonly cell: ModelConfig['cell'];
  private readonly relu: boolean;
  private readonly layers: LayerPlan[];
  private readonly emb: number;
  private readonly decW: number;
  private readonly decB: number;
  private readonly Htop: number;
  private readonly rng = new Rng(1);

  // Chunk scratch (grown on demand). Per layer l: xs[l] its input [T·B, In_l] (xs[0] only with an
  // embedding; xs[L] is the decoder's input), hs[l] raw outputs [(T+1)·B, H_l] with rows 0..B−1 the
  // carried state, cs[l] LSTM cell states (same shape), acts[l] post-activation gates [T·B, G·H_l],
  // hn[l] GRU's W_hn·h + b_hn [T·B, H_l], masks[l] dropout masks [T·B, H_l].
  private xs: F64[];
  private hs: F64[];
  private cs: F64[];
  private acts: F64[];
  private hn: F64[];
  private masks: F64[];
  private ps = new Float64Array(0);
  private dAi = new Float64Array(0);
  private dAh = new Float64Array(0);
  private dH = new Float64Array(0);
  private dX = new Float64Array(0);
  private rec = new Float64Array(0);
  private dhnext = new Float64Array(0);
  private dcnext = new Float64Array(0);
  private direct = new Float64Array(0);
  // Transposed copies for the weight-gradient products: tA [G·H, T·B], tB [In or H, T·B].
  private tA = new Float64Array(0);
  private tB = new Float64Array(0);
  /** Per layer, transposed copies W_hhᵀ [H, G·H] and W_ihᵀ [In, G·H], refreshed each backward pass so the
   * input-gradient products run as row dot products (gemmNT) instead of column walks. */
  private readonly whhT: Float32Array[];
  private readonly wihT: Float32Array[];
  // Single-stream scratch for step/evaluate/sample.
  private readonly xin: Float64Array;
  private readonly a1: Float64Array;
  private readonly r1: Float64Array;

  constructor(config: ModelConfig, arenas: Arenas) {
    super(config, arenas);
    const layout = layoutFor(config);
    this.E = config.embeddingSize;
    this.L = config.layers;
    this.G = gateCount(config.cell);
    this.cell = config.cell;
    this.relu = config.activation === 'relu';
    this.Htop = config.hiddenSize;
    this.emb = this.E > 0 ? layout.get('embedding.weight').offset : -1;
    this.decW = layout.get('decoder.weight').offset;
    this.decB = layout.get('decoder.bias').offset;
    this.layers = [];
    for (let l = 0; l < this.L; l++) {
      const H = config.hiddenSizes[l];
      this.layers.push({
        H,
        In: layerInputSize(config, l),
        GH: this.G * H,
        wih: layout.get(`rnn.weight_ih_l${l}`).offset,
        whh: layout.get(`rnn.weight_hh_l${l}`).offset,
        bih: layout.get(`rnn.bias_ih_l${l}`).offset,
        bhh: layout.get(`rnn.bias_hh_l${l}`).offset,
      });
    }
    this.whhT = this.layers.map((p) => new Float32Array(p.GH * p.H));
    this.wihT = this.layers.map((p, l) => new Float32Array(l === 0 && this.E === 0 ? 0 : p.GH * p.In));
    const empty = () => Array.from({ length: this.L + 1 }, () => new Float64Array(0));
    this.xs = empty();
    this.hs = empty();
    this.cs = empty();
    this.acts = empty();
    this.hn = empty();
    this.masks = empty();
    const maxGH = Math.max(...this.layers.map((p) => p.GH));
    const maxIn = Math.max(...this.layers.map((p) => p.In));
    this.xin = new Float64Array(maxIn);
    this.a1 = new Float64Array(maxGH);
    this.r1 = new Float64Array(maxGH);
  }

  private ensureScratch(B: number, T: number): void {
    const TB = T * B;
    const lstm = this.cell === 'lstm';
    const gru = this.cell === 'gru';
    const drop = this.config.dropout > 0;
    let maxGH = 0;
    let maxH = 0;
    let maxIn = 0;
    for (let l = 0; l < this.L; l++) {
      const { H, In, GH } = this.layers[l];
      maxGH = Math.max(maxGH, GH);
      maxH = Math.max(maxH, H);
      maxIn = Math.max(maxIn, In);
      if (l > 0 || this.E > 0) this.xs[l] = grow(this.xs[l], TB * In);
      this.hs[l] = grow(this.hs[l], (TB + B) * H);
      if (lstm) this.cs[l] = grow(this.cs[l], (TB + B) * H);
      this.acts[l] = grow(this.acts[l], TB * GH);
      if (gru) this.hn[l] = grow(this.hn[l], TB * H);
      if (drop) this.masks[l] = grow(this.masks[l], TB * H);
    }
    this.xs[this.L] = grow(this.xs[this.L], TB * this.Htop);
    this.ps = grow(this.ps, TB * this.V);
    this.dAi = grow(this.dAi, TB * maxGH);
    if (gru) this.dAh = grow(this.dAh, TB * maxGH);
    this.dH = grow(this.dH, TB * maxH);
    this.dX = grow(this.dX, TB * maxIn);
    this.rec = grow(this.rec, B * maxGH);
    this.dhnext = grow(this.dhnext, B * maxH);
    this.dcnext = grow(this.dcnext, B * maxH);
    this.direct = grow(this.direct, B * maxH);
    this.tA = grow(this.tA, TB * maxGH);
    this.tB = grow(this.tB, TB * Math.max(maxIn, maxH));
  }

  /** Forward of layer l over the whole chunk: fills hs[l] (and cs/acts/hn) and the next layer's input. */
  private forwardLayer(l: number, inputs: Int32Array, B: number, T: number): void {
    const w = this.arenas.params;
    const { H, In, GH, wih, whh, bih, bhh } = this.layers[l];
    const TB = T * B;
    const A = this.acts[l];
    const hs = this.hs[l];
    const cs = this.cs[l];
    const hn = this.hn[l];
    const rec = this.rec;
    // Input projection over the whole chunk: A = X·W_ihᵀ + b_ih (one-hot: a column lookup).
    if (l === 0 && this.E === 0) {
      const V = this.V;
      for (let row = 0; row < TB; row++) {
        const x = inputs[row];
        const a = row * GH;
        for (let j = 0; j < GH; j++) A[a + j] = w[wih + j * V + x] + w[bih + j];
      }
    } else {
      gemmNT(A, 0, this.xs[l], 0, w, wih, TB, GH, In);
      for (let row = 0; row < TB; row++) {
        const a = row * GH;
        for (let j = 0; j < GH; j++) A[a + j] += w[bih + j];
      }
    }
    for (let t = 0; t < T; t++) {
      // Recurrent pre-activations of all B streams: rec [B, G·H] = H_{t−1}·W_hhᵀ (+ b_hh below).
      gemmNT(rec, 0, hs, t * B * H, w, whh, B, GH, H);
      for (let b = 0; b < B; b++) {
        const row = t * B + b;
        const a = row * GH;
        const r = b * GH;
        const hp = row * H; // h_{t−1} (and c_{t−1}) of stream b
        const hc = hp + B * H; // h_t of stream b
        if (this.cell === 'rnn') {
          for (let i = 0; i < H; i++) {
            const v = A[a + i] + rec[r + i] + w[bhh + i];
            const h = this.relu ? (v > 0 ? v : 0) : Math.tanh(v);
            A[a + i] = h;
            hs[hc + i] = h;
          }
        } else if (this.cell === 'lstm') {
          // i, f, g, o = σ, σ, tanh, σ of (W_ih·x + b_ih + W_hh·h + b_hh); c = f·c' + i·g; h = o·tanh(c)
          for (let i = 0; i < H; i++) {
            const ig = sigmoid(A[a + i] + rec[r + i] + w[bhh + i]);
            const fg = sigmoid(A[a + H + i] + rec[r + H + i] + w[bhh + H + i]);
            const gg = Math.tanh(A[a + 2 * H + i] + rec[r + 2 * H + i] + w[bhh + 2 * H + i]);
            const og = sigmoid(A[a + 3 * H + i] + rec[r + 3 * H + i] + w[bhh + 3 * H + i]);
            const c = fg * cs[hp + i] + ig * gg;
            A[a + i] = ig;
            A[a + H + i] = fg;
            A[a + 2 * H + i] = gg;
            A[a + 3 * H + i] = og;
            cs[hc + i] = c;
            hs[hc + i] = og * Math.tanh(c);
          }
        } else {
          // r, z = σ(W_i·x + b_i + W_h·h + b_h); n = tanh(W_in·x + b_in + r·(W_hn·h + b_hn)); h = (1−z)·n + z·h'
          for (let i = 0; i < H; i++) {
            const rg = sigmoid(A[a + i] + rec[r + i] + w[bhh + i]);
            const zg = sigmoid(A[a + H + i] + rec[r + H + i] + w[bhh + H + i]);
            const hnv = rec[r + 2 * H + i] + w[bhh + 2 * H + i];
            const ng = Math.tanh(A[a + 2 * H + i] + rg * hnv);
            A[a + i] = rg;
            A[a + H + i] = zg;
            A[a + 2 * H + i] = ng;
            hn[row * H + i] = hnv;
            hs[hc + i] = (1 - zg) * ng + zg * hs[hp + i];
          }
        }
      }
    }
    // The next layer's (or the decoder's) input: this layer's output, dropped out when training.
    const next = this.xs[l + 1];
    const BH = B * H;
    if (this.config.dropout > 0) {
      const m = this.masks[l];
      for (let k = 0; k < TB * H; k++) next[k] = hs[BH + k] * m[k];
    } else for (let k = 0; k < TB * H; k++) next[k] = hs[BH + k];
  }

  /**
   * BPTT of layer l: reads dH (gradient w.r.t. the layer's raw outputs from above), accumulates the
   * layer's weight gradients, and leaves the gradient w.r.t. its input in dX [T·B, In] (unless l is a
   * one-hot first layer).
   */
  private backwardLayer(l: number, inputs: Int32Array, B: number, T: number): void {
    const w = this.arenas.params;
    const acc = this.gacc;
    const { H, In, GH, wih, whh, bih, bhh } = this.layers[l];
    const TB = T * B;
    const A = this.acts[l];
    const hs = this.hs[l];
    const cs = this.cs[l];
    const hn = this.hn[l];
    const dH = this.dH;
    const dAi = this.dAi;
    const gru = this.cell === 'gru';
    // GRU: the hidden-side pre-activation gradient differs from the input side in its n slice (×r).
    const dAh = gru ? this.dAh : dAi;
    const dhnext = this.dhnext;
    const dcnext = this.dcnext;
    const direct = this.direct;
    dhnext.fill(0, 0, B * H);
    dcnext.fill(0, 0, B * H);
    const whhT = this.whhT[l];
    transposeInto(whhT, 0, w, whh, GH, H);
    for (let t = T - 1; t >= 0; t--) {
      for (let b = 0; b < B; b++) {
        const row = t * B + b;
        const a = row * GH;
        const hp = row * H;
        const hc = hp + B * H;
        const s = b * H;
        if (this.cell === 'rnn') {
          for (let i = 0; i < H; i++) {
            const h = A[a + i];
            const dh = dH[row * H + i] + dhnext[s + i];
            dAi[a + i] = this.relu ? (h > 0 ? dh : 0) : (1 - h * h) * dh;
          }
        } else if (this.cell === 'lstm') {
          for (let i = 0; i < H; i++) {
            const ig = A[a + i];
            const fg = A[a + H + i];
            const gg = A[a + 2 * H + i];
            const og = A[a + 3 * H + i];
            const tc = Math.tanh(cs[hc + i]);
            const dh = dH[row * H + i] + dhnext[s + i];
            const dc = dcnext[s + i] + dh * og * (1 - tc * tc);
            dAi[a + i] = dc * gg * ig * (1 - ig);
            dAi[a + H + i] = dc * cs[hp + i] * fg * (1 - fg);
            dAi[a + 2 * H + i] = dc * ig * (1 - gg * gg);
            dAi[a + 3 * H + i] = dh * tc * og * (1 - og);
            dcnext[s + i] = dc * fg;
          }
        } else {
          for (let i = 0; i < H; i++) {
            const rg = A[a + i];
            const zg = A[a + H + i];
            const ng = A[a + 2 * H + i];
            const dh = dH[row * H + i] + dhnext[s + i];
            const dn = dh * (1 - zg) * (1 - ng * ng);
            const dr = dn * hn[row * H + i] * rg * (1 - rg);
            const dz = dh * (hs[hp + i] - ng) * zg * (1 - zg);
            dAi[a + i] = dr;
            dAi[a + H + i] = dz;
            dAi[a + 2 * H + i] = dn;
            dAh[a + i] = dr;
            dAh[a + H + i] = dz;
            dAh[a + 2 * H + i] = dn * rg;
            direct[s + i] = dh * zg;
          }
        }
      }
      // dh_{t−1} of all B streams = dA_h[t]·W_hh (+ GRU's direct z·dh path)
      gemmNT(dhnext, 0, dAh, t * B * GH, whhT, 0, B, H, GH);
      if (gru) for (let k = 0; k < B * H; k++) dhnext[k] += direct[k];
    }
    // Weight gradients over the whole chunk.
    for (let row = 0; row < TB; row++) {
      const a = row * GH;
      for (let j = 0; j < GH; j++) {
        acc[bih + j] += dAi[a + j];
        acc[bhh + j] += dAh[a + j];
      }
    }
    // dW_hh = dA_hᵀ·H_{t−1} and dW_ih = dA_iᵀ·X as row dot products over transposed copies; each is its
    // tensor's only contribution (acc starts at zero), so gemmNT64 may overwrite.
    const tA = this.tA;
    const tB = this.tB;
    transpose64(tA, 0, dAh, 0, TB, GH);
    transpose64(tB, 0, hs, 0, TB, H);
    gemmNT64(acc, whh, tA, 0, tB, 0, GH, H, TB);
    if (l === 0 && this.E === 0) {
      const V = this.V;
      for (let row = 0; row < TB; row++) {
        const x = inputs[row];
        const a = row * GH;
        for (let j = 0; j < GH; j++) acc[wih + j * V + x] += dAi[a + j];
      }
    } else {
      if (gru) transpose64(tA, 0, dAi, 0, TB, GH);
      transpose64(tB, 0, this.xs[l], 0, TB, In);
      gemmNT64(acc, wih, tA, 0, tB, 0, GH, In, TB);
      transposeInto(this.wihT[l], 0, w, wih, GH, In);
      gemmNT(this.dX, 0, dAi, 0, this.wihT[l], 0, TB, In, GH); // dX = dA_i·W_ih
    }
  }

  /** Forward over B streams × T steps, then full BPTT into this.gacc (float64). Returns the summed loss. */
  protected forwardBackward(chunk: Chunk, reduction: 'sum' | 'mean'): number {
    const { inputs, targets, hidden } = chunk;
    const B = chunk.batch;
    const T = chunk.steps;
    const TB = T * B;
    const V = this.V;
    const L = this.L;
    const w = this.arenas.params;
    this.ensureScratch(B, T);
    const so = stateOffsets(this.config, B);
    if (this.config.dropout > 0) {
      this.rng.state.set(chunk.rngState!);
      drawDropoutMasks(this.rng, this.masks, this.config.hiddenSizes, T, B, this.config.dropout);
      chunk.rngState!.set(this.rng.state);
    }
    // ---- forward ----
    if (this.E > 0) {
      const E = this.E;
      const x0 = this.xs[0];
      for (let row = 0; row < TB; row++) {
        const e = this.emb + inputs[row] * E;
        for (let k = 0; k < E; k++) x0[row * E + k] = w[e + k];
      }
    }
    for (let l = 0; l < L; l++) {
      const BH = B * this.layers[l].H;
      const hs = this.hs[l];
      for (let k = 0; k < BH; k++) hs[k] = hidden[so.h[l] + k];
      if (this.cell === 'lstm') {
        const cs = this.cs[l];
        for (let k = 0; k < BH; k++) cs[k] = hidden[so.c[l] + k];
      }
      this.forwardLayer(l, inputs, B, T);
    }
    const ps = this.ps;
    const Ht = this.Htop;
    gemmNT(ps, 0, this.xs[L], 0, w, this.decW, TB, V, Ht);
    let lossSum = 0;
    for (let row = 0; row < TB; row++) lossSum += softmaxInPlace(ps, row * V, w, this.decB, V, targets[row]);

    // ---- backward ----
    const acc = this.gacc;
    acc.fill(0);
    const scale = reduction === 'mean' ? 1 / TB : 1;
    softmaxBackwardRows(ps, TB, V, targets, scale, acc, this.decB);
    gemmTN(acc, this.decW, ps, 0, this.xs[L], 0, V, Ht, TB);
    gemmNN(this.dH, 0, ps, 0, w, this.decW, TB, Ht, V);
    for (let l = L - 1; l >= 0; l--) {
      const H = this.layers[l].H;
      // Through this layer's output dropout: dH holds the gradient w.r.t. the dropped output.
      if (this.config.dropout > 0) {
        const m = this.masks[l];
        for (let k = 0; k < TB * H; k++) this.dH[k] *= m[k];
      }
      this.backwardLayer(l, inputs, B, T);
      // the layer below's output gradient (In_l = H_{l−1})
      if (l > 0) this.dH.set(this.dX.subarray(0, TB * this.layers[l].In));
    }
    if (this.E > 0) {
      const E = this.E;
      const dX = this.dX;
      for (let row = 0; row < TB; row++) {
        const e = this.emb + inputs[row] * E;
        for (let k = 0; k < E; k++) acc[e + k] += dX[row * E + k];
      }
    }
    // carry the state after step T to the next chunk
    for (let l = 0; l < L; l++) {
      const BH = B * this.layers[l].H;
      const last = T * BH;
      const hs = this.hs[l];
      for (let k = 0; k < BH; k++) hidden[so.h[l] + k] = hs[last + k];
      if (this.cell === 'lstm') {
        const cs = this.cs[l];
        for (let k = 0; k < BH; k++) hidden[so.c[l] + k] = cs[last + k];
      }
    }
    return lossSum;
  }

  /** One stream, one token: advance the float64 state (layout of stateOffsets(config, 1)); y ← logits. */
  protected stepInto(state: Float64Array, x: number, y: Float64Array): void {
    const w = this.arenas.params;
    const so = stateOffsets(this.config, 1);
    const a = this.a1;
    const r = this.r1;
    let input = this.xin;
    let inOff = 0;
    if (this.E > 0) for (let k = 0; k < this.E; k++) input[k] = w[this.emb + x * this.E + k];
    for (let l = 0; l < this.L; l++) {
      const { H, In, GH, wih, whh, bih, bhh } = this.layers[l];
      const ho = so.h[l];
      if (l === 0 && this.E === 0) for (let j = 0; j < GH; j++) a[j] = w[wih + j * this.V + x] + w[bih + j];
      else {
        matvec(a, 0, w, wih, GH, In, input, inOff);
        for (let j = 0; j < GH; j++) a[j] += w[bih + j];
      }
      matvec(r, 0, w, whh, GH, H, state, ho);
      for (let j = 0; j < GH; j++) r[j] += w[bhh + j];
      if (this.cell === 'rnn') {
        for (let i = 0; i < H; i++) {
          const v = a[i] + r[i];
          state[ho + i] = this.relu ? (v > 0 ? v : 0) : Math.tanh(v);
        }
      } else if (this.cell === 'lstm') {
        const co = so.c[l];
        for (let i = 0; i < H; i++) {
          const ig = sigmoid(a[i] + r[i]);
          const fg = sigmoid(a[H + i] + r[H + i]);
          const gg = Math.tanh(a[2 * H + i] + r[2 * H + i]);
          const og = sigmoid(a[3 * H + i] + r[3 * H + i]);
          const c = fg * state[co + i] + ig * gg;
          state[co + i] = c;
          state[ho + i] = og * Math.tanh(c);
        }
      } else {
        for (let i = 0; i < H; i++) {
          const rg = sigmoid(a[i] + r[i]);
          const zg = sigmoid(a[H + i] + r[H + i]);
          const ng = Math.tanh(a[2 * H + i] + rg * r[2 * H + i]);
          state[ho + i] = (1 - zg) * ng + zg * state[ho + i];
        }
      }
      input = state;
      inOff = ho;
    }
    matvec(y, 0, w, this.decW, this.V, this.Htop, input, inOff);
    for (let k = 0; k < this.V; k++) y[k] += w[this.decB + k];
  }
}

// The JS backend for 'classify' and 'tag' models (src/model/config.ts, task): uni- or bidirectional stacks of
// Elman (tanh/relu), LSTM or GRU layers in PyTorch's gate order, two-bias form and `_reverse` naming, one-hot or
// learned-embedding input, dropout on each layer's output, and a linear head over the top layer's outputs (tag: at
// every true step; classify: read out by 'last' / 'mean' / 'max' pooling). Forward, backward, and the weighted
// cross-entropy over a padded batch of independent sequences (SequenceBatch), each from a zero state.
// Masking rule (both directions, every layer): at a padded step (t ≥ lengths[b]) a layer's h (and c) is forced to 0
// and its gradient stops there, so the forward direction's steps never see padding (it comes after them) and the
// reverse direction starts each sequence from a zero state at its own last step. It is the definition the native
// backend (native/nn/seq.cc) is tested against. Deliberately no language-model path (./stack.ts) and no policy.
import type { Arenas, BackendSession, Chunk, SequenceBatch } from '../backend.js';
import { JsSessionBase } from './session-base.js';
import { directions, gateCount, type ModelConfig } from '../../model/config.js';
import { layerInputSize } from '../../model/layout.js';
import { layoutFor } from '../../model/spec.js';
import { Rng } from '../../util/rng.js';
import { notLanguageModelError } from '../../util/errors.js';
import { gemmNN, gemmNT, gemmTN, transposeInto } from './blas.js';

/** Arena offsets and sizes of one direction of one recurrent layer. */
interface DirPlan {
  readonly H: number;
  readonly In: number;
  readonly GH: number;
  readonly wih: number;
  readonly whh: number;
  readonly bih: number;
  readonly bhh: number;
}

const sigmoid = (x: number): number => 1 / (1 + Math.exp(-x));

type F64 = Float64Array<ArrayBuffer>;

function grow(a: F64, n: number): F64 {
  return a.length >= n ? a : new Float64Array(n);
}

/**
 * Dropout masks of one sequence batch, drawn from `rng` in this exact order (the native backend matches it):
 *   for t in 0..T−1, for layer l in 0..L−1, for sequence b in 0..B−1, for unit i in 0..D·H_l−1:
 *     u = rng.nextFloat();  mask = u ≥ p ? 1 / (1 − p) : 0
 * (padded steps draw too, so a mask does not depend on the lengths). masks[l] element (t·B + b)·D·H_l + i
 * multiplies unit i (forward direction first) of sequence b's layer-l output at step t.
 */
export function drawSequenceMasks(
  rng: Rng,
  masks: readonly Float64Array[],
  widths: readonly number[],
  T: number,
  B: number,
  p: number,
): void {
  const keep = 1 / (1 - p);
  for (let t = 0; t < T; t++)
    for (let l = 0; l < widths.length; l++) {
      const W = widths[l];
      const m = masks[l];
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * W;
        for (let i = 0; i < W; i++) m[o + i] = rng.nextFloat() >= p ? keep : 0;
      }
    }
}

export class JsSeqSession extends JsSessionBase implements BackendSession {
  private readonly D: number;
  private readonly L: number;
  private readonly E: number;
  private readonly C: number;
  private readonly cell: ModelConfig['cell'];
  private readonly relu: boolean;
  private readonly plans: DirPlan[][];
  /** Output width of layer l: D·H_l. */
  private readonly widths: number[];
  private readonly emb: number;
  private readonly decW: number;
  private readonly decB: number;
  private readonly rng = new Rng(1);

  // Batch scratch, time-major (row r = t·B + b). xs[l]: layer l's input [T·B, In_l] (xs[0] only with an
  // embedding), xs[L]: the head's input (top output, dropped out) [T·B, D·H_top]. Per layer and direction:
  // hs [(T+1)·B, H] (forward: h_t in block t+1, block 0 zero; reverse: h_t in block t, block T zero), cs the
  // same for an LSTM, acts [T·B, G·H] post-activation gates, hn (GRU) W_hn·h + b_hn [T·B, H].
  private xs: F64[];
  private hs: F64[][];
  private cs: F64[][];
  private acts: F64[][];
  private hn: F64[][];
  private masks: F64[];
  private valid = new Uint8Array(0);
  private ids = new Int32Array(0);
  private feat = new Float64Array(0);
  private argmax = new Int32Array(0);
  private ys = new Float64Array(0);
  private dH = new Float64Array(0);
  private dX = new Float64Array(0);
  private dXd = new Float64Array(0);
  private dAi = new Float64Array(0);
  private dAh = new Float64Array(0);
  private rec = new Float64Array(0);
  private dhnext = new Float64Array(0);
  private dcnext = new Float64Array(0);
  private direct = new Float64Array(0);
  private readonly whhT: Float32Array[][];

  constructor(config: ModelConfig, arenas: Arenas) {
    super(config, arenas);
    const layout = layoutFor(config);
    const G = gateCount(config.cell);
    this.D = directions(config);
    this.L = config.layers;
    this.E = config.embeddingSize;
    this.C = config.numClasses;
    this.cell = config.cell;
    this.relu = config.activation === 'relu';
    this.emb = this.E > 0 ? layout.get('embedding.weight').offset : -1;
    this.decW = layout.get('decoder.weight').offset;
    this.decB = layout.get('decoder.bias').offset;
    this.plans = [];
    this.widths = [];
    for (let l = 0; l < this.L; l++) {
      const H = config.hiddenSizes[l];
      const dirs: DirPlan[] = [];
      for (const sfx of this.D === 2 ? ['', '_reverse'] : ['']) {
        const o = (n: string) => layout.get(`rnn.${n}_l${l}${sfx}`).offset;
        dirs.push({
          H,
          In: layerInputSize(config, l),
          GH: G * H,
          wih: o('weight_ih'),
          whh: o('weight_hh'),
          bih: o('bias_ih'),
          bhh: o('bias_hh'),
        });
      }
      this.plans.push(dirs);
      this.widths.push(this.D * H);
    }
    this.whhT = this.plans.map((dirs) => dirs.map((p) => new Float32Array(p.GH * p.H)));
    const empty = () => new Float64Array(0);
    const perLayer = () => this.plans.map((dirs) => dirs.map(empty));
    this.xs = Array.from({ length: this.L + 1 }, empty);
    this.hs = perLayer();
    this.cs = perLayer();
    this.acts = perLayer();
    this.hn = perLayer();
    this.masks = Array.from({ length: this.L }, empty);
  }

  protected forwardBackward(_chunk: Chunk, _reduction: 'sum' | 'mean'): number {
    throw notLanguageModelError(this.config, 'trainChunk / gradient');
  }

  override stepBatch(): void {
    throw notLanguageModelError(this.config, 'stepBatch');
  }

  protected stepInto(_state: Float64Array, _x: number, _y: Float64Array): void {
    throw notLanguageModelError(this.config, 'step / evaluate / sample');
  }

  private ensureScratch(B: number, T: number): void {
    const TB = T * B;
    const lstm = this.cell === 'lstm';
    const gru = this.cell === 'gru';
    let maxGH = 0;
    let maxH = 0;
    let maxIn = 0;
    let maxW = 0;
    for (let l = 0; l < this.L; l++) {
      maxW = Math.max(maxW, this.widths[l]);
      if (this.config.dropout > 0) this.masks[l] = grow(this.masks[l], TB * this.widths[l]);
      for (let d = 0; d < this.D; d++) {
        const { H, In, GH } = this.plans[l][d];
        maxGH = Math.max(maxGH, GH);
        maxH = Math.max(maxH, H);
        maxIn = Math.max(maxIn, In);
        this.hs[l][d] = grow(this.hs[l][d], (TB + B) * H);
        if (lstm) this.cs[l][d] = grow(this.cs[l][d], (TB + B) * H);
        this.acts[l][d] = grow(this.acts[l][d], TB * GH);
        if (gru) this.hn[l][d] = grow(this.hn[l][d], TB * H);
      }
      if (l > 0 || this.E > 0) this.xs[l] = grow(this.xs[l], TB * this.plans[l][0].In);
    }
    const top = this.widths[this.L - 1];
    this.xs[this.L] = grow(this.xs[this.L], TB * top);
    if (this.valid.length < TB) this.valid = new Uint8Array(TB);
    if (this.ids.length < TB) this.ids = new Int32Array(TB);
    this.feat = grow(this.feat, B * top);
    if (this.argmax.length < B * top) this.argmax = new Int32Array(B * top);
    this.ys = grow(this.ys, TB * this.C);
    this.dH = grow(this.dH, TB * maxW);
    this.dX = grow(this.dX, TB * maxIn);
    this.dXd = grow(this.dXd, TB * maxIn);
    this.dAi = grow(this.dAi, TB * maxGH);
    if (gru) this.dAh = grow(this.dAh, TB * maxGH);
    this.rec = grow(this.rec, B * maxGH);
    this.dhnext = grow(this.dhnext, B * maxH);
    this.dcnext = grow(this.dcnext, B * maxH);
    this.direct = grow(this.direct, B * maxH);
  }

  /** Forward of direction d of layer l over the batch: fills hs/cs/acts/hn and its half of xs[l + 1]. */
  private forwardDir(l: number, d: number, B: number, T: number, drop: boolean): void {
    const w = this.arenas.params;
    const { H, In, GH, wih, whh, bih, bhh } = this.plans[l][d];
    const TB = T * B;
    const BH = B * H;
    const A = this.acts[l][d];
    const hs = this.hs[l][d];
    const cs = this.cs[l][d];
    const hn = this.hn[l][d];
    const rec = this.rec;
    const valid = this.valid;
    const lstm = this.cell === 'lstm';
    // Input projection over the whole batch: A = X·W_ihᵀ + b_ih (one-hot: a column lookup).
    if (l === 0 && this.E === 0) {
      const V = this.V;
      const ids = this.ids;
      for (let row = 0; row < TB; row++) {
        const x = ids[row];
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
    const zero = d === 0 ? 0 : T * BH;
    hs.fill(0, zero, zero + BH);
    if (lstm) cs.fill(0, zero, zero + BH);
    for (let k = 0; k < T; k++) {
      const t = d === 0 ? k : T - 1 - k;
      const prev = (d === 0 ? t : t + 1) * BH;
      const cur = (d === 0 ? t + 1 : t) * BH;
      gemmNT(rec, 0, hs, prev, w, whh, B, GH, H);
      for (let b = 0; b < B; b++) {
        const row = t * B + b;
        const a = row * GH;
        const r = b * GH;
        const hp = prev + b * H;
        const hc = cur + b * H;
        if (!valid[row]) {
          hs.fill(0, hc, hc + H);
          if (lstm) cs.fill(0, hc, hc + H);
          A.fill(0, a, a + GH);
          continue;
        }
        if (this.cell === 'rnn') {
          for (let i = 0; i < H; i++) {
            const v = A[a + i] + rec[r + i] + w[bhh + i];
            const h = this.relu ? (v > 0 ? v : 0) : Math.tanh(v);
            A[a + i] = h;
            hs[hc + i] = h;
          }
        } else if (lstm) {
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
    // This direction's half of the layer output (the next layer's / the head's input), dropped out when training.
    const next = this.xs[l + 1];
    const W = this.widths[l];
    const m = this.masks[l];
    for (let t = 0; t < T; t++) {
      const cur = (d === 0 ? t + 1 : t) * BH;
      for (let b = 0; b < B; b++) {
        const o = (t * B + b) * W + d * H;
        const h = cur + b * H;
        if (drop) for (let i = 0; i < H; i++) next[o + i] = hs[h + i] * m[o + i];
        else for (let i = 0; i < H; i++) next[o + i] = hs[h + i];
      }
    }
  }

  /**
   * Backward of direction d of layer l: reads dH (gradient w.r.t. the layer's raw output [T·B, D·H]), accumulates
   * its weight gradients, and adds the gradient w.r.t. its input into dX [T·B, In] (d = 0 overwrites).
   */
  private backwardDir(l: number, d: number, B: number, T: number): void {
    const w = this.arenas.params;
    const acc = this.gacc;
    const { H, In, GH, wih, whh, bih, bhh } = this.plans[l][d];
    const TB = T * B;
    const BH = B * H;
    const W = this.widths[l];
    const A = this.acts[l][d];
    const hs = this.hs[l][d];
    const cs = this.cs[l][d];
    const hn = this.hn[l][d];
    const dH = this.dH;
    const dAi = this.dAi;
    const gru = this.cell === 'gru';
    const dAh = gru ? this.dAh : dAi;
    const dhnext = this.dhnext;
    const dcnext = this.dcnext;
    const direct = this.direct;
    const valid = this.valid;
    dhnext.fill(0, 0, BH);
    dcnext.fill(0, 0, BH);
    const whhT = this.whhT[l][d];
    transposeInto(whhT, 0, w, whh, GH, H);
    for (let k = 0; k < T; k++) {
      const t = d === 0 ? T - 1 - k : k;
      const prev = (d === 0 ? t : t + 1) * BH;
      const cur = (d === 0 ? t + 1 : t) * BH;
      for (let b = 0; b < B; b++) {
        const row = t * B + b;
        const a = row * GH;
        const hp = prev + b * H;
        const hc = cur + b * H;
        const s = b * H;
        const g = row * W + d * H;
        if (!valid[row]) {
          // h and c were forced to 0 here: nothing flows through this step.
          dAi.fill(0, a, a + GH);
          if (gru) dAh.fill(0, a, a + GH);
          dcnext.fill(0, s, s + H);
          direct.fill(0, s, s + H);
          continue;
        }
        if (this.cell === 'rnn') {
          for (let i = 0; i < H; i++) {
            const h = A[a + i];
            const dh = dH[g + i] + dhnext[s + i];
            dAi[a + i] = this.relu ? (h > 0 ? dh : 0) : (1 - h * h) * dh;
          }
        } else if (this.cell === 'lstm') {
          for (let i = 0; i < H; i++) {
            const ig = A[a + i];
            const fg = A[a + H + i];
            const gg = A[a + 2 * H + i];
            const og = A[a + 3 * H + i];
            const tc = Math.tanh(cs[hc + i]);
            const dh = dH[g + i] + dhnext[s + i];
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
            const dh = dH[g + i] + dhnext[s + i];
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
      // dh of the previous step (in this direction's order) of all B sequences = dA_h[t]·W_hh (+ GRU's z·dh)
      gemmNT(dhnext, 0, dAh, t * B * GH, whhT, 0, B, H, GH);
      if (gru) for (let q = 0; q < BH; q++) dhnext[q] += direct[q];
    }
    for (let row = 0; row < TB; row++) {
      const a = row * GH;
      for (let j = 0; j < GH; j++) {
        acc[bih + j] += dAi[a + j];
        acc[bhh + j] += dAh[a + j];
      }
    }
    // dW_hh += dA_hᵀ·H_prev: the previous states are hs blocks 0..T−1 (forward) or 1..T (reverse), row-aligned.
    gemmTN(acc, whh, dAh, 0, hs, d === 0 ? 0 : BH, GH, H, TB);
    if (l === 0 && this.E === 0) {
      const V = this.V;
      const ids = this.ids;
      for (let row = 0; row < TB; row++) {
        const x = ids[row];
        const a = row * GH;
        for (let j = 0; j < GH; j++) acc[wih + j * V + x] += dAi[a + j];
      }
      return;
    }
    gemmTN(acc, wih, dAi, 0, this.xs[l], 0, GH, In, TB);
    if (d === 0) gemmNN(this.dX, 0, dAi, 0, w, wih, TB, In, GH);
    else {
      gemmNN(this.dXd, 0, dAi, 0, w, wih, TB, In, GH);
      const dX = this.dX;
      const dXd = this.dXd;
      for (let q = 0; q < TB * In; q++) dX[q] += dXd[q];
    }
  }

  /** The whole stack's forward; leaves the head's input in xs[L]. */
  private forward(batch: SequenceBatch, drop: boolean): void {
    const { B, T, ids: rowIds, lengths } = batch;
    const TB = T * B;
    const w = this.arenas.params;
    this.ensureScratch(B, T);
    const ids = this.ids;
    const valid = this.valid;
    for (let b = 0; b < B; b++)
      for (let t = 0; t < T; t++) {
        ids[t * B + b] = rowIds[b * T + t];
        valid[t * B + b] = t < lengths[b] ? 1 : 0;
      }
    if (drop) {
      this.rng.state.set(this.maskRng!);
      drawSequenceMasks(this.rng, this.masks, this.widths, T, B, this.config.dropout);
      this.maskRng!.set(this.rng.state);
    }
    if (this.E > 0) {
      const E = this.E;
      const x0 = this.xs[0];
      for (let row = 0; row < TB; row++) {
        const e = this.emb + ids[row] * E;
        for (let k = 0; k < E; k++) x0[row * E + k] = w[e + k];
      }
    }
    for (let l = 0; l < this.L; l++) for (let d = 0; d < this.D; d++) this.forwardDir(l, d, B, T, drop);
  }

  /** The head's input rows: classify reads out feat [B, D·H_top] from xs[L]; tag uses xs[L] itself. */
  private readout(batch: SequenceBatch): { x: Float64Array; rows: number } {
    const { B, T, lengths } = batch;
    const top = this.widths[this.L - 1];
    const xL = this.xs[this.L];
    if (this.config.task === 'tag') return { x: xL, rows: T * B };
    const F = this.feat;
    const H = this.plans[this.L - 1][0].H;
    const pooling = this.config.pooling;
    for (let b = 0; b < B; b++) {
      const n = lengths[b];
      const f = b * top;
      if (pooling === 'last') {
        // forward direction: its h at the last true step; reverse: its h after reading back to step 0
        const o = ((n - 1) * B + b) * top;
        for (let i = 0; i < H; i++) F[f + i] = xL[o + i];
        if (this.D === 2) {
          const o0 = b * top + H;
          for (let i = 0; i < H; i++) F[f + H + i] = xL[o0 + i];
        }
      } else if (pooling === 'mean') {
        F.fill(0, f, f + top);
        for (let t = 0; t < n; t++) {
          const o = (t * B + b) * top;
          for (let i = 0; i < top; i++) F[f + i] += xL[o + i];
        }
        for (let i = 0; i < top; i++) F[f + i] /= n;
      } else {
        const am = this.argmax;
        for (let i = 0; i < top; i++) {
          F[f + i] = xL[b * top + i];
          am[f + i] = 0;
        }
        for (let t = 1; t < n; t++) {
          const o = (t * B + b) * top;
          for (let i = 0; i < top; i++)
            if (xL[o + i] > F[f + i]) {
              F[f + i] = xL[o + i];
              am[f + i] = t;
            }
        }
      }
    }
    return { x: F, rows: B };
  }

  /** The dropout mask stream of the call in progress (sequenceGradient / trainSequences with dropout > 0). */
  private maskRng: Uint32Array | undefined;

  protected override seqForward(batch: SequenceBatch): Float32Array {
    this.forward(batch, false);
    const { B, T } = batch;
    const C = this.C;
    const w = this.arenas.params;
    const { x, rows } = this.readout(batch);
    const top = this.widths[this.L - 1];
    const ys = this.ys;
    gemmNT(ys, 0, x, 0, w, this.decW, rows, C, top);
    const out = new Float32Array(rows * C);
    for (let r = 0; r < rows; r++) {
      // tag: internal row t·B + b → output row b·T + t; padded steps stay zero
      let o = r * C;
      if (this.config.task === 'tag') {
        const t = Math.floor(r / B);
        const b = r - t * B;
        if (!this.valid[r]) continue;
        o = (b * T + t) * C;
      }
      for (let k = 0; k < C; k++) out[o + k] = ys[r * C + k] + w[this.decB + k];
    }
    return out;
  }

  protected override seqForwardBackward(
    batch: SequenceBatch,
    classWeights: Float32Array | undefined,
    rngState: Uint32Array | undefined,
  ): number {
    const drop = this.config.dropout > 0;
    this.maskRng = rngState;
    this.forward(batch, drop);
    this.maskRng = undefined;
    const { B, T, lengths } = batch;
    const labels = batch.labels!;
    const C = this.C;
    const L = this.L;
    const w = this.arenas.params;
    const acc = this.gacc;
    acc.fill(0);
    const top = this.widths[L - 1];
    const { x, rows } = this.readout(batch);
    const ys = this.ys;
    gemmNT(ys, 0, x, 0, w, this.decW, rows, C, top);
    // Weighted cross-entropy: Σ w[y]·(−log p[y]) / Σ w[y] over the counted rows (tag: true steps labelled ≥ 0).
    const tag = this.config.task === 'tag';
    let lossSum = 0;
    let weightSum = 0;
    for (let r = 0; r < rows; r++) {
      const o = r * C;
      let y = -1;
      if (tag) {
        const t = Math.floor(r / B);
        if (this.valid[r]) y = labels[(r - t * B) * T + t];
      } else y = labels[r];
      if (y < 0) {
        ys.fill(0, o, o + C);
        continue;
      }
      const wy = classWeights === undefined ? 1 : classWeights[y];
      let max = -Infinity;
      for (let k = 0; k < C; k++) {
        const v = ys[o + k] + w[this.decB + k];
        ys[o + k] = v;
        if (v > max) max = v;
      }
      let sum = 0;
      for (let k = 0; k < C; k++) {
        const e = Math.exp(ys[o + k] - max);
        ys[o + k] = e;
        sum += e;
      }
      for (let k = 0; k < C; k++) ys[o + k] /= sum;
      lossSum += wy * -Math.log(ys[o + y]);
      weightSum += wy;
      // unscaled dY = w[y]·(p − onehot); scaled by 1 / Σ w below
      ys[o + y] -= 1;
      for (let k = 0; k < C; k++) ys[o + k] *= wy;
    }
    if (weightSum === 0) return 0; // nothing counted: zero gradient (acc is zero)
    const inv = 1 / weightSum;
    for (let q = 0; q < rows * C; q++) ys[q] *= inv;
    for (let r = 0; r < rows; r++) for (let k = 0; k < C; k++) acc[this.decB + k] += ys[r * C + k];
    gemmTN(acc, this.decW, ys, 0, x, 0, C, top, rows);
    const dH = this.dH;
    const TB = T * B;
    if (tag) gemmNN(dH, 0, ys, 0, w, this.decW, TB, top, C);
    else {
      // dF [B, top] into feat's scratch (its values are no longer needed), then back to the steps it read.
      const dF = this.feat;
      gemmNN(dF, 0, ys, 0, w, this.decW, B, top, C);
      dH.fill(0, 0, TB * top);
      const H = this.plans[L - 1][0].H;
      for (let b = 0; b < B; b++) {
        const n = lengths[b];
        const f = b * top;
        if (this.config.pooling === 'last') {
          const o = ((n - 1) * B + b) * top;
          for (let i = 0; i < H; i++) dH[o + i] += dF[f + i];
          if (this.D === 2) for (let i = 0; i < H; i++) dH[b * top + H + i] += dF[f + H + i];
        } else if (this.config.pooling === 'mean') {
          for (let t = 0; t < n; t++) {
            const o = (t * B + b) * top;
            for (let i = 0; i < top; i++) dH[o + i] += dF[f + i] / n;
          }
        } else {
          const am = this.argmax;
          for (let i = 0; i < top; i++) dH[(am[f + i] * B + b) * top + i] += dF[f + i];
        }
      }
    }
    for (let l = L - 1; l >= 0; l--) {
      const W = this.widths[l];
      if (this.config.dropout > 0) {
        const m = this.masks[l];
        for (let q = 0; q < TB * W; q++) dH[q] *= m[q];
      }
      for (let d = 0; d < this.D; d++) this.backwardDir(l, d, B, T);
      if (l > 0) dH.set(this.dX.subarray(0, TB * this.plans[l][0].In));
    }
    if (this.E > 0) {
      const E = this.E;
      const dX = this.dX;
      const ids = this.ids;
      for (let row = 0; row < TB; row++) {
        const e = this.emb + ids[row] * E;
        for (let k = 0; k < E; k++) acc[e + k] += dX[row * E + k];
      }
    }
    return lossSum * inv;
  }
}

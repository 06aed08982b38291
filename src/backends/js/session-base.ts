// What every JS backend session shares: arena checks, the float64 gradient accumulator, the gradient /
// trainChunk / dispose plumbing around a cell-specific forwardBackward, and evaluate / step / sample around a
// cell-specific single step (stepInto). No cell math here.
import type {
  Arenas,
  AsyncEvalResult,
  Chunk,
  ChunkResult,
  EvalResult,
  SampleRequest,
  SequenceBatch,
  SequenceLossOptions,
  StepHyper,
} from '../backend.js';
import type { ModelConfig } from '../../model/config.js';
import { stateSize } from '../../model/layout.js';
import { Rng } from '../../util/rng.js';
import { checkIds, float32Array } from '../../util/validate.js';
import { tokenPicker } from '../../sampling/picker.js';
import {
  checkArenas,
  checkChunk,
  checkHyper,
  checkSample,
  checkStepBatch,
  checkSequenceBatch,
  checkSequenceLoss,
  checkSequenceRng,
  checkTemperature,
} from '../check.js';
import { applyUpdate } from './optim.js';
import { disposedError, notSequenceModelError } from '../../util/errors.js';
import { yieldToEventLoop } from '../../util/yield.js';
import { ChunkThread, sharedArenas } from './chunk-thread.js';

/** evaluateAsync runs this long (ms) between yields to the event loop. */
const SLICE_MS = 8;

export abstract class JsSessionBase {
  readonly backend = 'js' as const;
  /** Number of parameters (arena length). */
  protected readonly P: number;
  /** Vocabulary size. */
  protected readonly V: number;
  /** Gradient accumulator in float64; copied into the float32 grads arena once per chunk. */
  protected readonly gacc: Float64Array;
  /** One stream's state (stateSize(config, 1)), logits and probabilities for evaluate / step / sample. */
  private readonly state1: Float64Array;
  private readonly ystep: Float64Array;
  private readonly probs1: Float32Array;
  private disposed = false;
  /** The worker of trainChunkAsync, started on first use. */
  private thread: ChunkThread | undefined;

  constructor(
    protected readonly config: ModelConfig,
    protected readonly arenas: Arenas,
  ) {
    this.P = checkArenas(config, arenas);
    this.V = config.vocabSize;
    this.gacc = new Float64Array(this.P);
    this.state1 = new Float64Array(stateSize(config, 1));
    this.ystep = new Float64Array(this.V);
    this.probs1 = new Float32Array(this.V);
  }

  protected live(): void {
    if (this.disposed) throw disposedError();
  }

  /** Forward over the chunk and full BPTT into this.gacc; carries the state; returns the summed loss. */
  protected abstract forwardBackward(chunk: Chunk, reduction: 'sum' | 'mean'): number;

  /** One step of one stream without dropout: `state` (float64, stateSize(config, 1)) in place, logits into y [V]. */
  protected abstract stepInto(state: Float64Array, x: number, y: Float64Array): void;

  gradient(chunk: Chunk, reduction: 'sum' | 'mean'): number {
    this.live();
    checkChunk(this.config, chunk);
    if (reduction !== 'sum' && reduction !== 'mean')
      throw new RangeError(`Expected one of 'sum', 'mean' for reduction but received ${String(reduction)}`);
    const lossSum = this.forwardBackward(chunk, reduction);
    const g = this.arenas.grads;
    const acc = this.gacc;
    for (let i = 0; i < this.P; i++) g[i] = acc[i];
    return lossSum / (chunk.batch * chunk.steps);
  }

  trainChunk(chunk: Chunk, hyper: StepHyper): ChunkResult {
    this.live();
    checkChunk(this.config, chunk);
    checkHyper(hyper, this.arenas, this.P);
    const lossSum = this.forwardBackward(chunk, hyper.reduction);
    const gradNorm = applyUpdate(this.gacc, this.arenas, this.P, hyper);
    return { loss: lossSum / (chunk.batch * chunk.steps), gradNorm };
  }

  /**
   * Off the main thread (a worker running this same code on the shared arenas) when the arenas live in
   * SharedArrayBuffers; in place otherwise.
   */
  trainChunkAsync(chunk: Chunk, hyper: StepHyper): Promise<ChunkResult> {
    try {
      if (!sharedArenas(this.arenas)) return Promise.resolve(this.trainChunk(chunk, hyper));
      this.live();
      checkChunk(this.config, chunk);
      checkHyper(hyper, this.arenas, this.P);
      this.thread ??= new ChunkThread(this.config, this.arenas);
      return this.thread.train(chunk, hyper, () => this.trainChunk(chunk, hyper));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  private checkEval(ids: Int32Array, hidden: Float32Array | undefined): void {
    this.live();
    checkIds('ids', ids, undefined, this.V);
    if (ids.length < 2)
      throw new RangeError(
        `Expected at least 2 tokens for ids but received an Int32Array of length ${ids.length}`,
      );
    if (hidden !== undefined) float32Array('hidden', hidden, this.state1.length);
  }

  /** Positions [from, to) of an evaluation: advances `s`, returns the added nats (one running sum, in order). */
  private evalSpan(
    ids: Int32Array,
    s: Float64Array,
    y: Float64Array,
    from: number,
    to: number,
    total: number,
  ): number {
    for (let n = from; n < to; n++) {
      this.stepInto(s, ids[n], y);
      let max = -Infinity;
      for (let k = 0; k < this.V; k++) if (y[k] > max) max = y[k];
      let sum = 0;
      for (let k = 0; k < this.V; k++) sum += Math.exp(y[k] - max);
      total += Math.log(sum) - (y[ids[n + 1]] - max);
    }
    return total;
  }

  evaluate(ids: Int32Array, hidden?: Float32Array): EvalResult {
    this.checkEval(ids, hidden);
    const s = this.state1;
    if (hidden !== undefined) for (let i = 0; i < s.length; i++) s[i] = hidden[i];
    else s.fill(0);
    const total = this.evalSpan(ids, s, this.ystep, 0, ids.length - 1, 0);
    return { totalNats: total, count: ids.length - 1 };
  }

  async evaluateAsync(
    ids: Int32Array,
    hidden: Float32Array | undefined,
    deadline: number,
  ): Promise<AsyncEvalResult> {
    this.checkEval(ids, hidden);
    if (typeof deadline !== 'number' || Number.isNaN(deadline))
      throw new TypeError(
        `Expected a performance.now() time or Infinity for deadline but received ${String(deadline)}`,
      );
    // Private copies: the caller's buffers may change while this yields.
    const own = ids.slice();
    const s = new Float64Array(this.state1.length);
    if (hidden !== undefined) for (let i = 0; i < s.length; i++) s[i] = hidden[i];
    const y = new Float64Array(this.V);
    const last = own.length - 1;
    // Slices of `step` positions, sized so each takes about SLICE_MS (the sum is the same running sum as evaluate's).
    let step = 16;
    let total = 0;
    for (let n = 0; n < last;) {
      const to = Math.min(last, n + step);
      const t = performance.now();
      total = this.evalSpan(own, s, y, n, to, total);
      n = to;
      const took = performance.now() - t;
      step = Math.max(1, Math.min(1 << 20, Math.round((step * SLICE_MS) / Math.max(took, 0.05))));
      if (n < last) {
        if (performance.now() >= deadline) return { totalNats: NaN, count: last, complete: false };
        await yieldToEventLoop();
        this.live();
      }
    }
    return { totalNats: total, count: last, complete: true };
  }

  stepBatch(states: Float32Array, tokens: Int32Array, probs: Float32Array, temperature: number): void {
    this.live();
    checkStepBatch(this.config, states, tokens, probs, temperature);
    const S = this.state1.length;
    const V = this.V;
    for (let b = 0; b < tokens.length; b++)
      this.step(
        states.subarray(b * S, (b + 1) * S),
        tokens[b],
        probs.subarray(b * V, (b + 1) * V),
        temperature,
      );
  }

  step(hidden: Float32Array, token: number, probs: Float32Array, temperature: number): void {
    this.live();
    const s = this.state1;
    float32Array('hidden', hidden, s.length);
    float32Array('probs', probs, this.V);
    if (!Number.isInteger(token) || token < 0 || token >= this.V)
      throw new RangeError(`Expected a token id in [0, ${this.V - 1}] for token but received ${token}`);
    checkTemperature(temperature);
    for (let i = 0; i < s.length; i++) s[i] = hidden[i];
    const y = this.ystep;
    this.stepInto(s, token, y);
    for (let i = 0; i < s.length; i++) hidden[i] = s[i];
    // softmax of y / temperature into float32 probs
    let max = -Infinity;
    for (let k = 0; k < this.V; k++) if (y[k] > max) max = y[k];
    let sum = 0;
    for (let k = 0; k < this.V; k++) {
      const e = Math.exp((y[k] - max) / temperature);
      y[k] = e;
      sum += e;
    }
    for (let k = 0; k < this.V; k++) probs[k] = y[k] / sum;
  }

  sample(req: SampleRequest): Int32Array {
    this.live();
    checkSample(this.config, req);
    const out = new Int32Array(req.length);
    const probs = this.probs1;
    const rng = new Rng(req.rngState);
    const temperature = req.greedy ? 1 : req.temperature;
    for (let n = 0; n < req.prime.length; n++) this.step(req.hidden, req.prime[n], probs, temperature);
    const pick = tokenPicker(req, this.V, rng);
    for (let n = 0; n < req.length; n++) {
      const tok = pick(probs, n);
      out[n] = tok;
      this.step(req.hidden, tok, probs, temperature);
    }
    req.rngState.set(rng.state);
    return out;
  }

  /** 'classify' / 'tag' sessions (./seq.ts): logits of a padded batch, no dropout. */
  protected seqForward(_batch: SequenceBatch): Float32Array {
    throw notSequenceModelError('forwardSequences');
  }

  /** 'classify' / 'tag' sessions: forward + backward into this.gacc; returns the weighted mean loss. */
  protected seqForwardBackward(
    _batch: SequenceBatch,
    _classWeights: Float32Array | undefined,
    _rngState: Uint32Array | undefined,
  ): number {
    throw notSequenceModelError('sequenceGradient / trainSequences');
  }

  private checkSeq(batch: SequenceBatch, options: SequenceLossOptions, rngState: unknown) {
    this.live();
    if (this.config.task === 'lm') throw notSequenceModelError('sequenceGradient / trainSequences');
    checkSequenceBatch(this.config, batch, true);
    const weights = checkSequenceLoss(this.config, options);
    checkSequenceRng(this.config, rngState);
    return weights;
  }

  sequenceGradient(batch: SequenceBatch, options: SequenceLossOptions, rngState?: Uint32Array): number {
    const weights = this.checkSeq(batch, options, rngState);
    const loss = this.seqForwardBackward(batch, weights, rngState);
    const g = this.arenas.grads;
    const acc = this.gacc;
    for (let i = 0; i < this.P; i++) g[i] = acc[i];
    return loss;
  }

  trainSequences(
    batch: SequenceBatch,
    options: SequenceLossOptions,
    hyper: StepHyper,
    rngState?: Uint32Array,
  ): ChunkResult {
    const weights = this.checkSeq(batch, options, rngState);
    checkHyper(hyper, this.arenas, this.P);
    const loss = this.seqForwardBackward(batch, weights, rngState);
    const gradNorm = applyUpdate(this.gacc, this.arenas, this.P, hyper);
    return { loss, gradNorm };
  }

  trainSequencesAsync(
    batch: SequenceBatch,
    options: SequenceLossOptions,
    hyper: StepHyper,
    rngState?: Uint32Array,
  ): Promise<ChunkResult> {
    try {
      return Promise.resolve(this.trainSequences(batch, options, hyper, rngState));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  forwardSequences(batch: SequenceBatch): Float32Array {
    this.live();
    if (this.config.task === 'lm') throw notSequenceModelError('forwardSequences');
    checkSequenceBatch(this.config, batch, false);
    return this.seqForward(batch);
  }

  dispose(): void {
    this.disposed = true;
    this.thread?.close();
    this.thread = undefined;
  }
}

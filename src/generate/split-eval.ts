// Evaluation of one long token sequence as B parallel streams, where the user asks for it (evaluate's `streams`):
// the n − 1 predictions are cut into B consecutive segments, and each segment is read by its own stream from a zero
// state, all B stepped together (one BackendSession.stepBatch call per position). This changes the quantity: a
// segment's first tokens lose the context before the cut, so the loss is a little higher than one stream's (by
// about the loss of a text's first few tokens, B times over). Every prediction is still counted exactly once.
// The surprisal of a token is −ln of its float32 probability (as score()); a probability that underflowed to 0
// makes its segment be re-evaluated in float64 by BackendSession.evaluate.
import { positiveInt, rangeError } from '../util/validate.js';
import { yieldToEventLoop } from '../util/yield.js';
import type { ModelCore } from './core.js';
import { MAX_BATCH_STREAMS } from './session.js';

/**
 * Segment boundaries: stream b predicts ids[t[b] + 1] … ids[t[b+1]] from ids[t[b]] … (it is fed ids[t[b]] …
 * ids[t[b+1]], the last feed only to close the step that reads the last prediction).
 */
export function segmentBounds(predictions: number, B: number): number[] {
  return Array.from({ length: B + 1 }, (_, b) => Math.floor((b * predictions) / B));
}

/** Checks `streams` against the sequence: an integer in [1, min(n − 1, MAX_BATCH_STREAMS)]. */
export function checkStreams(streams: unknown, n: number): number {
  const B = positiveInt('streams', streams);
  const most = Math.min(Math.max(1, n - 1), MAX_BATCH_STREAMS);
  if (B > most)
    rangeError(
      `an integer in [1, ${most}] (each stream needs at least one prediction of the ${n} tokens)`,
      'streams',
      B,
    );
  return B;
}

class SplitEvaluation {
  readonly t: number[];
  readonly order: number[];
  readonly states: Float32Array;
  readonly probs: Float32Array;
  readonly tokens: Int32Array;
  readonly sums: Float64Array;
  readonly underflow: Uint8Array;
  k = 0;
  live: number;
  readonly longest: number;

  constructor(
    readonly core: ModelCore,
    readonly ids: Int32Array,
    readonly B: number,
  ) {
    this.t = segmentBounds(ids.length - 1, B);
    const len = (b: number) => this.t[b + 1] - this.t[b] + 1; // tokens fed to stream b
    this.order = Array.from({ length: B }, (_, b) => b).sort((a, b) => len(b) - len(a) || a - b);
    this.states = new Float32Array(B * core.stateSize);
    this.probs = new Float32Array(B * core.config.vocabSize);
    this.tokens = new Int32Array(B);
    this.sums = new Float64Array(B);
    this.underflow = new Uint8Array(B);
    this.live = B;
    this.longest = len(this.order[0]);
  }

  get done(): boolean {
    return this.k >= this.longest;
  }

  /** Feed position k of every live stream (scoring what the previous position predicted). */
  step(): void {
    const { t, order, probs, tokens, ids, sums } = this;
    const S = this.core.stateSize;
    const V = this.core.config.vocabSize;
    const k = this.k;
    while (this.live > 0 && t[order[this.live - 1] + 1] - t[order[this.live - 1]] + 1 <= k) this.live--;
    for (let j = 0; j < this.live; j++) {
      const b = order[j];
      const at = t[b] + k;
      if (k > 0) {
        const p = probs[j * V + ids[at]];
        if (p > 0) sums[b] -= Math.log(p);
        else this.underflow[b] = 1;
      }
      tokens[j] = ids[at];
    }
    const n = this.live;
    this.core.stepBatch(this.states.subarray(0, n * S), tokens.subarray(0, n), probs.subarray(0, n * V), 1);
    this.k++;
  }

  /** The total over the streams (a stream with an underflow re-evaluated in float64). */
  finish(): { totalNats: number; count: number } {
    const { t, ids, sums } = this;
    let total = 0;
    for (let b = 0; b < this.B; b++) {
      if (this.underflow[b]) sums[b] = this.core.evaluate(ids.subarray(t[b], t[b + 1] + 1)).totalNats;
      total += sums[b];
    }
    return { totalNats: total, count: ids.length - 1 };
  }
}

export function evaluateSplit(
  core: ModelCore,
  ids: Int32Array,
  B: number,
): { totalNats: number; count: number } {
  const e = new SplitEvaluation(core, ids, B);
  while (!e.done) e.step();
  return e.finish();
}

export async function evaluateSplitAsync(
  core: ModelCore,
  ids: Int32Array,
  B: number,
  deadline: number,
): Promise<{ totalNats: number; count: number; complete: boolean }> {
  const e = new SplitEvaluation(core, ids.slice(), B);
  let last = performance.now();
  while (!e.done) {
    e.step();
    const now = performance.now();
    if (now >= deadline) return { totalNats: NaN, count: ids.length - 1, complete: false };
    if (now - last > 8) {
      await yieldToEventLoop();
      last = performance.now();
    }
  }
  return { ...e.finish(), complete: true };
}

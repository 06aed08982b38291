// Cuts a token array (or a TokenSource: a corpus file read through bounded windows) into B contiguous parallel
// streams and serves T-step chunks (time-major), as char-rnn does. Both inputs give the same chunks, id for id.
// Deliberately owns only positions, reusable Int32 buffers and the streams' cursors, never model state.
import { positiveInt, rangeError } from '../util/validate.js';
import { isTokenSource, type TokenCursor, type TokenInput } from './token-source.js';
import type { TokenIds } from './vocabulary.js';

export class Batcher {
  readonly batch: number;
  readonly steps: number;
  /** Tokens per stream. */
  readonly streamLength: number;
  /** Chunks per epoch. */
  readonly chunksPerEpoch: number;
  readonly inputs: Int32Array;
  readonly targets: Int32Array;
  private chunk = 0;
  epoch = 0;
  /** The ids in memory, or undefined when they are read from a source through `cursors`. */
  private readonly ids: TokenIds | undefined;
  /** One cursor per stream (a source only): each reads its own stretch of the file sequentially. */
  private readonly cursors: TokenCursor[] = [];
  private readonly row: Int32Array;

  constructor(input: TokenInput, batch: number, steps: number) {
    const ids = input;
    this.batch = positiveInt('batchSize', batch);
    this.steps = positiveInt('seqLength', steps);
    this.streamLength = Math.floor(ids.length / this.batch);
    // Each chunk needs T inputs plus the one target after them.
    this.chunksPerEpoch = Math.floor((this.streamLength - 1) / this.steps);
    if (this.chunksPerEpoch < 1)
      rangeError(
        `a training split of at least batchSize × (seqLength + 1) = ${this.batch * (this.steps + 1)} tokens`,
        'the corpus',
        `${ids.length} tokens`,
        'use a longer corpus or a smaller --seq-length / --batch-size',
      );
    this.inputs = new Int32Array(this.batch * this.steps);
    this.targets = new Int32Array(this.batch * this.steps);
    if (isTokenSource(input)) {
      this.ids = undefined;
      for (let b = 0; b < this.batch; b++) this.cursors.push(input.cursor());
      this.row = new Int32Array(this.steps + 1);
    } else {
      this.ids = input;
      this.row = new Int32Array(0);
    }
  }

  /** Position of the next chunk within the epoch (0-based) — for checkpoints and progress. */
  get position(): number {
    return this.chunk;
  }

  set position(chunk: number) {
    if (!Number.isInteger(chunk) || chunk < 0 || chunk >= this.chunksPerEpoch)
      rangeError(`an integer in [0, ${this.chunksPerEpoch - 1}]`, 'batcher position', chunk);
    this.chunk = chunk;
  }

  /**
   * Fill `inputs`/`targets` with the next chunk (element t·B + b = stream b, step t). Returns true when
   * this chunk starts a new epoch (the caller resets the carried hidden state then).
   */
  next(): boolean {
    const wrapped = this.chunk === 0;
    const B = this.batch;
    const T = this.steps;
    const base = this.chunk * T;
    const ids = this.ids;
    for (let b = 0; b < B; b++) {
      const start = b * this.streamLength + base;
      if (ids !== undefined) {
        for (let t = 0; t < T; t++) {
          this.inputs[t * B + b] = ids[start + t];
          this.targets[t * B + b] = ids[start + t + 1];
        }
      } else {
        const row = this.row;
        this.cursors[b].read(start, T + 1, row);
        for (let t = 0; t < T; t++) {
          this.inputs[t * B + b] = row[t];
          this.targets[t * B + b] = row[t + 1];
        }
      }
    }
    this.chunk++;
    if (this.chunk >= this.chunksPerEpoch) {
      this.chunk = 0;
      this.epoch++;
    }
    return wrapped;
  }
}

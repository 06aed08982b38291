// Sequence-task examples as token ids and class ids, and the padded batches the classify and tag heads train
// on: B rows of up to T steps, row-major (element b·T + t), padded with id 0 after each row's length, tag labels
// -1 (ignored) there. Training batches are bucketed by length (a seeded shuffle, then pools of similar lengths,
// then the batches in a seeded order) so little padding is computed; each epoch's order depends only on (seed,
// epoch), so a checkpoint that stores { epoch, position } resumes it exactly. Deliberately owns no model state.
import { Rng } from '../util/rng.js';
import { positiveInt, rangeError } from '../util/validate.js';
import type { Vocabulary } from '../text/vocabulary.js';
import type { ClassifyExample, SequenceTask, TagExample, TaskExample } from './data.js';
import type { LabelVocabulary } from './labels.js';
import { shuffleInPlace } from './split.js';

/** A padded batch: what the classify and tag heads read. */
export interface SequenceBatch {
  /** Rows (sequences) in this batch. */
  readonly B: number;
  /** Steps: the longest row's length. */
  readonly T: number;
  /** B·T token ids, row-major (row b, step t at b·T + t); 0 after a row's length. */
  readonly ids: Int32Array;
  /** B row lengths, each in [1, T]. */
  readonly lengths: Int32Array;
  /** classify: B class ids; tag: B·T class ids, row-major, -1 after a row's length (ignored by the loss). */
  readonly labels: Int32Array;
  /** B indices into the dataset: which example each row is. */
  readonly rows: Int32Array;
}

/** A dataset encoded for one model: token ids per example and class ids. */
export interface EncodedSequences {
  readonly task: SequenceTask;
  /** Number of examples. */
  readonly count: number;
  /** tokens[i]: the token ids of example i (length ≥ 1). */
  readonly tokens: readonly Int32Array[];
  /** classify: labels[i][0] is the class of example i; tag: labels[i][t] the class of token t. */
  readonly labels: readonly Int32Array[];
  /** tag: the token index at which each word of example i starts (empty when the data has no words). */
  readonly wordStarts: readonly Int32Array[];
}

export interface EncodeSequencesOptions {
  /**
   * Longest sequence kept whole (default: no limit). A longer classify example is cut to its first maxLength
   * characters; a longer tag example is split into windows of at most maxLength characters, each ending after a
   * space where there is one (so words stay whole), so no label is lost.
   */
  maxLength?: number;
}

/** The character that stands in for one the vocabulary lacks: a space when it has one, else its first token. */
function fallbackChar(vocab: Vocabulary): string {
  return vocab.has(' ') ? ' ' : vocab.tokens[0];
}

/**
 * Encode `examples` with the model's vocabulary and label set. A character the vocabulary lacks becomes the
 * fallback character (a space, or the first token), one for one, so tag labels stay aligned; a label the label
 * set lacks is a RangeError naming the example.
 */
export function encodeSequences(
  examples: readonly TaskExample[],
  task: SequenceTask,
  vocab: Vocabulary,
  labels: LabelVocabulary,
  options: EncodeSequencesOptions = {},
): EncodedSequences {
  const maxLength = options.maxLength === undefined ? Infinity : positiveInt('maxLength', options.maxLength);
  const unknown = { replaceWith: fallbackChar(vocab) };
  const tokens: Int32Array[] = [];
  const classes: Int32Array[] = [];
  const wordStarts: Int32Array[] = [];
  examples.forEach((ex, i) => {
    if (typeof ex?.text !== 'string' || ex.text.length === 0)
      rangeError('an example with a non-empty text', `example ${i}`, ex?.text);
    const ids = vocab.encode(ex.text, { unknown });
    if (task === 'classify') {
      const label = (ex as ClassifyExample).label;
      const id = labels.checkedId(label, `the label of example ${i}`);
      tokens.push(ids.length > maxLength ? ids.slice(0, maxLength) : ids);
      classes.push(Int32Array.of(id));
      wordStarts.push(new Int32Array(0));
      return;
    }
    const tag = ex as TagExample;
    if (!Array.isArray(tag.labels) || tag.labels.length !== ids.length)
      rangeError(
        `one label per character (${ids.length})`,
        `the labels of example ${i}`,
        Array.isArray(tag.labels) ? `${tag.labels.length} labels` : tag.labels,
      );
    const y = Int32Array.from(tag.labels, (l, t) => labels.checkedId(l, `label ${t} of example ${i}`));
    const starts = Int32Array.from(tag.wordStarts ?? []);
    const space = vocab.idOf(' ');
    let from = 0;
    while (from < ids.length) {
      let to = Math.min(ids.length, from + maxLength);
      if (to < ids.length && space >= 0) {
        let cut = to;
        while (cut > from + 1 && ids[cut - 1] !== space) cut--;
        if (cut > from + 1) to = cut;
      }
      tokens.push(ids.subarray(from, to));
      classes.push(y.subarray(from, to));
      wordStarts.push(starts.filter((s) => s >= from && s < to).map((s) => s - from));
      from = to;
    }
  });
  return { task, count: tokens.length, tokens, labels: classes, wordStarts };
}

/** Fill a padded batch with the examples `rows` of `data` (in that order). */
export function makeBatch(data: EncodedSequences, rows: ArrayLike<number>): SequenceBatch {
  const B = rows.length;
  if (B < 1) rangeError('at least one row', 'batch rows', B);
  let T = 0;
  for (let b = 0; b < B; b++) T = Math.max(T, data.tokens[rows[b]].length);
  const ids = new Int32Array(B * T);
  const lengths = new Int32Array(B);
  const labels = data.task === 'classify' ? new Int32Array(B) : new Int32Array(B * T).fill(-1);
  const rowIds = Int32Array.from(rows);
  for (let b = 0; b < B; b++) {
    const r = rows[b];
    const x = data.tokens[r];
    ids.set(x, b * T);
    lengths[b] = x.length;
    if (data.task === 'classify') labels[b] = data.labels[r][0];
    else labels.set(data.labels[r], b * T);
  }
  return { B, T, ids, lengths, labels, rows: rowIds };
}

/** How many batches of `batchSize` form one pool of similar lengths (sorted by length, then cut). */
const POOL_BATCHES = 32;

/** A 32-bit seed for epoch `epoch` of a run seeded `seed` (distinct epochs give unrelated streams). */
function epochSeed(seed: number, epoch: number): number {
  let z = (seed ^ Math.imul(epoch + 1, 0x9e3779b9)) >>> 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
  return (z ^ (z >>> 13)) >>> 0;
}

/**
 * The training batches of `data`, epoch after epoch: each epoch shuffles the examples (seeded by seed and the
 * epoch), sorts each pool of POOL_BATCHES·batchSize of them by length, cuts the pools into batches and shuffles
 * the batches. Every example is in exactly one batch per epoch; only the last batch may be smaller.
 */
export class SequenceBatcher {
  readonly batchSize: number;
  readonly batchesPerEpoch: number;
  /** The epoch of the next batch (0-based). */
  epoch = 0;
  private order: number[][] = [];
  private orderEpoch = -1;
  private index = 0;

  constructor(
    private readonly data: EncodedSequences,
    batchSize: number,
    private readonly seed: number,
  ) {
    this.batchSize = positiveInt('batchSize', batchSize);
    if (data.count < 1) rangeError('at least one example', 'the training data', 0);
    this.batchesPerEpoch = Math.ceil(data.count / this.batchSize);
  }

  /** The position of the next batch within its epoch (0-based), for checkpoints and progress. */
  get position(): number {
    return this.index;
  }

  set position(p: number) {
    if (!Number.isInteger(p) || p < 0 || p >= this.batchesPerEpoch)
      rangeError(`an integer in [0, ${this.batchesPerEpoch - 1}]`, 'batcher position', p);
    this.index = p;
  }

  /** The batches of `epoch`, as lists of example indices (what next() serves, in order). */
  epochOrder(epoch: number): number[][] {
    const n = this.data.count;
    const B = this.batchSize;
    const idx = shuffleInPlace(
      Array.from({ length: n }, (_, i) => i),
      new Rng(epochSeed(this.seed, epoch)),
    );
    const rng = new Rng(epochSeed(this.seed ^ 0x5bd1e995, epoch));
    const len = (i: number) => this.data.tokens[i].length;
    const batches: number[][] = [];
    const pool = POOL_BATCHES * B;
    for (let p = 0; p < n; p += pool) {
      // A stable sort: equal lengths keep their shuffled order.
      const part = idx.slice(p, Math.min(n, p + pool)).sort((a, b) => len(a) - len(b));
      for (let s = 0; s < part.length; s += B) batches.push(part.slice(s, s + B));
    }
    return shuffleInPlace(batches, rng);
  }

  /** The next batch; starts a new epoch (epoch + 1, position 0) after the last batch of one. */
  next(): SequenceBatch {
    if (this.orderEpoch !== this.epoch) {
      this.order = this.epochOrder(this.epoch);
      this.orderEpoch = this.epoch;
    }
    const batch = makeBatch(this.data, this.order[this.index]);
    this.index++;
    if (this.index >= this.batchesPerEpoch) {
      this.index = 0;
      this.epoch++;
    }
    return batch;
  }
}

/** Evaluation batches: every example once, sorted by length (less padding), at most `batchSize` rows each. */
export function* evaluationBatches(data: EncodedSequences, batchSize: number): Generator<SequenceBatch> {
  positiveInt('batchSize', batchSize);
  const order = Array.from({ length: data.count }, (_, i) => i).sort(
    (a, b) => data.tokens[a].length - data.tokens[b].length,
  );
  for (let s = 0; s < order.length; s += batchSize) yield makeBatch(data, order.slice(s, s + batchSize));
}

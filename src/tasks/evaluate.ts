// From a head's logits to predictions, probabilities, cross-entropy and the metrics of a whole dataset, given any
// function that runs a padded batch forward (a model's forwardSequences). Logits are row-major: classify B×C
// (row b at b·C), tag B×T×C (row b, step t at (b·T + t)·C); padded steps are never read. Deliberately no model:
// the forward pass is the caller's, so this module stays below the backends and is testable with plain arrays.
import { rangeError } from '../util/validate.js';
import { evaluationBatches, type EncodedSequences, type SequenceBatch } from './batch.js';
import type { LabelVocabulary } from './labels.js';
import { ConfusionMatrix, TaggingScorer, type ClassificationMetrics } from './metrics.js';

/** A forward pass over a padded batch: its logits (classify B·C, tag B·T·C values). */
export type SequenceForward = (batch: SequenceBatch) => Float32Array | Promise<Float32Array>;

/** One predicted label with its probability. */
export interface LabelProbability {
  readonly label: string;
  readonly probability: number;
}

/** The index of the largest of logits[at … at+C) (the first one on ties). */
export function argmaxAt(logits: ArrayLike<number>, at: number, C: number): number {
  let best = 0;
  let v = logits[at];
  for (let c = 1; c < C; c++)
    if (logits[at + c] > v) {
      v = logits[at + c];
      best = c;
    }
  return best;
}

/** −log softmax(logits[at … at+C))[target], in float64. */
export function crossEntropyAt(logits: ArrayLike<number>, at: number, C: number, target: number): number {
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, logits[at + c]);
  let s = 0;
  for (let c = 0; c < C; c++) s += Math.exp(logits[at + c] - m);
  return Math.log(s) + m - logits[at + target];
}

/** The `k` most probable labels of the softmax of logits[at … at+C), most probable first (ties: lower id first). */
export function topLabels(
  logits: ArrayLike<number>,
  at: number,
  labels: LabelVocabulary,
  k: number,
): LabelProbability[] {
  const C = labels.size;
  let m = -Infinity;
  for (let c = 0; c < C; c++) m = Math.max(m, logits[at + c]);
  const p = new Float64Array(C);
  let s = 0;
  for (let c = 0; c < C; c++) s += p[c] = Math.exp(logits[at + c] - m);
  const ids = Array.from({ length: C }, (_, c) => c).sort((a, b) => p[b] - p[a] || a - b);
  return ids.slice(0, Math.min(k, C)).map((c) => ({ label: labels.labels[c], probability: p[c] / s }));
}

function expectLength(logits: Float32Array, n: number, batch: SequenceBatch): void {
  if (!(logits instanceof Float32Array) || logits.length !== n)
    rangeError(`a Float32Array of ${n} logits`, `the logits of a batch of ${batch.B}×${batch.T}`, logits);
}

/** What evaluateSequences measures. */
export interface SequenceEvaluation {
  /** Mean cross-entropy (nats) over the scored items: sequences (classify) or characters (tag). */
  readonly loss: number;
  /**
   * The headline scores: per sequence (classify); per word (tag, when the data marks words), else per character.
   * The validation metric of a run is read from these.
   */
  readonly metrics: ClassificationMetrics;
  /** tag: per-character scores. */
  readonly chars?: ClassificationMetrics;
  /** tag: per-word scores (each word's first character), when the data marks words. */
  readonly words?: ClassificationMetrics;
  /** The predicted class of every example (classify) or character (tag), by example. */
  readonly predictions: Int32Array[];
}

/** Run `forward` over every example of `data` (in length-sorted batches of `batchSize`) and score it. */
export async function evaluateSequences(
  data: EncodedSequences,
  labels: LabelVocabulary,
  forward: SequenceForward,
  batchSize = 64,
): Promise<SequenceEvaluation> {
  const C = labels.size;
  const predictions: Int32Array[] = new Array<Int32Array>(data.count);
  let nats = 0;
  let items = 0;
  const confusion = new ConfusionMatrix(labels.labels);
  const tagging = new TaggingScorer(labels.labels);
  for (const batch of evaluationBatches(data, batchSize)) {
    const { B, T } = batch;
    const logits = await forward(batch);
    if (data.task === 'classify') {
      expectLength(logits, B * C, batch);
      for (let b = 0; b < B; b++) {
        const y = batch.labels[b];
        const p = argmaxAt(logits, b * C, C);
        nats += crossEntropyAt(logits, b * C, C, y);
        items++;
        confusion.add(y, p);
        predictions[batch.rows[b]] = Int32Array.of(p);
      }
    } else {
      expectLength(logits, B * T * C, batch);
      for (let b = 0; b < B; b++) {
        const r = batch.rows[b];
        const len = batch.lengths[b];
        const pred = new Int32Array(len);
        for (let t = 0; t < len; t++) {
          const at = (b * T + t) * C;
          pred[t] = argmaxAt(logits, at, C);
          nats += crossEntropyAt(logits, at, C, batch.labels[b * T + t]);
        }
        items += len;
        tagging.add(data.labels[r], pred, data.wordStarts[r]);
        predictions[r] = pred;
      }
    }
  }
  const loss = items > 0 ? nats / items : NaN;
  if (data.task === 'classify') return { loss, metrics: confusion.toJSON(), predictions };
  const t = tagging.toJSON();
  return { loss, metrics: t.words ?? t.chars, chars: t.chars, words: t.words, predictions };
}

// The scores of a classifier or tagger: a confusion matrix (rows: the true class, columns: the predicted one) and
// what it gives — accuracy, per-class precision / recall / F1 / support, macro-F1 — as JSON and as text; and the
// per-character and per-word scores of tagging. Deliberately arithmetic only: predictions come from the caller.
import { rangeError } from '../util/validate.js';

export interface ClassScore {
  readonly label: string;
  /** Of the items predicted as this class, the fraction that were (0 when none was predicted). */
  readonly precision: number;
  /** Of the items of this class, the fraction predicted as it (0 when there were none). */
  readonly recall: number;
  /** Harmonic mean of precision and recall (0 when both are 0). */
  readonly f1: number;
  /** Items whose true class this is. */
  readonly support: number;
  /** Items predicted as this class. */
  readonly predicted: number;
}

/** A confusion matrix and its scores, in JSON form. */
export interface ClassificationMetrics {
  /** Items scored. */
  readonly count: number;
  /** Fraction of items whose prediction equals their class (0 when count is 0). */
  readonly accuracy: number;
  /**
   * Mean F1 over the classes that occur in the truth or the predictions (scikit-learn's macro average over the
   * labels present); 0 when count is 0.
   */
  readonly macroF1: number;
  readonly perClass: readonly ClassScore[];
  readonly labels: readonly string[];
  /** confusion[t][p]: items of true class t predicted as p. */
  readonly confusion: readonly (readonly number[])[];
}

export class ConfusionMatrix {
  readonly size: number;
  /** counts[t·C + p]: items of true class t predicted as class p. */
  readonly counts: Float64Array;
  private n = 0;

  constructor(readonly labels: readonly string[]) {
    if (!Array.isArray(labels) || labels.length < 1)
      rangeError('a non-empty array of labels', 'confusion matrix labels', labels);
    this.size = labels.length;
    this.counts = new Float64Array(this.size * this.size);
  }

  /** Count one item of true class `truth` predicted as `predicted`. */
  add(truth: number, predicted: number): void {
    const C = this.size;
    if (!Number.isInteger(truth) || truth < 0 || truth >= C)
      rangeError(`a class id in [0, ${C - 1}]`, 'true class', truth);
    if (!Number.isInteger(predicted) || predicted < 0 || predicted >= C)
      rangeError(`a class id in [0, ${C - 1}]`, 'predicted class', predicted);
    this.counts[truth * C + predicted]++;
    this.n++;
  }

  /** Add every count of `other` (a matrix over the same labels). */
  merge(other: ConfusionMatrix): void {
    if (other.size !== this.size) rangeError(`a matrix of ${this.size} classes`, 'merged matrix', other.size);
    for (let i = 0; i < this.counts.length; i++) this.counts[i] += other.counts[i];
    this.n += other.n;
  }

  get count(): number {
    return this.n;
  }

  get accuracy(): number {
    if (this.n === 0) return 0;
    let correct = 0;
    for (let c = 0; c < this.size; c++) correct += this.counts[c * this.size + c];
    return correct / this.n;
  }

  perClass(): ClassScore[] {
    const C = this.size;
    const out: ClassScore[] = [];
    for (let c = 0; c < C; c++) {
      let support = 0;
      let predicted = 0;
      for (let k = 0; k < C; k++) {
        support += this.counts[c * C + k];
        predicted += this.counts[k * C + c];
      }
      const tp = this.counts[c * C + c];
      const precision = predicted > 0 ? tp / predicted : 0;
      const recall = support > 0 ? tp / support : 0;
      const f1 = precision + recall > 0 ? (2 * precision * recall) / (precision + recall) : 0;
      out.push({ label: this.labels[c], precision, recall, f1, support, predicted });
    }
    return out;
  }

  get macroF1(): number {
    const present = this.perClass().filter((s) => s.support > 0 || s.predicted > 0);
    return present.length === 0 ? 0 : present.reduce((a, s) => a + s.f1, 0) / present.length;
  }

  toJSON(): ClassificationMetrics {
    const C = this.size;
    return {
      count: this.n,
      accuracy: this.accuracy,
      macroF1: this.macroF1,
      perClass: this.perClass(),
      labels: [...this.labels],
      confusion: Array.from({ length: C }, (_, t) => Array.from(this.counts.subarray(t * C, (t + 1) * C))),
    };
  }
}

/** The scores of a tagger: per character always, per word when the data marks words. */
export interface TaggingMetrics {
  readonly chars: ClassificationMetrics;
  /** Each word scored by the prediction at its first character; absent when no example had words. */
  readonly words?: ClassificationMetrics;
}

/** Accumulates tagging scores, one sequence at a time. */
export class TaggingScorer {
  readonly chars: ConfusionMatrix;
  readonly words: ConfusionMatrix;

  constructor(labels: readonly string[]) {
    this.chars = new ConfusionMatrix(labels);
    this.words = new ConfusionMatrix(labels);
  }

  /** Score one sequence: truth[t] and predicted[t] per character; wordStarts: the index of each word's first one. */
  add(truth: ArrayLike<number>, predicted: ArrayLike<number>, wordStarts: ArrayLike<number> = []): void {
    if (truth.length !== predicted.length)
      rangeError(`${truth.length} predictions (one per character)`, 'predicted tags', predicted.length);
    for (let t = 0; t < truth.length; t++) this.chars.add(truth[t], predicted[t]);
    for (let w = 0; w < wordStarts.length; w++) {
      const s = wordStarts[w];
      if (!Number.isInteger(s) || s < 0 || s >= truth.length)
        rangeError(`a character index in [0, ${truth.length - 1}]`, `word start ${w}`, s);
      this.words.add(truth[s], predicted[s]);
    }
  }

  toJSON(): TaggingMetrics {
    return this.words.count > 0
      ? { chars: this.chars.toJSON(), words: this.words.toJSON() }
      : { chars: this.chars.toJSON() };
  }
}

function pct(x: number): string {
  return (100 * x).toFixed(2) + '%';
}

/** A one-line summary: `accuracy 83.12% · macro-F1 0.7012 · 2008 items`. */
export function summaryLine(m: ClassificationMetrics, items = 'items'): string {
  return `accuracy ${pct(m.accuracy)} · macro-F1 ${m.macroF1.toFixed(4)} · ${m.count} ${items}`;
}

/** Per-class precision, recall, F1 and support as an aligned text table (classes in label order). */
export function perClassTable(m: ClassificationMetrics): string {
  const w = Math.max(5, ...m.labels.map((l) => l.length));
  const head = `${'class'.padEnd(w)}  precision  recall      f1  support`;
  const rows = m.perClass.map(
    (s) =>
      `${s.label.padEnd(w)}  ${s.precision.toFixed(4).padStart(9)}  ${s.recall.toFixed(4).padStart(6)}  ${s.f1
        .toFixed(4)
        .padStart(6)}  ${String(s.support).padStart(7)}`,
  );
  return [head, ...rows].join('\n');
}

/**
 * The confusion matrix as aligned text: one row per true class (its label), one column per predicted class
 * (headed by the label's first characters), zeros shown as `.` so the diagonal stands out.
 */
export function confusionTable(m: ClassificationMetrics): string {
  const C = m.labels.length;
  const maxCount = Math.max(0, ...m.confusion.flat());
  const cw = Math.max(4, String(maxCount).length);
  const lw = Math.max(...m.labels.map((l) => l.length), 'true \\ predicted'.length);
  const head =
    'true \\ predicted'.padEnd(lw) + ' ' + m.labels.map((l) => l.slice(0, cw).padStart(cw)).join(' ');
  const rows: string[] = [];
  for (let t = 0; t < C; t++)
    rows.push(
      m.labels[t].padEnd(lw) +
        ' ' +
        m.confusion[t].map((v) => (v === 0 ? '.' : String(v)).padStart(cw)).join(' '),
    );
  return [head, ...rows].join('\n');
}

/** The full text report: the summary line, the per-class table and the confusion matrix. */
export function metricsText(m: ClassificationMetrics, items = 'items'): string {
  return `${summaryLine(m, items)}\n\n${perClassTable(m)}\n\n${confusionTable(m)}`;
}

// The label vocabulary of a classify or tag model: label strings ↔ class ids 0 … C-1, sorted so that the same set
// of labels gives the same ids whatever order the data came in, and a JSON form saved beside the model.
// Deliberately no label normalisation (case, whitespace): a label is the exact string the data gave.
import { rangeError, typeError } from '../util/validate.js';

/** The serialised form, as written into model files and checkpoints. */
export interface LabelVocabularyJSON {
  kind: 'labels';
  labels: string[];
}

/** Largest number of classes accepted (the output layer is H × C; a tag set this large is a data mistake). */
export const MAX_LABELS = 65536;

function checkLabel(name: string, label: unknown): string {
  if (typeof label !== 'string') typeError('a string', name, label);
  if (label.length === 0) rangeError('a non-empty string', name, label);
  return label;
}

export class LabelVocabulary {
  /** Number of classes C (ids 0 … C-1). */
  readonly size: number;
  /** labels[id]: the label of class id, in ascending code-unit order. */
  readonly labels: readonly string[];
  private readonly ids: Map<string, number>;

  private constructor(sorted: string[]) {
    this.labels = Object.freeze(sorted);
    this.size = sorted.length;
    this.ids = new Map(sorted.map((l, i) => [l, i]));
  }

  /** The vocabulary of every distinct label in `labels` (at least two: one class is nothing to learn). */
  static fromLabels(labels: Iterable<string>): LabelVocabulary {
    const set = new Set<string>();
    let i = 0;
    for (const l of labels) set.add(checkLabel(`labels[${i++}]`, l));
    if (set.size < 2)
      rangeError(
        'at least two distinct labels',
        'the labels of the training data',
        `${set.size} (${[...set].map((l) => JSON.stringify(l)).join(', ') || 'none'})`,
        'a classifier needs examples of two or more classes',
      );
    if (set.size > MAX_LABELS) rangeError(`at most ${MAX_LABELS} distinct labels`, 'the labels', set.size);
    return new LabelVocabulary([...set].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
  }

  static fromJSON(json: unknown): LabelVocabulary {
    if (json === null || typeof json !== 'object' || (json as { kind?: unknown }).kind !== 'labels')
      typeError("an object { kind: 'labels', labels: [...] }", 'label vocabulary', json);
    const labels = (json as { labels?: unknown }).labels;
    if (!Array.isArray(labels)) typeError('an array of strings', 'label vocabulary labels', labels);
    const checked = labels.map((l, i) => checkLabel(`label vocabulary labels[${i}]`, l));
    for (let i = 1; i < checked.length; i++)
      if (!(checked[i - 1] < checked[i]))
        rangeError(
          'labels in strictly ascending order',
          'label vocabulary labels',
          `${JSON.stringify(checked[i - 1])} before ${JSON.stringify(checked[i])}`,
        );
    if (checked.length < 2 || checked.length > MAX_LABELS)
      rangeError(`between 2 and ${MAX_LABELS} labels`, 'label vocabulary labels', labels);
    return new LabelVocabulary(checked);
  }

  toJSON(): LabelVocabularyJSON {
    return { kind: 'labels', labels: [...this.labels] };
  }

  /** The id of `label`, or -1 when it is not a class of this vocabulary. */
  idOf(label: string): number {
    return this.ids.get(label) ?? -1;
  }

  /** The id of `label`; a RangeError naming `where` when it is not a class of this vocabulary. */
  checkedId(label: string, where: string): number {
    const id = this.ids.get(label);
    if (id === undefined)
      rangeError(
        `one of the model's ${this.size} labels`,
        where,
        label,
        `the model knows ${this.labels
          .slice(0, 20)
          .map((l) => JSON.stringify(l))
          .join(', ')}${this.size > 20 ? ', …' : ''}`,
      );
    return id;
  }

  /** The label of class `id`. */
  labelOf(id: number): string {
    if (!Number.isInteger(id) || id < 0 || id >= this.size)
      rangeError(`an integer in [0, ${this.size - 1}]`, 'class id', id);
    return this.labels[id];
  }
}

// A classify / tag model file: the CharRNN, its label vocabulary (`__metadata__.labels`) and, for a checkpoint,
// where its data came from (`__metadata__.task_data`, so `charrnn train --resume` rebuilds the same split).
// Deliberately no training: src/train/task-trainer.ts writes these files through src/io/checkpoint.ts.
import type { BackendChoice } from '../backends/index.js';
import type { CharRNN } from '../charrnn.js';
import { LabelVocabulary } from '../tasks/labels.js';
import { modelFromCheckpoint, readCheckpoint, type Checkpoint } from './checkpoint.js';

/** The `__metadata__` key of the label vocabulary (JSON of LabelVocabulary.toJSON()). */
export const LABELS_KEY = 'labels';
/** The `__metadata__` key of a task run's data settings (JSON of TaskDataReference). */
export const TASK_DATA_KEY = 'task_data';

/** Where a task run's examples came from and how they were split and cut (what an exact resume must repeat). */
export interface TaskDataReference {
  /** The training data (or all of it, when split). */
  data: string;
  valid?: string;
  test?: string;
  /** Fractions split off `data` for validation and test (0 where the part has its own file or none). */
  split: { valid: number; test: number };
  /** The split's seed. */
  seed: number;
  /** Longest training sequence. */
  maxLength: number;
  /** The loss's class weights. */
  classWeights: 'none' | 'balanced';
  /** The validation metric (behind the best checkpoint and a plateau schedule). */
  metric: 'accuracy' | 'macro-f1' | 'loss';
}

/** The labels of a checkpoint: its `labels` metadata, or "0" … "C-1" for a file written without it. */
export function labelsOf(ck: Checkpoint): LabelVocabulary {
  const raw = ck.metadata[LABELS_KEY];
  if (raw === undefined) {
    const C = ck.config.numClasses;
    const width = String(C - 1).length;
    // Zero-padded so that sorting the names keeps the ids in order (LabelVocabulary sorts).
    return LabelVocabulary.fromLabels(Array.from({ length: C }, (_, i) => String(i).padStart(width, '0')));
  }
  let labels: LabelVocabulary;
  try {
    labels = LabelVocabulary.fromJSON(JSON.parse(raw));
  } catch (err) {
    throw new RangeError(`The labels of this model file are malformed: ${(err as Error).message}`);
  }
  if (labels.size !== ck.config.numClasses)
    throw new RangeError(
      `Expected ${ck.config.numClasses} labels (the model's numClasses) in the labels metadata but received ${labels.size}`,
    );
  return labels;
}

/** The task data reference of a checkpoint written by a task run, or undefined. */
export function taskDataOf(ck: Checkpoint): TaskDataReference | undefined {
  const raw = ck.metadata[TASK_DATA_KEY];
  if (raw === undefined) return undefined;
  const v = JSON.parse(raw) as TaskDataReference;
  if (
    typeof v?.data !== 'string' ||
    typeof v.seed !== 'number' ||
    typeof v.maxLength !== 'number' ||
    (v.classWeights !== 'none' && v.classWeights !== 'balanced') ||
    !['accuracy', 'macro-f1', 'loss'].includes(v.metric)
  )
    throw new RangeError('The task_data metadata of this checkpoint is malformed');
  return v;
}

export interface TaskModel {
  model: CharRNN;
  labels: LabelVocabulary;
  checkpoint: Checkpoint;
}

/** Read a classify / tag model (or checkpoint) with its labels; a language model is a RangeError saying so. */
export async function loadTaskModel(
  path: string,
  options: { backend?: BackendChoice } = {},
): Promise<TaskModel> {
  const ck = await readCheckpoint(path);
  if (ck.config.task !== 'classify' && ck.config.task !== 'tag')
    throw new RangeError(
      `Expected a 'classify' or 'tag' model but ${path} is a language model (task '${ck.config.task}'). HINT: train one with charrnn train --task classify|tag; use charrnn sample / score for a language model`,
    );
  const labels = labelsOf(ck);
  return { model: modelFromCheckpoint(ck, options.backend ?? 'auto'), labels, checkpoint: ck };
}

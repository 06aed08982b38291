// charrnn/node: the library's file functions, Node only — checkpoints, model files and safetensors on disk, corpus
// files and the cached Shakespeare download, run logs and the HTML report. The root entry (./index.ts) exports
// these too in Node; a page uses the root entry's encodeModel / decodeModel on bytes instead. Exports only.
export { resolveCorpus, type ResolveCorpusOptions, type ResolvedCorpus } from './io/resolve-corpus.js';
export { CorpusFile, type CorpusFileOptions } from './io/corpus-file.js';
export {
  RunLogWriter,
  readRunLog,
  defaultLogPath,
  type RunLogWriterOptions,
  type RunStartInfo,
} from './train/run-log-file.js';
export { makeReport } from './report/report.js';
export { saveCheckpoint, loadCheckpoint, readCheckpoint } from './io/checkpoint.js';
export { saveModel, loadModel } from './io/model-file.js';
export { saveSafetensors, loadSafetensors } from './io/safetensors.js';

// Classifiers and taggers on disk: their data files, the training loop (it writes checkpoints) and model files.
export {
  trainTask,
  type TaskTrainOptions,
  type TaskTrainResult,
  type TaskEvalEvent,
  type TaskMetric,
} from './train/task-trainer.js';
export { readTaskData, readTaskSplits, type TaskSplitOptions, type TaskSplits } from './io/task-data.js';
export { loadTaskModel, type TaskModel } from './io/task-model.js';

// The public API of charrnn (the package's root entry): what a user of the library needs, exports only.
// Building blocks for tools and tests (the sampling rule, the backends, layouts, schedule parsing…) are exported
// from 'charrnn/internals' (./internals.ts) instead, without the same stability promise.
export { VERSION } from './version.js';

// Text: vocabularies, corpora and batching.
export {
  Vocabulary,
  type TokenIds,
  type EncodeOptions,
  type UnknownPolicy,
  type TokenVocabulary,
} from './text/vocabulary.js';
export {
  WordVocabulary,
  UNK,
  EOL,
  type WordVocabularyOptions,
  type WordVocabularyJSON,
} from './text/word-vocabulary.js';
export { Corpus, type CorpusOptions } from './text/corpus.js';
export { Batcher } from './text/batcher.js';
export { resolveCorpus, type ResolveCorpusOptions, type ResolvedCorpus } from './io/resolve-corpus.js';

// The model.
export {
  CharRNN,
  type CreateModelOptions,
  type EvaluateResult,
  type SampleOptions,
  type ModelVocabulary,
  type ModelTrainingState,
  type LabelPrediction,
  type TagResult,
} from './charrnn.js';
export {
  resolveModelConfig,
  type ModelConfig,
  type ModelConfigInput,
  type CellKind,
  type Activation,
  type Task,
  type Pooling,
} from './model/config.js';
export type { Layout, TensorView, TensorRole } from './model/layout.js';
export { Rng } from './util/rng.js';

// Generation and scoring.
export {
  Session,
  BatchSession,
  type SessionOptions,
  type GenerateResult,
  type StopReason,
} from './generate/session.js';
export type { GenerateOptions, PickOptions } from './generate/options.js';
export type { Beam, BeamOptions } from './generate/beam.js';
export type {
  TraceOptions,
  TraceResult,
  TracedLayer,
  TextFeature,
  FeatureRanking,
  RankedNeuron,
} from './generate/trace.js';
export type {
  ScoreOptions,
  ScoreResult,
  ScoreUnknownPolicy,
  RankOptions,
  RankedText,
} from './generate/score.js';

// Training.
export {
  train,
  NonFiniteError,
  type TrainOptions,
  type TrainResult,
  type TrainEvent,
  type ProgressEvent,
  type ValidatingEvent,
  type EvalEvent,
  type SampleEvent,
  type CheckpointEvent,
  type LrEvent,
  type RollbackEvent,
  type CheckpointOptions,
} from './train/trainer.js';
export {
  toLogRecord,
  parseRunLog,
  RunLogError,
  RUN_LOG_SCHEMA,
  type RunLogRecord,
  type RunLogClock,
  type RunStartRecord,
  type RunEndRecord,
  type RunErrorRecord,
  type ParsedRecord,
} from './train/run-log.js';
export {
  RunLogWriter,
  readRunLog,
  defaultLogPath,
  type RunLogWriterOptions,
  type RunStartInfo,
} from './train/run-log-file.js';

// Classifiers and taggers: their data, labels, training loop, scores and files (docs/tasks.md).
export {
  trainTask,
  type TaskTrainOptions,
  type TaskTrainResult,
  type TaskEvalEvent,
  type TaskMetric,
} from './train/task-trainer.js';
export { LabelVocabulary, type LabelVocabularyJSON } from './tasks/labels.js';
export type { SequenceTask, ClassifyExample, TagExample, TaskExample } from './tasks/data.js';
export { encodeSequences, SequenceBatcher, type EncodedSequences } from './tasks/batch.js';
export { evaluateSequences, type SequenceEvaluation, type LabelProbability } from './tasks/evaluate.js';
export type { ClassificationMetrics, ClassScore } from './tasks/metrics.js';
export { readTaskData, readTaskSplits, type TaskSplitOptions, type TaskSplits } from './io/task-data.js';
export { loadTaskModel, type TaskModel } from './io/task-model.js';
export { makeReport } from './report/report.js';
export type { ReportOptions } from './report/report-html.js';
export type { LossHistory } from './run/loss-history.js';
export { resolveOptimizer, type OptimizerOptions } from './run/optim.js';
export type { LrSchedule, LrScheduleOptions, LrScheduleState } from './run/schedule.js';
export type { TrainingState, CorpusReference } from './run/state.js';
export type {
  StepHyper,
  OptimizerHyper,
  OptimizerKind,
  ChunkResult,
  BackendName,
  SequenceBatch,
  SequenceLossOptions,
} from './backends/backend.js';

// Files: checkpoints, model files, safetensors.
export {
  saveCheckpoint,
  loadCheckpoint,
  readCheckpoint,
  decodeCheckpoint,
  type Checkpoint,
} from './io/checkpoint.js';
export { saveModel, loadModel } from './io/model-file.js';
export {
  saveSafetensors,
  loadSafetensors,
  SafetensorsError,
  type TensorData,
  type SafetensorsContents,
} from './io/safetensors.js';

// The machine: which backend and kernel path run, and on how many threads.
export { capabilities, setThreads, type BackendChoice, type BackendCapabilities } from './backends/index.js';

// The drop-in API: min-char-rnn's lossFun and BLAS-style kernels over caller-owned arrays.
export {
  lossFun,
  lossFunInto,
  type RnnParams,
  type RnnGrads,
  type LossFunResult,
  type LossFunOptions,
} from './dropin/lossfun.js';
export {
  gemm,
  gemv,
  axpy,
  dot,
  type GemmOptions,
  type GemvOptions,
  type KernelOptions,
} from './dropin/kernels.js';

// The stable `code` of the busy / disposed / usage errors, to branch on instead of the text.
export { ERROR_CODES, type CharRNNError, type CharRNNErrorCode } from './util/errors.js';

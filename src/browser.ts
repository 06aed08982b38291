// The library without files: everything of the root API that runs in a browser as well as in Node — vocabularies,
// corpora from text, the model, generation, tracing, training (the TypeScript backend where there is no addon),
// models to and from bytes. The package's root entry under the "browser" export condition is this module bundled
// (scripts/build-browser.mjs: dist/charrnn.browser.js, no node: imports). Node's root entry (./index.ts) adds the
// file functions of ./node.ts. Exports only.
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
export { type TokenSource, type TokenCursor, type TokenInput } from './text/token-source.js';

// The model.
export {
  CharRNN,
  type CreateModelOptions,
  type EvaluateResult,
  type EvaluateOptions,
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
export { rankNeurons } from './generate/trace.js';
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
  ScoreManyOptions,
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
// Whole recipes for a time budget (`charrnn train --preset`): spread `model` into CharRNN.create, `training` into train().
export {
  PRESETS,
  PRESET_NAMES,
  getPreset,
  presetOptions,
  type TrainPreset,
  type PresetName,
  type PresetModel,
  type PresetTraining,
} from './train/presets.js';
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
export type { ReportOptions } from './report/report-html.js';
// The neuron-firing viewer of `charrnn viz` as one HTML page (show it in an iframe's srcdoc).
export { renderViz, type VizOptions } from './report/viz-html.js';
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

// Models as bytes: the charrnn .safetensors format in memory (a page's way to load and save).
export {
  encodeModel,
  decodeModel,
  decodeCheckpoint,
  type DecodeModelOptions,
  type Checkpoint,
} from './io/checkpoint-codec.js';
export { SafetensorsError, type TensorData, type SafetensorsContents } from './io/safetensors-codec.js';

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

// Classifiers and taggers without files: labels, batches, scores (docs/tasks.md).
export { LabelVocabulary, type LabelVocabularyJSON } from './tasks/labels.js';
export type { SequenceTask, ClassifyExample, TagExample, TaskExample } from './tasks/data.js';
export { encodeSequences, SequenceBatcher, type EncodedSequences } from './tasks/batch.js';
export { evaluateSequences, type SequenceEvaluation, type LabelProbability } from './tasks/evaluate.js';
export type { ClassificationMetrics, ClassScore } from './tasks/metrics.js';

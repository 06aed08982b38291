// The public API of charrnn: exports only.
export { VERSION } from './version.js';
export {
  Vocabulary,
  type TokenIds,
  type EncodeOptions,
  type UnknownPolicy,
  type TokenVocabulary,
} from './text/vocabulary.js';
export {
  WordVocabulary,
  tokenizeWords,
  vocabularyFromJSON,
  UNK,
  EOL,
  type WordVocabularyOptions,
  type WordVocabularyJSON,
} from './text/word-vocabulary.js';
export { Corpus, readCorpusFile, decodeUtf8Strict, type CorpusOptions } from './text/corpus.js';
export { Batcher } from './text/batcher.js';
export { resolveCorpus, SHAKESPEARE_URL, SHAKESPEARE_SHA256 } from './io/resolve-corpus.js';
export {
  CharRNN,
  type CreateModelOptions,
  type EvaluateResult,
  type SampleOptions,
  type ModelVocabulary,
  type ModelTrainingState,
} from './charrnn.js';
export {
  Session,
  BatchSession,
  type SessionOptions,
  type GenerateResult,
  type StopReason,
} from './generate/session.js';
export type { GenerateOptions, PickOptions } from './generate/options.js';
export { Transformer, NO_TRANSFORM, type TransformSpec } from './sampling/transform.js';
export { drawFromProbs, argmax } from './sampling/draw.js';
export type { Beam, BeamOptions } from './generate/beam.js';
export type {
  ScoreOptions,
  ScoreResult,
  ScoreUnknownPolicy,
  RankOptions,
  RankedText,
} from './generate/score.js';
export {
  resolveModelConfig,
  type ModelConfig,
  type ModelConfigInput,
  type CellKind,
  type Activation,
} from './model/config.js';
export { stateSize, type Layout, type TensorView } from './model/layout.js';
export { layoutFor } from './model/spec.js';
export {
  train,
  NonFiniteError,
  type TrainOptions,
  type TrainResult,
  type TrainEvent,
  type CheckpointOptions,
} from './train/trainer.js';
export {
  parseSchedule,
  resolveSchedule,
  lrAt,
  type LrSchedule,
  type LrScheduleOptions,
  type LrScheduleState,
} from './run/schedule.js';
export type { TrainingState, CorpusReference } from './run/state.js';
export {
  saveCheckpoint,
  loadCheckpoint,
  readCheckpoint,
  decodeCheckpoint,
  type Checkpoint,
} from './io/checkpoint.js';
export { resolveOptimizer, type OptimizerOptions } from './run/optim.js';
export { saveModel, loadModel } from './io/model-file.js';
export { saveSafetensors, loadSafetensors, SafetensorsError } from './io/safetensors.js';
export { resolveBackend, capabilities, setThreads, type BackendChoice } from './backends/index.js';
export type {
  Backend,
  BackendSession,
  BackendName,
  StepHyper,
  OptimizerHyper,
  OptimizerKind,
} from './backends/backend.js';
export { jsBackend } from './backends/js/index.js';
export { Rng } from './util/rng.js';
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

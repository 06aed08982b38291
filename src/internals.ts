// charrnn/internals: the building blocks the library is made of, for tools, tests and experiments: the model
// description and layouts, the sampling rule, the backends, schedule parsing, file-format helpers. Exports only.
// Unlike the root entry (./index.ts) these may change shape between minor versions.

// The model description (src/model).
export { describeModel, layoutFor, type ModelSpec } from './model/spec.js';
export {
  stateSize,
  stateOffsets,
  viewOf,
  type LayoutNames,
  type Layout,
  type TensorView,
  type TensorRole,
} from './model/layout.js';
export { initParameters, type InitOptions } from './model/init.js';

// The sampling rule both backends carry out (src/sampling).
export { Transformer, NO_TRANSFORM, isIdentity, type TransformSpec } from './sampling/transform.js';
export { drawFromProbs, argmax } from './sampling/draw.js';
export { tokenPicker, type PickRequest } from './sampling/picker.js';

// The backends (src/backends).
export { resolveBackend, type ResolveOptions } from './backends/index.js';
export { jsBackend } from './backends/js/index.js';
export type {
  Arenas,
  Backend,
  BackendSession,
  Chunk,
  EvalResult,
  SampleRequest,
} from './backends/backend.js';

// The features the viewer's neuron ranking correlates with (src/generate/trace.ts; rankNeurons is in the root entry).
export { textFeatures, pearson, TEXT_FEATURES } from './generate/trace.js';

// Text helpers (src/text).
export { tokenizeWords, vocabularyFromJSON } from './text/word-vocabulary.js';
export { decodeUtf8Strict } from './text/corpus.js';
export { readCorpusFile } from './text/corpus-file.js';

// A training run's data (src/run).
export { parseSchedule, resolveSchedule, lrAt } from './run/schedule.js';
export { checkTrainingState } from './run/state.js';

// Files (src/io).
export { SHAKESPEARE_URL, SHAKESPEARE_SHA256 } from './io/resolve-corpus.js';
export { encodeSafetensors, decodeSafetensors } from './io/safetensors.js';
export { modelFromCheckpoint } from './io/checkpoint.js';
export {
  torchName,
  vanillaToTorchName,
  torchToVanillaName,
  vanillaToTorch,
  torchToVanilla,
  SEED_NAMES,
} from './io/torch-names.js';

// The sequence tasks' building blocks (src/tasks, src/io/task-*.ts, src/train/task-trainer.ts).
export {
  parseLabelledLines,
  parseTsv,
  parseJsonl,
  parseConllu,
  codePointLength,
  SPACE_LABEL,
} from './tasks/data.js';
export { splitByFraction, parseSplit, shuffleInPlace } from './tasks/split.js';
export { makeBatch, evaluationBatches } from './tasks/batch.js';
export { argmaxAt, crossEntropyAt, topLabels } from './tasks/evaluate.js';
export {
  ConfusionMatrix,
  TaggingScorer,
  metricsText,
  confusionTable,
  perClassTable,
  summaryLine,
} from './tasks/metrics.js';
export { labelsOf, taskDataOf, LABELS_KEY, TASK_DATA_KEY } from './io/task-model.js';
export { balancedClassWeights } from './train/task-trainer.js';

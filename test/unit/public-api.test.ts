// The public surface: (a) the root entry exports exactly the listed runtime names, and every name the root exported
// before internals moved behind 'charrnn/internals' is still exported by one of the two entries; (b) type tests of
// the main signatures (expectTypeOf: checked by `npm run typecheck`, which covers test/).
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as root from '../../src/index.js';
import * as browser from '../../src/browser.js';
import * as node from '../../src/node.js';
import * as internals from '../../src/internals.js';
import type {
  BackendChoice,
  BackendName,
  Beam,
  BeamOptions,
  CellKind,
  CharRNN,
  ChunkResult,
  CreateModelOptions,
  DecodeModelOptions,
  EvaluateResult,
  EvaluateOptions,
  GemmOptions,
  GemvOptions,
  GenerateOptions,
  GenerateResult,
  KernelOptions,
  Layout,
  LossFunOptions,
  LossFunResult,
  ModelConfig,
  ModelVocabulary,
  RankedText,
  RnnGrads,
  RnnParams,
  ScoreOptions,
  ScoreResult,
  Session,
  StepHyper,
  StopReason,
  TokenIds,
  TokenInput,
  TrainEvent,
  TrainingState,
  TrainOptions,
  TrainResult,
} from '../../src/index.js';

/** The runtime names of the root entry (types are checked below). */
const ROOT = [
  'VERSION',
  'Vocabulary',
  'WordVocabulary',
  'UNK',
  'EOL',
  'Corpus',
  'Batcher',
  'resolveCorpus',
  'CorpusFile',
  'CharRNN',
  'resolveModelConfig',
  'Rng',
  'Session',
  'BatchSession',
  'train',
  'NonFiniteError',
  'PRESETS',
  'PRESET_NAMES',
  'getPreset',
  'presetOptions',
  'toLogRecord',
  'parseRunLog',
  'RunLogError',
  'RUN_LOG_SCHEMA',
  'RunLogWriter',
  'readRunLog',
  'defaultLogPath',
  'makeReport',
  'resolveOptimizer',
  'saveCheckpoint',
  'loadCheckpoint',
  'readCheckpoint',
  'decodeCheckpoint',
  'encodeModel',
  'decodeModel',
  'rankNeurons',
  'renderViz',
  'saveModel',
  'loadModel',
  'saveSafetensors',
  'loadSafetensors',
  'SafetensorsError',
  'capabilities',
  'setThreads',
  'ERROR_CODES',
  'trainTask',
  'LabelVocabulary',
  'encodeSequences',
  'SequenceBatcher',
  'evaluateSequences',
  'readTaskData',
  'readTaskSplits',
  'loadTaskModel',
  'lossFun',
  'lossFunInto',
  'gemm',
  'gemv',
  'axpy',
  'dot',
];

/** The root's names that read or write files: Node only, also exported by 'charrnn/node', not by the browser entry. */
const NODE_ONLY = [
  'resolveCorpus',
  'CorpusFile',
  'RunLogWriter',
  'readRunLog',
  'defaultLogPath',
  'makeReport',
  'saveCheckpoint',
  'loadCheckpoint',
  'readCheckpoint',
  'saveModel',
  'loadModel',
  'saveSafetensors',
  'loadSafetensors',
  'trainTask',
  'readTaskData',
  'readTaskSplits',
  'loadTaskModel',
];

/** Runtime names the root exported before the split that now live in 'charrnn/internals'. */
const MOVED_TO_INTERNALS = [
  'tokenizeWords',
  'vocabularyFromJSON',
  'readCorpusFile',
  'decodeUtf8Strict',
  'SHAKESPEARE_URL',
  'SHAKESPEARE_SHA256',
  'Transformer',
  'NO_TRANSFORM',
  'drawFromProbs',
  'argmax',
  'layoutFor',
  'stateSize',
  'parseSchedule',
  'resolveSchedule',
  'lrAt',
  'resolveBackend',
  'jsBackend',
];

describe('the root entry', () => {
  it('exports exactly the public runtime names', () => {
    expect(Object.keys(root).sort()).toEqual([...ROOT].sort());
  });

  it("is the browser entry's names plus charrnn/node's file functions, the same objects", () => {
    expect(Object.keys(node).sort()).toEqual([...NODE_ONLY].sort());
    expect(Object.keys(browser).sort()).toEqual(ROOT.filter((n) => !NODE_ONLY.includes(n)).sort());
    for (const [name, value] of Object.entries(root))
      expect(value, name).toBe(
        (browser as Record<string, unknown>)[name] ?? (node as Record<string, unknown>)[name],
      );
  });

  it('keeps every earlier name reachable: internals export what left the root', () => {
    const inInternals = new Set(Object.keys(internals));
    for (const name of MOVED_TO_INTERNALS) expect(inInternals.has(name), name).toBe(true);
    for (const name of ROOT) expect(inInternals.has(name), name).toBe(false);
  });

  it('exports values of the documented kinds', () => {
    expect(typeof root.CharRNN.create).toBe('function');
    expect(typeof root.train).toBe('function');
    expect(typeof root.lossFun).toBe('function');
    expect(root.VERSION).toMatch(/^\d+\.\d+\.\d+/);
  });
});

describe('types of the main signatures', () => {
  it('encodeModel and decodeModel turn a model into bytes and back', () => {
    expectTypeOf(root.encodeModel).parameters.toEqualTypeOf<[CharRNN]>();
    expectTypeOf(root.encodeModel).returns.toEqualTypeOf<Uint8Array>();
    expectTypeOf(root.decodeModel).parameters.toEqualTypeOf<[Uint8Array, DecodeModelOptions?]>();
    expectTypeOf(root.decodeModel).returns.toEqualTypeOf<CharRNN>();
    expectTypeOf<DecodeModelOptions['backend']>().toEqualTypeOf<BackendChoice | undefined>();
  });

  it('CharRNN.create takes CreateModelOptions and returns a CharRNN', () => {
    expectTypeOf(root.CharRNN.create).parameters.toEqualTypeOf<[CreateModelOptions]>();
    expectTypeOf(root.CharRNN.create).returns.toEqualTypeOf<CharRNN>();
    expectTypeOf<CreateModelOptions['vocabulary']>().toEqualTypeOf<ModelVocabulary>();
    expectTypeOf<CreateModelOptions['cell']>().toEqualTypeOf<CellKind | undefined>();
    expectTypeOf<CellKind>().toEqualTypeOf<'rnn' | 'lstm' | 'gru'>();
    expectTypeOf<CreateModelOptions['hiddenSize']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<CreateModelOptions['forgetBias']>().toEqualTypeOf<number | 'pytorch' | undefined>();
    expectTypeOf<CreateModelOptions['backend']>().toEqualTypeOf<BackendChoice | undefined>();
    expectTypeOf<BackendChoice>().toEqualTypeOf<'auto' | 'js' | 'native'>();
  });

  it('a model: config, layout, backend, parameters and its custom-loop step', () => {
    expectTypeOf<CharRNN['config']>().toEqualTypeOf<ModelConfig>();
    expectTypeOf<CharRNN['layout']>().toEqualTypeOf<Layout>();
    expectTypeOf<CharRNN['backend']>().toEqualTypeOf<BackendName>();
    expectTypeOf<CharRNN['parameters']>().returns.toEqualTypeOf<Map<string, Float32Array>>();
    expectTypeOf<CharRNN['trainChunk']>().parameters.toEqualTypeOf<
      [Int32Array, Int32Array, number, number, StepHyper]
    >();
    expectTypeOf<CharRNN['trainChunk']>().returns.toEqualTypeOf<ChunkResult>();
    expectTypeOf<CharRNN['trainChunkAsync']>().returns.toEqualTypeOf<Promise<ChunkResult>>();
  });

  it('sample / generate / score / evaluate results', () => {
    expectTypeOf<CharRNN['sample']>().parameters.toEqualTypeOf<[options?: GenerateOptions]>();
    expectTypeOf<CharRNN['sample']>().returns.toEqualTypeOf<string>();
    expectTypeOf<CharRNN['generate']>().returns.toEqualTypeOf<GenerateResult>();
    expectTypeOf<GenerateResult>().toEqualTypeOf<{ text: string; ids: Int32Array; stoppedBy: StopReason }>();
    expectTypeOf<StopReason>().toEqualTypeOf<'length' | 'stop' | 'maxLength'>();
    expectTypeOf<CharRNN['stream']>().returns.toEqualTypeOf<
      AsyncGenerator<string, GenerateResult, undefined>
    >();
    expectTypeOf<CharRNN['session']>().returns.toEqualTypeOf<Session>();
    expectTypeOf<CharRNN['beamSearch']>().parameters.toEqualTypeOf<[options?: BeamOptions]>();
    expectTypeOf<CharRNN['beamSearch']>().returns.toEqualTypeOf<Beam[]>();
    expectTypeOf<CharRNN['score']>().parameters.toEqualTypeOf<[text: string, options?: ScoreOptions]>();
    expectTypeOf<CharRNN['score']>().returns.toEqualTypeOf<ScoreResult>();
    expectTypeOf<ScoreResult['totalNats']>().toEqualTypeOf<number>();
    expectTypeOf<ScoreResult['surprisal']>().toEqualTypeOf<Float64Array>();
    expectTypeOf<ScoreResult['tokens']>().toEqualTypeOf<string[]>();
    expectTypeOf<CharRNN['rank']>().returns.toEqualTypeOf<RankedText[]>();
    expectTypeOf<CharRNN['evaluate']>().parameters.toEqualTypeOf<
      [ids: TokenIds | string, options?: EvaluateOptions]
    >();
    expectTypeOf<CharRNN['scoreMany']>().returns.toEqualTypeOf<ScoreResult[]>();
    expectTypeOf<CharRNN['evaluate']>().returns.toEqualTypeOf<EvaluateResult>();
    expectTypeOf<EvaluateResult>().toEqualTypeOf<{
      loss: number;
      perplexity: number;
      bitsPerChar: number;
      count: number;
    }>();
  });

  it('train() options and result', () => {
    expectTypeOf(root.train).parameters.toEqualTypeOf<
      [model: CharRNN, trainIds: TokenInput, validation: TokenInput | undefined, options?: TrainOptions]
    >();
    expectTypeOf(root.train).returns.toEqualTypeOf<Promise<TrainResult>>();
    expectTypeOf<TrainOptions['seqLength']>().toEqualTypeOf<number | undefined>();
    expectTypeOf<TrainOptions['reduction']>().toEqualTypeOf<'sum' | 'mean' | undefined>();
    expectTypeOf<TrainOptions['resume']>().toEqualTypeOf<TrainingState | undefined>();
    expectTypeOf<TrainOptions['onEvent']>().toEqualTypeOf<((event: TrainEvent) => void) | undefined>();
    expectTypeOf<TrainResult['stoppedBy']>().toEqualTypeOf<
      'maxIters' | 'maxEpochs' | 'maxTime' | 'maxTrainTime' | 'signal'
    >();
    expectTypeOf<TrainResult['validation']>().toEqualTypeOf<EvaluateResult | undefined>();
    expectTypeOf<TrainResult['state']>().toEqualTypeOf<TrainingState>();
  });

  it('the drop-in lossFun and kernels', () => {
    expectTypeOf(root.lossFun).parameters.toEqualTypeOf<
      [
        inputs: ArrayLike<number>,
        targets: ArrayLike<number>,
        hprev: Float32Array,
        params: RnnParams,
        options?: LossFunOptions,
      ]
    >();
    expectTypeOf(root.lossFun).returns.toEqualTypeOf<LossFunResult>();
    expectTypeOf<LossFunResult>().toMatchTypeOf<RnnGrads & { loss: number; hlast: Float32Array }>();
    expectTypeOf<RnnParams['Wxh']>().toEqualTypeOf<Float32Array>();
    expectTypeOf(root.lossFunInto).returns.toEqualTypeOf<number>();
    expectTypeOf(root.gemm).parameters.toEqualTypeOf<
      [
        transA: boolean,
        transB: boolean,
        M: number,
        N: number,
        K: number,
        A: Float32Array,
        B: Float32Array,
        C: Float32Array,
        opts?: GemmOptions,
      ]
    >();
    expectTypeOf(root.gemm).returns.toEqualTypeOf<void>();
    expectTypeOf(root.gemv).parameter(6).toEqualTypeOf<GemvOptions | undefined>();
    expectTypeOf(root.dot).returns.toEqualTypeOf<number>();
    expectTypeOf<GemmOptions>().toMatchTypeOf<KernelOptions>();
  });
});

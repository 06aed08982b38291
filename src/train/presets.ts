// Training presets: whole recipes (model and training options) for a character-level language model on a time
// budget, chosen by measurement on tinyshakespeare (last 10% held out) on 2 cores; docs/presets.md has the runs
// behind every number here. Plain data: `charrnn train --preset NAME` and the library use the same objects.
import type { Activation, CellKind } from '../model/config.js';
import type { OptimizerOptions } from '../run/optim.js';
import type { TrainOptions } from './trainer.js';

/** The preset names: the training-time budget they are tuned for (minutes). */
export const PRESET_NAMES = ['5min', '15min', '60min'] as const;
export type PresetName = (typeof PRESET_NAMES)[number];

/** The model half of a recipe: what CharRNN.create takes besides the vocabulary, seed and backend. */
export interface PresetModel {
  readonly cell: CellKind;
  readonly layers: number;
  readonly hiddenSize: number;
  readonly embeddingSize: number;
  readonly dropout: number;
  readonly activation: Activation;
  readonly forgetBias: number | 'pytorch';
}

/** The training half: options of train() (maxTrainTime is the budget: seconds of training, validation excluded). */
export interface PresetTraining {
  readonly seqLength: number;
  readonly batchSize: number;
  readonly optimizer: Readonly<OptimizerOptions>;
  readonly clipValue: number;
  readonly clipNorm: number;
  readonly reduction: 'sum' | 'mean';
  /** The CLI spelling (src/run/schedule.ts); the budget schedules decay over maxTrainTime. */
  readonly lrSchedule: string;
  readonly maxTrainTime: number;
  /** Validate every this many seconds (the run log's curve). */
  readonly evalInterval: number;
}

export interface TrainPreset {
  readonly name: PresetName;
  /** One line for `charrnn train --help` and the docs. */
  readonly summary: string;
  readonly model: PresetModel;
  readonly training: PresetTraining;
}

function preset(p: TrainPreset): TrainPreset {
  return Object.freeze({
    ...p,
    model: Object.freeze({ ...p.model }),
    training: Object.freeze({ ...p.training, optimizer: Object.freeze({ ...p.training.optimizer }) }),
  });
}

/**
 * The recipes. Each trains for its whole budget with the lr decaying along a cosine to 0 at the end of maxTrainTime:
 * seconds of training, validation off the clock (as the W5 quality runs count), so the curve in the run log costs
 * no training time.
 */
export const PRESETS: Readonly<Record<PresetName, TrainPreset>> = Object.freeze({
  '5min': preset({
    name: '5min',
    summary:
      '2-layer LSTM 256, embedding 64, dropout 0.1, AdamW 6e-3 (weight decay 0.1) with cosine decay over 5 minutes',
    model: {
      cell: 'lstm',
      layers: 2,
      hiddenSize: 256,
      embeddingSize: 64,
      dropout: 0.1,
      activation: 'tanh',
      forgetBias: 'pytorch',
    },
    training: {
      seqLength: 64,
      batchSize: 32,
      optimizer: { kind: 'adam', lr: 6e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0.1 },
      clipValue: 0,
      clipNorm: 5,
      reduction: 'mean',
      lrSchedule: 'cosine',
      maxTrainTime: 300,
      evalInterval: 60,
    },
  }),
  '15min': preset({
    name: '15min',
    summary:
      '2-layer LSTM 384, embedding 64, dropout 0.2, AdamW 3e-3 (weight decay 0.1) with cosine decay over 15 minutes',
    model: {
      cell: 'lstm',
      layers: 2,
      hiddenSize: 384,
      embeddingSize: 64,
      dropout: 0.2,
      activation: 'tanh',
      forgetBias: 'pytorch',
    },
    training: {
      seqLength: 64,
      batchSize: 32,
      optimizer: { kind: 'adam', lr: 3e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0.1 },
      clipValue: 0,
      clipNorm: 5,
      reduction: 'mean',
      lrSchedule: 'cosine',
      maxTrainTime: 900,
      evalInterval: 60,
    },
  }),
  '60min': preset({
    name: '60min',
    summary:
      '2-layer LSTM 512, embedding 64, dropout 0.3, AdamW 2e-3 (weight decay 0.1) with cosine decay over 60 minutes',
    model: {
      cell: 'lstm',
      layers: 2,
      hiddenSize: 512,
      embeddingSize: 64,
      dropout: 0.3,
      activation: 'tanh',
      forgetBias: 'pytorch',
    },
    training: {
      seqLength: 100,
      batchSize: 32,
      optimizer: { kind: 'adam', lr: 2e-3, beta1: 0.9, beta2: 0.99, weightDecay: 0.1 },
      clipValue: 0,
      clipNorm: 5,
      reduction: 'mean',
      lrSchedule: 'cosine',
      maxTrainTime: 3600,
      evalInterval: 120,
    },
  }),
});

/** The preset of that name; a RangeError listing the valid names otherwise. */
export function getPreset(name: string): TrainPreset {
  if (typeof name === 'string' && Object.hasOwn(PRESETS, name)) return PRESETS[name as PresetName];
  throw new RangeError(
    `Expected one of ${PRESET_NAMES.map((n) => `'${n}'`).join(', ')} for preset but received ${JSON.stringify(name)}`,
  );
}

/**
 * A preset's recipe with your overrides on top (a value you give wins; undefined leaves the preset's): spread
 * `model` into CharRNN.create (with the vocabulary, seed and backend) and pass `training` to train().
 *
 *     const { model: m, training } = presetOptions('5min', { training: { maxTrainTime: 60 } });
 *     const model = CharRNN.create({ vocabulary: corpus.vocabulary, ...m, seed: 1 });
 *     await train(model, corpus.train, corpus.validation, { ...training, seed: 1 });
 */
export function presetOptions(
  name: PresetName | string,
  overrides: { model?: Partial<PresetModel>; training?: Partial<TrainOptions> } = {},
): { model: PresetModel; training: TrainOptions & PresetTraining } {
  const p = getPreset(name);
  return {
    model: { ...p.model, ...defined(overrides.model ?? {}) },
    training: {
      ...p.training,
      optimizer: { ...p.training.optimizer },
      ...defined(overrides.training ?? {}),
    } as TrainOptions & PresetTraining,
  };
}

function defined<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as Partial<T>;
}

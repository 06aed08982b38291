// The benchmark workloads of ../shared/WORKLOADS.md, by name: model, batch, sequence length, optimizer,
// clipping, and the FLOP count used to report GFLOP/s. Deliberately data only (src/bench/runner.ts times them).
import type { CellKind } from '../model/config.js';
import type { OptimizerOptions } from '../run/optim.js';

/** The model a workload trains or samples from (vocabulary: the corpus's, 65 characters for Shakespeare). */
export interface WorkloadModel {
  cell: CellKind;
  hiddenSize: number;
  layers: number;
  /** 0 = one-hot input. */
  embeddingSize: number;
}

export interface TrainingWorkload {
  kind: 'train';
  name: 'W1' | 'W2' | 'W3' | 'W9';
  title: string;
  model: WorkloadModel;
  batch: number;
  seqLength: number;
  optimizer: OptimizerOptions;
  clipValue: number;
  clipNorm: number;
  reduction: 'sum' | 'mean';
}

/** W4: generation, batch 1, temperature 1, multinomial, from the model of another workload. */
export interface SamplingWorkload {
  kind: 'sample';
  name: 'W4';
  title: string;
  /** The workloads whose models are sampled from. */
  models: readonly ('W2' | 'W3')[];
  /** Characters generated per timed call. */
  length: number;
}

export type Workload = TrainingWorkload | SamplingWorkload;

/**
 * Forward FLOPs per token as WORKLOADS.md counts them: vanilla 2·(H·H + H·V) (+ 2·H·E with an embedding; the
 * one-hot input is a lookup), LSTM/GRU layer 2·G·H·(In + H) with G gates, output layer 2·H·V. Training ≈ 3 ×
 * forward.
 */
export function forwardFlops(m: WorkloadModel, V: number): number {
  const H = m.hiddenSize;
  let flops = 2 * H * V; // decoder
  if (m.cell === 'rnn') {
    // The one-hot input of a vanilla layer is a column lookup, not a product (WORKLOADS.md: 2·(H·H + H·V)).
    for (let l = 0; l < m.layers; l++) flops += 2 * H * H + (l > 0 ? 2 * H * H : 2 * H * m.embeddingSize);
    return flops;
  }
  const G = m.cell === 'lstm' ? 4 : 3;
  let input = m.embeddingSize > 0 ? m.embeddingSize : V;
  for (let l = 0; l < m.layers; l++) {
    flops += 2 * G * H * (input + H);
    input = H;
  }
  return flops;
}

const W2_MODEL: WorkloadModel = { cell: 'rnn', hiddenSize: 512, layers: 1, embeddingSize: 0 };
const W3_MODEL: WorkloadModel = { cell: 'lstm', hiddenSize: 256, layers: 2, embeddingSize: 64 };
const W9_MODEL: WorkloadModel = { cell: 'lstm', hiddenSize: 512, layers: 3, embeddingSize: 128 };

export const WORKLOADS = {
  W1: {
    kind: 'train',
    name: 'W1',
    title: 'min-char-rnn: vanilla RNN, one-hot, H=100, B=1, T=25, Adagrad 0.1, clip value 5',
    model: { cell: 'rnn', hiddenSize: 100, layers: 1, embeddingSize: 0 },
    batch: 1,
    seqLength: 25,
    optimizer: { kind: 'adagrad', lr: 0.1 },
    clipValue: 5,
    clipNorm: 0,
    reduction: 'sum',
  },
  W2: {
    kind: 'train',
    name: 'W2',
    title: 'big-vanilla: vanilla RNN, one-hot, H=512, B=32, T=64, Adam 2e-3, clip norm 5',
    model: W2_MODEL,
    batch: 32,
    seqLength: 64,
    optimizer: { kind: 'adam', lr: 2e-3 },
    clipValue: 0,
    clipNorm: 5,
    reduction: 'mean',
  },
  W3: {
    kind: 'train',
    name: 'W3',
    title: 'lstm: 2-layer LSTM, H=256, 65→64 embedding, B=32, T=64, Adam 2e-3, clip norm 5',
    model: W3_MODEL,
    batch: 32,
    seqLength: 64,
    optimizer: { kind: 'adam', lr: 2e-3 },
    clipValue: 0,
    clipNorm: 5,
    reduction: 'mean',
  },
  W4: {
    kind: 'sample',
    name: 'W4',
    title: 'sample: generation, batch 1, temperature 1, multinomial, from the W2 and W3 models',
    models: ['W2', 'W3'],
    length: 2000,
  },
  // W9 `big`: ≈ 33 MFLOP per trained token, almost all of it in gemms of 512–2048 columns, so its GFLOP/s is
  // compared with the machine's sgemm peak. Native only: the pure-TypeScript backend takes minutes per chunk.
  W9: {
    kind: 'train',
    name: 'W9',
    title: 'big: 3-layer LSTM, H=512, 65→128 embedding, B=64, T=128, Adam 2e-3, clip norm 5',
    model: W9_MODEL,
    batch: 64,
    seqLength: 128,
    optimizer: { kind: 'adam', lr: 2e-3 },
    clipValue: 0,
    clipNorm: 5,
    reduction: 'mean',
  },
} as const satisfies Record<string, Workload>;

export type WorkloadName = keyof typeof WORKLOADS;

/** The model of a workload by name (W2/W3 for W4's sampling). */
export function workloadModel(name: 'W1' | 'W2' | 'W3' | 'W9'): WorkloadModel {
  return WORKLOADS[name].model;
}

export { W2_MODEL, W3_MODEL, W9_MODEL };

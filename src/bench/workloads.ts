// The benchmark workloads of ../shared/WORKLOADS.md, by name: model, batch, sequence length, optimizer,
// clipping, and the FLOP count used to report GFLOP/s. Deliberately data only.
import type { OptimizerOptions } from '../src/train/optim.js';

export interface TrainingWorkload {
  name: 'W1' | 'W2';
  title: string;
  hiddenSize: number;
  batch: number;
  seqLength: number;
  optimizer: OptimizerOptions;
  clipValue: number;
  clipNorm: number;
  reduction: 'sum' | 'mean';
  /** FLOPs per trained token: training ≈ 3 × forward, forward ≈ 2·(H·H + H·V). */
  flopsPerToken: (V: number) => number;
}

const vanillaFlops = (H: number) => (V: number) => 3 * 2 * (H * H + H * V);

export const WORKLOADS: Record<TrainingWorkload['name'], TrainingWorkload> = {
  W1: {
    name: 'W1',
    title: 'min-char-rnn: vanilla RNN, one-hot, H=100, B=1, T=25, Adagrad 0.1, clip value 5',
    hiddenSize: 100,
    batch: 1,
    seqLength: 25,
    optimizer: { kind: 'adagrad', lr: 0.1 },
    clipValue: 5,
    clipNorm: 0,
    reduction: 'sum',
    flopsPerToken: vanillaFlops(100),
  },
  W2: {
    name: 'W2',
    title: 'big-vanilla: vanilla RNN, one-hot, H=512, B=32, T=64, Adam 2e-3, clip norm 5',
    hiddenSize: 512,
    batch: 32,
    seqLength: 64,
    optimizer: { kind: 'adam', lr: 2e-3 },
    clipValue: 0,
    clipNorm: 5,
    reduction: 'mean',
    flopsPerToken: vanillaFlops(512),
  },
};

// Optimizer settings as a user writes them (partial, with per-optimizer defaults) → the resolved,
// validated OptimizerHyper every backend receives. Part of src/run: a training run as plain data, below both the
// trainer (src/train) that advances it and the checkpoint format (src/io) that stores it. Deliberately no update math here (see backends).
import type { OptimizerHyper, OptimizerKind } from '../backends/backend.js';
import { nonNegativeNumber, numberInRange, oneOf, positiveNumber } from '../util/validate.js';

export interface OptimizerOptions {
  kind?: OptimizerKind;
  lr?: number;
  momentum?: number;
  beta1?: number;
  beta2?: number;
  eps?: number;
  weightDecay?: number;
}

export const OPTIMIZERS = ['sgd', 'adagrad', 'rmsprop', 'adam'] as const;

/** Per-optimizer defaults: min-char-rnn's Adagrad, PyTorch's RMSProp/Adam (with char-rnn's lr 2e-3). */
const DEFAULTS: Record<OptimizerKind, Omit<OptimizerHyper, 'kind'>> = {
  sgd: { lr: 0.1, momentum: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
  adagrad: { lr: 0.1, momentum: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
  rmsprop: { lr: 2e-3, momentum: 0, beta1: 0.9, beta2: 0.99, eps: 1e-8, weightDecay: 0 },
  adam: { lr: 2e-3, momentum: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
};

export function resolveOptimizer(opts: OptimizerOptions = {}): OptimizerHyper {
  const kind = oneOf('optimizer', opts.kind ?? 'adagrad', OPTIMIZERS);
  const d = DEFAULTS[kind];
  return Object.freeze({
    kind,
    lr: positiveNumber('lr', opts.lr ?? d.lr),
    momentum: numberInRange('momentum', opts.momentum ?? d.momentum, 0, 1, true),
    beta1: numberInRange('beta1', opts.beta1 ?? d.beta1, 0, 1, true),
    beta2: numberInRange('beta2', opts.beta2 ?? d.beta2, 0, 1, true),
    eps: positiveNumber('eps', opts.eps ?? d.eps),
    weightDecay: nonNegativeNumber('weightDecay', opts.weightDecay ?? d.weightDecay),
  });
}

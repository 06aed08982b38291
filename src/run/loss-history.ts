// A run's short loss history: at most 256 training points (the mean chunk loss over `every` iterations, `every`
// doubling whenever the list fills up, so a run of any length keeps an even curve) and at most 256 periodic
// validation losses. Checkpoints keep it (`__metadata__.loss_history`) so `charrnn inspect` can draw the curve
// and a resumed run continues it. Everything is by iteration, nothing by time, so a resumed run keeps exactly the
// history an uninterrupted one does. Deliberately plain data and pure functions (no I/O, no training).
import { describe } from '../util/validate.js';

/** Points kept per list before thinning. */
export const LOSS_HISTORY_POINTS = 256;

export interface LossHistory {
  /** Iterations per training point (a power of two; doubles when `train` fills up). */
  every: number;
  /** [iteration, mean chunk loss over the iterations since the previous point (about `every` of them)]. */
  train: [number, number][];
  /** Sum and count of the chunk losses since the last training point (the window in progress). */
  sum: number;
  count: number;
  /** [iteration, validation loss] of the periodic validations (every other one dropped when it fills up). */
  validation: [number, number][];
}

/** An empty history. */
export function emptyLossHistory(): LossHistory {
  return { every: 1, train: [], sum: 0, count: 0, validation: [] };
}

/** A deep copy (histories are small; the trainer never shares one with its caller). */
export function copyLossHistory(h: LossHistory): LossHistory {
  return {
    every: h.every,
    train: h.train.map(([i, l]) => [i, l]),
    sum: h.sum,
    count: h.count,
    validation: h.validation.map(([i, l]) => [i, l]),
  };
}

/** Add the loss of the chunk that completed `iteration` (in place). */
export function recordTrainLoss(h: LossHistory, iteration: number, loss: number): void {
  h.sum += loss;
  h.count++;
  if (iteration % h.every !== 0) return;
  h.train.push([iteration, h.sum / h.count]);
  h.sum = 0;
  h.count = 0;
  if (h.train.length > LOSS_HISTORY_POINTS) {
    // Merge neighbours from the start (a trailing odd point stays as it is); later points come every 2·every.
    const merged: [number, number][] = [];
    for (let i = 0; i < h.train.length; i += 2)
      merged.push(
        i + 1 < h.train.length ? [h.train[i + 1][0], (h.train[i][1] + h.train[i + 1][1]) / 2] : h.train[i],
      );
    h.train = merged;
    h.every *= 2;
  }
}

/** Add a periodic validation loss (in place). */
export function recordValidationLoss(h: LossHistory, iteration: number, loss: number): void {
  h.validation.push([iteration, loss]);
  if (h.validation.length > LOSS_HISTORY_POINTS) h.validation = h.validation.filter((_, i) => i % 2 === 1);
}

/** Drop the points after `iteration` (a roll-back or a resume from an earlier checkpoint continues from there). */
export function truncateLossHistory(h: LossHistory, iteration: number): void {
  h.train = h.train.filter(([i]) => i <= iteration);
  h.validation = h.validation.filter(([i]) => i <= iteration);
}

/**
 * Validate a parsed `loss_history` object (every key present, nothing else, iterations increasing, losses finite).
 * Returns a fresh object. `fail` throws the loader's error for the message.
 */
export function checkLossHistory(
  value: unknown,
  name = 'loss_history',
  fail: (message: string) => never = (m) => {
    throw new RangeError(m);
  },
): LossHistory {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    fail(`Expected an object for ${name} but received ${describe(value)}`);
  const o = value as Record<string, unknown>;
  const keys = ['every', 'train', 'sum', 'count', 'validation'];
  for (const k of Object.keys(o)) if (!keys.includes(k)) fail(`Unexpected key ${name}.${k}`);
  for (const k of keys) if (!Object.hasOwn(o, k)) fail(`Missing ${name}.${k}`);
  const int = (v: unknown, field: string, min: number): number => {
    if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < min)
      fail(`Expected an integer ≥ ${min} for ${name}.${field} but received ${describe(v)}`);
    return v as number;
  };
  const finite = (v: unknown, field: string): number => {
    if (typeof v !== 'number' || !Number.isFinite(v))
      fail(`Expected a finite number for ${name}.${field} but received ${describe(v)}`);
    return v as number;
  };
  const points = (field: 'train' | 'validation'): [number, number][] => {
    const list = o[field];
    if (!Array.isArray(list) || list.length > LOSS_HISTORY_POINTS)
      fail(
        `Expected a list of at most ${LOSS_HISTORY_POINTS} points for ${name}.${field} but received ${describe(list)}`,
      );
    let last = 0;
    return (list as unknown[]).map((p, j) => {
      if (!Array.isArray(p) || p.length !== 2)
        fail(`Expected an [iteration, loss] pair for ${name}.${field}[${j}] but received ${describe(p)}`);
      const pair = p as unknown[];
      const it = int(pair[0], `${field}[${j}][0]`, last + 1);
      last = it;
      return [it, finite(pair[1], `${field}[${j}][1]`)];
    });
  };
  const every = int(o.every, 'every', 1);
  if (!Number.isInteger(Math.log2(every)))
    fail(`Expected a power of two for ${name}.every but received ${every}`);
  return {
    every,
    train: points('train'),
    sum: finite(o.sum, 'sum'),
    count: int(o.count, 'count', 0),
    validation: points('validation'),
  };
}

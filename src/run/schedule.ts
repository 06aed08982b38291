// Learning-rate schedules: none, step decay, exponential, reduce-on-plateau (from validation loss), in src/run
// (a training run as plain data, below both the trainer and the checkpoint format).
// The schedule and its progress are plain JSON-serialisable data (checkpoints store them); the lr is a
// function of (spec, iteration, state), so a resumed run gets the same lr bit for bit. Changing the lr
// never touches optimizer state. Deliberately no warm-up or cyclic schedules, and no I/O.
// The budget schedules (cosine, linear) decay from the lr to FLOOR × lr over the run's budget: the progress is the
// largest of iteration / maxIters, epochs / maxEpochs, elapsed / maxTime and trainTime / maxTrainTime that is finite
// (budgetProgress). With maxIters or maxEpochs that is a function of the iteration (bit for bit on resume, maxIters
// counting the whole run); with maxTime or maxTrainTime it follows a clock, so two runs differ, and a resumed session
// decays again over its own budget.
import { describe, nonNegativeNumber, numberInRange, positiveInt, rangeError } from '../util/validate.js';

/** What a user asks for (every field but `kind` optional, defaults below). */
export type LrScheduleOptions =
  | { kind: 'none' }
  /** lr × gamma every `every` iterations (PyTorch's StepLR, counted in iterations). */
  | { kind: 'step'; every: number; gamma?: number }
  /** lr × gamma^(iteration / every): × gamma per iteration (every = 1, default) or per `every` iterations. */
  | { kind: 'exp'; gamma: number; every?: number }
  /** PyTorch's ReduceLROnPlateau (mode 'min', relative threshold, no cooldown), fed by periodic validation. */
  | { kind: 'plateau'; factor?: number; patience?: number; minLr?: number; threshold?: number }
  /** Half a cosine from lr down to floor × lr over the run's budget (maxIters, maxEpochs, maxTime or maxTrainTime); floor 0 by default. */
  | { kind: 'cosine'; floor?: number }
  /** A straight line from lr down to floor × lr over the run's budget; floor default 0. */
  | { kind: 'linear'; floor?: number };

/** A resolved schedule: every field present and validated. */
export type LrSchedule =
  | { readonly kind: 'none' }
  | { readonly kind: 'step'; readonly every: number; readonly gamma: number }
  | { readonly kind: 'exp'; readonly gamma: number; readonly every: number }
  | {
      readonly kind: 'plateau';
      readonly factor: number;
      readonly patience: number;
      readonly minLr: number;
      readonly threshold: number;
    }
  | { readonly kind: 'cosine' | 'linear'; readonly floor: number };

/** The schedule's progress: plain data, stored in checkpoints. */
export interface LrScheduleState {
  /** Learning rate the run started with (the optimizer's lr). */
  baseLr: number;
  /**
   * Product of every multiplicative cut so far that is not a function of the iteration: plateau
   * reductions and NaN roll-backs. lr = baseLr × decay(iteration) × scale.
   */
  scale: number;
  /** Plateau: best validation loss seen (null before the first validation). */
  best: number | null;
  /** Plateau: validations in a row without an improvement beyond the threshold. */
  badEvals: number;
}

export const SCHEDULE_SPELLING =
  "'none', 'step:EVERY[:GAMMA]', 'exp:GAMMA[:EVERY]', 'plateau[:FACTOR[:PATIENCE[:MIN_LR[:THRESHOLD]]]]', 'cosine[:FLOOR]' or 'linear[:FLOOR]'";

/** Schedules that decay over the run's budget: they need maxIters, maxEpochs, maxTime or maxTrainTime. */
export function isBudgetSchedule(s: LrSchedule): boolean {
  return s.kind === 'cosine' || s.kind === 'linear';
}

/**
 * Validate and fill in defaults: step gamma 0.5; exp every 1; plateau factor 0.5, patience 3, minLr 0, threshold 1e-4;
 * cosine / linear floor 0.
 */
export function resolveSchedule(opts: LrScheduleOptions | string | undefined): LrSchedule {
  if (opts === undefined) return Object.freeze({ kind: 'none' });
  if (typeof opts === 'string') return parseSchedule(opts);
  if (opts === null || typeof opts !== 'object')
    throw new TypeError(`Expected a schedule object or string for lrSchedule but received ${describe(opts)}`);
  const o = opts as Record<string, unknown>;
  switch (o.kind) {
    case 'none':
      return Object.freeze({ kind: 'none' });
    case 'step':
      return Object.freeze({
        kind: 'step',
        every: positiveInt('lrSchedule.every', o.every),
        gamma: gammaField(o.gamma ?? 0.5),
      });
    case 'exp':
      return Object.freeze({
        kind: 'exp',
        gamma: gammaField(o.gamma),
        every: positiveInt('lrSchedule.every', o.every ?? 1),
      });
    case 'plateau':
      return Object.freeze({
        kind: 'plateau',
        factor: numberInRange('lrSchedule.factor', o.factor ?? 0.5, 0, 1, true),
        patience: nonNegativeIntField('lrSchedule.patience', o.patience ?? 3),
        minLr: nonNegativeNumber('lrSchedule.minLr', o.minLr ?? 0),
        threshold: numberInRange('lrSchedule.threshold', o.threshold ?? 1e-4, 0, 1, true),
      });
    case 'cosine':
    case 'linear':
      return Object.freeze({
        kind: o.kind,
        floor: numberInRange('lrSchedule.floor', o.floor ?? 0, 0, 1),
      });
    default:
      return rangeError(
        "one of 'none', 'step', 'exp', 'plateau', 'cosine', 'linear'",
        'lrSchedule.kind',
        o.kind,
      );
  }
}

function gammaField(v: unknown): number {
  const g = numberInRange('lrSchedule.gamma', v, 0, 1);
  if (g === 0) rangeError('a number in (0, 1]', 'lrSchedule.gamma', g);
  return g;
}

function nonNegativeIntField(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0)
    rangeError('a non-negative integer', name, v);
  return v;
}

/**
 * Parse the CLI spelling: `none`, `step:1000:0.5` (× 0.5 every 1000 iterations), `exp:0.9999`
 * (× 0.9999 per iteration), `exp:0.5:1000` (× 0.5 per 1000 iterations, smoothly),
 * `plateau:0.5:3` (× 0.5 after 3 validations without improvement; then optional MIN_LR and THRESHOLD),
 * `cosine` / `linear` (down to 0 over the run's budget), `cosine:0.1` (down to 0.1 × lr).
 */
export function parseSchedule(text: string): LrSchedule {
  if (typeof text !== 'string')
    throw new TypeError(`Expected a string for lrSchedule but received ${describe(text)}`);
  const [kind, ...args] = text.trim().split(':');
  const bad = (why: string): never => rangeError(`${SCHEDULE_SPELLING} (${why})`, 'lrSchedule', text);
  const nums = args.map((a) => {
    const n = a.trim() === '' ? NaN : Number(a);
    if (!Number.isFinite(n)) bad(`${JSON.stringify(a)} is not a number`);
    return n;
  });
  const most = (n: number) => nums.length > n && bad(`${kind} takes at most ${n} value(s)`);
  switch (kind) {
    case 'none':
      most(0);
      return resolveSchedule({ kind: 'none' });
    case 'step':
      most(2);
      if (nums.length < 1) bad('step needs EVERY');
      return resolveSchedule({ kind: 'step', every: nums[0], gamma: nums[1] });
    case 'exp':
      most(2);
      if (nums.length < 1) bad('exp needs GAMMA');
      return resolveSchedule({ kind: 'exp', gamma: nums[0], every: nums[1] });
    case 'plateau':
      most(4);
      return resolveSchedule({
        kind: 'plateau',
        factor: nums[0],
        patience: nums[1],
        minLr: nums[2],
        threshold: nums[3],
      });
    case 'cosine':
    case 'linear':
      most(1);
      return resolveSchedule({ kind, floor: nums[0] });
    default:
      return bad(`unknown kind ${JSON.stringify(kind)}`);
  }
}

/** The CLI spelling of a resolved schedule (parseSchedule(formatSchedule(s)) equals s). */
export function formatSchedule(s: LrSchedule): string {
  switch (s.kind) {
    case 'none':
      return 'none';
    case 'step':
      return `step:${s.every}:${s.gamma}`;
    case 'exp':
      return `exp:${s.gamma}:${s.every}`;
    case 'plateau':
      return `plateau:${s.factor}:${s.patience}:${s.minLr}:${s.threshold}`;
    case 'cosine':
    case 'linear':
      return `${s.kind}:${s.floor}`;
  }
}

export function initialScheduleState(baseLr: number): LrScheduleState {
  return { baseLr, scale: 1, best: null, badEvals: 0 };
}

/** How far a run is through its budget, in [0, 1]: the largest finite fraction (0 when there is none). */
export function budgetProgress(b: {
  iteration: number;
  maxIters: number;
  /** Passes over the training split so far (fractional). */
  epochs: number;
  maxEpochs: number;
  /** Seconds so far (the trainer counts the time it keeps for the final validation as spent). */
  elapsed: number;
  maxTime: number;
  /** Seconds spent in training chunks so far (validation, sampling and checkpoints excluded). */
  trainTime?: number;
  maxTrainTime?: number;
}): number {
  let p = 0;
  const trained = (b.trainTime ?? 0) / (b.maxTrainTime ?? Infinity);
  for (const f of [b.iteration / b.maxIters, b.epochs / b.maxEpochs, b.elapsed / b.maxTime, trained])
    if (Number.isFinite(f) && f > p) p = f;
  return Math.min(1, p);
}

/**
 * The multiplier a schedule applies after `iteration` completed iterations, `progress` (in [0, 1]) through the
 * run's budget (1 for none / plateau).
 */
function decay(s: LrSchedule, iteration: number, progress: number): number {
  if (s.kind === 'step') return Math.pow(s.gamma, Math.floor(iteration / s.every));
  if (s.kind === 'exp') return Math.pow(s.gamma, iteration / s.every);
  const p = Math.min(1, Math.max(0, progress));
  if (s.kind === 'cosine') return s.floor + (1 - s.floor) * 0.5 * (1 + Math.cos(Math.PI * p));
  if (s.kind === 'linear') return s.floor + (1 - s.floor) * (1 - p);
  return 1;
}

/**
 * Learning rate for the update that follows `iteration` completed iterations, `progress` through the run's budget
 * (budgetProgress; only the budget schedules read it). Always > 0.
 */
export function lrAt(s: LrSchedule, state: LrScheduleState, iteration: number, progress = 0): number {
  const lr = state.baseLr * decay(s, iteration, progress) * state.scale;
  // A long decay may underflow; the optimizers need lr > 0, and Number.MIN_VALUE is zero in effect.
  return Math.max(s.kind === 'plateau' ? Math.max(lr, s.minLr) : lr, Number.MIN_VALUE);
}

/**
 * Feed one periodic validation loss (plateau only; other schedules ignore it). Returns true when the lr
 * was cut. Mutates `state`.
 */
export function observeValidation(
  s: LrSchedule,
  state: LrScheduleState,
  loss: number,
  iteration: number,
): boolean {
  if (s.kind !== 'plateau' || !Number.isFinite(loss)) return false;
  if (state.best === null || loss < state.best * (1 - s.threshold)) {
    state.best = loss;
    state.badEvals = 0;
    return false;
  }
  state.badEvals++;
  if (state.badEvals <= s.patience) return false;
  state.badEvals = 0;
  const old = lrAt(s, state, iteration);
  if (old <= s.minLr) return false;
  state.scale *= s.factor;
  return true;
}

/** Check a schedule state read from a file (plain data). Throws RangeError/TypeError naming the field. */
export function checkScheduleState(value: unknown, name: string): LrScheduleState {
  if (value === null || typeof value !== 'object' || Array.isArray(value))
    throw new TypeError(`Expected an object for ${name} but received ${describe(value)}`);
  const v = value as Record<string, unknown>;
  const best = v.best;
  if (best !== null && (typeof best !== 'number' || !Number.isFinite(best)))
    rangeError('null or a finite number', `${name}.best`, best);
  return {
    baseLr: positiveFinite(`${name}.baseLr`, v.baseLr),
    scale: positiveFinite(`${name}.scale`, v.scale),
    best,
    badEvals: nonNegativeIntField(`${name}.badEvals`, v.badEvals),
  };
}

function positiveFinite(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) rangeError('a positive finite number', name, v);
  return v;
}

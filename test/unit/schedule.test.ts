// Learning-rate schedules: the CLI spelling and its errors, the lr each schedule gives, reduce-on-plateau,
// and that the trainer applies the lr without touching optimizer state.
import { describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { Corpus } from '../../src/text/corpus.js';
import { train, type TrainEvent } from '../../src/train/trainer.js';
import {
  budgetProgress,
  formatSchedule,
  initialScheduleState,
  lrAt,
  observeValidation,
  parseSchedule,
  resolveSchedule,
} from '../../src/run/schedule.js';

describe('parseSchedule', () => {
  it('reads every documented spelling, with defaults', () => {
    expect(parseSchedule('none')).toEqual({ kind: 'none' });
    expect(parseSchedule('step:1000:0.5')).toEqual({ kind: 'step', every: 1000, gamma: 0.5 });
    expect(parseSchedule('step:10')).toEqual({ kind: 'step', every: 10, gamma: 0.5 });
    expect(parseSchedule('exp:0.9999')).toEqual({ kind: 'exp', gamma: 0.9999, every: 1 });
    expect(parseSchedule('exp:0.5:1000')).toEqual({ kind: 'exp', gamma: 0.5, every: 1000 });
    expect(parseSchedule('plateau')).toEqual({
      kind: 'plateau',
      factor: 0.5,
      patience: 3,
      minLr: 0,
      threshold: 1e-4,
    });
    expect(parseSchedule('plateau:0.1:2:1e-5:0.01')).toEqual({
      kind: 'plateau',
      factor: 0.1,
      patience: 2,
      minLr: 1e-5,
      threshold: 0.01,
    });
    expect(parseSchedule('cosine')).toEqual({ kind: 'cosine', floor: 0 });
    expect(parseSchedule('linear:0.1')).toEqual({ kind: 'linear', floor: 0.1 });
  });

  it('round-trips through formatSchedule', () => {
    for (const s of [
      'none',
      'step:3:0.25',
      'exp:0.99:7',
      'plateau:0.5:3:0.001:0.01',
      'cosine:0',
      'linear:0.1',
    ])
      expect(formatSchedule(parseSchedule(s))).toBe(s);
  });

  it('rejects malformed spellings with a message naming what is wrong', () => {
    const spelling =
      "'none', 'step:EVERY[:GAMMA]', 'exp:GAMMA[:EVERY]', 'plateau[:FACTOR[:PATIENCE[:MIN_LR[:THRESHOLD]]]]', 'cosine[:FLOOR]' or 'linear[:FLOOR]'";
    expect(() => parseSchedule('cyclic')).toThrow(
      `Expected ${spelling} (unknown kind "cyclic") for lrSchedule but received "cyclic"`,
    );
    expect(() => parseSchedule('cosine:1:2')).toThrow('(cosine takes at most 1 value(s))');
    expect(() => parseSchedule('linear:1.5')).toThrow(
      'Expected a number in [0, 1] for lrSchedule.floor but received 1.5',
    );
    expect(() => parseSchedule('step:x')).toThrow(`("x" is not a number) for lrSchedule`);
    expect(() => parseSchedule('step')).toThrow('(step needs EVERY)');
    expect(() => parseSchedule('exp')).toThrow('(exp needs GAMMA)');
    expect(() => parseSchedule('none:1')).toThrow('(none takes at most 0 value(s))');
    expect(() => parseSchedule('step:1:0.5:3')).toThrow('(step takes at most 2 value(s))');
    expect(() => parseSchedule('step:0:0.5')).toThrow(
      'Expected a positive integer for lrSchedule.every but received 0',
    );
    expect(() => parseSchedule('step:2.5')).toThrow(
      'Expected a positive integer for lrSchedule.every but received 2.5',
    );
    expect(() => parseSchedule('exp:1.5')).toThrow(
      'Expected a number in [0, 1] for lrSchedule.gamma but received 1.5',
    );
    expect(() => parseSchedule('exp:0')).toThrow(
      'Expected a number in (0, 1] for lrSchedule.gamma but received 0',
    );
    expect(() => parseSchedule('plateau:1')).toThrow(
      'Expected a number in [0, 1) for lrSchedule.factor but received 1',
    );
    expect(() => parseSchedule('plateau:0.5:-1')).toThrow(
      'Expected a non-negative integer for lrSchedule.patience but received -1',
    );
    expect(() => resolveSchedule({ kind: 'warmup' } as never)).toThrow(
      "Expected one of 'none', 'step', 'exp', 'plateau', 'cosine', 'linear' for lrSchedule.kind but received \"warmup\"",
    );
    expect(() => resolveSchedule(3 as never)).toThrow(TypeError);
  });
});

describe('lrAt', () => {
  const base = initialScheduleState(0.1);
  it('none keeps the base lr', () => {
    expect(lrAt(parseSchedule('none'), base, 12345)).toBe(0.1);
  });
  it('step decays every N iterations', () => {
    const s = parseSchedule('step:10:0.5');
    expect([0, 9, 10, 19, 20, 35].map((i) => lrAt(s, base, i))).toEqual([
      0.1, 0.1, 0.05, 0.05, 0.025, 0.0125,
    ]);
  });
  it('exp decays per iteration, or smoothly per N', () => {
    expect(lrAt(parseSchedule('exp:0.9'), base, 2)).toBeCloseTo(0.081, 15);
    const perN = parseSchedule('exp:0.5:100');
    expect(lrAt(perN, base, 100)).toBeCloseTo(0.05, 15);
    expect(lrAt(perN, base, 50)).toBeCloseTo(0.1 * Math.SQRT1_2, 15);
  });
  it('never reaches 0, so the optimizers keep accepting it', () => {
    expect(lrAt(parseSchedule('exp:0.5'), base, 1e6)).toBeGreaterThan(0);
  });
});

describe('reduce on plateau', () => {
  it('cuts the lr by factor after patience validations without a relative improvement, not below minLr', () => {
    const s = parseSchedule('plateau:0.5:1:0.03:0.01');
    const st = initialScheduleState(0.1);
    const cuts = [2.0, 1.9, 1.895, 1.899, 1.5, 1.6, 1.7, 1.8, 1.9, 2.0, 2.1].map((loss, i) =>
      observeValidation(s, st, loss, i),
    );
    // 1.895 is within 1% of 1.9: no improvement (1); 1.899: the second → cut to 0.05. 1.5 improves;
    // 1.6, 1.7 → cut to 0.025, clamped to minLr 0.03; from there on (1.8 … 2.1) the lr is at minLr: no cut.
    expect(cuts).toEqual([false, false, false, true, false, false, true, false, false, false, false]);
    expect(lrAt(s, st, 0)).toBe(0.03);
    expect(st.best).toBe(1.5);
  });

  it('is ignored by the other schedules', () => {
    const st = initialScheduleState(0.1);
    expect(observeValidation(parseSchedule('step:5'), st, 3, 1)).toBe(false);
    expect(st).toEqual(initialScheduleState(0.1));
  });
});

describe('budget schedules (cosine, linear)', () => {
  it('decay from the lr to floor × lr over the progress through the budget', () => {
    const st = initialScheduleState(0.01);
    const cos = parseSchedule('cosine');
    expect(lrAt(cos, st, 0, 0)).toBe(0.01);
    expect(lrAt(cos, st, 123, 0.5)).toBeCloseTo(0.005, 15);
    expect(lrAt(cos, st, 0, 0.25)).toBeCloseTo(0.01 * 0.5 * (1 + Math.SQRT1_2), 15);
    expect(lrAt(cos, st, 0, 1)).toBe(Number.MIN_VALUE); // never 0: the optimizers need lr > 0
    const lin = parseSchedule('linear:0.2');
    expect(lrAt(lin, st, 0, 0)).toBe(0.01);
    expect(lrAt(lin, st, 0, 0.5)).toBeCloseTo(0.006, 15);
    expect(lrAt(lin, st, 0, 1)).toBeCloseTo(0.002, 15);
    expect(lrAt(lin, st, 0, 7)).toBeCloseTo(0.002, 15); // progress is clamped to [0, 1]
  });

  it('budgetProgress is the furthest finite fraction of the budget', () => {
    const none = {
      iteration: 5,
      maxIters: Infinity,
      epochs: 0.5,
      maxEpochs: Infinity,
      elapsed: 3,
      maxTime: Infinity,
    };
    expect(budgetProgress(none)).toBe(0);
    expect(budgetProgress({ ...none, maxIters: 20 })).toBe(0.25);
    expect(budgetProgress({ ...none, maxIters: 20, maxTime: 6 })).toBe(0.5);
    expect(budgetProgress({ ...none, maxEpochs: 1, maxTime: 60 })).toBe(0.5);
    expect(budgetProgress({ ...none, maxTime: 1 })).toBe(1);
  });

  it('train() decays the lr to the floor over maxIters, bit for bit on resume', async () => {
    const text = 'abcabcabd abcabd\n'.repeat(40);
    const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
    const lrs: number[] = [];
    const opts = {
      seqLength: 5,
      maxIters: 20,
      evalEvery: 0,
      logEvery: 5,
      optimizer: { kind: 'adam' as const, lr: 0.01 },
      lrSchedule: 'linear:0.5',
    };
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 8, backend: 'js' });
    const r = await train(model, corpus.train, undefined, {
      ...opts,
      onEvent: (e: TrainEvent) => e.type === 'progress' && lrs.push(e.lr!),
    });
    // The lr of updates 5, 10, 15, 20 (after 4, 9, 14, 19 of 20 iterations).
    expect(lrs.map((x) => +x.toFixed(12))).toEqual([0.009, 0.00775, 0.0065, 0.00525]);
    expect(r.state.lr).toBeCloseTo(0.005, 15);
    // Stopped after 10 of 20 iterations, then resumed from its state: the same parameters as the uninterrupted run.
    const a = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 8, backend: 'js' });
    const b = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 8, backend: 'js' });
    await train(a, corpus.train, undefined, opts);
    const stop = new AbortController();
    const part = await train(b, corpus.train, undefined, {
      ...opts,
      signal: stop.signal,
      onEvent: (e) => e.type === 'progress' && e.iteration === 10 && stop.abort(),
    });
    expect(part.iterations).toBe(10);
    await train(b, corpus.train, undefined, { ...opts, resume: part.state });
    expect(b.parameters()).toEqual(a.parameters());
  });

  it('train() refuses a budget schedule without a budget', async () => {
    const corpus = Corpus.fromText('abcabd\n'.repeat(20), { validationFraction: 0.1 });
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 8, backend: 'js' });
    await expect(
      train(model, corpus.train, undefined, { lrSchedule: 'cosine', signal: new AbortController().signal }),
    ).rejects.toThrow(
      "Expected maxIters, maxEpochs, maxTime or maxTrainTime for lrSchedule 'cosine:0' but received none. HINT: it decays over the run's budget",
    );
  });
});

describe('train with a schedule', () => {
  const text = 'abcabcabd abcabd\n'.repeat(40);
  const corpus = Corpus.fromText(text, { validationFraction: 0.1 });

  it('reports the scheduled lr in progress events and the state', async () => {
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 8, backend: 'js' });
    const lrs: number[] = [];
    const r = await train(model, corpus.train, corpus.validation, {
      seqLength: 5,
      maxIters: 30,
      evalEvery: 0,
      logEvery: 10,
      optimizer: { kind: 'sgd', lr: 0.08 },
      lrSchedule: { kind: 'step', every: 10, gamma: 0.5 },
      onEvent: (e: TrainEvent) => e.type === 'progress' && lrs.push(e.lr!),
    });
    // The lr of updates 10, 20, 30 (after 9, 19, 29 completed iterations).
    expect(lrs).toEqual([0.08, 0.04, 0.02]);
    expect(r.state.lr).toBe(0.01);
    expect(r.state.optimizer.lr).toBe(0.08);
  });

  it('changing the lr leaves the optimizer moments alone (same moments as a run at constant lr)', async () => {
    // SGD with momentum: the moment buffer after the first update is the gradient, whatever the lr.
    const make = () => CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 8, backend: 'js' });
    const a = make();
    const b = make();
    const opts = {
      seqLength: 5,
      maxIters: 1,
      evalEvery: 0,
      optimizer: { kind: 'sgd' as const, lr: 0.1, momentum: 0.9 },
    };
    await train(a, corpus.train, undefined, opts);
    await train(b, corpus.train, undefined, { ...opts, lrSchedule: 'exp:0.5' });
    expect(b.exportTrainingState().optState).toEqual(a.exportTrainingState().optState);
  });

  it('emits an lr event when the plateau schedule cuts', async () => {
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 8, backend: 'js' });
    const events: TrainEvent[] = [];
    const r = await train(model, corpus.train, corpus.validation, {
      seqLength: 5,
      maxIters: 40,
      evalEvery: 5,
      optimizer: { kind: 'adagrad', lr: 0.1 },
      lrSchedule: 'plateau:0.5:0:0:0.9', // only a 90% drop counts as an improvement
      onEvent: (e) => events.push(e),
    });
    const cuts = events.filter((e) => e.type === 'lr');
    expect(cuts.length).toBeGreaterThan(0);
    expect(cuts[0]).toMatchObject({ type: 'lr', reason: 'plateau', lr: 0.05 });
    expect(r.state.schedule.scale).toBe(0.5 ** cuts.length);
  });
});

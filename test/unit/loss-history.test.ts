// The short loss history (src/run/loss-history.ts) and where it travels: kept by train(), stored in checkpoints
// (`__metadata__.loss_history`, optional so older files load), continued exactly by a resumed run, validated
// strictly on load, and drawn as a terminal chart (src/report/terminal-chart.ts).
import { describe, expect, it } from 'vitest';
import {
  LOSS_HISTORY_POINTS,
  checkLossHistory,
  emptyLossHistory,
  recordTrainLoss,
  recordValidationLoss,
  truncateLossHistory,
} from '../../src/run/loss-history.js';
import { CharRNN } from '../../src/charrnn.js';
import { Corpus } from '../../src/text/corpus.js';
import { train, type TrainOptions } from '../../src/train/trainer.js';
import { decodeCheckpoint, encodeCheckpoint, LOSS_HISTORY_KEY } from '../../src/io/checkpoint.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../../src/io/safetensors.js';
import { lossChart } from '../../src/report/terminal-chart.js';
import { concat } from '../helpers/safetensors.js';

describe('LossHistory', () => {
  it('keeps every chunk loss until full, then merges neighbours and doubles the stride', () => {
    const h = emptyLossHistory();
    for (let i = 1; i <= LOSS_HISTORY_POINTS; i++) recordTrainLoss(h, i, i);
    expect(h.every).toBe(1);
    expect(h.train).toHaveLength(LOSS_HISTORY_POINTS);
    expect(h.train[0]).toEqual([1, 1]);
    recordTrainLoss(h, 257, 257);
    expect(h.every).toBe(2);
    expect(h.train).toHaveLength(129);
    expect(h.train.slice(0, 2)).toEqual([
      [2, 1.5],
      [4, 3.5],
    ]);
    expect(h.train.at(-1)).toEqual([257, 257]);
    // The next point is the mean of the chunks since the last one, at the next multiple of 2.
    recordTrainLoss(h, 258, 10);
    expect(h.train.at(-1)).toEqual([258, 10]);
    recordTrainLoss(h, 259, 1);
    expect(h.count).toBe(1);
    recordTrainLoss(h, 260, 3);
    expect(h.train.at(-1)).toEqual([260, 2]);
  });

  it('stays under its size for a long run and its iterations increase', () => {
    const h = emptyLossHistory();
    for (let i = 1; i <= 100_000; i++) recordTrainLoss(h, i, 1 / i);
    for (let i = 1; i <= 1000; i++) recordValidationLoss(h, i * 100, 1 / i);
    expect(h.train.length).toBeLessThanOrEqual(LOSS_HISTORY_POINTS);
    expect(h.train.length).toBeGreaterThan(LOSS_HISTORY_POINTS / 2);
    expect(h.validation.length).toBeLessThanOrEqual(LOSS_HISTORY_POINTS);
    expect(h.validation.at(-1)).toEqual([100_000, 1 / 1000]);
    expect(checkLossHistory(JSON.parse(JSON.stringify(h)))).toEqual(h);
  });

  it('drops points after a roll-back or resume iteration', () => {
    const h = emptyLossHistory();
    for (let i = 1; i <= 10; i++) recordTrainLoss(h, i, i);
    recordValidationLoss(h, 5, 0.5);
    recordValidationLoss(h, 10, 0.4);
    truncateLossHistory(h, 6);
    expect(h.train.map(([i]) => i)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(h.validation).toEqual([[5, 0.5]]);
  });

  it('refuses malformed histories naming the field', () => {
    const good = { every: 2, train: [[2, 1]], sum: 0, count: 0, validation: [] };
    expect(checkLossHistory(good)).toEqual(good);
    expect(() => checkLossHistory({ ...good, extra: 1 })).toThrow('Unexpected key loss_history.extra');
    expect(() => checkLossHistory({ ...good, every: 3 })).toThrow(
      'Expected a power of two for loss_history.every but received 3',
    );
    expect(() =>
      checkLossHistory({
        ...good,
        train: [
          [2, 1],
          [2, 1],
        ],
      }),
    ).toThrow('Expected an integer ≥ 3 for loss_history.train[1][0] but received 2');
    expect(() => checkLossHistory({ ...good, validation: [[1, null]] })).toThrow(
      'Expected a finite number for loss_history.validation[0][1] but received null',
    );
    const { sum: _sum, ...missing } = good;
    expect(() => checkLossHistory(missing)).toThrow('Missing loss_history.sum');
  });
});

const corpus = Corpus.fromText('the quick brown fox jumps over the lazy dog.\n'.repeat(30), {
  validationFraction: 0.1,
});
const options: TrainOptions = { seqLength: 8, batchSize: 2, evalEvery: 10, optimizer: { kind: 'adam' } };
const make = () =>
  CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 12, cell: 'gru', seed: 4, backend: 'js' });

describe('the loss history of a run', () => {
  it('is in the result and in the checkpoint, and a resumed run continues it exactly', async () => {
    const whole = await train(make(), corpus.train, corpus.validation, { ...options, maxIters: 300 });
    expect(whole.lossHistory.every).toBe(2);
    expect(whole.lossHistory.validation.map(([i]) => i)).toEqual(
      Array.from({ length: 30 }, (_, i) => (i + 1) * 10),
    );

    const first = make();
    const half = await train(first, corpus.train, corpus.validation, { ...options, maxIters: 137 });
    const ck = decodeCheckpoint(
      concat(
        encodeCheckpoint(first, half.state, {
          [LOSS_HISTORY_KEY]: JSON.stringify(half.lossHistory),
        }),
      ),
    );
    expect(ck.lossHistory).toEqual(half.lossHistory);
    const rest = await train(first, corpus.train, corpus.validation, {
      resume: ck.training!.state,
      lossHistory: ck.lossHistory!,
      maxIters: 300,
    });
    expect(rest.lossHistory).toEqual(whole.lossHistory);
    // A history that is not one is refused before training.
    await expect(
      train(first, corpus.train, corpus.validation, {
        resume: rest.state,
        lossHistory: { every: 1 } as never,
        maxIters: 310,
      }),
    ).rejects.toThrow('Missing lossHistory.train');
  });

  it('is written into the checkpoints train() writes; files without one load with lossHistory null', async () => {
    const model = make();
    const r = await train(model, corpus.train, corpus.validation, { ...options, maxIters: 20 });
    const plain = decodeCheckpoint(concat(encodeCheckpoint(model, r.state)));
    expect(plain.lossHistory).toBeNull();
    // A malformed history is refused with a SafetensorsError naming the entry.
    const bytes = concat(encodeCheckpoint(model, r.state, { [LOSS_HISTORY_KEY]: '{"every":1}' }));
    let err: unknown;
    try {
      decodeCheckpoint(bytes, 'bad.safetensors');
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(SafetensorsError);
    expect((err as SafetensorsError).field).toBe(LOSS_HISTORY_KEY);
    expect((err as Error).message).toBe(
      'Invalid charrnn file bad.safetensors: Missing __metadata__.loss_history.train',
    );
    // And a good one round-trips through the container next to the other metadata.
    const { tensors, metadata } = decodeSafetensors(
      concat(encodeCheckpoint(model, r.state, { [LOSS_HISTORY_KEY]: JSON.stringify(r.lossHistory) })),
    );
    expect(JSON.parse(metadata[LOSS_HISTORY_KEY])).toEqual(r.lossHistory);
    expect(decodeCheckpoint(concat(encodeSafetensors(tensors, metadata))).lossHistory).toEqual(r.lossHistory);
  });
});

describe('lossChart', () => {
  it('draws the training and validation curves within the width, with the iteration range under it', () => {
    const h = emptyLossHistory();
    for (let i = 1; i <= 500; i++) recordTrainLoss(h, i, 3 / Math.sqrt(i));
    for (let i = 50; i <= 500; i += 50) recordValidationLoss(h, i, 3.2 / Math.sqrt(i));
    const text = lossChart(h, { width: 60, height: 8 });
    const lines = text.split('\n');
    expect(lines[0]).toBe('loss (nats/char) by iteration: ─ training (mean), ─ validation');
    expect(lines).toHaveLength(1 + 9 + 1); // title, height + 1 rows, the axis line
    for (const line of lines.slice(1)) expect(line.length).toBeLessThanOrEqual(60);
    expect(lines[1]).toMatch(/^\s+\d\.\d{4}┼/); // the top label is the first (largest) loss
    expect(lines.at(-1)!.trim()).toMatch(/^iter 2\s+iter 500$/);
    expect(text).not.toContain('\x1b[');
    expect(lossChart(h, { width: 60, color: true })).toContain('\x1b[');
  });

  it('is empty for fewer than two points', () => {
    const h = emptyLossHistory();
    recordTrainLoss(h, 1, 2);
    expect(lossChart(h)).toBe('');
  });
});

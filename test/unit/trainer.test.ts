// The training loop on small texts built here: loss falls, stop criteria, events, and input errors.
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { Corpus } from '../../src/text/corpus.js';
import { train, type TrainEvent } from '../../src/train/trainer.js';
import { readCheckpoint } from '../../src/io/checkpoint.js';

// A small, highly regular text: a model that learns anything drives the loss far below ln V.
const text = 'the cat sat on the mat. the dog sat on the log.\n'.repeat(60);

describe('train', () => {
  it('makes the loss fall on a small text (train and validation)', async () => {
    const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 32, seed: 1, backend: 'js' });
    const before = model.evaluate(corpus.validation).loss;
    const events: TrainEvent[] = [];
    const result = await train(model, corpus.train, corpus.validation, {
      seqLength: 16,
      maxIters: 600,
      evalEvery: 200,
      logEvery: 100,
      onEvent: (e) => events.push(e),
    });
    expect(result.iterations).toBe(600);
    expect(result.stoppedBy).toBe('maxIters');
    expect(before).toBeGreaterThan(2.5);
    expect(result.validation!.loss).toBeLessThan(0.8);
    expect(result.history.map((e) => e.iteration)).toEqual([200, 400, 600]);
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress).toHaveLength(6);
    expect(progress.every((e) => e.type === 'progress' && e.charsPerSec > 0)).toBe(true);
  });

  it('makes the loss of an LSTM fall (2 layers, embedding, dropout, Adam)', async () => {
    const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
    const model = CharRNN.create({
      vocabulary: corpus.vocabulary,
      cell: 'lstm',
      hiddenSize: 32,
      layers: 2,
      embeddingSize: 8,
      dropout: 0.1,
      seed: 1,
      backend: 'js',
    });
    const before = model.evaluate(corpus.validation).loss;
    const result = await train(model, corpus.train, corpus.validation, {
      seqLength: 16,
      batchSize: 4,
      optimizer: { kind: 'adam', lr: 1e-2 },
      clipValue: 0,
      clipNorm: 5,
      reduction: 'mean',
      maxIters: 300,
      evalEvery: 0,
    });
    expect(before).toBeGreaterThan(2.5);
    expect(result.validation!.loss).toBeLessThan(1.2);
  });

  it('trains mini-batches of streams and stops by epochs', async () => {
    const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 16, backend: 'js' });
    const result = await train(model, corpus.train, undefined, {
      seqLength: 10,
      batchSize: 4,
      maxEpochs: 2,
      optimizer: { kind: 'adam' },
      reduction: 'mean',
      clipValue: 0,
      clipNorm: 5,
    });
    expect(result.stoppedBy).toBe('maxEpochs');
    expect(result.epochs).toBe(2);
    expect(result.iterations).toBe(2 * Math.floor((Math.floor(corpus.train.length / 4) - 1) / 10));
  });

  it('stops by wall time and by abort signal', async () => {
    const corpus = Corpus.fromText(text);
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 8, backend: 'js' });
    const timed = await train(model, corpus.train, undefined, { maxTime: 0.2 });
    expect(timed.stoppedBy).toBe('maxTime');
    expect(timed.elapsed).toBeGreaterThanOrEqual(0.2);
    expect(timed.elapsed).toBeLessThan(5);
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const aborted = await train(model, corpus.train, undefined, { signal: controller.signal });
    expect(aborted.stoppedBy).toBe('signal');
  });

  it('maxTrainTime counts training only: validations are off its clock, and a cosine decays over it', async () => {
    const corpus = Corpus.fromText(text, { validationFraction: 0.5 });
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 16, backend: 'js' });
    const lrs: number[] = [];
    const progress: { trainTime: number; fraction?: number }[] = [];
    const r = await train(model, corpus.train, corpus.validation, {
      maxTrainTime: 0.25,
      seqLength: 8,
      batchSize: 2,
      evalEvery: 1, // a validation after every chunk: most of the wall time
      logEvery: 1,
      optimizer: { kind: 'adam', lr: 0.01 },
      lrSchedule: 'cosine',
      onEvent: (e: TrainEvent) => {
        if (e.type !== 'progress') return;
        lrs.push(e.lr!);
        progress.push({ trainTime: e.trainTime, fraction: e.fraction });
      },
    });
    expect(r.stoppedBy).toBe('maxTrainTime');
    expect(r.trainTime).toBeGreaterThanOrEqual(0.25);
    // Every iteration validated: the wall time is well over the training time, and the run went on past 0.25 s of it.
    expect(r.history.length).toBe(r.iterations);
    expect(r.elapsed).toBeGreaterThan(r.trainTime);
    expect(r.elapsed).toBeGreaterThan(0.25);
    // The progress fraction is the training clock's; the lr followed the cosine down to near its end.
    for (const p of progress) expect(p.fraction ?? 0).toBeCloseTo(Math.min(1, p.trainTime / 0.25), 6);
    expect(lrs[0]).toBeCloseTo(0.01, 4);
    expect(lrs.at(-1)!).toBeLessThan(0.01 * 0.2);
    for (let i = 1; i < lrs.length; i++) expect(lrs[i]).toBeLessThanOrEqual(lrs[i - 1]);
  });

  it('samples by wall time with sampleInterval, whatever the speed', async () => {
    const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 8, seed: 1, backend: 'js' });
    const samples: { iteration: number; elapsed: number; text: string }[] = [];
    const slow = () => {
      const t = performance.now();
      while (performance.now() - t < 30);
    };
    await train(model, corpus.train, undefined, {
      seqLength: 8,
      maxIters: 12,
      sampleInterval: 0.1,
      sampleLength: 5,
      // Each chunk is slowed to ≥ 30 ms by its progress handler, so a sample comes every 4th chunk or so.
      logEvery: 1,
      onEvent: (e) => {
        if (e.type === 'sample') samples.push(e);
        if (e.type === 'progress') slow();
      },
    });
    expect(samples.length).toBeGreaterThanOrEqual(1);
    expect(samples.length).toBeLessThan(12);
    for (const s of samples) expect(s.text).toHaveLength(5);
    await expect(train(model, corpus.train, undefined, { maxIters: 1, sampleInterval: 0 })).rejects.toThrow(
      'Expected a positive finite number for sampleInterval but received 0',
    );
  });

  it('rejects seqLength 0, a missing stop criterion and a bad optimizer', async () => {
    const corpus = Corpus.fromText(text);
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 8, backend: 'js' });
    await expect(train(model, corpus.train, undefined, { seqLength: 0, maxIters: 1 })).rejects.toThrow(
      'Expected a positive integer for seqLength but received 0',
    );
    await expect(train(model, corpus.train, undefined, {})).rejects.toThrow(/Expected a stop criterion/);
    await expect(
      train(model, corpus.train, undefined, { maxIters: 1, optimizer: { kind: 'lbfgs' as never } }),
    ).rejects.toThrow(
      "Expected one of 'sgd', 'adagrad', 'rmsprop', 'adam' for optimizer but received \"lbfgs\"",
    );
    await expect(
      train(model, corpus.train, undefined, { maxIters: 1, optimizer: { lr: -1 } }),
    ).rejects.toThrow('Expected a positive finite number for lr but received -1');
  });
  it('refuses a second train() on a model one is still training, and frees the model when the first ends', async () => {
    // Regression (issue 15, defect 2): two concurrent runs on one model both resolved, each claiming its
    // iterations, while the model received the updates of both through one carried state.
    const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 16, seed: 1, backend: 'js' });
    const first = train(model, corpus.train, corpus.validation, { seqLength: 16, maxIters: 50 });
    const second = train(model, corpus.train, corpus.validation, { seqLength: 16, maxIters: 50 });
    await expect(second).rejects.toThrow(
      'model is busy: a train() run is already training it; await it first',
    );
    await expect(second).rejects.toMatchObject({ code: 'ERR_CHARRNN_BUSY' });
    expect((await first).iterations).toBe(50);
    // Free again once the first run has ended, and after a run that failed on its options.
    await expect(train(model, corpus.train, corpus.validation, { seqLength: 0 })).rejects.toThrow(RangeError);
    expect(
      (await train(model, corpus.train, corpus.validation, { seqLength: 16, maxIters: 10 })).iterations,
    ).toBe(10);
    // Another model trains alongside without trouble.
    const other = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 16, seed: 2, backend: 'js' });
    const [a, b] = await Promise.all([
      train(model, corpus.train, undefined, { seqLength: 16, maxIters: 20 }),
      train(other, corpus.train, undefined, { seqLength: 16, maxIters: 20 }),
    ]);
    expect([a.iterations, b.iterations]).toEqual([20, 20]);
  });
  it('makes the checkpoint folders before the first chunk, or refuses before any update', async () => {
    const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 8, seed: 1, backend: 'js' });
    const before = model.parameters();
    const root = mkdtempSync(join(tmpdir(), 'charrnn-ckpt-folders-'));
    try {
      // A file where a folder of the path should be: refused before the first chunk.
      const file = join(root, 'file');
      writeFileSync(file, 'x');
      const blocked = join(file, 'run.safetensors');
      await expect(
        train(model, corpus.train, undefined, { maxIters: 5, checkpoint: { path: blocked } }),
      ).rejects.toThrow(
        `Cannot write checkpoints to ${blocked}: ${file} is not a folder. HINT: choose another path`,
      );
      const bestBlocked = join(file, 'deeper', 'best.safetensors');
      await expect(
        train(model, corpus.train, corpus.validation, {
          maxIters: 5,
          checkpoint: { path: join(root, 'ok.safetensors'), bestPath: bestBlocked },
        }),
      ).rejects.toThrow(`Cannot write checkpoints to ${bestBlocked}: ${file} is not a folder`);
      expect(model.parameters()).toEqual(before); // not one update
      // Missing folders are made, and the run is saved there.
      const path = join(root, 'a', 'b', 'run.safetensors');
      const bestPath = join(root, 'c', 'best.safetensors');
      await train(model, corpus.train, corpus.validation, {
        maxIters: 4,
        evalEvery: 2,
        checkpoint: { path, bestPath, every: 2 },
      });
      expect((await readCheckpoint(path)).training!.state.iteration).toBe(4);
      expect(existsSync(bestPath)).toBe(true);
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });
});

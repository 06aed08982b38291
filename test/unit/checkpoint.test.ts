// Checkpoints (format 3): what is stored and under which names, plain model files read as models, every
// malformed field rejected by name, keep-last-N / best / stale temporaries, and the NaN/Inf policy
// (stop without writing, or roll back to the last good checkpoint with a lower lr).
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { concat, reencode } from '../helpers/safetensors.js';
import {
  cleanCheckpointTemporaries,
  decodeCheckpoint,
  encodeCheckpoint,
  encodeModelChunks,
  listNumbered,
  loadCheckpoint,
  optimizerSlotNames,
  readCheckpoint,
  writeLatest,
} from '../../src/io/checkpoint.js';
import { saveModel, loadModel } from '../../src/io/model-file.js';
import { decodeSafetensors, encodeSafetensors, SafetensorsError } from '../../src/io/safetensors.js';
import { CharRNN } from '../../src/charrnn.js';
import { Corpus } from '../../src/text/corpus.js';
import { NonFiniteError, train, type TrainEvent } from '../../src/train/trainer.js';
import type { TrainingState } from '../../src/run/state.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const corpus = Corpus.fromText('the cat sat on the mat. the dog sat on the log.\n'.repeat(30), {
  validationFraction: 0.1,
});

function lstm(): CharRNN {
  return CharRNN.create({
    vocabulary: corpus.vocabulary,
    cell: 'lstm',
    hiddenSize: 6,
    layers: 2,
    embeddingSize: 4,
    dropout: 0.1,
    seed: 2,
    backend: 'js',
  });
}

async function trainedLstm(): Promise<{ model: CharRNN; state: TrainingState }> {
  const model = lstm();
  const r = await train(model, corpus.train, corpus.validation, {
    seqLength: 6,
    batchSize: 3,
    optimizer: { kind: 'adam', lr: 5e-3 },
    lrSchedule: 'exp:0.99',
    maxIters: 7,
    evalEvery: 3,
    corpus: { ref: '/data/cats.txt', validationFraction: 0.1 },
    seed: 2,
  });
  return { model, state: r.state };
}

describe('checkpoint contents', () => {
  it('stores the model, optimizer moments, carried state and training state under documented names', async () => {
    const { model, state } = await trainedLstm();
    const bytes = concat(encodeCheckpoint(model, state));
    const { tensors, metadata } = decodeSafetensors(bytes);
    const names = [...tensors.keys()];
    expect(names.slice(0, 3)).toEqual(['embedding.weight', 'rnn.weight_ih_l0', 'rnn.weight_hh_l0']);
    expect(names).toContain('optim.exp_avg.rnn.weight_ih_l1');
    expect(names).toContain('optim.exp_avg_sq.decoder.bias');
    expect(names.filter((n) => n.startsWith('state.'))).toEqual([
      'state.h_l0',
      'state.h_l1',
      'state.c_l0',
      'state.c_l1',
    ]);
    expect(tensors.get('state.c_l1')!.shape).toEqual([3, 6]); // [batch, hidden]
    expect(tensors.get('optim.exp_avg.rnn.weight_hh_l0')!.shape).toEqual([24, 6]);
    expect(metadata.format).toBe('charrnn');
    expect(metadata.format_version).toBe('3');
    expect(JSON.parse(metadata.training_state)).toEqual(state);
    expect(JSON.parse(metadata.dropout_rng)).toEqual([...model.exportTrainingState().dropoutRng]);
    expect(state).toMatchObject({
      iteration: 7,
      epoch: 0,
      position: 7,
      seqLength: 6,
      batchSize: 3,
      reduction: 'sum',
      clipValue: 5,
      clipNorm: 0,
      optimizer: { kind: 'adam', lr: 5e-3 },
      lrSchedule: { kind: 'exp', gamma: 0.99, every: 1 },
      schedule: { baseLr: 5e-3, scale: 1 },
      corpus: { ref: '/data/cats.txt', validationFraction: 0.1, trainTokens: corpus.train.length },
      seed: 2,
    });
    expect(state.lr).toBe(5e-3 * Math.pow(0.99, 7));
  });

  it('reads back exactly what it wrote, into a model with the same training state', async () => {
    const { model, state } = await trainedLstm();
    const ck = decodeCheckpoint(concat(encodeCheckpoint(model, state)));
    expect(ck.formatVersion).toBe('3');
    expect(ck.config).toEqual(model.config);
    expect(ck.vocabulary.tokens).toEqual(model.vocabulary.tokens);
    expect(ck.training!.state).toEqual(state);
    const a = model.exportTrainingState();
    expect(ck.training!.model.optState).toEqual(a.optState);
    expect(ck.training!.model.hidden).toEqual(a.hidden);
    expect(ck.training!.model.hiddenBatch).toBe(3);
    for (const [name, p] of model.parameters()) expect(ck.parameters.get(name)).toEqual(p);
  });

  it('names each optimizer slot as PyTorch does', () => {
    expect(optimizerSlotNames({ kind: 'adam', momentum: 0 })).toEqual(['exp_avg', 'exp_avg_sq']);
    expect(optimizerSlotNames({ kind: 'rmsprop', momentum: 0 })).toEqual(['square_avg']);
    expect(optimizerSlotNames({ kind: 'adagrad', momentum: 0 })).toEqual(['sum']);
    expect(optimizerSlotNames({ kind: 'sgd', momentum: 0.9 })).toEqual(['momentum_buffer']);
    expect(optimizerSlotNames({ kind: 'sgd', momentum: 0 })).toEqual([]);
  });

  it('keeps the seed names for the vanilla model and reads format 1 / 2 files as plain models', async () => {
    const vanilla = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 5, backend: 'js' });
    const r = await train(vanilla, corpus.train, undefined, { seqLength: 4, maxIters: 3 });
    const names = [...decodeSafetensors(concat(encodeCheckpoint(vanilla, r.state))).tensors.keys()];
    expect(names).toEqual([
      'Wxh',
      'Whh',
      'bh',
      'Why',
      'by',
      'optim.sum.Wxh',
      'optim.sum.Whh',
      'optim.sum.bh',
      'optim.sum.Why',
      'optim.sum.by',
      'state.h_l0',
    ]);
    for (const [model, version] of [
      [vanilla, '1'],
      [lstm(), '2'],
    ] as const) {
      const file = join(dir, `plain-${version}.safetensors`);
      await saveModel(model, file);
      const { model: back, state, checkpoint } = await loadCheckpoint(file, { backend: 'js' });
      expect(checkpoint.formatVersion).toBe(version);
      expect(state).toBeNull();
      expect(back.parameters()).toEqual(model.parameters());
    }
  });

  it('loadModel reads a checkpoint as a model', async () => {
    const { model, state } = await trainedLstm();
    const file = join(dir, 'as-model.safetensors');
    writeFileSync(file, concat(encodeCheckpoint(model, state)));
    const back = await loadModel(file, { backend: 'js' });
    expect(back.parameters()).toEqual(model.parameters());
    expect(back.sample({ length: 20, seed: 3 })).toBe(model.sample({ length: 20, seed: 3 }));
  });
});

describe('malformed checkpoints', () => {
  let good: Uint8Array;
  const bad = (bytes: Uint8Array) => {
    try {
      decodeCheckpoint(bytes, 'x.safetensors');
    } catch (err) {
      expect(err).toBeInstanceOf(SafetensorsError);
      return err as SafetensorsError;
    }
    throw new Error('accepted a malformed checkpoint');
  };
  const withState = (f: (s: Record<string, unknown>) => void) =>
    reencode(good, (_, m) => {
      const s = JSON.parse(m.training_state);
      f(s);
      m.training_state = JSON.stringify(s);
    });

  it('names the field at fault', async () => {
    const { model, state } = await trainedLstm();
    good = concat(encodeCheckpoint(model, state));
    const cases: [Uint8Array, string, string][] = [
      [
        withState((s) => (s.iteration = 1.5)),
        'training_state.iteration',
        'Invalid charrnn file x.safetensors: Expected an integer ≥ 0 for training_state.iteration but received 1.5',
      ],
      [
        withState((s) => delete s.schedule),
        'training_state.schedule',
        'Missing training_state.schedule in the training state',
      ],
      [withState((s) => (s.extra = 1)), 'training_state.extra', 'Unexpected key training_state.extra'],
      [
        withState((s) => ((s.optimizer as Record<string, unknown>).kind = 'lion')),
        'training_state.optimizer.kind',
        'Expected one of sgd, adagrad, rmsprop, adam for training_state.optimizer.kind but received "lion"',
      ],
      [
        withState((s) => (s.reduction = 'max')),
        'training_state.reduction',
        "Expected 'sum' or 'mean' for training_state.reduction but received \"max\"",
      ],
      [
        withState((s) => (s.lrSchedule = { kind: 'step', every: 0 })),
        'training_state.lrSchedule',
        'Expected a positive integer for lrSchedule.every but received 0',
      ],
      [
        reencode(good, (_, m) => (m.training_state = m.training_state.replace('{', '{"iteration":1,'))),
        'training_state',
        'is not valid JSON: duplicate key "iteration"',
      ],
      [
        reencode(good, (_, m) => (m.training_state = m.training_state.replace('{', '{"__proto__":{"x":1},'))),
        'training_state',
        'reserved key "__proto__"',
      ],
      [
        reencode(good, (_, m) => (m.config = '{"cell":"lstm",')),
        'config',
        '__metadata__.config is not valid JSON',
      ],
      [
        reencode(good, (_, m) => (m.config = m.config.replace('"hiddenSize":6', '"hiddenSize":7'))),
        'config',
        'Expected 6 (the last entry of hiddenSizes) or nothing for hiddenSize but received 7',
      ],
      [
        reencode(good, (_, m) => delete m.training_state),
        'training_state',
        '__metadata__.training_state is missing',
      ],
      [
        reencode(good, (_, m) => (m.format_version = '4')),
        'format_version',
        'unsupported format_version "4" (this charrnn reads "1", "2", "3")',
      ],
      [
        reencode(good, (_, m) => (m.dropout_rng = '[0,0,0,0]')),
        'dropout_rng',
        '__metadata__.dropout_rng is not 4 uint32 words (not all zero)',
      ],
      [
        reencode(good, (t) => t.delete('optim.exp_avg_sq.decoder.bias')),
        'optim.exp_avg_sq.decoder.bias',
        'tensor optim.exp_avg_sq.decoder.bias is missing',
      ],
      [
        reencode(good, (t) => t.set('optim.momentum_buffer.decoder.bias', t.get('decoder.bias')!)),
        'optim.momentum_buffer.decoder.bias',
        'unexpected tensor "optim.momentum_buffer.decoder.bias" for this config and format version 3',
      ],
      [
        reencode(good, (t) => t.set('state.h_l1', { shape: [2, 6], data: new Float32Array(12) })),
        'state.h_l1.shape',
        'tensor state.h_l1 has shape [2, 6], expected [3, 6]',
      ],
      [
        reencode(good, (t) => t.set('rnn.weight_hh_l0', { shape: [6, 24], data: new Float32Array(144) })),
        'rnn.weight_hh_l0.shape',
        'tensor rnn.weight_hh_l0 has shape [6, 24], expected [24, 6]',
      ],
      [
        reencode(good, (t) => t.set('state.c_l0', { shape: [3, 6], data: new Float32Array(18).fill(NaN) })),
        'state.c_l0',
        'tensor state.c_l0 holds NaN at index 0',
      ],
      [
        reencode(good, (t) => t.delete('state.h_l0')),
        'state.h_l0',
        'tensor state.h_l0 (the carried hidden state) is missing',
      ],
    ];
    for (const [bytes, field, message] of cases) {
      const err = bad(bytes);
      expect(err.field).toBe(field);
      expect(err.message).toContain(message);
      expect(err.message.startsWith('Invalid charrnn file x.safetensors: ')).toBe(true);
    }
  });
});

describe('the files a run keeps', () => {
  it('keeps the last N numbered checkpoints and a best-by-validation file', async () => {
    const sub = mkdtempSync(join(dir, 'keep-'));
    const path = join(sub, 'run.safetensors');
    const events: TrainEvent[] = [];
    const r = await train(lstm(), corpus.train, corpus.validation, {
      seqLength: 6,
      maxIters: 20,
      evalEvery: 4,
      checkpoint: { path, every: 5, keepLast: 2, bestPath: join(sub, 'best.safetensors') },
      onEvent: (e) => events.push(e),
    });
    expect((await listNumbered(path)).map((f) => f.iteration)).toEqual([15, 20]);
    expect(readdirSync(sub).sort()).toEqual([
      'best.safetensors',
      'run.iter-15.safetensors',
      'run.iter-20.safetensors',
      'run.safetensors',
    ]);
    const best = await readCheckpoint(join(sub, 'best.safetensors'));
    const losses = r.history.filter((e) => e.iteration % 4 === 0).map((e) => e.valLoss);
    expect(best.training!.state.bestValLoss).toBe(Math.min(...losses));
    expect(best.training!.state.iteration).toBe(
      r.history.find((e) => e.valLoss === Math.min(...losses))!.iteration,
    );
    const periodic = events.filter((e) => e.type === 'checkpoint' && e.reason === 'periodic');
    expect(periodic.map((e) => e.iteration)).toEqual([5, 10, 15, 20]);
    expect((await readCheckpoint(path)).training!.state.iteration).toBe(20);
  });

  it('removes the temporaries of killed writers, and only those', async () => {
    const sub = mkdtempSync(join(dir, 'stale-'));
    const path = join(sub, 'run.safetensors');
    const dead = join(sub, '.run.safetensors.tmp-99999999-0123456789ab'); // no such pid (above pid_max)
    const live = join(sub, `.run.safetensors.tmp-${process.pid}-0123456789ab`);
    const other = join(sub, '.notes.txt.tmp-99999999-0123456789ab');
    for (const f of [dead, live, other]) writeFileSync(f, 'partial');
    await train(lstm(), corpus.train, undefined, { seqLength: 6, maxIters: 2, checkpoint: { path } });
    expect(existsSync(dead)).toBe(false);
    expect(existsSync(live)).toBe(true);
    expect(existsSync(other)).toBe(true);
    expect(existsSync(path)).toBe(true);
  });

  it('removes a killed best writer’s temporary even when this run has no bestPath (issue 15, defect 8)', async () => {
    const sub = mkdtempSync(join(dir, 'stale-best-'));
    const path = join(sub, 'run.safetensors');
    const { model, state } = await trainedLstm();
    const [head, ...tensors] = encodeCheckpoint(model, state);
    const partial = concat([head, tensors[0]]); // killed after the header and one tensor
    // The best file of an earlier run (any name, beside the checkpoint), killed mid-write and mid-open.
    const bestTmp = join(sub, '.best.safetensors.tmp-99999999-0123456789ab');
    const oddTmp = join(sub, '.best-so-far.ckpt.tmp-99999999-0123456789ab');
    const emptyTmp = join(sub, '.best.safetensors.tmp-99999998-0123456789ab');
    writeFileSync(bestTmp, partial);
    writeFileSync(oddTmp, partial);
    writeFileSync(emptyTmp, '');
    // Not ours: a dead writer's temporary of a file that is not a charrnn file, and an empty one not named
    // like a checkpoint. Both stay.
    const foreign = join(sub, '.weights.safetensors.tmp-99999999-0123456789ab');
    writeFileSync(foreign, concat(encodeSafetensors({ w: { shape: [1], data: new Float32Array(1) } })));
    const emptyForeign = join(sub, '.notes.txt.tmp-99999999-0123456789ab');
    writeFileSync(emptyForeign, '');
    const text = join(sub, '.draft.md.tmp-99999999-0123456789ab');
    writeFileSync(text, 'my notes');
    await train(lstm(), corpus.train, undefined, { seqLength: 6, maxIters: 2, checkpoint: { path } });
    expect(existsSync(bestTmp)).toBe(false);
    expect(existsSync(oddTmp)).toBe(false);
    expect(existsSync(emptyTmp)).toBe(false);
    expect(existsSync(foreign)).toBe(true);
    expect(existsSync(emptyForeign)).toBe(true);
    expect(existsSync(text)).toBe(true);
  });

  it('prunes numbered copies beyond keepLast at the start of a run (issue 15, defect 8)', async () => {
    const sub = mkdtempSync(join(dir, 'keep-kill-'));
    const path = join(sub, 'run.safetensors');
    const { model, state } = await trainedLstm();
    // A run with keepLast 2 killed between writing its third copy and pruning the oldest.
    for (const it of [5, 10, 15])
      writeFileSync(
        join(sub, `run.iter-${it}.safetensors`),
        concat(encodeCheckpoint(model, { ...state, iteration: it })),
      );
    const mine = join(sub, 'run.iter-notes.safetensors'); // not a numbered copy: never touched
    writeFileSync(mine, 'x');
    const removed = await cleanCheckpointTemporaries({ path, keepLast: 2 });
    expect(removed).toEqual([join(sub, 'run.iter-5.safetensors')]);
    expect((await listNumbered(path)).map((f) => f.iteration)).toEqual([10, 15]);
    expect(existsSync(mine)).toBe(true);
    // Without keepLast, numbered copies are left alone (0 means "write none", not "delete all").
    await cleanCheckpointTemporaries({ path });
    expect((await listNumbered(path)).map((f) => f.iteration)).toEqual([10, 15]);
    // The file a run resumes (and would roll back to) is never pruned at its start.
    const resumed = join(sub, 'run.iter-10.safetensors');
    await cleanCheckpointTemporaries({ path, keepLast: 1, rollbackFrom: resumed });
    expect((await listNumbered(path)).map((f) => f.iteration)).toEqual([10, 15]);
  });

  it('never holds more than keepLast numbered copies, even between writing one and pruning', async () => {
    const sub = mkdtempSync(join(dir, 'keep-order-'));
    const path = join(sub, 'run.safetensors');
    const { model, state } = await trainedLstm();
    for (const it of [5, 10]) writeFileSync(join(sub, `run.iter-${it}.safetensors`), 'old');
    // The numbered copy cannot be written (a folder holds its name): the write fails after the room was made.
    mkdirSync(join(sub, 'run.iter-15.safetensors'));
    await expect(writeLatest(model, { ...state, iteration: 15 }, { path, keepLast: 2 })).rejects.toThrow();
    expect(
      readdirSync(sub).filter(
        (n) => /^run\.iter-\d+\.safetensors$/.test(n) && n !== 'run.iter-15.safetensors',
      ),
    ).toEqual(['run.iter-10.safetensors']);
  });

  it('writes a checkpoint when the signal stops the run', async () => {
    const path = join(dir, 'signal.safetensors');
    const controller = new AbortController();
    const r = await train(lstm(), corpus.train, undefined, {
      seqLength: 6,
      signal: controller.signal,
      checkpoint: { path },
      onEvent: (e) => e.type === 'progress' && e.iteration === 9 && controller.abort(),
      logEvery: 1,
    });
    expect(r.stoppedBy).toBe('signal');
    expect(r.iterations).toBe(9);
    expect((await readCheckpoint(path)).training!.state.iteration).toBe(9);
  });
});

describe('NaN / Inf', () => {
  /** 10 good iterations saved at `path`, then the same run with an lr that overflows float32. */
  async function divergent(path: string) {
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 8, backend: 'js' });
    await train(model, corpus.train, corpus.validation, {
      seqLength: 5,
      maxIters: 10,
      evalEvery: 5,
      optimizer: { kind: 'sgd', lr: 0.1 },
      checkpoint: { path },
    });
    const { model: m, state } = await loadCheckpoint(path, { backend: 'js' });
    const s = state!;
    const hot: TrainingState = {
      ...s,
      optimizer: { ...s.optimizer, lr: 1e38 },
      schedule: { ...s.schedule, baseLr: 1e38 },
    };
    return { model: m, state: hot };
  }

  it("'stop' throws a NonFiniteError and never writes the bad state", async () => {
    const path = join(dir, 'nan-stop.safetensors');
    const { model, state } = await divergent(path);
    // Checkpoints after every chunk: iteration 11 is still finite (huge), iteration 12 is not.
    const run = train(model, corpus.train, corpus.validation, {
      resume: state,
      maxIters: 30,
      checkpoint: { path, every: 1, rollbackFrom: path },
    });
    await expect(run).rejects.toThrow(NonFiniteError);
    await expect(run).rejects.toThrow(
      `Training diverged at iteration 12: loss is Infinity; nothing was saved from this point: the last good checkpoint is ${path} (iteration 11). ` +
        'HINT: lower the learning rate or enable clipping (--clip-norm), or roll back automatically (--on-nonfinite rollback)',
    );
    const latest = await readCheckpoint(path);
    expect(latest.training!.state.iteration).toBe(11);
    // Without periodic checkpoints the file is left exactly as it was.
    const { model: m2, state: s2 } = await divergent(path);
    const before = readFileSync(path);
    await expect(
      train(m2, corpus.train, undefined, { resume: s2, maxIters: 30, checkpoint: { path } }),
    ).rejects.toThrow(NonFiniteError);
    expect(readFileSync(path).equals(before)).toBe(true);
  });

  it("'rollback' reloads the last good checkpoint, lowers the lr and carries on", async () => {
    const path = join(dir, 'nan-rollback.safetensors');
    const { model, state } = await divergent(path);
    const events: TrainEvent[] = [];
    const r = await train(model, corpus.train, corpus.validation, {
      resume: state,
      maxIters: 30,
      checkpoint: { path, every: 5 },
      onNonFinite: 'rollback',
      rollbackFactor: 1e-39, // 1e38 → 0.1
      onEvent: (e) => events.push(e),
    });
    const rollbacks = events.filter((e) => e.type === 'rollback');
    expect(rollbacks).toHaveLength(1);
    expect(rollbacks[0]).toMatchObject({ iteration: 12, to: 10, path, reason: 'loss is Infinity' });
    expect(r.iterations).toBe(30);
    expect(r.state.rollbacks).toBe(1);
    expect(r.state.lr).toBeCloseTo(0.1, 10);
    expect(model.findNonFinite()).toBeUndefined();
    expect((await readCheckpoint(path)).training!.state.iteration).toBe(30);
  });

  it("'rollback' needs checkpoints to roll back to", async () => {
    await expect(
      train(lstm(), corpus.train, undefined, { maxIters: 1, onNonFinite: 'rollback' }),
    ).rejects.toThrow(
      "Expected checkpoint options for onNonFinite 'rollback' but received none. HINT: a roll-back needs a checkpoint to go back to",
    );
  });

  it('refuses to encode a model with non-finite parameters', async () => {
    const { model, state } = await divergent(join(dir, 'nan-encode.safetensors'));
    await expect(train(model, corpus.train, undefined, { resume: state, maxIters: 20 })).rejects.toThrow(
      NonFiniteError,
    );
    expect(model.findNonFinite()).toMatch(/^(Wxh|Whh|bh|Why|by)\[\d+\]$/);
    expect(() => encodeCheckpoint(model, state)).toThrow(
      /^Refusing to write a checkpoint: \w+\[\d+\] is not finite$/,
    );
  });
});

describe('resume checks', () => {
  it('refuses settings that differ from the checkpoint and a different training split', async () => {
    const { model, state } = await trainedLstm();
    await expect(
      train(model, corpus.train, undefined, { resume: state, maxIters: 9, seqLength: 7 }),
    ).rejects.toThrow(
      "Expected 6 (the checkpoint's) for seqLength but received 7. HINT: an exact resume keeps the settings the run started with; leave this option out",
    );
    await expect(
      train(model, corpus.train, undefined, { resume: state, maxIters: 9, lrSchedule: 'step:3' }),
    ).rejects.toThrow("Expected exp:0.99:1 (the checkpoint's) for lrSchedule but received step:3:0.5");
    await expect(
      train(model, corpus.train.subarray(1), undefined, { resume: state, maxIters: 9 }),
    ).rejects.toThrow(
      `Expected a training split of ${corpus.train.length} tokens (the checkpoint's) for trainIds but received ${corpus.train.length - 1}`,
    );
  });
});

describe('strict config keys', () => {
  // Regression (issue 15, defect 5): a renamed `activation` loaded a ReLU model as tanh (perplexity 25.55 → 28.58,
  // no error); renamed hiddenSize, layers or embeddingSize passed too.
  const vocabulary = Corpus.fromText('to be or not to be\n'.repeat(4)).vocabulary;
  const fileOf = (model: CharRNN) => concat(encodeModelChunks(model));
  const refused = (bytes: Uint8Array): string => {
    try {
      decodeCheckpoint(bytes, 'x.safetensors');
    } catch (err) {
      expect(err).toBeInstanceOf(SafetensorsError);
      expect((err as SafetensorsError).field).toBe('config');
      return (err as Error).message;
    }
    throw new Error('accepted a config with wrong keys');
  };

  it('refuses an unknown key, and a key missing from a version 2 or 3 file', async () => {
    const relu = CharRNN.create({ vocabulary, hiddenSize: 5, layers: 2, activation: 'relu', backend: 'js' });
    const v2 = fileOf(relu);
    expect(
      refused(reencode(v2, (_, m) => (m.config = m.config.replace('"activation"', '"activaton"')))),
    ).toBe(
      'Invalid charrnn file x.safetensors: __metadata__.config has an unknown key "activaton" (a config holds cell, vocabSize, hiddenSize, hiddenSizes, layers, embeddingSize, dropout, activation, task, numClasses, bidirectional, pooling)',
    );
    for (const key of ['activation', 'layers', 'embeddingSize', 'hiddenSizes', 'dropout'])
      expect(
        refused(
          reencode(v2, (_, m) => {
            const c = JSON.parse(m.config) as Record<string, unknown>;
            delete c[key];
            m.config = JSON.stringify(c);
          }),
        ),
      ).toBe(
        `Invalid charrnn file x.safetensors: __metadata__.config is missing "${key}" (required in format version 2)`,
      );
    const { model, state } = await trainedLstm();
    const v3 = concat(encodeCheckpoint(model, state));
    expect(
      refused(reencode(v3, (_, m) => (m.config = m.config.replace('"embeddingSize"', '"embedSize"')))),
    ).toMatch(/has an unknown key "embedSize"/);
  });

  it('still reads a version 1 file written before stacked models (cell, vocabSize, hiddenSize only)', () => {
    const vanilla = CharRNN.create({ vocabulary, hiddenSize: 6, backend: 'js' });
    const old = reencode(fileOf(vanilla), (_, m) => {
      expect(m.format_version).toBe('1');
      m.config = JSON.stringify({ cell: 'rnn', vocabSize: vocabulary.size, hiddenSize: 6 });
    });
    const back = decodeCheckpoint(old, 'old.safetensors');
    expect(back.config).toEqual(vanilla.config);
    expect(
      refused(reencode(old, (_, m) => (m.config = m.config.replace('"hiddenSize"', '"hidden"')))),
    ).toMatch(/has an unknown key "hidden"/);
  });
});

// 'classify' / 'tag' models on the TypeScript backend: config validation, PyTorch's bidirectional layout, masking
// (no padding leaks into logits, loss or gradients), the weighted loss, bad batches, the LM-only calls' errors,
// checkpoints, and that training learns a toy task.
import { describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { resolveModelConfig } from '../../src/model/config.js';
import { layoutFor } from '../../src/model/spec.js';
import { jsBackend } from '../../src/backends/js/index.js';
import { resolveOptimizer } from '../../src/run/optim.js';
import { configJson, decodeCheckpoint, encodeModel, modelFromCheckpoint } from '../../src/io/checkpoint.js';
import type { StepHyper } from '../../src/backends/backend.js';
import { seededArenas } from '../helpers/model.js';
import { seededBatch, sequenceOf } from '../helpers/seq.js';
import { runCli } from '../helpers/cli.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const vocab = Vocabulary.fromText('abcde');

describe('config', () => {
  it('defaults to a unidirectional language model and refuses what does not fit', () => {
    const c = resolveModelConfig({ vocabSize: 5 });
    expect([c.task, c.numClasses, c.bidirectional, c.pooling]).toEqual(['lm', 0, false, 'last']);
    expect(() => resolveModelConfig({ vocabSize: 5, task: 'classify' })).toThrow(
      new TypeError(
        "Expected an integer in [2, 65536] for numClasses but received undefined. HINT: task 'classify' needs the number of labels",
      ),
    );
    expect(() => resolveModelConfig({ vocabSize: 5, task: 'tag', numClasses: 1 })).toThrow(RangeError);
    expect(() => resolveModelConfig({ vocabSize: 5, bidirectional: true })).toThrow(
      new RangeError(
        "Expected false for task 'lm' for bidirectional but received true. HINT: a language model's reverse direction would read the token it predicts; use task 'classify' or 'tag'",
      ),
    );
    expect(() => resolveModelConfig({ vocabSize: 5, task: 'tag', numClasses: 3, pooling: 'mean' })).toThrow(
      RangeError,
    );
    expect(() => resolveModelConfig({ vocabSize: 5, numClasses: 3 })).toThrow(RangeError);
    expect(() => resolveModelConfig({ vocabSize: 5, task: 'x' as never })).toThrow(RangeError);
    expect(() =>
      resolveModelConfig({ vocabSize: 5, task: 'tag', numClasses: 3, bidirectional: 'yes' as never }),
    ).toThrow(TypeError);
  });

  it("lays a bidirectional stack out as torch.nn.LSTM(bidirectional=True) + nn.Linear(2H, C) named 'decoder'", () => {
    const c = resolveModelConfig({
      vocabSize: 5,
      cell: 'lstm',
      hiddenSize: 4,
      layers: 2,
      embeddingSize: 3,
      task: 'classify',
      numClasses: 6,
      bidirectional: true,
    });
    const got = layoutFor(c).tensors.map((t) => `${t.name} [${t.shape.join(',')}]`);
    expect(got).toEqual([
      'embedding.weight [5,3]',
      'rnn.weight_ih_l0 [16,3]',
      'rnn.weight_hh_l0 [16,4]',
      'rnn.bias_ih_l0 [16]',
      'rnn.bias_hh_l0 [16]',
      'rnn.weight_ih_l0_reverse [16,3]',
      'rnn.weight_hh_l0_reverse [16,4]',
      'rnn.bias_ih_l0_reverse [16]',
      'rnn.bias_hh_l0_reverse [16]',
      'rnn.weight_ih_l1 [16,8]',
      'rnn.weight_hh_l1 [16,4]',
      'rnn.bias_ih_l1 [16]',
      'rnn.bias_hh_l1 [16]',
      'rnn.weight_ih_l1_reverse [16,8]',
      'rnn.weight_hh_l1_reverse [16,4]',
      'rnn.bias_ih_l1_reverse [16]',
      'rnn.bias_hh_l1_reverse [16]',
      'decoder.weight [6,8]',
      'decoder.bias [6]',
    ]);
  });
});

describe.each([
  { cell: 'lstm', task: 'classify', pooling: 'last' },
  { cell: 'gru', task: 'classify', pooling: 'mean' },
  { cell: 'rnn', task: 'classify', pooling: 'max' },
  { cell: 'lstm', task: 'tag', pooling: 'last' },
] as const)('masking, bidirectional $cell $task/$pooling', ({ cell, task, pooling }) => {
  const config = resolveModelConfig({
    vocabSize: 5,
    hiddenSizes: [4, 3],
    embeddingSize: 2,
    cell,
    task,
    pooling,
    numClasses: 3,
    bidirectional: true,
  });

  it('gives each padded sequence the logits it has alone', () => {
    const arenas = seededArenas(config);
    const s = jsBackend.open(config, arenas);
    const batch = seededBatch(config, 4, 6, 9);
    expect(Array.from(batch.lengths)).not.toEqual([6, 6, 6, 6]);
    const all = s.forwardSequences(batch);
    const C = 3;
    for (let b = 0; b < batch.B; b++) {
      const alone = s.forwardSequences(sequenceOf(batch, b));
      const n = batch.lengths[b];
      const mine =
        task === 'tag' ? all.subarray(b * 6 * C, (b * 6 + n) * C) : all.subarray(b * C, (b + 1) * C);
      for (let i = 0; i < alone.length; i++) expect(mine[i]).toBeCloseTo(alone[i], 12);
      if (task === 'tag')
        expect(Array.from(all.subarray((b * 6 + n) * C, (b + 1) * 6 * C)).every((v) => v === 0)).toBe(true);
    }
  });

  it('keeps padding out of the loss and the gradients', () => {
    const arenas = seededArenas(config);
    const s = jsBackend.open(config, arenas);
    const batch = seededBatch(config, 4, 6, 9);
    const loss = s.sequenceGradient(batch, {});
    const grads = arenas.grads.slice();
    // other ids and labels at the padded steps
    const ids = batch.ids.slice();
    const labels = batch.labels!.slice();
    for (let b = 0; b < batch.B; b++)
      for (let t = batch.lengths[b]; t < batch.T; t++) {
        ids[b * batch.T + t] = (ids[b * batch.T + t] + 1) % 5;
        if (task === 'tag') labels[b * batch.T + t] = (labels[b * batch.T + t] + 2) % 3;
      }
    expect(s.sequenceGradient({ ...batch, ids, labels }, {})).toBe(loss);
    expect(arenas.grads).toEqual(grads);
    // and the padded steps did change something when they are not padding
    const longer = { ...batch, ids, labels, lengths: Int32Array.from(batch.lengths, () => batch.T) };
    expect(s.sequenceGradient(longer, {})).not.toBe(loss);
  });
});

describe('loss', () => {
  it('is the weighted mean of −log softmax(logits)[label] (PyTorch CrossEntropyLoss(weight))', () => {
    for (const task of ['classify', 'tag'] as const) {
      const config = resolveModelConfig({
        vocabSize: 5,
        hiddenSize: 4,
        task,
        numClasses: 3,
        bidirectional: true,
      });
      const s = jsBackend.open(config, seededArenas(config));
      const batch = seededBatch(config, 3, 5, 5);
      const w = Float32Array.of(0.25, 2, 1);
      const logits = s.forwardSequences(batch);
      let num = 0;
      let den = 0;
      const labels = batch.labels!;
      for (let r = 0; r < labels.length; r++) {
        const y = labels[r];
        if (y < 0 || (task === 'tag' && r % batch.T >= batch.lengths[Math.floor(r / batch.T)])) continue;
        const row = logits.subarray(r * 3, r * 3 + 3);
        const lse = Math.log(row.reduce((a, v) => a + Math.exp(v), 0));
        num += w[y] * (lse - row[y]);
        den += w[y];
      }
      expect(s.sequenceGradient(batch, { classWeights: w })).toBeCloseTo(num / den, 5);
    }
  });

  it('is 0 with a zero gradient when no step is counted', () => {
    const config = resolveModelConfig({ vocabSize: 5, hiddenSize: 4, task: 'tag', numClasses: 3 });
    const arenas = seededArenas(config);
    const s = jsBackend.open(config, arenas);
    const batch = { ...seededBatch(config, 2, 3), labels: new Int32Array(6).fill(-1) };
    expect(s.sequenceGradient(batch, {})).toBe(0);
    expect(arenas.grads.every((v) => v === 0)).toBe(true);
  });
});

describe('bad batches', () => {
  const config = resolveModelConfig({
    vocabSize: 5,
    hiddenSize: 4,
    task: 'tag',
    numClasses: 3,
    bidirectional: true,
  });
  const s = jsBackend.open(config, seededArenas(config));
  const good = seededBatch(config, 2, 3);
  it.each([
    [{ B: 0 }, RangeError, 'Expected a positive integer for batch.B but received 0'],
    [
      { lengths: Int32Array.of(3, 0) },
      RangeError,
      'Expected an integer in [1, 3] for batch.lengths[1] but received 0',
    ],
    [
      { lengths: Int32Array.of(4, 1) },
      RangeError,
      'Expected an integer in [1, 3] for batch.lengths[0] but received 4',
    ],
    [
      { lengths: Int32Array.of(3) },
      TypeError,
      'Expected an Int32Array of length 2 for batch.lengths but received a Int32Array of length 1',
    ],
    [
      { labels: Int32Array.of(0, 1, 2, 3, 0, 0) },
      RangeError,
      'Expected a label in [-1, 2] (−1 = not counted) for batch.labels[3] but received 3',
    ],
    [
      { labels: new Int32Array(2) },
      TypeError,
      'Expected an Int32Array of length 6 (B × T: one label per step) for batch.labels but received a Int32Array of length 2',
    ],
    [{ ids: Int32Array.of(0, 1, 2, 5, 0, 0) }, RangeError, undefined],
    [{ ids: new Int32Array(5) }, RangeError, undefined],
  ] as const)('%o', (patch, Kind, message) => {
    const call = () => s.sequenceGradient({ ...good, ...patch } as never, {});
    expect(call).toThrow(Kind);
    if (message) expect(call).toThrow(message);
  });
  it('refuses bad class weights', () => {
    expect(() => s.sequenceGradient(good, { classWeights: Float32Array.of(1, -1, 1) })).toThrow(
      'Expected a finite number ≥ 0 for classWeights[1] but received -1',
    );
    expect(() => s.sequenceGradient(good, { classWeights: new Float32Array(2) })).toThrow(RangeError);
  });
});

describe('CharRNN with a classify / tag model', () => {
  const hyper: StepHyper = {
    optimizer: resolveOptimizer({ kind: 'adam', lr: 0.05 }),
    clipValue: 0,
    clipNorm: 5,
    step: 1,
    reduction: 'mean',
  };

  it('cannot be sampled from, and says why', () => {
    const m = CharRNN.create({
      vocabulary: vocab,
      task: 'classify',
      numClasses: 2,
      bidirectional: true,
      backend: 'js',
    });
    const msg =
      "sampling, generation, sessions and scoring needs a language model (task 'lm'), but this is a bidirectional 'classify' model: its reverse direction reads each sequence from the end, so it has no next-token distribution to sample from. HINT: use model.classify(text)";
    expect(() => m.sample({ length: 3 })).toThrow(msg);
    expect(() => m.session()).toThrow(msg);
    expect(() => m.score('abc')).toThrow(msg);
    expect(() => m.evaluate('abc')).toThrow(/evaluate needs a language model/);
    expect(() => m.trainChunk(new Int32Array(1), new Int32Array(1), 1, 1, hyper)).toThrow(
      /trainChunk needs a language model/,
    );
    const lm = CharRNN.create({ vocabulary: vocab, backend: 'js' });
    expect(() => lm.classify('abc')).toThrow(
      "classify needs a 'classify' or 'tag' model, but this is a language model (task 'lm'). HINT: create it with task: 'classify' or 'tag' and numClasses",
    );
  });

  it('learns a toy classification (does the text contain an "a"?) and a toy tagging (is it a vowel?)', () => {
    const texts = ['bcd', 'abc', 'ddd', 'eda', 'cbcbd', 'bbab', 'e', 'a', 'dcbe', 'ecea'];
    const cls = CharRNN.create({
      vocabulary: vocab,
      cell: 'gru',
      hiddenSize: 8,
      task: 'classify',
      numClasses: 2,
      bidirectional: true,
      pooling: 'max',
      backend: 'js',
      seed: 3,
    });
    const tag = CharRNN.create({
      vocabulary: vocab,
      cell: 'lstm',
      hiddenSize: 8,
      task: 'tag',
      numClasses: 2,
      bidirectional: true,
      backend: 'js',
      seed: 3,
    });
    const T = 5;
    const ids = new Int32Array(texts.length * T);
    const lengths = new Int32Array(texts.length);
    const labels = new Int32Array(texts.length);
    const tags = new Int32Array(texts.length * T).fill(-1);
    texts.forEach((s, b) => {
      ids.set(vocab.encode(s), b * T);
      lengths[b] = s.length;
      labels[b] = s.includes('a') ? 1 : 0;
      [...s].forEach((ch, t) => (tags[b * T + t] = 'ae'.includes(ch) ? 1 : 0));
    });
    let first = 0;
    let last = 0;
    for (let i = 0; i < 150; i++) {
      const h = { ...hyper, step: i + 1 };
      last = cls.trainSequenceBatch({ B: texts.length, T, ids, lengths, labels }, h).loss;
      tag.trainSequenceBatch({ B: texts.length, T, ids, lengths, labels: tags }, h);
      if (i === 0) first = last;
    }
    expect(last).toBeLessThan(first / 10);
    const preds = cls.classify(texts);
    expect(preds.map((p) => p.label)).toEqual(Array.from(labels));
    expect(preds[0].probabilities.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 6);
    expect(Array.from(tag.tag('bad').labels)).toEqual([0, 1, 0]);
    expect(Array.from(tag.tag(['e', 'cab'])[1].labels)).toEqual([0, 1, 0]);
  });

  it('says what it is and refuses to sample on the command line', () => {
    const m = CharRNN.create({
      vocabulary: vocab,
      cell: 'lstm',
      hiddenSize: 4,
      task: 'classify',
      numClasses: 3,
      bidirectional: true,
      pooling: 'max',
      backend: 'js',
    });
    const path = join(mkdtempSync(join(tmpdir(), 'charrnn-seq-')), 'm.safetensors');
    writeFileSync(path, encodeModel(m));
    const info = runCli(['inspect', path]);
    expect(info.code, info.stderr).toBe(0);
    expect(info.stdout).toContain(
      'model: bidirectional LSTM (classify into 3 labels, read-out max, 1 layer, hidden 4, one-hot input, dropout 0)',
    );
    const sample = runCli(['sample', path]);
    expect(sample.code).toBe(1);
    expect(sample.stderr).toContain(
      "needs a language model (task 'lm'), but this is a bidirectional 'classify' model",
    );
  });

  it('round-trips through a model file with its task keys; a language model writes none', () => {
    const m = CharRNN.create({
      vocabulary: vocab,
      cell: 'lstm',
      hiddenSize: 4,
      task: 'classify',
      numClasses: 3,
      bidirectional: true,
      pooling: 'mean',
      backend: 'js',
    });
    const bytes = encodeModel(m);
    const back = modelFromCheckpoint(decodeCheckpoint(bytes), 'js');
    expect(back.config).toEqual(m.config);
    expect(back.classify('abc')).toEqual(m.classify('abc'));
    expect(
      JSON.parse(configJson(CharRNN.create({ vocabulary: vocab, backend: 'js' }).config)),
    ).not.toHaveProperty('task');
  });
});

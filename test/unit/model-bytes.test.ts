// encodeModel / decodeModel: a model to the bytes of a .safetensors model file and back, without a file system (the
// page's way to save and load). The bytes are the file saveModel writes; decodeModel reads every file charrnn
// writes, a training checkpoint included (its training state restored); bad input gets a precise error.
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  CharRNN,
  Corpus,
  decodeModel,
  encodeModel,
  loadModel,
  SafetensorsError,
  saveCheckpoint,
  saveModel,
  train,
  Vocabulary,
} from '../../src/index.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'charrnn-model-bytes-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const text = 'the cat sat on the mat; the dog sat on the log. '.repeat(8);
const vocabulary = Vocabulary.fromText(text);

describe('encodeModel / decodeModel', () => {
  it("are saveModel's file as bytes, both ways, for a vanilla and a stacked LSTM model", async () => {
    for (const model of [
      CharRNN.create({ vocabulary, hiddenSize: 8, seed: 3, backend: 'js' }),
      CharRNN.create({
        vocabulary,
        cell: 'lstm',
        hiddenSize: 6,
        layers: 2,
        embeddingSize: 4,
        seed: 4,
        backend: 'js',
      }),
    ]) {
      const bytes = encodeModel(model);
      expect(bytes).toBeInstanceOf(Uint8Array);
      const path = join(dir, `${model.config.cell}.safetensors`);
      await saveModel(model, path);
      expect(new Uint8Array(await readFile(path))).toEqual(bytes);
      const back = decodeModel(bytes, { backend: 'js' });
      expect(back.config).toEqual(model.config);
      expect(back.vocabulary.toJSON()).toEqual(model.vocabulary.toJSON());
      expect(back.parameters()).toEqual(model.parameters());
      const fromFile = await loadModel(path, { backend: 'js' });
      const opts = { length: 40, seed: 9, temperature: 0.8, topK: 5 };
      expect(back.sample(opts)).toBe(fromFile.sample(opts));
      expect(back.sample(opts)).toBe(model.sample(opts));
    }
  });

  it('reads a training checkpoint and restores its training state (what `charrnn train` writes)', async () => {
    const corpus = Corpus.fromText(text, { vocabulary, validationFraction: 0.1 });
    const model = CharRNN.create({ vocabulary, cell: 'gru', hiddenSize: 6, seed: 5, backend: 'js' });
    const r = await train(model, corpus.train, corpus.validation, {
      seqLength: 8,
      batchSize: 2,
      maxIters: 5,
    });
    const path = join(dir, 'ck.safetensors');
    await saveCheckpoint(model, path, r.state);
    const back = decodeModel(new Uint8Array(await readFile(path)), {
      backend: 'js',
      source: 'ck.safetensors',
    });
    expect(back.parameters()).toEqual(model.parameters());
    expect(back.exportTrainingState()).toEqual(model.exportTrainingState());
  });

  it('refuses what is not a model, naming it', () => {
    const model = CharRNN.create({ vocabulary, hiddenSize: 4, backend: 'js' });
    expect(() => encodeModel({} as CharRNN)).toThrow(
      new TypeError('Expected a CharRNN for model but received a value of type object'),
    );
    expect(() => decodeModel('model' as unknown as Uint8Array)).toThrow(TypeError);
    expect(() => decodeModel(new Uint8Array([1, 2, 3]), { source: 'x.safetensors' })).toThrow(
      SafetensorsError,
    );
    expect(() => decodeModel(new Uint8Array([1, 2, 3]), { source: 'x.safetensors' })).toThrow(
      /^Invalid safetensors file x\.safetensors: /,
    );
    const bytes = encodeModel(model);
    expect(() => decodeModel(bytes.subarray(0, bytes.length - 4))).toThrow(SafetensorsError);
    expect(() => decodeModel(bytes, { source: 3 as unknown as string })).toThrow(
      new TypeError('Expected a string for options.source but received 3'),
    );
    expect(() => decodeModel(bytes, { backend: 'gpu' as 'js' })).toThrow(/backend/);
  });
});

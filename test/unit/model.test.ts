// CharRNN facade: creation, private arenas, sampling, evaluation, save/load, and its input errors.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { saveModel, loadModel } from '../../src/io/model-file.js';
import { SafetensorsError, saveSafetensors } from '../../src/io/safetensors.js';

const vocab = Vocabulary.fromText('abc de\n');
const dir = mkdtempSync(join(tmpdir(), 'charrnn-model-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('CharRNN.create', () => {
  it('initialises small Gaussian weights and zero biases, reproducibly per seed', () => {
    const a = CharRNN.create({ vocabulary: vocab, hiddenSize: 8, seed: 3, backend: 'js' });
    const b = CharRNN.create({ vocabulary: vocab, hiddenSize: 8, seed: 3, backend: 'js' });
    const c = CharRNN.create({ vocabulary: vocab, hiddenSize: 8, seed: 4, backend: 'js' });
    const pa = a.parameters();
    expect([...pa.keys()]).toEqual(['Wxh', 'Whh', 'bh', 'Why', 'by']);
    expect(pa.get('Wxh')!.length).toBe(8 * vocab.size);
    expect([...pa.get('bh')!].every((v) => v === 0)).toBe(true);
    const w = pa.get('Whh')!;
    const std = Math.sqrt(w.reduce((s, v) => s + v * v, 0) / w.length);
    expect(std).toBeGreaterThan(0.005);
    expect(std).toBeLessThan(0.02);
    expect(b.parameters().get('Whh')).toEqual(w);
    expect(c.parameters().get('Whh')).not.toEqual(w);
    expect(a.parameterCount).toBe(8 * 7 + 64 + 8 + 7 * 8 + 7);
  });

  it('hands out copies, never the live arena', () => {
    const m = CharRNN.create({ vocabulary: vocab, hiddenSize: 4, backend: 'js' });
    m.parameters().get('Whh')!.fill(42);
    expect(
      m
        .parameters()
        .get('Whh')!
        .every((v) => v === 42),
    ).toBe(false);
  });

  it('rejects hidden size 0 and a missing vocabulary', () => {
    expect(() => CharRNN.create({ vocabulary: vocab, hiddenSize: 0 })).toThrow(
      'Expected a positive integer for hiddenSize but received 0',
    );
    expect(() => CharRNN.create({ vocabulary: undefined as never })).toThrow(TypeError);
  });
});

describe('CharRNN.sample', () => {
  const m = CharRNN.create({ vocabulary: vocab, hiddenSize: 8, seed: 1, initScale: 0.5, backend: 'js' });

  it('is deterministic for a seed and varies across seeds', () => {
    const a = m.sample({ prime: 'ab', length: 50, seed: 7 });
    expect(a).toHaveLength(50);
    expect(m.sample({ prime: 'ab', length: 50, seed: 7 })).toBe(a);
    expect(m.sample({ prime: 'ab', length: 50, seed: 8 })).not.toBe(a);
    for (const ch of a) expect(vocab.has(ch)).toBe(true);
  });

  it('greedy decoding is the low-temperature limit', () => {
    const g = m.sample({ prime: 'a', length: 30, greedy: true });
    expect(m.sample({ prime: 'a', length: 30, temperature: 1e-4, seed: 3 })).toBe(g);
  });

  it('rejects a negative temperature and unknown prime characters, with a hint', () => {
    expect(() => m.sample({ temperature: -1 })).toThrow(
      'Expected a finite number ≥ 0 for temperature but received -1. HINT: use temperature 0 for greedy decoding',
    );
    // temperature 0 is greedy decoding (it used to be an error).
    expect(m.sample({ prime: 'a', length: 30, temperature: 0 })).toBe(
      m.sample({ prime: 'a', length: 30, greedy: true }),
    );
    expect(() => m.sample({ prime: 'abz' })).toThrow(
      /Character "z" \(U\+007A\) at index 2 is not in the vocabulary/,
    );
    expect(m.sample({ prime: 'abz', unknown: 'skip', length: 3 })).toHaveLength(3);
  });
});

describe('CharRNN.evaluate', () => {
  it('untrained uniform-ish model scores about ln V nats per char', () => {
    const m = CharRNN.create({ vocabulary: vocab, hiddenSize: 8, initScale: 0, backend: 'js' });
    const r = m.evaluate('abc de\nabc de\n');
    expect(r.loss).toBeCloseTo(Math.log(vocab.size), 10);
    expect(r.perplexity).toBeCloseTo(vocab.size, 8);
    expect(r.bitsPerChar).toBeCloseTo(Math.log2(vocab.size), 10);
    expect(r.count).toBe(13);
  });
});

describe('saveModel / loadModel', () => {
  it('round-trips config, vocabulary and parameters exactly', async () => {
    const m = CharRNN.create({
      vocabulary: Vocabulary.fromText('héllo wörld 🎉\n'),
      hiddenSize: 6,
      seed: 2,
      backend: 'js',
    });
    const file = join(dir, 'm.safetensors');
    await saveModel(m, file);
    const back = await loadModel(file, { backend: 'js' });
    expect(back.config).toEqual(m.config);
    expect(back.vocabulary.tokens).toEqual(m.vocabulary.tokens);
    expect(back.parameters()).toEqual(m.parameters());
    expect(back.sample({ prime: 'h', length: 20, seed: 1 })).toBe(
      m.sample({ prime: 'h', length: 20, seed: 1 }),
    );
  });

  it('rejects a safetensors file that is not a charrnn model', async () => {
    const file = join(dir, 'other.safetensors');
    await saveSafetensors(file, { w: { shape: [1], data: new Float32Array(1) } }, { format: 'pt' });
    await expect(loadModel(file)).rejects.toThrow(SafetensorsError);
    await expect(loadModel(file)).rejects.toThrow('__metadata__.format is "pt", expected "charrnn"');
  });

  it('rejects a model file whose tensor shapes disagree with its config', async () => {
    const m = CharRNN.create({ vocabulary: vocab, hiddenSize: 4, backend: 'js' });
    const p = m.parameters();
    const file = join(dir, 'bad.safetensors');
    const tensors: Record<string, { shape: number[]; data: Float32Array }> = {};
    for (const t of m.layout.tensors) tensors[t.name] = { shape: [...t.shape], data: p.get(t.name)! };
    tensors.Whh = { shape: [2, 8], data: p.get('Whh')! };
    await saveSafetensors(file, tensors, {
      format: 'charrnn',
      format_version: '1',
      config: JSON.stringify(m.config),
      vocabulary: JSON.stringify(vocab.toJSON()),
    });
    await expect(loadModel(file)).rejects.toThrow('tensor Whh has shape [2, 8], expected [4, 4]');
  });
});

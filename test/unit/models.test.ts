// Stacked, gated, embedded and dropout models: config validation, PyTorch layout names and shapes,
// carried-state sizes, backend choice (native runs every config), the facade, and save/load.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { resolveModelConfig, isVanilla, nonVanillaFeature } from '../../src/model/config.js';
import { stateOffsets, stateSize } from '../../src/model/layout.js';
import { layoutFor } from '../../src/model/spec.js';
import { loadNative, nativeBackend } from '../../src/backends/native.js';
import { resolveBackend } from '../../src/backends/index.js';
import { CharRNN } from '../../src/charrnn.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { loadModel, saveModel } from '../../src/io/model-file.js';
import { loadSafetensors, saveSafetensors } from '../../src/io/safetensors.js';
import { seededArenas } from '../helpers/model.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-models-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const shapes = (config: Parameters<typeof layoutFor>[0]) =>
  layoutFor(config).tensors.map((t) => [t.name, t.shape]);

describe('resolveModelConfig (new fields)', () => {
  it('defaults to the vanilla model, unchanged', () => {
    const c = resolveModelConfig({ vocabSize: 5, hiddenSize: 7 });
    expect(c).toEqual({
      cell: 'rnn',
      vocabSize: 5,
      hiddenSize: 7,
      hiddenSizes: [7],
      layers: 1,
      embeddingSize: 0,
      dropout: 0,
      activation: 'tanh',
      task: 'lm',
      numClasses: 0,
      bidirectional: false,
      pooling: 'last',
    });
    expect(isVanilla(c)).toBe(true);
    expect(shapes(c)).toEqual([
      ['Wxh', [7, 5]],
      ['Whh', [7, 7]],
      ['bh', [7]],
      ['Why', [5, 7]],
      ['by', [5]],
    ]);
  });

  it('resolves per-layer widths and round-trips through JSON', () => {
    const c = resolveModelConfig({ cell: 'gru', vocabSize: 5, hiddenSizes: [8, 6], dropout: 0.25 });
    expect(c.layers).toBe(2);
    expect(c.hiddenSize).toBe(6);
    expect(resolveModelConfig(JSON.parse(JSON.stringify(c)))).toEqual(c);
    expect(resolveModelConfig({ vocabSize: 5, hiddenSize: 4, layers: 3 }).hiddenSizes).toEqual([4, 4, 4]);
  });

  it('rejects bad values with the standard message', () => {
    const bad = (input: object) => () => resolveModelConfig({ vocabSize: 5, ...input });
    expect(bad({ cell: 'transformer' })).toThrow(
      `Expected one of 'rnn', 'lstm', 'gru' for cell but received "transformer"`,
    );
    expect(bad({ layers: 0 })).toThrow('Expected a positive integer for layers but received 0');
    expect(bad({ dropout: 1 })).toThrow('Expected a number in [0, 1) for dropout but received 1');
    expect(bad({ dropout: -0.1 })).toThrow('Expected a number in [0, 1) for dropout but received -0.1');
    expect(bad({ embeddingSize: -1 })).toThrow(
      'Expected a non-negative integer for embeddingSize but received -1',
    );
    expect(bad({ activation: 'gelu' })).toThrow(
      `Expected one of 'tanh', 'relu' for activation but received "gelu"`,
    );
    expect(bad({ cell: 'lstm', activation: 'relu' })).toThrow(
      `Expected 'tanh' for cell 'lstm' for activation but received "relu". HINT: activation applies to cell 'rnn' only`,
    );
    expect(bad({ hiddenSizes: [4, 0] })).toThrow(
      'Expected a positive integer for hiddenSizes[1] but received 0',
    );
    expect(bad({ hiddenSizes: [4, 4], layers: 3 })).toThrow(
      'Expected an array of length 3 (one width per layer) for hiddenSizes but received an array of length 2',
    );
    expect(bad({ hiddenSizes: [4, 6], hiddenSize: 4 })).toThrow(
      'Expected 6 (the last entry of hiddenSizes) or nothing for hiddenSize but received 4',
    );
    expect(bad({ hiddenSizes: [] })).toThrow(TypeError);
  });

  it('names what makes a config non-vanilla', () => {
    const f = (input: object) => nonVanillaFeature(resolveModelConfig({ vocabSize: 5, ...input }));
    expect(f({})).toBeUndefined();
    expect(f({ cell: 'lstm' })).toBe(`cell 'lstm'`);
    expect(f({ layers: 2 })).toBe('layers 2');
    expect(f({ embeddingSize: 8 })).toBe('embeddingSize 8');
    expect(f({ dropout: 0.5 })).toBe('dropout 0.5');
    expect(f({ activation: 'relu' })).toBe(`activation 'relu'`);
  });
});

describe('layoutFor (PyTorch names and shapes)', () => {
  it('lays out a 2-layer LSTM with an embedding as torch.nn.Embedding + LSTM + Linear', () => {
    const c = resolveModelConfig({
      cell: 'lstm',
      vocabSize: 65,
      hiddenSize: 256,
      layers: 2,
      embeddingSize: 64,
    });
    expect(shapes(c)).toEqual([
      ['embedding.weight', [65, 64]],
      ['rnn.weight_ih_l0', [1024, 64]],
      ['rnn.weight_hh_l0', [1024, 256]],
      ['rnn.bias_ih_l0', [1024]],
      ['rnn.bias_hh_l0', [1024]],
      ['rnn.weight_ih_l1', [1024, 256]],
      ['rnn.weight_hh_l1', [1024, 256]],
      ['rnn.bias_ih_l1', [1024]],
      ['rnn.bias_hh_l1', [1024]],
      ['decoder.weight', [65, 256]],
      ['decoder.bias', [65]],
    ]);
    const l = layoutFor(c);
    expect(l.size).toBe(l.tensors.reduce((s, t) => s + t.size, 0));
    l.tensors.forEach(
      (t, i) => i > 0 && expect(t.offset).toBe(l.tensors[i - 1].offset + l.tensors[i - 1].size),
    );
  });

  it('lays out a one-hot GRU with weight_ih_l0 [3H, V]', () => {
    const c = resolveModelConfig({ cell: 'gru', vocabSize: 10, hiddenSizes: [6, 4] });
    expect(shapes(c)).toEqual([
      ['rnn.weight_ih_l0', [18, 10]],
      ['rnn.weight_hh_l0', [18, 6]],
      ['rnn.bias_ih_l0', [18]],
      ['rnn.bias_hh_l0', [18]],
      ['rnn.weight_ih_l1', [12, 6]],
      ['rnn.weight_hh_l1', [12, 4]],
      ['rnn.bias_ih_l1', [12]],
      ['rnn.bias_hh_l1', [12]],
      ['decoder.weight', [10, 4]],
      ['decoder.bias', [10]],
    ]);
  });

  it('uses PyTorch names for a one-layer RNN that is not the vanilla model', () => {
    const c = resolveModelConfig({ vocabSize: 5, hiddenSize: 3, dropout: 0.1 });
    expect(shapes(c)[0]).toEqual(['rnn.weight_ih_l0', [3, 5]]);
  });
});

describe('stateSize', () => {
  it('is [B, H] for the vanilla model', () => {
    expect(stateSize(resolveModelConfig({ vocabSize: 5, hiddenSize: 7 }), 3)).toBe(21);
  });
  it('holds h of every layer (and c for an LSTM), layer by layer', () => {
    const gru = resolveModelConfig({ cell: 'gru', vocabSize: 5, hiddenSizes: [4, 3] });
    expect(stateSize(gru, 2)).toBe(2 * 7);
    expect(stateOffsets(gru, 2)).toEqual({ h: [0, 8], c: [] });
    const lstm = resolveModelConfig({ cell: 'lstm', vocabSize: 5, hiddenSizes: [4, 3] });
    expect(stateSize(lstm, 2)).toBe(2 * 2 * 7);
    expect(stateOffsets(lstm, 2)).toEqual({ h: [0, 8], c: [14, 22] });
  });
});

describe('backend choice for non-vanilla models', () => {
  const native = loadNative();

  it('the native backend opens every config', () => {
    if (!native.binding) return console.log('native addon unavailable on this machine');
    for (const input of [
      { cell: 'lstm' as const, hiddenSize: 4 },
      { cell: 'gru' as const, hiddenSizes: [4, 3], embeddingSize: 2, dropout: 0.5 },
      { hiddenSize: 4, layers: 2 },
      { hiddenSize: 4, activation: 'relu' as const },
    ]) {
      const config = resolveModelConfig({ vocabSize: 5, ...input });
      const session = nativeBackend().open(config, seededArenas(config));
      expect(session.backend).toBe('native');
      const probs = new Float32Array(5);
      session.step(new Float32Array(stateSize(config, 1)), 1, probs, 1);
      expect(probs.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });

  it("'auto' picks native for every config when the addon loads, without a warning", () => {
    const warnings: string[] = [];
    const warn = (m: string) => warnings.push(m);
    const gru = resolveModelConfig({ cell: 'gru', vocabSize: 5, hiddenSize: 4 });
    const vanilla = resolveModelConfig({ vocabSize: 5, hiddenSize: 4 });
    if (!native.binding) return;
    expect(resolveBackend('auto', { warn, config: gru }).name).toBe('native');
    expect(resolveBackend('auto', { warn, config: vanilla }).name).toBe('native');
    expect(warnings).toEqual([]);
  });

  it('the facade runs them on the native backend, with auto or native', () => {
    const vocab = Vocabulary.fromText('abcde');
    if (!native.binding) return;
    const m = CharRNN.create({ vocabulary: vocab, cell: 'lstm', hiddenSize: 4, backend: 'auto' });
    expect(m.backend).toBe('native');
    const g = CharRNN.create({ vocabulary: vocab, cell: 'gru', hiddenSize: 4, layers: 2, backend: 'native' });
    expect(g.backend).toBe('native');
    expect(g.sample({ prime: 'ab', length: 10, seed: 1 })).toHaveLength(10);
  });
});

describe('CharRNN with stacked and gated cells', () => {
  const vocab = Vocabulary.fromText('abc de\n');

  it('initialises as PyTorch does, with an LSTM forget-gate bias summing to 1', () => {
    const m = CharRNN.create({ vocabulary: vocab, cell: 'lstm', hiddenSize: 16, layers: 2, backend: 'js' });
    const p = m.parameters();
    const bih = p.get('rnn.bias_ih_l1')!;
    const bhh = p.get('rnn.bias_hh_l1')!;
    for (let i = 16; i < 32; i++) expect(bih[i] + bhh[i]).toBe(1);
    const w = p.get('rnn.weight_hh_l0')!;
    expect(Math.max(...w.map(Math.abs))).toBeLessThanOrEqual(0.25); // U(±1/√16)
    expect(Math.max(...w.map(Math.abs))).toBeGreaterThan(0.2);
  });

  it("sets the forget-gate bias from forgetBias, or keeps PyTorch's uniform draw with 'pytorch'", () => {
    const make = (forgetBias?: number | 'pytorch') =>
      CharRNN.create({
        vocabulary: vocab,
        cell: 'lstm',
        hiddenSize: 16,
        layers: 2,
        seed: 7,
        forgetBias,
        backend: 'js',
      }).parameters();
    const half = make(0.5);
    const torch = make('pytorch');
    const byDefault = make();
    for (const l of [0, 1]) {
      const bih = torch.get(`rnn.bias_ih_l${l}`)!;
      const f = bih.subarray(16, 32);
      // PyTorch's draw: U(±1/√16), not constant, and the same numbers as the other gates' draws come from
      expect(Math.max(...f.map(Math.abs))).toBeLessThanOrEqual(0.25);
      expect(new Set(f).size).toBeGreaterThan(8);
      for (let i = 16; i < 32; i++) {
        expect(half.get(`rnn.bias_ih_l${l}`)![i] + half.get(`rnn.bias_hh_l${l}`)![i]).toBe(0.5);
        expect(byDefault.get(`rnn.bias_ih_l${l}`)![i]).toBe(1);
      }
      // only the forget slices differ: every other parameter is the same draw
      expect(torch.get(`rnn.bias_ih_l${l}`)!.subarray(0, 16)).toEqual(
        half.get(`rnn.bias_ih_l${l}`)!.subarray(0, 16),
      );
      expect(torch.get(`rnn.weight_hh_l${l}`)).toEqual(half.get(`rnn.weight_hh_l${l}`));
    }
    expect(() => make(Number.NaN)).toThrow(TypeError);
    expect(() => make('torch' as never)).toThrow("Expected a finite number or 'pytorch' for forgetBias");
  });

  it('samples and evaluates with the full carried state', () => {
    const m = CharRNN.create({
      vocabulary: vocab,
      cell: 'gru',
      hiddenSizes: [8, 6],
      embeddingSize: 4,
      dropout: 0.2,
      backend: 'js',
    });
    const s = m.sample({ prime: 'ab', length: 30, seed: 3 });
    expect(s).toHaveLength(30);
    expect(m.sample({ prime: 'ab', length: 30, seed: 3 })).toBe(s);
    const r = m.evaluate('abc de\nabc');
    expect(r.count).toBe(9);
    expect(r.loss).toBeGreaterThan(0);
  });

  it('round-trips through a model file (format version 2, PyTorch names)', async () => {
    const m = CharRNN.create({
      vocabulary: vocab,
      cell: 'lstm',
      hiddenSize: 6,
      layers: 2,
      embeddingSize: 3,
      dropout: 0.1,
      seed: 5,
      backend: 'js',
    });
    const file = join(dir, 'lstm.safetensors');
    await saveModel(m, file);
    const back = await loadModel(file, { backend: 'js' });
    expect(back.config).toEqual(m.config);
    expect([...back.parameters().keys()]).toEqual([...m.parameters().keys()]);
    for (const [name, data] of m.parameters()) expect(back.parameters().get(name)).toEqual(data);
    expect(back.sample({ prime: 'a', length: 20, seed: 2 })).toBe(
      m.sample({ prime: 'a', length: 20, seed: 2 }),
    );
    const { tensors, metadata } = await loadSafetensors(file);
    expect(metadata.format_version).toBe('2');
    expect(tensors.get('rnn.weight_ih_l0')!.shape).toEqual([24, 3]);
    // a version-1 label on a non-vanilla config is refused
    const relabelled = join(dir, 'relabelled.safetensors');
    await saveSafetensors(relabelled, tensors, { ...metadata, format_version: '1' });
    await expect(loadModel(relabelled, { backend: 'js' })).rejects.toThrow(
      'format_version "1" does not match its config',
    );
  });
});

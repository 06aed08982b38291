// The vanilla ↔ PyTorch tensor-name mapping (src/io/torch-names.ts): both directions, the bias fold, and that the
// names it derives from tensor roles are exactly the names of every PyTorch-named layout.
import { describe, expect, it } from 'vitest';
import { resolveModelConfig } from '../../src/model/config.js';
import { layoutFor } from '../../src/model/spec.js';
import {
  SEED_NAMES,
  torchName,
  torchToVanilla,
  torchToVanillaName,
  vanillaToTorch,
  vanillaToTorchName,
} from '../../src/io/torch-names.js';

const TABLE = [
  ['Wxh', 'rnn.weight_ih_l0'],
  ['Whh', 'rnn.weight_hh_l0'],
  ['bh', 'rnn.bias_ih_l0'],
  ['Why', 'decoder.weight'],
  ['by', 'decoder.bias'],
] as const;

/** Vanilla tensors of H = 3, V = 4 with distinct values. */
function vanillaTensors(): Map<string, Float32Array> {
  const l = layoutFor(resolveModelConfig({ vocabSize: 4, hiddenSize: 3 }));
  return new Map(
    l.tensors.map((t) => [t.name, Float32Array.from({ length: t.size }, (_, i) => t.offset + i + 0.5)]),
  );
}

describe('vanilla ↔ PyTorch names', () => {
  it('maps each of the seeds’ names to torch.nn.RNN / nn.Linear’s and back', () => {
    expect(SEED_NAMES).toEqual(TABLE.map(([s]) => s));
    for (const [seed, torch] of TABLE) {
      expect(vanillaToTorchName(seed)).toBe(torch);
      expect(torchToVanillaName(torch)).toBe(seed);
    }
  });

  it('rejects names outside the mapping with the names it knows', () => {
    expect(() => vanillaToTorchName('rnn.weight_ih_l0')).toThrow(
      new RangeError('Expected one of Wxh, Whh, bh, Why, by for name but received "rnn.weight_ih_l0"'),
    );
    expect(() => torchToVanillaName('rnn.bias_hh_l0')).toThrow(RangeError);
    expect(() => torchToVanillaName('Wxh')).toThrow(RangeError);
  });

  it('derives every PyTorch-named layout’s names from the tensors’ roles', () => {
    for (const input of [
      { cell: 'lstm' as const, layers: 2, embeddingSize: 5 },
      { cell: 'gru' as const, hiddenSizes: [3, 6] },
      { cell: 'rnn' as const, dropout: 0.1 },
      { cell: 'rnn' as const, activation: 'relu' as const, layers: 3 },
    ]) {
      const l = layoutFor(resolveModelConfig({ vocabSize: 7, hiddenSize: 6, ...input }));
      for (const t of l.tensors) expect(torchName(t)).toBe(t.name);
    }
  });

  it('turns vanilla tensors into the tensors of the same one-layer RNN under PyTorch’s names and shapes', () => {
    const v = vanillaTensors();
    const t = vanillaToTorch(v);
    // The same RNN with dropout is not vanilla, so its layout has PyTorch's names: the converted tensors fit it.
    const torchLayout = layoutFor(resolveModelConfig({ vocabSize: 4, hiddenSize: 3, dropout: 0.5 }));
    expect([...t.keys()].sort()).toEqual(torchLayout.tensors.map((x) => x.name).sort());
    for (const x of torchLayout.tensors) expect(t.get(x.name)!.length).toBe(x.size);
    expect(t.get('rnn.bias_hh_l0')).toEqual(new Float32Array(3));
    for (const [seed, torch] of TABLE) {
      expect(t.get(torch)).toEqual(v.get(seed));
      expect(t.get(torch)).not.toBe(v.get(seed)); // copies
    }
    expect(torchToVanilla(t)).toEqual(v); // exact round trip
  });

  it('folds rnn.bias_hh_l0 into bh (float32 sum) and checks its length', () => {
    const t = vanillaToTorch(vanillaTensors());
    t.set('rnn.bias_ih_l0', Float32Array.of(1, 2, 0.1));
    t.set('rnn.bias_hh_l0', Float32Array.of(0.5, -2, 0.2));
    expect(torchToVanilla(t).get('bh')).toEqual(Float32Array.of(1.5, 0, Math.fround(0.1 + Math.fround(0.2))));
    t.set('rnn.bias_hh_l0', new Float32Array(2));
    expect(() => torchToVanilla(t)).toThrow(
      new RangeError(
        'Expected a Float32Array of length 3 (as rnn.bias_ih_l0) for tensor rnn.bias_hh_l0 but received a Float32Array of length 2',
      ),
    );
    t.delete('decoder.bias');
    expect(() => torchToVanilla(t)).toThrow(TypeError);
  });
});

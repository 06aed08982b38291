// The addon's argument bounds (native/binding/limits.h, exported as `limits`) equal the TS facade's constants, so
// both doors refuse the same configs and chunks; and the native messages state the bounds they enforce.
import { describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native.js';
import {
  MAX_CLASSES,
  MAX_EMBEDDING_SIZE,
  MAX_HIDDEN_SIZE,
  MAX_LAYERS,
  MAX_SAMPLE_LENGTH,
  MAX_SCRATCH_ELEMENTS,
  MAX_VOCAB_SIZE,
} from '../../src/model/config.js';

const { binding, error } = loadNative();
if (!binding && process.env.CI) throw error ?? new Error('native addon missing');

describe.runIf(binding !== undefined)('native limits', () => {
  const b = binding!;

  it('each native limit equals the TS constant of the same meaning', () => {
    expect({ ...b.limits }).toEqual({
      maxHidden: MAX_HIDDEN_SIZE,
      maxVocab: MAX_VOCAB_SIZE,
      maxLayers: MAX_LAYERS,
      maxEmbedding: MAX_EMBEDDING_SIZE,
      maxClasses: MAX_CLASSES,
      maxScratchElements: MAX_SCRATCH_ELEMENTS,
      maxSampleLength: MAX_SAMPLE_LENGTH,
    });
  });

  it('is frozen', () => {
    expect(Object.isFrozen(b.limits)).toBe(true);
  });

  it('layout() accepts each bound and refuses one past it, stating the bound', () => {
    const L = b.limits;
    expect(b.layout('rnn', 'tanh', 2, new Int32Array(L.maxLayers).fill(1), 0, 0).tensors.length).toBe(
      4 * L.maxLayers + 2,
    );
    expect(() => b.layout('rnn', 'tanh', 2, new Int32Array(L.maxLayers + 1).fill(1), 0, 0)).toThrow(
      `Expected an Int32Array of length in [1, ${L.maxLayers}] (one width per layer) for hiddenSizes`,
    );
    expect(() => b.layout('rnn', 'tanh', 2, Int32Array.of(L.maxHidden + 1), 0, 0)).toThrow(
      `Expected an integer in [1, ${L.maxHidden}] for hiddenSizes[0] but received ${L.maxHidden + 1}`,
    );
    expect(() => b.layout('rnn', 'tanh', L.maxVocab + 1, Int32Array.of(1), 0, 0)).toThrow(
      `Expected an integer in [2, ${L.maxVocab}] for vocabSize but received ${L.maxVocab + 1}`,
    );
    expect(() => b.layout('rnn', 'tanh', 2, Int32Array.of(1), L.maxEmbedding + 1, 0)).toThrow(
      `Expected an integer in [0, ${L.maxEmbedding}] for embeddingSize but received ${L.maxEmbedding + 1}`,
    );
  });
});

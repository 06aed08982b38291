// Test helpers: seeded arenas and chunks for small models (vanilla by default), built without any corpus text.
import { resolveModelConfig, type ModelConfig } from '../../src/model/config.js';
import { stateSize } from '../../src/model/layout.js';
import { layoutFor } from '../../src/model/spec.js';
import { Rng } from '../../src/util/rng.js';
import type { Arenas, Chunk } from '../../src/backends/backend.js';

export function smallConfig(H = 7, V = 5): ModelConfig {
  return resolveModelConfig({ cell: 'rnn', hiddenSize: H, vocabSize: V });
}

/** Arenas with N(0, scale²) weights and biases (biases non-zero so their gradients are exercised). */
export function seededArenas(config: ModelConfig, seed = 1, scale = 0.3, slots = 2): Arenas {
  const P = layoutFor(config).size;
  const rng = new Rng(seed);
  const params = new Float32Array(P);
  for (let i = 0; i < P; i++) params[i] = rng.nextGaussian() * scale;
  return { params, grads: new Float32Array(P), optState: new Float32Array(P * slots) };
}

/** Copies of all three arenas. */
export function cloneArenas(a: Arenas): Arenas {
  return { params: a.params.slice(), grads: a.grads.slice(), optState: a.optState.slice() };
}

/** Random inputs/targets, a U(±hiddenScale) carried state, and a dropout stream seeded `rngSeed`. */
export function seededChunk(
  config: ModelConfig,
  B: number,
  T: number,
  seed = 2,
  hiddenScale = 0.5,
  rngSeed = seed + 100,
): Chunk {
  const rng = new Rng(seed);
  const inputs = new Int32Array(B * T);
  const targets = new Int32Array(B * T);
  for (let i = 0; i < B * T; i++) {
    inputs[i] = rng.nextU32() % config.vocabSize;
    targets[i] = rng.nextU32() % config.vocabSize;
  }
  const hidden = new Float32Array(stateSize(config, B));
  for (let i = 0; i < hidden.length; i++) hidden[i] = (rng.nextFloat() * 2 - 1) * hiddenScale;
  return { inputs, targets, batch: B, steps: T, hidden, rngState: new Rng(rngSeed).state };
}

export function cloneChunk(c: Chunk): Chunk {
  return { ...c, hidden: c.hidden.slice(), rngState: c.rngState?.slice() };
}

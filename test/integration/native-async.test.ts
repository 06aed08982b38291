// trainChunkAsync runs off the main thread: timers keep firing while a long native chunk trains, and the
// result equals the synchronous trainChunk on identical inputs (same kernels, same order of operations).
import { describe, expect, it } from 'vitest';
import type { Arenas, Chunk, StepHyper } from '../../src/backends/backend.js';
import { loadNative, nativeBackend } from '../../src/backends/native.js';
import { resolveModelConfig } from '../../src/model/config.js';
import { layoutFor } from '../../src/model/spec.js';
import { Rng } from '../../src/util/rng.js';

const { binding, error } = loadNative();
if (!binding && process.env.CI) throw error ?? new Error('native addon missing');

describe.runIf(binding !== undefined)('native trainChunkAsync', () => {
  it('keeps the event loop responsive and matches the synchronous result', async () => {
    const config = resolveModelConfig({ hiddenSize: 512, vocabSize: 65 });
    const P = layoutFor(config).size;
    const rng = new Rng(7);
    const params = new Float32Array(P).map(() => rng.nextGaussian() * 0.05);
    const mk = (): Arenas => ({
      params: params.slice(),
      grads: new Float32Array(P),
      optState: new Float32Array(2 * P),
    });
    const hyper: StepHyper = {
      optimizer: { kind: 'adam', lr: 2e-3, momentum: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
      clipValue: 0,
      clipNorm: 5,
      step: 1,
      reduction: 'mean',
    };
    const chunkOf = (B: number, T: number): Chunk => {
      const r = new Rng(8);
      const inputs = Int32Array.from({ length: B * T }, () => r.nextU32() % 65);
      const targets = Int32Array.from({ length: B * T }, () => r.nextU32() % 65);
      return { inputs, targets, batch: B, steps: T, hidden: new Float32Array(B * 512) };
    };

    // Calibrate: grow T until one synchronous chunk takes ≥ 300 ms (W2-sized chunks, B = 32).
    const calib = nativeBackend().open(config, mk());
    let T = 16;
    let ms = 0;
    for (;;) {
      const t0 = performance.now();
      calib.trainChunk(chunkOf(32, T), hyper);
      ms = performance.now() - t0;
      if (ms >= 300 || T >= 4096) break;
      T = Math.min(4096, Math.ceil(T * Math.max(2, 400 / Math.max(ms, 1))));
    }
    calib.dispose();

    const syncArenas = mk();
    const asyncArenas = mk();
    const syncChunk = chunkOf(32, T);
    const asyncChunk = chunkOf(32, T);
    const sync = nativeBackend().open(config, syncArenas).trainChunk(syncChunk, hyper);

    const session = nativeBackend().open(config, asyncArenas);
    let ticks = 0;
    const timer = setInterval(() => ticks++, 10);
    const t0 = performance.now();
    const result = await session.trainChunkAsync(asyncChunk, hyper);
    const elapsed = performance.now() - t0;
    clearInterval(timer);
    console.log(
      `one chunk B=32 T=${T} H=512: ${elapsed.toFixed(0)} ms async (${ms.toFixed(0)} ms sync), ${ticks} timer ticks`,
    );

    expect(elapsed).toBeGreaterThanOrEqual(200);
    // a blocked loop would give 0–1 ticks; 10 ms ticks over ≥ 200 ms give ~20 (allow for a busy CI box)
    expect(ticks).toBeGreaterThanOrEqual(5);
    expect(result).toEqual(sync);
    // bit-identical arenas (byte comparison: toEqual on 300k-element arrays is needlessly slow)
    const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer).equals(Buffer.from(b.buffer));
    expect(same(asyncArenas.params, syncArenas.params)).toBe(true);
    expect(same(asyncArenas.optState, syncArenas.optState)).toBe(true);
    expect(same(asyncChunk.hidden, syncChunk.hidden)).toBe(true);
    session.dispose();
  });

  it('validation errors reject the promise instead of throwing', async () => {
    const config = resolveModelConfig({ hiddenSize: 4, vocabSize: 3 });
    const P = layoutFor(config).size;
    const session = nativeBackend().open(config, {
      params: new Float32Array(P),
      grads: new Float32Array(P),
      optState: new Float32Array(P),
    });
    const chunk: Chunk = {
      inputs: Int32Array.from([0, 5]),
      targets: Int32Array.from([1, 2]),
      batch: 1,
      steps: 2,
      hidden: new Float32Array(4),
    };
    const hyper: StepHyper = {
      optimizer: { kind: 'sgd', lr: 0.1, momentum: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
      clipValue: 0,
      clipNorm: 0,
      step: 1,
      reduction: 'sum',
    };
    const p = session.trainChunkAsync(chunk, hyper);
    await expect(p).rejects.toThrow(RangeError);
    await expect(p).rejects.toThrow('Expected token ids in [0, 2] for inputs but received 5 at index 1');
  });
});

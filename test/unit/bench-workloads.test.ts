// The benchmark workloads' FLOP counts follow WORKLOADS.md, so the GFLOP/s a bench reports are comparable.
import { describe, expect, it } from 'vitest';
import { forwardFlops, WORKLOADS } from '../../src/bench/workloads.js';

describe('bench workloads', () => {
  it('count forward FLOPs per token as WORKLOADS.md does', () => {
    // vanilla: 2·(H·H + H·V); the one-hot input is a lookup
    expect(forwardFlops(WORKLOADS.W1.model, 65)).toBe(2 * (100 * 100 + 100 * 65));
    expect(forwardFlops(WORKLOADS.W2.model, 65)).toBe(2 * (512 * 512 + 512 * 65));
    // LSTM layers 2·4H·(In + H) with In = E, then H; decoder 2·H·V
    expect(forwardFlops(WORKLOADS.W3.model, 65)).toBe(
      2 * 4 * 256 * (64 + 256) + 2 * 4 * 256 * 512 + 2 * 256 * 65,
    );
    // W9: 3 layers of H 512 over a 128-wide embedding, ≈ 11.08 MFLOP forward, ≈ 33.2 MFLOP trained per token
    expect(forwardFlops(WORKLOADS.W9.model, 65)).toBe(
      2 * 4 * 512 * (128 + 512) + 2 * (2 * 4 * 512 * 1024) + 2 * 512 * 65,
    );
    expect(3 * forwardFlops(WORKLOADS.W9.model, 65)).toBe(33_229_824);
  });
  it('describe W3 and W4 as WORKLOADS.md does', () => {
    expect(WORKLOADS.W3).toMatchObject({ batch: 32, seqLength: 64, clipNorm: 5, reduction: 'mean' });
    expect(WORKLOADS.W3.model).toEqual({ cell: 'lstm', hiddenSize: 256, layers: 2, embeddingSize: 64 });
    expect(WORKLOADS.W4.models).toEqual(['W2', 'W3']);
  });
  it('describe W9 as WORKLOADS.md does', () => {
    expect(WORKLOADS.W9).toMatchObject({
      batch: 64,
      seqLength: 128,
      optimizer: { kind: 'adam', lr: 2e-3 },
      clipValue: 0,
      clipNorm: 5,
      reduction: 'mean',
    });
    expect(WORKLOADS.W9.model).toEqual({ cell: 'lstm', hiddenSize: 512, layers: 3, embeddingSize: 128 });
  });
});

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
  });
  it('describe W3 and W4 as WORKLOADS.md does', () => {
    expect(WORKLOADS.W3).toMatchObject({ batch: 32, seqLength: 64, clipNorm: 5, reduction: 'mean' });
    expect(WORKLOADS.W3.model).toEqual({ cell: 'lstm', hiddenSize: 256, layers: 2, embeddingSize: 64 });
    expect(WORKLOADS.W4.models).toEqual(['W2', 'W3']);
  });
});

// Batcher: B contiguous streams, time-major chunks, epochs.
import { describe, expect, it } from 'vitest';
import { Batcher } from '../../src/text/batcher.js';

describe('Batcher', () => {
  it('serves time-major chunks from B contiguous streams with targets shifted by one', () => {
    const ids = Int32Array.from({ length: 41 }, (_, i) => i);
    const b = new Batcher(ids, 2, 4); // streams of 20: [0..19], [20..39]
    expect(b.streamLength).toBe(20);
    expect(b.chunksPerEpoch).toBe(4);
    expect(b.next()).toBe(true);
    expect([...b.inputs]).toEqual([0, 20, 1, 21, 2, 22, 3, 23]);
    expect([...b.targets]).toEqual([1, 21, 2, 22, 3, 23, 4, 24]);
    expect(b.next()).toBe(false);
    expect([...b.inputs]).toEqual([4, 24, 5, 25, 6, 26, 7, 27]);
  });

  it('wraps to a new epoch', () => {
    const ids = Uint16Array.from({ length: 11 }, (_, i) => i);
    const b = new Batcher(ids, 1, 5); // chunks: [0..4]→[1..5], [5..9]→[6..10]
    expect(b.chunksPerEpoch).toBe(2);
    b.next();
    b.next();
    expect([...b.targets]).toEqual([6, 7, 8, 9, 10]);
    expect(b.epoch).toBe(1);
    expect(b.next()).toBe(true);
    expect([...b.inputs]).toEqual([0, 1, 2, 3, 4]);
  });

  it('rejects seqLength 0 and a corpus shorter than one chunk', () => {
    const ids = new Int32Array(10);
    expect(() => new Batcher(ids, 1, 0)).toThrow('Expected a positive integer for seqLength but received 0');
    expect(() => new Batcher(ids, 2, 5)).toThrow(RangeError);
    expect(() => new Batcher(ids, 2, 5)).toThrow(/at least batchSize × \(seqLength \+ 1\) = 12 tokens/);
  });
});

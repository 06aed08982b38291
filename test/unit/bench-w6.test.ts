// W6 through the benchmark runner (what `charrnn bench --workload W6` prints and records): each backend's five
// records (64-stream generation, batch-1 session and sampling loop, rank, the one-at-a-time score loop) with
// per-token rates and GFLOP/s from W3's FLOP count, and the two ratio lines. A few short lines instead of the
// validation split keep it quick; the rates are per token either way.
import { describe, expect, it } from 'vitest';
import { W6 } from '../../src/bench/batched.js';
import { runBenchmarks, runW6 } from '../../src/bench/runner.js';
import { forwardFlops, W3_MODEL } from '../../src/bench/workloads.js';
import { nativeAvailable } from '../helpers/generation.js';

const vocabularyText = 'abcdefghijklmnopqrstuvwxyz0123456789 ,.\n';
const lines = Array.from(
  { length: 80 },
  (_, i) => `line ${'abcdefghij'.slice(0, 2 + (i % 9))} number ${i % 7}.`,
);

describe('W6 in the benchmark runner', () => {
  it.runIf(nativeAvailable)('times every W6 record on the native backend and prints the ratios', async () => {
    const out: string[] = [];
    const records = await runW6([['native', 1]], (l) => out.push(l), {
      vocabularyText,
      lines,
      data: 'test lines',
    });
    expect(
      records.map((r) => r.workload),
      out.join('\n'),
    ).toEqual([
      `W6 generate ${W6.streams} streams`,
      'W6 generate 1 stream (session)',
      'W6 generate 1 stream (sampling loop)',
      `W6 rank ${lines.length} lines`,
      `W6 score loop (${lines.length} lines, one at a time)`,
    ]);
    const flops = forwardFlops(W3_MODEL, vocabularyText.length);
    for (const r of records) {
      expect(r).toMatchObject({ backend: 'native', threads: 1, data: 'test lines' });
      expect(r.charsPerSec).toBeGreaterThan(0);
      expect(r.gflops).toBeCloseTo((r.charsPerSec * flops) / 1e9, 1);
    }
    expect(out[0]).toBe(`W6: ${W6.title}`);
    const ratio = out.find((l) => l.includes('→ native 1 thread:'));
    expect(ratio).toMatch(
      /64 streams \/ batch-1 sampling loop = \d+\.\d\d×; rank \/ one-at-a-time score loop = \d+\.\d\d×/,
    );
    const [gen, , loop] = records;
    expect(ratio).toContain(`${(gen.charsPerSec / loop.charsPerSec).toFixed(2)}×`);
  });

  it('is a workload name of runBenchmarks; an unknown one lists W6 among the known', async () => {
    await expect(runBenchmarks({ workloads: ['W5'], backends: ['js'] })).rejects.toThrow(
      /Expected one of W1, W2, W3, W4, .*W6 for workload but received "W5"/,
    );
  });
});

// W7's fixed batches (src/bench/sequence.ts): what the charrnn rows and the PyTorch peer both time — drawn from
// the task data when it is there, from seeded random sequences otherwise — and the FLOP count behind its GFLOP/s.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { sequenceBenchData, toTorchJson, W7, w7ForwardFlops } from '../../src/bench/sequence.js';

const empty = mkdtempSync(join(tmpdir(), 'charrnn-w7-'));
afterAll(() => rmSync(empty, { recursive: true, force: true }));

describe('W7 batches', () => {
  it('falls back to seeded random sequences, the same on every run, padded and ≤ 128 long', async () => {
    const saved = process.env.CHARRNN_DATA_DIR;
    process.env.CHARRNN_DATA_DIR = empty;
    const warnings: string[] = [];
    try {
      const a = await sequenceBenchData('tag', (l) => warnings.push(l));
      const b = await sequenceBenchData('tag', () => {});
      expect(warnings[0]).toMatch(
        /^bench: W7 tag data unavailable \(Data not found: .*\); using random sequences$/,
      );
      expect(a.data).toBe('random sequences (data unavailable)');
      expect(a.batches).toHaveLength(W7.batches);
      expect(toTorchJson(a)).toBe(toTorchJson(b));
      for (const batch of a.batches) {
        expect(batch.B).toBe(64);
        expect(batch.T).toBeLessThanOrEqual(W7.maxLength);
        expect(Math.max(...batch.lengths)).toBe(batch.T);
        // Tag labels: −1 exactly at the padded steps.
        for (let r = 0; r < batch.B; r++)
          for (let t = 0; t < batch.T; t++)
            expect(batch.labels[r * batch.T + t] === -1).toBe(t >= batch.lengths[r]);
      }
      const json = JSON.parse(toTorchJson(a)) as {
        task: string;
        V: number;
        C: number;
        E: number;
        H: number;
        batches: { ids: number[] }[];
      };
      expect([json.task, json.E, json.H, json.C]).toEqual(['tag', 64, 256, 17]);
      expect(json.batches[0].ids).toHaveLength(a.batches[0].B * a.batches[0].T);
    } finally {
      if (saved === undefined) delete process.env.CHARRNN_DATA_DIR;
      else process.env.CHARRNN_DATA_DIR = saved;
    }
  });

  it('counts 2 directions × 2·4H·(E + H) per character, plus the tag head', () => {
    expect(w7ForwardFlops('classify', 18)).toBe(2 * 2 * 4 * 256 * (64 + 256));
    expect(w7ForwardFlops('tag', 18)).toBe(2 * 2 * 4 * 256 * (64 + 256) + 2 * 2 * 256 * 18);
  });
});

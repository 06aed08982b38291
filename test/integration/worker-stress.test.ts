// Worker-thread stress (issue 15's acceptance): 20 rounds, each starting two worker threads with native models. One,
// the victim, is terminated at a random moment inside training (trainChunk, trainChunkAsync, or train() with its
// validations), validation (evaluate on a long text), sampling or a drop-in gemm (rounds cycle over these six); the
// other, the survivor, trains, validates, samples and multiplies meanwhile and must report exactly what the same work
// gives on the host's main thread. The host (a child process, so that an abort fails this test instead of killing the
// runner) must survive every round, still accept setThreads afterwards (no asynchronous call of a terminated worker
// left counted), and keep its resident memory flat across rounds: Node runs the finalizers of a terminated worker's
// sessions when it tears the worker's environment down, and they free the native workspaces (tens of MB per victim).
// Long native loops stop within a block once the worker is being terminated, so terminate() is quick too.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildSync } from 'esbuild';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native.js';
import { spawnAsync } from '../helpers/spawn.js';
import { KINDS, type RoundReport } from '../helpers/worker-stress.js';

const ROUNDS = 20;
/** Allowed growth of the host's resident set, median of rounds 11–20 over the median of rounds 3–10. */
const GROWTH_LIMIT_MIB = 64;
/**
 * Longest terminate() allowed. The victim's evaluate (1.8 M tokens) and sample (200,000 tokens) calls would run for
 * many seconds (80 s and 12 s measured under load); they end within a block only because they check whether the
 * worker is being terminated.
 */
const TERMINATE_LIMIT_MS = 5000;

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'charrnn-stress-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The host and its workers run one bundle of test/helpers/worker-stress.ts and the library sources it imports
// (plain JavaScript: no TypeScript loader thread to start in each of the 40 workers, which halves the test's time).
// The bundle lives outside the package, so it finds the addon through CHARRNN_ADDON_PATH.
const bundle = join(dir, 'worker-stress.mjs');
buildSync({
  stdin: {
    contents: `import { isMainThread } from 'node:worker_threads';
import { runHost, runWorker } from './test/helpers/worker-stress.ts';
if (isMainThread) await runHost(new URL(import.meta.url).pathname, Number(process.argv[2]), Number(process.argv[3]));
else await runWorker();
`,
    resolveDir: root,
    loader: 'ts',
  },
  bundle: true,
  platform: 'node',
  format: 'esm',
  outfile: bundle,
  logLevel: 'error',
  // CommonJS dependencies in an ESM bundle need a real require
  banner: {
    js: "import { createRequire as bannerRequire } from 'node:module'; const require = bannerRequire(import.meta.url);",
  },
});
const addon = process.env.CHARRNN_ADDON_PATH ?? join(root, 'build/Release/charrnn.node');

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

const native = loadNative();
if (!native.binding && process.env.CI) throw native.error ?? new Error('native addon missing');

describe.runIf(native.binding !== undefined)('worker threads under stress', () => {
  it(`${ROUNDS} rounds of two native workers, one terminated mid-call: the host survives and its memory stays flat`, async () => {
    const seed = Number(process.env.CHARRNN_STRESS_SEED ?? Date.now() % 2 ** 31);
    const r = await spawnAsync(process.execPath, ['--expose-gc', bundle, String(ROUNDS), String(seed)], {
      env: { ...process.env, CHARRNN_ADDON_PATH: addon },
      timeout: 170_000,
    });
    const lines = r.stdout.trim().split('\n');
    const reports = lines.filter((l) => l.startsWith('{"round"')).map((l) => JSON.parse(l) as RoundReport);
    const early = median(reports.slice(2, 10).map((x) => x.rssMiB));
    const late = median(reports.slice(10, 20).map((x) => x.rssMiB));
    console.log(
      `worker stress (seed ${seed}): host RSS MiB per round ${reports.map((x) => x.rssMiB).join(', ')}; ` +
        `median rounds 3-10 ${early.toFixed(1)}, rounds 11-20 ${late.toFixed(1)}, growth ${(late - early).toFixed(1)} ` +
        `(limit ${GROWTH_LIMIT_MIB}); terminate() ms ${reports.map((x) => `${x.kind} ${x.terminateMs}`).join(', ')}`,
    );
    if (r.status !== 0) console.log(`host stderr:\n${r.stderr}`);
    expect(r.stderr).not.toContain('terminate called');
    expect({ signal: r.signal, status: r.status, last: lines.at(-1) }).toEqual({
      signal: null,
      status: 0,
      last: 'host survived',
    });
    expect(reports.map((x) => x.round)).toEqual([...Array(ROUNDS).keys()]);
    expect(new Set(reports.map((x) => x.kind))).toEqual(new Set(KINDS));
    for (const x of reports) {
      const { round, victimExit, victimError, survivorExit, same } = x;
      expect({
        round,
        victimExit,
        victimError,
        survivorExit,
        same,
        quick: x.terminateMs < TERMINATE_LIMIT_MS,
      }).toEqual({
        round,
        victimExit: 1,
        victimError: null,
        survivorExit: 0,
        same: true,
        quick: true,
      });
    }
    expect(late - early).toBeLessThan(GROWTH_LIMIT_MIB);
  }, 180_000);
});

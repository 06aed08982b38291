// Embedding in worker threads: `worker.terminate()` while the worker is inside a native call (evaluation,
// sampling, an asynchronous training chunk, a gemm) must end the worker, never the host. node-addon-api raises a
// C++ exception when it cannot throw into an environment that is shutting down; without
// NODE_API_SWALLOW_UNTHROWABLE_EXCEPTIONS in both builds that exception escaped and aborted the whole process
// (SIGABRT, "terminate called after throwing an instance of 'Napi::Error'"). The host runs in a child process so
// that an abort fails this test instead of killing the test runner.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native.js';
import { spawnAsync } from '../helpers/spawn.js';

const root = new URL('../../', import.meta.url).pathname;
const dir = mkdtempSync(join(tmpdir(), 'charrnn-worker-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// The worker: a native model busy in a loop of one kind of call until it is terminated.
const worker = join(dir, 'worker.mjs');
writeFileSync(
  worker,
  `import { parentPort, workerData } from 'node:worker_threads';
import { register } from ${JSON.stringify(join(root, 'node_modules/tsx/dist/esm/api/index.mjs'))};
register();
const { CharRNN, Vocabulary, gemm, resolveOptimizer } = await import(${JSON.stringify(join(root, 'src/index.ts'))});
const vocabulary = Vocabulary.fromText('abcdefghijklmnopqrstuvwxyz .\\n');
const model = CharRNN.create({ vocabulary, cell: workerData.cell, hiddenSize: 128, backend: 'native' });
const ids = vocabulary.encode('the quick brown fox jumps over the lazy dog.\\n'.repeat(400));
const B = 16, T = 32;
const inputs = Int32Array.from({ length: B * T }, (_, i) => ids[i]);
const targets = Int32Array.from({ length: B * T }, (_, i) => ids[i + 1]);
const hyper = { optimizer: resolveOptimizer({ kind: 'adam' }), clipValue: 0, clipNorm: 5, reduction: 'mean' };
const n = 384, a = new Float32Array(n * n).fill(0.5), c = new Float32Array(n * n);
parentPort.postMessage('ready');
for (let step = 1; ; step++) {
  if (workerData.kind === 'evaluate') model.evaluate(ids);
  else if (workerData.kind === 'sample') model.sample({ length: 4000 });
  else if (workerData.kind === 'train') await model.trainChunkAsync(inputs, targets, B, T, { ...hyper, step });
  else gemm(false, false, n, n, n, a, a, c);
}
`,
);

// The host: several rounds per kind, each terminating a busy worker after a random delay.
const host = join(dir, 'host.mjs');
writeFileSync(
  host,
  `import { Worker } from 'node:worker_threads';
const [kind, cell, rounds] = process.argv.slice(2);
for (let round = 0; round < Number(rounds); round++) {
  const w = new Worker(${JSON.stringify(worker)}, { workerData: { kind, cell } });
  await new Promise((resolve, reject) => { w.once('message', resolve); w.once('error', reject); });
  await new Promise((r) => setTimeout(r, 50 + Math.random() * 400));
  await w.terminate();
}
console.log('host survived');
`,
);

const native = loadNative();
if (!native.binding && process.env.CI) throw native.error ?? new Error('native addon missing');

describe.runIf(native.binding !== undefined)('worker.terminate() during a native call', () => {
  it.each([
    ['evaluate', 'rnn'],
    ['evaluate', 'lstm'],
    ['sample', 'gru'],
    ['train', 'lstm'],
    ['gemm', 'rnn'],
  ])('%s (%s): the host process survives every round', async (kind, cell) => {
    const r = await spawnAsync(process.execPath, [host, kind, cell, '3'], { timeout: 60_000 });
    expect(r.stderr).not.toContain('terminate called');
    expect({ signal: r.signal, status: r.status, stdout: r.stdout.trim() }).toEqual({
      signal: null,
      status: 0,
      stdout: 'host survived',
    });
  });
});

// The two sides of test/integration/worker-stress.test.ts, started through a small tsx bootstrap: runHost() in a
// child process (node --expose-gc) and runWorker() in each worker thread the host starts. The host prints one JSON
// line per round and a last line 'host survived'; the test asserts on those lines. Deliberately no vitest here.
import { parentPort, Worker, workerData } from 'node:worker_threads';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CharRNN,
  Vocabulary,
  capabilities,
  gemm,
  resolveOptimizer,
  setThreads,
  train,
} from '../../src/index.js';

/** Where the victim is when it is terminated. */
export const KINDS = ['trainChunk', 'trainChunkAsync', 'train', 'evaluate', 'sample', 'gemm'] as const;
export type Kind = (typeof KINDS)[number];

/** What the host prints for every round. */
export interface RoundReport {
  round: number;
  kind: Kind;
  /** ms between the victim entering its loop and terminate() */
  delay: number;
  /** ms terminate() took to resolve (the victim's thread leaving its native call, then its teardown) */
  terminateMs: number;
  victimExit: number;
  survivorExit: number;
  /** an error the victim raised before it was terminated (none expected) */
  victimError: string | null;
  /** the survivor's report equals the reference computed on the host's main thread */
  same: boolean;
  /** the host's resident set after the round, after garbage collection, in MiB */
  rssMiB: number;
}

type WorkerData = { role: 'victim'; kind: Kind } | { role: 'survivor' };

/** A deterministic text of ~n words (a linear congruential stream over a small word list). */
export function text(n: number): string {
  const words =
    'the quick brown fox jumps over a lazy dog while seven birds sing far from home at night'.split(' ');
  let s = 12345;
  const out: string[] = [];
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out.push(words[s % words.length] + (i % 13 === 12 ? '.\n' : ' '));
  }
  return out.join('');
}

/**
 * The survivor's work: train (the asynchronous train(), with validation), evaluate, sample and multiply, all
 * native and seeded. Its report must be bit-identical wherever it runs (the thread pool never changes results).
 */
export async function survivorWork(): Promise<string> {
  const corpus = text(3000);
  const vocabulary = Vocabulary.fromText(corpus);
  const ids = vocabulary.encode(corpus);
  const cut = Math.floor(ids.length * 0.9);
  const model = CharRNN.create({ vocabulary, cell: 'lstm', hiddenSize: 64, backend: 'native', seed: 7 });
  const run = await train(model, ids.subarray(0, cut), ids.subarray(cut), {
    maxIters: 40,
    batchSize: 8,
    seqLength: 32,
    evalEvery: 20,
    optimizer: { kind: 'adam', lr: 3e-3 },
  });
  const n = 96;
  const a = Float32Array.from({ length: n * n }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
  const c = new Float32Array(n * n);
  gemm(false, true, n, n, n, a, a, c, { backend: 'native' });
  const report = {
    smoothLoss: run.smoothLoss,
    history: run.history.map((e) => e.valLoss),
    validation: model.evaluate(ids.subarray(cut)).loss,
    sample: model.sample({ length: 200, seed: 3 }),
    gemm: c.reduce((acc, v) => acc + v, 0),
  };
  model.dispose();
  return JSON.stringify(report);
}

/** The victim: grows a large native workspace, reports 'ready', then loops in one kind of native call forever. */
async function victim(kind: Kind): Promise<void> {
  const corpus = text(40_000);
  const vocabulary = Vocabulary.fromText(corpus);
  const ids = vocabulary.encode(corpus);
  const model = CharRNN.create({ vocabulary, cell: 'lstm', hiddenSize: 256, backend: 'native' });
  const B = 32;
  const T = 64;
  const inputs = Int32Array.from({ length: B * T }, (_, i) => ids[i]);
  const targets = Int32Array.from({ length: B * T }, (_, i) => ids[i + 1]);
  const hyper = {
    optimizer: resolveOptimizer({ kind: 'adam' }),
    clipValue: 0,
    clipNorm: 5,
    reduction: 'mean',
  } as const;
  // The training workspace (tens of MB of native memory) must be freed with the worker.
  await model.trainChunkAsync(inputs, targets, B, T, { ...hyper, step: 1 });
  // Long enough that evaluate and sample would run for many seconds: only their stop check ends them early.
  const longIds = new Int32Array(ids.length * 8).map((_, i) => ids[i % ids.length]);
  const n = 512;
  const a = new Float32Array(n * n).fill(0.5);
  const c = new Float32Array(n * n);
  parentPort!.postMessage('ready');
  if (kind === 'train') {
    const cut = ids.length - 20_000;
    await train(model, ids.subarray(0, cut), ids.subarray(cut), {
      maxIters: 1e9,
      batchSize: B,
      seqLength: T,
      evalEvery: 2,
      optimizer: { kind: 'adam' },
      clipValue: 0,
      clipNorm: 5,
      reduction: 'mean',
    });
  }
  for (let step = 2; ; step++) {
    if (kind === 'trainChunk') model.trainChunk(inputs, targets, B, T, { ...hyper, step });
    else if (kind === 'trainChunkAsync')
      await model.trainChunkAsync(inputs, targets, B, T, { ...hyper, step });
    else if (kind === 'evaluate') model.evaluate(longIds);
    else if (kind === 'sample') model.sample({ length: 200_000 });
    else gemm(false, false, n, n, n, a, a, c, { backend: 'native' });
  }
}

/** Entry point of a worker thread (role and kind in workerData). */
export async function runWorker(): Promise<void> {
  const data = workerData as WorkerData;
  if (data.role === 'victim') return victim(data.kind);
  parentPort!.postMessage('ready');
  await new Promise((resolve) => parentPort!.once('message', resolve)); // 'go'
  parentPort!.postMessage(await survivorWork());
}

function once(w: Worker, event: 'message' | 'exit'): Promise<unknown> {
  return new Promise((resolve, reject) => {
    w.once(event, resolve);
    w.once('error', reject);
  });
}

/** The host: `rounds` rounds of a victim and a survivor; delays from a seeded stream. */
export async function runHost(bootstrap: string, rounds: number, seed: number): Promise<void> {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (!gc) throw new Error('run the host with --expose-gc');
  let s = seed >>> 0;
  const random = (): number => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const reference = await survivorWork();
  for (let round = 0; round < rounds; round++) {
    const kind = KINDS[round % KINDS.length];
    const victimWorker = new Worker(bootstrap, { workerData: { role: 'victim', kind } satisfies WorkerData });
    const survivor = new Worker(bootstrap, { workerData: { role: 'survivor' } satisfies WorkerData });
    const survivorExit = once(survivor, 'exit');
    let victimError: string | null = null;
    victimWorker.on('error', (err) => (victimError = String(err)));
    await Promise.all([once(victimWorker, 'message'), once(survivor, 'message')]);
    const result = once(survivor, 'message');
    survivor.postMessage('go');
    const delay = Math.floor(random() * 250);
    await sleep(delay);
    const t0 = performance.now();
    const victimExit = await victimWorker.terminate();
    const terminateMs = Math.round(performance.now() - t0);
    const got = await result;
    const survivorExitCode = (await survivorExit) as number;
    // Throws while an asynchronous call is still counted as running (one of a terminated worker never settled).
    setThreads(capabilities().threads);
    for (let i = 0; i < 3; i++) {
      gc();
      await new Promise((resolve) => setImmediate(resolve));
    }
    const report: RoundReport = {
      round,
      kind,
      delay,
      terminateMs,
      victimExit,
      victimError,
      survivorExit: survivorExitCode,
      same: got === reference,
      rssMiB: Math.round((process.memoryUsage().rss / 2 ** 20) * 10) / 10,
    };
    console.log(JSON.stringify(report));
    if (!report.same) console.log(JSON.stringify({ round, reference, got }));
  }
  console.log('host survived');
}

// The benchmark runner behind `npm run bench` and `charrnn bench`: times the training (W1–W3, W9) and sampling (W4)
// workloads of src/bench/workloads.ts with tinybench on each requested backend and thread count, after a
// warm-up, and returns one record per measurement. Deliberately no printing of its own beyond the `log`
// callback and no file output (the callers write JSON), so an installed package can run it as a library.
import { cpus } from 'node:os';
import { Bench } from 'tinybench';
import type { BackendName, StepHyper } from '../backends/backend.js';
import { capabilities, resolveBackend, setThreads } from '../backends/index.js';
import { resolveCorpus } from '../io/resolve-corpus.js';
import { CharRNN } from '../charrnn.js';
import { Batcher } from '../text/batcher.js';
import { Corpus } from '../text/corpus.js';
import { Vocabulary } from '../text/vocabulary.js';
import { type BatchedBenchData, batchedBenchData, benchBatched, W6 } from './batched.js';
import { resolveOptimizer } from '../run/optim.js';
import { Rng } from '../util/rng.js';
import {
  forwardFlops,
  WORKLOADS,
  type SamplingWorkload,
  type TrainingWorkload,
  type WorkloadModel,
  type WorkloadName,
} from './workloads.js';

export interface BenchRecord {
  /** Workload name; W4 records say which model they sample from, e.g. "W4 (W3 model)". */
  workload: string;
  /**
   * 'pytorch' / 'numpy': a peer measured on the same work in the same run (scripts/w7-torch.py and
   * scripts/w9-torch.py, W1's scripts/w1-numpy.py).
   */
  backend: BackendName | 'pytorch' | 'numpy';
  threads: number;
  /** Tokens trained (or generated) per second of wall time, from the median sample. */
  charsPerSec: number;
  gflops: number;
  /** Median milliseconds per timed call (one chunk, or one `length`-character sample). */
  medianMs: number;
  samples: number;
  isa: string;
  node: string;
  date: string;
  cpu: string;
  data: string;
  /**
   * W9 (`npm run bench`): the machine's float32 GEMM peak on as many threads, measured in the same run (the best of
   * the kernel harness's 1024³ products, ours and OpenBLAS's), which `gflops` is a fraction of.
   */
  peakGflops?: number;
}

export interface BenchOptions {
  /** Workload names (default W1, W2, W3, W4). */
  workloads?: readonly string[];
  /** Backends (default js and native). */
  backends?: readonly BackendName[];
  /** Native thread counts to measure (default: 1 and the configured count when that is more). */
  threads?: readonly number[];
  /** Seconds of timing per measurement (default 3). */
  seconds?: number;
  /** Where progress lines go (default console.log). */
  log?: (line: string) => void;
}

export interface BenchData {
  ids: Uint16Array | Int32Array;
  vocabulary: Vocabulary;
  data: string;
}

/** Token ids to train on: the Shakespeare training split, or (when unavailable) seeded random ids. */
export async function benchData(log: (line: string) => void = console.warn): Promise<BenchData> {
  try {
    const { text } = await resolveCorpus('shakespeare', { log: () => {} });
    const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
    return { ids: corpus.train, vocabulary: corpus.vocabulary, data: 'tinyshakespeare train split' };
  } catch (err) {
    log(
      `bench: Shakespeare corpus unavailable (${(err as Error).message.split('.')[0]}); using random ids over 65 symbols`,
    );
    const chars = Array.from({ length: 65 }, (_, i) => String.fromCodePoint(0x30 + i)).join('');
    const vocabulary = Vocabulary.fromText(chars);
    const rng = new Rng(1);
    const ids = Int32Array.from({ length: 1_000_000 }, () => rng.nextU32() % 65);
    return { ids, vocabulary, data: 'random ids (corpus unavailable)' };
  }
}

function createModel(m: WorkloadModel, vocabulary: Vocabulary, backend: BackendName): CharRNN {
  return CharRNN.create({
    vocabulary,
    cell: m.cell,
    hiddenSize: m.hiddenSize,
    layers: m.layers,
    embeddingSize: m.embeddingSize,
    seed: 1,
    backend,
  });
}

async function time(
  name: string,
  seconds: number,
  fn: () => void,
): Promise<{ p50: number; samples: number }> {
  // tinybench samples until both the time and the iteration minimum are met: a low minimum lets `seconds` bound
  // the slow measurements (the JS backend takes seconds per W2/W3 chunk).
  const bench = new Bench({
    time: seconds * 1000,
    iterations: 5,
    warmupTime: Math.min(1000, seconds * 300),
    warmupIterations: 2,
  });
  bench.add(name, fn);
  await bench.run();
  const lat = bench.tasks[0].result?.latency;
  if (!lat || lat.p50 === undefined) throw new Error(`bench: ${name} produced no samples`);
  return { p50: lat.p50, samples: lat.samples.length };
}

function record(
  workload: string,
  backend: BackendName,
  tokens: number,
  flopsPerToken: number,
  t: { p50: number; samples: number },
  data: BenchData,
): BenchRecord {
  const caps = capabilities();
  const charsPerSec = tokens / (t.p50 / 1000);
  return {
    workload,
    backend,
    threads: backend === 'native' ? caps.threads : 1,
    charsPerSec: Math.round(charsPerSec),
    gflops: Number(((charsPerSec * flopsPerToken) / 1e9).toFixed(3)),
    medianMs: Number(t.p50.toFixed(4)),
    samples: t.samples,
    isa: backend === 'native' ? caps.isa : 'js',
    node: process.version,
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    data: data.data,
  };
}

/** One training workload on one backend (the active thread count and, natively, kernel path). */
export async function benchTraining(
  w: TrainingWorkload,
  backend: BackendName,
  data: BenchData,
  seconds: number,
): Promise<BenchRecord> {
  const model = createModel(w.model, data.vocabulary, backend);
  try {
    const batcher = new Batcher(data.ids, w.batch, w.seqLength);
    const base = {
      optimizer: resolveOptimizer(w.optimizer),
      clipValue: w.clipValue,
      clipNorm: w.clipNorm,
      reduction: w.reduction,
    };
    let step = 0;
    const t = await time(`${w.name} ${backend}`, seconds, () => {
      if (batcher.next()) model.resetState();
      const hyper: StepHyper = { ...base, step: ++step };
      model.trainChunk(batcher.inputs, batcher.targets, w.batch, w.seqLength, hyper);
    });
    const flops = 3 * forwardFlops(w.model, data.vocabulary.size);
    return record(w.name, backend, w.batch * w.seqLength, flops, t, data);
  } finally {
    model.dispose();
  }
}

async function benchSampling(
  w: SamplingWorkload,
  from: 'W2' | 'W3',
  backend: BackendName,
  data: BenchData,
  seconds: number,
) {
  const m = WORKLOADS[from].model;
  const model = createModel(m, data.vocabulary, backend);
  try {
    let seed = 0;
    const t = await time(`${w.name} ${from} ${backend}`, seconds, () => {
      model.sample({ length: w.length, temperature: 1, seed: ++seed });
    });
    return record(`W4 (${from} model)`, backend, w.length, forwardFlops(m, data.vocabulary.size), t, data);
  } finally {
    model.dispose();
  }
}

function usable(name: BackendName, log: (line: string) => void): boolean {
  try {
    resolveBackend(name);
    return true;
  } catch (err) {
    log(`bench: skipping backend ${name}: ${(err as Error).message.split('\n')[0]}`);
    return false;
  }
}

export function formatRecord(r: BenchRecord): string {
  const plural = r.threads > 1 ? 's' : '';
  return `  ${r.backend.padEnd(6)} ${r.charsPerSec.toLocaleString('en-US').padStart(10)} chars/s  ${r.gflops
    .toFixed(2)
    .padStart(
      7,
    )} GFLOP/s  (median ${r.medianMs} ms, ${r.samples} samples, ${r.isa}, ${r.threads} thread${plural})`;
}

/** Run the requested workloads; unknown names are a RangeError naming the known ones. */
export async function runBenchmarks(options: BenchOptions = {}): Promise<BenchRecord[]> {
  const log = options.log ?? ((line: string) => console.log(line));
  const names = (options.workloads ?? ['W1', 'W2', 'W3', 'W4']).map((w) => w.trim().toUpperCase());
  for (const n of names)
    if (!(n in WORKLOADS) && n !== W6.name)
      throw new RangeError(
        `Expected one of ${[...Object.keys(WORKLOADS), W6.name].join(', ')} for workload but received ${JSON.stringify(n)}`,
      );
  const seconds = options.seconds ?? 3;
  if (!Number.isFinite(seconds) || seconds <= 0)
    throw new RangeError(`Expected a positive number of seconds for time but received ${String(seconds)}`);
  const backends = (options.backends ?? ['js', 'native']).filter((b) => usable(b, log));
  const initialThreads = capabilities().threads;
  const threadCounts = options.threads ?? [...new Set([1, initialThreads])];
  for (const t of threadCounts)
    if (!Number.isInteger(t) || t < 1 || t > 256)
      throw new RangeError(`Expected integers in [1, 256] for threads but received ${String(t)}`);
  const data = await benchData(log);
  const records: BenchRecord[] = [];
  // Each (backend, thread count) pair once; the JS backend is single-threaded.
  const runs: [BackendName, number][] = [];
  for (const b of backends)
    if (b === 'js') runs.push(['js', 1]);
    else for (const t of threadCounts) runs.push([b, t]);
  try {
    for (const name of names) {
      if (name === W6.name) {
        records.push(...(await runW6(runs, log)));
        continue;
      }
      const w = WORKLOADS[name as WorkloadName];
      log(`${w.name}: ${w.title}`);
      const models = w.kind === 'sample' ? w.models : [null];
      for (const from of models)
        for (const [backend, threads] of runs) {
          // W1 is one tiny stream: extra threads cannot help it, so it runs once per backend.
          if (name === 'W1' && backend === 'native' && threads !== threadCounts[0]) continue;
          if (name === 'W9' && backend === 'js') {
            log('  js: skipped: W9 is native only (the pure-TypeScript backend takes minutes per chunk)');
            continue;
          }
          if (backend === 'native') setThreads(threads);
          try {
            const r =
              w.kind === 'sample'
                ? await benchSampling(w, from!, backend, data, seconds)
                : await benchTraining(w, backend, data, seconds);
            records.push(r);
            log(`${from ? `  [${from} model]` : ''}${formatRecord(r)}`);
          } catch (err) {
            log(`  ${backend}: skipped: ${(err as Error).message.split('\n')[0]}`);
          }
        }
      const mine = records.filter((r) => r.workload.startsWith(w.name));
      for (const js of mine.filter((r) => r.backend === 'js'))
        for (const nat of mine.filter((r) => r.backend === 'native' && r.workload === js.workload))
          log(
            `  ${js.workload}: native (${nat.threads} thread${nat.threads > 1 ? 's' : ''}) / js = ${(nat.charsPerSec / js.charsPerSec).toFixed(1)}×`,
          );
    }
  } finally {
    if (backends.includes('native')) setThreads(initialThreads);
  }
  return records;
}

/**
 * W6 (batched inference, src/bench/batched.ts) on each (backend, threads) pair: its records, each line printed, and
 * the two ratios of the workload per pair (64 streams against batch-1 generation; rank against the one-at-a-time
 * score loop). Repeat-based (medians of a few runs each), so `seconds` does not apply. `data`: other lines than
 * the validation split's (a quick run).
 */
export async function runW6(
  runs: [BackendName, number][],
  log: (line: string) => void,
  data?: BatchedBenchData,
): Promise<BenchRecord[]> {
  log(`${W6.name}: ${W6.title}`);
  const d = data ?? (await batchedBenchData(log));
  const out: BenchRecord[] = [];
  for (const [backend, threads] of runs) {
    if (backend === 'native') setThreads(threads);
    try {
      const rs = benchBatched(backend, d, backend === 'js' ? 3 : 5);
      for (const r of rs)
        log(
          `  ${r.workload.padEnd(40)} ${r.backend.padEnd(6)} ${r.charsPerSec.toLocaleString('en-US').padStart(9)} tokens/s ` +
            `${r.gflops.toFixed(2).padStart(7)} GFLOP/s  (${r.isa}, ${r.threads} thread${r.threads > 1 ? 's' : ''})`,
        );
      const [gen, , loop1, rank, scoreLoop] = rs;
      log(
        `  → ${backend} ${threads} thread${threads > 1 ? 's' : ''}: 64 streams / batch-1 sampling loop = ` +
          `${(gen.charsPerSec / loop1.charsPerSec).toFixed(2)}×; rank / one-at-a-time score loop = ` +
          `${(rank.charsPerSec / scoreLoop.charsPerSec).toFixed(2)}×`,
      );
      out.push(...rs);
    } catch (err) {
      log(`  ${backend}: skipped: ${(err as Error).message.split('\n')[0]}`);
    }
  }
  return out;
}

/** A compact table of records (one line each) and the machine line, for terminals. */
export function summarize(records: readonly BenchRecord[], data?: string): string {
  const lines = records.map(
    (r) =>
      `${r.workload.padEnd(14)} ${r.backend.padEnd(6)} ${String(r.threads).padStart(2)}t ${r.charsPerSec
        .toLocaleString('en-US')
        .padStart(10)} chars/s ${r.gflops.toFixed(2).padStart(7)} GFLOP/s  ${r.isa}`,
  );
  const cpu = cpus();
  lines.push(
    `machine: ${cpu[0]?.model ?? 'unknown'} × ${cpu.length}, Node ${process.version}, ${new Date().toISOString()}${data ? `, data: ${data}` : ''}`,
  );
  return lines.join('\n');
}

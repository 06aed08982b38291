// `npm run bench`: times the workloads of ../shared/WORKLOADS.md on every available backend (and native thread
// count) with tinybench, after a warm-up, plus the C++ kernel harness and the drop-in bench, and prints a table
// (and a JSON array with --json FILE). The W1–W4 part is src/bench/runner.ts, which `charrnn bench` also runs.
//   npm run bench -- [--workload W1,W2,W3,W4,W6,W7,W9,gemm,dropin] [--backend js,native] [--threads 1,2]
//                    [--time SECONDS] [--json FILE] [--torch [--python PATH]] [--peers numpy [--rounds N]]
// W6 (batched generation and rank, src/bench/batched.ts) runs every backend at each thread count (and the AVX2 path
// where dispatch picks another), measures the float32 gemm peak at the same thread counts in the same run, and with
// --torch times PyTorch's batched nn.LSTM generation loop (scripts/w6-torch.py).
// W7 (classify and tag heads, src/bench/sequence.ts) with --torch also times PyTorch on the same batches in the same
// run (scripts/w7-torch.py at 1 and 2 threads, the second with OMP_WAIT_POLICY=passive) and prints native / PyTorch.
// W1 with --peers numpy runs min-char-rnn's numpy loop (scripts/w1-numpy.py, float32 and float64) side by side with
// charrnn's W1 in the same run: --rounds rounds (default 3), each timing in turn native (the kernel path the
// dispatch picks), native with avx2 forced, the JS backend and numpy; it prints each round's ratios and the ratios
// of the medians, and the W1 records are the medians over the rounds.
// W9 (native only) is followed at each thread count by the sgemm peak on as many threads (the kernel harness), and
// reports its GFLOP/s as a fraction of it; with --torch, scripts/w9-torch.py times PyTorch on the same chunks.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { BackendName } from '../src/backends/backend.js';
import { capabilities, setThreads } from '../src/backends/index.js';
import { loadNative } from '../src/backends/native.js';
import {
  benchData,
  benchTraining,
  formatRecord,
  runBenchmarks,
  summarize,
  type BenchRecord,
} from '../src/bench/runner.js';
import { forwardFlops, WORKLOADS } from '../src/bench/workloads.js';
import { benchSequence, sequenceBenchData, toTorchJson, W7 } from '../src/bench/sequence.js';
import { batchedBenchData, benchBatched, W6 } from '../src/bench/batched.js';
import { Batcher } from '../src/text/batcher.js';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1,W2,W3,W4,gemm,dropin' },
    backend: { type: 'string', default: 'js,native' },
    threads: { type: 'string' },
    time: { type: 'string', default: '3' },
    json: { type: 'string' },
    torch: { type: 'boolean', default: false },
    python: { type: 'string', default: '/usr/bin/python3' },
    peers: { type: 'string' },
    rounds: { type: 'string', default: '3' },
  },
});

const wanted = values.workload.split(',').map((w) => w.trim().toUpperCase());
const backends = values.backend.split(',').map((b) => b.trim()) as BackendName[];
const threads = values.threads?.split(',').map((t) => Number(t.trim()));
const seconds = Number(values.time);
const peers = values.peers?.split(',').map((p) => p.trim().toLowerCase()) ?? [];
for (const p of peers)
  if (p !== 'numpy') throw new RangeError(`Expected numpy for --peers but received ${JSON.stringify(p)}`);
const rounds = Number(values.rounds);
if (!Number.isInteger(rounds) || rounds < 1 || rounds > 99)
  throw new RangeError(
    `Expected an integer in [1, 99] for --rounds but received ${JSON.stringify(values.rounds)}`,
  );

const root = new URL('../', import.meta.url).pathname;

/** Builds the kernel harness (native/tests/kernel_bench, plain C++ without Node); false, with a warning, when it fails. */
function buildKernelHarness(): boolean {
  const make = spawnSync('make', ['-s', '-C', 'native/tests', 'kernel_bench'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (make.status === 0) return true;
  console.warn(
    `bench: could not build the kernel harness: ${(make.stderr || make.stdout).trim().split('\n')[0]}`,
  );
  return false;
}

/**
 * One kernel-harness run: the shapes whose name contains `filter` (and variants whose name contains `variant`) on
 * `threads` threads; prints its table (unless `quiet`) and returns one record per timed line.
 */
function runKernelHarness(
  filter: string,
  threads: number,
  variant?: string,
  quiet = false,
  wall = false,
): BenchRecord[] {
  const args = [
    ...(wall ? ['--wall'] : []),
    '--threads',
    String(threads),
    filter,
    ...(variant ? [variant] : []),
  ];
  const run = spawnSync('native/tests/kernel_bench', args, { cwd: root, encoding: 'utf8' });
  if (!quiet)
    process.stdout.write(
      run.stdout
        .split('\n')
        .filter((l) => !l.startsWith('kernel_bench:') && !l.startsWith('OpenBLAS core'))
        .join('\n'),
    );
  if (run.status !== 0) throw new Error(`bench: kernel harness failed (${filter}): ${run.stderr}`);
  const out: BenchRecord[] = [];
  for (const line of run.stdout.split('\n')) {
    const m = /^(.*?)\s+(scalar|avx2|avx512|neon|openblas)\s+([\d.]+)\s+([\d.]+)/.exec(line);
    if (!m) continue;
    out.push({
      workload: `gemm ${m[1].trim().replace(/\s+/g, ' ')}`,
      backend: 'native',
      threads,
      charsPerSec: 0,
      gflops: Number(m[3]),
      medianMs: Number(m[4]) / 1000,
      samples: 7,
      isa: m[2],
      node: process.version,
      date: new Date().toISOString(),
      cpu: cpus()[0]?.model ?? 'unknown',
      data: 'random matrices',
    });
  }
  return out;
}

/**
 * The kernel harness: checks every variant against the naive reference, then times gemm at the W1/W2/W3 shapes
 * and at 1024³ (and OpenBLAS when it is installed).
 */
function benchKernels(): BenchRecord[] {
  if (!buildKernelHarness()) return [];
  const out: BenchRecord[] = [];
  // Single thread for every shape; then, on a multi-core machine, the peak and the W2/W3 shapes on all cores.
  const cores = cpus().length;
  const runs: [string, number][] = [
    ['peak', 1],
    ['W2', 1],
    ['W3', 1],
    ['W1', 1],
  ];
  if (cores > 1) runs.push(['peak', cores], ['W2', cores], ['W3', cores]);
  for (const [filter, threads] of runs) {
    if (threads > 1) console.log(`gemm on ${threads} threads (wall time):`);
    out.push(...runKernelHarness(filter, threads));
  }
  return out;
}

/** The float32 gemm peak (GFLOP/s, 1024³ NT, wall time) of the kernel harness on `isa` at `threads` threads. */
function gemmPeak(threads: number, isa: string): number | undefined {
  const root = new URL('../', import.meta.url).pathname;
  const make = spawnSync('make', ['-s', '-C', 'native/tests', 'kernel_bench'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (make.status !== 0) return undefined;
  // --wall: W6's rates are wall time, so the peak is too (on one thread the harness would take thread CPU time).
  const run = spawnSync(
    'native/tests/kernel_bench',
    ['--wall', '--threads', String(threads), 'peak nt', isa],
    {
      cwd: root,
      encoding: 'utf8',
    },
  );
  const m = new RegExp(`^peak nt 1024\\^3\\s+${isa}\\s+([\\d.]+)`, 'm').exec(run.stdout ?? '');
  return m ? Number(m[1]) : undefined;
}

/** PyTorch's W6 generation record (64 streams, nn.LSTM + Linear + multinomial) at `threads` threads. */
function torchW6(threads: number, vocabSize: number): BenchRecord | undefined {
  const env = { ...process.env, ...(threads > 1 ? { OMP_WAIT_POLICY: 'passive' } : {}) };
  const run = spawnSync(
    values.python,
    [
      'scripts/w6-torch.py',
      '--threads',
      String(threads),
      '--streams',
      String(W6.streams),
      '--vocab',
      String(vocabSize),
      '--time',
      String(seconds),
    ],
    { cwd: new URL('../', import.meta.url).pathname, encoding: 'utf8', env },
  );
  if (run.status !== 0) {
    console.warn(`bench: PyTorch W6 failed: ${(run.stderr || run.stdout).trim().split('\n').at(-1)}`);
    return undefined;
  }
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    tokensPerSec: number;
    gflops: number;
    torch: string;
  };
  return {
    workload: `W6 generate ${W6.streams} streams`,
    backend: 'pytorch',
    threads,
    charsPerSec: Math.round(r.tokensPerSec),
    gflops: r.gflops,
    medianMs: 0,
    samples: 0,
    isa: `torch ${r.torch}${threads > 1 ? ' OMP_WAIT_POLICY=passive' : ''}`,
    node: process.version,
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    data: 'random weights',
  };
}

/** W6 on every backend (native at each thread count, dispatch and AVX2 paths), the gemm peak, and PyTorch. */
async function benchW6(): Promise<BenchRecord[]> {
  console.log(`W6: ${W6.title}`);
  const d = await batchedBenchData();
  const out: BenchRecord[] = [];
  const caps = capabilities();
  const native = loadNative().binding;
  const counts = threads ?? [1, Math.max(1, cpus().length)].filter((t, i, a) => a.indexOf(t) === i);
  const isas = caps.supported.filter((i) => i === caps.isa || i === 'avx2');
  const print = (r: BenchRecord, peak?: number) =>
    console.log(
      `  ${r.workload.padEnd(40)} ${r.backend.padEnd(7)} ${String(r.threads).padStart(2)} thr ${r.isa.padEnd(8)} ${r.charsPerSec
        .toLocaleString('en-US')
        .padStart(
          9,
        )} tokens/s ${r.gflops.toFixed(1).padStart(7)} GFLOP/s${peak ? `  ${((100 * r.gflops) / peak).toFixed(1)}% of peak ${peak.toFixed(1)}` : ''}`,
    );
  const initial = caps.threads;
  try {
    for (const backend of backends) {
      if (backend === 'js') {
        const rs = benchBatched('js', d, 3);
        rs.forEach((r) => print(r));
        out.push(...rs);
        continue;
      }
      for (const isa of isas) {
        native?.setIsa(isa);
        for (const t of counts) {
          setThreads(t);
          const peak = gemmPeak(t, isa);
          const rs = benchBatched('native', d);
          for (const r of rs) print(r, peak);
          const [gen, , loop1, rank, scoreLoop] = rs;
          if (peak)
            out.push({
              ...gen,
              workload: `gemm peak nt 1024^3`,
              charsPerSec: 0,
              gflops: peak,
              medianMs: 0,
              data: 'random matrices',
            });
          console.log(
            `  → ${t} thread${t > 1 ? 's' : ''} ${isa}: generation 64 streams / batch-1 sampling loop = ${(gen.charsPerSec / loop1.charsPerSec).toFixed(2)}×; rank / one-at-a-time loop = ${(rank.charsPerSec / scoreLoop.charsPerSec).toFixed(2)}×`,
          );
          out.push(...rs);
        }
      }
      native?.setIsa(caps.isa);
    }
    if (values.torch)
      for (const t of [1, 2]) {
        const r = torchW6(t, 65);
        if (r) {
          print(r);
          out.push(r);
        }
      }
  } finally {
    setThreads(initial);
  }
  return out;
}

/** PyTorch's W7 record on `file`'s batches with `threads` threads (undefined, with a warning, when it fails). */
function torchW7(file: string, threads: number): BenchRecord | undefined {
  const env = { ...process.env, ...(threads > 1 ? { OMP_WAIT_POLICY: 'passive' } : {}) };
  const run = spawnSync(
    values.python,
    ['scripts/w7-torch.py', file, '--threads', String(threads), '--time', String(seconds), '--json'],
    { cwd: root, encoding: 'utf8', env },
  );
  if (run.status !== 0) {
    console.warn(
      `bench: PyTorch W7 failed (${values.python}): ${(run.stderr || run.stdout).trim().split('\n').at(-1)}`,
    );
    return undefined;
  }
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    workload: string;
    threads: number;
    charsPerSec: number;
    medianMs: number;
    samples: number;
    torch: string;
  };
  return {
    workload: r.workload,
    backend: 'pytorch',
    threads: r.threads,
    charsPerSec: Math.round(r.charsPerSec),
    gflops: 0,
    medianMs: Number(r.medianMs.toFixed(4)),
    samples: r.samples,
    isa: `torch ${r.torch}${threads > 1 ? ' OMP_WAIT_POLICY=passive' : ''}`,
    node: process.version,
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    data: 'same batches',
  };
}

/** W7: both heads on every requested backend (native at each thread count), and PyTorch with --torch. */
async function benchW7(): Promise<BenchRecord[]> {
  console.log(`W7: ${W7.title}`);
  const out: BenchRecord[] = [];
  const initial = capabilities().threads;
  const tmp = mkdtempSync(join(tmpdir(), 'charrnn-w7-'));
  try {
    for (const task of ['classify', 'tag'] as const) {
      const d = await sequenceBenchData(task);
      console.log(
        `  ${task}: ${d.batches.length} batches of ${W7.batch} from ${d.data} (V ${d.V}, C ${d.C})`,
      );
      const mine: BenchRecord[] = [];
      for (const backend of backends)
        for (const t of backend === 'native' ? (threads ?? [...new Set([1, initial])]) : [1]) {
          if (backend === 'native') setThreads(t);
          try {
            const r = benchSequence(d, backend, seconds);
            mine.push(r);
            console.log(formatRecord(r));
          } catch (err) {
            console.log(`  ${backend}: skipped: ${(err as Error).message.split('\n')[0]}`);
          }
        }
      if (values.torch) {
        const file = join(tmp, `${task}.json`);
        writeFileSync(file, toTorchJson(d));
        const torch = [1, 2].map((t) => torchW7(file, t)).filter((r) => r !== undefined);
        for (const r of torch)
          console.log(
            `  pytorch ${r.charsPerSec.toLocaleString('en-US').padStart(10)} chars/s  (median ${r.medianMs} ms, ${r.samples} samples, ${r.threads} thread${r.threads > 1 ? 's' : ''}, ${r.isa})`,
          );
        const best = torch.sort((a, b) => b.charsPerSec - a.charsPerSec)[0];
        for (const nat of mine.filter((r) => r.backend === 'native'))
          if (best)
            console.log(
              `  W7 ${task}: native (${nat.threads} thread${nat.threads > 1 ? 's' : ''}) / PyTorch's best (${best.threads} thread${best.threads > 1 ? 's' : ''}) = ${(nat.charsPerSec / best.charsPerSec).toFixed(2)}×`,
            );
        mine.push(...torch);
      }
      out.push(...mine);
    }
  } finally {
    setThreads(initial);
    rmSync(tmp, { recursive: true, force: true });
  }
  return out;
}

/** W1's numpy peer in one dtype (undefined, with a warning, when it fails). */
function numpyW1(dtype: 'float32' | 'float64', V: number): BenchRecord | undefined {
  const root = new URL('../', import.meta.url).pathname;
  const run = spawnSync(
    values.python,
    ['scripts/w1-numpy.py', '--dtype', dtype, '--time', String(seconds), '--json'],
    { cwd: root, encoding: 'utf8' },
  );
  if (run.status !== 0) {
    console.warn(
      `bench: numpy W1 failed (${values.python}): ${(run.stderr || run.stdout).trim().split('\n').at(-1)}`,
    );
    return undefined;
  }
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    charsPerSec: number;
    medianMs: number;
    samples: number;
    numpy: string;
  };
  const w = WORKLOADS.W1;
  return {
    workload: 'W1',
    backend: 'numpy',
    threads: 1,
    charsPerSec: Math.round(r.charsPerSec),
    gflops: Number(((r.charsPerSec * 3 * forwardFlops(w.model, V)) / 1e9).toFixed(3)),
    medianMs: Number(r.medianMs.toFixed(4)),
    samples: r.samples,
    isa: `numpy ${r.numpy} ${dtype}`,
    node: process.version,
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    data: 'tinyshakespeare train split',
  };
}

/** The record whose charsPerSec is the median of `rs` (the lower middle one for an even count). */
function medianRecord(rs: readonly BenchRecord[]): BenchRecord {
  const sorted = [...rs].sort((a, b) => a.charsPerSec - b.charsPerSec);
  return { ...sorted[(sorted.length - 1) >> 1], samples: rs.reduce((n, r) => n + r.samples, 0) };
}

/**
 * W1 side by side with min-char-rnn's numpy loop: `rounds` rounds, each timing native (the dispatched kernel
 * path), native with avx2 forced (when this CPU has it), the JS backend, and numpy in float32 and float64, one
 * after the other; prints each round's ratios and the ratios of the medians; returns the median records.
 */
async function benchW1Peers(): Promise<BenchRecord[]> {
  const w = WORKLOADS.W1;
  console.log(`W1: ${w.title}; side by side with scripts/w1-numpy.py, ${rounds} rounds`);
  const data = await benchData();
  const native = loadNative().binding;
  const caps = capabilities();
  const initialThreads = caps.threads;
  const best = caps.supported[0];
  type Key = 'native' | 'native avx2' | 'js' | 'numpy float32' | 'numpy float64';
  // all.get(key)[round − 1]: that round's record (a hole when that measurement failed).
  const all = new Map<Key, (BenchRecord | undefined)[]>();
  let round = 0;
  const add = (k: Key, r: BenchRecord | undefined) => {
    if (r === undefined) return;
    if (!all.has(k)) all.set(k, []);
    all.get(k)![round - 1] = r;
    console.log(`${formatRecord(r)}${k === 'native avx2' ? ' [forced]' : ''}`);
  };
  const ratio = (a: BenchRecord | undefined, b: BenchRecord | undefined) =>
    a && b ? `${(a.charsPerSec / b.charsPerSec).toFixed(2)}×` : 'n/a';
  const fastestNumpy = (a?: BenchRecord, b?: BenchRecord) =>
    a && b ? (a.charsPerSec >= b.charsPerSec ? a : b) : (a ?? b);
  const report = (label: string, get: (k: Key) => BenchRecord | undefined) => {
    const np = fastestNumpy(get('numpy float32'), get('numpy float64'));
    console.log(
      `  W1 ${label}: native/numpy = ${ratio(get('native'), np)} (numpy ${np?.isa.split(' ').at(-1) ?? 'n/a'}), ` +
        `native(avx2)/numpy = ${ratio(get('native avx2'), np)}, native/numpy float64 = ${ratio(get('native'), get('numpy float64'))}, ` +
        `native/js = ${ratio(get('native'), get('js'))}`,
    );
  };
  try {
    if (native) native.setThreads(1);
    for (round = 1; round <= rounds; round++) {
      console.log(`  round ${round}:`);
      if (native) {
        native.setIsa(best);
        add('native', await benchTraining(w, 'native', data, seconds));
        if (caps.supported.includes('avx2')) {
          native.setIsa('avx2');
          add('native avx2', await benchTraining(w, 'native', data, seconds));
          native.setIsa(best);
        }
      }
      add('js', await benchTraining(w, 'js', data, seconds));
      add('numpy float32', numpyW1('float32', data.vocabulary.size));
      add('numpy float64', numpyW1('float64', data.vocabulary.size));
      report(`round ${round}`, (k) => all.get(k)?.[round - 1]);
    }
  } finally {
    if (native) {
      native.setIsa(caps.isa); // as it was (CHARRNN_SIMD may have forced another path)
      native.setThreads(initialThreads);
    }
  }
  const medians = new Map([...all].map(([k, rs]) => [k, medianRecord(rs.filter((r) => r !== undefined))]));
  report(`medians of ${rounds} rounds`, (k) => medians.get(k));
  // On a shared machine the load changes between rounds; the ratio within each round is the side-by-side figure.
  const perRound = (a: Key, b: (i: number) => BenchRecord | undefined) => {
    const rs = (all.get(a) ?? []).flatMap((r, i) => {
      const d = b(i);
      return r && d ? [r.charsPerSec / d.charsPerSec] : [];
    });
    rs.sort((x, y) => x - y);
    return rs.length > 0 ? `${rs[(rs.length - 1) >> 1].toFixed(2)}×` : 'n/a';
  };
  const np = (i: number) => fastestNumpy(all.get('numpy float32')?.[i], all.get('numpy float64')?.[i]);
  console.log(
    `  W1 median of the per-round ratios: native/numpy = ${perRound('native', np)}, native(avx2)/numpy = ${perRound('native avx2', np)}, ` +
      `native/numpy float64 = ${perRound('native', (i) => all.get('numpy float64')?.[i])}, native/js = ${perRound('native', (i) => all.get('js')?.[i])}`,
  );
  return [...medians].map(([k, r]) =>
    k === 'native avx2' ? { ...r, isa: 'avx2 (CHARRNN_SIMD forced)' } : r,
  );
}

/**
 * The machine's float32 GEMM peak on `threads` threads, measured now in wall time: the best of the kernel harness's
 * 1024³ products (nn, nt, tn; each the best of 7 batches) over our best kernel table, the active one when
 * CHARRNN_SIMD forces another, and OpenBLAS when it is installed. Returns the records too (for the JSON) and undefined when the harness is unavailable.
 */
function sgemmPeak(threads: number): { gflops: number; by: string; records: BenchRecord[] } | undefined {
  const caps = capabilities();
  const tables = [...new Set([caps.supported[0], caps.isa])].filter((t) => t !== 'scalar' && t !== 'js');
  // Wall time on one thread too (the harness's default there is thread CPU time), as W9's chars/s are.
  const records = [...tables, 'openblas'].flatMap((v) => runKernelHarness('peak', threads, v, true, true));
  if (records.length === 0) return undefined;
  const best = records.reduce((a, b) => (b.gflops > a.gflops ? b : a));
  return { gflops: best.gflops, by: `${best.isa} ${best.workload.replace(/^gemm peak /, '')}`, records };
}

const pct = (x: number) => `${(100 * x).toFixed(0)}%`;

/** PyTorch's W9 record on `file`'s chunks in one thread setting (undefined, with a warning, when it fails). */
interface TorchSetting {
  threads: number;
  cores: number;
  env: Record<string, string>;
  label: string;
}

function torchW9(file: string, V: number, setting: TorchSetting): BenchRecord | undefined {
  const run = spawnSync(
    values.python,
    ['scripts/w9-torch.py', file, '--threads', String(setting.threads), '--time', String(seconds), '--json'],
    { cwd: root, encoding: 'utf8', env: { ...process.env, ...setting.env } },
  );
  if (run.status !== 0) {
    console.warn(
      `bench: PyTorch W9 failed (${values.python}): ${(run.stderr || run.stdout).trim().split('\n').at(-1)}`,
    );
    return undefined;
  }
  const r = JSON.parse(run.stdout.trim().split('\n').at(-1)!) as {
    charsPerSec: number;
    medianMs: number;
    samples: number;
    torch: string;
  };
  const flops = 3 * forwardFlops(WORKLOADS.W9.model, V);
  return {
    workload: 'W9',
    backend: 'pytorch',
    threads: setting.cores,
    charsPerSec: Math.round(r.charsPerSec),
    gflops: Number(((r.charsPerSec * flops) / 1e9).toFixed(3)),
    medianMs: Number(r.medianMs.toFixed(4)),
    samples: r.samples,
    isa: `torch ${r.torch}, ${setting.label}`,
    node: process.version,
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    data: 'same chunks',
  };
}

/**
 * W9 (`big`): the native backend at each thread count, each followed by the sgemm peak on as many threads, so
 * the record carries the fraction of peak it reached; with --torch, PyTorch on the same first chunks in its
 * 1-core setting and in its two 2-core ones (OpenBLAS on 2 threads under set_num_threads(1); set_num_threads(2)
 * with OMP_WAIT_POLICY=passive), and native / PyTorch's best.
 */
async function benchW9(): Promise<BenchRecord[]> {
  const w = WORKLOADS.W9;
  console.log(`W9: ${w.title}`);
  const out: BenchRecord[] = [];
  const harness = buildKernelHarness();
  const initial = capabilities().threads;
  if (!backends.includes('native'))
    console.log('  W9 is native only (the pure-TypeScript backend takes minutes per chunk): nothing to run');
  const mine: BenchRecord[] = [];
  if (backends.includes('native'))
    for (const t of threads ?? [...new Set([1, initial])]) {
      const [r] = await runBenchmarks({
        workloads: ['W9'],
        backends: ['native'],
        threads: [t],
        seconds,
        log: (line) => {
          if (!line.startsWith('W9:')) console.log(line);
        },
      });
      if (!r) continue;
      mine.push(r);
      const peak = harness ? sgemmPeak(t) : undefined;
      if (!peak) continue;
      r.peakGflops = peak.gflops;
      out.push(...peak.records);
      console.log(
        `  W9 native (${t} thread${t > 1 ? 's' : ''}, ${r.isa}): ${r.gflops.toFixed(1)} GFLOP/s = ${pct(r.gflops / peak.gflops)} of the ${t}-thread sgemm peak, ${peak.gflops.toFixed(1)} GFLOP/s (${peak.by}), measured just after`,
      );
    }
  out.push(...mine);
  if (values.torch) {
    const data = await benchData(() => {});
    const batcher = new Batcher(data.ids, w.batch, w.seqLength);
    const chunks = Array.from({ length: 6 }, () => {
      batcher.next();
      return { inputs: Array.from(batcher.inputs), targets: Array.from(batcher.targets) };
    });
    const tmp = mkdtempSync(join(tmpdir(), 'charrnn-w9-'));
    const file = join(tmp, 'chunks.json');
    writeFileSync(
      file,
      JSON.stringify({
        V: data.vocabulary.size,
        E: w.model.embeddingSize,
        H: w.model.hiddenSize,
        layers: w.model.layers,
        B: w.batch,
        T: w.seqLength,
        chunks,
      }),
    );
    const settings: TorchSetting[] = [
      {
        threads: 1,
        cores: 1,
        env: { OPENBLAS_NUM_THREADS: '1' },
        label: 'set_num_threads(1), OpenBLAS 1 thread',
      },
      {
        threads: 1,
        cores: 2,
        env: { OPENBLAS_NUM_THREADS: '2' },
        label: 'set_num_threads(1), OpenBLAS 2 threads',
      },
      {
        threads: 2,
        cores: 2,
        env: { OPENBLAS_NUM_THREADS: '2', OMP_WAIT_POLICY: 'passive' },
        label: 'set_num_threads(2), OMP_WAIT_POLICY=passive',
      },
    ];
    let torch: BenchRecord[];
    try {
      torch = settings.map((s) => torchW9(file, data.vocabulary.size, s)).filter((r) => r !== undefined);
    } finally {
      rmSync(tmp, { recursive: true, force: true });
    }
    for (const r of torch)
      console.log(
        `  pytorch ${r.charsPerSec.toLocaleString('en-US').padStart(10)} chars/s  ${r.gflops.toFixed(2).padStart(7)} GFLOP/s  (median ${r.medianMs} ms, ${r.samples} samples, ${r.isa})`,
      );
    const best = [...torch].sort((a, b) => b.charsPerSec - a.charsPerSec)[0];
    if (best) {
      const peak = mine.find((r) => r.threads === best.threads)?.peakGflops;
      if (peak)
        console.log(
          `  W9 PyTorch's best (${best.isa.replace(/^torch [^,]*, /, '')}): ${pct(best.gflops / peak)} of the ${best.threads}-thread sgemm peak`,
        );
      for (const nat of mine)
        console.log(
          `  W9: native (${nat.threads} thread${nat.threads > 1 ? 's' : ''}) / PyTorch's best (${best.isa.replace(/^torch [^,]*, /, '')}) = ${(nat.charsPerSec / best.charsPerSec).toFixed(2)}×`,
        );
    }
    // One record per core count for the JSON (the table has one column per backend and thread count): the 1-core
    // setting and the better 2-core one.
    for (const cores of [...new Set(torch.map((r) => r.threads))])
      out.push(torch.filter((r) => r.threads === cores).sort((a, b) => b.charsPerSec - a.charsPerSec)[0]);
  }
  return out;
}

const records: BenchRecord[] = [];
const training = wanted.filter(
  (w) =>
    w !== 'GEMM' &&
    w !== 'DROPIN' &&
    w !== 'W7' &&
    w !== 'W6' &&
    w !== 'W9' &&
    !(w === 'W1' && peers.includes('numpy')),
);
let dataName: string | undefined;
if (training.length > 0) {
  dataName = (await benchData(() => {})).data;
  records.push(...(await runBenchmarks({ workloads: training, backends, threads, seconds })));
}
if (wanted.includes('W1') && peers.includes('numpy')) {
  const w1 = await benchW1Peers();
  records.push(...w1);
  dataName ??= w1[0]?.data;
}
if (wanted.includes('W6')) records.push(...(await benchW6()));
if (wanted.includes('W7')) records.push(...(await benchW7()));
if (wanted.includes('W9')) records.push(...(await benchW9()));
if (wanted.includes('GEMM')) {
  console.log(
    'gemm: kernel harness (single thread, best of 7, each variant checked against the naive reference first)',
  );
  records.push(...benchKernels());
}
if (wanted.includes('DROPIN')) {
  // The drop-in workload (a user's hand-written min-char-rnn loop vs the same loop on our lossFun).
  const run = spawnSync(process.execPath, ['--import', 'tsx', 'bench/dropin.ts', '--time', String(seconds)], {
    cwd: root,
    stdio: 'inherit',
  });
  if (run.status !== 0) throw new Error('bench: bench/dropin.ts failed');
}
console.table(
  records.map(({ workload, backend, threads, charsPerSec, gflops, medianMs, isa }) => ({
    workload,
    backend,
    threads,
    charsPerSec,
    gflops,
    medianMs,
    isa,
  })),
);
console.log(summarize(records, dataName));
if (values.json) {
  writeFileSync(values.json, JSON.stringify(records, null, 2) + '\n');
  console.log(`wrote ${values.json}`);
}

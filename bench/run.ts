// `npm run bench`: times the workloads of ../shared/WORKLOADS.md on every available backend (and native thread
// count) with tinybench, after a warm-up, plus the C++ kernel harness and the drop-in bench, and prints a table
// (and a JSON array with --json FILE). The W1–W4 part is src/bench/runner.ts, which `charrnn bench` also runs.
//   npm run bench -- [--workload W1,W2,W3,W4,gemm,dropin] [--backend js,native] [--threads 1,2] [--time SECONDS]
//                    [--json FILE]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import type { BackendName } from '../src/backends/backend.js';
import { benchData, runBenchmarks, summarize, type BenchRecord } from '../src/bench/runner.js';

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1,W2,W3,W4,gemm,dropin' },
    backend: { type: 'string', default: 'js,native' },
    threads: { type: 'string' },
    time: { type: 'string', default: '3' },
    json: { type: 'string' },
  },
});

const wanted = values.workload.split(',').map((w) => w.trim().toUpperCase());
const backends = values.backend.split(',').map((b) => b.trim()) as BackendName[];
const threads = values.threads?.split(',').map((t) => Number(t.trim()));
const seconds = Number(values.time);

/**
 * The kernel harness (native/tests/kernel_bench, plain C++ without Node): checks every variant against the
 * naive reference, then times gemm at the W1/W2 shapes and at 1024³ (and OpenBLAS when it is installed).
 */
function benchKernels(): BenchRecord[] {
  const root = new URL('../', import.meta.url).pathname;
  const make = spawnSync('make', ['-s', '-C', 'native/tests', 'kernel_bench'], {
    cwd: root,
    encoding: 'utf8',
  });
  if (make.status !== 0) {
    console.warn(
      `bench: could not build the kernel harness: ${(make.stderr || make.stdout).trim().split('\n')[0]}`,
    );
    return [];
  }
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
    const run = spawnSync('native/tests/kernel_bench', ['--threads', String(threads), filter], {
      cwd: root,
      encoding: 'utf8',
    });
    process.stdout.write(
      run.stdout
        .split('\n')
        .filter((l) => !l.startsWith('kernel_bench:') && !l.startsWith('OpenBLAS core'))
        .join('\n'),
    );
    if (run.status !== 0) throw new Error(`bench: kernel harness failed (${filter}): ${run.stderr}`);
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
  }
  return out;
}

const records: BenchRecord[] = [];
const training = wanted.filter((w) => w !== 'GEMM' && w !== 'DROPIN');
let dataName: string | undefined;
if (training.length > 0) {
  dataName = (await benchData(() => {})).data;
  records.push(...(await runBenchmarks({ workloads: training, backends, threads, seconds })));
}
if (wanted.includes('GEMM')) {
  console.log(
    'gemm: kernel harness (single thread, best of 7, each variant checked against the naive reference first)',
  );
  records.push(...benchKernels());
}
if (wanted.includes('DROPIN')) {
  // The drop-in workload (a user's hand-written min-char-rnn loop vs the same loop on our lossFun).
  const root = new URL('../', import.meta.url).pathname;
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

// `npm run bench`: times the workloads of ../shared/WORKLOADS.md on every available backend with tinybench,
// after a warm-up, and prints a table (and a JSON array with --json FILE).
//   npm run bench -- [--workload W1,W2,gemm,dropin] [--backend js,native] [--time SECONDS] [--json FILE]
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { parseArgs } from 'node:util';
import { Bench } from 'tinybench';
import { resolveCorpus } from '../src/io/resolve-corpus.js';
import { Corpus } from '../src/text/corpus.js';
import { Batcher } from '../src/text/batcher.js';
import { CharRNN } from '../src/model/model.js';
import { resolveOptimizer } from '../src/train/optim.js';
import { capabilities, resolveBackend } from '../src/backends/index.js';
import type { BackendName, StepHyper } from '../src/backends/backend.js';
import { Vocabulary } from '../src/text/vocabulary.js';
import { Rng } from '../src/util/rng.js';
import { WORKLOADS, type TrainingWorkload } from './workloads.js';

export interface BenchRecord {
  workload: string;
  backend: BackendName;
  threads: number;
  charsPerSec: number;
  gflops: number;
  medianMs: number;
  samples: number;
  isa: string;
  node: string;
  date: string;
  cpu: string;
  data: string;
}

const { values } = parseArgs({
  options: {
    workload: { type: 'string', default: 'W1,W2,gemm,dropin' },
    backend: { type: 'string', default: 'js,native' },
    time: { type: 'string', default: '3' },
    json: { type: 'string' },
  },
});

const wanted = values.workload.split(',').map((w) => w.trim().toUpperCase());
const backends = values.backend.split(',').map((b) => b.trim()) as BackendName[];
const seconds = Number(values.time);

/** Token ids to train on: the Shakespeare training split, or (when unavailable) seeded random ids. */
async function trainingIds(): Promise<{
  ids: Uint16Array | Int32Array;
  vocabulary: Vocabulary;
  data: string;
}> {
  try {
    const { text } = await resolveCorpus('shakespeare', { log: () => {} });
    const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
    return { ids: corpus.train, vocabulary: corpus.vocabulary, data: 'tinyshakespeare train split' };
  } catch (err) {
    console.warn(
      `bench: Shakespeare corpus unavailable (${(err as Error).message.split('.')[0]}); using random ids over 65 symbols`,
    );
    const chars = Array.from({ length: 65 }, (_, i) => String.fromCodePoint(0x30 + i)).join('');
    const vocabulary = Vocabulary.fromText(chars);
    const rng = new Rng(1);
    const ids = Int32Array.from({ length: 1_000_000 }, () => rng.nextU32() % 65);
    return { ids, vocabulary, data: 'random ids (corpus unavailable)' };
  }
}

function available(name: BackendName): boolean {
  try {
    resolveBackend(name);
    return true;
  } catch (err) {
    console.warn(`bench: skipping backend ${name}: ${(err as Error).message.split('\n')[0]}`);
    return false;
  }
}

async function benchTraining(
  w: TrainingWorkload,
  backend: BackendName,
  data: Awaited<ReturnType<typeof trainingIds>>,
) {
  const model = CharRNN.create({ vocabulary: data.vocabulary, hiddenSize: w.hiddenSize, seed: 1, backend });
  const batcher = new Batcher(data.ids, w.batch, w.seqLength);
  const base = {
    optimizer: resolveOptimizer(w.optimizer),
    clipValue: w.clipValue,
    clipNorm: w.clipNorm,
    reduction: w.reduction,
  };
  let step = 0;
  const trainOne = () => {
    if (batcher.next()) model.resetState();
    const hyper: StepHyper = { ...base, step: ++step };
    model.trainChunk(batcher.inputs, batcher.targets, w.batch, w.seqLength, hyper);
  };
  const bench = new Bench({
    time: seconds * 1000,
    warmupTime: Math.min(1000, seconds * 300),
    warmupIterations: 2,
  });
  bench.add(`${w.name} ${backend}`, trainOne);
  await bench.run();
  const task = bench.tasks[0];
  const lat = task.result?.latency;
  if (!lat || lat.p50 === undefined) throw new Error(`bench: ${w.name} ${backend} produced no samples`);
  const tokens = w.batch * w.seqLength;
  const charsPerSec = tokens / (lat.p50 / 1000);
  const caps = capabilities();
  const record: BenchRecord = {
    workload: w.name,
    backend,
    threads: backend === 'native' ? caps.threads : 1,
    charsPerSec: Math.round(charsPerSec),
    gflops: Number(((charsPerSec * w.flopsPerToken(data.vocabulary.size)) / 1e9).toFixed(3)),
    medianMs: Number(lat.p50.toFixed(4)),
    samples: lat.samples.length,
    isa: backend === 'native' ? caps.isa : 'js',
    node: process.version,
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    data: data.data,
  };
  model.dispose();
  return record;
}

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
  for (const filter of ['peak', 'W2', 'W1']) {
    const run = spawnSync('native/tests/kernel_bench', [filter], { cwd: root, encoding: 'utf8' });
    process.stdout.write(
      run.stdout
        .split('\n')
        .filter((l) => !l.startsWith('kernel_bench:') && !l.startsWith('OpenBLAS core'))
        .join('\n'),
    );
    if (run.status !== 0) throw new Error(`bench: kernel harness failed (${filter}): ${run.stderr}`);
    for (const line of run.stdout.split('\n')) {
      const m = /^(.*?)\s+(scalar|avx2|neon|openblas)\s+([\d.]+)\s+([\d.]+)/.exec(line);
      if (!m) continue;
      out.push({
        workload: `gemm ${m[1].trim().replace(/\s+/g, ' ')}`,
        backend: 'native',
        threads: 1,
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

const data = await trainingIds();
const records: BenchRecord[] = [];
for (const name of wanted) {
  if (name === 'DROPIN') {
    // The drop-in workload (a user's hand-written min-char-rnn loop vs the same loop on our lossFun).
    const root = new URL('../', import.meta.url).pathname;
    const run = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/dropin.ts', '--time', String(seconds)],
      {
        cwd: root,
        stdio: 'inherit',
      },
    );
    if (run.status !== 0) throw new Error('bench: bench/dropin.ts failed');
    continue;
  }
  if (name === 'GEMM') {
    console.log(
      'gemm: kernel harness (single thread, best of 7, each variant checked against the naive reference first)',
    );
    records.push(...benchKernels());
    continue;
  }
  const w = WORKLOADS[name as keyof typeof WORKLOADS];
  if (!w) {
    console.error(`bench: unknown workload ${name} (known: ${Object.keys(WORKLOADS).join(', ')})`);
    process.exit(1);
  }
  console.log(`${w.name}: ${w.title}`);
  for (const backend of backends) {
    if (!available(backend)) continue;
    const r = await benchTraining(w, backend, data);
    records.push(r);
    console.log(
      `  ${backend.padEnd(6)} ${r.charsPerSec.toLocaleString('en-US').padStart(10)} chars/s  ${r.gflops.toFixed(2).padStart(7)} GFLOP/s  (median ${r.medianMs} ms/chunk, ${r.samples} samples, ${r.isa}, ${r.threads} thread${r.threads > 1 ? 's' : ''})`,
    );
  }
  const js = records.find((r) => r.workload === w.name && r.backend === 'js');
  const nat = records.find((r) => r.workload === w.name && r.backend === 'native');
  if (js && nat) console.log(`  native / js = ${(nat.charsPerSec / js.charsPerSec).toFixed(1)}×`);
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
console.log(
  `machine: ${cpus()[0]?.model} × ${cpus().length}, Node ${process.version}, ${new Date().toISOString()}, data: ${data.data}`,
);
if (values.json) {
  writeFileSync(values.json, JSON.stringify(records, null, 2) + '\n');
  console.log(`wrote ${values.json}`);
}

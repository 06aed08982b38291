// W6 of ../shared/WORKLOADS.md, batched inference from the W3 model (2-layer LSTM, H 256, embedding 64):
//   - generation with 64 streams (a batch session, temperature 1, multinomial): total tokens/s, beside batch-1
//     generation from the same model (a one-stream session, and the backend's whole sampling loop) in the same run;
//   - rank over 10,000 lines of the validation split (the split's non-empty lines of ≥ 2 characters, repeated in order
//     up to 10,000): scored tokens/s, beside the one-at-a-time loop (score() per line) over the first lines.
// GFLOP/s from the W3 forward FLOP count per token (forwardFlops; no work is skipped on any path). The model has the
// seeded initial weights: speed does not depend on what the weights are. Deliberately no printing of its own.
import { cpus } from 'node:os';
import type { BackendName } from '../backends/backend.js';
import { capabilities } from '../backends/index.js';
import { CharRNN } from '../charrnn.js';
import { resolveCorpus } from '../io/resolve-corpus.js';
import { Corpus } from '../text/corpus.js';
import { Vocabulary } from '../text/vocabulary.js';
import type { BenchRecord } from './runner.js';
import { forwardFlops, W3_MODEL } from './workloads.js';

export const W6 = {
  name: 'W6',
  title:
    'batched: generation from the W3 model with 64 streams; rank over 10,000 lines of the validation split',
  streams: 64,
  /** Tokens per stream per timed generation call. */
  length: 200,
  lines: 10_000,
  /** Lines the one-at-a-time score() loop times (its rate is per token, so a prefix measures it). */
  loopLines: 1_000,
} as const;

export interface BatchedBenchData {
  vocabularyText: string;
  lines: string[];
  data: string;
}

/** The validation split's lines (repeated up to W6.lines), or random lines when the corpus is unavailable. */
export async function batchedBenchData(
  log: (line: string) => void = console.warn,
): Promise<BatchedBenchData> {
  let text: string;
  let data: string;
  try {
    text = (await resolveCorpus('shakespeare', { log: () => {} })).text;
    data = 'tinyshakespeare validation split';
  } catch (err) {
    log(
      `bench: Shakespeare corpus unavailable (${(err as Error).message.split('.')[0]}); using random lines`,
    );
    let s = '';
    let x = 12345;
    const chars = 'abcdefghijklmnopqrstuvwxyz ABCDEFGHIJKLMNOPQRSTUVWXYZ,.;:!?\n';
    for (let i = 0; i < 400_000; i++) {
      x = (x * 1103515245 + 12345) % 2147483648;
      s += chars[x % chars.length];
    }
    text = s;
    data = 'random lines (corpus unavailable)';
  }
  const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
  const validation = corpus.vocabulary.decode(corpus.validation);
  const distinct = validation.split('\n').filter((l) => [...l].length >= 2);
  const lines: string[] = [];
  for (let i = 0; lines.length < W6.lines; i++) lines.push(distinct[i % distinct.length]);
  return { vocabularyText: corpus.vocabulary.tokens.join(''), lines, data };
}

function wall<T>(fn: () => T): { ms: number; value: T } {
  const t0 = performance.now();
  const value = fn();
  return { ms: performance.now() - t0, value };
}

/** Median of `repeats` timed runs of fn (after a warm-up run of `warm`); fn returns the tokens it processed. */
function median(
  repeats: number,
  fn: () => number,
  warm: () => unknown = fn,
): { tokensPerSec: number; ms: number; samples: number } {
  warm();
  const runs: { ms: number; tokens: number }[] = [];
  for (let r = 0; r < repeats; r++) {
    const { ms, value } = wall(fn);
    runs.push({ ms, tokens: value });
  }
  runs.sort((a, b) => a.tokens / a.ms - b.tokens / b.ms);
  const mid = runs[runs.length >> 1];
  return { tokensPerSec: (mid.tokens / mid.ms) * 1000, ms: mid.ms, samples: runs.length };
}

/** W6's records on one backend at the current thread count (and kernel path). */
export function benchBatched(backend: BackendName, d: BatchedBenchData, repeats = 5): BenchRecord[] {
  const vocabulary = Vocabulary.fromText(d.vocabularyText);
  const model = CharRNN.create({
    vocabulary,
    cell: W3_MODEL.cell,
    hiddenSize: W3_MODEL.hiddenSize,
    layers: W3_MODEL.layers,
    embeddingSize: W3_MODEL.embeddingSize,
    seed: 1,
    backend,
  });
  const flops = forwardFlops(W3_MODEL, vocabulary.size);
  const caps = capabilities();
  const rec = (workload: string, t: { tokensPerSec: number; ms: number; samples: number }): BenchRecord => ({
    workload,
    backend,
    threads: backend === 'native' ? caps.threads : 1,
    charsPerSec: Math.round(t.tokensPerSec),
    gflops: Number(((t.tokensPerSec * flops) / 1e9).toFixed(3)),
    medianMs: Number(t.ms.toFixed(3)),
    samples: t.samples,
    isa: backend === 'native' ? caps.isa : 'js',
    node: process.version,
    date: new Date().toISOString(),
    cpu: cpus()[0]?.model ?? 'unknown',
    data: d.data,
  });
  // The JS backend is ~50× slower: time less work there (rates are per token either way).
  const scale = backend === 'js' ? 40 : 1;
  const length = backend === 'js' ? 25 : W6.length; // (+1 prime step per stream, not counted)
  try {
    const out: BenchRecord[] = [];
    let seed = 0;
    out.push(
      rec(
        `W6 generate ${W6.streams} streams`,
        median(repeats, () => {
          const b = model.batchSession(W6.streams, { seed: ++seed * W6.streams });
          b.generate({ prime: '\n', length });
          return W6.streams * length;
        }),
      ),
    );
    out.push(
      rec(
        'W6 generate 1 stream (session)',
        median(repeats, () => {
          model.session({ seed: ++seed }).generate({ prime: '\n', length: 4 * length });
          return 4 * length;
        }),
      ),
    );
    out.push(
      rec(
        'W6 generate 1 stream (sampling loop)',
        median(repeats, () => {
          model.generate({ prime: '\n', length: 16 * length, seed: ++seed });
          return 16 * length;
        }),
      ),
    );
    const lines = d.lines.slice(0, d.lines.length / scale);
    const count = (rs: { count: number }[]) => rs.reduce((n, r) => n + r.count, 0);
    out.push(
      rec(
        `W6 rank ${lines.length} lines`,
        median(
          Math.min(repeats, 3),
          () => count(model.rank(lines)),
          () => model.rank(lines.slice(0, 256)),
        ),
      ),
    );
    const loop = d.lines.slice(0, W6.loopLines / scale);
    out.push(
      rec(
        `W6 score loop (${loop.length} lines, one at a time)`,
        median(
          Math.min(repeats, 3),
          () => count(loop.map((l) => model.score(l))),
          () => loop.slice(0, 64).map((l) => model.score(l)),
        ),
      ),
    );
    return out;
  } finally {
    model.dispose();
  }
}

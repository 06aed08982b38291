// W7 of ../shared/WORKLOADS.md: training a bidirectional 1-layer LSTM (hidden 256, embedding 64) with a classify
// head on names/ (final states of both directions) and a tag head on UD English EWT dev (a label per character),
// batches of 64 variable-length sequences (≤ 128 characters) with masking, Adam 2e-3, global-norm clipping 5.
// chars/s counts the real (unpadded) characters trained per second over the timed window, so padding is never
// counted as work. The batches are fixed and exported (toTorchJson) so a PyTorch peer times the same ones.
// Deliberately no printing of its own beyond `log`.
import { cpus } from 'node:os';
import { join } from 'node:path';
import type { BackendName, StepHyper } from '../backends/backend.js';
import { capabilities } from '../backends/index.js';
import { CharRNN } from '../charrnn.js';
import { readTaskData } from '../io/task-data.js';
import { resolveOptimizer } from '../run/optim.js';
import { encodeSequences, SequenceBatcher, type SequenceBatch } from '../tasks/batch.js';
import type { SequenceTask, TaskExample } from '../tasks/data.js';
import { LabelVocabulary } from '../tasks/labels.js';
import { Vocabulary } from '../text/vocabulary.js';
import { Rng } from '../util/rng.js';
import type { BenchRecord } from './runner.js';

export const W7 = {
  name: 'W7',
  title:
    'classify / tag: bidirectional 1-layer LSTM, H=256, embedding 64, B=64 variable-length sequences ≤ 128 with masking, Adam 2e-3, clip norm 5',
  model: { cell: 'lstm', hiddenSize: 256, layers: 1, embeddingSize: 64, bidirectional: true },
  batch: 64,
  maxLength: 128,
  optimizer: { kind: 'adam', lr: 2e-3 },
  clipNorm: 5,
  /** Batches timed in turn (their order is the seeded SequenceBatcher's first epoch). */
  batches: 24,
} as const;

/** The fixed batches of one W7 head, with the sizes that define its model. */
export interface SequenceBenchData {
  task: SequenceTask;
  V: number;
  C: number;
  batches: SequenceBatch[];
  /** Where they came from. */
  data: string;
}

/** Forward FLOPs per character of W7: 2 directions × 2·4H·(E + H), plus the head (tag: 2·2H·C per character). */
export function w7ForwardFlops(task: SequenceTask, C: number): number {
  const { hiddenSize: H, embeddingSize: E } = W7.model;
  return 2 * 2 * 4 * H * (E + H) + (task === 'tag' ? 2 * 2 * H * C : 0);
}

/** Random stand-in examples (lengths 3–20 for classify, 20–128 for tag) when the corpus is unavailable. */
function randomExamples(task: SequenceTask): TaskExample[] {
  const rng = new Rng(7);
  const letters = 'abcdefghijklmnopqrstuvwxyz ';
  const out: TaskExample[] = [];
  for (let i = 0; i < 4096; i++) {
    const n = task === 'classify' ? 3 + (rng.nextU32() % 18) : 20 + (rng.nextU32() % 109);
    let text = '';
    for (let k = 0; k < n; k++) text += letters[rng.nextU32() % 26];
    out.push(
      task === 'classify'
        ? { text, label: `c${rng.nextU32() % 18}` }
        : { text, labels: Array.from({ length: n }, () => `t${rng.nextU32() % 17}`) },
    );
  }
  return out;
}

/** W7's batches for `task`: names/ (classify) or UD English EWT dev (tag) from CHARRNN_DATA_DIR, else random. */
export async function sequenceBenchData(
  task: SequenceTask,
  log: (line: string) => void = console.warn,
): Promise<SequenceBenchData> {
  const dir = process.env.CHARRNN_DATA_DIR ?? '../shared/data';
  const path = task === 'classify' ? join(dir, 'names') : join(dir, 'ud-english-ewt', 'en_ewt-ud-dev.conllu');
  let examples: TaskExample[];
  let data: string;
  try {
    examples = (await readTaskData(path, task)).examples;
    data = task === 'classify' ? 'names/' : 'ud-english-ewt dev';
  } catch (err) {
    log(
      `bench: W7 ${task} data unavailable (${(err as Error).message.split('.')[0]}); using random sequences`,
    );
    examples = randomExamples(task);
    data = 'random sequences (data unavailable)';
  }
  const vocab = Vocabulary.fromText(examples.map((e) => e.text).join(''));
  const labels = LabelVocabulary.fromLabels(
    examples.flatMap((e) => ('label' in e ? [e.label] : [...e.labels])),
  );
  const encoded = encodeSequences(examples, task, vocab, labels, { maxLength: W7.maxLength });
  const batcher = new SequenceBatcher(encoded, W7.batch, 1);
  const batches: SequenceBatch[] = [];
  for (let i = 0; i < Math.min(W7.batches, batcher.batchesPerEpoch); i++) batches.push(batcher.next());
  return { task, V: vocab.size, C: labels.size, batches, data };
}

/** The batches as the PyTorch peer (scripts/w7-torch.py) reads them. */
export function toTorchJson(d: SequenceBenchData): string {
  return JSON.stringify({
    task: d.task,
    V: d.V,
    C: d.C,
    E: W7.model.embeddingSize,
    H: W7.model.hiddenSize,
    batches: d.batches.map((b) => ({
      B: b.B,
      T: b.T,
      ids: Array.from(b.ids),
      lengths: Array.from(b.lengths),
      labels: Array.from(b.labels),
    })),
  });
}

/**
 * Time W7 training for `d.task` on `backend`: a warm-up on the first two batches, then the batches in turn for
 * `seconds` (at least 3); chars/s = real characters / seconds of the timed window.
 */
export function benchSequence(d: SequenceBenchData, backend: BackendName, seconds: number): BenchRecord {
  const vocab = Vocabulary.fromText(
    Array.from({ length: d.V }, (_, i) => String.fromCodePoint(0x100 + i)).join(''),
  );
  const model = CharRNN.create({
    vocabulary: vocab,
    cell: W7.model.cell,
    hiddenSize: W7.model.hiddenSize,
    layers: W7.model.layers,
    embeddingSize: W7.model.embeddingSize,
    task: d.task,
    numClasses: d.C,
    bidirectional: true,
    seed: 1,
    backend,
  });
  try {
    const optimizer = resolveOptimizer(W7.optimizer);
    let step = 0;
    const run = (b: SequenceBatch) => {
      const hyper: StepHyper = {
        optimizer,
        clipValue: 0,
        clipNorm: W7.clipNorm,
        reduction: 'mean',
        step: ++step,
      };
      model.trainSequenceBatch(b, hyper);
    };
    for (const b of d.batches.slice(0, 2)) run(b);
    const times: number[] = [];
    let chars = 0;
    let total = 0;
    // At least 3 batches (a slow backend takes seconds per batch), else until `seconds` have been timed.
    for (let i = 0; total < seconds * 1000 || i < 3; i++) {
      const b = d.batches[i % d.batches.length];
      const t0 = performance.now();
      run(b);
      const ms = performance.now() - t0;
      times.push(ms);
      total += ms;
      for (let r = 0; r < b.B; r++) chars += b.lengths[r];
    }
    times.sort((a, b) => a - b);
    const caps = capabilities();
    const charsPerSec = chars / (total / 1000);
    return {
      workload: `W7 ${d.task}`,
      backend,
      threads: backend === 'native' ? caps.threads : 1,
      charsPerSec: Math.round(charsPerSec),
      gflops: Number(((charsPerSec * 3 * w7ForwardFlops(d.task, d.C)) / 1e9).toFixed(3)),
      medianMs: Number(times[times.length >> 1].toFixed(4)),
      samples: times.length,
      isa: backend === 'native' ? caps.isa : 'js',
      node: process.version,
      date: new Date().toISOString(),
      cpu: cpus()[0]?.model ?? 'unknown',
      data: d.data,
    };
  } finally {
    model.dispose();
  }
}

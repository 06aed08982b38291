// The classify / tag training loop (src/train/task-trainer.ts) on tiny data built here, TypeScript backend: it
// learns, its validation metric drives the best checkpoint, an exact resume gives the parameters of an
// uninterrupted run, and bad calls are refused with a message that says what was wrong.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { loadCheckpoint, readCheckpoint } from '../../src/io/checkpoint.js';
import { LABELS_KEY } from '../../src/io/task-model.js';
import { encodeSequences } from '../../src/tasks/batch.js';
import type { ClassifyExample } from '../../src/tasks/data.js';
import { LabelVocabulary } from '../../src/tasks/labels.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { balancedClassWeights, trainTask, type TaskEvalEvent } from '../../src/train/task-trainer.js';
import type { TrainEvent } from '../../src/train/trainer.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-task-trainer-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

// Class A: words of a/b; class X: words of x/y (one in four), so the classes are unbalanced.
let s = 7;
const rand = (n: number) => {
  s = (Math.imul(s, 1103515245) + 12345) >>> 0;
  return (s >>> 8) % n;
};
const examples: ClassifyExample[] = Array.from({ length: 96 }, (_, i) => {
  const letters = i % 4 === 0 ? 'xy' : 'ab';
  const text = Array.from({ length: 2 + rand(5) }, () => letters[rand(2)]).join('');
  return { text, label: i % 4 === 0 ? 'X' : 'A' };
});
const vocab = Vocabulary.fromText('abxy');
const labels = LabelVocabulary.fromLabels(examples.map((e) => e.label));
const train = encodeSequences(examples.slice(0, 80), 'classify', vocab, labels);
const valid = encodeSequences(examples.slice(80), 'classify', vocab, labels);
const model = () =>
  CharRNN.create({
    vocabulary: vocab,
    cell: 'gru',
    hiddenSize: 8,
    embeddingSize: 4,
    task: 'classify',
    numClasses: 2,
    bidirectional: true,
    seed: 5,
    backend: 'js',
  });

describe('trainTask', () => {
  it('learns the classes; the validation metric drives the best checkpoint, which carries the labels', async () => {
    const m = model();
    const events: TrainEvent[] = [];
    const ck = { path: join(dir, 'last.safetensors'), bestPath: join(dir, 'best.safetensors') };
    const r = await trainTask(m, labels, train, valid, {
      batchSize: 8,
      optimizer: { kind: 'adam', lr: 0.03 },
      maxEpochs: 8,
      checkpoint: ck,
      onEvent: (e) => events.push(e),
    });
    expect(r.stoppedBy).toBe('maxEpochs');
    expect(r.iterations).toBe(8 * 10); // 80 examples in batches of 8, per epoch
    const evals = events.filter((e): e is TaskEvalEvent => e.type === 'eval');
    expect(evals.map((e) => e.iteration)).toEqual([10, 20, 30, 40, 50, 60, 70, 80]);
    expect(evals.at(-1)!.valAccuracy).toBe(1);
    expect(evals.at(-1)!.confusion).toEqual({
      labels: ['A', 'X'],
      matrix: [
        [12, 0],
        [0, 4],
      ],
    });
    // A best checkpoint for each validation that beat the ones before it (by accuracy), never for a tie.
    const bests = events
      .filter((e) => e.type === 'checkpoint' && e.reason === 'best')
      .map((e) => e.iteration);
    let best = -1;
    const improving = evals.filter((e) => (e.valAccuracy > best ? ((best = e.valAccuracy), true) : false));
    expect(bests).toEqual(improving.map((e) => e.iteration));
    const saved = await readCheckpoint(ck.bestPath);
    expect(JSON.parse(saved.metadata[LABELS_KEY])).toEqual({ kind: 'labels', labels: ['A', 'X'] });
    expect(saved.training!.state.bestValLoss).toBeCloseTo(1 - improving.at(-1)!.valAccuracy, 12);
  });

  it('resumes exactly: 7 + 9 iterations give the parameters of 16 in one run', async () => {
    const opts = { batchSize: 8, optimizer: { kind: 'adam' as const, lr: 0.01 }, evalEvery: 5, seed: 9 };
    const whole = model();
    await trainTask(whole, labels, train, valid, { ...opts, maxIters: 16 });
    const first = model();
    const path = join(dir, 'part.safetensors');
    await trainTask(first, labels, train, valid, { ...opts, maxIters: 7, checkpoint: { path } });
    const { model: resumed, state } = await loadCheckpoint(path, { backend: 'js' });
    expect(state!.position).toBe(7);
    await trainTask(resumed, labels, train, valid, { resume: state!, maxIters: 16 });
    const a = whole.parameters();
    for (const [name, t] of resumed.parameters()) expect(Array.from(t)).toEqual(Array.from(a.get(name)!));
  });

  it('weights classes by n / (C · count) when balanced', () => {
    // 80 training examples, 20 of class X: A gets 80 / (2 · 60), X 80 / (2 · 20).
    expect(Array.from(balancedClassWeights(train, 2))).toEqual([Math.fround(80 / 120), 2]);
  });

  it('refuses a language model, a label set of another size and a missing stop criterion', async () => {
    const lm = CharRNN.create({ vocabulary: vocab, hiddenSize: 4, backend: 'js' });
    await expect(trainTask(lm, labels, train, valid, { maxIters: 1 })).rejects.toThrow(
      "Expected a 'classify' or 'tag' model for trainTask but received a 'lm' model. HINT: use train() for a language model",
    );
    const three = LabelVocabulary.fromLabels(['A', 'B', 'X']);
    await expect(trainTask(model(), three, train, valid, { maxIters: 1 })).rejects.toThrow(
      "Expected 2 labels (the model's numClasses) but received 3",
    );
    await expect(trainTask(model(), labels, train, valid, {})).rejects.toThrow(
      'Expected a stop criterion (maxIters, maxEpochs, maxTime, maxTrainTime or signal) for trainTask but received none',
    );
    await expect(
      trainTask(model(), labels, train, valid, { maxIters: 1, classWeights: new Float32Array(3) }),
    ).rejects.toThrow(
      "Expected a Float32Array of 2 weights (one per label) or 'balanced' for classWeights but received a Float32Array of length 3",
    );
  });
});

// `charrnn train --resume`, `--lr-schedule` and `charrnn inspect` end to end, and how they report mistakes:
// one line, exit code 1.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCheckpoint } from '../../src/io/checkpoint.js';
import { saveModel } from '../../src/io/model-file.js';
import { CharRNN } from '../../src/charrnn.js';
import { Vocabulary } from '../../src/text/vocabulary.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-cli-ckpt-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const charrnn = (...args: string[]) => runCli(args);

const text = 'to be or not to be, that is the question.\n'.repeat(40);
const corpusFile = join(dir, 'tiny.txt');
writeFileSync(corpusFile, text);
const model = [
  '--corpus',
  corpusFile,
  '--backend',
  'js',
  '--cell',
  'gru',
  '--layers',
  '2',
  '--hidden',
  '10',
  '--dropout',
  '0.2',
  '--batch-size',
  '2',
  '--seq-length',
  '8',
  '--optimizer',
  'rmsprop',
  '--lr-schedule',
  'step:6:0.5',
  '--eval-every',
  '5',
  '--log-every',
  '100',
  '--no-progress',
];

describe('charrnn train --out / --best', () => {
  it('creates missing output folders before training and saves the run there', async () => {
    // Regression (issue 15, defect 10; issue 13): --out /missing/dir/m.safetensors trained to the end, then failed
    // with ENOENT. The folders of --out, --best and the run log are now made before the first chunk.
    const out = join(dir, 'made', 'for', 'out', 'm.safetensors');
    const best = join(dir, 'made', 'for', 'best', 'b.safetensors');
    const r = charrnn('train', ...model, '--max-iters', '12', '--out', out, '--best', best);
    expect(r.stderr).not.toContain('charrnn:');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`saved ${out}`);
    expect((await readCheckpoint(out)).training!.state.iteration).toBe(12);
    expect((await readCheckpoint(best)).training!.state.iteration).toBeGreaterThan(0);
    expect(existsSync(join(dir, 'made', 'for', 'out', 'm.log.jsonl'))).toBe(true);
  });

  it('refuses an output it cannot make a folder for before training, in one line (not at the first save)', () => {
    // A file where a folder of the path should be: the folder cannot be made, and nothing is trained.
    const blocked = join(corpusFile, 'sub', 'm.safetensors');
    for (const flag of ['--out', '--best']) {
      const args = ['train', ...model, '--max-iters', '1000000', '--no-progress'];
      if (flag === '--best') args.push('--out', join(dir, 'best-run.safetensors'));
      const r = charrnn(...args, flag, blocked);
      const errors = r.stderr.split('\n').filter((l) => l.startsWith('charrnn:'));
      expect(errors).toEqual([
        `charrnn: Cannot write checkpoints to ${blocked}: ${corpusFile} is not a folder. HINT: choose another path`,
      ]);
      expect(r.stderr).not.toContain('iter ');
      expect(r.code).toBe(1);
    }
    expect(existsSync(join(dir, 'best-run.safetensors'))).toBe(false);
  });
});

describe('charrnn train --resume', () => {
  it('a run saved at 20 and resumed with --max-iters 40 trains 20 more, identical to 40 in one go', () => {
    const whole = join(dir, 'whole.safetensors');
    const half = join(dir, 'half.safetensors');
    expect(charrnn('train', ...model, '--max-iters', '40', '--out', whole).code).toBe(0);
    expect(charrnn('train', ...model, '--max-iters', '20', '--out', half).code).toBe(0);
    // Exact resume is promised on the same backend: 'auto' would pick the native one when the addon loads.
    const r = charrnn('train', '--resume', half, '--max-iters', '40', '--backend', 'js', '--no-progress');
    expect(r.stderr).toContain(`resuming ${half} at iteration 20 (epoch 0)`);
    expect(r.stderr).toContain('done: 40 iterations');
    expect(r.stderr).toContain(`saved ${half}`);
    expect(r.code).toBe(0);
    // Same file contents, tensor by tensor, metadata included (the corpus path is the same too).
    const a = readFileSync(whole);
    const b = readFileSync(half);
    expect(b.equals(a)).toBe(true);
  });

  it('--out writes elsewhere and leaves the checkpoint it resumed from alone', async () => {
    const from = join(dir, 'from.safetensors');
    const to = join(dir, 'to.safetensors');
    expect(charrnn('train', ...model, '--max-iters', '6', '--out', from).code).toBe(0);
    const before = readFileSync(from);
    const r = charrnn('train', '--resume', from, '--max-iters', '9', '--out', to, '--no-progress');
    expect(r.code).toBe(0);
    expect(readFileSync(from).equals(before)).toBe(true);
    expect((await readCheckpoint(to)).training!.state.iteration).toBe(9);
  });

  it('reports resume mistakes in one line with exit code 1', () => {
    const ck = join(dir, 'mistakes.safetensors');
    expect(charrnn('train', ...model, '--max-iters', '3', '--out', ck).code).toBe(0);
    const other = join(dir, 'other.txt');
    writeFileSync(other, 'TO BE OR NOT TO BE, THAT IS THE QUESTION!\n'.repeat(40));
    const cases: [string[], RegExp][] = [
      [
        ['train', '--resume', ck, '--corpus', other, '--max-iters', '5'],
        /^charrnn: The vocabulary of .*other\.txt \(16 characters\) does not match the checkpoint .*mistakes\.safetensors \(16\): the corpus has "!", "A", "B", "E", "H", "I", "N", "O", … \(13 in all\) not in the checkpoint; the checkpoint has "\.", "a", "b", "e", "h", "i", "n", "o", … \(13 in all\) not in the corpus\. HINT: resume on the corpus the checkpoint was trained on \(--corpus FILE\)\n$/,
      ],
      [
        ['train', '--resume', ck, '--hidden', '12', '--lr', '0.1'],
        /^charrnn: --hidden, --lr cannot be used with --resume: the checkpoint fixes the model and its training settings\. HINT: leave them out \(or start a new run without --resume\)\n$/,
      ],
      [
        ['train', '--resume', join(dir, 'nope.safetensors')],
        /^charrnn: Model file not found: .*nope\.safetensors\. HINT/,
      ],
      [
        ['train', ...model, '--lr-schedule', 'step:0'],
        // The flag, not the library's lrSchedule.every (issue 15, defect 11).
        /error: option '--lr-schedule <spec>' argument 'step:0' is invalid\. Expected a positive integer for EVERY of --lr-schedule but received 0/,
      ],
      [
        ['train', ...model, '--lr-schedule', 'cyclic:3'],
        /argument 'cyclic:3' is invalid\. Expected 'none', 'step:EVERY\[:GAMMA\]', 'exp:GAMMA\[:EVERY\]', 'plateau\[:FACTOR\[:PATIENCE\[:MIN_LR\[:THRESHOLD\]\]\]\]', 'cosine\[:FLOOR\]' or 'linear\[:FLOOR\]' \(unknown kind "cyclic"\)/,
      ],
    ];
    for (const [args, message] of cases) {
      const r = charrnn(...args);
      expect(r.stderr).toMatch(message);
      expect(r.code).toBe(1);
    }
  });

  it('refuses to resume a plain model file (no training state)', async () => {
    const plain = join(dir, 'plain.safetensors');
    await saveModel(
      CharRNN.create({ vocabulary: Vocabulary.fromText(text), hiddenSize: 4, backend: 'js' }),
      plain,
    );
    const r = charrnn('train', '--resume', plain, '--corpus', corpusFile, '--max-iters', '2');
    expect(r.stderr).toMatch(
      /^charrnn: .*plain\.safetensors is a model file without training state \(format version 1\), so it cannot be resumed exactly\. HINT: /,
    );
    expect(r.code).toBe(1);
  });
});

describe('charrnn inspect', () => {
  it('prints the config, vocabulary, parameter count and training state', () => {
    const ck = join(dir, 'inspect.safetensors');
    expect(charrnn('train', ...model, '--max-iters', '7', '--out', ck, '--seed', '3').code).toBe(0);
    const r = charrnn('inspect', ck);
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines[0]).toBe(`file: ${ck} (format version 3, checkpoint with training state)`);
    expect(lines[1]).toBe(
      'model: GRU (2 layers, hidden 10/10, one-hot input, dropout 0.2), 1,676 parameters',
    );
    expect(lines[2]).toBe(
      'vocabulary: 16 tokens: "\\n", " ", ",", ".", "a", "b", "e", "h", "i", "n", "o", "q", "r", "s", "t", "u"',
    );
    expect(lines[3]).toMatch(
      /^training: iteration 7, epoch 0 \(next chunk 7\), smoothed loss \d\.\d{4}, best validation loss \d\.\d{4}, roll-backs 0$/,
    );
    expect(lines[4]).toBe(
      'optimizer: rmsprop (lr 0.002, momentum 0, beta1 0.9, beta2 0.99, eps 1e-8, weight decay 0); clip value 5, clip norm 0, reduction sum',
    );
    expect(lines[5]).toBe('schedule: step:6:0.5; next lr 0.001 (scale 1)');
    expect(lines[6]).toBe(
      'batches: 2 streams × 8 steps; carried state of 2 stream(s); validation every 5 iterations',
    );
    expect(lines[7]).toBe(`corpus: ${corpusFile} (validation fraction 0.1, 1,512 training tokens); seed 3`);
    const json = JSON.parse(charrnn('inspect', ck, '--json').stdout);
    expect(json).toMatchObject({
      formatVersion: '3',
      parameters: 1676,
      training: { iteration: 7, hiddenBatch: 2 },
    });
  });

  it('reports a malformed file in one line naming what is wrong, exit code 1', () => {
    const ck = join(dir, 'inspect.safetensors');
    const bytes = readFileSync(ck);
    const cut = join(dir, 'cut.safetensors');
    writeFileSync(cut, bytes.subarray(0, bytes.length - 10));
    const r = charrnn('inspect', cut);
    expect(r.stderr).toMatch(
      /^charrnn: Invalid safetensors file .*cut\.safetensors: the tensors cover \d+ of the \d+ bytes in the data section|^charrnn: Invalid safetensors file .*cut\.safetensors: tensor .* past the end/,
    );
    expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
    expect(r.code).toBe(1);
    const notJson = join(dir, 'text.safetensors');
    writeFileSync(notJson, 'hello world, this is not a checkpoint');
    const t = charrnn('inspect', notJson);
    expect(t.stderr).toMatch(
      /^charrnn: Invalid safetensors file .*text\.safetensors: header length \d+ exceeds/,
    );
    expect(t.code).toBe(1);
  });
});

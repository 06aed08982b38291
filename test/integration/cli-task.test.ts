// `charrnn train --task classify|tag`, `charrnn predict` and `charrnn eval` end to end on tiny data written here
// (never the corpus): a classifier that learns which letter a word is made of, a tagger that learns vowels from
// consonants, an exact resume, and the one-line errors.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { readCheckpoint } from '../../src/io/checkpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-cli-task-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const charrnn = (...args: string[]) => runCli(args);

// names-style data: class A words are made of a/b, class X words of x/y (lengths 2–6), seeded LCG so it is fixed.
let x = 12345;
const rand = (n: number) => {
  x = (Math.imul(x, 1103515245) + 12345) >>> 0;
  return (x >>> 8) % n;
};
const word = (letters: string) =>
  Array.from({ length: 2 + rand(5) }, () => letters[rand(letters.length)]).join('');
const names = join(dir, 'names');
mkdirSync(names);
writeFileSync(join(names, 'A.txt'), Array.from({ length: 60 }, () => word('ab')).join('\n') + '\n');
writeFileSync(join(names, 'X.txt'), Array.from({ length: 60 }, () => word('xy')).join('\n') + '\n');

// Tagging data (TSV): each character of a word of a/b tagged A, of x/y tagged X, each space SPACE.
const tagOf = (ch: string) => (ch === ' ' ? 'SPACE' : 'ab'.includes(ch) ? 'A' : 'X');
const sentence = () => Array.from({ length: 1 + rand(3) }, () => word(rand(2) ? 'ab' : 'xy')).join(' ');
const tagLines = Array.from({ length: 80 }, () => {
  const s = sentence();
  return `${s}\t${[...s].map(tagOf).join(' ')}`;
});
const tagFile = join(dir, 'tags.tsv');
writeFileSync(tagFile, tagLines.join('\n') + '\n');

const common = [
  '--backend',
  'js',
  '--hidden',
  '12',
  '--embedding',
  '8',
  '--no-progress',
  '--no-log',
  '--seed',
  '3',
];

describe('charrnn train --task classify, predict and eval', () => {
  const out = join(dir, 'cls.safetensors');

  it('trains a bidirectional classifier that separates the two classes, and says so', () => {
    const r = charrnn(
      'train',
      '--task',
      'classify',
      '--data',
      names,
      '--split',
      '80/10/10',
      '--bidirectional',
      '--batch-size',
      '16',
      '--max-epochs',
      '25',
      '--lr',
      '0.02',
      '--out',
      out,
      ...common,
    );
    expect(r.stderr).toMatch(/training a bidirectional LSTM classifier \(hidden 12, embedding 8, 2 labels\)/);
    expect(r.stderr).toMatch(/96 train \/ 12 validation \/ 12 test examples/);
    expect(r.code).toBe(0);
    const test = /test: accuracy ([\d.]+)%/.exec(r.stderr);
    expect(test).not.toBeNull();
    expect(Number(test![1])).toBeGreaterThanOrEqual(90);
    const ck = readCheckpoint(out);
    return ck.then((c) => {
      expect(c.config.task).toBe('classify');
      expect(c.config.bidirectional).toBe(true);
      expect(JSON.parse(c.metadata.labels)).toEqual({ kind: 'labels', labels: ['A', 'X'] });
    });
  });

  it('predicts labels with probabilities, as text and as JSON', () => {
    const r = runCli(['predict', out, '-', '--backend', 'js', '--top', '2'], 'abba\nyxxy\n');
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split('\n');
    expect(lines[0]).toMatch(/^A\t[01]\.\d{4}\tX\t[01]\.\d{4}\tabba$/);
    expect(lines[1]).toMatch(/^X\t[01]\.\d{4}\tA\t[01]\.\d{4}\tyxxy$/);
    // The two probabilities of a line are a distribution over the two labels.
    const [, p1, , p2] = lines[0].split('\t');
    expect(Number(p1) + Number(p2)).toBeCloseTo(1, 3);
    const j = runCli(['predict', out, '-', '--backend', 'js', '--json'], 'abab\n');
    const obj = JSON.parse(j.stdout) as { text: string; label: string; probability: number; top: unknown[] };
    expect(obj.text).toBe('abab');
    expect(obj.label).toBe('A');
    expect(obj.probability).toBeGreaterThan(0.5);
    expect(obj.top).toHaveLength(1);
  });

  it('evaluates on labelled data: accuracy, macro-F1, per-class table and confusion matrix, or JSON', () => {
    const r = charrnn('eval', out, names, '--backend', 'js');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^120 examples, mean cross-entropy [\d.]+ nats\n\nper sequence:\naccuracy [\d.]+% · macro-F1 [\d.]+ · 120 sequences/,
    );
    expect(r.stdout).toMatch(/true \\ predicted +A +X\nA +\d+/);
    const j = JSON.parse(charrnn('eval', out, names, '--backend', 'js', '--json').stdout) as {
      metrics: { count: number; confusion: number[][]; labels: string[] };
    };
    expect(j.metrics.count).toBe(120);
    expect(j.metrics.labels).toEqual(['A', 'X']);
    expect(j.metrics.confusion.flat().reduce((a, b) => a + b, 0)).toBe(120);
  });
});

describe('charrnn train --task tag', () => {
  const out = join(dir, 'tag.safetensors');

  it('trains a tagger and predicts a label per character', () => {
    const r = charrnn(
      'train',
      '--task',
      'tag',
      '--data',
      tagFile,
      '--bidirectional',
      '--batch-size',
      '16',
      '--max-epochs',
      '20',
      '--lr',
      '0.02',
      '--out',
      out,
      ...common,
    );
    expect(r.code).toBe(0);
    const v = /validation: accuracy ([\d.]+)% · macro-F1 [\d.]+ · \d+ characters/.exec(r.stderr);
    expect(v).not.toBeNull();
    expect(Number(v![1])).toBeGreaterThanOrEqual(95);
    const p = runCli(['predict', out, '-', '--backend', 'js'], 'abba xyx\n');
    expect(p.code).toBe(0);
    expect(p.stdout).toBe('abba/A xyx/X\n');
    const j = JSON.parse(runCli(['predict', out, '-', '--backend', 'js', '--json'], 'ay\n').stdout) as {
      labels: string[];
      probabilities: number[];
    };
    expect(j.labels).toEqual(['A', 'X']);
    expect(j.probabilities).toHaveLength(2);
  });
});

describe('exact resume of a task run', () => {
  it('continues a classify run to the same parameters as one uninterrupted run', async () => {
    const args = (out: string, iters: number) => [
      'train',
      '--task',
      'classify',
      '--data',
      names,
      '--batch-size',
      '8',
      '--max-iters',
      String(iters),
      '--eval-every',
      '4',
      '--out',
      out,
      ...common,
    ];
    const whole = join(dir, 'whole.safetensors');
    const part = join(dir, 'part.safetensors');
    expect(charrnn(...args(whole, 12)).code).toBe(0);
    expect(charrnn(...args(part, 5)).code).toBe(0);
    const r = charrnn(
      'train',
      '--resume',
      part,
      '--max-iters',
      '12',
      '--backend',
      'js',
      '--no-progress',
      '--no-log',
    );
    expect(r.stderr).toMatch(/resuming .*part\.safetensors at iteration 5/);
    expect(r.code).toBe(0);
    // What fixes the run's arithmetic or its data cannot change on resume.
    const clash = charrnn(
      'train',
      '--resume',
      part,
      '--class-weights',
      'balanced',
      '--split',
      '50/50',
      '--max-iters',
      '13',
    );
    expect(clash.code).toBe(1);
    expect(clash.stderr.trim()).toBe(
      'charrnn: --split, --class-weights cannot be used with --resume: the checkpoint fixes the data and its split, the model, the class weights and the validation metric. HINT: leave them out',
    );
    const [a, b] = await Promise.all([readCheckpoint(whole), readCheckpoint(part)]);
    expect(b.training!.state.iteration).toBe(12);
    for (const [name, t] of a.parameters) expect(Array.from(b.parameters.get(name)!)).toEqual(Array.from(t));
  });
});

describe('task CLI mistakes: one line, exit code 1', () => {
  const errors = (r: { stderr: string }) => r.stderr.split('\n').filter((l) => l.startsWith('charrnn:'));

  it('asks for --data, refuses language-model options with a task and task options without one', () => {
    expect(errors(charrnn('train', '--task', 'classify', '--backend', 'js'))).toEqual([
      'charrnn: --task classify needs --data PATH (a folder of LABEL.txt files, a .tsv or a .jsonl)',
    ]);
    expect(
      errors(charrnn('train', '--task', 'tag', '--data', tagFile, '--seq-length', '9', '--max-iters', '1')),
    ).toEqual([
      'charrnn: --seq-length applies to a language model (--task lm) only. HINT: a classify/tag run reads --data, --max-length and --batch-size',
    ]);
    expect(errors(charrnn('train', '--data', names, '--max-iters', '1'))).toEqual([
      'charrnn: --data applies to --task classify or tag only. HINT: add --task classify (or tag), or leave it out',
    ]);
  });

  it('names a folder given for tagging, and a language model given to predict', () => {
    expect(
      errors(charrnn('train', '--task', 'tag', '--data', names, '--max-iters', '1', '--backend', 'js'))[0],
    ).toMatch(
      /^charrnn: Expected a \.tsv, \.jsonl or \.conllu file for --task tag but received the folder .*HINT: a folder of LABEL\.txt files is classification data \(--task classify\)$/,
    );
    const lm = join(dir, 'lm.safetensors');
    const corpus = join(dir, 'corpus.txt');
    writeFileSync(corpus, 'abc abc abc abc '.repeat(20));
    expect(
      charrnn('train', '--corpus', corpus, '--max-iters', '1', '--out', lm, '--backend', 'js', '--no-log')
        .code,
    ).toBe(0);
    expect(errors(runCli(['predict', lm, '-', '--backend', 'js'], 'abc\n'))).toEqual([
      `charrnn: Expected a 'classify' or 'tag' model but ${lm} is a language model (task 'lm'). HINT: train one with charrnn train --task classify|tag; use charrnn sample / score for a language model`,
    ]);
    expect(readFileSync(lm).length).toBeGreaterThan(0);
  });
});

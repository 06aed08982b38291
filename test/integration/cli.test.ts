// The `charrnn` command end to end (train → sample), and how it reports user mistakes: one line, exit 1.
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { spawnSync } from 'node:child_process';
import { root, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-cli-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const charrnn = (...args: string[]) => runCli(args);

const corpusFile = join(dir, 'tiny.txt');
writeFileSync(corpusFile, 'to be or not to be, that is the question.\n'.repeat(40));

describe('charrnn CLI', () => {
  it('trains on a file, saves, and samples from the saved model', () => {
    const out = join(dir, 'tiny.safetensors');
    const t = charrnn(
      'train',
      '--corpus',
      corpusFile,
      '--backend',
      'js',
      '--hidden',
      '16',
      '--seq-length',
      '10',
      '--max-iters',
      '200',
      '--eval-every',
      '100',
      '--log-every',
      '50',
      '--out',
      out,
    );
    expect(t.stderr).toContain('validation at iter 100');
    expect(t.stderr).toMatch(/iter 200 \| epoch [\d.]+ \| loss [\d.]+ \| val [\d.]+ \| [\d,]+ chars\/s/);
    expect(t.stderr).toContain(`saved ${out}`);
    expect(t.code).toBe(0);
    expect(existsSync(out)).toBe(true);
    const s = charrnn(
      'sample',
      out,
      '--backend',
      'js',
      '--prime',
      'to be',
      '--length',
      '40',
      '--temperature',
      '0.8',
      '--seed',
      '1',
    );
    expect(s.code).toBe(0);
    expect(s.stdout.startsWith('to be')).toBe(true);
    expect(s.stdout.trimEnd().length).toBe(45);
    expect(
      charrnn(
        'sample',
        out,
        '--backend',
        'js',
        '--prime',
        'to be',
        '--length',
        '40',
        '--temperature',
        '0.8',
        '--seed',
        '1',
      ).stdout,
    ).toBe(s.stdout);
  });

  it('trains a 2-layer LSTM with an embedding and dropout, saves it, and samples from it', () => {
    const out = join(dir, 'lstm.safetensors');
    const t = charrnn(
      'train',
      '--corpus',
      corpusFile,
      '--cell',
      'lstm',
      '--layers',
      '2',
      '--embedding',
      '8',
      '--dropout',
      '0.1',
      '--hidden',
      '16',
      '--seq-length',
      '10',
      '--batch-size',
      '2',
      '--optimizer',
      'adam',
      '--max-iters',
      '60',
      '--eval-every',
      '0',
      '--out',
      out,
    );
    expect(t.stderr).toContain('training a 2-layer LSTM (hidden 16, embedding 8, dropout 0.1)');
    expect(t.stderr).toContain(`saved ${out}`);
    expect(t.code).toBe(0);
    const s = charrnn('sample', out, '--backend', 'js', '--prime', 'to', '--length', '20', '--seed', '1');
    expect(s.code).toBe(0);
    expect(s.stdout.startsWith('to')).toBe(true);
    expect(s.stdout).toHaveLength(2 + 20 + 1); // prime, sample, newline
  });

  it('trains a GRU on the native backend (or says in one line why it cannot)', () => {
    const out = join(dir, 'gru.safetensors');
    const r = charrnn(
      'train',
      '--corpus',
      corpusFile,
      '--cell',
      'gru',
      '--layers',
      '2',
      '--hidden',
      '12',
      '--backend',
      'native',
      '--max-iters',
      '20',
      '--eval-every',
      '0',
      '--out',
      out,
    );
    if (r.code !== 0) {
      // no addon on this machine: one line, with the reason
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(/charrnn: the native backend is not available/);
      return;
    }
    expect(r.stderr).toContain('with the native backend');
    // the same seed samples the same text on both backends
    const sample = (backend: string) =>
      charrnn('sample', out, '--backend', backend, '--prime', 'to', '--length', '40', '--seed', '3');
    const js = sample('js');
    const native = sample('native');
    expect(native.code).toBe(0);
    expect(native.stdout).toBe(js.stdout);
  });

  const mistakes: [string, string[], RegExp][] = [
    [
      'a missing corpus file',
      ['train', '--corpus', 'nope.txt', '--max-iters', '1'],
      /not found.*HINT: pass --corpus FILE/,
    ],
    [
      'seq-length 0',
      ['train', '--corpus', corpusFile, '--seq-length', '0'],
      /expected an integer ≥ 1 for --seq-length, got "0"/,
    ],
    [
      'hidden size 0',
      ['train', '--corpus', corpusFile, '--hidden', '0'],
      /expected an integer ≥ 1 for --hidden, got "0"/,
    ],
    [
      'dropout 1',
      ['train', '--corpus', corpusFile, '--dropout', '1'],
      /Expected a number in \[0, 1\) for --dropout but received 1/, // the flag (issue 15, defect 11)
    ],
    ['an unknown cell', ['train', '--cell', 'transformer'], /Allowed choices are rnn, lstm, gru/],
    [
      'a forget-gate bias that is not a number',
      ['train', '--corpus', corpusFile, '--cell', 'lstm', '--forget-bias', 'one'],
      /expected a number or 'pytorch' for --forget-bias, got "one"/,
    ],
    [
      'an unknown optimizer',
      ['train', '--optimizer', 'lbfgs'],
      /Allowed choices are sgd, adagrad, rmsprop, adam/,
    ],
    [
      'a negative temperature',
      ['sample', join(dir, 'x.safetensors'), '--temperature', '-1'],
      /expected a number ≥ 0 for --temperature, got "-1"/,
    ],
    [
      'a missing model file',
      ['sample', join(dir, 'missing.safetensors')],
      /Model file not found: .*missing\.safetensors\. HINT/,
    ],
  ];
  it.each(mistakes)('reports %s in one line with exit code 1', (_name, args, pattern) => {
    const r = charrnn(...args);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(pattern);
    expect(r.stderr).not.toMatch(/\n\s+at /); // no stack trace
  });

  it('reports an empty corpus, a one-character corpus and invalid UTF-8', () => {
    const empty = join(dir, 'empty.txt');
    writeFileSync(empty, '');
    const one = join(dir, 'one.txt');
    writeFileSync(one, 'aaaaaaaa');
    const bad = join(dir, 'bad.txt');
    writeFileSync(bad, Buffer.from([0x61, 0x62, 0xff, 0x63]));
    for (const [file, pattern] of [
      [empty, /empty/],
      [one, /distinct/],
      [bad, /byte offset 2/],
    ] as const) {
      const r = charrnn('train', '--corpus', file, '--max-iters', '1', '--backend', 'js');
      expect(r.code).toBe(1);
      expect(r.stderr).toMatch(pattern);
      expect(r.stderr.trim().split('\n')).toHaveLength(1);
    }
  });

  it('reports an unknown character in the prime', () => {
    const out = join(dir, 'p.safetensors');
    expect(
      charrnn(
        'train',
        '--corpus',
        corpusFile,
        '--backend',
        'js',
        '--hidden',
        '4',
        '--max-iters',
        '2',
        '--out',
        out,
      ).code,
    ).toBe(0);
    const r = charrnn('sample', out, '--backend', 'js', '--prime', 'XYZ');
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Character "X" \(U\+0058\) at index 0 is not in the vocabulary/);
  });

  it('bench times the named workloads and writes JSON records (threads, chars/s, machine)', () => {
    const json = join(dir, 'bench.json');
    const r = charrnn('bench', '--workload', 'W1', '--backend', 'js', '--time', '0.2', '--json', json);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/W1 +js +1t +[\d,]+ chars\/s/);
    const records = JSON.parse(readFileSync(json, 'utf8')) as Record<string, unknown>[];
    expect(records).toHaveLength(1);
    expect(records[0]).toMatchObject({ workload: 'W1', backend: 'js', threads: 1, isa: 'js' });
    expect(records[0].charsPerSec).toBeGreaterThan(0);
    expect(typeof records[0].cpu).toBe('string');
    const bad = charrnn('bench', '--workload', 'W7');
    expect(bad.code).toBe(1);
    expect(bad.stderr.trim().split('\n')).toHaveLength(1);
    expect(bad.stderr).toMatch(/--workload/);
  });

  it('prints help for every command', () => {
    for (const cmd of [[], ['train'], ['sample'], ['score'], ['predict'], ['eval'], ['inspect'], ['bench']]) {
      const r = charrnn(...cmd, '--help');
      expect(r.code).toBe(0);
      expect(r.stdout).toContain('Usage: charrnn');
    }
  });
  it('prefixes a library error that names charrnn once, not twice', () => {
    // Regression (issue 15, defect 11): "charrnn: charrnn: the native backend is not available …".
    const r = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'src/cli/main.ts'),
        'train',
        '--corpus',
        corpusFile,
        '--backend',
        'native',
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, CHARRNN_ADDON_PATH: join(dir, 'missing.node') } },
    );
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^charrnn: the native backend is not available \(CHARRNN_ADDON_PATH=/);
    expect(r.status).toBe(1);
  });
});

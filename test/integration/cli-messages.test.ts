// What a `charrnn` user reads when something is wrong (issue 15, defect 11), end to end: flags rather than the
// library's options in hints (the whole table is in test/unit/cli-messages.test.ts), a directory named as one, a
// text too long for one string refused by its size with the limit named, each one line with exit code 1; and
// Ctrl-C during `charrnn sample` exits 130 as shells expect (train's 130 / 143 are in kill.test.ts).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { saveModel } from '../../src/io/model-file.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { root, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-cli-msgs-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const model = join(dir, 'm.safetensors');
const corpus = join(dir, 'tiny.txt');
beforeAll(async () => {
  writeFileSync(corpus, 'to be or not to be\n'.repeat(20));
  await saveModel(
    CharRNN.create({ vocabulary: Vocabulary.fromText('to be or nt\n'), hiddenSize: 4, backend: 'js' }),
    model,
  );
});

/** One line on stderr, exit code 1. */
function oneLineError(r: { code: number | null; stderr: string }): string {
  expect(r.code).toBe(1);
  expect(r.stderr.endsWith('\n')).toBe(true);
  expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
  return r.stderr.trimEnd();
}

describe('charrnn error lines', () => {
  it('spells flags in hints: --unknown skip for a prime outside the vocabulary', () => {
    const line = oneLineError(runCli(['sample', model, '--backend', 'js', '--prime', 'toX']));
    expect(line).toBe(
      'charrnn: Character "X" (U+0058) at index 2 is not in the vocabulary of 8 characters. HINT: pass --unknown skip',
    );
  });

  it('spells flags in range errors: --val-fraction', () => {
    const line = oneLineError(
      runCli(['train', '--corpus', corpus, '--backend', 'js', '--max-iters', '1', '--val-fraction', '0.7']),
    );
    expect(line).toBe('charrnn: Expected a number in [0, 0.5] for --val-fraction but received 0.7');
  });

  it('says --backend js when the native backend is asked for and missing', () => {
    const line = oneLineError(
      runCli(['sample', model, '--backend', 'native'], undefined, {
        CHARRNN_ADDON_PATH: join(dir, 'none.node'),
      }),
    );
    expect(line).toMatch(
      /^charrnn: the native backend is not available \(.*\)\. HINT: run `npm rebuild charrnn`/,
    );
    expect(line.endsWith('or pass --backend js')).toBe(true);
  });

  it('says a directory given as the text to score is a directory', () => {
    const line = oneLineError(runCli(['score', model, dir, '--backend', 'js']));
    expect(line).toBe(
      `charrnn: Text file ${dir} is a directory, not a text file. HINT: pass a UTF-8 text file, or - to read stdin`,
    );
  });

  it('refuses a text too long for one string by its size, naming the limit (train streams it instead)', () => {
    const huge = join(dir, 'huge.txt');
    writeFileSync(huge, '');
    truncateSync(huge, 2 ** 31); // sparse: no disk space, and never read
    const t0 = performance.now();
    const line = oneLineError(runCli(['score', model, huge, '--backend', 'js']));
    expect(line).toBe(
      `charrnn: Text file ${huge} is too long: its 2,147,483,648 bytes decode to more than 536,870,888 UTF-16 ` +
        'code units, the longest text charrnn can hold (one JavaScript string, about 512 MB). ' +
        'HINT: use a part of it (e.g. head -c 500M FILE > part.txt)',
    );
    // train reads such a file through bounded windows (test/integration/corpus-file.test.ts), with character tokens
    // only: word tokens need the whole text, and are refused before anything is read.
    const words = oneLineError(
      runCli(['train', '--corpus', huge, '--backend', 'js', '--max-iters', '1', '--tokens', 'word']),
    );
    expect(words).toBe(
      `charrnn: Word tokens need the whole text in memory, and ${huge} is larger than the corpus size charrnn reads ` +
        'into memory (it streams larger files, character tokens only). HINT: use --tokens char, or a part of the ' +
        'file (e.g. head -c 50M FILE > part.txt)',
    );
    expect(performance.now() - t0).toBeLessThan(30_000);
  });

  it('exits 130 when Ctrl-C stops sample, after ending the line', { timeout: 60_000 }, async () => {
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'src/cli/main.ts'),
        'sample',
        model,
        '--backend',
        'js',
        '--length',
        '100000000',
      ],
      { cwd: root, env: { ...process.env, CHARRNN_DEBUG: '' }, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    await new Promise<void>((resolve) =>
      child.stdout.on('data', (d: Buffer) => {
        stdout += d.toString();
        if (stdout.length > 100) resolve();
      }),
    );
    child.kill('SIGINT');
    expect(await exited).toBe(130);
    expect(stderr).toBe('charrnn: stopped\n');
  });
});

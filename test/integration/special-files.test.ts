// A FIFO or a device given as a model, checkpoint or text is refused at once, in one line with exit code 1.
// Regression (issue 15, defect 4): `inspect`, `sample`, `score`, `train --resume` and `train --corpus` hung on a FIFO
// with no writer (open() blocks), and /dev/zero was read as an endless file.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { saveModel } from '../../src/io/model-file.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-special-'));
const fifo = join(dir, 'pipe');
const model = join(dir, 'model.safetensors');
const text = join(dir, 'text.txt');
beforeAll(async () => {
  execFileSync('mkfifo', [fifo]);
  writeFileSync(text, 'to be or not to be\n');
  await saveModel(
    CharRNN.create({ vocabulary: Vocabulary.fromText('to be or nt\n'), hiddenSize: 4, backend: 'js' }),
    model,
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('special files', () => {
  const cases: [string, string[], string][] = [
    ['inspect FIFO', ['inspect', fifo], `File ${fifo} is a FIFO (named pipe)`],
    ['sample FIFO', ['sample', fifo, '--length', '5'], `File ${fifo} is a FIFO (named pipe)`],
    ['score MODEL FIFO', ['score', model, fifo], `Text file ${fifo} is a FIFO (named pipe)`],
    [
      'train --corpus FIFO',
      ['train', '--corpus', fifo, '--max-iters', '2'],
      `Corpus file ${fifo} is a FIFO (named pipe)`,
    ],
    ['train --resume FIFO', ['train', '--resume', fifo], `File ${fifo} is a FIFO (named pipe)`],
    ['inspect /dev/zero', ['inspect', '/dev/zero'], 'File /dev/zero is a character device'],
    ['score MODEL /dev/zero', ['score', model, '/dev/zero'], 'Text file /dev/zero is a character device'],
  ];
  it.each(cases)('charrnn %s is refused at once', (_name, args, message) => {
    const r = runCli(args);
    expect(
      r.stderr
        .trim()
        .split('\n')
        .filter((l) => l.startsWith('charrnn:')),
    ).toEqual([`charrnn: ${message}, not a regular file. HINT: write it to a regular file first`]);
    expect(r.code).toBe(1);
  });

  it('still reads a regular file', () => {
    const r = runCli(['score', model, text]);
    expect(r.code).toBe(0);
  });
});

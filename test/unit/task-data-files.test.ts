// Reading the sequence tasks' data from disk (src/io/task-data.ts): a names-style folder, TSV / JSONL / CoNLL-U
// files, and the train / validation / test parts of a run — all on small files written here.
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readTaskData, readTaskSplits } from '../../src/io/task-data.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'charrnn-taskdata-'));
  await mkdir(join(dir, 'names'));
  await writeFile(join(dir, 'names', 'Greek.txt'), 'Alexakis\nPapadopoulos\n');
  await writeFile(join(dir, 'names', 'Irish.txt'), 'O’Brien\r\nMurphy\r\nKelly\n');
  await writeFile(join(dir, 'names', 'README.md'), 'not data');
  await mkdir(join(dir, 'empty'));
  await writeFile(join(dir, 'd.tsv'), 'good\tpos\nbad\tneg\n');
  await writeFile(join(dir, 'd.jsonl'), '{"text":"ab","labels":["X","Y"]}\n');
  await writeFile(join(dir, 'd.conllu'), '1\tHi\thi\tINTJ\t_\t_\t0\troot\t_\t_\n\n');
  await writeFile(join(dir, 'd.csv'), 'a,b\n');
  await writeFile(join(dir, 'latin1.tsv'), Buffer.from([0x63, 0x61, 0x66, 0xe9, 0x09, 0x78, 0x0a]));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('readTaskData', () => {
  it('reads a folder of LABEL.txt files, one class per file, other files ignored', async () => {
    const d = await readTaskData(join(dir, 'names'), 'classify');
    expect(d.format).toBe('folder');
    expect(d.examples).toEqual([
      { text: 'Alexakis', label: 'Greek' },
      { text: 'Papadopoulos', label: 'Greek' },
      { text: 'O’Brien', label: 'Irish' },
      { text: 'Murphy', label: 'Irish' },
      { text: 'Kelly', label: 'Irish' },
    ]);
  });

  it('reads TSV, JSONL and CoNLL-U files by extension', async () => {
    expect((await readTaskData(join(dir, 'd.tsv'), 'classify')).examples).toHaveLength(2);
    expect((await readTaskData(join(dir, 'd.jsonl'), 'tag')).examples).toEqual([
      { text: 'ab', labels: ['X', 'Y'] },
    ]);
    expect((await readTaskData(join(dir, 'd.conllu'), 'tag')).examples).toEqual([
      { text: 'Hi', labels: ['INTJ', 'INTJ'], wordStarts: [0] },
    ]);
  });

  it('says what is wrong with a path it cannot read', async () => {
    await expect(readTaskData(join(dir, 'missing.tsv'), 'classify')).rejects.toThrow(
      /^Data not found: .*missing\.tsv\. HINT: pass a folder of LABEL\.txt files/,
    );
    await expect(readTaskData(join(dir, 'd.csv'), 'classify')).rejects.toThrow(RangeError);
    await expect(readTaskData(join(dir, 'names'), 'tag')).rejects.toThrow(
      /^Expected a \.tsv, \.jsonl or \.conllu file for --task tag but received the folder .*HINT: a folder of LABEL\.txt files is classification data/,
    );
    await expect(readTaskData(join(dir, 'd.conllu'), 'classify')).rejects.toThrow(/CoNLL-U is tagging data/);
    await expect(readTaskData(join(dir, 'empty'), 'classify')).rejects.toThrow(
      /^No LABEL\.txt files in the folder /,
    );
    await expect(readTaskData(join(dir, 'latin1.tsv'), 'classify')).rejects.toThrow(
      /^Invalid UTF-8 in .*latin1\.tsv at byte offset 3/,
    );
  });
});

describe('readTaskSplits', () => {
  it('splits one data set by fraction, the same way for the same seed', async () => {
    const opts = {
      task: 'classify' as const,
      data: join(dir, 'names'),
      split: { valid: 0.2, test: 0.2 },
      seed: 3,
    };
    const a = await readTaskSplits(opts);
    expect([a.train.length, a.valid.length, a.test.length]).toEqual([3, 1, 1]);
    expect(await readTaskSplits(opts)).toEqual(a);
  });

  it('takes validation and test data from their own files, not from the split', async () => {
    const s = await readTaskSplits({
      task: 'classify',
      data: join(dir, 'names'),
      valid: join(dir, 'd.tsv'),
      split: { valid: 0.2, test: 0 },
    });
    expect(s.train).toHaveLength(5);
    expect(s.valid.map((e) => e.text)).toEqual(['good', 'bad']);
    expect(s.test).toEqual([]);
  });
});

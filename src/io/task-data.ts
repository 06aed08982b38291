// Reading the data of the classify and tag tasks from disk: a folder of LABEL.txt files (the PyTorch "classifying
// names" layout), a .tsv, a .jsonl or a .conllu file, strictly UTF-8; and the train / validation / test examples of a
// run, from separate files or a seeded split of one. Parsing is src/tasks/data.ts; this module only finds and reads.
import { readdir, stat } from 'node:fs/promises';
import { basename, extname, join } from 'node:path';
import { decodeUtf8Strict } from '../text/corpus.js';
import { refuseSpecialFile } from '../util/files.js';
import { readFile } from 'node:fs/promises';
import {
  parseConllu,
  parseJsonl,
  parseLabelledLines,
  parseTsv,
  type SequenceTask,
  type TaskExample,
} from '../tasks/data.js';
import { splitByFraction, type SplitFractions } from '../tasks/split.js';

export type TaskDataFormat = 'folder' | 'tsv' | 'jsonl' | 'conllu';

export interface TaskData {
  readonly format: TaskDataFormat;
  readonly examples: TaskExample[];
}

const FORMAT_HINT =
  'pass a folder of LABEL.txt files, a .tsv (text<TAB>label), a .jsonl ({"text", "label"}) or, for --task tag, a .conllu file';

function dataError(message: string, code?: string): Error {
  return Object.assign(new Error(message), code ? { code } : {});
}

async function readText(path: string): Promise<string> {
  await refuseSpecialFile(path, 'Data file');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw dataError(`Data file not found: ${path}. HINT: ${FORMAT_HINT}`, code);
    throw err;
  }
  return decodeUtf8Strict(bytes, path);
}

/** The format of `path` by what it is: a folder, or a file by its extension (undefined: not one we read). */
function formatOf(path: string, isDirectory: boolean): TaskDataFormat | undefined {
  if (isDirectory) return 'folder';
  const ext = extname(path).toLowerCase();
  return ext === '.tsv' ? 'tsv' : ext === '.jsonl' ? 'jsonl' : ext === '.conllu' ? 'conllu' : undefined;
}

/**
 * The examples at `path` for `task`. A folder: every `*.txt` file in it (sorted by name) is one class, named after
 * the file, one example per non-empty line (classify only). A file: `.tsv`, `.jsonl` or `.conllu` (tag only).
 * A missing path, an empty folder or an empty file is an Error whose message says the fix.
 */
export async function readTaskData(path: string, task: SequenceTask): Promise<TaskData> {
  if (typeof path !== 'string' || path === '')
    throw new TypeError(`Expected a file or folder path for the data but received ${JSON.stringify(path)}`);
  const info = await stat(path).catch((err: NodeJS.ErrnoException) => {
    if (err.code === 'ENOENT') throw dataError(`Data not found: ${path}. HINT: ${FORMAT_HINT}`, 'ENOENT');
    throw err;
  });
  const format = formatOf(path, info.isDirectory());
  if (format === undefined)
    throw new RangeError(
      `Expected a .tsv, .jsonl or .conllu file or a folder for the data but received ${path}. HINT: ${FORMAT_HINT}`,
    );
  if (format === 'folder' && task !== 'classify')
    throw new RangeError(
      `Expected a .tsv, .jsonl or .conllu file for --task tag but received the folder ${path}. HINT: a folder of LABEL.txt files is classification data (--task classify)`,
    );
  if (format === 'conllu' && task !== 'tag')
    throw new RangeError(
      `Expected a folder, .tsv or .jsonl file for --task classify but received the CoNLL-U file ${path}. HINT: CoNLL-U is tagging data (--task tag)`,
    );
  let examples: TaskExample[];
  if (format === 'folder') {
    const files = (await readdir(path)).filter((f) => f.toLowerCase().endsWith('.txt')).sort();
    if (files.length === 0)
      throw dataError(`No LABEL.txt files in the folder ${path}. HINT: ${FORMAT_HINT}`, 'ENODATA');
    examples = [];
    for (const f of files) {
      const file = join(path, f);
      examples.push(...parseLabelledLines(await readText(file), basename(f, extname(f)), file));
    }
  } else {
    const text = await readText(path);
    examples =
      format === 'tsv'
        ? parseTsv(text, task, path)
        : format === 'jsonl'
          ? parseJsonl(text, task, path)
          : parseConllu(text, path);
  }
  if (examples.length === 0) throw dataError(`No examples in ${path}. HINT: ${FORMAT_HINT}`, 'ENODATA');
  return { format, examples };
}

export interface TaskSplitOptions {
  task: SequenceTask;
  /** The training data (or all of it, when split is given). */
  data: string;
  /** Separate validation data (instead of a split's validation part). */
  valid?: string;
  /** Separate test data (instead of a split's test part). */
  test?: string;
  /** Fractions split off `data` (seeded by `seed`); a part that has its own file is not split off. */
  split?: SplitFractions;
  seed?: number;
}

export interface TaskSplits {
  readonly format: TaskDataFormat;
  readonly train: TaskExample[];
  readonly valid: TaskExample[];
  readonly test: TaskExample[];
}

/**
 * The train / validation / test examples of a run: `valid` and `test` from their own files when given, the rest
 * split off `data` by `split` (seeded: the same seed gives the same split), the remainder training.
 */
export async function readTaskSplits(options: TaskSplitOptions): Promise<TaskSplits> {
  const { task } = options;
  const all = await readTaskData(options.data, task);
  const fractions = {
    valid: options.valid !== undefined ? 0 : (options.split?.valid ?? 0),
    test: options.test !== undefined ? 0 : (options.split?.test ?? 0),
  };
  const parts = splitByFraction(all.examples, fractions, options.seed ?? 1);
  const valid =
    options.valid !== undefined ? (await readTaskData(options.valid, task)).examples : parts.valid;
  const test = options.test !== undefined ? (await readTaskData(options.test, task)).examples : parts.test;
  // Unsplit data keeps its order (splitByFraction shuffles; a run's batcher shuffles anyway).
  const train = fractions.valid === 0 && fractions.test === 0 ? all.examples : parts.train;
  return { format: all.format, train, valid, test };
}

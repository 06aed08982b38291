// `charrnn viz`: Karpathy's neuron-firing viewer — trace a text through a saved model (model.trace), rank the
// neurons that follow quotes, brackets, line position and word starts (rankNeurons), and write one self-contained
// HTML page (src/report/viz-html.ts). Deliberately thin: reading the text and the flags, nothing else.
import { readFile } from 'node:fs/promises';
import { Command } from 'commander';
import type { BackendChoice } from '../../backends/index.js';
import { rankNeurons } from '../../generate/trace.js';
import { writeFileAtomic } from '../../io/atomic.js';
import { MAX_TRACE_LENGTH } from '../../model/config.js';
import { renderViz } from '../../report/viz-html.js';
import { decodeUtf8Strict } from '../../text/corpus.js';
import { refuseTooLongText } from '../../text/corpus-file.js';
import { refuseSpecialFile } from '../../util/files.js';
import { backendOption, int, loadModelForCli, UsageError } from '../args.js';

/** Characters the page shows unless --max-chars says otherwise (the page holds every activation of them). */
export const DEFAULT_VIZ_CHARS = 5000;

interface VizCliOptions {
  text?: string;
  prime?: string;
  out: string;
  topK: number;
  maxChars: number;
  top: number;
  backend: BackendChoice;
}

async function readTextFile(file: string): Promise<string> {
  await refuseSpecialFile(file, 'Text file');
  await refuseTooLongText(file, 'Text file');
  try {
    return decodeUtf8Strict(await readFile(file), file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError(`Text file not found: ${file}. HINT: pass a UTF-8 text file`);
    if (code === 'EISDIR') throw new UsageError(`Text file ${file} is a directory, not a text file`);
    throw err;
  }
}

async function vizCommand(modelFile: string, opts: VizCliOptions): Promise<void> {
  if ((opts.text === undefined) === (opts.prime === undefined))
    throw new UsageError('expected exactly one of --text FILE or --prime TEXT');
  let text = opts.text !== undefined ? await readTextFile(opts.text) : opts.prime!;
  const model = await loadModelForCli(modelFile, opts.backend);
  const chars = Array.from(text);
  if (chars.length > opts.maxChars) {
    text = chars.slice(0, opts.maxChars).join('');
    process.stderr.write(`showing the first ${opts.maxChars} of ${chars.length} characters (--max-chars)\n`);
  }
  if (opts.topK > model.config.vocabSize)
    throw new UsageError(`expected --top-k of at most the vocabulary size ${model.config.vocabSize}`);
  const result = model.trace(text, { topK: opts.topK });
  const ranking = rankNeurons(result, { top: opts.top });
  const v = model.vocabulary;
  const c = model.config;
  const html = renderViz(result, ranking, {
    title: `charrnn viz: ${modelFile}`,
    model: `${c.cell} ×${c.layers} hidden ${c.hiddenSizes.join('/')} (${model.backend})`,
    pieces: Array.from(result.ids, (id, i) => v.decodeStep(i === 0 ? -1 : result.ids[i - 1], id)),
    tokenOf: (id) => v.tokenOf(id),
  });
  await writeFileAtomic(opts.out, new TextEncoder().encode(html));
  process.stderr.write(`wrote ${opts.out} (${result.steps} tokens)\n`);
}

/** Adds `charrnn viz` (its options and handler) to the program. */
export function registerViz(program: Command): void {
  program
    .command('viz')
    .description(
      'make one self-contained HTML page (no network) of a text under a model: neuron activations, surprisal, top-k predictions',
    )
    .argument('<model>', 'a model file written by `charrnn train`')
    .option('--text <file>', 'a UTF-8 text file to trace')
    .option('--prime <text>', 'the text to trace, given on the command line')
    .option('--out <file>', 'where to write the page', 'viz.html')
    .option('--top-k <k>', 'next-character predictions shown per character', int('--top-k', 1, 1000), 5)
    .option(
      '--max-chars <n>',
      `trace at most this many characters (at most ${MAX_TRACE_LENGTH})`,
      int('--max-chars', 1, MAX_TRACE_LENGTH),
      DEFAULT_VIZ_CHARS,
    )
    .option('--top <n>', 'neurons listed per text feature', int('--top', 1, 1000), 10)
    .addOption(backendOption())
    .action((modelFile: string, opts: VizCliOptions) => vizCommand(modelFile, opts));
}

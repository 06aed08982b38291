// `charrnn score`: its options and the handler that prints a text's total log-probability, perplexity and
// bits per token (or JSON, or per-token surprisal) under a saved model.
import { readFile } from 'node:fs/promises';
import { refuseSpecialFile } from '../../util/files.js';
import { Command } from 'commander';
import type { BackendChoice } from '../../backends/index.js';
import { DEFAULT_SCORE_BATCH, type ScoreUnknownPolicy } from '../../generate/score.js';
import { MAX_BATCH_STREAMS } from '../../generate/session.js';
import { tokenizeWords } from '../../text/word-vocabulary.js';
import { decodeUtf8Strict } from '../../text/corpus.js';
import { refuseTooLongText } from '../../text/corpus-file.js';
import { backendOption, loadModelForCli, UsageError, writeOut } from '../args.js';

const DEFAULT_BATCH = String(DEFAULT_SCORE_BATCH);

interface ScoreCliOptions {
  backend: BackendChoice;
  unknown: string;
  context?: string;
  perChar: boolean;
  json: boolean;
  lines: boolean;
  rank: boolean;
  batch: string;
}

/** '--unknown error|skip|NATS' → the scoring policy (undefined: the model's default). */
function scorePolicy(value: string): ScoreUnknownPolicy | undefined {
  if (value === 'default') return undefined;
  if (value === 'error' || value === 'skip') return value;
  const n = Number(value);
  if (value.trim() !== '' && Number.isFinite(n) && n >= 0) return { penalty: n };
  throw new UsageError(
    `expected error, skip or a penalty in nats ≥ 0 for --unknown, got ${JSON.stringify(value)}`,
  );
}

async function readText(file: string): Promise<{ name: string; text: string }> {
  if (file === '-') {
    const chunks: Buffer[] = [];
    for await (const c of process.stdin) chunks.push(c as Buffer);
    return { name: 'stdin', text: decodeUtf8Strict(new Uint8Array(Buffer.concat(chunks)), 'stdin') };
  }
  await refuseSpecialFile(file, 'Text file');
  await refuseTooLongText(file, 'Text file');
  let bytes: Uint8Array;
  try {
    bytes = await readFile(file);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT')
      throw new UsageError(`Text file not found: ${file}. HINT: pass a UTF-8 text file, or - to read stdin`);
    if (code === 'EISDIR')
      throw new UsageError(
        `Text file ${file} is a directory, not a text file. HINT: pass a UTF-8 text file, or - to read stdin`,
      );
    throw err;
  }
  return { name: file, text: decodeUtf8Strict(bytes, file) };
}

/** Whether a line has the 2 tokens score needs (or any token, given a context). */
function scoreable(line: string, word: boolean, context: boolean): boolean {
  const n = word ? tokenizeWords(line).tokens.length : [...line].length;
  return n >= (context ? 1 : 2);
}

/**
 * --lines: every line scored on its own (lines too short to score are skipped and counted), batched (scoreMany);
 * --rank sorts them most likely first by nats per token.
 */
async function scoreLines(
  model: Awaited<ReturnType<typeof loadModelForCli>>,
  name: string,
  text: string,
  opts: ScoreCliOptions,
  unknown: ScoreUnknownPolicy | undefined,
): Promise<void> {
  const batch = Number(opts.batch);
  if (!Number.isInteger(batch) || batch < 1 || batch > MAX_BATCH_STREAMS)
    throw new UsageError(
      `expected an integer in [1, ${MAX_BATCH_STREAMS}] for --batch, got ${JSON.stringify(opts.batch)}`,
    );
  const word = model.vocabulary.kind === 'word';
  const all = text.split('\n');
  if (all.length > 0 && all[all.length - 1] === '') all.pop();
  const kept = all
    .map((line, i) => ({ line: i + 1, text: line }))
    .filter((l) => scoreable(l.text, word, opts.context !== undefined));
  const results = model.scoreMany(
    kept.map((l) => l.text),
    { unknown, context: opts.context, batch },
  );
  const rows = kept.map((l, i) => ({ ...l, r: results[i] }));
  if (opts.rank)
    rows.sort((a, b) => a.r.totalNats / a.r.count - b.r.totalNats / b.r.count || a.line - b.line);
  const skipped = all.length - kept.length;
  if (opts.json) {
    const out = rows.map(({ line, text: t, r }) => ({
      line,
      text: t,
      count: r.count,
      totalNats: r.totalNats,
      natsPerToken: r.totalNats / r.count,
      bitsPerChar: r.bitsPerChar,
      perplexity: r.perplexity,
      unknown: r.unknown,
    }));
    await writeOut(JSON.stringify({ file: name, skipped, lines: out }, null, 2) + '\n');
    return;
  }
  const unit = word ? 'word' : 'char';
  const body = rows.map(
    ({ line, text: t, r }) =>
      `${line}\t${r.count}\t${(r.totalNats / r.count).toFixed(4)}\t${r.bitsPerChar.toFixed(4)}\t${r.perplexity.toFixed(4)}\t${JSON.stringify(t)}`,
  );
  const tokens = rows.reduce((n, x) => n + x.r.count, 0);
  const nats = rows.reduce((n, x) => n + x.r.totalNats, 0);
  await writeOut(
    `line\t${unit}s\tnats/${unit}\tbits/char\tperplexity\ttext\n` +
      (body.length > 0 ? body.join('\n') + '\n' : '') +
      `# ${name}: ${rows.length.toLocaleString('en-US')} lines scored` +
      (skipped > 0 ? ` (${skipped} skipped: fewer than 2 ${unit}s; --context scores every ${unit})` : '') +
      `, ${tokens.toLocaleString('en-US')} ${unit}s, ${(tokens > 0 ? nats / tokens : NaN).toFixed(4)} nats/${unit} overall\n`,
  );
}

async function scoreCommand(modelFile: string, file: string, opts: ScoreCliOptions): Promise<void> {
  const unknown = scorePolicy(opts.unknown);
  if ((opts.rank || opts.batch !== DEFAULT_BATCH) && !opts.lines)
    throw new UsageError(
      '--rank and --batch need --lines (they act on the lines of the file scored one by one)',
    );
  if (opts.lines && opts.perChar) throw new UsageError('--per-char and --lines cannot be combined');
  const model = await loadModelForCli(modelFile, opts.backend);
  const { name, text } = await readText(file);
  if (opts.lines) return scoreLines(model, name, text, opts, unknown);
  // A token outside the vocabulary: the library's message, its hint in flags (src/cli/messages.ts).
  const r = model.score(text, { unknown, context: opts.context });
  const unit = model.vocabulary.kind === 'word' ? 'word' : 'char';
  if (opts.json) {
    const { tokens, surprisal, ...totals } = r;
    const out: Record<string, unknown> = { model: modelFile, file: name, unit, ...totals };
    if (opts.perChar) out.perToken = tokens.map((token, i) => ({ token, nats: surprisal[i] }));
    await writeOut(JSON.stringify(out, null, 2) + '\n');
    return;
  }
  const f = (x: number, d: number) =>
    x.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
  if (opts.perChar) {
    const lines = r.tokens.map(
      (t, i) =>
        `${i}\t${JSON.stringify(t)}\t${r.surprisal[i].toFixed(4)}\t${(r.surprisal[i] / Math.LN2).toFixed(4)}`,
    );
    await writeOut(`index\t${unit === 'word' ? 'token' : 'char'}\tnats\tbits\n` + lines.join('\n') + '\n');
  }
  const lines = [
    `${name}: ${r.count.toLocaleString('en-US')} ${unit}s scored` +
      (unit === 'word' ? ` (${r.characters.toLocaleString('en-US')} characters)` : '') +
      (r.unknown > 0 ? `, ${r.unknown} unknown` : ''),
    `total ${f(r.totalNats, 3)} nats (${f(r.totalBits, 3)} bits)`,
    `perplexity ${f(r.perplexity, 4)} per ${unit}, ${f(r.bitsPerToken, 4)} bits/${unit}` +
      (unit === 'word'
        ? `; per character: perplexity ${f(r.charPerplexity, 4)}, ${f(r.bitsPerChar, 4)} bits/char`
        : ''),
  ];
  await writeOut(lines.join('\n') + '\n');
}

/** Adds `charrnn score` (its options and handler) to the program. */
export function registerScore(program: Command): void {
  program
    .command('score')
    .description('score a text under a saved model: total log-probability, perplexity, bits per character')
    .argument('<model>', 'a model file written by `charrnn train`')
    .argument('[file]', 'a UTF-8 text file, or - for stdin', '-')
    .addOption(backendOption())
    .option(
      '--unknown <policy>',
      'tokens outside the vocabulary: error, skip, or a penalty in nats (default: error; <unk> for word models)',
      'default',
    )
    .option('--context <text>', 'text fed before the scored text (otherwise its first token is the context)')
    .option('--per-char', 'also print the surprisal of every scored character (token)', false)
    .option('--json', 'machine-readable output', false)
    .option('--lines', 'score every line on its own (batched), one row per line', false)
    .option('--rank', 'with --lines: sort the lines most likely first (by nats per token)', false)
    .option('--batch <n>', 'with --lines: lines stepped together per backend call', DEFAULT_BATCH)
    .action((modelFile: string, file: string, opts: ScoreCliOptions) => scoreCommand(modelFile, file, opts));
}

// `charrnn score`: its options and the handler that prints a text's total log-probability, perplexity and
// bits per token (or JSON, or per-token surprisal) under a saved model.
import { readFile } from 'node:fs/promises';
import { refuseSpecialFile } from '../../util/files.js';
import { Command } from 'commander';
import type { BackendChoice } from '../../backends/index.js';
import type { ScoreUnknownPolicy } from '../../generate/score.js';
import { decodeUtf8Strict } from '../../text/corpus.js';
import { refuseTooLongText } from '../../text/corpus-file.js';
import { backendOption, loadModelForCli, UsageError, writeOut } from '../args.js';

interface ScoreCliOptions {
  backend: BackendChoice;
  unknown: string;
  context?: string;
  perChar: boolean;
  json: boolean;
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

async function scoreCommand(modelFile: string, file: string, opts: ScoreCliOptions): Promise<void> {
  const unknown = scorePolicy(opts.unknown);
  const model = await loadModelForCli(modelFile, opts.backend);
  const { name, text } = await readText(file);
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
    .action((modelFile: string, file: string, opts: ScoreCliOptions) => scoreCommand(modelFile, file, opts));
}

// `charrnn inspect`: print what a model or checkpoint file holds (the text itself is built in checkpoint-cli.ts).
import { Command } from 'commander';
import { inspectText } from '../checkpoint-cli.js';

/** Adds `charrnn inspect` (its options and handler) to the program. */
export function registerInspect(program: Command): void {
  program
    .command('inspect')
    .description(
      'print what a model or checkpoint file holds: config, vocabulary, parameters, training state',
    )
    .argument('<file>', 'a model or checkpoint written by `charrnn train`')
    .option('--json', 'print everything as JSON', false)
    .action(async (file: string, opts: { json: boolean }) => {
      const chart = { width: process.stdout.columns ?? 80, color: process.stdout.isTTY === true };
      process.stdout.write((await inspectText(file, opts.json, chart)) + '\n');
    });
}

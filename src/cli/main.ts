#!/usr/bin/env node
// The `charrnn` command: train (and resume), sample, score, inspect, report, viz, info and bench over the library's public API.
// Deliberately thin: it builds the program from one module per command (src/cli/commands/, each with its options
// beside its handler) and turns every error into one line and an exit code.
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { VERSION } from '../version.js';
import { ExitCode, UsageError } from './args.js';
import { CheckpointUsageError } from './checkpoint-cli.js';
import { cliMessage } from './messages.js';
import { registerBench } from './commands/bench.js';
import { registerInfo } from './commands/info.js';
import { registerInspect } from './commands/inspect.js';
import { registerReport } from './commands/report.js';
import { registerSample } from './commands/sample.js';
import { registerScore } from './commands/score.js';
import { registerTaskCommands } from './commands/task.js';
import { registerTrain } from './commands/train.js';
import { registerViz } from './commands/viz.js';

export function buildProgram(): Command {
  const program = new Command();
  program
    .name('charrnn')
    .description(
      'Character-level RNN language models: train on a text, then generate from it; and character-level classifiers and taggers.',
    )
    .version(VERSION)
    // One line per mistake, the pointer to --help on the same line (commander's showHelpAfterError adds a second).
    .configureOutput({
      outputError: (str, write) =>
        write(`${str.trimEnd().split('\n').join(' ')} (run with --help for usage)\n`),
    });
  registerTrain(program);
  registerSample(program);
  registerScore(program);
  registerTaskCommands(program);
  registerInspect(program);
  registerReport(program);
  registerViz(program);
  registerInfo(program);
  registerBench(program);
  return program;
}

export async function main(argv: string[]): Promise<number> {
  const program = buildProgram();
  program.exitOverride();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof ExitCode) return err.exitCode; // a run stopped by a signal, saved and reported
    const e = err as Error & { code?: string; exitCode?: number };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) {
      // commander already printed its message (or help/version).
      return e.exitCode ?? 1;
    }
    if (process.env.CHARRNN_DEBUG) console.error(e);
    const message =
      e instanceof UsageError || e instanceof CheckpointUsageError ? e.message : (e.message ?? String(e));
    // Library errors that already name charrnn (the addon loader's) get the prefix once, not twice; options are
    // spelled as flags.
    process.stderr.write(`charrnn: ${cliMessage(message.split('\n')[0].replace(/^charrnn: /, ''))}\n`);
    return 1;
  }
}

// Run when executed directly or through the npm bin link (not when imported by tests).
function isEntryPoint(): boolean {
  const script = process.argv[1];
  if (!script) return false;
  try {
    return realpathSync(script) === realpathSync(fileURLToPath(import.meta.url));
  } catch {
    return false;
  }
}
if (isEntryPoint()) {
  // main() turns every error into a message and an exit code; it never rejects, so nothing is left unhandled.
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}

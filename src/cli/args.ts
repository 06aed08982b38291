// Shared pieces of the CLI's commands: the user-mistake and exit-code errors, commander argument parsers for integers
// and numbers, the --backend option, model loading and a stdout writer that respects back-pressure. Deliberately no
// command here.
import { once } from 'node:events';
import { constants as osConstants } from 'node:os';
import { InvalidArgumentError, Option } from 'commander';
import { resolveBackend, type BackendChoice } from '../backends/index.js';
import type { CharRNN } from '../charrnn.js';
import { loadModel } from '../io/model-file.js';
import { cliMessage } from './messages.js';

/** A mistake by the user: printed as one line, exit code 1, no stack trace. */
export class UsageError extends Error {}

/** Ends a command with this exit code and nothing more to print (e.g. 130 after Ctrl-C stopped and saved a run). */
export class ExitCode extends Error {
  constructor(readonly exitCode: number) {
    super(`exit code ${exitCode}`);
  }
}

/** The exit code of a process stopped by `signal`, as shells report it: 128 + its number (SIGINT 130, SIGTERM 143). */
export function signalExitCode(signal: NodeJS.Signals): number {
  return 128 + osConstants.signals[signal];
}

export function int(name: string, min = 0, max = Number.MAX_SAFE_INTEGER) {
  return (value: string): number => {
    const n = Number(value);
    if (!/^[+-]?\d+$/.test(value.trim()) || !Number.isSafeInteger(n) || n < min || n > max)
      throw new InvalidArgumentError(
        max === Number.MAX_SAFE_INTEGER
          ? `expected an integer ≥ ${min} for ${name}, got ${JSON.stringify(value)}`
          : `expected an integer in [${min}, ${max}] for ${name}, got ${JSON.stringify(value)}`,
      );
    return n;
  };
}

export function num(name: string, opts: { min?: number; exclusiveMin?: boolean } = {}) {
  return (value: string): number => {
    const n = Number(value);
    const { min = -Infinity, exclusiveMin = false } = opts;
    if (value.trim() === '' || !Number.isFinite(n) || n < min || (exclusiveMin && n === min))
      throw new InvalidArgumentError(
        `expected a number ${exclusiveMin ? '>' : '≥'} ${min} for ${name}, got ${JSON.stringify(value)}`,
      );
    return n;
  };
}

export const backendOption = () =>
  new Option('--backend <name>', 'arithmetic backend').choices(['auto', 'js', 'native']).default('auto');

/** Write to stdout, waiting when the pipe is full. */
export async function writeOut(text: string): Promise<void> {
  if (!process.stdout.write(text)) await once(process.stdout, 'drain');
}

/**
 * loadModel with the backend chosen first, so that the fallback warning (once per process) spells the flags
 * rather than the library's options.
 */
export async function loadModelForCli(file: string, backend: BackendChoice): Promise<CharRNN> {
  const { name } = resolveBackend(backend, { warn: (m) => process.stderr.write(cliMessage(m) + '\n') });
  return loadModel(file, { backend: name });
}

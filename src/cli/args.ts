// Shared pieces of the CLI's commands: the user-mistake error, commander argument parsers for integers and
// numbers, the --backend option and a stdout writer that respects back-pressure. Deliberately no command here.
import { once } from 'node:events';
import { InvalidArgumentError, Option } from 'commander';

/** A mistake by the user: printed as one line, exit code 1, no stack trace. */
export class UsageError extends Error {}

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

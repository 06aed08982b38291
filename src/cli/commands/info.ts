// `charrnn info`: print the version, the active backend and the CPU capabilities as JSON.
import { Command } from 'commander';
import { capabilities } from '../../backends/index.js';
import { VERSION } from '../../version.js';

/** Adds `charrnn info` (its options and handler) to the program. */
export function registerInfo(program: Command): void {
  program
    .command('info')
    .description('print the version, the active backend and CPU capabilities')
    .action(() => {
      process.stdout.write(JSON.stringify({ version: VERSION, ...capabilities() }, null, 2) + '\n');
    });
}

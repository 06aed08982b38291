// `charrnn report`: turn run logs (JSON Lines from `charrnn train`) into one self-contained HTML page with the
// loss curves (several runs overlaid), learning rate, speed and samples. Deliberately thin over makeReport.
import { Command } from 'commander';
import { writeFileAtomic } from '../../io/atomic.js';
import { makeReport } from '../../report/report.js';

/** Adds `charrnn report` (its options and handler) to the program. */
export function registerReport(program: Command): void {
  program
    .command('report')
    .description('make one self-contained HTML page (no network) of the loss curves and samples of run logs')
    .argument('<logs...>', 'run logs written by `charrnn train` (<out>.log.jsonl, or --log FILE)')
    .option('--out <file>', 'where to write the page', 'report.html')
    .option('--title <text>', 'the page title (default: the runs’ names)')
    .action(async (logs: string[], opts: { out: string; title?: string }) => {
      const html = await makeReport(logs, opts.title !== undefined ? { title: opts.title } : {});
      await writeFileAtomic(opts.out, new TextEncoder().encode(html));
      process.stderr.write(`wrote ${opts.out} (${logs.length} log${logs.length > 1 ? 's' : ''})\n`);
    });
}

// `charrnn bench`: its options and the handler that times the benchmark workloads (W1–W4, W6) and prints (and
// optionally writes) the records.
import { writeFile } from 'node:fs/promises';
import { Command } from 'commander';
import { runBenchmarks, summarize } from '../../bench/runner.js';
import { num, UsageError } from '../args.js';

/** Adds `charrnn bench` (its options and handler) to the program. */
export function registerBench(program: Command): void {
  program
    .command('bench')
    .description('time the benchmark workloads (W1–W4 and W6 of WORKLOADS.md) on this machine')
    .option(
      '--workload <names>',
      'comma-separated workloads: W1, W2, W3, W4, W6 (batched generation and rank)',
      'W1,W2,W3,W4',
    )
    .option('--backend <names>', 'comma-separated backends: js, native', 'js,native')
    .option(
      '--threads <list>',
      'comma-separated native thread counts to measure (default: 1 and the configured count)',
    )
    .option(
      '--time <seconds>',
      'seconds of timing per measurement',
      num('--time', { min: 0, exclusiveMin: true }),
      3,
    )
    .option('--json <file>', 'also write the records as a JSON array to this file')
    .action(
      async (opts: { workload: string; backend: string; threads?: string; time: number; json?: string }) => {
        const backends = opts.backend.split(',').map((b) => b.trim());
        for (const b of backends)
          if (b !== 'js' && b !== 'native')
            throw new UsageError(`Expected js or native for --backend but received ${JSON.stringify(b)}`);
        const threads = opts.threads?.split(',').map((t) => {
          const n = Number(t.trim());
          if (!Number.isInteger(n) || n < 1 || n > 256)
            throw new UsageError(
              `Expected integers in [1, 256] for --threads but received ${JSON.stringify(t)}`,
            );
          return n;
        });
        const workloads = opts.workload.split(',').map((w) => w.trim().toUpperCase());
        for (const w of workloads)
          if (!['W1', 'W2', 'W3', 'W4', 'W6'].includes(w))
            throw new UsageError(
              `Expected W1, W2, W3, W4 or W6 for --workload but received ${JSON.stringify(w)}`,
            );
        const log = (line: string) => process.stdout.write(line + '\n');
        const records = await runBenchmarks({
          workloads,
          backends: backends as ('js' | 'native')[],
          threads,
          seconds: opts.time,
          log,
        });
        log(summarize(records));
        if (opts.json !== undefined) {
          await writeFile(opts.json, JSON.stringify(records, null, 2) + '\n');
          log(`wrote ${opts.json}`);
        }
      },
    );
}

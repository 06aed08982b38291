// `npm run bench:table -- FILE [--readme PATH] [--print]`: turns the records that `npm run bench -- --json FILE`
// wrote into the README's benchmark table (one row per workload, one column per backend and thread count) and
// rewrites README.md between the `<!-- bench-table:start -->` and `<!-- bench-table:end -->` markers, so the
// table is generated from a committed run, never edited by hand. --print writes the table to stdout instead.
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

export const START_MARKER = '<!-- bench-table:start -->';
export const END_MARKER = '<!-- bench-table:end -->';

/** The fields of a bench record (src/bench/runner.ts's BenchRecord) that the table uses. */
export interface BenchRow {
  workload: string;
  backend: string;
  threads: number;
  charsPerSec: number;
  gflops: number;
  isa: string;
  node: string;
  date: string;
  cpu: string;
  data: string;
  /** W9: the same run's sgemm peak on as many threads (the cell then says what fraction of it the row reached). */
  peakGflops?: number;
}

const STRING_FIELDS = ['workload', 'backend', 'isa', 'node', 'date', 'cpu', 'data'] as const;
const NUMBER_FIELDS = ['threads', 'charsPerSec', 'gflops'] as const;

/** Checks that `json` (parsed bench output) is an array of records; a TypeError names the first bad field. */
export function parseRecords(json: unknown, source = 'bench JSON'): BenchRow[] {
  if (!Array.isArray(json)) throw new TypeError(`Expected an array of bench records in ${source}`);
  if (json.length === 0) throw new RangeError(`Expected at least one bench record in ${source}`);
  return json.map((r: unknown, i) => {
    if (typeof r !== 'object' || r === null)
      throw new TypeError(
        `Expected an object for record ${i} in ${source} but received ${JSON.stringify(r)}`,
      );
    const rec = r as Record<string, unknown>;
    for (const f of STRING_FIELDS)
      if (typeof rec[f] !== 'string')
        throw new TypeError(
          `Expected a string for ${f} of record ${i} in ${source} but received ${JSON.stringify(rec[f])}`,
        );
    for (const f of NUMBER_FIELDS)
      if (typeof rec[f] !== 'number' || !Number.isFinite(rec[f]) || (rec[f] as number) < 0)
        throw new TypeError(
          `Expected a non-negative number for ${f} of record ${i} in ${source} but received ${JSON.stringify(rec[f])}`,
        );
    if (
      rec.peakGflops !== undefined &&
      (typeof rec.peakGflops !== 'number' || !Number.isFinite(rec.peakGflops) || rec.peakGflops <= 0)
    )
      throw new TypeError(
        `Expected a positive number for peakGflops of record ${i} in ${source} but received ${JSON.stringify(rec.peakGflops)}`,
      );
    return rec as unknown as BenchRow;
  });
}

/** "W1" → "W1 training", "W4 (W3 model)" → "W4 sampling, W3 model"; other names stay as they are. */
function rowLabel(workload: string): string {
  const sampling = /^W4 \((W\d) model\)$/.exec(workload);
  if (sampling) return `W4 sampling, ${sampling[1]} model`;
  if (/^W[1239]$/.test(workload)) return `${workload} training`;
  return workload;
}

function columnLabel(backend: string, threads: number): string {
  if (backend === 'js') return 'pure TypeScript';
  return `${backend}, ${threads} thread${threads === 1 ? '' : 's'}`;
}

const int = (n: number) => Math.round(n).toLocaleString('en-US');

function cell(r: BenchRow | undefined, training: boolean): string {
  if (!r) return '—';
  // GFLOP/s for the native (and PyTorch) training cells, where it says how close to the machine's peak a chunk
  // runs; W9's records carry the same run's sgemm peak, so their cells give the fraction too.
  const peak = r.peakGflops
    ? `, ${Math.round((100 * r.gflops) / r.peakGflops)}% of a ${int(r.peakGflops)} GFLOP/s sgemm peak`
    : '';
  const flops = training && r.backend !== 'js' && r.gflops > 0 ? ` (${int(r.gflops)} GFLOP/s${peak})` : '';
  return `${int(r.charsPerSec)} chars/s${flops}`;
}

function ratio(x: number): string {
  return x >= 10 ? `${Math.round(x)}×` : `${x.toFixed(1)}×`;
}

/** A list of distinct values, in first-seen order, joined for a caption. */
function distinct(values: readonly string[]): string {
  return [...new Set(values)].join(' / ');
}

/**
 * The markdown table of `records` plus a caption (machine, kernel table, Node, date, data) taken from them.
 * Rows follow the records' workload order, columns are the pure-TypeScript backend then each native thread
 * count; the last column is the best native figure over the TypeScript one. Kernel-harness records (`gemm …`,
 * measured in GFLOP/s only) are left out. Two records for the same workload, backend and thread count are a
 * RangeError.
 */
export function benchTable(records: readonly BenchRow[], source?: string): string {
  const rows = records.filter((r) => !r.workload.startsWith('gemm'));
  if (rows.length === 0) throw new RangeError('Expected at least one workload record (W1–W9) to tabulate');
  const workloads = [...new Set(rows.map((r) => r.workload))];
  // The TypeScript backend is single-threaded: one column whatever thread count its records carry.
  const threadsOf = (r: BenchRow) => (r.backend === 'js' ? 1 : r.threads);
  const columns: { backend: string; threads: number }[] = [];
  for (const r of rows)
    if (!columns.some((c) => c.backend === r.backend && c.threads === threadsOf(r)))
      columns.push({ backend: r.backend, threads: threadsOf(r) });
  columns.sort((a, b) =>
    a.backend === b.backend
      ? a.threads - b.threads
      : a.backend === 'js'
        ? -1
        : b.backend === 'js'
          ? 1
          : a.backend.localeCompare(b.backend),
  );
  const byKey = new Map<string, BenchRow>();
  for (const r of rows) {
    const key = `${r.workload}\u0000${r.backend}\u0000${threadsOf(r)}`;
    if (byKey.has(key))
      throw new RangeError(
        `Expected one record per workload, backend and thread count but found two for ${r.workload}, ${r.backend}, ${r.threads} thread(s)`,
      );
    byKey.set(key, r);
  }
  const hasJs = columns.some((c) => c.backend === 'js');
  const hasNative = columns.some((c) => c.backend !== 'js');
  const header = ['workload', ...columns.map((c) => columnLabel(c.backend, c.threads))];
  if (hasJs && hasNative) header.push('native / TS');
  const lines = [`| ${header.join(' | ')} |`, `| --- |${' ---: |'.repeat(header.length - 1)}`];
  for (const w of workloads) {
    const training = /^W[1239]$/.test(w);
    const cells = columns.map((c) => byKey.get(`${w}\u0000${c.backend}\u0000${c.threads}`));
    const row = [rowLabel(w), ...cells.map((r) => cell(r, training))];
    if (hasJs && hasNative) {
      const js = cells.find((r) => r?.backend === 'js');
      const best = Math.max(0, ...cells.filter((r) => r?.backend === 'native').map((r) => r!.charsPerSec));
      row.push(js && js.charsPerSec > 0 && best > 0 ? ratio(best / js.charsPerSec) : '—');
    }
    lines.push(`| ${row.join(' | ')} |`);
  }
  const dates = [...new Set(rows.map((r) => r.date.slice(0, 10)))].sort();
  const isas = distinct(rows.filter((r) => r.backend !== 'js').map((r) => r.isa));
  const caption =
    `Measured on ${distinct(rows.map((r) => r.cpu))}` +
    (isas ? ` (\`${isas}\` kernel table)` : '') +
    `, Node ${distinct(rows.map((r) => r.node))}, ${dates.length > 1 ? `${dates[0]} to ${dates.at(-1)}` : dates[0]}` +
    `; data: ${distinct(rows.map((r) => r.data))}; threads as each column says (pure TypeScript is single-threaded).` +
    (source ? `\nGenerated from [\`${source}\`](${source}) by \`npm run bench:table -- ${source}\`.` : '');
  return `${caption}\n\n${lines.join('\n')}\n`;
}

/** `text` with everything between the two markers replaced by `content`; a RangeError when they are missing. */
export function replaceBetweenMarkers(text: string, content: string): string {
  const start = text.indexOf(START_MARKER);
  const end = text.indexOf(END_MARKER);
  if (start < 0 || end < 0 || end < start)
    throw new RangeError(
      `Expected the markers ${START_MARKER} … ${END_MARKER}, in that order, in the README`,
    );
  if (text.indexOf(START_MARKER, start + 1) >= 0 || text.indexOf(END_MARKER, end + 1) >= 0)
    throw new RangeError(
      `Expected the markers ${START_MARKER} … ${END_MARKER} exactly once each in the README`,
    );
  return `${text.slice(0, start + START_MARKER.length)}\n${content}${text.slice(end)}`;
}

async function main(): Promise<void> {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: { readme: { type: 'string', default: 'README.md' }, print: { type: 'boolean', default: false } },
  });
  if (positionals.length !== 1) {
    console.error('usage: npm run bench:table -- FILE [--readme README.md] [--print]');
    process.exit(1);
  }
  const file = positionals[0];
  const records = parseRecords(JSON.parse(readFileSync(file, 'utf8')), file);
  // The link in the caption is relative to the README, so it works on GitHub and in a checkout.
  const link = relative(dirname(resolve(values.readme)), resolve(file))
    .split('\\')
    .join('/');
  const table = benchTable(records, link);
  if (values.print) {
    process.stdout.write(table);
    return;
  }
  writeFileSync(values.readme, replaceBetweenMarkers(readFileSync(values.readme, 'utf8'), table));
  console.log(`bench-table: rewrote the table in ${values.readme} from ${file} (${records.length} records)`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err: unknown) => {
    console.error(`bench-table: ${(err as Error).message}`);
    process.exit(1);
  });
}

// `charrnn report` as a library call (Node only): read run logs, gather their runs and render the self-contained
// page. Deliberately thin: the parts are report-data.ts (records → curves), report-html.ts (the page) and
// assets.ts (the inlined chart library).
import { basename } from 'node:path';
import { readRunLog } from '../train/run-log-file.js';
import { loadReportAssets } from './assets.js';
import { reportCharts, runsFromRecords, type ReportRun } from './report-data.js';
import { renderReport, type ReportOptions } from './report-html.js';

/** A run's name from its log file: `runs/lstm.log.jsonl` → `lstm`. */
export function runName(path: string): string {
  return basename(path).replace(/(\.log)?\.jsonl?$/, '');
}

/**
 * The HTML report of the runs in the logs at `paths` (written by `charrnn train` or RunLogWriter), overlaid.
 * Throws when a log is missing or malformed, or when the logs hold no records.
 */
export async function makeReport(paths: readonly string[], options: ReportOptions = {}): Promise<string> {
  if (!Array.isArray(paths) || paths.length === 0)
    throw new RangeError('Expected at least one run log for the report but received none');
  const runs: ReportRun[] = [];
  const names = new Map<string, number>();
  for (const path of paths) {
    let name = runName(path);
    const seen = names.get(name) ?? 0;
    names.set(name, seen + 1);
    if (seen > 0) name = `${name} (${seen + 1})`;
    const found = runsFromRecords(await readRunLog(path), name);
    if (found.length === 0) throw new RangeError(`The run log ${path} holds no records`);
    runs.push(...found);
  }
  return renderReport(runs, reportCharts(runs), await loadReportAssets(), options);
}

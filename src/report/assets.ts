// The chart library a report inlines (Node only): uPlot's IIFE build and stylesheet, read from the installed
// `uplot` package (a dependency of charrnn, so the command finds it at run time wherever npm put it).
// Deliberately nothing else: the page itself is report-html.ts.
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type { ReportAssets } from './report-html.js';

/** uPlot's files, for renderReport. Throws an Error with a hint when the package is missing. */
export async function loadReportAssets(): Promise<ReportAssets> {
  const require = createRequire(import.meta.url);
  let js: string;
  let css: string;
  try {
    js = require.resolve('uplot/dist/uPlot.iife.min.js');
    css = require.resolve('uplot/dist/uPlot.min.css');
  } catch (err) {
    throw new Error(
      'Cannot find the chart library uPlot (npm package `uplot`), which charrnn report inlines. HINT: reinstall charrnn (npm install)',
      { cause: err },
    );
  }
  const [uplotJs, uplotCss] = await Promise.all([readFile(js, 'utf8'), readFile(css, 'utf8')]);
  return { uplotJs, uplotCss };
}

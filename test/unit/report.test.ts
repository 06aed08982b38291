// The report of run logs (src/report/): runs gathered from records (a resume or roll-back rewinds what was trained
// again), several runs overlaid on one x axis, and the self-contained page made from real training runs' logs: the
// logged points in its data, uPlot inlined, nothing loaded from the network, scripts that parse.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { afterAll, describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { Corpus } from '../../src/text/corpus.js';
import { train } from '../../src/train/trainer.js';
import { RunLogWriter, readRunLog } from '../../src/train/run-log-file.js';
import type { ParsedRecord } from '../../src/train/run-log.js';
import { reportCharts, runsFromRecords } from '../../src/report/report-data.js';
import { REPORT_DATA_ID, formatDuration, renderReport } from '../../src/report/report-html.js';
import { makeReport, runName } from '../../src/report/report.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const p = (iteration: number, elapsed: number, meanLoss: number): ParsedRecord => ({
  type: 'progress',
  iteration,
  elapsed,
  meanLoss,
  lr: 0.1,
  charsPerSec: 100,
  gradNorm: 1,
});

describe('runsFromRecords', () => {
  it('keeps one point per iteration, forward only: a resume rewinds to its iteration', () => {
    const records: ParsedRecord[] = [
      { type: 'start', iteration: 0, elapsed: 0 },
      p(10, 1, 3),
      p(20, 2, 2.5),
      { type: 'eval', iteration: 20, elapsed: 2.1, valLoss: 2.6 },
      p(30, 3, 2.2), // trained after the last checkpoint (20), then killed
      { type: 'resume', iteration: 20, elapsed: 3 },
      p(30, 4, 2.1),
      { type: 'sample', iteration: 30, elapsed: 4, text: 'abc' },
      { type: 'rollback', iteration: 40, to: 30, elapsed: 5, reason: 'loss is NaN', lr: 0.05 },
      p(40, 6, 2.0),
      { type: 'end', iteration: 40, elapsed: 6, stoppedBy: 'maxIters' },
      { type: 'start', iteration: 0, elapsed: 0 },
      p(10, 1, 4),
    ];
    const runs = runsFromRecords(records, 'lstm');
    expect(runs.map((r) => r.name)).toEqual(['lstm', 'lstm #2']);
    const [a, b] = runs;
    expect(a.sessions).toBe(2);
    expect(a.progress.iteration).toEqual([10, 20, 30, 40]);
    expect(a.progress.elapsed).toEqual([1, 2, 4, 6]);
    expect(a.progress.values.meanLoss).toEqual([3, 2.5, 2.1, 2.0]);
    expect(a.validation.iteration).toEqual([20]);
    expect(a.samples).toEqual([{ iteration: 30, elapsed: 4, text: 'abc' }]);
    expect(a.notes).toEqual([[30, 5, 'roll-back: loss is NaN; lr 0.05']]);
    expect(a.end).toMatchObject({ stoppedBy: 'maxIters' });
    expect(b.progress.values.meanLoss).toEqual([4]);
  });

  it('overlays runs on one sorted x axis with nulls where a run has no point', () => {
    const a = runsFromRecords([p(10, 1, 3), p(20, 2, 2)], 'a');
    const b = runsFromRecords([p(15, 1.5, 4), p(20, 2.5, 3)], 'b');
    const [lossIter, lossTime] = reportCharts([...a, ...b]);
    expect(lossIter.xs).toEqual([10, 15, 20]);
    expect(lossIter.series.map((s) => [s.label, s.values])).toEqual([
      ['a training', [3, null, 2]],
      ['a validation', [null, null, null]],
      ['b training', [null, 4, 3]],
      ['b validation', [null, null, null]],
    ]);
    expect(lossTime.x).toBe('time');
    expect(lossTime.xs).toEqual([1, 1.5, 2, 2.5]);
  });
});

/** A short real run logged to `name`.log.jsonl. */
async function loggedRun(name: string, hiddenSize: number): Promise<string> {
  const corpus = Corpus.fromText('a stitch in time saves nine.\n'.repeat(30), { validationFraction: 0.1 });
  const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize, seed: 1, backend: 'js' });
  const path = join(dir, `${name}.log.jsonl`);
  const log = await RunLogWriter.open(path);
  log.start({
    iteration: 0,
    model: { config: model.config, parameters: model.parameterCount, backend: model.backend },
    corpus: { ref: 'stitch.txt' },
    settings: { seqLength: 8, batchSize: 2 },
  });
  const r = await train(model, corpus.train, corpus.validation, {
    seqLength: 8,
    batchSize: 2,
    maxIters: 60,
    evalEvery: 20,
    logEvery: 5,
    sampleEvery: 30,
    sampleLength: 20,
    onEvent: log.event,
  });
  log.end(r);
  log.close();
  return path;
}

describe('the report page', () => {
  it('holds the logged points of every run, uPlot inlined, nothing loaded from the network', async () => {
    const a = await loggedRun('small', 8);
    const b = await loggedRun('large', 24);
    const html = await makeReport([a, b], { title: 'two runs <compared>' });
    expect(html.startsWith('<!DOCTYPE html>')).toBe(true);
    expect(html).toContain('<title>two runs &lt;compared&gt;</title>');

    // The chart library, inlined verbatim.
    const uplot = readFileSync(
      createRequire(import.meta.url).resolve('uplot/dist/uPlot.iife.min.js'),
      'utf8',
    );
    expect(html).toContain(uplot);
    // Nothing fetched: no src/href attributes, no stylesheet links, no URL outside the library's own comment.
    const own = html.replace(uplot, '');
    expect(own).not.toMatch(/<script[^>]*\bsrc=/i);
    expect(own).not.toMatch(/<link\b/i);
    expect(own).not.toMatch(/\bhref=/i);
    expect(own).not.toMatch(/https?:\/\//);
    expect(own).not.toMatch(/@import|url\(/);

    // The data: every logged point of both runs, in the charts the page draws.
    const data = JSON.parse(
      html.match(
        new RegExp(`<script type="application/json" id="${REPORT_DATA_ID}">(.*?)</script>`, 's'),
      )![1],
    ) as {
      runs: { name: string }[];
      charts: { id: string; xs: number[]; series: { label: string; values: (number | null)[] }[] }[];
    };
    expect(data.runs.map((r) => r.name)).toEqual(['small', 'large']);
    expect(data.charts.map((c) => c.id)).toEqual(['loss-iter', 'loss-time', 'lr', 'speed', 'grad']);
    const lossIter = data.charts[0];
    for (const [i, path] of [a, b].entries()) {
      const records = await readRunLog(path);
      const progress = records.filter((r) => r.type === 'progress') as {
        iteration: number;
        meanLoss: number;
      }[];
      expect(progress).toHaveLength(12);
      const series = lossIter.series[2 * i];
      expect(series.label).toBe(`${['small', 'large'][i]} training`);
      for (const r of progress) expect(series.values[lossIter.xs.indexOf(r.iteration)]).toBe(r.meanLoss);
      const evals = records.filter((r) => r.type === 'eval') as { iteration: number; valLoss: number }[];
      expect(evals.map((e) => e.iteration)).toEqual([20, 40, 60]);
      for (const e of evals)
        expect(lossIter.series[2 * i + 1].values[lossIter.xs.indexOf(e.iteration)]).toBe(e.valLoss);
    }
    // One element per chart for the script to draw into, the samples as text.
    for (const c of data.charts) expect(html).toContain(`<div class="chart" id="${c.id}"></div>`);
    expect(html.match(/<tr><td>30<\/td>/g)).toHaveLength(2);
    expect(html.match(/<tr><td>60<\/td>/g)).toHaveLength(2);

    // Every inline script parses (the JSON one as JSON, above).
    const scripts = [...html.matchAll(/<script>\n([\s\S]*?)\n<\/script>/g)].map((m) => m[1]);
    expect(scripts).toHaveLength(2);
    for (const s of scripts) expect(() => new Function(s)).not.toThrow();
  });

  it('escapes what a log holds and refuses an empty report', () => {
    const runs = runsFromRecords(
      [{ type: 'sample', iteration: 1, elapsed: 0, text: '</script><b>x</b>' }, p(1, 0, 1)],
      'r<1>',
    );
    const html = renderReport(runs, reportCharts(runs), { uplotJs: '/*lib*/', uplotCss: '' });
    expect(html).toContain('&lt;/script&gt;&lt;b&gt;x&lt;/b&gt;');
    expect(html).toContain('r&lt;1&gt;');
    expect(html).not.toContain('<b>x</b>');
    expect(html.match(/<\/script>/g)).toHaveLength(3); // the data, the library, the page script
    expect(() => renderReport([], [], { uplotJs: '', uplotCss: '' })).toThrow(
      'Expected at least one run with records for the report but received none',
    );
  });

  it("draws a classify / tag run's last confusion matrix, rows shaded by their fractions, and its accuracy chart", () => {
    const ev = (iteration: number, valAccuracy: number, matrix: number[][]): ParsedRecord => ({
      type: 'eval',
      iteration,
      elapsed: iteration,
      valLoss: 1,
      valAccuracy,
      confusion: { labels: ['Greek', '<X>'], matrix },
    });
    const runs = runsFromRecords(
      [
        p(1, 0, 1),
        ev(1, 0.5, [
          [1, 1],
          [1, 1],
        ]),
        ev(2, 0.75, [
          [3, 1],
          [0, 4],
        ]),
        {
          type: 'eval',
          iteration: 3,
          elapsed: 3,
          valLoss: 1,
          confusion: { labels: ['a'], matrix: [[1, 2]] },
        },
      ],
      'names',
    );
    expect(runs[0].confusion).toEqual({
      iteration: 2,
      labels: ['Greek', '<X>'],
      matrix: [
        [3, 1],
        [0, 4],
      ],
    });
    const charts = reportCharts(runs);
    expect(charts[0]).toMatchObject({ id: 'accuracy', xs: [1, 2, 3] });
    expect(charts[0].series[0].values).toEqual([0.5, 0.75, null]);
    const html = renderReport(runs, charts, { uplotJs: '/*lib*/', uplotCss: '' });
    expect(html).toContain('<h2>Confusion matrices</h2>');
    expect(html).toContain('<h3>names: validation at iteration 2</h3>');
    // Row Greek: 3 of 4 on the diagonal (shaded 0.75, outlined), 1 predicted <X> (0.25); recall 75%.
    expect(html).toContain(
      '<td class="cm diag" style="background:rgba(31,119,180,0.750);color:#fff" title="Greek → Greek: 3">3</td>',
    );
    expect(html).toContain('title="Greek → &lt;X&gt;: 1">1</td><td class="muted">75.0%</td>');
    expect(html).toContain(
      '<td class="cm" style="background:rgba(31,119,180,0.000);color:#222" title="&lt;X&gt; → Greek: 0"></td>',
    );
    expect(html).not.toContain('<X>');
  });

  it('names runs after their files and formats durations', async () => {
    expect(runName('/x/runs/lstm.log.jsonl')).toBe('lstm');
    expect(runName('gru.jsonl')).toBe('gru');
    expect(formatDuration(3723)).toBe('1:02:03');
    expect(formatDuration(65)).toBe('1:05');
    await expect(makeReport([])).rejects.toThrow(
      'Expected at least one run log for the report but received none',
    );
  });
});

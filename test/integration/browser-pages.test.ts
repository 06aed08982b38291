// The pages that `charrnn report` and `charrnn viz` write, opened in a real headless Chromium (test/helpers/browser.ts):
// two training runs' logs drawn as overlaid uPlot charts holding exactly the logged points, and the viewer of a
// trained LSTM with one heat-map cell per character, the top-5 list of a hovered character and the neuron ranking.
// Code run in the page is passed as strings: the tests are typed for Node, without the DOM's globals.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowser, type BrowserHarness } from '../helpers/browser.js';
import { runCli } from '../helpers/cli.js';
import { parseRunLog } from '../../src/train/run-log.js';
import { VIZ_DATA_ID } from '../../src/report/viz-html.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-browser-pages-'));
let harness: BrowserHarness;

const corpusText = 'She said "no way" (twice), and then: "yes".\n<b>it\'s</b> fine [really].\n'.repeat(30);
const corpusFile = join(dir, 'tiny.txt');

function train(name: string, seed: string, hidden: string): void {
  const r = runCli([
    'train',
    '--corpus',
    corpusFile,
    '--backend',
    'js',
    '--cell',
    'lstm',
    '--hidden',
    hidden,
    '--seq-length',
    '12',
    '--seed',
    seed,
    '--max-iters',
    '60',
    '--log-every',
    '10',
    '--eval-every',
    '20',
    '--sample-every',
    '30',
    '--sample-length',
    '16',
    '--no-progress',
    '--out',
    join(dir, `${name}.safetensors`),
  ]);
  expect(r.code, r.stderr).toBe(0);
}

type LogRecord = { type: string; iteration: number; meanLoss?: number; valLoss?: number };
const records = (name: string) =>
  parseRunLog(readFileSync(join(dir, `${name}.log.jsonl`), 'utf8')) as LogRecord[];

beforeAll(async () => {
  writeFileSync(corpusFile, corpusText);
  train('alpha', '1', '12');
  train('beta', '2', '16');
  const rep = runCli([
    'report',
    join(dir, 'alpha.log.jsonl'),
    join(dir, 'beta.log.jsonl'),
    '--out',
    join(dir, 'report.html'),
  ]);
  expect(rep.code, rep.stderr).toBe(0);
  writeFileSync(join(dir, 'text.txt'), corpusText.slice(0, 140));
  const viz = runCli([
    'viz',
    join(dir, 'alpha.safetensors'),
    '--text',
    join(dir, 'text.txt'),
    '--out',
    join(dir, 'viz.html'),
    '--top-k',
    '5',
    '--backend',
    'js',
  ]);
  expect(viz.code, viz.stderr).toBe(0);
  harness = await startBrowser(dir);
}, 120_000);

afterAll(async () => {
  await harness?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('charrnn report in Chromium', () => {
  it('draws both runs overlaid, each chart holding exactly the logged points', async () => {
    const { page, errors } = await harness.open('/report.html');
    await page.waitForFunction('window.charrnnCharts && window.charrnnCharts["loss-iter"]');
    // Every chart the page's data lists was drawn by uPlot: a canvas of real size inside each chart element.
    const drawn = (await page.evaluate(`Array.from(document.querySelectorAll('.chart')).map((el) => {
      const canvas = el.querySelector('.uplot canvas');
      return { id: el.id, points: Number(el.dataset.points), w: canvas ? canvas.width : 0, h: canvas ? canvas.height : 0 };
    })`)) as { id: string; points: number; w: number; h: number }[];
    expect(drawn.map((d) => d.id)).toEqual(['loss-iter', 'loss-time', 'lr', 'speed', 'grad']);
    for (const d of drawn) {
      expect(d.w, d.id).toBeGreaterThan(100);
      expect(d.h, d.id).toBeGreaterThan(100);
    }

    // The loss chart's data is the two logs' points: iterations 10..60, each run's windowed-mean training loss
    // at every logged iteration and its validation loss at every validation.
    const plot = (await page.evaluate(`(() => {
      const u = window.charrnnCharts['loss-iter'];
      return { labels: u.series.map((s) => s.label), data: u.data.map((a) => Array.from(a)) };
    })()`)) as { labels: string[]; data: (number | null)[][] };
    expect(plot.labels).toEqual([
      'iteration',
      'alpha training',
      'alpha validation',
      'beta training',
      'beta validation',
    ]);
    const [xs, ...series] = plot.data;
    const logged = ['alpha', 'beta'].flatMap((name) => {
      const recs = records(name);
      const progress = recs.filter((r) => r.type === 'progress');
      const evals = recs.filter((r) => r.type === 'eval');
      expect(progress.map((r) => r.iteration)).toEqual([10, 20, 30, 40, 50, 60]);
      expect(evals.map((r) => r.iteration)).toEqual([20, 40, 60]);
      return [
        new Map(progress.map((r) => [r.iteration, r.meanLoss])),
        new Map(evals.map((r) => [r.iteration, r.valLoss])),
      ];
    });
    expect(xs).toEqual([10, 20, 30, 40, 50, 60]);
    series.forEach((values, s) => {
      const want = logged[s];
      expect(values.filter((v) => v !== null)).toHaveLength(want.size);
      xs.forEach((x, i) => expect(values[i]).toBe(want.get(x!) ?? null));
    });

    // The lines are on the canvas (not a blank plot), and the legend reads values under the cursor.
    const inked = (await page.evaluate(`(() => {
      const c = document.querySelector('#loss-iter .uplot canvas');
      const px = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
      let n = 0;
      for (let i = 3; i < px.length; i += 4) if (px[i] > 0) n++;
      return n;
    })()`)) as number;
    expect(inked).toBeGreaterThan(500);
    const over = page.locator('#loss-iter .u-over');
    const box = (await over.boundingBox())!;
    await page.mouse.move(box.x + box.width - 2, box.y + box.height / 2);
    const legend = await page.locator('#loss-iter .u-legend .u-series td.u-value').allTextContents();
    expect(legend[0]).toBe('60');
    expect(Number(legend[1])).toBeCloseTo(logged[0].get(60)!, 3);

    // The samples table lists each run's periodic sample.
    expect(await page.locator('table.samples tbody tr').count()).toBe(4);
    expect(errors).toEqual([]);
    await page.close();
  });
});

type VizData = {
  tokens: string[];
  k: number;
  topIds: number[];
  topProbs: number[];
  vocab: Record<string, string>;
  ranking: { feature: string; neurons: { layer: string; index: number }[] }[];
};

describe('charrnn viz in Chromium', () => {
  const html = () => readFileSync(join(dir, 'viz.html'), 'utf8');
  const data = (): VizData => {
    const m = new RegExp(`<script type="application/json" id="${VIZ_DATA_ID}">([^]*?)</script>`).exec(html());
    return JSON.parse(m![1]) as VizData;
  };
  const backgrounds = `Array.from(document.querySelectorAll('#text .ch')).map((s) => s.style.background)`;

  it('shows one heat-map cell per character, the top-5 of a hovered character and the neuron ranking', async () => {
    const d = data();
    const { page, errors } = await harness.open('/viz.html');
    const cells = page.locator('#text .ch');
    expect(await cells.count()).toBe(140);
    expect(d.tokens).toHaveLength(140);
    const painted = (await page.evaluate(backgrounds)) as string[];
    expect(painted.every((b) => /^rgb\(/.test(b))).toBe(true);
    // A trained neuron is not constant over the text: the cells differ in colour.
    expect(new Set(painted).size).toBeGreaterThan(5);

    // Hover character 7: the five most likely next characters with their probabilities, as the data says.
    await cells.nth(7).hover();
    const rows = page.locator('#info tr.pred');
    expect(await rows.count()).toBe(5);
    const shown = (await page.evaluate(
      `Array.from(document.querySelectorAll('#info tr.pred')).map((tr) => Array.from(tr.cells).map((td) => td.textContent))`,
    )) as string[][];
    for (let j = 0; j < 5; j++) {
      expect(shown[j][0]).toBe(JSON.stringify(d.vocab[d.topIds[7 * 5 + j]]));
      expect(shown[j][1]).toBe(`${(d.topProbs[7 * 5 + j] * 100).toFixed(1)}%`);
    }
    expect(await page.textContent('#info')).toContain(`after ${JSON.stringify(d.tokens[7])} (#7)`);

    // The ranking lists neurons per feature; clicking one selects it and repaints the cells.
    const buttons = page.locator('#ranking button.n');
    expect(await buttons.count()).toBeGreaterThan(3);
    const features = await page.locator('#ranking h3').allTextContents();
    expect(features.length).toBe(d.ranking.length);
    // The page opens on the first ranked neuron; pick another one.
    const ranked = d.ranking.flatMap((f) => f.neurons);
    const initial = ranked[0];
    expect(await page.inputValue('#unit')).toBe(String(initial.index));
    const target = ranked.find((n) => n.layer !== initial.layer || n.index !== initial.index)!;
    const before = (await page.evaluate(backgrounds)) as string[];
    await buttons
      .filter({ hasText: `${target.layer}[${target.index}] ` })
      .first()
      .click();
    expect(await page.inputValue('#unit')).toBe(String(target.index));
    const after = (await page.evaluate(backgrounds)) as string[];
    expect(after).toHaveLength(140);
    expect(after).not.toEqual(before);

    // Surprisal mode paints the heat map of the prediction's surprise instead.
    await page.check('input[name=mode][value=surprisal]');
    const surprisal = (await page.evaluate(backgrounds)) as string[];
    expect(surprisal).not.toEqual(after);
    expect(surprisal[139]).toBe('rgb(238, 238, 238)'); // the last character has no next one: no surprisal
    expect(errors).toEqual([]);
    await page.close();
  });
});

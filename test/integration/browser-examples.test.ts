// The example pages of examples/browser/ in headless Chromium, served from the repository with the browser bundle
// built fresh (as scripts/build-browser.mjs builds it). The sample page loads a `charrnn train` checkpoint by the file
// picker and a model file by drag and drop, samples the same text as Node's JS backend for the same options, and
// shows the neuron viewer of it; the train page trains in a Web Worker while the page's own timer keeps ticking,
// draws the loss live, stops on request, and saves a model that Node loads equal to the one Node trains.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserOptions } from '../../scripts/build-browser.mjs';
import {
  CharRNN,
  Corpus,
  decodeModel,
  encodeModel,
  loadModel,
  saveCheckpoint,
  train,
  Vocabulary,
} from '../../src/index.js';
import { startBrowser, type BrowserHarness } from '../helpers/browser.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const TEXT =
  'JUNO:\nThe kettle sings before the lamps are lit.\nMARCUS:\nThen fetch the bread, and mind the step!\n'.repeat(
    6,
  );

let harness: BrowserHarness;
let dir: string;

beforeAll(async () => {
  const result = await build({
    ...browserOptions,
    outfile: 'dist/charrnn.browser.js',
    write: false,
    sourcemap: false,
  });
  dir = mkdtempSync(join(tmpdir(), 'charrnn-browser-examples-'));
  harness = await startBrowser(root, {
    '/dist/charrnn.browser.js': { body: result.outputFiles![0].text },
  });
}, 60_000);

afterAll(async () => {
  await harness?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Fill the sample form with `o` and sample; the text the page shows. */
async function sampleInPage(
  page: Page,
  o: { prime: string; length: number; temperature: number; topK: number; topP: number; seed: number },
): Promise<string> {
  for (const [id, value] of Object.entries(o)) await page.fill(`#${id}`, String(value));
  await page.click('#sample');
  await page.waitForSelector('body[data-state="done"]');
  return (await page.textContent('#output')) ?? '';
}

describe('examples/browser/index.html: load a model, sample, see inside', () => {
  it("samples a checkpoint of `charrnn train` (file picker) exactly as Node's JS backend, and shows the viewer", async () => {
    const vocabulary = Vocabulary.fromText(TEXT);
    const corpus = Corpus.fromText(TEXT, { vocabulary, validationFraction: 0.1 });
    const model = CharRNN.create({ vocabulary, cell: 'lstm', hiddenSize: 24, seed: 4, backend: 'js' });
    const r = await train(model, corpus.train, corpus.validation, {
      seqLength: 16,
      batchSize: 4,
      maxIters: 10,
    });
    const file = join(dir, 'romeo.safetensors');
    await saveCheckpoint(model, file, r.state);

    const { page, errors } = await harness.open('/examples/browser/index.html');
    await page.setInputFiles('#file', file);
    await page.waitForSelector('body[data-model="loaded"]');
    expect(await page.textContent('#model-info')).toContain('romeo.safetensors: lstm ×1, hidden 24');
    const options = { prime: 'JUNO:', length: 150, temperature: 0.8, topK: 10, topP: 0.95, seed: 42 };
    const text = await sampleInPage(page, options);
    const inNode = await loadModel(file, { backend: 'js' });
    expect(text).toBe(inNode.sample(options));
    expect(text).toHaveLength(150);

    // The viewer: every character of prime + sample, and the ranked neurons.
    const viewer = page.frameLocator('#viewer');
    await expect.poll(() => viewer.locator('#text span.ch').count()).toBe(options.prime.length + text.length);
    expect(await viewer.locator('#ranking h3').count()).toBeGreaterThan(0);
    await viewer.locator('#text span.ch').nth(3).hover();
    expect(await viewer.locator('#info tr.pred').count()).toBe(5);

    // Another seed, another text, still Node's.
    const other = { ...options, seed: 43, temperature: 1.1, topK: 0, topP: 1, prime: '' };
    expect(await sampleInPage(page, other)).toBe(inNode.sample({ ...other, prime: undefined }));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('loads a model dropped on the page and refuses a file that is not one, saying why', async () => {
    const vocabulary = Vocabulary.fromText(TEXT);
    const model = CharRNN.create({ vocabulary, cell: 'rnn', hiddenSize: 20, seed: 9, backend: 'js' });
    const { page, errors } = await harness.open('/examples/browser/index.html');
    const drop = (name: string, bytes: Uint8Array) =>
      page.evaluate(
        `(() => {
          const dt = new DataTransfer();
          dt.items.add(new File([new Uint8Array(${JSON.stringify([...bytes])})], ${JSON.stringify(name)}));
          document.getElementById('drop').dispatchEvent(new DragEvent('drop', { dataTransfer: dt, bubbles: true, cancelable: true }));
        })()`,
      );
    await drop('notes.safetensors', new TextEncoder().encode('not a model'));
    await expect
      .poll(() => page.textContent('#status'))
      .toMatch(/^Could not load notes\.safetensors: Invalid /);
    expect(await page.isDisabled('#sample')).toBe(true);

    await drop('vanilla.safetensors', encodeModel(model));
    await page.waitForSelector('body[data-model="loaded"]');
    expect(await page.textContent('#model-info')).toContain('vanilla.safetensors: rnn ×1, hidden 20');
    const options = { prime: 'JU', length: 80, temperature: 0.5, topK: 3, topP: 1, seed: 5 };
    expect(await sampleInPage(page, options)).toBe(model.sample(options));
    expect(errors).toEqual([]);
    await page.close();
  });
});

describe('examples/browser/train.html: train in a Web Worker', () => {
  it('keeps the page responsive while training, charts the loss live, and stops on request', async () => {
    const { page, errors } = await harness.open('/examples/browser/train.html');
    await page.fill('#maxIters', '100000');
    await page.fill('#hiddenSize', '24');
    await page.click('#train');
    await page.waitForFunction('Number(document.body.dataset.iteration ?? 0) >= 3');
    const ticks = async () => Number(await page.textContent('#ticks'));
    const iteration = async () => Number(await page.evaluate('document.body.dataset.iteration'));
    const [t0, i0] = [await ticks(), await iteration()];
    await page.waitForTimeout(1500);
    const [t1, i1] = [await ticks(), await iteration()];
    expect(await page.evaluate('document.body.dataset.state')).toBe('training');
    expect(i1).toBeGreaterThan(i0); // the worker trained meanwhile…
    expect(t1 - t0).toBeGreaterThan(50); // …and the page's 10 ms timer ran (≈150 ticks unloaded; none if blocked)
    expect(Number(await page.getAttribute('#chart', 'data-points'))).toBeGreaterThan(0);
    await page.click('#stop');
    await page.waitForSelector('body[data-state="idle"]');
    expect(await page.textContent('#status')).toMatch(
      /^Done: \d+ iterations in [\d.]+ s \(stopped by signal\)/,
    );
    const points = Number(await page.getAttribute('#chart', 'data-points'));
    expect(points).toBe(Number(/^Done: (\d+)/.exec((await page.textContent('#status'))!)![1]));
    expect(errors).toEqual([]);
    await page.close();
  });

  it('saves a model that Node loads, equal to the model Node trains with the same options', async () => {
    const { page, errors } = await harness.open('/examples/browser/train.html');
    const settings = {
      cell: 'gru',
      hiddenSize: 16,
      seqLength: 16,
      batchSize: 4,
      maxIters: 12,
      lr: 0.02,
      seed: 8,
    };
    await page.selectOption('#cell', settings.cell);
    for (const id of ['hiddenSize', 'seqLength', 'batchSize', 'maxIters', 'lr', 'seed'] as const)
      await page.fill(`#${id}`, String(settings[id]));
    await page.click('#train');
    await page.waitForSelector('#save:not([disabled])');
    expect(await page.textContent('#status')).toMatch(/^Done: 12 iterations .*stopped by maxIters/);
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#save')]);
    expect(download.suggestedFilename()).toBe('browser-model.safetensors');
    const file = join(dir, 'from-page.safetensors');
    await download.saveAs(file);
    const text = await page.inputValue('#text');
    expect(errors).toEqual([]);
    await page.close();

    const saved = await loadModel(file, { backend: 'js' });
    const vocabulary = Vocabulary.fromText(text);
    const corpus = Corpus.fromText(text, { vocabulary, validationFraction: 0.1 });
    const model = CharRNN.create({
      vocabulary,
      cell: 'gru',
      hiddenSize: settings.hiddenSize,
      seed: settings.seed,
      backend: 'js',
    });
    await train(model, corpus.train, corpus.validation, {
      seqLength: settings.seqLength,
      batchSize: settings.batchSize,
      maxIters: settings.maxIters,
      optimizer: { kind: 'adam', lr: settings.lr },
      seed: settings.seed,
      sampleEvery: 50,
      sampleLength: 160,
      evalEvery: 0,
    });
    expect(saved.config).toEqual(model.config);
    expect(saved.parameters()).toEqual(model.parameters());
    expect(decodeModel(new Uint8Array(readFileSync(file))).sample({ seed: 1, length: 50 })).toBe(
      model.sample({ seed: 1, length: 50 }),
    );
  });
});

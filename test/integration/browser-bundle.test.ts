// The browser build of the root entry (scripts/build-browser.mjs → dist/charrnn.browser.js), built here the same
// way: it bundles without one node: import (or any import at all), with the Node-only modules replaced by their
// browser twins and no setImmediate; and in headless Chromium it runs the library on the TypeScript backend
// ('auto' picks it without a warning), with the same text as Node's JS backend for the same model, seed and
// options, the same training steps, and bytes a page saves that Node loads.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { build, type Metafile } from 'esbuild';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserOptions } from '../../scripts/build-browser.mjs';
import { CharRNN, Corpus, decodeModel, encodeModel, train, Vocabulary } from '../../src/index.js';
import { startBrowser, type BrowserHarness } from '../helpers/browser.js';
import { spawnAsync } from '../helpers/spawn.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
let bundle: string;
let metafile: Metafile;
let dir: string;
let harness: BrowserHarness;

const TEXT =
  'Miller:\nThe river runs slower where the mill wheel turns.\nAll:\nLet it turn, let it turn.\n'.repeat(4);

beforeAll(async () => {
  const result = await build({
    ...browserOptions,
    outfile: 'dist/charrnn.browser.js',
    write: false,
    sourcemap: false,
  });
  bundle = result.outputFiles![0].text;
  metafile = result.metafile!;
  dir = mkdtempSync(join(tmpdir(), 'charrnn-browser-bundle-'));
  harness = await startBrowser(dir, {
    '/index.html': { body: '<!doctype html><meta charset="utf-8"><title>charrnn bundle</title>' },
    '/charrnn.browser.js': { body: bundle },
  });
}, 60_000);

afterAll(async () => {
  await harness?.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** Run `body` (an async function body with `charrnn` = the bundle's exports) in a fresh page; its result back. */
async function inPage<T>(
  body: string,
  arg: unknown = null,
): Promise<{ value: T; errors: string[]; warnings: string[] }> {
  const { page, errors } = await harness.open('/index.html');
  const warnings: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
  });
  const value = (await page.evaluate(
    `(async (arg) => { const charrnn = await import('/charrnn.browser.js'); ${body} })(${JSON.stringify(arg)})`,
  )) as T;
  await page.close();
  return { value, errors, warnings };
}

describe('the browser bundle', () => {
  it('has no node: import, no import at all and no setImmediate; the Node-only modules are swapped out', () => {
    const inputs = Object.keys(metafile.inputs);
    expect(inputs.filter((p) => p.startsWith('node:') || p.includes(':'))).toEqual([]);
    for (const output of Object.values(metafile.outputs)) expect(output.imports).toEqual([]);
    for (const input of Object.values(metafile.inputs))
      expect(input.imports.filter((i) => i.path.startsWith('node:') || i.external)).toEqual([]);
    expect(bundle).not.toMatch(/\bnode:/);
    expect(bundle).not.toMatch(/\bsetImmediate\b/);
    expect(bundle).not.toMatch(/\brequire\(/);
    const twins = [
      'src/backends/native-host',
      'src/backends/js/chunk-thread',
      'src/generate/readable',
      'src/io/checkpoint',
      'src/util/yield',
    ];
    for (const t of twins) {
      expect(inputs, t).toContain(`${t}.browser.ts`);
      expect(inputs, t).not.toContain(`${t}.ts`);
    }
    for (const nodeOnly of [
      'src/io/atomic.ts',
      'src/util/files.ts',
      'src/text/corpus-file.ts',
      'src/node.ts',
    ])
      expect(inputs).not.toContain(nodeOnly);
  });

  it('is what "charrnn" resolves to for a browser bundler, while Node gets dist/index.js and charrnn/node', async () => {
    // The package's own dist/ (npm ci and npm run build write it): resolved through "exports" by name.
    expect(existsSync(join(root, 'dist/charrnn.browser.js')), 'run npm run build').toBe(true);
    const r = await build({
      stdin: { contents: "export { decodeModel } from 'charrnn';", resolveDir: root, loader: 'js' },
      bundle: true,
      platform: 'browser',
      format: 'esm',
      write: false,
      metafile: true,
      logLevel: 'silent',
    });
    expect(Object.keys(r.metafile.inputs)).toContain('dist/charrnn.browser.js');
    const resolved = await spawnAsync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "for (const s of ['charrnn', 'charrnn/node']) console.log(import.meta.resolve(s));",
      ],
      { timeout: 30_000, cwd: root, env: { ...process.env, NODE_OPTIONS: '' } },
    );
    expect(resolved.stderr).toBe('');
    expect(resolved.stdout.trim().split('\n')).toEqual(
      ['dist/index.js', 'dist/node.js'].map((p) => pathToFileURL(join(root, p)).href),
    );
  });

  it("samples in the page exactly as Node's JS backend does for the same model, seed and options", async () => {
    const vocabulary = Vocabulary.fromText(TEXT);
    const model = CharRNN.create({
      vocabulary,
      cell: 'lstm',
      hiddenSize: 16,
      layers: 2,
      seed: 7,
      backend: 'js',
    });
    const options = [
      { length: 120, seed: 11, temperature: 0.7 },
      { length: 120, seed: 12, temperature: 1.2, topK: 5, topP: 0.9, prime: 'All:' },
      { length: 60, seed: 13, temperature: 0 },
    ];
    const { value, errors, warnings } = await inPage<{ backend: string; samples: string[] }>(
      `const model = charrnn.decodeModel(new Uint8Array(arg.bytes));
       return { backend: model.backend, samples: arg.options.map((o) => model.sample(o)) };`,
      { bytes: [...encodeModel(model)], options },
    );
    expect(value.backend).toBe('js');
    expect(value.samples).toEqual(options.map((o) => model.sample(o)));
    expect(errors).toEqual([]);
    expect(warnings).toEqual([]); // 'auto' has no addon to miss in a page
  });

  it('trains in the page step for step as Node does, and the model it saves loads in Node', async () => {
    const opts = {
      seqLength: 16,
      batchSize: 4,
      maxIters: 6,
      logEvery: 1,
      seed: 3,
      optimizer: { kind: 'adam', lr: 0.01 },
    } as const;
    const vocabulary = Vocabulary.fromText(TEXT);
    const corpus = Corpus.fromText(TEXT, { vocabulary, validationFraction: 0.1 });
    const model = CharRNN.create({ vocabulary, cell: 'gru', hiddenSize: 12, seed: 5, backend: 'js' });
    const nodeLosses: number[] = [];
    await train(model, corpus.train, corpus.validation, {
      ...opts,
      onEvent: (e) => {
        if (e.type === 'progress') nodeLosses.push(e.loss);
      },
    });
    const { value, errors } = await inPage<{ losses: number[]; bytes: number[] }>(
      `const vocabulary = charrnn.Vocabulary.fromText(arg.text);
       const corpus = charrnn.Corpus.fromText(arg.text, { vocabulary, validationFraction: 0.1 });
       const model = charrnn.CharRNN.create({ vocabulary, cell: 'gru', hiddenSize: 12, seed: 5 });
       const losses = [];
       await charrnn.train(model, corpus.train, corpus.validation, { ...arg.opts, onEvent: (e) => {
         if (e.type === 'progress') losses.push(e.loss);
       } });
       return { losses, bytes: [...charrnn.encodeModel(model)] };`,
      { text: TEXT, opts },
    );
    expect(errors).toEqual([]);
    expect(value.losses).toHaveLength(opts.maxIters);
    // The float64 losses may differ in their last bit: Node's and Chromium's V8 are different versions, and
    // Math.exp/log of one engine version need not round exactly like another's. 1e-12 relative is far below that
    // of any change in the arithmetic.
    value.losses.forEach((loss, i) =>
      expect(Math.abs(loss - nodeLosses[i]), `loss ${i}`).toBeLessThan(1e-12 * loss),
    );
    const saved = decodeModel(Uint8Array.from(value.bytes), { backend: 'js' });
    expect(saved.config).toEqual(model.config);
    expect(saved.parameters()).toEqual(model.parameters());
  });
});

// The browser twins (src/**/X.browser.ts, swapped in for X.ts by scripts/build-browser.mjs): each exports exactly
// the names of the Node module it replaces, with values of the same kinds, and says what a page cannot do.
import { readdirSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { Vocabulary } from '../../src/text/vocabulary.js';

const src = fileURLToPath(new URL('../../src/', import.meta.url));

function twinsUnder(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
    e.isDirectory()
      ? twinsUnder(join(dir, e.name))
      : e.name.endsWith('.browser.ts')
        ? [join(dir, e.name)]
        : [],
  );
}

const twins = twinsUnder(src).map((p) => relative(src, p));

describe('browser twins', () => {
  it('are the ones the browser build relies on', () => {
    expect(twins.sort()).toEqual([
      'backends/js/chunk-thread.browser.ts',
      'backends/native-host.browser.ts',
      'generate/readable.browser.ts',
      'io/checkpoint.browser.ts',
      'util/yield.browser.ts',
    ]);
  });

  it.each(twins)('%s exports the names of its Node module, of the same kinds', async (twin) => {
    const nodeModule = (await import(join(src, twin.replace(/\.browser\.ts$/, '.ts')))) as Record<
      string,
      unknown
    >;
    const browserModule = (await import(join(src, twin))) as Record<string, unknown>;
    expect(Object.keys(browserModule).sort()).toEqual(Object.keys(nodeModule).sort());
    for (const name of Object.keys(nodeModule))
      expect(typeof browserModule[name], name).toBe(typeof nodeModule[name]);
  });

  it('fail with the alternative where a page cannot follow (files, Node streams, the addon)', async () => {
    const checkpoint = await import('../../src/io/checkpoint.browser.js');
    await expect(checkpoint.readCheckpoint('m.safetensors')).rejects.toThrow(
      'charrnn: readCheckpoint reads or writes files, and a browser has no file system. ' +
        'HINT: save and load models as bytes with encodeModel(model) and decodeModel(bytes)',
    );
    const model = CharRNN.create({ vocabulary: Vocabulary.fromText('ab'), hiddenSize: 3, backend: 'js' });
    expect(() => checkpoint.numberedPath('m.safetensors', 3)).toThrow(
      'charrnn: numberedPath reads or writes files',
    );
    // The codec is the real one: a model goes to bytes and back.
    const back = checkpoint.decodeModel(checkpoint.encodeModel(model), { backend: 'js' });
    expect(back.parameters()).toEqual(model.parameters());
    const { readable } = await import('../../src/generate/readable.browser.js');
    expect(() => readable(undefined as never)).toThrow(
      'model.readable() returns a Node.js stream, which a browser does not have. HINT: iterate model.stream(options) instead',
    );
    const host = await import('../../src/backends/native-host.browser.js');
    expect(host.ADDON_EXPECTED).toBe(false);
    expect(() => host.requireAddon(undefined)).toThrow(
      "a browser cannot load native addons (backend 'js' runs there)",
    );
  });

  it('yield to the event loop and run chunks in place', async () => {
    const { yieldToEventLoop } = await import('../../src/util/yield.browser.js');
    const order: string[] = [];
    const timer = new Promise<void>((resolve) => setTimeout(() => (order.push('timer'), resolve()), 0));
    for (let i = 0; i < 3; i++) await yieldToEventLoop().then(() => order.push(`yield ${i}`));
    await timer;
    expect(order.filter((o) => o.startsWith('yield'))).toEqual(['yield 0', 'yield 1', 'yield 2']);
    const { ChunkThread, sharedArenas } = await import('../../src/backends/js/chunk-thread.browser.js');
    const arenas = { params: new Float32Array(1), grads: new Float32Array(1), optState: new Float32Array(2) };
    expect(sharedArenas(arenas)).toBe(false);
    const result = { loss: 1.5, gradNorm: 2 };
    await expect(new ChunkThread().train(undefined as never, undefined as never, () => result)).resolves.toBe(
      result,
    );
  });
});

// charrnn/brain as a package subpath: require() from CommonJS, import from an ES module (both through the
// package's "exports", in a child node), the browser bundle (no node: imports; trains and runs in a vm context
// without Node's globals, on the TypeScript backend), and the public types.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import vm from 'node:vm';
import { build } from 'esbuild';
import { beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import brain, { recurrent, type RNNJSON, type TrainStatus, type Token } from '../../src/brain/index.js';
// @ts-expect-error: a plain .mjs script without types
import { browserOptions } from '../../scripts/build-brain.mjs';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, Record<string, string>>;
};
const outputs = Object.values(pkg.exports['./brain']).map((p) => join(root, p));

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    t = Math.max(t, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs);
  return t;
}

// The subpath's files come from `npm run build` (npm ci runs it); rebuild when src/ is newer.
beforeAll(() => {
  const src = Math.max(newest(join(root, 'src')), statSync(join(root, 'scripts/build-brain.mjs')).mtimeMs);
  if (outputs.some((p) => !existsSync(p) || statSync(p).mtimeMs < src))
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
}, 120_000);

function runNode(file: string): Record<string, unknown> {
  const out = execFileSync(process.execPath, [join(root, 'test/brain/fixtures', file)], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, NODE_OPTIONS: '' },
  });
  return JSON.parse(out) as Record<string, unknown>;
}

describe('charrnn/brain', () => {
  it('has types, browser, import and require entries that exist', () => {
    expect(Object.keys(pkg.exports['./brain'])).toEqual(['types', 'browser', 'import', 'require']);
    for (const p of outputs) expect(existsSync(p), p).toBe(true);
    expect(readFileSync(join(root, pkg.exports['./brain'].types), 'utf8')).toMatch(/recurrent/);
  });

  it('works from CommonJS: require("charrnn/brain")', () => {
    expect(runNode('require.cjs')).toEqual({ iterations: 200, backend: expect.any(String), run: ', a deer' });
  });

  it('trainAsync works from CommonJS on the TypeScript backend (no chunk-worker file beside the bundle)', () => {
    expect(runNode('require-async.cjs')).toEqual({
      backend: 'js',
      same: true,
      result: { iterations: 3, error: expect.any(Number) },
    });
  });

  it('works from an ES module: import brain, { recurrent } from "charrnn/brain"', () => {
    expect(runNode('import.mjs')).toEqual({ iterations: 200, same: true, run: ', a drop' });
  });

  it('bundles for the browser without node: imports and trains there on the TypeScript backend', async () => {
    const result = await build({
      ...browserOptions,
      format: 'iife',
      globalName: 'brain',
      write: false,
      define: { 'import.meta.url': '"about:blank"' },
    });
    const code = result.outputFiles![0].text;
    expect(code).not.toMatch(/require\(["']node:|from ["']node:/);
    expect(code).not.toMatch(/\bnode:|\bsetImmediate\b/); // the browser twins, not stubs of Node's modules
    // A page's globals only: no process, require, Buffer or setImmediate.
    const page = vm.createContext({ console, atob, btoa, TextEncoder, TextDecoder, performance, setTimeout });
    vm.runInContext(code, page);
    const out = vm.runInContext(
      `(() => {
        const net = new brain.recurrent.LSTM({ hiddenLayers: [16] });
        const r = net.train(['doe, a deer', 'ray, a drop'], { iterations: 150 });
        const back = new brain.recurrent.LSTM().fromJSON(JSON.stringify(net));
        return JSON.stringify({ iterations: r.iterations, backend: net.backend, run: net.run('doe'), back: back.run('ray'),
          node: typeof process + typeof require + typeof Buffer });
      })()`,
      page,
    ) as string;
    expect(JSON.parse(out)).toEqual({
      iterations: 150,
      backend: 'js',
      run: ', a deer',
      back: ', a drop',
      node: 'undefinedundefinedundefined',
    });
  });

  it('has the types of brain.js’s recurrent API', () => {
    expectTypeOf(brain.recurrent).toEqualTypeOf(recurrent);
    const net = new recurrent.LSTM({ hiddenLayers: [8], learningRate: 0.01, maxPredictionLength: 20 });
    expectTypeOf(net.train).parameter(1).toMatchTypeOf<
      | {
          iterations?: number;
          errorThresh?: number;
          log?: boolean | ((line: string) => void);
          logPeriod?: number;
          callback?: ((s: TrainStatus) => void) | null;
          callbackPeriod?: number;
          timeout?: number;
        }
      | undefined
    >();
    expectTypeOf(net.train).returns.toEqualTypeOf<TrainStatus>();
    expectTypeOf(net.trainAsync).returns.toEqualTypeOf<Promise<TrainStatus>>();
    // (wrapped in functions: an untrained net throws when run)
    expectTypeOf(() => net.run('a')).returns.toEqualTypeOf<string>();
    expectTypeOf(() => net.run([1, 2])).returns.toEqualTypeOf<Token[]>();
    expectTypeOf(net.toJSON).returns.toEqualTypeOf<RNNJSON>();
    expectTypeOf(net.fromJSON).returns.toEqualTypeOf<typeof net>();
    expectTypeOf(() => net.toFunction()).returns.returns.toEqualTypeOf<string | Token[]>();
    // @ts-expect-error: data must be strings, token arrays or { input, output } pairs
    expect(() => net.train([{ in: 'a' }])).toThrow(TypeError);
  });
});

// The package root as a user's program reaches it by name (the package's own "exports", in a child node): from
// CommonJS (require('charrnn') → dist/cjs/index.cjs, the bundle of scripts/build-cjs.mjs) and from an ES module
// (import … from 'charrnn' → dist/index.js). Both train, sample, save and reload a tiny model, on the native backend
// where the addon loads here, and on the TypeScript one when asked.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { capabilities } from '../../src/backends/index.js';
import { ensureBuilt } from '../helpers/dist.js';

const root = fileURLToPath(new URL('../../', import.meta.url));
const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
  exports: Record<string, Record<string, string>>;
};

// dist/ comes from `npm run build` (npm ci runs it); rebuilt when src/ or a bundler script is newer.
beforeAll(() => ensureBuilt([pkg.exports['.'].require, pkg.exports['.'].import]), 180_000);

interface Seen {
  backend: string;
  iterations: number;
  finite: boolean;
  sample: string;
  same: boolean;
  resolved: string;
  capabilities: string;
  addon?: string;
}

const fixture = join(root, 'test/integration/fixtures/require-root.cjs');
const run = (file: string, backend: string): Seen =>
  JSON.parse(
    execFileSync(process.execPath, [file, backend], {
      cwd: root,
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    }),
  ) as Seen;

describe("require('charrnn') and import 'charrnn'", () => {
  const expected = capabilities().backend; // what this checkout's addon gives: 'native' once built

  it('the root export has require and default conditions, and their files exist', () => {
    expect(pkg.exports['.'].require).toBe('./dist/cjs/index.cjs');
    expect(Object.keys(pkg.exports['.']).at(-1)).toBe('default');
    // Every file a condition names (the browser condition nests its own types/default) exists.
    const files = (c: unknown): string[] =>
      typeof c === 'string' ? [c] : Object.values(c as Record<string, unknown>).flatMap(files);
    for (const p of files(pkg.exports['.'])) expect(existsSync(join(root, p)), p).toBe(true);
  });

  it('works from CommonJS: trains, samples, saves and reloads on the backend auto picks', () => {
    const seen = run(fixture, 'auto');
    expect(seen).toMatchObject({ backend: expected, capabilities: expected, iterations: 30, finite: true });
    expect(seen.resolved).toBe(join(root, 'dist/cjs/index.cjs'));
    expect(seen.addon).toBe(capabilities().addon); // the same file as this process loaded, when native
    expect(seen.same).toBe(true);
    expect(seen.sample).toHaveLength(20);
  });

  it('from CommonJS and from an ES module, the same seed gives the same sample (TypeScript backend)', () => {
    const cjs = run(fixture, 'js');
    expect(cjs.backend).toBe('js');
    // The ES module twin of the fixture: the same program with import instead of require.
    const esm = execFileSync(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        `import { createRequire } from 'node:module';
         const require = createRequire(${JSON.stringify(fixture)});
         const m = await import('charrnn');
         const { CharRNN, Corpus, train } = m;
         const corpus = Corpus.fromText('hello world, hello charrnn. '.repeat(20), { validationFraction: 0.1 });
         const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 16, seed: 1, backend: 'js' });
         await train(model, corpus.train, corpus.validation, { seqLength: 8, maxIters: 30, seed: 1 });
         process.stdout.write(JSON.stringify({ sample: model.sample({ prime: 'hel', length: 20, seed: 3 }),
           resolved: import.meta.resolve('charrnn'), cjs: require.resolve('charrnn') }));`,
      ],
      { cwd: root, encoding: 'utf8', env: { ...process.env, NODE_OPTIONS: '' } },
    );
    const seen = JSON.parse(esm) as { sample: string; resolved: string; cjs: string };
    expect(seen.resolved).toBe(`file://${join(root, 'dist/index.js')}`);
    expect(seen.cjs).toBe(join(root, 'dist/cjs/index.cjs'));
    expect(seen.sample).toBe(cjs.sample);
  });
});

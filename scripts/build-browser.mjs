// Builds dist/charrnn.browser.js: the root entry for browsers (src/browser.ts, the library without files) as one ES
// module, for the package's "browser" export condition and the pages of examples/browser/. Node-only modules are
// swapped for their browser twins (X.browser.ts beside X.ts: no addon, chunks in place, no streams, no files), and
// the build fails on any node: import left (platform 'browser' cannot resolve one), so the bundle has none.
// Run by `npm run build` and `prepare`, after tsc; test/integration/browser-bundle.test.ts builds it the same way.
import { build } from 'esbuild';
import { existsSync } from 'node:fs';
import { resolve, sep } from 'node:path';
import { URL, fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const srcDir = resolve(root, 'src') + sep;

/** Resolve a relative import of src/ to its `.browser.ts` twin where one exists beside the module. */
export const browserTwins = {
  name: 'browser-twins',
  setup(b) {
    b.onResolve({ filter: /^\.\.?\/.*\.js$/ }, (args) => {
      if (!args.importer.startsWith(srcDir)) return undefined;
      const twin = resolve(args.resolveDir, args.path.replace(/\.js$/, '.browser.ts'));
      return twin !== args.importer && existsSync(twin) ? { path: twin } : undefined;
    });
  },
};

export const browserOptions = {
  absWorkingDir: root,
  entryPoints: ['src/browser.ts'],
  bundle: true,
  platform: 'browser',
  format: 'esm',
  target: 'es2022',
  plugins: [browserTwins],
  metafile: true,
  sourcemap: 'linked',
  legalComments: 'none',
  logLevel: 'warning',
};

export const BROWSER_BUNDLE = 'dist/charrnn.browser.js';

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  await build({ ...browserOptions, outfile: BROWSER_BUNDLE });
}

// Builds dist/cjs/index.cjs, the package root as one CommonJS file, for require('charrnn') on Node versions that
// cannot require ES modules (the "require" condition of the root export). Same settings as charrnn/brain's CommonJS
// bundle (scripts/build-brain.mjs): the addon loaders stay external, import.meta.url becomes this file's URL (two
// folders below the package root, as dist/backends/native.js is). Run by `npm run build` and `prepare`, after tsc.
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import { cjsOptions } from './build-brain.mjs';

export const rootCjsOptions = {
  ...cjsOptions,
  entryPoints: ['src/index.ts'],
  outfile: 'dist/cjs/index.cjs',
  banner: {
    js: cjsOptions.banner.js
      .replace('charrnn/brain as CommonJS', "charrnn's root entry as CommonJS")
      .replace('scripts/build-brain.mjs', 'scripts/build-cjs.mjs'),
  },
};

if (process.argv[1] === fileURLToPath(import.meta.url)) await build(rootCjsOptions);

// Types of scripts/build-browser.mjs, for the tests that build the browser bundle the same way.
import type { BuildOptions, Plugin } from 'esbuild';

/** Resolves a relative import of src/ to its `.browser.ts` twin where one exists. */
export declare const browserTwins: Plugin;
/** esbuild's options for the browser bundle of src/browser.ts (no outfile). */
export declare const browserOptions: BuildOptions & { metafile: true };
/** Where `npm run build` writes it. */
export declare const BROWSER_BUNDLE: string;

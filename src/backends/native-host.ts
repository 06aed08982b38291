// Where the native addon comes from, in Node: CHARRNN_ADDON_PATH, `bindings('charrnn')` from the package root or the
// prebuilt binary (node-gyp-build), checked against the checksum the install recorded, then require()d. The only module of the native backend that
// touches Node's built-ins; the browser build swaps in native-host.browser.ts (no addon, no warning). Deliberately
// no checks of what the addon exports (native.ts does that) and no caching (loadNative caches).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { describeLoadError } from './load-error.js';

/** True where an addon could load (Node), so 'auto' warns when it falls back; false in a browser. */
export const ADDON_EXPECTED: boolean = true;

/** CHARRNN_ADDON_PATH (e.g. a Debug/ASan build), when set. */
export function addonPathOverride(): string | undefined {
  return typeof process === 'object' ? process.env?.CHARRNN_ADDON_PATH || undefined : undefined;
}

/**
 * Compare an addon with the checksum scripts/install.mjs recorded beside it (`charrnn.node.sha256`) before it is
 * loaded: dlopen of a truncated or half-copied file crashes the process (SIGBUS) where this throws a reason, so
 * 'auto' falls back to TypeScript. A build without a record (cmake-js, Debug) is loaded unverified.
 */
function verifyAddon(path: string): void {
  let record: string;
  try {
    record = readFileSync(`${path}.sha256`, 'utf8');
  } catch {
    return;
  }
  const [digest, size] = record.trim().split(/\s+/);
  const bytes = readFileSync(path);
  if (bytes.length !== Number(size) || createHash('sha256').update(bytes).digest('hex') !== digest)
    throw new Error(
      `${path} is not the file that was built (${bytes.length} bytes, recorded ${size}; truncated or replaced?). HINT: run \`npm rebuild charrnn\``,
    );
}

/** The addon's exports and the file they came from. */
export interface LoadedAddon {
  exports: unknown;
  path: string;
}

/** The addon file: a source build (build/Release, through `bindings`), else the prebuilt one of this platform. */
function findAddon(require: NodeJS.Require, root: string): string {
  let sourceError: unknown;
  try {
    const bindings = require('bindings') as (opts: {
      bindings: string;
      module_root: string;
      try: string[][];
      path: true;
    }) => string;
    // Release only: a Debug/ASan build (build/Debug) aborts the process when loaded without the sanitizer
    // runtime preloaded, so it is reached only through CHARRNN_ADDON_PATH (scripts/test-asan.sh).
    const order = [
      ['module_root', 'build', 'Release', 'bindings'],
      ['module_root', 'build', 'bindings'],
    ];
    return bindings({ bindings: 'charrnn', module_root: root, try: order, path: true });
  } catch (err) {
    sourceError = err;
  }
  // No source build: the binary shipped in prebuilds/<platform>-<arch>/ (scripts/prebuild.mjs), as node-gyp-build
  // chooses it for this platform, architecture and libc.
  let prebuilt: string;
  try {
    const nodeGypBuild = require('node-gyp-build') as { path(dir: string): string };
    prebuilt = nodeGypBuild.path(root);
  } catch (err) {
    throw new Error(
      `${describeLoadError(sourceError)}; no prebuilt addon either (${describeLoadError(err).replace(/^No native build was found for /, 'none for ')})`,
    );
  }
  // node-gyp-build also looks in build/Debug, which must not be loaded here (see above).
  if (!/[\\/]prebuilds[\\/]/.test(prebuilt)) throw sourceError as Error;
  return prebuilt;
}

/**
 * The addon: `override` when given, else a source build found by `bindings`, else the prebuilt binary of this
 * platform; checked against its recorded checksum, then require()d. Throws why not.
 */
export function requireAddon(override: string | undefined): LoadedAddon {
  const require = createRequire(import.meta.url);
  const path = override ?? findAddon(require, fileURLToPath(new URL('../../', import.meta.url)));
  verifyAddon(path);
  return { exports: require(path), path };
}

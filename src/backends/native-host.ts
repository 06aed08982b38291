// Where the native addon comes from, in Node: CHARRNN_ADDON_PATH or `bindings('charrnn')` from the package root,
// checked against the checksum the install recorded, then require()d. The only module of the native backend that
// touches Node's built-ins; the browser build swaps in native-host.browser.ts (no addon, no warning). Deliberately
// no checks of what the addon exports (native.ts does that) and no caching (loadNative caches).
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

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

/** The addon's exports: `override` when given, else the Release build found by `bindings`. Throws why not. */
export function requireAddon(override: string | undefined): unknown {
  const require = createRequire(import.meta.url);
  if (override) {
    verifyAddon(override);
    return require(override);
  }
  const bindings = require('bindings') as (opts: {
    bindings: string;
    module_root: string;
    try: string[][];
    path: true;
  }) => string;
  const root = fileURLToPath(new URL('../../', import.meta.url));
  // Release only: a Debug/ASan build (build/Debug) aborts the process when loaded without the sanitizer
  // runtime preloaded, so it is reached only through CHARRNN_ADDON_PATH (scripts/test-asan.sh).
  const order = [
    ['module_root', 'build', 'Release', 'bindings'],
    ['module_root', 'build', 'bindings'],
  ];
  const path = bindings({ bindings: 'charrnn', module_root: root, try: order, path: true });
  verifyAddon(path);
  return require(path);
}

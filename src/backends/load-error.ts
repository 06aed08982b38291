// Why the native addon did not load, on one line: shared by the loader (native-host.ts, which also tries the
// prebuilt binary) and loadNative (native.ts). No Node built-ins, so the browser build can hold it.

/**
 * Why loading failed, on one line. `bindings` lists the paths it tried on the lines after "Tried:"; those are kept
 * (joined), everything else past the first line dropped.
 */
export function describeLoadError(err: unknown): string {
  const msg = err instanceof Error ? err.message : String(err);
  const [first, ...rest] = msg.split('\n');
  if (/Tried:\s*$/.test(first)) {
    const paths = rest.map((l) => l.replace(/^\s*→\s*/, '').trim()).filter((l) => l !== '');
    if (paths.length > 0)
      return `${first.replace(/\.?\s*Tried:\s*$/, '').trim()} (tried ${paths.join(', ')})`;
  }
  return first.trim();
}

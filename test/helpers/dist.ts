// dist/ for the tests that run the built package (its exports, its CommonJS bundle): `npm run build` (npm ci runs
// it) when a file of src/ or a bundler script is newer than the outputs named.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../', import.meta.url));

function newest(dir: string): number {
  let t = 0;
  for (const e of readdirSync(dir, { withFileTypes: true }))
    t = Math.max(t, e.isDirectory() ? newest(join(dir, e.name)) : statSync(join(dir, e.name)).mtimeMs);
  return t;
}

/** Rebuild dist/ when any of `outputs` (paths from the package root) is missing or older than the sources. */
export function ensureBuilt(outputs: string[]): void {
  const scripts = ['build-brain.mjs', 'build-cjs.mjs'].map((f) => statSync(join(root, 'scripts', f)).mtimeMs);
  const src = Math.max(newest(join(root, 'src')), ...scripts);
  if (outputs.map((p) => join(root, p)).some((p) => !existsSync(p) || statSync(p).mtimeMs < src))
    execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'pipe' });
}

// The loader checks the addon against the checksum recorded at build time before dlopen. Regression (issue 15,
// defect 7): a truncated addon crashed every command with SIGBUS, even `charrnn info`; now `auto` falls back to
// the TypeScript backend and says why in one line.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native.js';
import { root } from '../helpers/cli.js';

const release = join(root, 'build', 'Release', 'charrnn.node');
const dir = mkdtempSync(join(tmpdir(), 'charrnn-addon-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** `charrnn info` with CHARRNN_ADDON_PATH=addon, as parsed JSON. */
function info(addon: string): { status: number | null; json: { backend: string; reason?: string } } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), 'info'], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CHARRNN_ADDON_PATH: addon },
  });
  return { status: r.status, json: JSON.parse(r.stdout) as { backend: string; reason?: string } };
}

const native = loadNative();
if (!native.binding && process.env.CI) throw native.error ?? new Error('native addon missing');

describe.runIf(native.binding !== undefined && !process.env.CHARRNN_ADDON_PATH)('addon verification', () => {
  it('npm install records the Release build checksum and size', () => {
    const bytes = readFileSync(release);
    expect(readFileSync(`${release}.sha256`, 'utf8')).toBe(
      `${createHash('sha256').update(bytes).digest('hex')}  ${bytes.length}\n`,
    );
  });

  it('loads an addon that matches its record, and refuses a truncated one without loading it', () => {
    const addon = join(dir, 'charrnn.node');
    copyFileSync(release, addon);
    const bytes = readFileSync(addon);
    writeFileSync(
      `${addon}.sha256`,
      `${createHash('sha256').update(bytes).digest('hex')}  ${bytes.length}\n`,
    );
    expect(info(addon)).toMatchObject({ status: 0, json: { backend: 'native' } });

    truncateSync(addon, Math.floor(bytes.length / 2));
    const r = info(addon);
    expect(r.status).toBe(0); // not SIGBUS
    expect(r.json.backend).toBe('js');
    expect(r.json.reason).toBe(
      `CHARRNN_ADDON_PATH=${addon}: ${addon} is not the file that was built (${Math.floor(bytes.length / 2)} bytes, recorded ${bytes.length}; truncated or replaced?). HINT: run \`npm rebuild charrnn\``,
    );
    expect(existsSync(`${addon}.sha256`)).toBe(true);
  });
});

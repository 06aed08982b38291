// The install hook (scripts/install.mjs) and the loader (src/backends/native.ts) in a package laid out as npm
// installs the tarball: no .git, no build/, the addon only as prebuilds/<platform>-<arch>/ (scripts/prebuild.mjs),
// and a PATH with node but no C++ compiler. The install says in one line which addon is used, or that the
// TypeScript backend will be and how to get the addon; the loader finds the prebuild through node-gyp-build.
import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadNative } from '../../src/backends/native.js';
import { ensureBuilt } from '../helpers/dist.js';
import { root } from '../helpers/cli.js';

const native = loadNative();
const release = join(root, 'build', 'Release', 'charrnn.node');
const bundle = join(root, 'dist', 'cjs', 'index.cjs');
const target = `${platform()}-${arch()}`;
const dir = mkdtempSync(join(tmpdir(), 'charrnn-install-'));
const pkg = join(dir, 'node_modules', 'charrnn');
const prebuild = join(pkg, 'prebuilds', target, 'charrnn.node');
const bin = join(dir, 'bin'); // node, and no compiler
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const HINT = 'HINT: install a C++ toolchain (build-essential, python3) and run npm rebuild charrnn';

beforeAll(() => {
  ensureBuilt(['dist/cjs/index.cjs']);
  mkdirSync(join(pkg, 'scripts'), { recursive: true });
  mkdirSync(join(pkg, 'dist', 'cjs'), { recursive: true });
  mkdirSync(bin);
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync(join(root, 'node_modules'), join(pkg, 'node_modules'));
  writeFileSync(join(pkg, 'package.json'), JSON.stringify({ name: 'charrnn', type: 'module' }));
  copyFileSync(join(root, 'scripts', 'install.mjs'), join(pkg, 'scripts', 'install.mjs'));
  copyFileSync(bundle, join(pkg, 'dist', 'cjs', 'index.cjs'));
}, 180_000);

/** Put the Release build in as this platform's prebuild, with its checksum record. */
function placePrebuild(): void {
  mkdirSync(join(pkg, 'prebuilds', target), { recursive: true });
  copyFileSync(release, prebuild);
  copyFileSync(`${release}.sha256`, `${prebuild}.sha256`);
}

/** `npm install`'s run of the hook, without a compiler on PATH. */
function install(env: Record<string, string> = {}): { code: number | null; out: string } {
  const r = spawnSync(process.execPath, [join(pkg, 'scripts', 'install.mjs')], {
    cwd: pkg,
    encoding: 'utf8',
    env: { PATH: bin, HOME: dir, ...env },
  });
  return { code: r.status, out: `${r.stdout}${r.stderr}` };
}

/** What the installed package's CommonJS entry loads. */
function loaded(): { backend: string; reason?: string; addon?: string } {
  const r = spawnSync(
    process.execPath,
    [
      '-e',
      `process.stdout.write(JSON.stringify(require(${JSON.stringify(join(pkg, 'dist/cjs/index.cjs'))}).capabilities()))`,
    ],
    { encoding: 'utf8', env: { PATH: bin, HOME: dir } },
  );
  expect(r.stderr).toBe('');
  return JSON.parse(r.stdout) as { backend: string; reason?: string; addon?: string };
}

describe.runIf(native.binding !== undefined && !process.env.CHARRNN_ADDON_PATH)(
  'install without a compiler',
  () => {
    const kernels = native.binding!.capabilities().supported.join(', ');

    it('uses a prebuild that loads, says so in one line, and compiles nothing', () => {
      placePrebuild();
      expect(install()).toEqual({
        code: 0,
        out: `charrnn: using the prebuilt native addon for ${target} (kernels: ${kernels}); nothing to compile.\n`,
      });
      expect(existsSync(join(pkg, 'build'))).toBe(false);
      expect(loaded()).toMatchObject({ backend: 'native', addon: prebuild });
    });

    it('a source build asked for is not given the prebuild', () => {
      placePrebuild();
      expect(install({ CHARRNN_BUILD_FROM_SOURCE: '1' })).toEqual({
        code: 0,
        out: `charrnn: native addon could not be built (no C++ compiler found (c++, g++ or clang++ on PATH), and a source build was asked for); the pure-TypeScript backend will be used. ${HINT}\n`,
      });
    });

    it('a truncated prebuild is neither used at install nor loaded: the TypeScript backend, with the reason', () => {
      placePrebuild();
      const size = readFileSync(prebuild).length;
      truncateSync(prebuild, Math.floor(size / 2));
      expect(install()).toEqual({
        code: 0,
        out: `charrnn: native addon could not be built (no C++ compiler found (c++, g++ or clang++ on PATH), and no prebuilt addon for ${target} loads here); the pure-TypeScript backend will be used. ${HINT}\n`,
      });
      const r = loaded();
      expect(r.backend).toBe('js');
      expect(r.reason).toBe(
        `${prebuild} is not the file that was built (${Math.floor(size / 2)} bytes, recorded ${size}; truncated or replaced?). HINT: run \`npm rebuild charrnn\``,
      );
    });

    it('no prebuild for this platform: the reason names what was tried', () => {
      rmSync(join(pkg, 'prebuilds'), { recursive: true, force: true });
      expect(install().out).toBe(
        `charrnn: native addon could not be built (no C++ compiler found (c++, g++ or clang++ on PATH), and no prebuilt addon for ${target} loads here); the pure-TypeScript backend will be used. ${HINT}\n`,
      );
      const r = loaded();
      expect(r.backend).toBe('js');
      expect(r.reason).toMatch(
        new RegExp(
          `^Could not locate the bindings file \\(tried .*${join(pkg, 'build', 'Release', 'charrnn.node').replace(/[.]/g, '\\.')}.*\\); no prebuilt addon either \\(none for platform=${platform()} arch=${arch()} `,
        ),
      );
    });

    it('CHARRNN_SKIP_NATIVE=1 builds nothing and says the TypeScript backend will be used', () => {
      expect(install({ CHARRNN_SKIP_NATIVE: '1' })).toEqual({
        code: 0,
        out: 'charrnn: CHARRNN_SKIP_NATIVE=1, native addon not built; the pure-TypeScript backend will be used.\n',
      });
    });
  },
);

// Builds the prebuilt addon shipped in the npm tarball: prebuilds/<platform>-<arch>/charrnn.napi.<libc>.node, found
// at run time by node-gyp-build when there is no source build (src/backends/native.ts). One Node-API binary serves
// every Node version with N-API 8; it is compiled by prebuildify with binding.gyp's flags (no -march: the kernels
// pick AVX-512 / AVX2 / scalar at run time), stripped, loaded once to check it, and recorded with its sha256 like
// a source build (scripts/install.mjs). `npm run build:prebuilds`; `npm pack` runs it (prepack).
// Deliberately offline: this Node's headers on disk (e.g. /usr/include/node) are used where present.
//   node scripts/prebuild.mjs [--verbose]   compile with prebuildify (what `npm pack` ships)
//   node scripts/prebuild.mjs --from-build  take this checkout's build/Release instead of compiling again (the same
//                                           node-gyp build of the same binding.gyp, unstripped; CI's pack check)
// Not `npm run prebuild`: npm would run a script of that name before every `npm run build`.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const prebuildify = require('prebuildify');

const prefix = join(dirname(process.execPath), '..');
if (!process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h')))
  process.env.npm_config_nodedir = prefix;
const onPath = (cmd) => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
// node-gyp: the one npm names inside scripts, else npm's bundled copy (as scripts/install.mjs finds it).
const npmGyp = join(prefix, 'lib', 'node_modules', 'npm', 'node_modules', 'node-gyp', 'bin', 'node-gyp.js');
const nodeGyp = process.env.npm_config_node_gyp ?? (existsSync(npmGyp) ? npmGyp : 'node-gyp');

const folder = join(root, 'prebuilds', `${platform()}-${arch()}`);
rmSync(folder, { recursive: true, force: true }); // only this platform's binary: never a stale one beside it

const fromBuild = process.argv.includes('--from-build');
if (fromBuild) {
  const built = join(root, 'build', 'Release', 'charrnn.node');
  if (!existsSync(built)) throw new Error(`--from-build: no ${built} (npm run build:native first)`);
  const libc = existsSync('/etc/alpine-release') ? 'musl' : 'glibc'; // as prebuildify tags it
  mkdirSync(folder, { recursive: true });
  copyFileSync(built, join(folder, `charrnn.${platform() === 'linux' ? `${libc}.` : ''}node`));
} else {
  await new Promise((resolve, reject) =>
    prebuildify(
      {
        cwd: root,
        nodeGyp,
        napi: true,
        targets: [process.versions.node], // N-API: any version builds the same binary; this one's headers are here
        tagLibc: true, // glibc and musl binaries differ: node-gyp-build must not load one on the other
        strip: onPath('strip'),
        quiet: !process.argv.includes('--verbose'),
      },
      (err) => (err ? reject(err) : resolve()),
    ),
  );
}

const [name] = readdirSync(folder).filter((f) => f.endsWith('.node'));
if (!name) throw new Error(`prebuildify left no .node file in ${folder}`);
const file = join(folder, name);
// The shipped flags: binding.gyp's, never the build machine's ISA (checked on node-gyp's generated makefile).
const mk = readFileSync(join(root, 'build', 'charrnn.target.mk'), 'utf8');
const isaFlag = /\s-m(arch|tune|cpu)=\S+|\s-m(avx\S*|fma|sse4\S*|bmi\S*)\b/.exec(mk);
if (isaFlag)
  throw new Error(`the prebuild was compiled with ${isaFlag[0].trim()}: it must run on any ${arch()}`);
const probe = spawnSync(
  process.execPath,
  ['-e', `console.log(require(${JSON.stringify(file)}).capabilities().supported.join(', '))`],
  { encoding: 'utf8' },
);
if (probe.status !== 0) throw new Error(`the prebuild ${file} does not load: ${probe.stderr.trim()}`);
const bytes = readFileSync(file);
const record = `${createHash('sha256').update(bytes).digest('hex')}  ${bytes.length}\n`;
writeFileSync(`${file}.sha256`, record);
// prebuildify moved the build out of build/Release: put it back, so this checkout's source build (what `bindings`
// loads first) is the binary just built rather than gone.
if (!fromBuild) {
  const built = join(root, 'build', 'Release', 'charrnn.node');
  copyFileSync(file, built);
  writeFileSync(`${built}.sha256`, record);
}
console.log(
  `charrnn: prebuilt ${file.slice(root.length + 1)} (${(bytes.length / 1024).toFixed(0)} KiB, kernels: ${probe.stdout.trim()})`,
);

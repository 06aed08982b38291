// The package as a user gets it: `npm pack`, then `npm install <tarball>` in two fresh folders, (a) with a C++
// compiler and a source build asked for (--build-from-source: node-gyp compiles the addon), and (b) with no
// compiler on PATH (the prebuilt addon in the tarball is used). Each install is timed; in each folder a CommonJS
// program (test/integration/fixtures/require-root.cjs: train, sample, save, reload) and an ES module import the
// package by name, and the native backend must be the one loaded, from build/Release in (a) and from prebuilds/
// in (b). Also checks what the tarball holds (LICENSE, prebuilds, the CommonJS bundle; no tests, no build/).
//   node scripts/pack-check.mjs [--tarball FILE] [--keep]
//   node scripts/pack-check.mjs --quick   CI: `npm run build`, the prebuild from this checkout's build/Release
//                                         (prebuild.mjs --from-build), `npm pack --ignore-scripts`, and only the
//                                         install without a compiler (the source build is what npm ci just did)
/* global performance */
// Needs the npm registry (or npm's cache) for the dependencies. Exits non-zero on any failure.
import { execFileSync, spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { arch, platform, tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const argv = process.argv.slice(2);
const keep = argv.includes('--keep');
const quick = argv.includes('--quick');
const given = argv.includes('--tarball') ? argv[argv.indexOf('--tarball') + 1] : undefined;
const target = `${platform()}-${arch()}`;
const work = mkdtempSync(join(tmpdir(), 'charrnn-pack-check-'));
const npmCli = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm', 'bin', 'npm-cli.js');
const npm = existsSync(npmCli) ? [process.execPath, npmCli] : ['npm'];

function fail(msg) {
  console.error(`pack-check: FAILED: ${msg}`);
  process.exit(1);
}
const seconds = (t0) => ((performance.now() - t0) / 1000).toFixed(1);

// 1. The tarball.
let tarball = given;
if (!tarball) {
  const t0 = performance.now();
  if (quick) {
    execFileSync(npm[0], [...npm.slice(1), 'run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });
    execFileSync(process.execPath, [join(root, 'scripts', 'prebuild.mjs'), '--from-build'], {
      cwd: root,
      stdio: 'inherit',
    });
  }
  const out = execFileSync(
    npm[0],
    [...npm.slice(1), 'pack', '--pack-destination', work, ...(quick ? ['--ignore-scripts'] : [])],
    {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  tarball = join(work, out.trim().split('\n').at(-1));
  console.log(
    `pack-check: npm pack ${quick ? '(dist: npm run build; prebuild from build/Release)' : '(prepack: prebuild; prepare: dist)'} took ${seconds(t0)} s`,
  );
}
const files = execFileSync('tar', ['tzf', tarball], { encoding: 'utf8' }).trim().split('\n');
for (const must of [
  'package/LICENSE',
  'package/package.json',
  'package/dist/cjs/index.cjs',
  'package/dist/index.js',
])
  if (!files.includes(must)) fail(`${must} is not in the tarball`);
if (!files.some((f) => f.startsWith(`package/prebuilds/${target}/`) && f.endsWith('.node')))
  fail(`no prebuilds/${target}/*.node in the tarball`);
const stray = files.filter((f) =>
  /^package\/(test|build|src|bench|node_modules|native\/tests|\.ci)\//.test(f),
);
if (stray.length > 0) fail(`the tarball holds ${stray.slice(0, 3).join(', ')}`);
console.log(
  `pack-check: ${tarball} (${files.length} files: LICENSE, prebuilds/${target}, dist/cjs; no tests or build/)`,
);

// A PATH with node and a shell, and no C++ compiler or make.
const bare = join(work, 'bare-bin');
mkdirSync(bare);
symlinkSync(process.execPath, join(bare, 'node'));
for (const tool of ['sh', 'tar', 'gzip']) {
  const found = spawnSync('sh', ['-c', `command -v ${tool}`], { encoding: 'utf8' }).stdout.trim();
  if (found) symlinkSync(found, join(bare, tool));
}

function install(name, { env, flags }) {
  const dir = join(work, name);
  mkdirSync(dir);
  writeFileSync(join(dir, 'package.json'), JSON.stringify({ name: `pack-check-${name}`, private: true }));
  const t0 = performance.now();
  const r = spawnSync(
    npm[0],
    [
      ...npm.slice(1),
      'install',
      tarball,
      '--foreground-scripts',
      '--no-audit',
      '--no-fund',
      '--prefer-offline',
      ...flags,
    ],
    { cwd: dir, encoding: 'utf8', env: { ...process.env, ...env } },
  );
  const took = seconds(t0);
  const said = `${r.stdout}${r.stderr}`.split('\n').filter((l) => l.startsWith('charrnn:'));
  if (r.status !== 0) fail(`npm install in ${dir} exited ${r.status}:\n${r.stdout}${r.stderr}`);
  return { dir, took, said };
}

function use(dir, env) {
  copyFileSync(join(root, 'test/integration/fixtures/require-root.cjs'), join(dir, 'require-root.cjs'));
  const run = (args) => {
    const r = spawnSync(process.execPath, args, {
      cwd: dir,
      encoding: 'utf8',
      env: { ...process.env, ...env },
    });
    if (r.status !== 0) fail(`node ${args.join(' ')} in ${dir}: ${r.stderr}`);
    return JSON.parse(r.stdout);
  };
  const cjs = run(['require-root.cjs']);
  const esm = run([
    '--input-type=module',
    '-e',
    "const m = await import('charrnn'); const c = m.capabilities(); process.stdout.write(JSON.stringify({ backend: c.backend, addon: c.addon, resolved: import.meta.resolve('charrnn') }));",
  ]);
  return { cjs, esm };
}

function check(name, result, expectFrom) {
  const { dir, took, said } = result;
  const pkg = join(dir, 'node_modules', 'charrnn');
  const { cjs, esm } = use(dir, name === 'no-compiler' ? { PATH: bare } : {});
  if (cjs.backend !== 'native' || esm.backend !== 'native')
    fail(`${name}: backend ${cjs.backend} (CommonJS) / ${esm.backend} (ES module), expected native`);
  if (!cjs.resolved.endsWith(join('charrnn', 'dist', 'cjs', 'index.cjs')))
    fail(`${name}: require resolved ${cjs.resolved}`);
  if (!esm.resolved.endsWith('/charrnn/dist/index.js')) fail(`${name}: import resolved ${esm.resolved}`);
  if (!cjs.same || !cjs.finite || cjs.iterations !== 30)
    fail(`${name}: the CommonJS program saw ${JSON.stringify(cjs)}`);
  const want =
    expectFrom === 'source' ? join(pkg, 'build', 'Release', 'charrnn.node') : join(pkg, 'prebuilds', target);
  for (const [how, seen] of [
    ['CommonJS', cjs],
    ['ES module', esm],
  ])
    if (!seen.addon?.startsWith(want))
      fail(`${name}: the ${how} program loaded ${seen.addon}, expected ${want}`);
  if (expectFrom === 'prebuild' && existsSync(join(pkg, 'build')))
    fail(`${name}: something was compiled (build/ exists)`);
  if (said.length !== 1)
    fail(`${name}: the install said ${JSON.stringify(said)}, expected one charrnn: line`);
  console.log(`pack-check: (${name}) npm install took ${took} s; it said: ${said[0]}`);
  console.log(
    `pack-check: (${name}) require('charrnn') and import 'charrnn' load the native backend from ${cjs.addon.slice(pkg.length + 1)}`,
  );
  return took;
}

// 2. (a) With a compiler, a source build asked for; (b) no compiler on PATH: the prebuild.
const a = quick
  ? undefined
  : check('compiler', install('compiler', { env: {}, flags: ['--build-from-source'] }), 'source');
const b = check('no-compiler', install('no-compiler', { env: { PATH: bare }, flags: [] }), 'prebuild');
if (
  spawnSync('sh', ['-c', 'command -v c++ || command -v g++ || command -v make'], { env: { PATH: bare } })
    .status === 0
)
  fail('the no-compiler PATH has a compiler on it');
console.log(
  `pack-check: install times (${target}, node ${process.version}): ${a === undefined ? '' : `from source ${a} s, `}prebuilt ${b} s`,
);
if (!keep) rmSync(work, { recursive: true, force: true });
else console.log(`pack-check: kept ${work}`);
console.log(`pack-check: ${quick ? 1 : 2} passed, 0 failed`);

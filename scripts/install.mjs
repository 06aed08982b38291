// Install hook: uses the prebuilt addon shipped in the package for this platform when it loads, else builds the
// native addon with node-gyp when a C++ toolchain is present; never fails the install. Prints one line saying
// which (or that the pure-TypeScript backend will be used, and how to get the addon).
// Deliberately does not download anything: when this Node's own headers are on disk (e.g. /usr/include/node)
// node-gyp is pointed at them with --nodedir, so offline installs build too.
//   node scripts/install.mjs            npm install / npm ci: on failure print one line and exit 0
//   node scripts/install.mjs --strict   a developer build: show node-gyp's output and exit with its status
//   node scripts/install.mjs --debug    the Debug/ASan configuration (build/Debug/charrnn.node)
// CHARRNN_SKIP_NATIVE=1 skips the build (the pure-TypeScript backend is then used). The prebuilt addon
// (prebuilds/<platform>-<arch>/, scripts/prebuild.mjs) is not used in a git checkout, with --strict / --debug, or
// when a source build is asked for (npm install --build-from-source, or CHARRNN_BUILD_FROM_SOURCE=1).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { arch, platform } from 'node:os';
import { delimiter, dirname, isAbsolute, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const strict = args.has('--strict');
const debug = args.has('--debug');
const target = `${platform()}-${arch()}`;
const HINT = 'HINT: install a C++ toolchain (build-essential, python3) and run npm rebuild charrnn';

function fallback(reason) {
  if (strict) {
    console.error(`charrnn: native addon could not be built (${reason})`);
    process.exit(1);
  }
  console.log(
    `charrnn: native addon could not be built (${reason}); the pure-TypeScript backend will be used. ${HINT}`,
  );
  process.exit(0);
}

if (process.env.CHARRNN_SKIP_NATIVE === '1') {
  console.log(
    'charrnn: CHARRNN_SKIP_NATIVE=1, native addon not built; the pure-TypeScript backend will be used.',
  );
  process.exit(0);
}

/** `node -e` in a child: a broken addon must not take this script down with it. Its stdout, or undefined. */
function probe(file) {
  const r = spawnSync(
    process.execPath,
    ['-e', `console.log(require(${JSON.stringify(file)}).capabilities().supported.join(', '))`],
    { encoding: 'utf8' },
  );
  return r.status === 0 ? { kernels: r.stdout.trim() } : { error: r.stderr ?? '', status: r.status };
}

/** The prebuilt addon for this platform when it matches its checksum record and loads; else undefined. */
function usablePrebuild() {
  let file;
  try {
    file = createRequire(import.meta.url)('node-gyp-build').path(root);
  } catch {
    return undefined; // none for this platform (or node-gyp-build is missing)
  }
  if (!/[\\/]prebuilds[\\/]/.test(file)) return undefined; // a build/ folder: not a prebuild
  try {
    const [digest, size] = readFileSync(`${file}.sha256`, 'utf8').trim().split(/\s+/);
    const bytes = readFileSync(file);
    if (bytes.length !== Number(size) || createHash('sha256').update(bytes).digest('hex') !== digest)
      return undefined;
  } catch {
    return undefined;
  }
  const { kernels } = probe(file);
  return kernels === undefined ? undefined : { file, kernels };
}

const fromSource =
  strict || debug
    ? 'a source build was asked for'
    : process.env.CHARRNN_BUILD_FROM_SOURCE === '1' || process.env.npm_config_build_from_source === 'true'
      ? 'a source build was asked for'
      : existsSync(join(root, '.git'))
        ? 'a git checkout builds its own sources' // its prebuilds/ may be older than them
        : undefined;
if (!fromSource) {
  const prebuilt = usablePrebuild();
  if (prebuilt) {
    console.log(
      `charrnn: using the prebuilt native addon for ${target} (kernels: ${prebuilt.kernels}); nothing to compile.`,
    );
    process.exit(0);
  }
}

/** A C++ compiler node-gyp would use: $CXX, else c++, g++ or clang++ on PATH. Windows: left to node-gyp. */
function hasCompiler() {
  if (process.platform === 'win32') return true;
  const onPath = (cmd) =>
    isAbsolute(cmd)
      ? existsSync(cmd)
      : (process.env.PATH ?? '').split(delimiter).some((d) => d !== '' && existsSync(join(d, cmd)));
  const cxx = process.env.CXX?.trim().split(/\s+/)[0];
  return cxx ? onPath(cxx) : ['c++', 'g++', 'clang++'].some(onPath);
}
if (!hasCompiler()) {
  const why = process.env.CXX
    ? `the C++ compiler CXX=${process.env.CXX} was not found`
    : 'no C++ compiler found (c++, g++ or clang++ on PATH)';
  fallback(`${why}, and ${fromSource ?? `no prebuilt addon for ${target} loads here`}`);
}

// node-gyp: the one npm puts on PATH inside scripts, else npm's bundled copy, else a local dependency.
function nodeGypCommand() {
  if (process.env.npm_config_node_gyp) return [process.execPath, [process.env.npm_config_node_gyp]];
  const candidates = [];
  try {
    candidates.push(createRequire(import.meta.url).resolve('node-gyp/bin/node-gyp.js'));
  } catch {
    // not a local dependency
  }
  const npmDir = join(dirname(process.execPath), '..', 'lib', 'node_modules', 'npm');
  candidates.push(join(npmDir, 'node_modules', 'node-gyp', 'bin', 'node-gyp.js'));
  for (const c of candidates) if (existsSync(c)) return [process.execPath, [c]];
  return ['node-gyp', []]; // on PATH inside npm scripts
}

// Debug: configure + build without the clean step of `rebuild`, so build/Release survives next to build/Debug.
const steps = debug
  ? [
      ['configure', '--debug'],
      ['build', '--debug'],
    ]
  : [['rebuild']];
// Offline-friendly: this Node's headers, when installed next to it and no nodedir was configured.
const prefix = join(dirname(process.execPath), '..');
const nodedir =
  !process.env.npm_config_nodedir && existsSync(join(prefix, 'include', 'node', 'node_api.h'))
    ? [`--nodedir=${prefix}`]
    : [];

const [cmd, pre] = nodeGypCommand();
let result;
for (const step of steps) {
  result = spawnSync(cmd, [...pre, ...step, ...nodedir], {
    cwd: root,
    encoding: 'utf8',
    stdio: strict ? 'inherit' : 'pipe',
    env: process.env,
  });
  if (result.error || result.status !== 0) break;
}

if (result.error) fallback(result.error.code === 'ENOENT' ? 'node-gyp not found' : result.error.message);
if (result.status !== 0) {
  const out = `${result.stdout ?? ''}\n${result.stderr ?? ''}`;
  const line =
    out.split('\n').find((l) => /error:|not found|No such file|ERR! (stack )?Error/i.test(l)) ??
    `node-gyp exited with status ${result.status}`;
  fallback(
    line
      .replace(/^gyp ERR! (stack )?/, '')
      .trim()
      .slice(0, 160),
  );
}

// Load the fresh build in a child process: a broken addon must not take this script down with it.
const built = join(root, 'build', debug ? 'Debug' : 'Release', 'charrnn.node');
const loaded = probe(built);
if (loaded.kernels !== undefined) {
  // The loader compares the addon with this record before dlopen: a truncated or half-copied addon would crash
  // the process (SIGBUS) on load instead of falling back to TypeScript with a reason.
  const bytes = readFileSync(built);
  const digest = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(`${built}.sha256`, `${digest}  ${bytes.length}\n`);
  console.log(`charrnn: native addon built${debug ? ' (Debug)' : ''} (kernels: ${loaded.kernels}).`);
} else if (debug) {
  // a Debug/ASan build only loads with the sanitizer runtime preloaded (scripts/test-asan.sh does that)
  console.log('charrnn: native addon built (Debug).');
} else {
  const why = loaded.error.split('\n').find((l) => l.trim() !== '') ?? `exit status ${loaded.status}`;
  fallback(`the built addon does not load: ${why.trim().slice(0, 160)}`);
}

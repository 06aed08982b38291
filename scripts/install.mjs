// Install hook: builds the native addon with node-gyp when a C++ toolchain is present; never fails the install.
// Deliberately does not download anything: when this Node's own headers are on disk (e.g. /usr/include/node)
// node-gyp is pointed at them with --nodedir, so offline installs build too.
//   node scripts/install.mjs            npm install / npm ci: on failure print one line and exit 0
//   node scripts/install.mjs --strict   a developer build: show node-gyp's output and exit with its status
//   node scripts/install.mjs --debug    the Debug/ASan configuration (build/Debug/charrnn.node)
// CHARRNN_SKIP_NATIVE=1 skips the build (the pure-TypeScript backend is then used).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const args = new Set(process.argv.slice(2));
const strict = args.has('--strict');
const debug = args.has('--debug');
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
const probe = spawnSync(
  process.execPath,
  ['-e', `console.log(require(${JSON.stringify(built)}).capabilities().supported.join(', '))`],
  { encoding: 'utf8' },
);
if (probe.status === 0) {
  // The loader compares the addon with this record before dlopen: a truncated or half-copied addon would crash
  // the process (SIGBUS) on load instead of falling back to TypeScript with a reason.
  const bytes = readFileSync(built);
  const digest = createHash('sha256').update(bytes).digest('hex');
  writeFileSync(`${built}.sha256`, `${digest}  ${bytes.length}\n`);
  console.log(`charrnn: native addon built${debug ? ' (Debug)' : ''} (kernels: ${probe.stdout.trim()}).`);
} else if (debug) {
  // a Debug/ASan build only loads with the sanitizer runtime preloaded (scripts/test-asan.sh does that)
  console.log('charrnn: native addon built (Debug).');
} else {
  const why =
    `${probe.stderr ?? ''}`.split('\n').find((l) => l.trim() !== '') ?? `exit status ${probe.status}`;
  fallback(`the built addon does not load: ${why.trim().slice(0, 160)}`);
}

// Runs the clang-format binary that the `clang-format` dev dependency ships over every C++ file of native/
// (*.h, *.cc, *.inc) with the repository's .clang-format: `--check` fails on any difference (npm run lint:cpp),
// `--fix` rewrites the files in place (npm run format:cpp). It does not format anything outside native/.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const mode = process.argv[2];
if (mode !== '--check' && mode !== '--fix') {
  console.error('usage: node scripts/clang-format.mjs --check | --fix');
  process.exit(2);
}

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const files = readdirSync(join(root, 'native'), { recursive: true })
  .filter((f) => /\.(h|cc|inc)$/.test(f))
  .map((f) => join('native', f))
  .sort();

const binary = createRequire(import.meta.url)('clang-format').getNativeBinary();
const args = mode === '--check' ? ['--dry-run', '--Werror', ...files] : ['-i', ...files];
const r = spawnSync(binary, args, { cwd: root, stdio: 'inherit' });
if (r.error) throw r.error;
if (r.status !== 0) {
  if (mode === '--check')
    console.error('clang-format: native/ differs from .clang-format. HINT: npm run format:cpp');
  process.exit(r.status ?? 1);
}
console.log(`clang-format: ${files.length} files ${mode === '--check' ? 'checked' : 'formatted'}`);

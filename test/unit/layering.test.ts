// The layer order of src/ (eslint.config.js, rule layers/order from tools/eslint-plugin-layers.js), run through
// ESLint's Node API with the project's own configuration: a wrong import is reported, a correct one passes.
// Texts are linted under the paths of existing files, so the type-aware parts of the configuration see a real file.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ESLint } from 'eslint';
import { beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../', import.meta.url));
const ORDER =
  'util, version < text < tasks < model < sampling < backends < generate, dropin, run < charrnn < io < train, bench < report < cli, brain < browser, node < index, internals';

let eslint: ESLint;
beforeAll(() => {
  eslint = new ESLint({ cwd: root });
});

/** The layers/order messages for `code` linted as the file `path` (relative to the repository root). */
async function layering(path: string, code: string): Promise<string[]> {
  const [result] = await eslint.lintText(code, { filePath: join(root, path) });
  return result.messages.filter((m) => m.ruleId === 'layers/order').map((m) => m.message);
}

describe('the layer order of src/', () => {
  it('reports a model/ module that imports a backend', async () => {
    const messages = await layering(
      'src/model/config.ts',
      "import { jsBackend } from '../backends/js/index.js';\nexport const b = jsBackend;\n",
    );
    expect(messages).toEqual([
      `src/model may not import src/backends ('../backends/js/index.js'): a layer imports only layers ranked below it (${ORDER}).`,
    ]);
  });

  it('passes a model/ module that imports from util/ and its own folder', async () => {
    const messages = await layering(
      'src/model/config.ts',
      "import { describe } from '../util/validate.js';\nimport { layoutFor } from './spec.js';\nexport const d = [describe, layoutFor];\n",
    );
    expect(messages).toEqual([]);
  });

  it('reports type-only imports, re-exports and dynamic imports that go up', async () => {
    const messages = await layering(
      'src/backends/index.ts',
      [
        "import type { CharRNN } from '../charrnn.js';",
        "export { generate } from '../generate/generate.js';",
        "export const load = () => import('../io/checkpoint.js');",
        'export type M = CharRNN;',
        '',
      ].join('\n'),
    );
    expect(messages).toHaveLength(3);
    expect(messages[0]).toMatch(/^src\/backends may not import src\/charrnn \('\.\.\/charrnn\.js'\)/);
    expect(messages[1]).toMatch(/^src\/backends may not import src\/generate /);
    expect(messages[2]).toMatch(/^src\/backends may not import src\/io /);
  });

  it('keeps siblings of one rank apart and judges a path by where it lands', async () => {
    expect(
      await layering('src/generate/core.ts', "export { lossFun } from '../dropin/lossfun.js';\n"),
    ).toEqual([
      `src/generate may not import src/dropin ('../dropin/lossfun.js'): they share a rank in the layer order and stay independent (${ORDER}).`,
    ]);
    // From the JS backend two levels deep, '../check.js' stays inside backends/ and '../../sampling/' goes down.
    expect(
      await layering(
        'src/backends/js/optim.ts',
        "export { checkChunk } from '../check.js';\nexport { argmax } from '../../sampling/draw.js';\n",
      ),
    ).toEqual([]);
  });

  it('reports a folder missing from the order and an import that leaves src/', async () => {
    expect(await layering('src/text/batcher.ts', "export * from '../plugins/x.js';\n")).toEqual([
      `src/plugins is not in the layer order of eslint.config.js; place it there (${ORDER}).`,
    ]);
    expect(await layering('src/text/batcher.ts', "export * from '../../test/helpers/model.js';\n")).toEqual([
      "src/text may not import '../../test/helpers/model.js': it resolves outside src/.",
    ]);
  });

  it('lets the CLI and the entry points import every layer below them', async () => {
    expect(
      await layering(
        'src/cli/progress.ts',
        "export { train } from '../train/trainer.js';\nexport { runBenchmarks } from '../bench/runner.js';\n",
      ),
    ).toEqual([]);
    expect(await layering('src/index.ts', "export { train } from './train/trainer.js';\n")).toEqual([]);
  });
});

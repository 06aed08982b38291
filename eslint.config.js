// Lint configuration: typescript-eslint's recommended rules over src/, test/, bench/ and scripts/, plus the
// type-aware promise rules (a floating or misused promise is an unhandled rejection or a skipped await) on the
// TypeScript files, which tsconfig.json's project gives types to.
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import layers from './tools/eslint-plugin-layers.js';

export default tseslint.config(
  { ignores: ['dist/', 'build/', 'node_modules/', 'coverage/', 'docs/api/'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    languageOptions: { globals: { console: 'readonly', process: 'readonly' } },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      'no-constant-condition': ['error', { checkLoops: false }],
    },
  },
  // The layers of src/, lowest first: a folder (or top-level file) imports only from ranks below its own, never
  // from a sibling of its rank (tools/eslint-plugin-layers.js; CONTRIBUTING.md says where code goes).
  {
    files: ['src/**/*.ts'],
    plugins: { layers },
    rules: {
      'layers/order': [
        'error',
        {
          root: 'src',
          order: [
            ['util', 'version'], // validation helpers, the PRNG
            ['text'], // vocabularies, corpus, batching
            ['tasks'], // the sequence tasks' data: readers, labels, splits, padded batches, metrics
            ['model'], // config, layout, the model description, init: data only
            ['sampling'], // the token rule both backends carry out
            ['backends'], // the backend interface, the JS backend, the native adapter
            ['generate', 'dropin', 'run'], // generation over a backend; the drop-in API; a training run's data
            ['charrnn'], // the CharRNN facade
            ['io'], // files: safetensors, model files, checkpoints, corpora
            ['train', 'bench'], // the training loop and its run log; the benchmark runner
            ['report'], // what a person looks at: the HTML report of run logs, the terminal loss chart
            ['cli', 'brain'], // the charrnn command; brain.js's recurrent API (charrnn/brain)
            ['browser', 'node'], // the library without files (the root entry in a browser); its file functions (charrnn/node)
            ['index', 'internals'], // the package entry points in Node: index = browser + node
          ],
        },
      ],
    },
  },
  {
    files: ['**/*.ts'],
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      '@typescript-eslint/await-thenable': 'error',
      '@typescript-eslint/only-throw-error': 'error',
      // Passing on a caught value (catch (err) → Promise.reject(err)) is allowed; inventing a non-Error is not.
      '@typescript-eslint/prefer-promise-reject-errors': ['error', { allowThrowingUnknown: true }],
      '@typescript-eslint/return-await': ['error', 'in-try-catch'],
    },
  },
  // The example pages (plain ES modules for a browser, no build step): a page's and a worker's globals.
  {
    files: ['examples/browser/**/*.js'],
    languageOptions: {
      sourceType: 'module',
      globals: Object.fromEntries(
        [
          'window',
          'document',
          'navigator',
          'performance',
          'requestAnimationFrame',
          'setInterval',
          'clearInterval',
          'setTimeout',
          'clearTimeout',
          'URL',
          'Blob',
          'Worker',
          'AbortController',
          'postMessage',
          'onmessage',
          'self',
        ].map((name) => [name, name === 'onmessage' ? 'writable' : 'readonly']),
      ),
    },
  },
);

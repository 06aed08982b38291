// The state errors' stable codes and texts: busy, disposed and usage, each raised through the public CharRNN API
// (busy on every backend, the others on the JS one; the native addon's own busy / disposed errors are asserted in
// test/fuzz/native-boundary.test.ts); and the one-line reason of the fallback warning when the addon is missing.
import { mkdtempSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { describeLoadError } from '../../src/backends/native.js';
import { CharRNN } from '../../src/charrnn.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { BACKENDS } from '../helpers/generation.js';
import { BUSY_MESSAGE, DISPOSED_MESSAGE, ERROR_CODES } from '../../src/util/errors.js';
import type { StepHyper } from '../../src/backends/backend.js';

const vocab = Vocabulary.fromText('abcdefgh \n.');
const model = (backend: 'js' | 'native' = 'js') =>
  CharRNN.create({ vocabulary: vocab, hiddenSize: 8, seed: 1, backend });

/** The error `fn` throws (fails the test when it returns). */
function thrown(fn: () => unknown): Error & { code?: unknown } {
  try {
    fn();
  } catch (e) {
    return e as Error & { code?: unknown };
  }
  throw new Error('expected a throw');
}

describe('state errors carry a stable code and one text', () => {
  it.each(BACKENDS)('busy: any call while trainChunkAsync has not settled (%s backend)', async (backend) => {
    const m = model(backend);
    const hyper: StepHyper = {
      optimizer: { kind: 'adam', lr: 2e-3, momentum: 0, beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
      clipValue: 0,
      clipNorm: 5,
      step: 1,
      reduction: 'mean',
    };
    const ids = vocab.encode('abc de.\nfeed a bad cab.\n');
    const pending = m.trainChunkAsync(ids.slice(0, 8), ids.slice(1, 9), 1, 8, hyper);
    for (const call of [() => m.score('abc'), () => m.parameters(), () => m.evaluate('abc')]) {
      const e = thrown(call);
      expect(e).toBeInstanceOf(Error);
      expect(e.code).toBe('ERR_CHARRNN_BUSY');
      expect(e.message).toBe(
        'model is busy: an asynchronous call (trainChunkAsync or evaluateAsync) is still running; await it first',
      );
    }
    await pending;
    expect(m.score('abc').count).toBeGreaterThan(0);
  });

  it('disposed: any call after dispose()', () => {
    const m = model();
    m.dispose();
    const e = thrown(() => m.evaluate('abc de'));
    expect(e.code).toBe('ERR_CHARRNN_DISPOSED');
    expect(e.message).toBe('This backend session has been disposed');
  });

  it('usage: a next-token distribution before any token was fed', () => {
    const e = thrown(() => model().session().next());
    expect(e.code).toBe('ERR_CHARRNN_USAGE');
    expect(e.message).toBe(
      'This session has no token yet, so no next-token distribution. HINT: feed(text) first',
    );
  });

  it('the codes and texts are the exported constants', () => {
    expect(ERROR_CODES).toEqual({
      busy: 'ERR_CHARRNN_BUSY',
      disposed: 'ERR_CHARRNN_DISPOSED',
      usage: 'ERR_CHARRNN_USAGE',
      timeout: 'ERR_CHARRNN_TIMEOUT',
    });
    expect(BUSY_MESSAGE).toBe(
      'model is busy: an asynchronous call (trainChunkAsync or evaluateAsync) is still running; await it first',
    );
    expect(DISPOSED_MESSAGE).toBe('This backend session has been disposed');
  });
});

describe('the native fallback reason', () => {
  it('keeps the paths bindings tried on the one line (it used to end at "Tried:")', () => {
    const require = createRequire(import.meta.url);
    const bindings = require('bindings') as (o: object) => string;
    const root = mkdtempSync(join(tmpdir(), 'charrnn-nobuild-'));
    let err: unknown;
    try {
      bindings({
        bindings: 'charrnn',
        module_root: root,
        try: [['module_root', 'build', 'Release', 'bindings']],
        path: true,
      });
    } catch (e) {
      err = e;
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
    expect((err as Error).message).toContain('Tried:\n');
    const line = describeLoadError(err);
    expect(line).toBe(
      `Could not locate the bindings file (tried ${join(root, 'build', 'Release', 'charrnn.node')})`,
    );
    expect(describeLoadError(new Error('dlopen failed: bad ELF\nsecond line'))).toBe(
      'dlopen failed: bad ELF',
    );
  });
});

// One-shot generation from a model's zero state: generate() (with the backend's whole sampling loop unless stop
// sequences or maxLength need the text as it grows) and stream() (async iterator), both abortable; readable.ts
// wraps stream() as a Node Readable.
// Deliberately thin: the per-token loop and the token rule live in session.ts and transform.ts.
import type { ModelCore } from './core.js';
import { resolveGenerate, type GenerateOptions } from './options.js';
import { Session, type GenerateResult } from './session.js';
import { isIdentity } from '../sampling/transform.js';

/**
 * Generate from the zero state. Without stop sequences or maxLength the backend's whole sampling loop runs in one
 * call, transform rule (top-k, top-p, repetition penalty, banned tokens) included — natively on the native
 * backend; otherwise a Session steps token by token through the same rule. Both give the same text for the same
 * seed.
 */
export function generate(core: ModelCore, options: GenerateOptions = {}): GenerateResult {
  const r = resolveGenerate(core.vocabulary, options);
  if (r.stop.length === 0 && r.maxLength === Infinity) {
    const ids = core.sampleLoop({
      hidden: new Float32Array(core.stateSize),
      prime: r.prime,
      length: r.length,
      temperature: r.temperature,
      greedy: r.greedy,
      rngState: r.rng.state,
      transform: isIdentity(r.spec) ? undefined : r.spec,
    });
    return { text: decodeAfter(core, r.prime, ids), ids, stoppedBy: 'length' };
  }
  const session = new Session(core, { rng: r.rng });
  session.feed(r.prime);
  return session.generate({ ...options, prime: undefined, rng: r.rng });
}

/** The text of `ids` as it continues after `prime` (a word model's first piece may start with a space). */
export function decodeAfter(core: ModelCore, prime: Int32Array, ids: Int32Array): string {
  const v = core.vocabulary;
  if (v.kind === 'char') return v.decode(ids);
  let prev = prime.length > 0 ? prime[prime.length - 1] : -1;
  const parts: string[] = [];
  for (const id of ids) {
    parts.push(v.decodeStep(prev, id));
    prev = id;
  }
  return parts.join('');
}

/** generate() as an async iterator of text pieces; options.signal aborts it (it throws the signal's reason). */
export function stream(
  core: ModelCore,
  options: GenerateOptions = {},
): AsyncGenerator<string, GenerateResult, undefined> {
  const r = resolveGenerate(core.vocabulary, options);
  const session = new Session(core, { rng: r.rng });
  session.feed(r.prime);
  return session.stream({ ...options, prime: undefined, rng: r.rng });
}

// The token rule of a sampling loop written in TypeScript (the JS backend's sample()): the plain draw, or the
// transform rule when generation options are set, with the history the repetition penalty looks at. The native
// sampler (native/nn/sample.cc) carries out the same rule. Deliberately no softmax and no model: it picks from
// the distributions it is given.
import { argmax, drawFromProbs } from './draw.js';
import { isIdentity, Transformer, type TransformSpec } from './transform.js';
import type { Rng } from '../util/rng.js';

/** What a sampling loop asks for (a backend's SampleRequest has these fields). */
export interface PickRequest {
  /** Tokens fed before sampling starts: the start of the history. */
  readonly prime: Int32Array;
  /** Number of tokens to generate. */
  readonly length: number;
  /** Argmax instead of a draw. */
  readonly greedy: boolean;
  /** Generation options; absent (or the identity) = the plain draw. */
  readonly transform?: TransformSpec;
}

/**
 * The token rule of a JS sampling loop: the plain draw (argmax when greedy), or the transform rule when the
 * request carries generation options. `n` is the number of tokens generated so far (the history is the prime
 * followed by them).
 */
export function tokenPicker(
  req: PickRequest,
  V: number,
  rng: Rng,
): (probs: Float32Array, n: number) => number {
  const spec = req.transform;
  const greedy = Boolean(req.greedy);
  if (spec === undefined || isIdentity(spec))
    return (probs) => (greedy ? argmax(probs) : drawFromProbs(probs, rng));
  const transformer = new Transformer(V);
  const history = new Int32Array(req.prime.length + req.length);
  history.set(req.prime);
  return (probs, n) => {
    const tok = transformer.pick(probs, spec, history, req.prime.length + n, greedy, rng);
    history[req.prime.length + n] = tok; // picks come in order: the history grows by each one
    return tok;
  };
}

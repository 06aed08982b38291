// Beam search over forked sessions: the `width` most probable continuations with their log-probabilities.
// Deliberately deterministic (no sampling) and at temperature 1: the scores are the model's own ln p.
import type { UnknownPolicy } from '../text/vocabulary.js';
import { nonNegativeInt, numberInRange, positiveInt, rangeError, typeError } from '../util/validate.js';
import type { ModelCore } from './core.js';
import { defaultPrime, encodePrime, resolvePick } from './options.js';
import { OutputTracker, Session } from './session.js';

export interface BeamOptions {
  /** Text that primes the state (default: a newline if the vocabulary has one, else its first token). */
  prime?: string;
  /** Prime characters outside the vocabulary (as for generate). */
  unknown?: UnknownPolicy;
  /** Number of beams k (default 4). Width 1 is greedy decoding. */
  width?: number;
  /** Tokens to generate per beam (default 50), fewer for a beam that reaches a stop sequence. */
  length?: number;
  /**
   * Length normalisation exponent α ≥ 0 (default 0 = none): beams are ranked by logProb / max(1, n)^α for n
   * generated tokens, so α > 0 stops short (stopped) beams from winning just by being short.
   */
  lengthPenalty?: number;
  /** A beam that produces one of these strings is finished; its text ends before the stop sequence. */
  stop?: string | readonly string[];
  /** Tokens never generated (as for generate). */
  banned?: string | readonly string[];
}

export interface Beam {
  /** The continuation's text (without the prime). */
  text: string;
  /** Its token ids. */
  ids: Int32Array;
  /** Σ ln p(token | prefix) over ids, in nats (temperature 1). */
  logProb: number;
  /** logProb / max(1, ids.length)^lengthPenalty: what beams are ranked by. */
  score: number;
  /** True when it ended at a stop sequence. */
  finished: boolean;
}

interface Hyp {
  session: Session;
  ids: number[];
  out: OutputTracker;
  logProb: number;
  finished: boolean;
}

function scoreOf(logProb: number, n: number, alpha: number): number {
  return alpha === 0 ? logProb : logProb / Math.pow(Math.max(1, n), alpha);
}

function search(
  core: ModelCore,
  prime: Int32Array,
  width: number,
  length: number,
  alpha: number,
  stop: readonly string[],
  banned: Int32Array,
): Beam[] {
  const root = new Session(core);
  root.feed(prime);
  let beams: Hyp[] = [
    { session: root, ids: [], out: new OutputTracker(stop, false, Infinity), logProb: 0, finished: false },
  ];
  const V = core.config.vocabSize;
  const order = new Int32Array(V);
  for (let step = 0; step < length && beams.some((b) => !b.finished); step++) {
    // Candidates in a fixed order (beam rank, then token rank), so the stable sort below breaks ties the same way.
    const cands: { parent: Hyp; id: number; logProb: number; score: number }[] = [];
    for (const b of beams) {
      if (b.finished) {
        cands.push({ parent: b, id: -1, logProb: b.logProb, score: scoreOf(b.logProb, b.ids.length, alpha) });
        continue;
      }
      const p = b.session.next();
      for (const id of banned) p[id] = 0;
      for (let i = 0; i < V; i++) order[i] = i;
      order.sort((x, y) => p[y] - p[x] || x - y);
      for (let r = 0; r < width && p[order[r]] > 0; r++) {
        const id = order[r];
        const lp = b.logProb + Math.log(p[id]);
        cands.push({ parent: b, id, logProb: lp, score: scoreOf(lp, b.ids.length + 1, alpha) });
      }
    }
    cands.sort((x, y) => y.score - x.score);
    const next: Hyp[] = [];
    for (const c of cands.slice(0, width)) {
      if (c.id < 0) {
        next.push(c.parent);
        continue;
      }
      const s = c.parent.session.fork();
      const piece = core.vocabulary.decodeStep(s.lastToken, c.id);
      s.feed([c.id]);
      const out = new OutputTracker(stop, false, Infinity);
      out.push(c.parent.out.text);
      const finished = out.push(piece) === 'stop';
      next.push({ session: s, ids: [...c.parent.ids, c.id], out, logProb: c.logProb, finished });
    }
    if (next.length === 0) break;
    beams = next;
  }
  return beams.map((b) => ({
    text: b.out.text,
    ids: Int32Array.from(b.ids),
    logProb: b.logProb,
    score: scoreOf(b.logProb, b.ids.length, alpha),
    finished: b.finished,
  }));
}

/**
 * The `width` best continuations, best first. Width 1 is greedy decoding. For width > 1 the greedy continuation
 * is also scored and kept in the final pool, so the best beam never scores below greedy's (plain beam search
 * can prune the greedy path and end worse).
 */
export function beamSearch(core: ModelCore, options: BeamOptions = {}): Beam[] {
  if (options === null || typeof options !== 'object') typeError('an options object', 'options', options);
  const width = positiveInt('width', options.width ?? 4);
  if (width > 1024) rangeError('an integer in [1, 1024]', 'width', width);
  const length = nonNegativeInt('length', options.length ?? 50);
  const alpha = options.lengthPenalty ?? 0;
  numberInRange('lengthPenalty', alpha, 0, 10);
  const { spec } = resolvePick(core.vocabulary, { banned: options.banned });
  const stopList =
    options.stop === undefined ? [] : typeof options.stop === 'string' ? [options.stop] : options.stop;
  if (!Array.isArray(stopList)) typeError('a string or an array of strings', 'stop', options.stop);
  stopList.forEach((s, i) => {
    if (typeof s !== 'string' || s.length === 0) rangeError('a non-empty string', `stop[${i}]`, s);
  });
  const prime =
    options.prime === undefined || options.prime === ''
      ? defaultPrime(core.vocabulary)
      : encodePrime(core.vocabulary, options.prime, options.unknown);
  const beams = search(core, prime, width, length, alpha, stopList, spec.banned);
  if (width > 1) {
    const [greedy] = search(core, prime, 1, length, alpha, stopList, spec.banned);
    const same = (b: Beam) =>
      b.ids.length === greedy.ids.length && b.ids.every((id, i) => id === greedy.ids[i]);
    if (greedy !== undefined && !beams.some(same)) beams.push(greedy);
  }
  beams.sort((x, y) => y.score - x.score);
  return beams.slice(0, width);
}

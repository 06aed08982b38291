// Tracing a text through a model for the neuron-firing viewer (`charrnn viz`): after each token, every layer's h
// (and an LSTM's c), the top-k next-token predictions and the surprisal of the actual next token; and a pure
// ranking of "interesting" neurons by their correlation with simple features of the text (quotes, brackets,
// position in the line, word starts). Built on the same one-stream BackendSession.step as Session and score.
// Deliberately no gate values (the backends' step does not expose them) and no HTML (see src/report/viz-html.ts).
import { MAX_SCRATCH_ELEMENTS, MAX_TRACE_LENGTH } from '../model/config.js';
import { stateOffsets } from '../model/layout.js';
import { describe as describeValue } from '../util/validate.js';
import type { ModelCore } from './core.js';

export interface TraceOptions {
  /** How many of the most probable next tokens to keep per step (default 5; an integer in [1, vocabSize]). */
  topK?: number;
}

/** One traced block of the recurrent state: a layer's h or (LSTM) c. */
export interface TracedLayer {
  /** 'h0', 'h1', … then (LSTM) 'c0', 'c1', … — the state blocks in session.state() order. */
  readonly name: string;
  /** The recurrent layer (0 = bottom). */
  readonly layer: number;
  readonly kind: 'h' | 'c';
  /** Width H of the layer. */
  readonly size: number;
  /** steps × size, row-major: values[t·size + j] is unit j after feeding token t. */
  readonly values: Float32Array;
}

export interface TraceResult {
  /** The tokens fed, in order (characters — code points — for a character model). */
  readonly tokens: string[];
  /** Their ids. */
  readonly ids: Int32Array;
  /** Number of steps (= tokens.length). */
  readonly steps: number;
  /** Every layer's h, then (LSTM) every layer's c. */
  readonly layers: TracedLayer[];
  /** The k most probable next tokens after each step, most probable first (ties: lower id first). */
  readonly topK: {
    readonly k: number;
    /** steps × k token ids. */
    readonly ids: Int32Array;
    /** steps × k probabilities (temperature 1). */
    readonly probs: Float32Array;
  };
  /**
   * −log2 p of the actual next token after each step, in bits; NaN at the last step (there is no next token).
   * surprisal[t] · ln 2 equals model.score(text).surprisal[t] (the first token is score's context).
   */
  readonly surprisal: Float32Array;
}

/** Trace `text` from the zero state (see TraceResult). */
export function trace(core: ModelCore, text: string, options: TraceOptions = {}): TraceResult {
  if (typeof text !== 'string')
    throw new TypeError(`Expected a string for text but received ${describeValue(text)}`);
  if (options === null || typeof options !== 'object')
    throw new TypeError(`Expected an options object for trace but received ${describeValue(options)}`);
  const V = core.config.vocabSize;
  const k = options.topK ?? 5;
  if (typeof k !== 'number' || !Number.isInteger(k))
    throw new TypeError(`Expected an integer for topK but received ${describeValue(k)}`);
  if (k < 1 || k > V) throw new RangeError(`Expected an integer in [1, ${V}] for topK but received ${k}`);
  if (text.length > 4 * MAX_TRACE_LENGTH)
    throw new RangeError(
      `Expected a text of at most ${MAX_TRACE_LENGTH} tokens for trace but received one of ${text.length} UTF-16 units`,
    );
  const ids = core.vocabulary.encode(text);
  const T = ids.length;
  if (T === 0)
    throw new RangeError('Expected a text of at least 1 token for trace but received an empty text');
  if (T > MAX_TRACE_LENGTH)
    throw new RangeError(
      `Expected a text of at most ${MAX_TRACE_LENGTH} tokens for trace but received ${T} tokens`,
    );
  const S = core.stateSize;
  if (T * S > MAX_SCRATCH_ELEMENTS)
    throw new RangeError(
      `Expected at most ${MAX_SCRATCH_ELEMENTS} traced state values but ${T} tokens × ${S} state floats need ${T * S}; trace a shorter text`,
    );

  const config = core.config;
  const offsets = stateOffsets(config, 1);
  const layers: TracedLayer[] = [];
  const blocks: { offset: number; layer: TracedLayer }[] = [];
  for (const kind of ['h', 'c'] as const)
    (kind === 'h' ? offsets.h : offsets.c).forEach((offset, l) => {
      const size = config.hiddenSizes[l];
      const layer: TracedLayer = {
        name: `${kind}${l}`,
        layer: l,
        kind,
        size,
        values: new Float32Array(T * size),
      };
      layers.push(layer);
      blocks.push({ offset, layer });
    });

  const h = new Float32Array(S);
  const hPrev = new Float32Array(S);
  const probs = new Float32Array(V);
  const topIds = new Int32Array(T * k);
  const topProbs = new Float32Array(T * k);
  const surprisal = new Float32Array(T);
  const bestP = new Float64Array(k);
  const bestI = new Int32Array(k);
  for (let t = 0; t < T; t++) {
    hPrev.set(h);
    core.step(h, ids[t], probs, 1);
    for (const { offset, layer } of blocks)
      layer.values.set(h.subarray(offset, offset + layer.size), t * layer.size);
    // Top k by insertion into a sorted list (strictly greater moves up, so ties keep the lower id first).
    bestP.fill(-1);
    bestI.fill(-1);
    for (let v = 0; v < V; v++) {
      const p = probs[v];
      if (p <= bestP[k - 1]) continue;
      let j = k - 1;
      while (j > 0 && p > bestP[j - 1]) {
        bestP[j] = bestP[j - 1];
        bestI[j] = bestI[j - 1];
        j--;
      }
      bestP[j] = p;
      bestI[j] = v;
    }
    topIds.set(bestI, t * k);
    for (let j = 0; j < k; j++) topProbs[t * k + j] = bestP[j];
    if (t + 1 < T) {
      const p = probs[ids[t + 1]];
      // As score: a float32 probability that underflowed is recomputed in float64 through evaluate.
      surprisal[t] =
        p > 0 ? -Math.log2(p) : core.evaluate(Int32Array.of(ids[t], ids[t + 1]), hPrev).totalNats / Math.LN2;
    } else surprisal[t] = NaN;
  }
  const tokens = Array.from(ids, (id) => core.vocabulary.tokenOf(id));
  return { tokens, ids, steps: T, layers, topK: { k, ids: topIds, probs: topProbs }, surprisal };
}

// ---- "interesting" neurons ----

/** The text features neurons are correlated with. */
export type TextFeature = 'quote' | 'bracket' | 'linePosition' | 'wordStart';

export const TEXT_FEATURES: readonly { feature: TextFeature; label: string }[] = [
  { feature: 'quote', label: 'inside quotes ("…" or \'…\')' },
  { feature: 'bracket', label: 'inside brackets ( ) [ ] { }' },
  { feature: 'linePosition', label: 'position in the line (characters since the last newline)' },
  { feature: 'wordStart', label: 'start of a word' },
];

const isWordChar = (s: string | undefined) => s !== undefined && /^[\p{L}\p{N}_]/u.test(s);

/**
 * The features after each token (the state after reading it): 1 inside a "…" or '…' span (the opening quote
 * counts as inside, the closing one does not; a ' between word characters is an apostrophe), 1 while some
 * bracket is open, the characters since the last newline (0 at the newline), 1 on a word character after a
 * non-word one.
 */
export function textFeatures(tokens: readonly string[]): Record<TextFeature, Float64Array> {
  const n = tokens.length;
  const quote = new Float64Array(n);
  const bracket = new Float64Array(n);
  const linePosition = new Float64Array(n);
  const wordStart = new Float64Array(n);
  let inDouble = false;
  let inSingle = false;
  let depth = 0;
  let col = 0;
  for (let t = 0; t < n; t++) {
    const ch = tokens[t];
    const prev = tokens[t - 1];
    const next = tokens[t + 1];
    if (ch === '"') inDouble = !inDouble;
    else if (ch === "'") {
      if (inSingle && !isWordChar(next)) inSingle = false;
      else if (!inSingle && !isWordChar(prev)) inSingle = true;
    }
    quote[t] = inDouble || inSingle ? 1 : 0;
    if (ch === '(' || ch === '[' || ch === '{') depth++;
    else if ((ch === ')' || ch === ']' || ch === '}') && depth > 0) depth--;
    bracket[t] = depth > 0 ? 1 : 0;
    if (ch === '\n') col = 0;
    else col += 1;
    linePosition[t] = col;
    wordStart[t] = isWordChar(ch) && !isWordChar(prev) ? 1 : 0;
  }
  return { quote, bracket, linePosition, wordStart };
}

/** Pearson correlation of x and y (0 when either is constant). */
export function pearson(x: ArrayLike<number>, y: ArrayLike<number>): number {
  const n = x.length;
  let mx = 0;
  let my = 0;
  for (let i = 0; i < n; i++) {
    mx += x[i];
    my += y[i];
  }
  mx /= n;
  my /= n;
  let sxy = 0;
  let sxx = 0;
  let syy = 0;
  for (let i = 0; i < n; i++) {
    const dx = x[i] - mx;
    const dy = y[i] - my;
    sxy += dx * dy;
    sxx += dx * dx;
    syy += dy * dy;
  }
  return sxx > 0 && syy > 0 ? sxy / Math.sqrt(sxx * syy) : 0;
}

export interface RankedNeuron {
  /** The traced block: 'h0', 'c1', … */
  layer: string;
  /** Unit index inside the block. */
  index: number;
  /** Pearson correlation with the feature (the ranking is by |r|). */
  r: number;
}

export interface FeatureRanking {
  feature: TextFeature;
  label: string;
  /** Most correlated first; empty when the feature is constant over the text (e.g. no quotes in it). */
  neurons: RankedNeuron[];
}

/** The `top` neurons (default 10) of every traced block most correlated (|Pearson r|) with each text feature. */
export function rankNeurons(
  result: Pick<TraceResult, 'tokens' | 'layers'>,
  options: { top?: number } = {},
): FeatureRanking[] {
  const top = options.top ?? 10;
  if (typeof top !== 'number' || !Number.isInteger(top) || top < 1)
    throw new RangeError(`Expected an integer ≥ 1 for top but received ${describeValue(top)}`);
  const n = result.tokens.length;
  const features = textFeatures(result.tokens);
  const column = new Float64Array(n);
  return TEXT_FEATURES.map(({ feature, label }) => {
    const f = features[feature];
    const all: RankedNeuron[] = [];
    if (pearson(f, f) !== 0)
      for (const layer of result.layers)
        for (let j = 0; j < layer.size; j++) {
          for (let t = 0; t < n; t++) column[t] = layer.values[t * layer.size + j];
          const r = pearson(column, f);
          if (r !== 0 && Number.isFinite(r)) all.push({ layer: layer.name, index: j, r });
        }
    all.sort((a, b) => Math.abs(b.r) - Math.abs(a.r));
    return { feature, label, neurons: all.slice(0, top) };
  });
}

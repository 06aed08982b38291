// A model's initial parameters, as its description (./spec.ts) says: min-char-rnn's N(0, initScale²) weights with
// zero biases (the seeds' layout, or any model when initScale is given), else PyTorch's initialisation; then an
// LSTM's forget-gate bias. Every draw comes from the caller's PRNG in arena order, so a seed fixes the parameters
// (and the caller keeps the stream, e.g. for dropout masks). Deliberately no backend and no other arena.
import type { Rng } from '../util/rng.js';
import { describe, nonNegativeNumber } from '../util/validate.js';
import type { ModelSpec } from './spec.js';
import type { TensorRole } from './layout.js';

export interface InitOptions {
  /** Standard deviation of a Gaussian weight init (biases 0); default 0.01 for the seeds' layout, else PyTorch's init. */
  initScale?: number;
  /** LSTM only: the summed forget-gate bias (bias_ih's f slice; bias_hh's is 0), or 'pytorch'. Default 1. */
  forgetBias?: number | 'pytorch';
}

const BIASES: ReadonlySet<TensorRole> = new Set(['bias', 'bias_ih', 'bias_hh', 'decoder_bias']);

/** Fresh parameters for `spec`, laid out by spec.layout, drawn from `rng`. */
export function initParameters(spec: ModelSpec, rng: Rng, options: InitOptions = {}): Float32Array {
  const { config, layout } = spec;
  const params = new Float32Array(layout.size);
  if (spec.defaultInit === 'min-char-rnn' || options.initScale !== undefined) {
    const initScale = nonNegativeNumber('initScale', options.initScale ?? 0.01);
    for (const t of layout.tensors) {
      if (BIASES.has(t.role)) continue; // biases start at zero
      for (let i = t.offset; i < t.offset + t.size; i++) params[i] = rng.nextGaussian() * initScale;
    }
  } else initPyTorch(spec, params, rng);
  const forgetBias = options.forgetBias ?? 1;
  if (forgetBias !== 'pytorch' && (typeof forgetBias !== 'number' || !Number.isFinite(forgetBias)))
    throw new TypeError(
      `Expected a finite number or 'pytorch' for forgetBias but received ${describe(forgetBias)}`,
    );
  if (config.cell === 'lstm' && forgetBias !== 'pytorch')
    for (const t of layout.tensors) {
      if (t.role !== 'bias_ih' && t.role !== 'bias_hh') continue;
      const H = config.hiddenSizes[t.layer!];
      // forget gate (i, f, g, o): bias_ih's f slice = forgetBias, bias_hh's = 0
      params.fill(t.role === 'bias_ih' ? forgetBias : 0, t.offset + H, t.offset + 2 * H);
    }
  return params;
}

/**
 * PyTorch's default initialisation, in arena order: N(0, 1) for the embedding (nn.Embedding); U(−k, k) with
 * k = 1/√H_l for every weight and bias of recurrent layer l (both directions), and k = 1/√(D·H_top) for the
 * decoder (nn.Linear of fan-in D·H_top, D = 2 when bidirectional).
 */
function initPyTorch(spec: ModelSpec, params: Float32Array, rng: Rng): void {
  const { config, layout } = spec;
  for (const t of layout.tensors) {
    if (t.role === 'embedding') {
      for (let i = t.offset; i < t.offset + t.size; i++) params[i] = rng.nextGaussian();
      continue;
    }
    const k =
      1 /
      Math.sqrt(
        t.layer === undefined
          ? (config.bidirectional ? 2 : 1) * config.hiddenSize
          : config.hiddenSizes[t.layer],
      );
    for (let i = t.offset; i < t.offset + t.size; i++) params[i] = (rng.nextFloat() * 2 - 1) * k;
  }
}

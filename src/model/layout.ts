// Parameter layout: where each named tensor lives in the flat Float32 arena (its name, shape, offset and role),
// and how big the carried recurrent state is. Gradients and optimizer state use the same layout. Which naming a
// config gets is decided by the model description (./spec.ts, layoutFor), not here.
// The native side derives the same offsets (native/nn/layout.h for the seeds' layout, native/nn/stack.h for
// every other one); test/parity checks they agree. Deliberately no allocation of arenas here.
import { directions, gateCount, type ModelConfig } from './config.js';

/**
 * What a tensor is for, whatever its name: PyTorch's parameter names without the layer suffix. `bias` is the
 * seeds' single hidden bias bh, which stands for bias_ih + bias_hh of layer 0.
 */
export type TensorRole =
  | 'embedding'
  | 'weight_ih'
  | 'weight_hh'
  | 'bias'
  | 'bias_ih'
  | 'bias_hh'
  | 'decoder_weight'
  | 'decoder_bias';

/**
 * How a layout names its tensors: 'seeds' (min-char-rnn's Wxh, Whh, bh, Why, by; the vanilla model only) or
 * 'pytorch' (torch.nn.Embedding / RNN / LSTM / GRU / Linear names).
 */
export type LayoutNames = 'seeds' | 'pytorch';

export interface TensorView {
  /** Name: the seeds' notation (Wxh, Whh, bh, Why, by) for the vanilla model, PyTorch's otherwise. */
  readonly name: string;
  /** Row-major shape. */
  readonly shape: readonly number[];
  /** Offset in elements from the start of the arena. */
  readonly offset: number;
  /** Number of elements. */
  readonly size: number;
  /** What the tensor is for. */
  readonly role: TensorRole;
  /** The recurrent layer it belongs to (0 = bottom); undefined for the embedding and the decoder. */
  readonly layer?: number;
  /** True for the reverse direction of a bidirectional layer (PyTorch's `_reverse` suffix). */
  readonly reverse?: boolean;
}

export interface Layout {
  readonly tensors: readonly TensorView[];
  /** Total number of float32 elements. */
  readonly size: number;
  get(name: string): TensorView;
}

/**
 * Input width of layer l: E (embedding), V (one-hot) for layer 0, else the output width of layer l − 1
 * (D·H_{l−1}, D = 2 when bidirectional: both directions concatenated).
 */
export function layerInputSize(config: ModelConfig, l: number): number {
  if (l > 0) return directions(config) * config.hiddenSizes[l - 1];
  return config.embeddingSize > 0 ? config.embeddingSize : config.vocabSize;
}

/**
 * The arena layout of `config` under `names`, in arena order (callers get it through layoutFor / describeModel,
 * which choose the naming).
 *
 * 'seeds' (the vanilla model: cell 'rnn', 1 layer, one-hot, no dropout, tanh), min-char-rnn's names, unchanged:
 *   Wxh [H, V]  input→hidden (one-hot input: column lookup)
 *   Whh [H, H]  hidden→hidden
 *   bh  [H]
 *   Why [V, H]  hidden→output
 *   by  [V]
 *
 * 'pytorch' (every other model): PyTorch's names, shapes, gate order and two-bias form, so a checkpoint maps
 * one-to-one onto torch.nn.Embedding / RNN / LSTM / GRU (batch_first=False) / Linear:
 *   embedding.weight     [V, E]          only when embeddingSize > 0
 *   per layer l (bottom first), G = 1 (rnn), 4 (lstm: i, f, g, o), 3 (gru: r, z, n):
 *     rnn.weight_ih_l{l} [G·H_l, In_l]   In_0 = E, or V for one-hot input; In_l = H_{l−1}
 *     rnn.weight_hh_l{l} [G·H_l, H_l]
 *     rnn.bias_ih_l{l}   [G·H_l]
 *     rnn.bias_hh_l{l}   [G·H_l]
 *     and, when bidirectional, the same four again with the suffix `_reverse` (PyTorch's order), In_l = 2·H_{l−1}
 *   decoder.weight       [V, D·H_top]      (task 'classify' / 'tag': [C, D·H_top], C = numClasses)
 *   decoder.bias         [V]               ([C]); torch.nn.Linear(D·H_top, V or C) named `decoder`
 * (PyTorch's nn.RNN/LSTM/GRU need one width for all layers; per-layer widths map to one module per layer.)
 */
export function arenaLayout(config: ModelConfig, names: LayoutNames): Layout {
  const V = config.vocabSize;
  let specs: [string, number[], TensorRole, number?, boolean?][];
  if (names === 'seeds') {
    const H = config.hiddenSize;
    specs = [
      ['Wxh', [H, V], 'weight_ih', 0],
      ['Whh', [H, H], 'weight_hh', 0],
      ['bh', [H], 'bias', 0],
      ['Why', [V, H], 'decoder_weight'],
      ['by', [V], 'decoder_bias'],
    ];
  } else {
    const G = gateCount(config.cell);
    specs = [];
    if (config.embeddingSize > 0) specs.push(['embedding.weight', [V, config.embeddingSize], 'embedding']);
    for (let l = 0; l < config.layers; l++) {
      const H = config.hiddenSizes[l];
      for (const sfx of config.bidirectional ? ['', '_reverse'] : ['']) {
        const r = sfx !== '';
        specs.push([`rnn.weight_ih_l${l}${sfx}`, [G * H, layerInputSize(config, l)], 'weight_ih', l, r]);
        specs.push([`rnn.weight_hh_l${l}${sfx}`, [G * H, H], 'weight_hh', l, r]);
        specs.push([`rnn.bias_ih_l${l}${sfx}`, [G * H], 'bias_ih', l, r]);
        specs.push([`rnn.bias_hh_l${l}${sfx}`, [G * H], 'bias_hh', l, r]);
      }
    }
    const out = config.task === 'lm' ? V : config.numClasses;
    specs.push(['decoder.weight', [out, directions(config) * config.hiddenSize], 'decoder_weight']);
    specs.push(['decoder.bias', [out], 'decoder_bias']);
  }
  let offset = 0;
  const tensors: TensorView[] = specs.map(([name, shape, role, layer, reverse]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const view: TensorView = Object.freeze({
      name,
      shape: Object.freeze(shape),
      offset,
      size,
      role,
      ...(layer === undefined ? {} : { layer }),
      ...(reverse ? { reverse } : {}),
    });
    offset += size;
    return view;
  });
  const byName = new Map(tensors.map((t) => [t.name, t]));
  return Object.freeze({
    tensors: Object.freeze(tensors),
    size: offset,
    get(name: string): TensorView {
      const t = byName.get(name);
      if (!t)
        throw new RangeError(
          `Unknown tensor ${JSON.stringify(name)}; this model has ${[...byName.keys()].join(', ')}`,
        );
      return t;
    },
  });
}

/** A subarray view of one named tensor inside an arena (params, grads or one optimizer slot). */
export function viewOf(arena: Float32Array, t: TensorView, base = 0): Float32Array {
  return arena.subarray(base + t.offset, base + t.offset + t.size);
}

/**
 * Number of float32 elements of the carried recurrent state of B streams. The state is laid out as
 * PyTorch's (h_n[, c_n]) with batch_first=False, flattened layer by layer:
 *   h of layer 0 [B, H_0], h of layer 1 [B, H_1], …, then (LSTM only) c of layer 0 [B, H_0], c of layer 1, …
 * so the vanilla model's state is exactly [B, H]. Sampling and step() use B = 1. (A 'classify' / 'tag' model reads
 * every sequence from a zero state and carries nothing between calls; its state keeps this size, one direction's,
 * only so that the training-state plumbing has one shape.)
 */
export function stateSize(config: ModelConfig, B: number): number {
  let n = 0;
  for (let l = 0; l < config.layers; l++) n += config.hiddenSizes[l];
  return B * n * (config.cell === 'lstm' ? 2 : 1);
}

/** Element offsets of each layer's h (and, for an LSTM, c) block inside a state of B streams. */
export function stateOffsets(config: ModelConfig, B: number): { h: number[]; c: number[] } {
  const h: number[] = [];
  const c: number[] = [];
  let o = 0;
  for (let l = 0; l < config.layers; l++) {
    h.push(o);
    o += B * config.hiddenSizes[l];
  }
  if (config.cell === 'lstm')
    for (let l = 0; l < config.layers; l++) {
      c.push(o);
      o += B * config.hiddenSizes[l];
    }
  return { h, c };
}

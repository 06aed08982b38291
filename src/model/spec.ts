// The one description of a model: its config, the parameter layout derived from it (every tensor's name, shape,
// offset and role), the size of its carried state and its default initialisation. Initialisation (./init.ts),
// the JS backend's choice of session, the native adapter and the file format (src/io) all read this description;
// whether a config is the vanilla model (config.ts, isVanilla) is asked here and nowhere else.
// Deliberately plain data: no arenas, no backend.
import { isVanilla, type ModelConfig } from './config.js';
import { arenaLayout, stateSize, type Layout, type LayoutNames } from './layout.js';

export interface ModelSpec {
  readonly config: ModelConfig;
  /**
   * How the layout names its tensors. 'seeds' for the vanilla model (one tanh RNN layer, one-hot input, no
   * dropout): min-char-rnn's Wxh, Whh, bh, Why, by, which is also the drop-in API's naming, file format
   * version 1 and the JS backend's dedicated session. 'pytorch' for every other model: PyTorch's names, shapes
   * and two-bias form (file format version 2).
   */
  readonly names: LayoutNames;
  /** The arena layout: each tensor's name, shape, offset, size, role and layer. */
  readonly layout: Layout;
  /** Floats of one stream's carried state (stateSize(config, 1)). */
  readonly stateSize: number;
  /**
   * Initialisation when the user asks for none: 'min-char-rnn' (N(0, 0.01²) weights, zero biases) for the seeds'
   * layout, 'pytorch' (PyTorch's own draws) otherwise. See ./init.ts.
   */
  readonly defaultInit: 'min-char-rnn' | 'pytorch';
}

/** The description of a resolved config (see resolveModelConfig). */
export function describeModel(config: ModelConfig): ModelSpec {
  const names: LayoutNames = isVanilla(config) ? 'seeds' : 'pytorch';
  return Object.freeze({
    config,
    names,
    layout: arenaLayout(config, names),
    stateSize: stateSize(config, 1),
    defaultInit: names === 'seeds' ? 'min-char-rnn' : 'pytorch',
  });
}

/**
 * The arena layout of a config, in arena order (describeModel(config).layout).
 *
 * The seeds' names, for the vanilla model (cell 'rnn', 1 layer, one-hot, no dropout, tanh):
 *   Wxh [H, V]  input→hidden (one-hot input: column lookup)
 *   Whh [H, H]  hidden→hidden
 *   bh  [H]
 *   Why [V, H]  hidden→output
 *   by  [V]
 * PyTorch's names for every other model (embedding.weight, rnn.weight_ih_l<l>, …, decoder.bias): see arenaLayout.
 */
export function layoutFor(config: ModelConfig): Layout {
  return describeModel(config).layout;
}

// Parameter layout: the one place that says where each named tensor lives in the flat Float32 arena.
// Gradients and optimizer state use the same layout. The native side derives the same offsets from
// (H, V) in native/nn/layout.h; test/parity checks they agree. Deliberately no allocation here.
import type { ModelConfig } from './config.js';

export interface TensorView {
  /** Name in the seeds' notation (Wxh, Whh, bh, Why, by). */
  readonly name: string;
  /** Row-major shape. */
  readonly shape: readonly number[];
  /** Offset in elements from the start of the arena. */
  readonly offset: number;
  /** Number of elements. */
  readonly size: number;
}

export interface Layout {
  readonly tensors: readonly TensorView[];
  /** Total number of float32 elements. */
  readonly size: number;
  get(name: string): TensorView;
}

/**
 * Vanilla RNN layout, in arena order:
 *   Wxh [H, V]  input→hidden (one-hot input: column lookup)
 *   Whh [H, H]  hidden→hidden
 *   bh  [H]
 *   Why [V, H]  hidden→output
 *   by  [V]
 */
export function layoutFor(config: ModelConfig): Layout {
  const H = config.hiddenSize;
  const V = config.vocabSize;
  const specs: [string, number[]][] = [
    ['Wxh', [H, V]],
    ['Whh', [H, H]],
    ['bh', [H]],
    ['Why', [V, H]],
    ['by', [V]],
  ];
  let offset = 0;
  const tensors: TensorView[] = specs.map(([name, shape]) => {
    const size = shape.reduce((a, b) => a * b, 1);
    const view = Object.freeze({ name, shape: Object.freeze(shape), offset, size });
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

// PyTorch's tensor names for a layout, and the mapping between the seeds' names of the vanilla model (Wxh, Whh, bh,
// Why, by; file format version 1) and torch.nn.RNN + nn.Linear's (rnn.weight_ih_l0, …, decoder.bias), derived from
// each tensor's role in the model description (src/model/spec.ts). Every other layout already uses PyTorch's names.
// scripts/interop-torch.py keeps a Python copy of the vanilla mapping. Deliberately no file I/O here.
import { resolveModelConfig } from '../model/config.js';
import type { TensorView } from '../model/layout.js';
import { layoutFor } from '../model/spec.js';
import { describe } from '../util/validate.js';

/** PyTorch's name of a tensor, by its role (the seeds' bh, one bias, stands for rnn.bias_ih_l0). */
export function torchName(t: Pick<TensorView, 'role' | 'layer' | 'reverse'>): string {
  switch (t.role) {
    case 'embedding':
      return 'embedding.weight';
    case 'decoder_weight':
      return 'decoder.weight';
    case 'decoder_bias':
      return 'decoder.bias';
    case 'bias':
      return `rnn.bias_ih_l${t.layer ?? 0}`;
    default:
      return `rnn.${t.role}_l${t.layer ?? 0}${t.reverse ? '_reverse' : ''}`;
  }
}

/** The seeds' layout's tensors (names and roles do not depend on H or V). */
const SEEDS = layoutFor(resolveModelConfig({ vocabSize: 2, hiddenSize: 1 })).tensors;
const TO_TORCH: ReadonlyMap<string, string> = new Map(SEEDS.map((t) => [t.name, torchName(t)]));
const FROM_TORCH: ReadonlyMap<string, string> = new Map(SEEDS.map((t) => [torchName(t), t.name]));
/** torch.nn.RNN's second bias, which the seeds' single bias bh absorbs. */
const SECOND_BIAS = 'rnn.bias_hh_l0';

/** The seeds' names, in arena order: Wxh, Whh, bh, Why, by. */
export const SEED_NAMES: readonly string[] = Object.freeze(SEEDS.map((t) => t.name));

/** PyTorch's name of one of the seeds' names (Wxh → rnn.weight_ih_l0, bh → rnn.bias_ih_l0, Why → decoder.weight …). */
export function vanillaToTorchName(name: string): string {
  const n = TO_TORCH.get(name);
  if (n === undefined)
    throw new RangeError(
      `Expected one of ${SEED_NAMES.join(', ')} for name but received ${JSON.stringify(name)}`,
    );
  return n;
}

/** The seeds' name of a torch.nn.RNN / nn.Linear name (rnn.bias_hh_l0 has none: it folds into bh). */
export function torchToVanillaName(name: string): string {
  const n = FROM_TORCH.get(name);
  if (n === undefined)
    throw new RangeError(
      `Expected one of ${[...FROM_TORCH.keys()].join(', ')} for name but received ${JSON.stringify(name)}`,
    );
  return n;
}

type Tensors = ReadonlyMap<string, Float32Array> | Readonly<Record<string, Float32Array>>;

function get(tensors: Tensors, name: string): Float32Array {
  const t = tensors instanceof Map ? tensors.get(name) : (tensors as Record<string, Float32Array>)[name];
  if (!(t instanceof Float32Array))
    throw new TypeError(`Expected a Float32Array for tensor ${name} but received ${describe(t)}`);
  return t;
}

/**
 * A vanilla model's tensors (the seeds' names, e.g. CharRNN.parameters()) under torch.nn.RNN(V, H) + nn.Linear(H, V)
 * names: the same arrays (copied), plus rnn.bias_hh_l0 = 0 beside rnn.bias_ih_l0 = bh.
 */
export function vanillaToTorch(tensors: Tensors): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const name of SEED_NAMES) out.set(vanillaToTorchName(name), get(tensors, name).slice());
  out.set(SECOND_BIAS, new Float32Array(get(tensors, 'bh').length));
  return out;
}

/**
 * torch.nn.RNN(V, H) + nn.Linear(H, V) tensors under the seeds' names: the same arrays (copied), with
 * bh = bias_ih_l0 + bias_hh_l0 (summed in float32; exact when bias_hh_l0 is zero, as vanillaToTorch writes it).
 */
export function torchToVanilla(tensors: Tensors): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const name of SEED_NAMES) out.set(name, get(tensors, vanillaToTorchName(name)).slice());
  const bh = out.get('bh')!;
  const second = get(tensors, SECOND_BIAS);
  if (second.length !== bh.length)
    throw new RangeError(
      `Expected a Float32Array of length ${bh.length} (as rnn.bias_ih_l0) for tensor ${SECOND_BIAS} but received ${describe(second)}`,
    );
  for (let i = 0; i < bh.length; i++) bh[i] = Math.fround(bh[i] + second[i]);
  return out;
}

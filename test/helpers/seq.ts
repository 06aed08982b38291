// Test helpers for 'classify' / 'tag' models: seeded padded batches (lengths, labels with −1 holes for tagging).
import type { SequenceBatch } from '../../src/backends/backend.js';
import type { ModelConfig } from '../../src/model/config.js';
import { Rng } from '../../src/util/rng.js';

/**
 * B sequences padded to T: lengths drawn in [1, T] (sequence 0 always full length; all full when `full`), random ids
 * everywhere (padding included, so a leak would show), labels in [0, C) — for 'tag' one per step, with about one in
 * five −1 (not counted) and random labels at padded steps (never counted either).
 */
export function seededBatch(
  config: ModelConfig,
  B: number,
  T: number,
  seed = 3,
  full = false,
): SequenceBatch {
  const rng = new Rng(seed);
  const V = config.vocabSize;
  const C = config.numClasses;
  const ids = new Int32Array(B * T);
  for (let i = 0; i < ids.length; i++) ids[i] = rng.nextU32() % V;
  const lengths = new Int32Array(B);
  for (let b = 0; b < B; b++) lengths[b] = full || b === 0 ? T : 1 + (rng.nextU32() % T);
  const tag = config.task === 'tag';
  const labels = new Int32Array(tag ? B * T : B);
  for (let i = 0; i < labels.length; i++) labels[i] = tag && rng.nextFloat() < 0.2 ? -1 : rng.nextU32() % C;
  return { B, T, ids, lengths, labels };
}

/** Sequence b of a batch alone, unpadded (B = 1, T = its length). */
export function sequenceOf(batch: SequenceBatch, b: number): SequenceBatch {
  const n = batch.lengths[b];
  const ids = batch.ids.slice(b * batch.T, b * batch.T + n);
  const tag = batch.labels !== undefined && batch.labels.length === batch.B * batch.T;
  const labels = batch.labels
    ? tag
      ? batch.labels.slice(b * batch.T, b * batch.T + n)
      : batch.labels.slice(b, b + 1)
    : undefined;
  return { B: 1, T: n, ids, lengths: Int32Array.of(n), labels };
}

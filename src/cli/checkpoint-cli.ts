// The checkpoint side of the `charrnn` command: `train --resume` set-up (which options a checkpoint fixes,
// the corpus and vocabulary checks) and `charrnn inspect`. Deliberately no training loop here (main.ts
// runs it through the library's train()).
import type { Checkpoint } from '../io/checkpoint.js';
import { readCheckpoint } from '../io/checkpoint.js';
import type { ModelConfig } from '../model/config.js';
import { layoutFor } from '../model/spec.js';
import { Vocabulary } from '../text/vocabulary.js';
import type { ModelVocabulary } from '../charrnn.js';
import { formatSchedule, isBudgetSchedule, lrAt } from '../run/schedule.js';
import { lossChart } from '../report/terminal-chart.js';

/** A mistake by the user: printed as one line, exit code 1. */
export class CheckpointUsageError extends Error {}

/** Options of `charrnn train` that a checkpoint fixes: they cannot be given together with --resume. */
export const FIXED_BY_CHECKPOINT: readonly [key: string, flag: string][] = [
  ['cell', '--cell'],
  ['hidden', '--hidden'],
  ['layers', '--layers'],
  ['embedding', '--embedding'],
  ['forgetBias', '--forget-bias'],
  ['dropout', '--dropout'],
  ['activation', '--activation'],
  ['seed', '--seed'],
  ['seqLength', '--seq-length'],
  ['batchSize', '--batch-size'],
  ['optimizer', '--optimizer'],
  ['lr', '--lr'],
  ['weightDecay', '--weight-decay'],
  ['lrSchedule', '--lr-schedule'],
  ['clipValue', '--clip-value'],
  ['clipNorm', '--clip-norm'],
  ['reduction', '--reduction'],
  ['preset', '--preset'],
];

/** Throw when any option the checkpoint fixes was given on the command line. */
export function checkResumeOptions(given: (key: string) => boolean): void {
  const clash = FIXED_BY_CHECKPOINT.filter(([key]) => given(key)).map(([, flag]) => flag);
  if (clash.length > 0)
    throw new CheckpointUsageError(
      `${clash.join(', ')} cannot be used with --resume: the checkpoint fixes the model and its training settings. ` +
        'HINT: leave them out (or start a new run without --resume)',
    );
}

/** Read a checkpoint for --resume: a plain model file (no training state) is a clear error. */
export async function readResumable(
  path: string,
): Promise<Checkpoint & { training: NonNullable<Checkpoint['training']> }> {
  const ck = await readCheckpoint(path);
  if (ck.training === null)
    throw new CheckpointUsageError(
      `${path} is a model file without training state (format version ${ck.formatVersion}), so it cannot be resumed exactly. ` +
        'HINT: resume from a checkpoint written by this version of `charrnn train` (its --out file)',
    );
  return ck as Checkpoint & { training: NonNullable<Checkpoint['training']> };
}

function showChars(chars: string[], max = 8): string {
  const shown = chars.slice(0, max).map((c) => JSON.stringify(c));
  return shown.join(', ') + (chars.length > max ? `, … (${chars.length} in all)` : '');
}

/** The corpus text must have exactly the checkpoint's vocabulary; otherwise say how they differ. */
export function checkSameVocabulary(
  text: string | Vocabulary,
  vocabulary: ModelVocabulary,
  corpusPath: string,
  ckPath: string,
): void {
  // A word vocabulary maps any text (rare and unseen words become <unk>), so there is nothing to compare.
  if (vocabulary.kind === 'word') return;
  const own = typeof text === 'string' ? Vocabulary.fromText(text) : text;
  const mine = new Set(own.tokens);
  const theirs = new Set(vocabulary.tokens);
  const extra = own.tokens.filter((t) => !theirs.has(t));
  const missing = vocabulary.tokens.filter((t) => !mine.has(t));
  if (extra.length === 0 && missing.length === 0) return;
  const parts: string[] = [];
  if (extra.length > 0) parts.push(`the corpus has ${showChars(extra)} not in the checkpoint`);
  if (missing.length > 0) parts.push(`the checkpoint has ${showChars(missing)} not in the corpus`);
  throw new CheckpointUsageError(
    `The vocabulary of ${corpusPath} (${own.size} characters) does not match the checkpoint ${ckPath} ` +
      `(${vocabulary.size}): ${parts.join('; ')}. HINT: resume on the corpus the checkpoint was trained on (--corpus FILE)`,
  );
}

function modelSummary(c: ModelConfig): string {
  const cell = c.cell === 'rnn' ? `${c.activation} RNN` : c.cell.toUpperCase();
  const kind = c.bidirectional ? `bidirectional ${cell}` : cell;
  const task =
    c.task === 'classify'
      ? [`classify into ${c.numClasses} labels, read-out ${c.pooling}`]
      : c.task === 'tag'
        ? [`tag with ${c.numClasses} labels`]
        : [];
  const parts = [
    ...task,
    `${c.layers} layer${c.layers > 1 ? 's' : ''}`,
    `hidden ${c.hiddenSizes.join('/')}`,
    c.embeddingSize > 0 ? `embedding ${c.embeddingSize}` : 'one-hot input',
    `dropout ${c.dropout}`,
  ];
  return `${kind} (${parts.join(', ')})`;
}

/**
 * `charrnn inspect`: a summary (with the loss curve when the checkpoint keeps a loss history, fitted to
 * `chart.width` columns), or the whole thing as JSON. Throws on a malformed file.
 */
export async function inspectText(
  path: string,
  json: boolean,
  chart: { width?: number; color?: boolean } = {},
): Promise<string> {
  const ck = await readCheckpoint(path);
  const params = layoutFor(ck.config).size;
  const tokens = ck.vocabulary.tokens;
  if (json) {
    return JSON.stringify(
      {
        file: path,
        formatVersion: ck.formatVersion,
        config: ck.config,
        parameters: params,
        vocabulary: { size: ck.vocabulary.size, tokens },
        training: ck.training
          ? {
              ...ck.training.state,
              hiddenBatch: ck.training.model.hiddenBatch,
              dropoutRng: [...ck.training.model.dropoutRng],
            }
          : null,
        lossHistory: ck.lossHistory,
      },
      null,
      2,
    );
  }
  const lines = [
    `file: ${path} (format version ${ck.formatVersion}, ${ck.training ? 'checkpoint with training state' : 'model only'})`,
    `model: ${modelSummary(ck.config)}, ${params.toLocaleString('en-US')} parameters`,
    `vocabulary: ${ck.vocabulary.size} tokens: ${showChars([...tokens], 24)}`,
  ];
  if (ck.training) {
    const s = ck.training.state;
    const o = s.optimizer;
    lines.push(
      `training: iteration ${s.iteration}, epoch ${s.epoch} (next chunk ${s.position}), smoothed loss ${s.smoothLoss.toFixed(4)}, ` +
        `best validation loss ${s.bestValLoss === null ? '—' : s.bestValLoss.toFixed(4)}, roll-backs ${s.rollbacks}`,
      `optimizer: ${o.kind} (lr ${o.lr}, momentum ${o.momentum}, beta1 ${o.beta1}, beta2 ${o.beta2}, eps ${o.eps}, ` +
        `weight decay ${o.weightDecay}); clip value ${s.clipValue}, clip norm ${s.clipNorm}, reduction ${s.reduction}`,
      // A budget schedule's lr depends on the run's budget, which the checkpoint does not hold: the lr it recorded.
      `schedule: ${formatSchedule(s.lrSchedule)}; next lr ${isBudgetSchedule(s.lrSchedule) ? `${s.lr} (as of this checkpoint's budget)` : lrAt(s.lrSchedule, s.schedule, s.iteration)} (scale ${s.schedule.scale})`,
      `batches: ${s.batchSize} streams × ${s.seqLength} steps; carried state of ${ck.training.model.hiddenBatch} stream(s); ` +
        `validation every ${s.evalEvery > 0 ? `${s.evalEvery} iterations` : 'interval (by time)'}`,
      `corpus: ${s.corpus ? `${s.corpus.ref} (validation fraction ${s.corpus.validationFraction}, ${s.corpus.trainTokens.toLocaleString('en-US')} training tokens)` : 'unknown'}; seed ${s.seed ?? 'unknown'}`,
    );
  }
  const curve = ck.lossHistory
    ? lossChart(ck.lossHistory, { ...chart, unit: ck.vocabulary.kind === 'word' ? 'word' : 'char' })
    : '';
  if (curve) lines.push(curve);
  return lines.join('\n');
}

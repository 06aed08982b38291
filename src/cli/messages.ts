// Library messages in the CLI's words: where an error or warning of the library names an option or suggests a
// fix the library's way (`for hiddenSize`, `{ unknown: 'skip' }`, `validationFraction: 0`, `backend: 'js'`), the
// command says the flag instead. The library keeps its own text for library users; this is the one table that
// maps it. Deliberately no new wording of what went wrong: only the spelling of the options changes.
import { NATIVE_HINT } from '../backends/native.js';
import { SCORE_UNKNOWN_HINT } from '../generate/score.js';
import { ACTIVATION_HINT } from '../model/config.js';
import { SPLIT_HINT } from '../text/corpus.js';
import { UNKNOWN_CHARACTER_HINT } from '../text/vocabulary.js';
import { MIN_FREQ_HINT, UNKNOWN_WORD_HINT } from '../text/word-vocabulary.js';

/** Library hints (as the library writes them) and what the command says instead. */
const HINTS: readonly (readonly [library: string, cli: string])[] = [
  [
    NATIVE_HINT,
    'HINT: run `npm rebuild charrnn` (needs a C++ toolchain: g++, make, python3), or pass --backend js',
  ],
  [UNKNOWN_CHARACTER_HINT, 'pass --unknown skip'],
  [UNKNOWN_WORD_HINT, 'leave --unknown out to encode it as <unk>, or pass --unknown skip'],
  [SCORE_UNKNOWN_HINT, 'pass --unknown skip, or --unknown NATS to charge a penalty'],
  [SPLIT_HINT, 'use a longer corpus, or --val-fraction 0 to skip validation'],
  [MIN_FREQ_HINT, 'lower --min-freq'],
  [ACTIVATION_HINT, '--activation applies to --cell rnn only'],
  // Wording that names an option outside "for NAME".
  ['Expected a validationFraction that leaves', 'Expected a fraction that leaves'],
  ['of the vocabulary in prime for prime', 'of the vocabulary for prime'],
  [', so banned cannot hold it.', ', so --ban cannot hold it.'],
];

/** Library option names (as validation messages name them) and the flag that sets each. */
export const OPTION_FLAGS: Readonly<Record<string, string>> = {
  // train: the corpus and the model
  validationFraction: '--val-fraction',
  minFreq: '--min-freq',
  maxSize: '--max-vocab',
  hiddenSize: '--hidden',
  layers: '--layers',
  embeddingSize: '--embedding',
  dropout: '--dropout',
  activation: '--activation',
  forgetBias: '--forget-bias',
  threads: '--threads',
  // train: the run
  seqLength: '--seq-length',
  batchSize: '--batch-size',
  'optimizer.lr': '--lr',
  weightDecay: '--weight-decay',
  clipValue: '--clip-value',
  clipNorm: '--clip-norm',
  maxTime: '--max-time',
  maxTrainTime: '--max-train-time',
  maxIters: '--max-iters',
  maxEpochs: '--max-epochs',
  evalEvery: '--eval-every',
  evalInterval: '--eval-interval',
  sampleEvery: '--sample-every',
  sampleLength: '--sample-length',
  logEvery: '--log-every',
  logInterval: '--log-interval',
  'checkpoint.keepLast': '--keep-last',
  rollbackFactor: '--rollback-factor',
  lrSchedule: '--lr-schedule',
  'lrSchedule.every': 'EVERY of --lr-schedule',
  'lrSchedule.gamma': 'GAMMA of --lr-schedule',
  'lrSchedule.factor': 'FACTOR of --lr-schedule',
  'lrSchedule.patience': 'PATIENCE of --lr-schedule',
  'lrSchedule.minLr': 'MIN_LR of --lr-schedule',
  'lrSchedule.threshold': 'THRESHOLD of --lr-schedule',
  'lrSchedule.floor': 'FLOOR of --lr-schedule',
  'lrSchedule.kind': '--lr-schedule',
  trainIds: '--corpus and --val-fraction', // a resumed run's training split
  // sample and score
  seed: '--seed',
  prime: '--prime',
  length: '--length',
  temperature: '--temperature',
  topK: '--top-k',
  topP: '--top-p',
  repetitionPenalty: '--repetition-penalty',
  banned: '--ban',
  maxLength: '--max-length',
  width: '--beam',
  lengthPenalty: '--length-penalty',
  context: '--context',
};

const escape = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
const NAMES = Object.keys(OPTION_FLAGS)
  .sort((a, b) => b.length - a.length)
  .map(escape)
  .join('|');
/** "for NAME but received", "at index 3 of NAME is not": where a message names the option. */
const NAMED = new RegExp(
  `\\b(for|of) (${NAMES}|stop\\[\\d+\\])(?= but received | is not in the vocabulary)`,
  'g',
);

/** The message a CLI user sees for a library `message`: the same text, options spelled as flags. */
export function cliMessage(message: string): string {
  let out = message;
  for (const [library, cli] of HINTS) out = out.split(library).join(cli);
  out = out.replace(NAMED, (_, word: string, name: string) =>
    name.startsWith('stop[') ? `${word} --stop` : `${word} ${OPTION_FLAGS[name]}`,
  );
  // "Expected 'tanh' for cell 'lstm' for activation …": the cell is a flag too.
  return out.replace(/\bfor cell '(\w+)'/g, 'for --cell $1');
}

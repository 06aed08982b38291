// The CLI spells options as flags (issue 15, defect 11): every library error a `charrnn` user can meet, raised
// here through the library itself, reads with the flag (`--hidden`, `--unknown skip`, `--backend js`) once the CLI
// has translated it, and keeps the library's own wording for library users. Also: no library text in the table is
// dead (each is produced by a real error), and a text whose options the table does not know passes unchanged.
import { describe, expect, it } from 'vitest';
import { NATIVE_HINT } from '../../src/backends/native.js';
import { CharRNN } from '../../src/charrnn.js';
import { cliMessage } from '../../src/cli/messages.js';
import { resolveModelConfig } from '../../src/model/config.js';
import { resolveSchedule } from '../../src/run/schedule.js';
import { Corpus } from '../../src/text/corpus.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { WordVocabulary } from '../../src/text/word-vocabulary.js';
import { resolveTrainOptions } from '../../src/train/options.js';
import { train } from '../../src/train/trainer.js';

/** The message of what `fn` throws (fails the test when it returns). */
function message(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    return (e as Error).message;
  }
  throw new Error('expected a throw');
}

const chars = CharRNN.create({
  vocabulary: Vocabulary.fromText('to be or not'),
  hiddenSize: 4,
  backend: 'js',
});
const words = CharRNN.create({
  vocabulary: WordVocabulary.fromText('to be or not to be'),
  hiddenSize: 4,
  backend: 'js',
});

/** Library syntax a CLI user must never see: object literals, `option: value`, camelCase option names. */
const LIBRARY_SYNTAX =
  /\{ ?unknown|\w+: ['\d]|options\.\w|\bfor (hiddenSize|validationFraction|embeddingSize|minFreq|rollbackFactor|width|banned|prime|length|stop\[\d\])\b|\bminFreq\b/;

const cases: [what: string, library: () => unknown, cli: string][] = [
  [
    '--hidden too large',
    () => resolveModelConfig({ vocabSize: 5, hiddenSize: 20000 }),
    'Expected an integer in [1, 16384] for --hidden but received 20000',
  ],
  [
    '--embedding too large',
    () => resolveModelConfig({ vocabSize: 5, embeddingSize: 20000 }),
    'Expected an integer in [0, 16384] for --embedding but received 20000',
  ],
  [
    '--dropout 1',
    () => resolveModelConfig({ vocabSize: 5, dropout: 1 }),
    'Expected a number in [0, 1) for --dropout but received 1',
  ],
  [
    '--activation relu with --cell lstm',
    () => resolveModelConfig({ vocabSize: 5, cell: 'lstm', activation: 'relu' }),
    `Expected 'tanh' for --cell lstm for --activation but received "relu". HINT: --activation applies to --cell rnn only`,
  ],
  [
    '--val-fraction above 0.5',
    () => Corpus.fromText('abcdefgh', { validationFraction: 0.7 }),
    'Expected a number in [0, 0.5] for --val-fraction but received 0.7',
  ],
  [
    'a corpus too short for its validation split',
    () => Corpus.fromText('abcde', { validationFraction: 0.1 }),
    'Expected a fraction that leaves at least 2 tokens in each split for --val-fraction but received 0.1 ' +
      '(a corpus of 5 tokens splits into 5 train and 0 validation tokens). ' +
      'HINT: use a longer corpus, or --val-fraction 0 to skip validation',
  ],
  [
    '--min-freq above every count',
    () => WordVocabulary.fromText('a b a', { minFreq: 9 }),
    'Expected a text with at least one word occurring 9 or more times for text but received "a b a". HINT: lower --min-freq',
  ],
  [
    '--lr-schedule step:0',
    () => resolveSchedule('step:0'),
    'Expected a positive integer for EVERY of --lr-schedule but received 0',
  ],
  [
    '--prime with a character outside the vocabulary',
    () => chars.sample({ prime: 'toX' }),
    'Character "X" (U+0058) at index 2 is not in the vocabulary of 7 characters. HINT: pass --unknown skip',
  ],
  [
    '--prime of a word model with --unknown error',
    () => words.sample({ prime: 'to xyz', unknown: 'error' }),
    'Word "xyz" at index 3 is not in the vocabulary of 6 words. ' +
      'HINT: leave --unknown out to encode it as <unk>, or pass --unknown skip',
  ],
  [
    '--prime with --unknown skip and nothing left',
    () => chars.sample({ prime: 'XYZ', unknown: 'skip' }),
    'Expected at least one token of the vocabulary for --prime but received "XYZ"',
  ],
  [
    '--ban with a character outside the vocabulary',
    () => chars.sample({ banned: 'tz' }),
    'Character "z" (U+007A) at index 1 is not in the vocabulary of 7 characters, so --ban cannot hold it. ' +
      'HINT: ban only tokens of the vocabulary (the model never generates any other)',
  ],
  ['--stop ""', () => chars.sample({ stop: [''] }), 'Expected a non-empty string for --stop but received ""'],
  [
    '--length too large',
    () => chars.sample({ length: 2 ** 31 }),
    'Expected an integer in [0, 1073741824] for --length but received 2147483648',
  ],
  [
    '--beam too wide',
    () => chars.beamSearch({ width: 2000 }),
    'Expected an integer in [1, 1024] for --beam but received 2000',
  ],
  [
    'score: a character outside the vocabulary',
    () => chars.score('to bX'),
    'Character "X" (U+0058) at index 4 of text is not in the vocabulary of 7 characters. ' +
      'HINT: pass --unknown skip, or --unknown NATS to charge a penalty',
  ],
];

describe('library messages in the CLI', () => {
  it('--resume on a corpus or --val-fraction with another training split', async () => {
    const corpus = Corpus.fromText('to be or not to be\n'.repeat(10));
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 4, backend: 'js' });
    const { state } = await train(model, corpus.train, undefined, {
      maxIters: 1,
      seqLength: 5,
      corpus: { ref: 'x.txt', validationFraction: 0.1 },
    });
    const m = message(() => resolveTrainOptions({ resume: state, maxIters: 2 }, corpus.train.length - 7));
    expect(cliMessage(m)).toBe(
      `Expected a training split of ${corpus.train.length} tokens (the checkpoint's) for --corpus and --val-fraction ` +
        `but received ${corpus.train.length - 7}. HINT: resume on the same corpus with the same validation fraction`,
    );
  });

  it.each(cases)('%s', (_, library, cli) => {
    const m = message(library);
    expect(cliMessage(m)).toBe(cli);
    expect(cli).not.toMatch(LIBRARY_SYNTAX);
  });

  it('keeps the library wording for library users', () => {
    expect(message(() => resolveModelConfig({ vocabSize: 5, hiddenSize: 20000 }))).toBe(
      'Expected an integer in [1, 16384] for hiddenSize but received 20000',
    );
    expect(message(() => chars.sample({ prime: 'toX' }))).toContain(
      "HINT: pass { unknown: 'skip' } or { unknown: { replaceWith: ' ' } }",
    );
    expect(message(() => chars.sample({ banned: 'tz' }))).toBe(
      'Character "z" (U+007A) at index 1 is not in the vocabulary of 7 characters, so banned cannot hold it. ' +
        'HINT: ban only tokens of the vocabulary (the model never generates any other)',
    );
  });

  it('says --backend js where the addon loader says backend: js', () => {
    expect(NATIVE_HINT).toContain("backend: 'js'");
    const warning = `charrnn: native addon unavailable (no file); using the pure-TypeScript backend (slower). ${NATIVE_HINT}`;
    expect(cliMessage(warning)).toBe(
      'charrnn: native addon unavailable (no file); using the pure-TypeScript backend (slower). ' +
        'HINT: run `npm rebuild charrnn` (needs a C++ toolchain: g++, make, python3), or pass --backend js',
    );
  });

  it('leaves other text alone', () => {
    for (const m of [
      'Expected a positive integer for ids but received 0',
      'Model file not found: m.safetensors. HINT: train one with `charrnn train --out m.safetensors`',
      'the length of the prime is 3',
    ])
      expect(cliMessage(m)).toBe(m);
  });
});

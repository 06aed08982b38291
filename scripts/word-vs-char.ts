// Word-level vs character-level on Shakespeare: trains a word model and a char model (same cell, hidden size,
// optimizer and time budget) on the first 90% of the text (split at a line end), then scores the same held-out
// text with both: perplexity per word, its per-character equivalent exp(total nats / characters), and the char
// model's perplexity per character. Usage:
//   CHARRNN_DATA_DIR=../shared/data npx tsx scripts/word-vs-char.ts -- [--seconds 150] [--hidden 256] [--min-freq 3]
import { parseArgs } from 'node:util';
import { resolveCorpus } from '../src/io/resolve-corpus.js';
import { Vocabulary } from '../src/text/vocabulary.js';
import { WordVocabulary } from '../src/text/word-vocabulary.js';
import { CharRNN } from '../src/charrnn.js';
import { train } from '../src/train/trainer.js';
import type { BackendChoice } from '../src/backends/index.js';

const { values } = parseArgs({
  options: {
    backend: { type: 'string', default: 'auto' },
    seconds: { type: 'string', default: '150' },
    hidden: { type: 'string', default: '256' },
    'min-freq': { type: 'string', default: '3' },
    seed: { type: 'string', default: '1' },
  },
});
const seconds = Number(values.seconds);
const H = Number(values.hidden);
const { path, text } = await resolveCorpus('shakespeare', { log: (m) => console.error(m) });
const cut = text.lastIndexOf('\n', Math.floor(text.length * 0.9)) + 1;
const trainText = text.slice(0, cut);
const valText = text.slice(cut);

const common = {
  seqLength: 32,
  batchSize: 32,
  optimizer: { kind: 'adam' as const, lr: 2e-3 },
  clipValue: 0,
  clipNorm: 5,
  reduction: 'mean' as const,
  maxTime: seconds,
  evalEvery: 0,
  logInterval: 30,
  onEvent: (e: { type: string; iteration?: number; loss?: number; charsPerSec?: number }) => {
    if (e.type === 'progress')
      console.error(
        `  iter ${e.iteration} loss ${e.loss?.toFixed(3)} ${Math.round(e.charsPerSec ?? 0)} tokens/s`,
      );
  },
};

async function run(kind: 'word' | 'char') {
  const vocabulary =
    kind === 'word'
      ? WordVocabulary.fromText(trainText, { minFreq: Number(values['min-freq']) })
      : Vocabulary.fromText(text);
  const ids = vocabulary.encode(trainText);
  const model = CharRNN.create({
    vocabulary,
    hiddenSize: H,
    seed: Number(values.seed),
    backend: values.backend as BackendChoice,
  });
  console.error(
    `${kind}: vocabulary ${vocabulary.size}, ${ids.length} training tokens, backend ${model.backend}, ${seconds} s`,
  );
  const r = await train(model, ids, undefined, common);
  const s = model.score(valText, { context: '\n' });
  // Held-out tokens outside the vocabulary (scored as <unk> by the word model).
  const unknown = s.tokens.filter((t) => vocabulary.idOf(t) < 0).length;
  return { vocab: vocabulary.size, epochs: r.epochs, score: s, unknown };
}

const word = await run('word');
const char = await run('char');
console.log(
  `Shakespeare (${path}), held-out text: ${valText.length} characters; vanilla RNN hidden ${H}, ${seconds} s each`,
);
console.log(
  `word model (vocabulary ${word.vocab}, ${word.epochs} epochs): ${word.score.count} tokens ` +
    `(${word.unknown} of them <unk>), ` +
    `perplexity per word ${word.score.perplexity.toFixed(2)}, ` +
    `per-character equivalent exp(nats/chars) ${word.score.charPerplexity.toFixed(3)} ` +
    `(${word.score.bitsPerChar.toFixed(3)} bits/char over ${word.score.characters} characters)`,
);
console.log(
  `char model (vocabulary ${char.vocab}, ${char.epochs} epochs): ${char.score.count} characters, ` +
    `perplexity per character ${char.score.perplexity.toFixed(3)} (${char.score.bitsPerChar.toFixed(3)} bits/char)`,
);

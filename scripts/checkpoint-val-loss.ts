// Helper of scripts/interop-torch.py: charrnn's validation loss of a model or checkpoint file, as one JSON
// line on stdout (loss in nats/char, token count, corpus path and validation fraction used). Usage:
//   tsx scripts/checkpoint-val-loss.ts FILE [--corpus FILE|shakespeare] [--val-fraction F] [--backend js|native]
// The corpus and fraction default to the ones the checkpoint records. Deliberately no training here.
import { parseArgs } from 'node:util';
import { readCheckpoint, modelFromCheckpoint } from '../src/io/checkpoint.js';
import { resolveCorpus } from '../src/io/resolve-corpus.js';
import { Corpus } from '../src/text/corpus.js';
import type { BackendChoice } from '../src/backends/index.js';

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    corpus: { type: 'string' },
    'val-fraction': { type: 'string' },
    backend: { type: 'string', default: 'js' },
  },
});
const file = positionals[0];
if (file === undefined)
  throw new Error('usage: checkpoint-val-loss.ts FILE [--corpus FILE] [--val-fraction F]');
const ck = await readCheckpoint(file);
const recorded = ck.training?.state.corpus ?? null;
const ref = values.corpus ?? recorded?.ref;
if (ref === undefined) throw new Error(`${file} does not record its corpus: pass --corpus FILE`);
const validationFraction =
  values['val-fraction'] !== undefined
    ? Number(values['val-fraction'])
    : (recorded?.validationFraction ?? 0.1);
const { path, text } = await resolveCorpus(ref, { log: (m) => console.error(m) });
const corpus = Corpus.fromText(text, { validationFraction, vocabulary: ck.vocabulary });
const model = modelFromCheckpoint(ck, values.backend as BackendChoice);
const r = model.evaluate(corpus.validation);
process.stdout.write(
  JSON.stringify({ loss: r.loss, count: r.count, corpus: path, validationFraction, backend: model.backend }) +
    '\n',
);

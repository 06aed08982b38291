// Corpora read through bounded windows (src/io/corpus-file.ts): the streaming scan gives the vocabulary, length and
// ids of Corpus.fromText over the same file (UTF-8 sequences split across reads and windows, a BOM, seeks through
// the index), refuses ill-formed UTF-8 with decodeUtf8Strict's message, caches by size and hash; training on the
// streamed corpus gives bit-identical parameters to the in-memory one, and exact resume holds on it.
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { BackendName } from '../../src/backends/backend.js';
import { loadNative } from '../../src/backends/native.js';
import { CharRNN, type CreateModelOptions } from '../../src/charrnn.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';
import { CorpusFile, INDEX_STRIDE, scanCachePath, scanCorpusFile } from '../../src/io/corpus-file.js';
import { Batcher } from '../../src/text/batcher.js';
import { Corpus, decodeUtf8Strict } from '../../src/text/corpus.js';
import { readTokens } from '../../src/text/token-source.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { train, VALIDATION_SEGMENT, type TrainOptions } from '../../src/train/trainer.js';
import { runCli } from '../helpers/cli.js';

const { binding } = loadNative();
const dir = mkdtempSync(join(tmpdir(), 'charrnn-corpus-file-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A seeded text of ASCII and 2-, 3- and 4-byte characters, with a leading BOM. */
function mixedText(chars: number, seed = 7): string {
  const alphabet = [...'abcdefgh ijk\nlmnop.,', 'é', 'ß', 'Ω', '–', '日', '€', '😀', '𝔘'];
  let s = seed;
  let out = '\uFEFF';
  for (let i = 0; i < chars; i++) {
    s = (s * 1103515245 + 12345) >>> 0;
    out += alphabet[(s >>> 8) % alphabet.length];
  }
  return out;
}

function write(name: string, content: string | Uint8Array): string {
  const path = join(dir, name);
  writeFileSync(path, content);
  return path;
}

const noCache = { cache: false as const };

describe('CorpusFile: the streaming scan and windowed reads', () => {
  // More than INDEX_STRIDE tokens, so that seeks use index entries past the first.
  const text = mixedText(2.5 * INDEX_STRIDE);
  const path = write('mixed.txt', text);
  const memory = Corpus.fromText(decodeUtf8Strict(readFileSync(path), path), { validationFraction: 0.1 });

  it.each([1, 2, 3, 5, 4096])(
    'scans with reads of %i bytes to the vocabulary and length of Corpus.fromText',
    async (scanBytes) => {
      // Reads of a byte or two on a short text (each read is a call), longer ones on the whole text.
      const short = write(`short-${scanBytes}.txt`, mixedText(3000, scanBytes));
      for (const p of scanBytes < 3 ? [short] : [short, path]) {
        const expected = Corpus.fromText(decodeUtf8Strict(readFileSync(p), p), { validationFraction: 0 });
        const scan = await scanCorpusFile(p, { ...noCache, scanBytes });
        expect(scan.bom).toBe(3);
        expect(scan.tokens).toBe(expected.length);
        expect(scan.codePoints.map((cp) => String.fromCodePoint(cp))).toEqual(expected.vocabulary.tokens);
        expect(scan.index.length).toBe(Math.ceil(expected.length / INDEX_STRIDE));
        // index[j]: the byte offset of token j·INDEX_STRIDE (after the 3-byte BOM).
        const cps = [...decodeUtf8Strict(readFileSync(p), p)];
        const offsets: number[] = [];
        for (let t = 0, byte = 3; t < cps.length; byte += Buffer.byteLength(cps[t]), t++)
          if (t % INDEX_STRIDE === 0) offsets.push(byte);
        expect([...scan.index]).toEqual(offsets);
      }
    },
  );

  it.each([4, 5, 7, 64, 65536])(
    'reads the ids of Corpus.fromText through windows of %i bytes',
    async (windowBytes) => {
      const file = await CorpusFile.open(path, { ...noCache, validationFraction: 0.1, windowBytes });
      try {
        expect(file.vocabulary.tokens).toEqual(memory.vocabulary.tokens);
        expect(file.train.length).toBe(memory.train.length);
        expect(file.validation.length).toBe(memory.validation.length);
        // Sequentially, in pieces that straddle windows.
        const all = new Int32Array(memory.train.length);
        const c = file.train.cursor();
        for (let s = 0; s < all.length; s += 1000) {
          const n = Math.min(1000, all.length - s);
          const part = new Int32Array(n);
          c.read(s, n, part);
          all.set(part, s);
        }
        expect(all).toEqual(Int32Array.from(memory.train));
        expect(readTokens(file.validation, 0, file.validation.length)).toEqual(
          Int32Array.from(memory.validation),
        );
        // Seeks backwards and forwards, across index entries.
        for (const start of [140_000, 3, INDEX_STRIDE - 1, 2 * INDEX_STRIDE + 17, 70_000, 0]) {
          const n = Math.min(500, memory.train.length - start);
          const got = new Int32Array(n);
          c.read(start, n, got);
          expect(got).toEqual(Int32Array.from(memory.train.subarray(start, start + n)));
        }
      } finally {
        file.close();
      }
    },
  );

  it('stores the ids of each window compactly and refuses reads outside the source', async () => {
    const file = await CorpusFile.open(path, { ...noCache, windowBytes: 16 });
    try {
      const c = file.validation.cursor();
      expect(() => c.read(file.validation.length - 1, 2, new Int32Array(2))).toThrow(
        `Expected a range within [0, ${file.validation.length}] for tokens but received ` +
          `[${file.validation.length - 1}, ${file.validation.length + 1})`,
      );
      expect(() => file.train.slice(5, 2)).toThrow(RangeError);
    } finally {
      file.close();
    }
    expect(() => file.train.cursor().read(0, 1, new Int32Array(1))).toThrow(
      `The corpus file ${path} is closed`,
    );
  });

  it('a Batcher over the streamed split serves the chunks of one over the id array', async () => {
    const file = await CorpusFile.open(path, { ...noCache, windowBytes: 9 });
    try {
      const a = new Batcher(memory.train, 7, 13);
      const b = new Batcher(file.train, 7, 13);
      expect(b.chunksPerEpoch).toBe(a.chunksPerEpoch);
      for (let i = 0; i < a.chunksPerEpoch + 5; i++) {
        expect(b.next()).toBe(a.next());
        expect(b.inputs).toEqual(a.inputs);
        expect(b.targets).toEqual(a.targets);
      }
      b.position = a.position = 3; // a resumed run seeks every stream
      b.next();
      a.next();
      expect(b.inputs).toEqual(a.inputs);
    } finally {
      file.close();
    }
  });
});

describe('CorpusFile: errors', () => {
  const cases: [string, number[]][] = [
    ['an invalid start byte', [0x61, 0x62, 0xff, 0x63]],
    ['a bad continuation byte', [0x61, 0xe6, 0x97, 0x41, 0x62]],
    ['a sequence cut by the end of the file', [0x61, 0x62, 0x63, 0xf0, 0x9f, 0x98]],
    ['a surrogate', [0x61, 0xed, 0xa0, 0x80]],
  ];
  it.each(cases)(
    'refuses %s with the message of decodeUtf8Strict, whatever the read size',
    async (_, bytes) => {
      const path = write('bad.txt', Uint8Array.from([...Buffer.from('hello ünï\n'), ...bytes]));
      let expected = '';
      try {
        decodeUtf8Strict(readFileSync(path), path);
      } catch (err) {
        expected = (err as Error).message;
      }
      expect(expected).toMatch(/^Invalid UTF-8 in .* at byte offset \d+/);
      for (const scanBytes of [1, 2, 3, 4096])
        await expect(scanCorpusFile(path, { ...noCache, scanBytes })).rejects.toThrow(expected);
    },
  );

  it('refuses an empty file, a one-character file and a split too small, as Corpus.fromText does', async () => {
    await expect(CorpusFile.open(write('empty.txt', ''), noCache)).rejects.toThrow('The corpus is empty.');
    await expect(CorpusFile.open(write('one.txt', 'aaaa'), noCache)).rejects.toThrow(
      'The corpus has only 1 distinct character ("a" (U+0061))',
    );
    await expect(CorpusFile.open(write('short.txt', 'abcdefghij'), noCache)).rejects.toThrow(
      'Expected a validationFraction that leaves at least 2 tokens in each split for validationFraction but received 0.1',
    );
  });

  it('refuses a vocabulary without a character of the file, naming it', async () => {
    const path = write('abc.txt', 'abcabcabc\n'.repeat(10));
    const small = Vocabulary.fromText('abc');
    await expect(CorpusFile.open(path, { ...noCache, vocabulary: small })).rejects.toThrow(
      `Character "\\n" (U+000A) of ${path} is not in the vocabulary of 3 characters.`,
    );
  });
});

describe('CorpusFile: the scan cache', () => {
  it('caches beside the corpus, keyed by size and hash: a changed file of the same size is scanned again', async () => {
    const path = write('cached.txt', 'one two three\n'.repeat(50));
    const logs: string[] = [];
    const log = (m: string) => logs.push(m);
    const first = await scanCorpusFile(path, { log });
    expect(existsSync(`${path}.charrnn-index.json`)).toBe(true);
    expect(logs.at(-1)).toMatch(/^Scanned /);
    const again = await scanCorpusFile(path, { log });
    expect(logs.at(-1)).toMatch(/^Using the cached vocabulary and index of /);
    expect({ ...again, index: [...again.index] }).toEqual({ ...first, index: [...first.index] });
    writeFileSync(path, 'one two thre!\n'.repeat(50)); // same size, other bytes
    const changed = await scanCorpusFile(path, { log });
    expect(logs.some((l) => l.includes('is for other bytes (SHA-1 differs)'))).toBe(true);
    expect(changed.sha1).not.toBe(first.sha1);
    expect(changed.codePoints).toContain('!'.codePointAt(0));
  });

  it('never writes into CHARRNN_DATA_DIR: corpora there are cached in the user cache', async () => {
    const data = join(dir, 'data');
    const cache = join(dir, 'user-cache');
    mkdirSync(data, { recursive: true });
    const path = join(data, 'shared.txt');
    writeFileSync(path, 'shared text\n'.repeat(20));
    const env = { CHARRNN_DATA_DIR: data, CHARRNN_CACHE_DIR: cache };
    const where = await scanCachePath(path, env);
    expect(where.startsWith(join(cache, 'corpus-index'))).toBe(true);
    await scanCorpusFile(path, { env });
    expect(existsSync(where)).toBe(true);
    expect(existsSync(`${path}.charrnn-index.json`)).toBe(false);
  });
});

interface Case {
  backend: BackendName;
  model: Omit<CreateModelOptions, 'vocabulary' | 'backend'>;
  train: TrainOptions;
}

// Dropout, Adam, clipping and a plateau schedule fed by the validations (so the validation split matters too).
const lstm = (backend: BackendName): Case => ({
  backend,
  model: { cell: 'lstm', hiddenSize: 16, layers: 2, embeddingSize: 8, dropout: 0.25, seed: 5 },
  train: {
    seqLength: 8,
    batchSize: 3,
    optimizer: { kind: 'adam', lr: 1e-2 },
    clipValue: 0,
    clipNorm: 1,
    reduction: 'mean',
    lrSchedule: 'plateau:0.5:0:0:0.2',
    evalEvery: 4,
  },
});

function bits(a: Float32Array): Uint32Array {
  return new Uint32Array(a.buffer, a.byteOffset, a.length);
}

function expectSameParameters(a: CharRNN, b: CharRNN): void {
  let differing = 0;
  const pb = b.parameters();
  for (const [name, x] of a.parameters()) {
    const bx = bits(x);
    const by = bits(pb.get(name)!);
    for (let i = 0; i < bx.length; i++) if (bx[i] !== by[i]) differing++;
  }
  expect(differing).toBe(0);
}

describe.each([lstm('js'), lstm('native')])('training on a streamed corpus ($backend)', (c) => {
  const text =
    'the cat sat on the mat. the dog sat on the log. a bird sang in the tree!\n'.repeat(30) + 'ünï €😀\n';
  const path = write(`train-${c.backend}.txt`, text);
  const memory = Corpus.fromText(text, { validationFraction: 0.1 });
  const make = () => CharRNN.create({ vocabulary: memory.vocabulary, backend: c.backend, ...c.model });
  const N = 20;

  it.runIf(c.backend === 'js' || binding !== undefined)(
    'gives bit-identical parameters and validations to the in-memory corpus (windows of 7 bytes)',
    async () => {
      const file = await CorpusFile.open(path, { ...noCache, validationFraction: 0.1, windowBytes: 7 });
      try {
        const a = make();
        const b = make();
        const ra = await train(a, memory.train, memory.validation, { ...c.train, maxIters: 2 * N });
        const rb = await train(b, file.train, file.validation, { ...c.train, maxIters: 2 * N });
        expectSameParameters(a, b);
        expect(rb.history.map((h) => h.valLoss)).toEqual(ra.history.map((h) => h.valLoss));
        expect(rb.validation).toEqual(ra.validation);
        expect(rb.state).toEqual(ra.state);
        expect(ra.state.lr).not.toBe(ra.state.optimizer.lr); // the plateau schedule did act
      } finally {
        file.close();
      }
    },
  );

  it.runIf(c.backend === 'js' || binding !== undefined)(
    `resumes exactly on the streamed path: ${N} steps + checkpoint + resume + ${N} steps = ${2 * N} steps`,
    async () => {
      const file = await CorpusFile.open(path, { ...noCache, validationFraction: 0.1, windowBytes: 11 });
      try {
        const whole = make();
        await train(whole, file.train, file.validation, { ...c.train, maxIters: 2 * N });
        const first = make();
        const ck = join(dir, `resume-${c.backend}.safetensors`);
        await train(first, file.train, file.validation, {
          ...c.train,
          maxIters: N,
          checkpoint: { path: ck },
        });
        const { model: resumed, state } = await loadCheckpoint(ck, { backend: c.backend });
        const rb = await train(resumed, file.train, file.validation, { resume: state!, maxIters: 2 * N });
        expect(rb.iterations).toBe(2 * N);
        expectSameParameters(whole, resumed);
        expect(bits(resumed.exportTrainingState().optState)).toEqual(
          bits(whole.exportTrainingState().optState),
        );
        expect(bits(resumed.exportTrainingState().hidden)).toEqual(bits(whole.exportTrainingState().hidden));
      } finally {
        file.close();
      }
    },
  );
});

describe('validation longer than one segment', () => {
  it(`scores a split of more than ${VALIDATION_SEGMENT} tokens in segments, the same from a file as from memory`, async () => {
    const unit = 'ab ba aab\n';
    const text = unit.repeat(Math.ceil((2 * VALIDATION_SEGMENT + 5000) / unit.length / 0.5));
    const path = write('long.txt', text);
    const memory = Corpus.fromText(text, { validationFraction: 0.5 });
    expect(memory.validation.length).toBeGreaterThan(2 * VALIDATION_SEGMENT + 1);
    const file = await CorpusFile.open(path, { ...noCache, validationFraction: 0.5 });
    try {
      const model = CharRNN.create({ vocabulary: memory.vocabulary, hiddenSize: 4, seed: 3, backend: 'js' });
      const opts: TrainOptions = { seqLength: 5, maxIters: 1, evalEvery: 0 };
      const ra = await train(model, memory.train, memory.validation, opts);
      const again = CharRNN.create({ vocabulary: memory.vocabulary, hiddenSize: 4, seed: 3, backend: 'js' });
      const rb = await train(again, file.train, file.validation, opts);
      expect(rb.validation).toEqual(ra.validation);
      expect(ra.validation!.count).toBe(memory.validation.length - 1);
      // Segments restart from a zero state: close to scoring one stream, not equal to it.
      const whole = model.evaluate(memory.validation);
      expect(Math.abs(ra.validation!.loss - whole.loss)).toBeLessThan(1e-4);
    } finally {
      file.close();
    }
  }, 120_000);
});

describe('charrnn train streams a corpus above CHARRNN_STREAM_THRESHOLD', () => {
  const text = 'to be or not to be, that is the question.\n'.repeat(40);
  const corpus = write('cli.txt', text);
  const args = (out: string) => [
    'train',
    '--corpus',
    corpus,
    '--backend',
    'js',
    '--hidden',
    '16',
    '--seq-length',
    '10',
    '--batch-size',
    '3',
    '--max-iters',
    '30',
    '--eval-every',
    '10',
    '--no-log',
    '--out',
    out,
  ];

  it('trains the same model as the in-memory path, and says it streams', () => {
    const a = runCli(args(join(dir, 'cli-memory.safetensors')));
    const b = runCli(args(join(dir, 'cli-stream.safetensors')), undefined, { CHARRNN_STREAM_THRESHOLD: '0' });
    expect(a.code).toBe(0);
    expect(b.code).toBe(0);
    expect(a.stderr).not.toContain('Scanning');
    expect(b.stderr).toContain(`Scanning ${corpus}`);
    expect(b.stderr).toMatch(/first chunk trained [\d.]+ s after launch/);
    const pick = (s: string) => s.split('\n').filter((l) => l.startsWith('validation at'));
    expect(pick(b.stderr)).toEqual(pick(a.stderr));
    // The same bytes but for the saved corpus path in both (the same file): identical models.
    expect(readFileSync(join(dir, 'cli-stream.safetensors'))).toEqual(
      readFileSync(join(dir, 'cli-memory.safetensors')),
    );
  });

  it('--resume continues a streamed run exactly', async () => {
    const stream = { CHARRNN_STREAM_THRESHOLD: '0' };
    const whole = join(dir, 'cli-whole.safetensors');
    const part = join(dir, 'cli-part.safetensors');
    expect(runCli(args(whole), undefined, stream).code).toBe(0);
    const first = runCli([...args(part), '--max-iters', '15'], undefined, stream);
    expect(first.code).toBe(0);
    const resumed = runCli(
      ['train', '--resume', part, '--backend', 'js', '--max-iters', '30', '--no-log'],
      undefined,
      stream,
    );
    expect(resumed.stderr).toMatch(/Using the cached vocabulary and index of /);
    expect(resumed.code).toBe(0);
    const a = await loadCheckpoint(whole, { backend: 'js' });
    const b = await loadCheckpoint(part, { backend: 'js' });
    expect(b.state!.iteration).toBe(30);
    expectSameParameters(a.model, b.model);
    expect(bits(b.model.exportTrainingState().optState)).toEqual(
      bits(a.model.exportTrainingState().optState),
    );
  });

  it('refuses word tokens on a streamed corpus with the fix', () => {
    const r = runCli([...args(join(dir, 'w.safetensors')), '--tokens', 'word'], undefined, {
      CHARRNN_STREAM_THRESHOLD: '0',
    });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('Word tokens need the whole text in memory');
    expect(r.stderr).toContain('HINT: use --tokens char');
  });

  it('refuses a bad CHARRNN_STREAM_THRESHOLD', () => {
    const r = runCli(args(join(dir, 'x.safetensors')), undefined, { CHARRNN_STREAM_THRESHOLD: 'lots' });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      'Expected a number of bytes ≥ 0 for CHARRNN_STREAM_THRESHOLD but received "lots"',
    );
  });
});

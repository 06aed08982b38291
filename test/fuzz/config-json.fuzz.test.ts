// Fuzz of the JSON a model file carries (issue 15, acceptance): the `config` of real model files (format 1, a vanilla
// RNN; format 2, a stacked LSTM) and of a checkpoint (format 3), and the checkpoint's `training_state`, with keys
// renamed, removed and added (at any depth) and values replaced by others of any type. Every case is either refused
// with a one-line TypeError / RangeError / SafetensorsError, or loads exactly what its JSON names: the config (every
// key named, none defaulted except the keys format version 1 predates), the training state, and the parameters
// unchanged. A few of the cases go through `charrnn inspect` as well. About 1,000 cases, a few seconds.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { encodeCheckpoint, encodeModelChunks, loadCheckpoint } from '../../src/io/checkpoint.js';
import { loadModel } from '../../src/io/model-file.js';
import { decodeSafetensors, SafetensorsError } from '../../src/io/safetensors.js';
import { Corpus } from '../../src/text/corpus.js';
import { train } from '../../src/train/trainer.js';
import { runCli } from '../helpers/cli.js';
import { reencode, concat } from '../helpers/safetensors.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-config-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const corpus = Corpus.fromText('the cat sat on the mat. the dog sat on the log.\n'.repeat(20), {
  validationFraction: 0.1,
});

interface Fixture {
  name: string;
  bytes: Uint8Array;
  version: '1' | '2' | '3';
  parameters: Map<string, Float32Array>;
}
const fixtures: Fixture[] = [];

beforeAll(async () => {
  const vanilla = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 5, seed: 1, backend: 'js' });
  const lstm = () =>
    CharRNN.create({
      vocabulary: corpus.vocabulary,
      cell: 'lstm',
      hiddenSize: 4,
      layers: 2,
      embeddingSize: 3,
      dropout: 0.1,
      seed: 2,
      backend: 'js',
    });
  const trained = lstm();
  const r = await train(trained, corpus.train, corpus.validation, {
    seqLength: 5,
    batchSize: 2,
    optimizer: { kind: 'adam', lr: 5e-3 },
    lrSchedule: 'plateau:0.5:2',
    maxIters: 4,
    evalEvery: 2,
    corpus: { ref: '/data/cats.txt', validationFraction: 0.1 },
    seed: 2,
  });
  fixtures.push(
    {
      name: 'vanilla',
      bytes: concat(encodeModelChunks(vanilla)),
      version: '1',
      parameters: vanilla.parameters(),
    },
    { name: 'lstm', bytes: concat(encodeModelChunks(lstm())), version: '2', parameters: lstm().parameters() },
    {
      name: 'checkpoint',
      bytes: concat(encodeCheckpoint(trained, r.state)),
      version: '3',
      parameters: trained.parameters(),
    },
  );
  for (const f of fixtures) expect(decodeSafetensors(f.bytes).metadata.format_version).toBe(f.version);
});

// ---------------------------------------------------------------------------------------------------
// Mutations of a JSON object, at any depth

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type Mutation =
  | { op: 'rename'; at: number; to: string }
  | { op: 'delete'; at: number }
  | { op: 'add'; at: number; key: string; value: Json }
  | { op: 'set'; at: number; value: Json };

/** Every object in `v` (itself first) with the path to it. */
function objects(v: Json, path: string[] = []): { path: string[]; obj: Record<string, Json> }[] {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) return [];
  return [{ path, obj: v }, ...Object.entries(v).flatMap(([k, c]) => objects(c, [...path, k]))];
}

/** Apply `m` to `root` in place; `at` picks an object (for add) or a key of one (the others), modulo their count. */
function apply(root: Json, m: Mutation): void {
  const objs = objects(root);
  if (m.op === 'add') {
    objs[m.at % objs.length].obj[m.key] = m.value;
    return;
  }
  const slots = objs.flatMap(({ obj }) => Object.keys(obj).map((key) => ({ obj, key })));
  if (slots.length === 0) return;
  const { obj, key } = slots[m.at % slots.length];
  if (m.op === 'delete') delete obj[key];
  else if (m.op === 'set') obj[key] = m.value;
  else if (!Object.hasOwn(obj, m.to)) {
    obj[m.to] = obj[key];
    delete obj[key];
  }
}

/** Names a renamed or added key may take: other keys of both JSONs, near-misses of them, and anything. */
const KNOWN = [
  'cell',
  'vocabSize',
  'hiddenSize',
  'hiddenSizes',
  'layers',
  'embeddingSize',
  'dropout',
  'activation',
  'iteration',
  'epoch',
  'optimizer',
  'lrSchedule',
  'schedule',
  'corpus',
  'seed',
  'kind',
  'lr',
  'beta1',
  'factor',
  'patience',
  'baseLr',
  'scale',
  'best',
  'ref',
];
const keyName = fc.oneof(
  fc.constantFrom(...KNOWN),
  fc.constantFrom(...KNOWN).map((k) => k.toLowerCase()),
  fc.constantFrom(...KNOWN).map((k) => k.replace(/[A-Z]/g, (c) => '_' + c.toLowerCase())),
  fc.constantFrom(...KNOWN).map((k) => k + 's'),
  fc.string({ maxLength: 6 }),
);
const value: fc.Arbitrary<Json> = fc.oneof(
  fc.constantFrom<Json>(0, 1, 2, 3, 4, 5, 6, -1, 0.5, 0.1, 1.5, 1e9, 2 ** 53, null, true, false, '', '4'),
  fc.constantFrom<Json>(
    'rnn',
    'lstm',
    'gru',
    'tanh',
    'relu',
    'sum',
    'mean',
    'adam',
    'sgd',
    'none',
    'plateau',
  ),
  fc.constantFrom<Json>([4, 4], [4], [5, 5], [], {}, { kind: 'none' }),
  fc.integer({ min: -3, max: 70 }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.jsonValue({ maxDepth: 2 }) as fc.Arbitrary<Json>,
);
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ op: fc.constant('rename' as const), at: fc.nat(), to: keyName }),
  fc.record({ op: fc.constant('delete' as const), at: fc.nat() }),
  fc.record({ op: fc.constant('add' as const), at: fc.nat(), key: keyName, value }),
  fc.record({ op: fc.constant('set' as const), at: fc.nat(), value }),
);
const mutations = fc.array(mutation, { minLength: 1, maxLength: 3 });

// ---------------------------------------------------------------------------------------------------
// The property

const REFUSALS = [TypeError, RangeError, SafetensorsError];
let file = 0;

/** Write `bytes`, load them the way a user would, and check: refused in one line, or exactly what the JSON names. */
async function check(
  f: Fixture,
  field: 'config' | 'training_state',
  mutated: string,
): Promise<'refused' | 'loaded'> {
  const bytes = reencode(f.bytes, (_, metadata) => {
    metadata[field] = mutated;
  });
  const path = join(dir, `case-${file++}.safetensors`);
  writeFileSync(path, bytes);
  let loaded: { model: CharRNN; state: unknown };
  try {
    if (f.version === '3') {
      const { model, state } = await loadCheckpoint(path, { backend: 'js' });
      loaded = { model, state };
    } else loaded = { model: await loadModel(path, { backend: 'js' }), state: null };
  } catch (err) {
    if (!REFUSALS.some((C) => err instanceof C)) throw err;
    const message = (err as Error).message;
    expect(message).not.toContain('\n');
    expect(message.length).toBeGreaterThan(0);
    return 'refused';
  }
  const named = JSON.parse(mutated) as Record<string, unknown>;
  const config = loaded.model.config as unknown as Record<string, unknown>;
  if (field === 'config') {
    // Every key the JSON names holds exactly its value; none is left to a default after format version 1.
    for (const [k, v] of Object.entries(named)) expect(config[k], `config.${k}`).toEqual(v);
    // A language model's file may omit the task keys (docs/tasks.md): they then hold the language model's defaults.
    const defaults: Record<string, unknown> = {
      task: 'lm',
      numClasses: 0,
      bidirectional: false,
      pooling: 'last',
    };
    const omitted = Object.keys(defaults).filter((k) => !Object.hasOwn(named, k));
    for (const k of omitted) expect(config[k], `config.${k}`).toEqual(defaults[k]);
    if (f.version !== '1')
      expect(Object.keys(named).sort()).toEqual(
        Object.keys(config)
          .filter((k) => !omitted.includes(k))
          .sort(),
      );
  } else {
    expect(loaded.state).toEqual(named);
  }
  const params = loaded.model.parameters();
  expect([...params.keys()]).toEqual([...f.parameters.keys()]);
  for (const [k, p] of f.parameters) expect(params.get(k), k).toEqual(p);
  return 'loaded';
}

describe('config and training_state JSON: refused in one line, or loaded exactly as named', () => {
  it.each(['vanilla', 'lstm', 'checkpoint'])('config of the %s file', async (name) => {
    const f = fixtures.find((x) => x.name === name)!;
    const original = JSON.parse(decodeSafetensors(f.bytes).metadata.config) as Json;
    const outcomes = { refused: 0, loaded: 0 };
    await fc.assert(
      fc.asyncProperty(mutations, async (ms) => {
        const json = structuredClone(original);
        for (const m of ms) apply(json, m);
        outcomes[await check(f, 'config', JSON.stringify(json))]++;
      }),
      { numRuns: 250, seed: 15 },
    );
    // Both outcomes happen (a value changed to another valid one, e.g. relu for tanh, loads as that model).
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.loaded).toBeGreaterThan(0);
  });

  it('training_state of the checkpoint', async () => {
    const f = fixtures.find((x) => x.name === 'checkpoint')!;
    const original = JSON.parse(decodeSafetensors(f.bytes).metadata.training_state) as Json;
    const outcomes = { refused: 0, loaded: 0 };
    await fc.assert(
      fc.asyncProperty(mutations, async (ms) => {
        const json = structuredClone(original);
        for (const m of ms) apply(json, m);
        outcomes[await check(f, 'training_state', JSON.stringify(json))]++;
      }),
      { numRuns: 300, seed: 15 },
    );
    expect(outcomes.refused).toBeGreaterThan(0);
    expect(outcomes.loaded).toBeGreaterThan(0);
  });

  it('the unmutated files load as they are', async () => {
    for (const f of fixtures) {
      const { metadata } = decodeSafetensors(f.bytes);
      expect(await check(f, 'config', metadata.config)).toBe('loaded');
      if (f.version === '3') expect(await check(f, 'training_state', metadata.training_state)).toBe('loaded');
    }
  });
});

describe('charrnn inspect on mutated JSON', () => {
  /** The fixture with `field` rewritten by `edit`, written to a file. */
  function mutatedFile(
    name: string,
    field: 'config' | 'training_state',
    edit: (j: Record<string, Json>) => void,
  ) {
    const f = fixtures.find((x) => x.name === name)!;
    const bytes = reencode(f.bytes, (_, metadata) => {
      const j = JSON.parse(metadata[field]) as Record<string, Json>;
      edit(j);
      metadata[field] = JSON.stringify(j);
    });
    const path = join(dir, `inspect-${file++}.safetensors`);
    writeFileSync(path, bytes);
    return path;
  }

  it('refuses a renamed key, a wrong type and an extra nested key in one line; shows a valid change', () => {
    const refused = [
      mutatedFile('vanilla', 'config', (j) => {
        j.activaton = j.activation;
        delete j.activation;
      }),
      mutatedFile('lstm', 'config', (j) => {
        j.hiddenSize = '4';
      }),
      mutatedFile('checkpoint', 'training_state', (j) => {
        (j.optimizer as Record<string, Json>).beta_1 = 0.9;
      }),
    ];
    for (const path of refused) {
      const r = runCli(['inspect', path]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr.trimEnd().split('\n')).toHaveLength(1);
      expect(r.stderr).toMatch(new RegExp(`^charrnn: Invalid charrnn file ${path}: `));
    }
    const dropout = mutatedFile('lstm', 'config', (j) => {
      j.dropout = 0.3;
    });
    const r = runCli(['inspect', dropout]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('model: LSTM (2 layers, hidden 4/4, embedding 3, dropout 0.3)');
  });
});

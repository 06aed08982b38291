// charrnn/brain's persistence and export: toJSON → fromJSON round-trips (the JSON holds charrnn's own model file,
// base64), fromJSON reads a charrnn model file's bytes, toFunction's standalone source reproduces run() without
// charrnn; plus the errors a wrong argument gets.
import { describe, expect, it } from 'vitest';
import { recurrent, DataFormatter, type RNNJSON } from '../../src/brain/index.js';
import { CharRNN, Corpus, decodeCheckpoint, train } from '../../src/index.js';
import { encodeModelChunks } from '../../src/io/checkpoint.js';

const lines = ['doe, a deer, a female deer', 'ray, a drop of golden sun', 'me, a name I call myself'];
const prefixes = ['doe', 'ray', 'me'];

function concat(chunks: Uint8Array[]): Uint8Array {
  return Uint8Array.from(chunks.flatMap((c) => Array.from(c)));
}

describe.each([
  ['RNN', recurrent.RNN],
  ['LSTM', recurrent.LSTM],
  ['GRU', recurrent.GRU],
] as const)('%s', (type, Net) => {
  const net = new Net({ hiddenLayers: [24] });
  net.train(lines, { iterations: 400 });
  const expected = prefixes.map((p) => net.run(p));

  it('learns the lines', () => {
    expect(expected).toEqual(lines.map((l, i) => l.slice(prefixes[i].length)));
  });

  it('runs the same after toJSON → JSON text → fromJSON', () => {
    const json = net.toJSON();
    expect(json.type).toBe(type);
    expect(json.format).toBe('charrnn');
    expect(json.options.hiddenLayers).toEqual([24]);
    const text = JSON.stringify(json);
    const back = new Net();
    back.fromJSON(JSON.parse(text) as RNNJSON);
    expect(prefixes.map((p) => back.run(p))).toEqual(expected);
    expect(back.toJSON().model).toBe(json.model); // the same weights, bit for bit
    // brain.js's constructor option `json` loads too, and so does the JSON text.
    expect(new Net({ json }).run('doe')).toBe(expected[0]);
    expect(new Net().fromJSON(text).run('ray')).toBe(expected[1]);
  });

  it('toJSON holds a charrnn model file that decodes as one', () => {
    const bytes = Uint8Array.from(Buffer.from(net.toJSON().model, 'base64'));
    const ck = decodeCheckpoint(bytes);
    expect(ck.config.cell).toBe(type.toLowerCase());
    expect(ck.config.hiddenSizes).toEqual([24]);
    expect(JSON.parse(ck.metadata.brain).type).toBe(type);
    expect(new Net().fromJSON(bytes).run('me')).toBe(expected[2]);
  });

  it('toFunction gives a standalone function with the same outputs', () => {
    const fn = net.toFunction();
    expect(prefixes.map((p) => fn(p))).toEqual(expected);
    // Its source runs on its own: no charrnn in scope.
    const source = fn.toString();
    expect(source).not.toMatch(/import|require/);
    const standalone = new Function(`return ${source}`)() as typeof fn;
    expect(prefixes.map((p) => standalone(p))).toEqual(expected);
  });
});

describe('{ input, output } nets', () => {
  const pairs = [
    { input: 'hello', output: 'bonjour' },
    { input: 'cat', output: 'chat' },
    { input: 'thank you', output: 'merci' },
  ];
  const net = new recurrent.LSTM({ hiddenLayers: [32] });
  net.train(pairs, { iterations: 400 });

  it('translate, and keep doing so through JSON and toFunction', () => {
    const outputs = pairs.map((p) => net.run(p.input));
    expect(outputs).toEqual(pairs.map((p) => p.output));
    const back = new recurrent.LSTM().fromJSON(JSON.stringify(net));
    expect(pairs.map((p) => back.run(p.input))).toEqual(outputs);
    const fn = new Function(`return ${net.toFunction().toString()}`)() as (s: string) => string;
    expect(pairs.map((p) => fn(p.input))).toEqual(outputs);
  });

  it('map unknown input characters to unrecognized instead of throwing', () => {
    expect(typeof net.run('héllo')).toBe('string');
  });
});

describe('fromJSON of a plain charrnn model file', () => {
  it('continues its input with the vocabulary of the model', async () => {
    const text = 'abcabcabcabcabcabcabcabcabcabcabcabcabcabc\n'.repeat(20);
    const corpus = Corpus.fromText(text);
    const model = CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 16, seed: 3 });
    await train(model, corpus.train, undefined, { maxIters: 300, seqLength: 16, evalEvery: 0 });
    const bytes = concat(encodeModelChunks(model));
    model.dispose();
    const net = new recurrent.RNN({ maxPredictionLength: 6 }).fromJSON(bytes);
    expect(net.run('ab')).toBe('cabcab');
    expect(net.toFunction()('ab')).toBe('cabcab');
    expect(() => net.train(['abc'])).toThrow(TypeError);
  });
});

describe('errors', () => {
  it('name what was wrong', () => {
    expect(() => new recurrent.LSTM({ hiddenLayers: [] })).toThrow(
      'Expected a non-empty array of layer widths for hiddenLayers but received an array of length 0',
    );
    expect(() => new recurrent.LSTM({ activation: 'relu' })).toThrow(
      `Expected activation 'tanh' for a LSTM but received "relu"`,
    );
    expect(() => new recurrent.RNN().run('a')).toThrow(
      'This RNN has no weights to run. HINT: call train() or fromJSON() first',
    );
    expect(() => new recurrent.RNN().train([])).toThrow(TypeError);
    expect(() => new recurrent.RNN().train(['ab', { input: 'a', output: 'b' }] as never)).toThrow(
      /for data\[1\] \(as data\[0\]\)/,
    );
    expect(() => new recurrent.GRU().fromJSON({ type: 'GRU', options: {} } as never)).toThrow(
      /brain\.js's own JSON cannot be loaded/,
    );
    const net = new recurrent.RNN({ hiddenLayers: [8] });
    net.train(['ab'], { iterations: 1 });
    expect(() => net.run('z')).toThrow(
      'Expected tokens the net was trained on for input but received unrecognized character "z"',
    );
  });

  it('DataFormatter round-trips through JSON with its special tokens', () => {
    const f = DataFormatter.fromArrayInputOutput(['ab', 'ba', 'c']);
    f.addUnrecognized();
    const g = DataFormatter.fromJSON(JSON.parse(JSON.stringify(f)));
    expect(g.characters).toEqual(['a', 'b', 'c', 'stop-input', 'start-output', 'unrecognized']);
    expect(g.toIndexesInputOutput('ab', 'x')).toEqual([0, 1, 3, 4, 5]);
    expect(g.toCharacters([0, 3, 4, 2])).toEqual(['a', 'c']);
  });
});

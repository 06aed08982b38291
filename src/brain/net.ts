// brain.js's recurrent nets (recurrent.RNN, LSTM, GRU) on charrnn's engine: brain.js's options, data shapes
// (strings, { input, output } pairs, token arrays) and DataFormatter semantics, train / trainAsync / run /
// toJSON / fromJSON / toFunction, over a CharRNN. Training batches many sequences per step (each from a zero
// state, as brain.js trains one at a time). Where the math differs from brain.js, docs/brain.md says why.
// Deliberately no file I/O (toJSON is charrnn's model file as base64) and no math of its own.
import { CharRNN } from '../charrnn.js';
import type { BackendChoice } from '../backends/index.js';
import type { OptimizerHyper, StepHyper } from '../backends/backend.js';
import { resolveOptimizer } from '../run/optim.js';
import { Vocabulary } from '../text/vocabulary.js';
import type { CellKind, Activation } from '../model/config.js';
import { decodeCheckpoint, encodeModelChunks } from '../io/checkpoint.js';
import { Rng } from '../util/rng.js';
import {
  describe,
  nonNegativeNumber,
  numberInRange,
  oneOf,
  positiveInt,
  positiveNumber,
} from '../util/validate.js';
import { DataFormatter, type DataFormatterJSON, type Token } from './formatter.js';
import { standaloneSource, type StandaloneNet } from './standalone.js';

/** One training example: a string, an array of tokens, or an { input, output } pair of either. */
export type TrainingDatum =
  string | readonly Token[] | { input: string | readonly Token[]; output: string | readonly Token[] };

/** The status train() returns and callback receives. */
export interface TrainStatus {
  /** brain.js's training error: the mean over the examples of 2^(bits / (n − 1)) / 100 (n tokens, ≥ 2). */
  error: number;
  iterations: number;
}

/** train()'s options (brain.js's trainDefaults, plus batchSize). */
export interface RNNTrainOptions {
  /** Passes over the data (default 20000). */
  iterations?: number;
  /** Stop once the error is at most this (default 0.005; the error cannot go below 0.01). */
  errorThresh?: number;
  /** true: console.log, or a function receiving each log line (default false). */
  log?: boolean | ((line: string) => void);
  /** Iterations between log lines (default 10). */
  logPeriod?: number;
  /** Step size of the optimizer (default 0.01). */
  learningRate?: number;
  /** Called every callbackPeriod iterations with { error, iterations }. */
  callback?: ((status: TrainStatus) => void) | null;
  /** Iterations between callbacks (default 10). */
  callbackPeriod?: number;
  /** Stop after this many milliseconds (default Infinity). */
  timeout?: number;
  /** charrnn: sequences trained together in one step (default 8). */
  batchSize?: number;
}

/** The constructor's options: brain.js's, plus charrnn's (activation, optimizer, batchSize, seed, backend). */
export interface RNNOptions extends RNNTrainOptions {
  /** Widths of the stacked recurrent layers (default [20, 20]). */
  hiddenLayers?: number[];
  /** RMSProp's decay in brain.js; Adam's β2 here when the optimizer is 'rmsprop' (default 0.999). */
  decayRate?: number;
  /** brain.js's RMSProp epsilon (default 1e-8). */
  smoothEps?: number;
  /** L2 regularisation per update, as brain.js (w −= regc·w; default 1e-6). */
  regc?: number;
  /** Element-wise gradient clipping (default 5). */
  clipval?: number;
  /** Most tokens run() generates (default 100). */
  maxPredictionLength?: number;
  /** The token table (built from the training data when absent). */
  dataFormatter?: DataFormatter;
  /** A net's toJSON() to load. */
  json?: RNNJSON;
  /** Accepted for compatibility; sizes come from the data. */
  inputSize?: number;
  inputRange?: number;
  outputSize?: number;
  /** charrnn, RNN only: 'tanh' (default, charrnn's) or 'relu' (brain.js's). */
  activation?: Activation;
  /** charrnn: 'adam' (default) or 'rmsprop' (brain.js's). */
  optimizer?: 'adam' | 'rmsprop';
  /** charrnn: seed of the initial weights, of the batch order and of run()'s sampling (default 1). */
  seed?: number;
  /** charrnn: 'auto' (native when the addon loads; 'js' outside Node), 'native' or 'js'. */
  backend?: BackendChoice;
}

/** toJSON()'s output: charrnn's model file (safetensors, base64) with the net's options beside it. */
export interface RNNJSON {
  type: string;
  format: 'charrnn';
  options: SavedOptions;
  dataFormatter: DataFormatterJSON;
  /** The model file's bytes (loadModel reads them once decoded), base64. */
  model: string;
}

/** The options a saved net carries: the settings of the class (RNN below), and whether it has the markers. */
type SavedOptions = Pick<
  RNN,
  | 'hiddenLayers'
  | 'learningRate'
  | 'decayRate'
  | 'smoothEps'
  | 'regc'
  | 'clipval'
  | 'maxPredictionLength'
  | 'activation'
  | 'optimizer'
  | 'batchSize'
  | 'seed'
> & {
  /** false for a net loaded from a plain charrnn model file (no start/end marker). */
  marker: boolean;
};

const DEFAULTS = {
  hiddenLayers: [20, 20],
  learningRate: 0.01,
  decayRate: 0.999,
  smoothEps: 1e-8,
  regc: 0.000001,
  clipval: 5,
  maxPredictionLength: 100,
  activation: 'tanh' as Activation,
  optimizer: 'adam' as 'adam' | 'rmsprop',
  batchSize: 8,
  seed: 1,
};

const TRAIN_DEFAULTS = {
  iterations: 20000,
  errorThresh: 0.005,
  log: false as RNNTrainOptions['log'],
  logPeriod: 10,
  callback: null as RNNTrainOptions['callback'],
  callbackPeriod: 10,
  timeout: Infinity,
};

/** brain.js's error never goes below 0.01 (perplexity 1 / 100): a threshold under it is never reached. */
const ERROR_FLOOR = 0.01;
/** Placeholder characters of the model file's vocabulary (Supplementary Private Use Area-A). */
const PUA = 0xf0000;
const MAX_TOKENS = 0xffffd - PUA;

function inNode(): boolean {
  const p = (globalThis as { process?: { versions?: { node?: string } } }).process;
  return typeof p?.versions?.node === 'string';
}

function toBase64(bytes: Uint8Array): string {
  let s = '';
  for (let i = 0; i < bytes.length; i += 0x8000)
    s += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000) as unknown as number[]);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  const s = atob(text);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

function concat(chunks: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let o = 0;
  for (const c of chunks) {
    out.set(c, o);
    o += c.length;
  }
  return out;
}

function checkOptions(o: Partial<SavedOptions>, cell: CellKind): void {
  if (o.hiddenLayers !== undefined) {
    if (!Array.isArray(o.hiddenLayers) || o.hiddenLayers.length === 0)
      throw new TypeError(
        `Expected a non-empty array of layer widths for hiddenLayers but received ${describe(o.hiddenLayers)}`,
      );
    o.hiddenLayers.forEach((h, i) => positiveInt(`hiddenLayers[${i}]`, h));
  }
  if (o.learningRate !== undefined) positiveNumber('learningRate', o.learningRate);
  if (o.decayRate !== undefined) numberInRange('decayRate', o.decayRate, 0, 1, true);
  if (o.smoothEps !== undefined) positiveNumber('smoothEps', o.smoothEps);
  if (o.regc !== undefined) nonNegativeNumber('regc', o.regc);
  if (o.clipval !== undefined) nonNegativeNumber('clipval', o.clipval);
  if (o.maxPredictionLength !== undefined) positiveInt('maxPredictionLength', o.maxPredictionLength);
  if (o.activation !== undefined) {
    oneOf('activation', o.activation, ['tanh', 'relu'] as const);
    if (cell !== 'rnn' && o.activation !== 'tanh')
      throw new RangeError(
        `Expected activation 'tanh' for a ${cell.toUpperCase()} but received ${describe(o.activation)}`,
      );
  }
  if (o.optimizer !== undefined) oneOf('optimizer', o.optimizer, ['adam', 'rmsprop'] as const);
  if (o.batchSize !== undefined) positiveInt('batchSize', o.batchSize);
  if (o.seed !== undefined && (typeof o.seed !== 'number' || !Number.isInteger(o.seed)))
    throw new TypeError(`Expected an integer for seed but received ${describe(o.seed)}`);
}

/** One pass's chunks: B sequences of similar length each, padded with the end marker. */
interface Chunk {
  inputs: Int32Array;
  targets: Int32Array;
  batch: number;
  steps: number;
}

/** brain.js's recurrent.RNN (a vanilla RNN; tanh by default here) on charrnn's engine. */
export class RNN {
  /** The cell this class builds ('rnn', 'lstm' or 'gru'). */
  protected static readonly cell: CellKind = 'rnn';

  hiddenLayers: number[];
  learningRate: number;
  decayRate: number;
  smoothEps: number;
  regc: number;
  clipval: number;
  maxPredictionLength: number;
  activation: Activation;
  optimizer: 'adam' | 'rmsprop';
  batchSize: number;
  seed: number;
  dataFormatter: DataFormatter | null;
  /** The options train() starts from (brain.js's trainOpts). */
  trainOpts: typeof TRAIN_DEFAULTS;

  #model: CharRNN | null = null;
  #backend: BackendChoice;
  /** Whether model id 0 is the start/end marker (false only for a plain charrnn model file). */
  #marker = true;
  #step = 0;
  #rng: Rng;
  #training = false;

  constructor(options: RNNOptions = {}) {
    if (options === null || typeof options !== 'object')
      throw new TypeError(`Expected an options object for ${this.#type} but received ${describe(options)}`);
    checkOptions(options, this.#cell);
    this.hiddenLayers = [...(options.hiddenLayers ?? DEFAULTS.hiddenLayers)];
    this.learningRate = options.learningRate ?? DEFAULTS.learningRate;
    this.decayRate = options.decayRate ?? DEFAULTS.decayRate;
    this.smoothEps = options.smoothEps ?? DEFAULTS.smoothEps;
    this.regc = options.regc ?? DEFAULTS.regc;
    this.clipval = options.clipval ?? DEFAULTS.clipval;
    this.maxPredictionLength = options.maxPredictionLength ?? DEFAULTS.maxPredictionLength;
    this.activation = options.activation ?? DEFAULTS.activation;
    this.optimizer = options.optimizer ?? DEFAULTS.optimizer;
    this.batchSize = options.batchSize ?? DEFAULTS.batchSize;
    this.seed = options.seed ?? DEFAULTS.seed;
    this.dataFormatter = options.dataFormatter ?? null;
    if (this.dataFormatter !== null && !(this.dataFormatter instanceof DataFormatter))
      throw new TypeError(
        `Expected a DataFormatter for dataFormatter but received ${describe(this.dataFormatter)}`,
      );
    this.#backend = options.backend ?? (inNode() ? 'auto' : 'js');
    oneOf('backend', this.#backend, ['auto', 'js', 'native'] as const);
    this.#rng = new Rng(this.seed);
    this.trainOpts = { ...TRAIN_DEFAULTS };
    for (const k of Object.keys(TRAIN_DEFAULTS) as (keyof typeof TRAIN_DEFAULTS)[])
      if (options[k] !== undefined) (this.trainOpts as Record<string, unknown>)[k] = options[k];
    if (options.json !== undefined) this.fromJSON(options.json);
  }

  get #cell(): CellKind {
    return (this.constructor as typeof RNN).cell;
  }

  get #type(): string {
    return this.#cell === 'rnn' ? 'RNN' : this.#cell.toUpperCase();
  }

  /** Whether the net has weights (trained, or loaded with fromJSON). */
  get isRunnable(): boolean {
    return this.#model !== null;
  }

  /** Which charrnn backend runs the net ('native' or 'js'), or null before the first train / fromJSON. */
  get backend(): 'native' | 'js' | null {
    return this.#model?.backend ?? null;
  }

  /** The CharRNN underneath (null before the first train / fromJSON): sample, score, save it as any model. */
  get model(): CharRNN | null {
    return this.#model;
  }

  // ---- data ----

  /** brain.js's setupData: the formatter (built from the data the first time) and each example's indexes. */
  #setupData(data: readonly TrainingDatum[]): number[][] {
    if (!Array.isArray(data) || data.length === 0)
      throw new TypeError(`Expected a non-empty array of training data but received ${describe(data)}`);
    const first: unknown = data[0];
    const pairs = first !== null && typeof first === 'object' && !Array.isArray(first);
    data.forEach((d: unknown, i) => {
      const isPair = d !== null && typeof d === 'object' && !Array.isArray(d);
      if (isPair !== pairs || (isPair && (!('input' in d) || !('output' in d))))
        throw new TypeError(
          `Expected ${pairs ? 'an { input, output } object' : 'a string or an array of tokens'} for data[${i}] (as data[0]) but received ${describe(d)}`,
        );
    });
    if (!this.#marker)
      throw new TypeError(
        "Expected a net with a start/end marker for train but this one was loaded from a plain charrnn model file. HINT: train it with charrnn's own train()",
      );
    if (pairs) {
      const items = data as { input: string | Token[]; output: string | Token[] }[];
      if (!this.dataFormatter) {
        const values: unknown[] = [];
        for (const d of items) values.push(d.input, d.output);
        this.dataFormatter = DataFormatter.fromArrayInputOutput(values);
        this.dataFormatter.addUnrecognized();
      }
      const f = this.dataFormatter;
      return items.map((d) => f.toIndexesInputOutput(d.input, d.output));
    }
    if (!this.dataFormatter) this.dataFormatter = new DataFormatter(data as unknown[]);
    const f = this.dataFormatter;
    if (f.hasInputOutput)
      throw new TypeError('Expected { input, output } pairs for a net whose data formatter has stop-input');
    return (data as (string | Token[])[]).map((d, i) => f.toIndexes(d, `data[${i}]`));
  }

  #formatIn(raw: unknown): number[] {
    const f = this.dataFormatter!;
    return f.hasInputOutput ? f.toIndexesInputOutput(raw) : f.toIndexes(raw);
  }

  /** The model (created at the first train, sized by the data formatter). */
  #ensureModel(): CharRNN {
    if (this.#model) return this.#model;
    const V = this.dataFormatter!.characters.length + 1;
    if (V > MAX_TOKENS)
      throw new RangeError(`Expected at most ${MAX_TOKENS - 1} distinct tokens but the data has ${V - 1}`);
    // The model file's vocabulary is a placeholder (id i = U+F0000 + i): the tokens live in the data formatter.
    let text = '';
    for (let i = 0; i < V; i++) text += String.fromCodePoint(PUA + i);
    this.#model = CharRNN.create({
      vocabulary: Vocabulary.fromText(text),
      cell: this.#cell,
      hiddenSizes: this.hiddenLayers,
      activation: this.#cell === 'rnn' ? this.activation : 'tanh',
      seed: this.seed,
      backend: this.#backend,
    });
    return this.#model;
  }

  /** The passes' chunks: sequences sorted by length (ties in a seeded random order), B per chunk. */
  #chunks(seqs: number[][], B: number): Chunk[] {
    const order = seqs.map((s, i) => ({ i, n: s.length, r: this.#rng.nextFloat() }));
    order.sort((a, b) => a.n - b.n || a.r - b.r);
    const chunks: Chunk[] = [];
    for (let c = 0; c < order.length; c += B) {
      const group = order.slice(c, c + B);
      const batch = group.length;
      const steps = group[batch - 1].n + 1;
      const inputs = new Int32Array(batch * steps);
      const targets = new Int32Array(batch * steps);
      group.forEach(({ i }, b) => {
        // start marker, the tokens, the end marker; padded with end markers (marker → marker)
        const s = seqs[i];
        for (let t = 0; t < s.length; t++) {
          inputs[(t + 1) * batch + b] = s[t] + 1;
          targets[t * batch + b] = s[t] + 1;
        }
      });
      chunks.push({ inputs, targets, batch, steps });
    }
    // A seeded shuffle of the chunk order (Fisher–Yates).
    for (let i = chunks.length - 1; i > 0; i--) {
      const j = Math.floor(this.#rng.nextFloat() * (i + 1));
      [chunks[i], chunks[j]] = [chunks[j], chunks[i]];
    }
    return chunks;
  }

  #hyper(lr: number): StepHyper {
    const base =
      this.optimizer === 'adam'
        ? { kind: 'adam' as const, lr, weightDecay: this.regc / lr }
        : // brain.js's RMSProp: eps inside the square root there, outside here (√smoothEps is the same floor).
          {
            kind: 'rmsprop' as const,
            lr,
            beta2: this.decayRate,
            eps: Math.sqrt(this.smoothEps),
            weightDecay: this.regc / lr,
          };
    const optimizer: OptimizerHyper = resolveOptimizer(base);
    return { optimizer, clipValue: this.clipval, clipNorm: 0, reduction: 'sum', step: ++this.#step };
  }

  /** brain.js's error over the data with the current weights: mean of 2^(bits / max(1, n − 1)) / 100. */
  #error(seqs: number[][]): number {
    const model = this.#model!;
    let sum = 0;
    for (const s of seqs) {
      const ids = new Int32Array(s.length + 2);
      for (let t = 0; t < s.length; t++) ids[t + 1] = s[t] + 1;
      const { loss, count } = model.evaluate(ids);
      const bits = (loss * count) / Math.LN2;
      sum += Math.pow(2, bits / Math.max(1, s.length - 1)) / 100;
    }
    return sum / seqs.length;
  }

  #resolveTrain(options: RNNTrainOptions) {
    if (options === null || typeof options !== 'object')
      throw new TypeError(`Expected an options object for train but received ${describe(options)}`);
    const o = {
      ...this.trainOpts,
      ...Object.fromEntries(Object.entries(options).filter(([, v]) => v !== undefined)),
    };
    const iterations = o.iterations;
    if (typeof iterations !== 'number' || !(iterations >= 0) || !Number.isInteger(iterations))
      throw new RangeError(
        `Expected a non-negative integer for iterations but received ${describe(iterations)}`,
      );
    if (typeof o.errorThresh !== 'number' || Number.isNaN(o.errorThresh))
      throw new TypeError(`Expected a number for errorThresh but received ${describe(o.errorThresh)}`);
    const logPeriod = positiveInt('logPeriod', o.logPeriod);
    const callbackPeriod = positiveInt('callbackPeriod', o.callbackPeriod);
    const timeout = o.timeout === Infinity ? Infinity : positiveNumber('timeout', o.timeout);
    const learningRate = positiveNumber('learningRate', options.learningRate ?? this.learningRate);
    const batchSize = positiveInt('batchSize', options.batchSize ?? this.batchSize);
    const log =
      o.log === true ? (line: string) => console.log(line) : typeof o.log === 'function' ? o.log : undefined;
    if (o.log !== undefined && o.log !== null && typeof o.log !== 'boolean' && typeof o.log !== 'function')
      throw new TypeError(`Expected a boolean or a function for log but received ${describe(o.log)}`);
    const callback = typeof o.callback === 'function' ? o.callback : undefined;
    return {
      iterations,
      errorThresh: o.errorThresh,
      logPeriod,
      callbackPeriod,
      timeout,
      learningRate,
      batchSize,
      log,
      callback,
    };
  }

  /**
   * Train on `data` (as brain.js: iterations passes, stopping early at errorThresh or timeout); returns the
   * final { error, iterations }. Synchronous like brain.js's; trainAsync runs the steps off the main thread.
   */
  train(data: readonly TrainingDatum[], options: RNNTrainOptions = {}): TrainStatus {
    const run = this.#begin(data, options);
    try {
      for (;;) {
        const chunks = run.next();
        if (chunks === null) break;
        for (const c of chunks) {
          run.model.resetState();
          run.model.trainChunk(c.inputs, c.targets, c.batch, c.steps, this.#hyper(run.lr));
        }
        run.after();
      }
      return run.finish();
    } finally {
      this.#training = false;
    }
  }

  /** train() with each step off the main thread (native backend) and the event loop served between steps. */
  async trainAsync(data: readonly TrainingDatum[], options: RNNTrainOptions = {}): Promise<TrainStatus> {
    const run = this.#begin(data, options);
    try {
      let lastYield = performance.now();
      for (;;) {
        const chunks = run.next();
        if (chunks === null) break;
        for (const c of chunks) {
          run.model.resetState();
          await run.model.trainChunkAsync(c.inputs, c.targets, c.batch, c.steps, this.#hyper(run.lr));
          if (performance.now() - lastYield > 20) {
            await new Promise<void>((resolve) => setTimeout(resolve, 0));
            lastYield = performance.now();
          }
        }
        run.after();
      }
      return run.finish();
    } finally {
      this.#training = false;
    }
  }

  /** The shared loop state of train and trainAsync: next() gives a pass's chunks or null when done. */
  #begin(data: readonly TrainingDatum[], options: RNNTrainOptions) {
    if (this.#training)
      throw Object.assign(
        new Error(
          `This ${this.#type} is already training. HINT: await trainAsync before calling train again`,
        ),
        {
          code: 'ERR_CHARRNN_BUSY',
        },
      );
    const o = this.#resolveTrain(options);
    const seqs = this.#setupData(data);
    const model = this.#ensureModel();
    this.#training = true;
    const end = Date.now() + o.timeout;
    const reachable = o.errorThresh >= ERROR_FLOOR;
    let error = Infinity;
    let errorAt = -1;
    let i = 0;
    return {
      model,
      lr: o.learningRate,
      next: (): Chunk[] | null => {
        if (i >= o.iterations || error <= o.errorThresh || (i > 0 && Date.now() >= end)) return null;
        return this.#chunks(seqs, o.batchSize);
      },
      after: () => {
        const logNow = o.log !== undefined && i % o.logPeriod === 0;
        const callNow = o.callback !== undefined && i % o.callbackPeriod === 0;
        if (reachable || logNow || callNow) {
          error = this.#error(seqs);
          errorAt = i + 1;
          if (Number.isNaN(error))
            throw new Error(
              'network error rate is unexpected NaN, check network configurations and try again',
            );
        }
        if (logNow) o.log!(`iterations: ${i}, training error: ${error}`);
        if (callNow) o.callback!({ error, iterations: i });
        i++;
      },
      finish: (): TrainStatus => {
        if (errorAt !== i) error = this.#error(seqs);
        return { error, iterations: i };
      },
    };
  }

  // ---- running ----

  #requireModel(what: string): CharRNN {
    if (!this.#model || !this.dataFormatter)
      throw new Error(`This ${this.#type} has no weights to ${what}. HINT: call train() or fromJSON() first`);
    return this.#model;
  }

  /**
   * The net's continuation of `input`: fed after the start marker (and, for { input, output } nets, followed
   * by stop-input and start-output), then tokens are predicted until the end marker or maxPredictionLength.
   * A string input gives a string; an array gives an array of tokens. isSampleI samples (at `temperature`)
   * instead of taking the most likely token.
   */
  run(input: string, isSampleI?: boolean, temperature?: number): string;
  run(input?: readonly Token[], isSampleI?: boolean, temperature?: number): Token[];
  run(input: string | readonly Token[] = [], isSampleI = false, temperature = 1): string | Token[] {
    const model = this.#requireModel('run');
    if (typeof isSampleI !== 'boolean')
      throw new TypeError(`Expected a boolean for isSampleI but received ${describe(isSampleI)}`);
    if (isSampleI) positiveNumber('temperature', temperature);
    const f = this.dataFormatter!;
    const off = this.#marker ? 1 : 0;
    const prime = this.#formatIn(input).map((i) => i + off);
    if (this.#marker) prime.unshift(0);
    else if (prime.length === 0)
      throw new RangeError(
        'Expected at least one token for input (a net from a plain charrnn model has no start marker)',
      );
    const session = model.session();
    session.feed(prime);
    const out: number[] = [];
    for (let n = 0; n < this.maxPredictionLength; n++) {
      const p = session.next();
      let id = 0;
      if (isSampleI) {
        // p^(1/T) renormalised = softmax(logits / T); relative to the largest, in float64, so nothing underflows.
        let top = 0;
        for (let k = 1; k < p.length; k++) if (p[k] > p[top]) top = k;
        const q = new Float64Array(p.length);
        let total = 0;
        for (let k = 0; k < p.length; k++) total += q[k] = Math.pow(p[k] / p[top], 1 / temperature);
        let r = this.#rng.nextFloat() * total;
        id = top;
        for (let k = 0; k < q.length; k++)
          if ((r -= q[k]) < 0) {
            id = k;
            break;
          }
      } else for (let k = 1; k < p.length; k++) if (p[k] > p[id]) id = k;
      if (this.#marker && id === 0) break;
      out.push(id - off);
      session.feed([id]);
    }
    const tokens = f.toCharacters(out);
    return typeof input === 'string' ? tokens.join('') : tokens;
  }

  // ---- files ----

  #saved(): SavedOptions {
    return {
      hiddenLayers: [...this.hiddenLayers],
      learningRate: this.learningRate,
      decayRate: this.decayRate,
      smoothEps: this.smoothEps,
      regc: this.regc,
      clipval: this.clipval,
      maxPredictionLength: this.maxPredictionLength,
      activation: this.activation,
      optimizer: this.optimizer,
      batchSize: this.batchSize,
      seed: this.seed,
      marker: this.#marker,
    };
  }

  /** charrnn's model file (safetensors; `loadModel` reads it) with this net's options and tokens inside. */
  toModelFile(): Uint8Array {
    const model = this.#requireModel('save');
    const brain = JSON.stringify({
      type: this.#type,
      options: this.#saved(),
      dataFormatter: this.dataFormatter!.toJSON(),
    });
    return concat(encodeModelChunks(model, { brain }));
  }

  /** The net as JSON: its options, its tokens and charrnn's model file (base64); fromJSON reads it back. */
  toJSON(): RNNJSON {
    return {
      type: this.#type,
      format: 'charrnn',
      options: this.#saved(),
      dataFormatter: this.dataFormatter
        ? this.dataFormatter.toJSON()
        : { characters: [], specialIndexes: [] },
      model: toBase64(this.toModelFile()),
    };
  }

  /**
   * Load toJSON()'s output (an object or its JSON text), or the bytes of a charrnn model file or checkpoint
   * (a plain one runs its vocabulary's tokens: run(input) continues input for maxPredictionLength tokens).
   */
  fromJSON(json: RNNJSON | string | Uint8Array | ArrayBuffer): this {
    let bytes: Uint8Array;
    if (typeof json === 'string') {
      try {
        json = JSON.parse(json) as RNNJSON;
      } catch (err) {
        throw new TypeError(
          `Expected the JSON text of toJSON() for fromJSON but it does not parse: ${(err as Error).message}`,
        );
      }
    }
    if (json instanceof ArrayBuffer) bytes = new Uint8Array(json);
    else if (json instanceof Uint8Array) bytes = json;
    else if (
      json !== null &&
      typeof json === 'object' &&
      json.format === 'charrnn' &&
      typeof json.model === 'string'
    )
      bytes = fromBase64(json.model);
    else
      throw new TypeError(
        `Expected toJSON()'s output ({ format: 'charrnn', model, … }) or a charrnn model file's bytes for fromJSON but received ${describe(json)}. HINT: brain.js's own JSON cannot be loaded: retrain the net with charrnn/brain`,
      );
    const ck = decodeCheckpoint(bytes, 'fromJSON');
    const meta = ck.metadata.brain;
    let saved: Partial<SavedOptions> = {};
    let formatter: DataFormatter;
    if (meta !== undefined) {
      const b = JSON.parse(meta) as { options: Partial<SavedOptions>; dataFormatter: unknown };
      saved = b.options ?? {};
      checkOptions(saved, ck.config.cell);
      formatter = DataFormatter.fromJSON(b.dataFormatter);
      const want = formatter.characters.length + (saved.marker === false ? 0 : 1);
      if (want !== ck.config.vocabSize)
        throw new RangeError(
          `Expected ${want} tokens in the model for its data formatter but it has ${ck.config.vocabSize}`,
        );
    } else {
      // A plain charrnn model: its vocabulary's tokens, no start/end marker.
      const tokens: Token[] = [];
      for (let i = 0; i < ck.vocabulary.size; i++) tokens.push(ck.vocabulary.tokenOf(i));
      formatter = new DataFormatter([tokens]);
      saved = { marker: false, hiddenLayers: [...ck.config.hiddenSizes], activation: ck.config.activation };
    }
    const model = CharRNN.fromParameters(ck.config, ck.vocabulary, ck.parameters, this.#backend);
    if (this.#model) this.#model.dispose();
    this.#model = model;
    this.dataFormatter = formatter;
    this.#marker = saved.marker !== false;
    this.hiddenLayers = [...ck.config.hiddenSizes];
    this.activation = ck.config.activation;
    for (const k of [
      'learningRate',
      'decayRate',
      'smoothEps',
      'regc',
      'clipval',
      'maxPredictionLength',
      'optimizer',
      'batchSize',
      'seed',
    ] as const)
      if (saved[k] !== undefined) (this as Record<string, unknown>)[k] = saved[k];
    this.#rng = new Rng(this.seed);
    this.#step = 0;
    return this;
  }

  /**
   * A standalone function (rawInput, isSampleI, temperature) that runs the trained net like run(), without
   * charrnn: its source (fn.toString()) holds the weights and the math. Sampling there uses Math.random.
   */
  toFunction(): (rawInput?: string | Token[], isSampleI?: boolean, temperature?: number) => string | Token[] {
    const model = this.#requireModel('export');
    const f = this.dataFormatter!;
    const params = model.parameters();
    const layout = model.layout;
    const find = (role: string, layer?: number) =>
      layout.tensors.find((t) => t.role === role && (layer === undefined || t.layer === layer));
    const arr = (t: { name: string } | undefined) => (t ? Array.from(params.get(t.name)!) : null);
    const c = model.config;
    const net: StandaloneNet = {
      cell: c.cell,
      activation: c.activation,
      vocabSize: c.vocabSize,
      embedding: c.embeddingSize > 0 ? { size: c.embeddingSize, weight: arr(find('embedding'))! } : null,
      layers: c.hiddenSizes.map((H, l) => ({
        size: H,
        inputSize: l === 0 ? (c.embeddingSize > 0 ? c.embeddingSize : c.vocabSize) : c.hiddenSizes[l - 1],
        weightIh: arr(find('weight_ih', l))!,
        weightHh: arr(find('weight_hh', l))!,
        biasIh: arr(find('bias_ih', l) ?? find('bias', l))!,
        biasHh: arr(find('bias_hh', l)),
      })),
      decoderWeight: arr(find('decoder_weight'))!,
      decoderBias: arr(find('decoder_bias'))!,
      marker: this.#marker,
      characters: f.characters,
      specialIndexes: f.specialIndexes,
      inputOutput: f.hasInputOutput,
      unrecognized: f.indexOfSpecial('unrecognized'),
      stopInput: f.indexOfSpecial('stop-input'),
      startOutput: f.indexOfSpecial('start-output'),
      maxPredictionLength: this.maxPredictionLength,
    };
    return new Function('rawInput', 'isSampleI', 'temperature', standaloneSource(net)) as ReturnType<
      RNN['toFunction']
    >;
  }
}

/** brain.js's recurrent.LSTM: a real LSTM (PyTorch's cell and gate order) on charrnn's engine. */
export class LSTM extends RNN {
  protected static override readonly cell: CellKind = 'lstm';
}

/** brain.js's recurrent.GRU (PyTorch's cell) on charrnn's engine. */
export class GRU extends RNN {
  protected static override readonly cell: CellKind = 'gru';
}

// trainChunkAsync for the TypeScript backend: one worker thread per session (chunk-worker.ts) that trains chunks in
// place on the model's arenas when they live in SharedArrayBuffers (CharRNN allocates them so for this backend where
// the runtime has them). The chunk's ids, carried state and mask stream are copied over and the state and stream
// copied back, as the native AsyncWorker does. node:worker_threads is imported on first use only, so the module
// loads where there are no worker threads; there, or where the worker cannot start (a single-file bundle without
// chunk-worker.js beside it), chunks run in place. The worker holds the process open only while a chunk is in flight.
import type { Arenas, Chunk, ChunkResult, StepHyper } from '../backend.js';
import type { ModelConfig } from '../../model/config.js';

type NodeWorker = import('node:worker_threads').Worker;

interface Reply {
  ok: boolean;
  loss: number;
  gradNorm: number;
  hidden: Float32Array;
  rngState?: Uint32Array;
  error?: unknown;
}

/** True when every arena is backed by a SharedArrayBuffer (a worker can then work on them in place). */
export function sharedArenas(arenas: Arenas): boolean {
  return (
    typeof SharedArrayBuffer === 'function' &&
    arenas.params.buffer instanceof SharedArrayBuffer &&
    arenas.grads.buffer instanceof SharedArrayBuffer &&
    arenas.optState.buffer instanceof SharedArrayBuffer
  );
}

/** The worker's entry: the compiled .js beside this file, or under a TypeScript loader (tests, tsx) the .ts source. */
async function createWorker(config: ModelConfig, arenas: Arenas): Promise<NodeWorker> {
  const { Worker } = await import('node:worker_threads');
  const here = import.meta.url;
  if (!here.endsWith('.ts'))
    return new Worker(new URL('./chunk-worker.js', here), { workerData: { config, arenas } });
  const { createRequire } = await import('node:module');
  const { pathToFileURL } = await import('node:url');
  // tsx's ESM API (its package exports resolve a require() to the CommonJS twin, index.cjs, beside index.mjs).
  const tsxApi = pathToFileURL(
    createRequire(here)
      .resolve('tsx/esm/api')
      .replace(/\.cjs$/, '.mjs'),
  ).href;
  const entry = new URL('./chunk-worker.ts', here).href;
  const code = `import(${JSON.stringify(tsxApi)}).then((m) => { m.register(); return import(${JSON.stringify(entry)}); });`;
  return new Worker(code, { eval: true, workerData: { config, arenas } });
}

/**
 * A worker that has opened its session (its first message), or undefined where none can start: no worker threads
 * (a browser bundle), or no worker file beside this module (a single-file bundle such as charrnn/brain's CommonJS
 * build). Then chunks run in place.
 */
async function startWorker(config: ModelConfig, arenas: Arenas): Promise<NodeWorker | undefined> {
  let worker: NodeWorker;
  try {
    worker = await createWorker(config, arenas);
  } catch {
    return undefined;
  }
  const w = worker;
  const ready = await new Promise<boolean>((resolve) => {
    const done = (ok: boolean) => {
      w.off('message', onMessage);
      w.off('error', onFail);
      w.off('exit', onFail);
      resolve(ok);
    };
    const onMessage = () => done(true);
    const onFail = () => done(false);
    w.once('message', onMessage);
    w.once('error', onFail);
    w.once('exit', onFail);
  });
  if (!ready) {
    void w.terminate();
    return undefined;
  }
  w.unref();
  return w;
}

export class ChunkThread {
  #worker: Promise<NodeWorker | undefined> | undefined;
  #closed = false;

  constructor(
    private readonly config: ModelConfig,
    private readonly arenas: Arenas,
  ) {}

  /** The chunk in the worker; in place (`inPlace`) where no worker can start. */
  async train(chunk: Chunk, hyper: StepHyper, inPlace: () => ChunkResult): Promise<ChunkResult> {
    this.#worker ??= startWorker(this.config, this.arenas);
    const worker = await this.#worker;
    if (this.#closed) throw new Error('charrnn: the session was disposed while a chunk was starting');
    if (worker === undefined) return inPlace();
    const job = {
      chunk: {
        inputs: chunk.inputs.slice(),
        targets: chunk.targets.slice(),
        batch: chunk.batch,
        steps: chunk.steps,
        hidden: chunk.hidden.slice(),
        rngState: chunk.rngState?.slice(),
      },
      hyper,
    };
    worker.ref();
    try {
      const reply = await new Promise<Reply>((resolve, reject) => {
        const onError = (err: Error) => {
          worker.off('message', onMessage);
          this.#worker = undefined; // a dead worker is replaced by the next call
          reject(err);
        };
        const onMessage = (m: Reply) => {
          worker.off('error', onError);
          resolve(m);
        };
        worker.once('message', onMessage);
        worker.once('error', onError);
        worker.postMessage(job);
      });
      if (!reply.ok) throw reply.error;
      chunk.hidden.set(reply.hidden);
      if (chunk.rngState && reply.rngState) chunk.rngState.set(reply.rngState);
      return { loss: reply.loss, gradNorm: reply.gradNorm };
    } finally {
      worker.unref();
    }
  }

  close(): void {
    this.#closed = true;
    const w = this.#worker;
    this.#worker = undefined;
    void w?.then((worker) => worker?.terminate()).catch(() => {});
  }
}

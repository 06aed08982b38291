// The worker thread behind the TypeScript backend's trainChunkAsync (see chunk-thread.ts): it opens the same
// session over the model's arenas, which live in SharedArrayBuffers, and runs each chunk it is sent in place on them,
// so the main thread's event loop stays free and the arithmetic (and so every bit of the result) is the same.
import { parentPort, workerData } from 'node:worker_threads';
import type { Arenas, Chunk, StepHyper } from '../backend.js';
import type { ModelConfig } from '../../model/config.js';
import { jsBackend } from './index.js';

interface Opened {
  config: ModelConfig;
  arenas: Arenas;
}
interface Job {
  chunk: Chunk;
  hyper: StepHyper;
}

const { config, arenas } = workerData as Opened;
const session = jsBackend.open(config, arenas);
parentPort!.postMessage({ ready: true }); // the session is open: the host starts sending chunks
parentPort!.on('message', ({ chunk, hyper }: Job) => {
  try {
    const r = session.trainChunk(chunk, hyper);
    parentPort!.postMessage({
      ok: true,
      loss: r.loss,
      gradNorm: r.gradNorm,
      hidden: chunk.hidden,
      rngState: chunk.rngState,
    });
  } catch (err) {
    parentPort!.postMessage({ ok: false, error: err });
  }
});

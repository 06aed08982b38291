// What every JS backend session shares: arena checks, the float64 gradient accumulator, and the
// gradient / trainChunk / dispose plumbing around a cell-specific forwardBackward. No math here.
import type { Arenas, Chunk, ChunkResult, StepHyper } from '../backend.js';
import type { ModelConfig } from '../../model/config.js';
import { checkArenas, checkChunk, checkHyper } from './check.js';
import { applyUpdate } from './optim.js';

export abstract class JsSessionBase {
  readonly backend = 'js' as const;
  /** Number of parameters (arena length). */
  protected readonly P: number;
  /** Gradient accumulator in float64; copied into the float32 grads arena once per chunk. */
  protected readonly gacc: Float64Array;
  private disposed = false;

  constructor(
    protected readonly config: ModelConfig,
    protected readonly arenas: Arenas,
  ) {
    this.P = checkArenas(config, arenas);
    this.gacc = new Float64Array(this.P);
  }

  protected live(): void {
    if (this.disposed) throw new Error('This backend session has been disposed');
  }

  /** Forward over the chunk and full BPTT into this.gacc; carries the state; returns the summed loss. */
  protected abstract forwardBackward(chunk: Chunk, reduction: 'sum' | 'mean'): number;

  gradient(chunk: Chunk, reduction: 'sum' | 'mean'): number {
    this.live();
    checkChunk(this.config, chunk);
    if (reduction !== 'sum' && reduction !== 'mean')
      throw new RangeError(`Expected one of 'sum', 'mean' for reduction but received ${String(reduction)}`);
    const lossSum = this.forwardBackward(chunk, reduction);
    const g = this.arenas.grads;
    const acc = this.gacc;
    for (let i = 0; i < this.P; i++) g[i] = acc[i];
    return lossSum / (chunk.batch * chunk.steps);
  }

  trainChunk(chunk: Chunk, hyper: StepHyper): ChunkResult {
    this.live();
    checkChunk(this.config, chunk);
    checkHyper(hyper, this.arenas, this.P);
    const lossSum = this.forwardBackward(chunk, hyper.reduction);
    const gradNorm = applyUpdate(this.gacc, this.arenas, this.P, hyper);
    return { loss: lossSum / (chunk.batch * chunk.steps), gradNorm };
  }

  trainChunkAsync(chunk: Chunk, hyper: StepHyper): Promise<ChunkResult> {
    try {
      return Promise.resolve(this.trainChunk(chunk, hyper));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  dispose(): void {
    this.disposed = true;
  }
}

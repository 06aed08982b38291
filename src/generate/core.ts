// ModelCore: the narrow view of a CharRNN that sessions, generation, beam search and scoring work through.
// CharRNN builds it over its private backend session (every call re-checks that the model is idle).
// Deliberately no arenas and no training: generation code cannot reach the parameters.
import type { EvalResult, SampleRequest } from '../backends/backend.js';
import type { ModelConfig } from '../model/config.js';
import type { TokenVocabulary } from '../text/vocabulary.js';

export interface ModelCore {
  readonly config: ModelConfig;
  readonly vocabulary: TokenVocabulary;
  /** stateSize(config, 1): floats of one stream's recurrent state. */
  readonly stateSize: number;
  /** BackendSession.step: feed `token` into `hidden` (in place), write the next distribution at `temperature`. */
  step(hidden: Float32Array, token: number, probs: Float32Array, temperature: number): void;
  /** BackendSession.stepBatch: step() for tokens.length streams in one call, each bit for bit as step() alone. */
  stepBatch(states: Float32Array, tokens: Int32Array, probs: Float32Array, temperature: number): void;
  /** BackendSession.sample: the backend's whole sampling loop (temperature / greedy and the transform rule). */
  sampleLoop(req: SampleRequest): Int32Array;
  /** BackendSession.evaluate. */
  evaluate(ids: Int32Array, hidden?: Float32Array): EvalResult;
}

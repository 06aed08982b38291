// Central finite differences against a backend's analytic BPTT gradient, tensor by tensor.
import type { BackendSession, Arenas, Chunk } from '../../src/backends/backend.js';
import type { ModelConfig } from '../../src/model/config.js';
import { layoutFor } from '../../src/model/spec.js';
import { cloneChunk } from '../helpers/model.js';

export interface TensorReport {
  name: string;
  maxAbsErr: number;
  maxRelErr: number;
  worstIndex: number;
  ok: boolean;
}

/**
 * Compare `analytic` (a gradient laid out like the params arena) with central differences of the mean
 * chunk loss. Each element passes when |a − n| ≤ atol + rtol·|n|.
 */
export function gradCheck(
  session: BackendSession,
  config: ModelConfig,
  arenas: Arenas,
  chunk: Chunk,
  analytic: Float32Array,
  opts: { eps: number; atol: number; rtol: number },
): TensorReport[] {
  const layout = layoutFor(config);
  const p = arenas.params;
  const loss = () => session.gradient(cloneChunk(chunk), 'mean');
  const reports: TensorReport[] = [];
  for (const t of layout.tensors) {
    let maxAbsErr = 0;
    let maxRelErr = 0;
    let worstIndex = -1;
    let ok = true;
    for (let k = 0; k < t.size; k++) {
      const i = t.offset + k;
      const orig = p[i];
      p[i] = orig + opts.eps;
      const up = p[i];
      const lp = loss();
      p[i] = orig - opts.eps;
      const down = p[i];
      const lm = loss();
      p[i] = orig;
      const numeric = (lp - lm) / (up - down); // the float32-rounded step actually taken
      const a = analytic[i];
      const abs = Math.abs(a - numeric);
      const rel = abs / Math.max(Math.abs(a) + Math.abs(numeric), 1e-12);
      if (abs > maxAbsErr) {
        maxAbsErr = abs;
        worstIndex = k;
      }
      maxRelErr = Math.max(maxRelErr, rel);
      if (!(abs <= opts.atol + opts.rtol * Math.abs(numeric))) ok = false;
    }
    reports.push({ name: t.name, maxAbsErr, maxRelErr, worstIndex, ok });
  }
  return reports;
}

/**
 * The gradient BPTT truncated to one step: the chunk run as T one-step chunks (hidden state carried, so only the
 * through-time terms dh_next / dc_next are lost), averaged like the mean loss. For the gradient checks' negative
 * controls.
 */
export function truncatedGradient(
  session: BackendSession,
  config: ModelConfig,
  arenas: Arenas,
  chunk: Chunk,
): Float32Array {
  const P = layoutFor(config).size;
  const truncated = new Float32Array(P);
  const hidden = chunk.hidden.slice();
  for (let t = 0; t < chunk.steps; t++) {
    const one = {
      inputs: chunk.inputs.subarray(t, t + 1),
      targets: chunk.targets.subarray(t, t + 1),
      batch: 1,
      steps: 1,
      hidden,
    };
    session.gradient(one, 'mean');
    for (let i = 0; i < P; i++) truncated[i] += arenas.grads[i] / chunk.steps;
  }
  return truncated;
}

// Backend parity: one test body run for every flavour (js, native-scalar, native-avx2, native-avx512) against the
// JS reference.
// Each quantity has its own tolerance with the reason next to it; NaN/Inf positions are compared first and
// the largest difference is always printed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type {
  Arenas,
  Backend,
  BackendSession,
  Chunk,
  OptimizerKind,
  StepHyper,
} from '../../src/backends/backend.js';
import { optimizerSlots } from '../../src/backends/backend.js';
import { jsBackend } from '../../src/backends/js/index.js';
import { applyUpdate } from '../../src/backends/js/optim.js';
import { loadNative } from '../../src/backends/native.js';
import { drawFromProbs } from '../../src/sampling/draw.js';
import { resolveModelConfig, type ModelConfig } from '../../src/model/config.js';
import { layoutFor } from '../../src/model/spec.js';
import { Rng } from '../../src/util/rng.js';
import { cloneArenas, cloneChunk, seededArenas, seededChunk } from '../helpers/model.js';
import { compare, FLAVOURS, flavourRunner, relDiff } from '../helpers/parity.js';

const native = loadNative();

/** Seeded arenas: every parameter N(0, 0.1²) (biases too, so their gradients are exercised). */
const arenasFor = (config: ModelConfig, seed: number, slots = 2): Arenas =>
  seededArenas(config, seed, 0.1, slots);
const chunkFor = (config: ModelConfig, B: number, T: number, seed: number): Chunk =>
  seededChunk(config, B, T, seed);

function hyperFor(
  kind: OptimizerKind,
  clipValue: number,
  clipNorm: number,
  step: number,
  reduction: 'sum' | 'mean',
): StepHyper {
  return {
    optimizer: {
      kind,
      lr: kind === 'sgd' ? 0.05 : kind === 'adagrad' ? 0.1 : 2e-3,
      momentum: kind === 'sgd' ? 0.9 : 0,
      beta1: 0.9,
      beta2: kind === 'rmsprop' ? 0.99 : 0.999,
      eps: 1e-8,
      weightDecay: kind === 'adam' ? 0.01 : 0,
    },
    clipValue,
    clipNorm,
    step,
    reduction,
  };
}

const dataDir = process.env.CHARRNN_DATA_DIR;

describe.each(FLAVOURS)('parity: $name vs the JS reference', (flavour) => {
  const { name, isa } = flavour;
  const runner = flavourRunner(flavour);
  const run = runner.run;

  let backend: Backend;
  beforeAll(() => {
    if (run) backend = runner.backend();
  });
  afterAll(() => {
    runner.restore();
  });

  // H = 37 and V = 29 are not multiples of any SIMD width, so every kernel's remainder path runs; T·B ≥ V
  // and T·B < V both occur, so both dWxh strategies of native/nn/rnn.cc are covered.
  const config = resolveModelConfig({ hiddenSize: 37, vocabSize: 29 });
  const P = layoutFor(config).size;

  it.runIf(run && isa !== undefined)('derives the same parameter layout as src/model/layout.ts', () => {
    for (const [H, V] of [
      [37, 29],
      [100, 65],
      [1, 2],
    ]) {
      const l = layoutFor(resolveModelConfig({ hiddenSize: H, vocabSize: V }));
      const n = native.binding!.layout('rnn', 'tanh', V, Int32Array.of(H), 0, 0);
      expect(n).toEqual({
        tensors: l.tensors.map(({ name, offset, size }) => ({ name, offset, size })),
        size: l.size,
        stateSize: H,
      });
    }
  });

  describe.each([
    { B: 1, T: 1 },
    { B: 4, T: 1 },
    { B: 1, T: 64 },
    { B: 4, T: 64 },
  ])('B=$B T=$T', ({ B, T }) => {
    it.runIf(run).each(['sum', 'mean'] as const)('gradient (reduction %s)', (reduction) => {
      const ref = arenasFor(config, 11);
      const got = cloneArenas(ref);
      const chunk = chunkFor(config, B, T, 12);
      const cRef = cloneChunk(chunk);
      const cGot = cloneChunk(chunk);
      const lossRef = jsBackend.open(config, ref).gradient(cRef, reduction);
      const lossGot = backend.open(config, got).gradient(cGot, reduction);
      // Loss: a mean of −log p in float64 from float32 logits (native) vs float64 logits (js): 1e-5 relative.
      console.log(`loss ${lossGot} vs ${lossRef} (rel ${relDiff(lossGot, lossRef).toExponential(2)})`);
      expect(relDiff(lossGot, lossRef)).toBeLessThanOrEqual(1e-5);
      // Carried state h_T: T tanh steps in float32 vs float64, |h| ≤ 1: 1e-5 absolute.
      compare('hidden h_T', cGot.hidden, cRef.hidden, 0, 1e-5);
      // Gradients, per tensor: float32 sums of up to T·B·max(H, V) products (native) vs float64 (js), and
      // through-time terms compounding over up to 64 steps: |a − b| ≤ 1e-4·max|g| + 1e-6.
      for (const t of layoutFor(config).tensors) {
        const s = (a: Float32Array) => a.subarray(t.offset, t.offset + t.size);
        compare(`d${t.name}`, s(got.grads), s(ref.grads), 1e-4, 1e-6);
      }
    });

    it.runIf(run).each([
      { kind: 'sgd', clipValue: 0, clipNorm: 0 },
      { kind: 'sgd', clipValue: 0.05, clipNorm: 0 },
      { kind: 'adagrad', clipValue: 5, clipNorm: 0 },
      { kind: 'adagrad', clipValue: 0, clipNorm: 0.5 },
      { kind: 'rmsprop', clipValue: 0.05, clipNorm: 0.5 },
      { kind: 'adam', clipValue: 0, clipNorm: 1 },
      { kind: 'adam', clipValue: 0.02, clipNorm: 0 },
    ] as const)(
      'trainChunk $kind clipValue=$clipValue clipNorm=$clipNorm',
      ({ kind, clipValue, clipNorm }) => {
        const ref = arenasFor(config, 21, optimizerSlots(kind));
        const got = cloneArenas(ref);
        const sRef = jsBackend.open(config, ref);
        const sGot = backend.open(config, got);
        const chunk = chunkFor(config, B, T, 22);
        const cRef = cloneChunk(chunk);
        const cGot = cloneChunk(chunk);
        for (let step = 1; step <= 3; step++) {
          const hyper = hyperFor(kind, clipValue, clipNorm, step, step === 2 ? 'mean' : 'sum');
          // The update alone, on identical inputs: apply the JS update to this backend's own pre-update
          // arenas and gradient. The arithmetic is the same sequence of float64 operations over float32
          // storage on both sides, so only rounding of the stores can differ: 1e-6 relative.
          const before = cloneArenas(got);
          const r = sGot.trainChunk(cGot, hyper);
          const rr = sRef.trainChunk(cRef, hyper);
          const own = cloneArenas(before);
          // got.grads holds the gradient after value clipping; clamping again is the identity.
          applyUpdate(Float64Array.from(got.grads), own, P, hyper);
          compare(`${kind} step ${step} update on own gradient: params`, got.params, own.params, 1e-6, 1e-7);
          compare(
            `${kind} step ${step} update on own gradient: optState`,
            got.optState,
            own.optState,
            1e-6,
            1e-9,
          );
          // End to end against the JS backend: loss 1e-5 relative (as above); gradNorm is a float64 sum of
          // squares dominated by the largest elements, each within 1e-4·max|g|: 1e-4 relative.
          expect(relDiff(r.loss, rr.loss), `loss step ${step}`).toBeLessThanOrEqual(1e-5);
          expect(relDiff(r.gradNorm, rr.gradNorm), `gradNorm step ${step}`).toBeLessThanOrEqual(1e-4);
          compare(`${kind} step ${step} clipped grads`, got.grads, ref.grads, 1e-4, 1e-6);
        }
        // Parameters after 3 updates vs the JS backend. Adagrad/Adam/RMSProp divide by √(state) ≈ |g|, so a
        // gradient element near 0 turns its 1e-4·max|g| rounding into up to lr·O(1) in the step: the bound is
        // 3 steps × lr (sign-like optimizers) and 1e-4 relative to the largest weight for SGD.
        const lr = hyperFor(kind, 0, 0, 1, 'sum').optimizer.lr;
        compare(`${kind} params after 3 steps`, got.params, ref.params, 0, kind === 'sgd' ? 1e-4 : 3 * lr);
        compare('hidden after 3 steps', cGot.hidden, cRef.hidden, 0, 1e-4);
      },
    );
  });

  it.runIf(run)('evaluate: from zero state and from a given state, longer than one native block', () => {
    const a = arenasFor(config, 31);
    const rng = new Rng(32);
    const ids = new Int32Array(300);
    for (let i = 0; i < ids.length; i++) ids[i] = rng.nextU32() % config.vocabSize;
    const h0 = new Float32Array(config.hiddenSize).map(() => rng.nextFloat() - 0.5);
    const h0Copy = h0.slice();
    const sRef = jsBackend.open(config, a);
    const sGot = backend.open(config, a);
    for (const hidden of [undefined, h0]) {
      const r = sRef.evaluate(ids, hidden);
      const g = sGot.evaluate(ids, hidden);
      // 299 float32 steps vs float64, summed in float64: 1e-5 relative on the total.
      console.log(
        `evaluate totalNats ${g.totalNats} vs ${r.totalNats} (rel ${relDiff(g.totalNats, r.totalNats).toExponential(2)})`,
      );
      expect(g.count).toBe(299);
      expect(relDiff(g.totalNats, r.totalNats)).toBeLessThanOrEqual(1e-5);
    }
    expect(h0).toEqual(h0Copy); // a given state is copied, never written
    // gradient() and evaluate() score the same forward pass (what a native gradient check relies on).
    const chunk = {
      inputs: ids.subarray(0, 299),
      targets: ids.subarray(1, 300),
      batch: 1,
      steps: 299,
      hidden: new Float32Array(config.hiddenSize),
    };
    const loss = sGot.gradient(chunk, 'mean');
    expect(relDiff(loss, sGot.evaluate(ids).totalNats / 299)).toBeLessThanOrEqual(1e-6);
  });

  it.runIf(run)('step: probabilities and state within 1e-5 at several temperatures', () => {
    const a = arenasFor(config, 41);
    const sRef = jsBackend.open(config, a);
    const sGot = backend.open(config, a);
    const hRef = new Float32Array(config.hiddenSize);
    const hGot = new Float32Array(config.hiddenSize);
    const pRef = new Float32Array(config.vocabSize);
    const pGot = new Float32Array(config.vocabSize);
    const tokens = [3, 0, 28, 7, 7, 15];
    for (const temperature of [1, 0.5, 2, 1e-3]) {
      for (const tok of tokens) {
        sRef.step(hRef, tok, pRef, temperature);
        sGot.step(hGot, tok, pGot, temperature);
        // probabilities in [0, 1] from float32 logits: 1e-5 absolute (the bound); state likewise.
        compare(`step T=${temperature} probs`, pGot, pRef, 0, 1e-5);
        compare(`step T=${temperature} hidden`, hGot, hRef, 0, 1e-5);
      }
      let sum = 0;
      for (const p of pGot) sum += p;
      expect(Math.abs(sum - 1)).toBeLessThan(1e-5);
    }
  });

  it.runIf(run).each([
    { greedy: false, temperature: 0.8 },
    { greedy: false, temperature: 1.5 },
    { greedy: true, temperature: 1 },
  ])(
    'sample (greedy=$greedy, T=$temperature): identical tokens and rng state to a JS re-draw',
    ({ greedy, temperature }) => {
      const a = arenasFor(config, 51);
      const s = backend.open(config, a);
      const prime = Int32Array.from([1, 2, 3, 5, 8]);
      const hidden = new Float32Array(config.hiddenSize);
      const rng = new Rng(52);
      const req = {
        hidden: hidden.slice(),
        prime,
        length: 200,
        temperature,
        greedy,
        rngState: rng.state.slice(),
      };
      const tokens = s.sample(req);
      // Re-draw in JS over this backend's own step probabilities (draw.ts is the rule both implement).
      const h = hidden.slice();
      const probs = new Float32Array(config.vocabSize);
      const r = new Rng(rng.state.slice());
      const t = greedy ? 1 : temperature;
      for (const tok of prime) s.step(h, tok, probs, t);
      const expected = new Int32Array(req.length);
      for (let i = 0; i < req.length; i++) {
        let tok = 0;
        if (greedy) {
          for (let k = 1; k < probs.length; k++) if (probs[k] > probs[tok]) tok = k;
        } else tok = drawFromProbs(probs, r);
        expected[i] = tok;
        s.step(h, tok, probs, t);
      }
      expect(Array.from(tokens)).toEqual(Array.from(expected));
      expect(Array.from(req.rngState)).toEqual(Array.from(r.state));
      expect(Array.from(req.hidden)).toEqual(Array.from(h));
      expect(new Set(tokens).size).toBeGreaterThan(greedy ? 0 : 5);
    },
  );

  // The acceptance check: 500 consecutive W1 (min-char-rnn) training steps on tinyshakespeare.
  //
  // Measured finding: the literal "free-running trajectories agree within 1e-3 at every step" cannot hold for
  // any two implementations that are not bit-identical. W1's Adagrad (lr 0.1, eps 1e-8 inside the sqrt) is
  // sign-like in its first steps and amplifies rounding-level gradient differences by up to 1e3, and the
  // model is chaotic early on: the JS reference run against itself with ONE weight nudged by one float32
  // ulp exceeds 1e-3 at step 8 and reaches 0.92 relative over 500 steps. So the check is split in two:
  //  (a) along the JS trajectory ("teacher-forced"): before every one of the 500 steps the candidate gets
  //      the reference's exact params, optimizer state and hidden state; loss, gradNorm and every gradient
  //      must then agree to float rounding at every step, over every weight regime the run visits;
  //  (b) free-running: both backends train on their own; the first step beyond 1e-3 and the max relative
  //      difference are printed, and both must learn alike (mean loss of steps 401..500 within 15%: measured 1–7%).
  const w1 = (() => {
    if (!dataDir) return undefined;
    const text = readFileSync(join(dataDir, 'tinyshakespeare.txt'), 'utf8');
    const chars = [...new Set(text)].sort();
    const index = new Map(chars.map((c, i) => [c, i]));
    const data = Int32Array.from(text, (c) => index.get(c)!);
    const cfg = resolveModelConfig({ hiddenSize: 100, vocabSize: chars.length });
    const layout = layoutFor(cfg);
    const rng = new Rng(1234);
    const params = new Float32Array(layout.size); // biases 0
    for (const t of layout.tensors)
      if (t.name.startsWith('W'))
        for (let i = 0; i < t.size; i++) params[t.offset + i] = rng.nextGaussian() * 0.01;
    const T = 25;
    const chunkAt = (step: number, hidden: Float32Array): Chunk => {
      const p = ((step - 1) * T) % (data.length - T - 1); // 500 steps never wrap on this corpus
      return {
        inputs: data.subarray(p, p + T),
        targets: data.subarray(p + 1, p + T + 1),
        batch: 1,
        steps: T,
        hidden,
      };
    };
    const hyper = (step: number): StepHyper => ({
      optimizer: {
        kind: 'adagrad',
        lr: 0.1,
        momentum: 0,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-8,
        weightDecay: 0,
      },
      clipValue: 5,
      clipNorm: 0,
      step,
      reduction: 'sum',
    });
    const fresh = (): Arenas => ({
      params: params.slice(),
      grads: new Float32Array(layout.size),
      optState: new Float32Array(layout.size),
    });
    return { cfg, layout, chunkAt, hyper, fresh };
  })();
  const needData = (): boolean => {
    if (w1) return true;
    if (process.env.CI) throw new Error('CHARRNN_DATA_DIR is not set (needed for tinyshakespeare.txt)');
    console.log('CHARRNN_DATA_DIR not set: skipping the 500-step W1 checks');
    return false;
  };

  it.runIf(run)('W1 (a): 500 steps along the JS trajectory agree to float rounding at every step', () => {
    if (!needData() || !w1) return;
    const ref = w1.fresh();
    const got = w1.fresh();
    const sRef = jsBackend.open(w1.cfg, ref);
    const sGot = backend.open(w1.cfg, got);
    const hRef = new Float32Array(100);
    const hGot = new Float32Array(100);
    let maxLoss = 0;
    let maxNorm = 0;
    let maxGrad = 0; // max over steps of max|Δg| / (max|g| per tensor)
    for (let step = 1; step <= 500; step++) {
      got.params.set(ref.params);
      got.optState.set(ref.optState);
      hGot.set(hRef);
      const r = sRef.trainChunk(w1.chunkAt(step, hRef), w1.hyper(step));
      const g = sGot.trainChunk(w1.chunkAt(step, hGot), w1.hyper(step));
      maxLoss = Math.max(maxLoss, relDiff(g.loss, r.loss));
      maxNorm = Math.max(maxNorm, relDiff(g.gradNorm, r.gradNorm));
      for (const t of w1.layout.tensors) {
        let scale = 0;
        let diff = 0;
        for (let i = t.offset; i < t.offset + t.size; i++) {
          scale = Math.max(scale, Math.abs(ref.grads[i]));
          diff = Math.max(diff, Math.abs(got.grads[i] - ref.grads[i]));
        }
        // clipped gradients: same bound as the chunk test (1e-4·max|g| + 1e-6 per tensor)
        expect(diff, `step ${step} d${t.name}`).toBeLessThanOrEqual(1e-4 * scale + 1e-6);
        maxGrad = Math.max(maxGrad, diff / Math.max(scale, 1e-30));
      }
    }
    console.log(
      `W1 (a) ${name}: max rel diff over 500 steps: loss ${maxLoss.toExponential(2)}, gradNorm ${maxNorm.toExponential(2)}, grads ${maxGrad.toExponential(2)}·max|g|`,
    );
    // loss and gradNorm: 1e-5 / 1e-4 relative, as in the chunk test
    expect(maxLoss).toBeLessThanOrEqual(1e-5);
    expect(maxNorm).toBeLessThanOrEqual(1e-4);
  });

  it.runIf(run)('W1 (b): 500 free-running steps learn alike; divergence reported', () => {
    if (!needData() || !w1) return;
    const sessions = [jsBackend.open(w1.cfg, w1.fresh()), backend.open(w1.cfg, w1.fresh())];
    const hidden = [new Float32Array(100), new Float32Array(100)];
    const losses: number[][] = [[], []];
    let maxRel = 0;
    let firstAbove = 0;
    for (let step = 1; step <= 500; step++) {
      sessions.forEach((s: BackendSession, k) =>
        losses[k].push(s.trainChunk(w1.chunkAt(step, hidden[k]), w1.hyper(step)).loss),
      );
      const rel = relDiff(losses[1][step - 1], losses[0][step - 1]);
      maxRel = Math.max(maxRel, rel);
      if (!firstAbove && rel > 1e-3) firstAbove = step;
    }
    const tail = (a: number[]) => a.slice(400).reduce((x, y) => x + y, 0) / 100;
    console.log(
      `W1 (b) ${name}: mean loss of steps 401..500 ${tail(losses[1]).toFixed(4)} vs js ${tail(losses[0]).toFixed(4)}; ` +
        `max relative diff ${maxRel.toExponential(2)}; first step beyond 1e-3: ${firstAbove || 'none'}`,
    );
    expect(relDiff(tail(losses[1]), tail(losses[0]))).toBeLessThanOrEqual(0.15);
    expect(tail(losses[1])).toBeLessThan(0.85 * Math.log(w1.cfg.vocabSize)); // it learned (ln V = uniform)
  });
});

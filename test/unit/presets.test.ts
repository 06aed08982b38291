// Training presets (issue 16): every recipe is valid and trains, overrides win over the preset's values, and an
// unknown name is an error that lists the valid ones.
import { describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { resolveModelConfig } from '../../src/model/config.js';
import { resolveOptimizer } from '../../src/run/optim.js';
import { parseSchedule } from '../../src/run/schedule.js';
import { Corpus } from '../../src/text/corpus.js';
import { getPreset, PRESET_NAMES, PRESETS, presetOptions } from '../../src/train/presets.js';
import { train, type TrainEvent } from '../../src/train/trainer.js';

// A small made-up text (not the corpus the presets are tuned on).
const text = 'the quick brown fox jumps over the lazy dog; pack my box with five dozen jugs.\n'.repeat(30);

describe('presets', () => {
  it('lists 5min, 15min and 60min, each with a budget of that many minutes', () => {
    expect([...PRESET_NAMES]).toEqual(['5min', '15min', '60min']);
    expect(Object.keys(PRESETS)).toEqual([...PRESET_NAMES]);
    for (const name of PRESET_NAMES) {
      const p = getPreset(name);
      expect(p.name).toBe(name);
      expect(p.training.maxTrainTime).toBe(Number.parseInt(name) * 60);
      expect(p.summary.length).toBeGreaterThan(10);
    }
  });

  it('every recipe is a valid model config, optimizer and schedule', () => {
    for (const name of PRESET_NAMES) {
      const { model, training } = PRESETS[name];
      expect(() => resolveModelConfig({ ...model, vocabSize: 65 })).not.toThrow();
      expect(resolveOptimizer(training.optimizer).kind).toBe(training.optimizer.kind);
      expect(parseSchedule(training.lrSchedule).kind).toBe('cosine');
      expect(training.evalInterval).toBeGreaterThan(0);
      expect(training.evalInterval).toBeLessThanOrEqual(training.maxTrainTime);
    }
  });

  it('is frozen: a caller cannot change a preset for everyone', () => {
    const p = PRESETS['5min'];
    expect(Object.isFrozen(PRESETS)).toBe(true);
    expect(Object.isFrozen(p.model)).toBe(true);
    expect(Object.isFrozen(p.training.optimizer)).toBe(true);
    expect(() => {
      (p.model as { hiddenSize: number }).hiddenSize = 1;
    }).toThrow(TypeError);
  });

  it('an unknown name is a RangeError listing the valid ones', () => {
    expect(() => getPreset('7min')).toThrow(
      new RangeError(`Expected one of '5min', '15min', '60min' for preset but received "7min"`),
    );
    expect(() => getPreset('toString')).toThrow(RangeError); // not an inherited property
    expect(() => presetOptions('')).toThrow(RangeError);
  });

  it('presetOptions: given values override the preset, undefined ones leave it', () => {
    const base = PRESETS['15min'];
    const { model, training } = presetOptions('15min', {
      model: { hiddenSize: 32, dropout: undefined },
      training: { maxTime: 10, optimizer: { kind: 'sgd', lr: 0.1 }, batchSize: undefined },
    });
    expect(model).toEqual({ ...base.model, hiddenSize: 32 });
    expect(training).toEqual({ ...base.training, maxTime: 10, optimizer: { kind: 'sgd', lr: 0.1 } });
    // A copy: changing it leaves the preset alone.
    training.optimizer.lr = 1;
    expect(PRESETS['15min'].training.optimizer.lr).toBe(base.training.optimizer.lr);
  });

  for (const name of PRESET_NAMES)
    it(`${name} trains a few iterations on a tiny corpus, with its lr decaying over the budget`, async () => {
      const corpus = Corpus.fromText(text, { validationFraction: 0.1 });
      const { model: m, training } = presetOptions(name, {
        // A tiny corpus cannot fill a full batch of the preset's streams; 4 iterations are the budget here.
        training: { batchSize: 2, maxIters: 4, logEvery: 1 },
      });
      const model = CharRNN.create({ vocabulary: corpus.vocabulary, ...m, seed: 3 });
      expect(model.config.hiddenSize).toBe(PRESETS[name].model.hiddenSize);
      const lrs: number[] = [];
      const r = await train(model, corpus.train, corpus.validation, {
        ...training,
        onEvent: (e: TrainEvent) => e.type === 'progress' && lrs.push(e.lr!),
      });
      expect(r.iterations).toBe(4);
      expect(r.stoppedBy).toBe('maxIters');
      expect(Number.isFinite(r.validation!.loss)).toBe(true);
      // Cosine over the 4 iterations (maxIters is further along than maxTime, but for the first update, where the
      // clock's fraction of 5+ minutes is a few thousandths at most): lr × (1 + cos(πi/4)) / 2.
      const lr = PRESETS[name].training.optimizer.lr!;
      expect(lrs).toHaveLength(4);
      lrs.forEach((x, i) => expect(x).toBeCloseTo((lr * (1 + Math.cos((Math.PI * i) / 4))) / 2, 6));
      expect(r.state.optimizer).toMatchObject(PRESETS[name].training.optimizer);
    });
});

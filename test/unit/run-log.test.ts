// The run log (src/train/run-log.ts, src/train/run-log-file.ts): the records a real train() run produces through
// onEvent (schema: the fields docs/run-log.md promises), the writer's start / end records, a resumed session
// appending with the clock carried on (and an unfinished last line cut off first), and the reader's errors.
import {
  appendFileSync,
  closeSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { Corpus } from '../../src/text/corpus.js';
import { train, type TrainEvent } from '../../src/train/trainer.js';
import {
  RUN_LOG_SCHEMA,
  RunLogError,
  clockAtEnd,
  parseRunLog,
  toLogRecord,
} from '../../src/train/run-log.js';
import { defaultLogPath, readRunLog, RunLogWriter } from '../../src/train/run-log-file.js';
import { loadCheckpoint } from '../../src/io/checkpoint.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-runlog-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const corpus = Corpus.fromText('she sells sea shells by the sea shore.\n'.repeat(30), {
  validationFraction: 0.1,
});
const make = () => CharRNN.create({ vocabulary: corpus.vocabulary, hiddenSize: 10, seed: 2, backend: 'js' });
const settings = {
  seqLength: 8,
  batchSize: 2,
  evalEvery: 20,
  sampleEvery: 25,
  sampleLength: 12,
  logEvery: 10,
};

const isNum = (v: unknown) => typeof v === 'number' && Number.isFinite(v);

describe('trainer events as log records', () => {
  it('every event of a real run carries what its record needs', async () => {
    const events: TrainEvent[] = [];
    const r = await train(make(), corpus.train, corpus.validation, {
      ...settings,
      maxIters: 50,
      onEvent: (e) => events.push(e),
    });
    const progress = events.filter((e) => e.type === 'progress');
    expect(progress.map((e) => e.iteration)).toEqual([10, 20, 30, 40, 50]);
    for (const p of progress) {
      for (const k of [
        'epoch',
        'epochProgress',
        'loss',
        'meanLoss',
        'smoothLoss',
        'gradNorm',
        'charsPerSec',
        'elapsed',
        'trainTime',
        'lr',
      ] as const)
        expect(isNum(p[k]), k).toBe(true);
      expect(p.trainTime).toBeLessThanOrEqual(p.elapsed);
      expect(p.eta).toBeGreaterThanOrEqual(0);
    }
    // The windowed mean is the mean of the chunk losses since the previous event, not the EMA.
    expect(progress[0].meanLoss).not.toBe(progress[0].smoothLoss);
    // 'validating' announces each validation; the eval carries lr, epoch and both clocks; the last one is final.
    const kinds = events.map((e) => e.type).filter((t) => t === 'validating' || t === 'eval');
    expect(kinds).toEqual(['validating', 'eval', 'validating', 'eval', 'validating', 'eval']);
    const evals = events.filter((e) => e.type === 'eval');
    expect(evals.map((e) => [e.iteration, e.final])).toEqual([
      [20, false],
      [40, false],
      [50, true],
    ]);
    for (const e of evals)
      for (const k of ['lr', 'epoch', 'elapsed', 'trainTime', 'valLoss'] as const)
        expect(isNum(e[k]), k).toBe(true);
    expect(events.filter((e) => e.type === 'sample').map((e) => e.iteration)).toEqual([25, 50]);
    expect(events.every((e) => isNum(e.elapsed))).toBe(true);
    expect(r.trainTime).toBeGreaterThan(0);
    expect(r.trainTime).toBeLessThanOrEqual(r.elapsed);
  });

  it('toLogRecord adds the clock of earlier sessions and skips "validating"', () => {
    const base = {
      iteration: 3,
      epoch: 0,
      epochProgress: 0.5,
      loss: 1,
      meanLoss: 1.5,
      smoothLoss: 2,
      gradNorm: 1,
      charsPerSec: 10,
      elapsed: 2,
      trainTime: 1,
      lr: 0.1,
    };
    expect(toLogRecord({ type: 'progress', ...base }, { elapsed: 100, trainTime: 50 })).toEqual({
      type: 'progress',
      ...base,
      elapsed: 102,
      trainTime: 51,
    });
    expect(
      toLogRecord({ type: 'sample', iteration: 3, elapsed: 2, text: 'x' }, { elapsed: 100, trainTime: 50 }),
    ).toEqual({
      type: 'sample',
      iteration: 3,
      elapsed: 102,
      text: 'x',
    });
    expect(
      toLogRecord({ type: 'validating', iteration: 3, elapsed: 2, tokens: 9, final: false }),
    ).toBeUndefined();
  });
});

describe('RunLogWriter', () => {
  it('writes start, the events and end as JSON Lines; a resumed session appends and continues the clock', async () => {
    const out = join(dir, 'run.safetensors');
    const path = defaultLogPath(out);
    expect(path).toBe(join(dir, 'run.log.jsonl'));
    const model = make();
    const log = await RunLogWriter.open(path);
    log.start({
      iteration: 0,
      model: { config: model.config, parameters: model.parameterCount, backend: model.backend },
    });
    const r = await train(model, corpus.train, corpus.validation, {
      ...settings,
      maxIters: 40,
      checkpoint: { path: out },
      onEvent: log.event,
    });
    log.end(r);
    log.close();
    const first = await readRunLog(path);
    expect(first[0]).toMatchObject({
      type: 'start',
      schema: RUN_LOG_SCHEMA,
      iteration: 0,
      elapsed: 0,
      trainTime: 0,
    });
    expect(Date.parse((first[0] as { date: string }).date)).not.toBeNaN();
    expect(first.map((x) => x.type)).toEqual([
      'start',
      'progress',
      'progress',
      'eval',
      'sample',
      'progress',
      'progress',
      'eval',
      'checkpoint',
      'end',
    ]);
    expect(first.at(-1)).toMatchObject({
      type: 'end',
      iteration: 40,
      stoppedBy: 'maxIters',
      valLoss: r.validation!.loss,
    });
    // The checkpoint train() wrote keeps the loss history.
    const { state, checkpoint } = await loadCheckpoint(out, { backend: 'js' });
    expect(checkpoint.lossHistory).toEqual(r.lossHistory);

    // A killed writer left half a line: appending cuts it off first.
    appendFileSync(path, '{"type":"progress","iterat');
    const clock = clockAtEnd(first);
    expect(clock.elapsed).toBe((first.at(-1) as { elapsed: number }).elapsed);
    const again = await RunLogWriter.open(path, { append: true });
    expect(again.clock).toEqual(clock);
    expect(again.appended).toBe(true);
    again.start({ iteration: state!.iteration, resumedFrom: out });
    const resumed = (await loadCheckpoint(out, { backend: 'js' })).model;
    const r2 = await train(resumed, corpus.train, corpus.validation, {
      resume: state!,
      lossHistory: checkpoint.lossHistory!,
      maxIters: 60,
      logEvery: 10,
      onEvent: again.event,
    });
    again.end(r2);
    again.close();
    const text = readFileSync(path, 'utf8');
    expect(text.endsWith('\n')).toBe(true);
    const all = parseRunLog(text, path);
    expect(all.slice(0, first.length)).toEqual(first);
    const rest = all.slice(first.length);
    expect(rest[0]).toMatchObject({
      type: 'resume',
      iteration: 40,
      resumedFrom: out,
      elapsed: clock.elapsed,
      trainTime: clock.trainTime,
    });
    const progress = rest.filter((x) => x.type === 'progress') as {
      iteration: number;
      elapsed: number;
      trainTime: number;
    }[];
    expect(progress.map((p) => p.iteration)).toEqual([50, 60]);
    for (const p of progress) {
      expect(p.elapsed).toBeGreaterThan(clock.elapsed);
      expect(p.trainTime).toBeGreaterThan(clock.trainTime);
    }
    expect(rest.at(-1)).toMatchObject({ type: 'end', iteration: 60 });
  });

  it('progressInterval merges progress events honestly and writes what is pending before other records', async () => {
    const path = join(dir, 'merged.log.jsonl');
    const log = await RunLogWriter.open(path, { progressInterval: 10 });
    log.start({ iteration: 0 });
    const ev = (iteration: number, elapsed: number, meanLoss: number, charsPerSec: number): TrainEvent => ({
      type: 'progress',
      iteration,
      epoch: 0,
      epochProgress: 0,
      loss: meanLoss,
      meanLoss,
      smoothLoss: 3,
      gradNorm: iteration,
      charsPerSec,
      elapsed,
      trainTime: elapsed / 2,
      lr: 0.1,
    });
    log.event(ev(10, 1, 2, 100)); // the first is written at once
    log.event(ev(20, 5, 4, 100)); // 10 iterations over 4 s
    log.event(ev(50, 7, 1, 400)); // 30 iterations over 2 s
    log.event(ev(60, 11, 5, 200)); // 10 over 4 s: 10 s since the last record, so the merge is written
    log.event(ev(70, 12, 6, 100));
    log.event({ type: 'sample', iteration: 70, elapsed: 12.5, text: 'x' }); // flushes the pending one first
    log.event(ev(80, 13, 7, 100));
    log.close(); // and so does close
    const records = parseRunLog(readFileSync(path, 'utf8')) as Record<string, number | string>[];
    expect(records.map((r) => [r.type, r.iteration])).toEqual([
      ['start', 0],
      ['progress', 10],
      ['progress', 60],
      ['progress', 70],
      ['sample', 70],
      ['progress', 80],
    ]);
    expect(records[2]).toMatchObject({
      meanLoss: (10 * 4 + 30 * 1 + 10 * 5) / 50,
      gradNorm: 60,
      elapsed: 11,
      trainTime: 5.5,
    });
    expect(records[2].charsPerSec).toBeCloseTo((100 * 4 + 400 * 2 + 200 * 4) / 10, 10);
    expect(records[3]).toMatchObject({ meanLoss: 6, iteration: 70 });
    await expect(RunLogWriter.open(path, { progressInterval: -1 })).rejects.toThrow(RangeError);
  });

  it('a new run replaces an existing log; a missing folder is made, a file in the way refused', async () => {
    const path = join(dir, 'replace.log.jsonl');
    writeFileSync(path, '{"type":"start"}\n{"type":"end"}\n');
    const log = await RunLogWriter.open(path);
    log.start({ iteration: 0 });
    log.close();
    expect(parseRunLog(readFileSync(path, 'utf8')).map((r) => r.type)).toEqual(['start']);
    const made = join(dir, 'made', 'x.log.jsonl');
    (await RunLogWriter.open(made)).close();
    expect(existsSync(made)).toBe(true);
    const blocked = join(path, 'x.log.jsonl');
    await expect(RunLogWriter.open(blocked)).rejects.toThrow(
      `Cannot write the run log to ${blocked}: ${path} is not a folder. HINT: choose another path (--log FILE, or --no-log)`,
    );
  });

  it('a failed write goes to onError once and the writer stops', async () => {
    const errors: string[] = [];
    const path = join(dir, 'fail.log.jsonl');
    const log = await RunLogWriter.open(path, { onError: (e) => errors.push(e.message) });
    log.start({ iteration: 0 });
    // The descriptor goes bad under the writer (as a full disk or a revoked file would make writes fail).
    const fd = (log as unknown as { fd: number }).fd;
    closeSync(fd);
    (log as unknown as { fd: number }).fd = 2 ** 30;
    log.start({ iteration: 1 });
    log.start({ iteration: 2 });
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/EBADF/);
    expect(
      parseRunLog(readFileSync(path, 'utf8')).map((r) => (r as { iteration: number }).iteration),
    ).toEqual([0]);
    // Without onError the failure is thrown.
    const strict = await RunLogWriter.open(join(dir, 'strict.log.jsonl'));
    closeSync((strict as unknown as { fd: number }).fd);
    (strict as unknown as { fd: number }).fd = 2 ** 30;
    expect(() => strict.start({ iteration: 0 })).toThrow(/EBADF/);
  });
});

describe('parseRunLog / readRunLog', () => {
  it('skips blank lines, drops an unfinished last line, keeps unknown record types', () => {
    expect(parseRunLog('{"type":"start"}\n\n{"type":"future","x":1}\n{"type":"progr')).toEqual([
      { type: 'start' },
      { type: 'future', x: 1 },
    ]);
  });

  it('names the line of a record that is not JSON or has no type', () => {
    expect(() => parseRunLog('{"type":"start"}\nnot json\n{"type":"end"}\n', 'a.jsonl')).toThrow(RunLogError);
    expect(() => parseRunLog('{"type":"start"}\nnot json\n{"type":"end"}\n', 'a.jsonl')).toThrow(
      /^a\.jsonl line 2 is not JSON/,
    );
    expect(() => parseRunLog('[1,2]\n', 'b.jsonl')).toThrow(
      'b.jsonl line 1 is not a run-log record (an object with a string "type")',
    );
  });

  it('a missing log is an Error with a hint', async () => {
    const path = join(dir, 'missing.log.jsonl');
    await expect(readRunLog(path)).rejects.toThrow(
      `Run log not found: ${path}. HINT: \`charrnn train\` writes one beside --out (or --log FILE)`,
    );
  });
});

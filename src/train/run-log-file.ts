// Run-log files (Node only): RunLogWriter appends the records of src/train/run-log.ts to a JSON Lines file as
// they happen (one synchronous write per record, so a killed run keeps every record before the kill), a resumed
// session appending to its run's log with the clock carried on; readRunLog reads one back. Deliberately no
// rendering (src/report) and no training.
import { closeSync, ftruncateSync, openSync, writeSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { VERSION } from '../version.js';
import { prepareOutputFolder, refuseSpecialFile } from '../util/files.js';
import {
  RUN_LOG_SCHEMA,
  clockAtEnd,
  formatLogRecord,
  parseRunLog,
  toLogRecord,
  type ParsedRecord,
  type RunLogClock,
  type RunLogRecord,
  type RunStartRecord,
} from './run-log.js';
import type { ProgressEvent, TrainEvent, TrainResult } from './trainer.js';
import { nonNegativeNumber } from '../util/validate.js';

export interface RunLogWriterOptions {
  /**
   * Append to the log if it exists (a resumed session: its records continue the run's clock) instead of
   * replacing it (a new run; default).
   */
  append?: boolean;
  /**
   * Called once when a write fails (disk full, file removed…); the writer then stops writing and the run goes on.
   * Default: rethrow.
   */
  onError?: (err: Error) => void;
  /**
   * At most one `progress` record per this many seconds of run time (default 0: one per event). Events in
   * between are merged into the next record: `meanLoss` averaged over their iterations, `charsPerSec` over
   * their time, the rest from the last event; pending progress is written before any other record.
   */
  progressInterval?: number;
}

/** What a session's first record says (the writer adds type, schema, date, charrnn and the clock). */
export type RunStartInfo = Omit<
  RunStartRecord,
  'type' | 'schema' | 'date' | 'charrnn' | 'elapsed' | 'trainTime'
>;

/** The default run log of a model file: `<dir>/<stem>.log.jsonl` beside it (`run.safetensors` → `run.log.jsonl`). */
export function defaultLogPath(modelPath: string): string {
  return modelPath.replace(/\.safetensors$/, '') + '.log.jsonl';
}

/** Writes a run log: `start()`, then `event()` for every trainer event (pass it as onEvent), then `end()`. */
export class RunLogWriter {
  private fd: number | undefined;
  private failed = false;
  /** Merged progress not yet written, with the iterations and seconds it covers. */
  private pending:
    | { record: ProgressEvent; iterations: number; seconds: number; lossSum: number; tokens: number }
    | undefined;
  private lastIteration = 0;
  private lastElapsed = 0;
  private lastWritten = -Infinity;

  private constructor(
    /** The log file. */
    readonly path: string,
    fd: number,
    /** Run time before this session (from the log appended to; zero for a new log). */
    readonly clock: RunLogClock,
    /** Whether the file held records of this run already (a session appended to it). */
    readonly appended: boolean,
    private readonly onError: ((err: Error) => void) | undefined,
    private readonly progressInterval: number,
  ) {
    this.fd = fd;
  }

  /**
   * Open (create, replace or append to) a log, creating its folder when missing; a folder that cannot be made or
   * written is an Error naming the file and what is in the way, before any training. When appending, an unfinished last line (a killed writer) is cut off first.
   */
  static async open(path: string, options: RunLogWriterOptions = {}): Promise<RunLogWriter> {
    if (typeof path !== 'string' || path === '')
      throw new TypeError(`Expected a file path for the run log but received ${JSON.stringify(path)}`);
    const progressInterval = nonNegativeNumber('progressInterval', options.progressInterval ?? 0);
    await prepareOutputFolder(path, 'the run log', 'choose another path (--log FILE, or --no-log)');
    let clock: RunLogClock = { elapsed: 0, trainTime: 0 };
    let keep = 0;
    await refuseSpecialFile(path, 'The run log');
    if (options.append) {
      const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
        if (err.code === 'ENOENT') return '';
        throw err;
      });
      keep = Buffer.byteLength(text.slice(0, text.lastIndexOf('\n') + 1));
      clock = clockAtEnd(parseRunLog(text, path));
    }
    const fd = openSync(path, options.append ? 'a' : 'w');
    if (options.append) ftruncateSync(fd, keep);
    return new RunLogWriter(path, fd, clock, keep > 0, options.onError, progressInterval);
  }

  /** Append one record (a no-op after close or after a failed write); merged progress pending goes first. */
  write(record: RunLogRecord): void {
    if (record.type !== 'progress') this.flush();
    this.append(record);
  }

  private append(record: RunLogRecord): void {
    if (this.fd === undefined || this.failed) return;
    try {
      writeSync(this.fd, formatLogRecord(record));
    } catch (err) {
      this.failed = true;
      if (!this.onError) throw err;
      this.onError(err as Error);
    }
  }

  /** Write the merged progress record, if any. */
  private flush(): void {
    const p = this.pending;
    if (!p) return;
    this.pending = undefined;
    this.append({
      ...p.record,
      meanLoss: p.lossSum / p.iterations,
      charsPerSec: p.seconds > 0 ? p.tokens / p.seconds : p.record.charsPerSec,
    });
  }

  /** A progress record: written at once, or merged until progressInterval has passed. */
  private progress(record: ProgressEvent): void {
    const iterations = Math.max(1, record.iteration - this.lastIteration);
    const seconds = Math.max(0, record.elapsed - this.lastElapsed);
    this.lastIteration = record.iteration;
    this.lastElapsed = record.elapsed;
    const p = (this.pending ??= { record, iterations: 0, seconds: 0, lossSum: 0, tokens: 0 });
    p.record = record;
    p.iterations += iterations;
    p.seconds += seconds;
    p.lossSum += record.meanLoss * iterations;
    p.tokens += record.charsPerSec * seconds;
    if (record.elapsed - this.lastWritten >= this.progressInterval) {
      this.lastWritten = record.elapsed;
      this.flush();
    }
  }

  /** The session's first record: 'resume' when `info.resumedFrom` is given, else 'start'. */
  start(info: RunStartInfo): void {
    this.lastIteration = info.iteration;
    this.lastElapsed = this.clock.elapsed;
    this.write({
      type: info.resumedFrom !== undefined ? 'resume' : 'start',
      schema: RUN_LOG_SCHEMA,
      date: new Date().toISOString(),
      charrnn: VERSION,
      ...this.clock,
      ...info,
    });
  }

  /** Log a trainer event (bound: pass `writer.event` as onEvent, or call it from yours). */
  readonly event = (ev: TrainEvent): void => {
    const record = toLogRecord(ev, this.clock);
    if (record?.type === 'progress') this.progress(record);
    else if (record) this.write(record);
  };

  /** The session's last record, from train()'s result. */
  end(result: TrainResult): void {
    const v = result.validation;
    this.write({
      type: 'end',
      date: new Date().toISOString(),
      iteration: result.iterations,
      epoch: result.epochs,
      elapsed: result.elapsed + this.clock.elapsed,
      trainTime: result.trainTime + this.clock.trainTime,
      stoppedBy: result.stoppedBy,
      smoothLoss: result.smoothLoss,
      ...(v ? { valLoss: v.loss, valPerplexity: v.perplexity, valBitsPerChar: v.bitsPerChar } : {}),
    });
  }

  /** The session's last record when training failed. */
  error(err: Error, elapsed: number, iteration?: number): void {
    this.write({
      type: 'error',
      date: new Date().toISOString(),
      ...(iteration !== undefined ? { iteration } : {}),
      elapsed: elapsed + this.clock.elapsed,
      message: err.message,
    });
  }

  /** Write what is pending and close the file. */
  close(): void {
    this.flush();
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Read and parse a run log (see parseRunLog). A missing file is an Error with a hint. */
export async function readRunLog(path: string): Promise<ParsedRecord[]> {
  let text: string;
  await refuseSpecialFile(path, 'The run log');
  try {
    text = await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT')
      throw new Error(
        `Run log not found: ${path}. HINT: \`charrnn train\` writes one beside --out (or --log FILE)`,
        {
          cause: err,
        },
      );
    throw err;
  }
  return parseRunLog(text, path);
}

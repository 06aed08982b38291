// The records of a run log (JSON Lines, one object per line; docs/run-log.md is the schema): the trainer's events
// as records, with their times counted over every session of a run (a resumed session continues the clock), plus
// the 'start' / 'resume' and 'end' records around each session; and the reader's parser. Deliberately pure (no
// file I/O: src/train/run-log-file.ts writes and reads the files) so a page can parse a log too.
import type { ModelConfig } from '../model/config.js';
import type {
  CheckpointEvent,
  EvalEvent,
  LrEvent,
  ProgressEvent,
  RollbackEvent,
  SampleEvent,
  TrainEvent,
  TrainResult,
} from './trainer.js';

/** The schema version written in every 'start' / 'resume' record. */
export const RUN_LOG_SCHEMA = 1;

/** Wall and training seconds of the sessions before this one (added to every time of the session's records). */
export interface RunLogClock {
  elapsed: number;
  trainTime: number;
}

/** What a session trains: the first record of a new run ('start') or of a resumed session ('resume'). */
export interface RunStartRecord {
  type: 'start' | 'resume';
  schema: number;
  /** ISO 8601 date and time the session began. */
  date: string;
  /** The charrnn version. */
  charrnn: string;
  /** The iteration the session begins at (0 for a new run). */
  iteration: number;
  /** Run time before this session (0 for a new run). */
  elapsed: number;
  trainTime: number;
  /** The checkpoint a resumed session continues. */
  resumedFrom?: string;
  model?: { config: ModelConfig; parameters: number; backend: string; threads?: number };
  corpus?: { ref: string; tokens?: number; trainTokens?: number; validationTokens?: number; unit?: string };
  /** The settings of the run (seqLength, batchSize, optimizer, lr, clipping, schedule, seed, …). */
  settings?: Record<string, unknown>;
}

/** The last record of a session. */
export interface RunEndRecord {
  type: 'end';
  date: string;
  iteration: number;
  epoch: number;
  elapsed: number;
  trainTime: number;
  stoppedBy: TrainResult['stoppedBy'];
  smoothLoss: number;
  /** The final validation (the last one of the session), if there is a validation split. */
  valLoss?: number;
  valPerplexity?: number;
  valBitsPerChar?: number;
}

/** A session that failed (NaN/Inf with the 'stop' policy, a full disk…): the last record instead of 'end'. */
export interface RunErrorRecord {
  type: 'error';
  date: string;
  iteration?: number;
  elapsed: number;
  message: string;
}

/** Records of trainer events: the event's own fields, times counted over the whole run. */
export type ProgressRecord = ProgressEvent;
export type EvalRecord = EvalEvent;
export type SampleRecord = SampleEvent;
export type CheckpointRecord = CheckpointEvent;
export type LrRecord = LrEvent;
export type RollbackRecord = RollbackEvent;

export type RunLogRecord =
  | RunStartRecord
  | RunEndRecord
  | RunErrorRecord
  | ProgressRecord
  | EvalRecord
  | SampleRecord
  | CheckpointRecord
  | LrRecord
  | RollbackRecord;

/**
 * The log record of a trainer event (undefined for 'validating', which only a live display needs): the event's
 * fields with `elapsed` (and `trainTime`) plus the clock of the sessions before. Non-finite numbers become null
 * in JSON, as JSON.stringify writes them.
 */
export function toLogRecord(
  event: TrainEvent,
  clock: RunLogClock = { elapsed: 0, trainTime: 0 },
): RunLogRecord | undefined {
  if (event.type === 'validating') return undefined;
  const record = { ...event, elapsed: event.elapsed + clock.elapsed };
  if ('trainTime' in record) record.trainTime += clock.trainTime;
  return record;
}

/** One line of JSON Lines for a record (no newline inside: JSON escapes it). */
export function formatLogRecord(record: RunLogRecord): string {
  return JSON.stringify(record) + '\n';
}

/** A run log that is not JSON Lines of records: names the source and line. */
export class RunLogError extends Error {
  override readonly name = 'RunLogError';
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(message);
  }
}

/** A record as read: a known `type` with whatever fields it holds (readers check the ones they use). */
export type ParsedRecord = RunLogRecord | { type: string; [field: string]: unknown };

/**
 * Parse the text of a run log. Blank lines are skipped; an unfinished last line (a process killed mid-write) is
 * dropped; any other line that is not a JSON object with a string `type` is a RunLogError naming the line.
 * Records of unknown types are kept (a newer charrnn may write more kinds).
 */
export function parseRunLog(text: string, source = 'run log'): ParsedRecord[] {
  const lines = text.split('\n');
  const unfinished = !text.endsWith('\n') ? lines.length - 1 : -1;
  const out: ParsedRecord[] = [];
  lines.forEach((line, i) => {
    if (line.trim() === '') return;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      if (i === unfinished) return;
      throw new RunLogError(
        `${source} line ${i + 1} is not JSON (${(err as Error).message}). HINT: a run log is written by \`charrnn train --log FILE\``,
        i + 1,
      );
    }
    if (
      value === null ||
      typeof value !== 'object' ||
      Array.isArray(value) ||
      typeof (value as { type?: unknown }).type !== 'string'
    )
      throw new RunLogError(
        `${source} line ${i + 1} is not a run-log record (an object with a string "type")`,
        i + 1,
      );
    out.push(value as ParsedRecord);
  });
  return out;
}

/** The run clock at the end of a log: the largest `elapsed` / `trainTime` since its last 'start' (zero for none). */
export function clockAtEnd(records: readonly ParsedRecord[]): RunLogClock {
  const clock = { elapsed: 0, trainTime: 0 };
  const start = records.findLastIndex((r) => r.type === 'start');
  for (const r of records.slice(Math.max(0, start))) {
    const e = (r as { elapsed?: unknown }).elapsed;
    const t = (r as { trainTime?: unknown }).trainTime;
    if (typeof e === 'number' && Number.isFinite(e)) clock.elapsed = Math.max(clock.elapsed, e);
    if (typeof t === 'number' && Number.isFinite(t)) clock.trainTime = Math.max(clock.trainTime, t);
  }
  return clock;
}

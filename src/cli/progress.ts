// Renders trainer events for `charrnn train`: on a terminal one live status line (bar, iteration, epoch, the mean
// training loss since the last update, validation loss, chars/s, elapsed and ETA, or "validating…" while it
// validates) fitted to the terminal's width; otherwise plain log lines. The line itself is a pure function
// (formatProgressLine) so its fitting is tested without a terminal. Deliberately knows nothing about training.
import type { TrainEvent } from '../train/trainer.js';

export interface RendererOptions {
  tty: boolean;
  /** Writes one finished line (a newline is added). */
  write: (line: string) => void;
  /** What one token is, in the validation line (default 'char'; 'word' for word-level models). */
  unit?: 'char' | 'word';
  /** Where the live line goes on a terminal (default process.stderr); `columns` is its width. */
  stream?: { write(text: string): unknown; columns?: number };
}

/** "1:05", "12:00", "2h05m"; "--:--" when unknown; never negative. */
export function formatTime(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '--:--';
  s = Math.max(0, s);
  const m = Math.floor(s / 60);
  const sec = Math.floor(s % 60);
  return m >= 60
    ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
    : `${m}:${String(sec).padStart(2, '0')}`;
}

/** What the status line shows. */
export interface ProgressStatus {
  iteration: number;
  /** Epochs done, fractional. */
  epoch: number;
  /** Mean training loss over the last interval. */
  loss: number;
  /** Last validation loss, if any. */
  valLoss?: number;
  charsPerSec: number;
  elapsed: number;
  eta?: number;
  /** Fraction of the run done (0…1), when a stop criterion tells. */
  fraction?: number;
  /** A validation pass is running. */
  validating?: boolean;
}

const fmtInt = (n: number) => Math.round(n).toLocaleString('en-US');

/**
 * The live status line, at most `width - 1` characters (the last column is left free so no terminal wraps).
 * Parts go, least useful first, until the line fits: elapsed, the bar (8 to 24 cells of what the fields leave,
 * when the run's fraction is known), epoch, chars/s, validation loss, ETA; iteration and loss stay.
 */
export function formatProgressLine(p: ProgressStatus, width: number): string {
  const max = Math.max(1, Math.floor(width) - 1);
  const fraction = p.fraction === undefined ? undefined : Math.min(1, Math.max(0, p.fraction));
  const BAR = '\0bar';
  // [text, priority]: higher priority stays longer.
  const parts: [string, number][] = [
    [`iter ${fmtInt(p.iteration)}`, 9],
    [`epoch ${p.epoch.toFixed(2)}`, 3],
    [`loss ${Number.isFinite(p.loss) ? p.loss.toFixed(4) : String(p.loss)}`, 8],
    [`val ${p.valLoss === undefined ? '—' : p.valLoss.toFixed(4)}`, 5],
    p.validating ? ['validating…', 10] : [`${fmtInt(p.charsPerSec)} chars/s`, 4],
    [`${formatTime(p.elapsed)} elapsed`, 2],
    [p.validating ? '' : `ETA ${formatTime(p.eta)}`, 6],
  ];
  let kept = parts.filter(([t]) => t !== '');
  if (fraction !== undefined) kept.unshift([BAR, 2.5]);
  const bar = (cells: number) => {
    const full = Math.round(fraction! * cells);
    return `${'█'.repeat(full)}${'░'.repeat(cells - full)} ${String(Math.floor(fraction! * 100)).padStart(3)}%`;
  };
  for (;;) {
    const fields = kept.filter(([t]) => t !== BAR).map(([t]) => t);
    const text = fields.join(' | ');
    if (kept[0][0] === BAR) {
      // The bar takes what the fields leave, 8 to 24 cells (plus " 100% ").
      const cells = Math.min(24, max - text.length - 6);
      if (cells >= 8) return `${bar(cells)} ${text}`;
    } else if (text.length <= max) return text;
    if (fields.length === 1 && kept.length === 1) return text.slice(0, max);
    const lowest = kept.reduce((a, b) => (b[1] < a[1] ? b : a));
    kept = kept.filter((f) => f !== lowest);
  }
}

/** The plain log line of a progress event (no terminal): every field, in a stable order. */
export function formatProgressLogLine(p: ProgressStatus): string {
  return (
    `iter ${p.iteration} | epoch ${p.epoch.toFixed(2)} | loss ${p.loss.toFixed(4)} | ` +
    `val ${p.valLoss === undefined ? '—' : p.valLoss.toFixed(4)} | ${fmtInt(p.charsPerSec)} chars/s | ` +
    `elapsed ${formatTime(p.elapsed)} | ETA ${formatTime(p.eta)}`
  );
}

export class ProgressRenderer {
  private status: ProgressStatus | undefined;
  private valLoss: number | undefined;
  /** Whether the live line is on screen (and must be cleared before printing). */
  private live = false;

  constructor(private readonly opts: RendererOptions) {}

  /** What one token is, for the validation line: 'char' or 'word'. */
  private get unit(): string {
    return this.opts.unit ?? 'char';
  }

  private get stream(): { write(text: string): unknown; columns?: number } {
    return this.opts.stream ?? process.stderr;
  }

  event(ev: TrainEvent): void {
    switch (ev.type) {
      case 'progress': {
        this.status = {
          iteration: ev.iteration,
          epoch: ev.epoch + ev.epochProgress,
          loss: ev.meanLoss,
          valLoss: this.valLoss,
          charsPerSec: ev.charsPerSec,
          elapsed: ev.elapsed,
          eta: ev.eta,
          fraction: ev.fraction,
        };
        if (this.opts.tty) this.draw();
        else this.opts.write(formatProgressLogLine(this.status));
        break;
      }
      case 'validating':
        if (this.opts.tty && this.status) {
          this.status = { ...this.status, validating: true, iteration: ev.iteration, elapsed: ev.elapsed };
          this.draw();
        }
        break;
      case 'eval':
        this.valLoss = ev.valLoss;
        if (this.status) this.status = { ...this.status, validating: false, valLoss: ev.valLoss };
        this.print(
          `validation at iter ${ev.iteration}: loss ${ev.valLoss.toFixed(4)} nats/${this.unit}, ` +
            `${ev.valBitsPerChar.toFixed(3)} bits/${this.unit}, perplexity ${ev.valPerplexity.toFixed(2)} (${formatTime(ev.elapsed)})`,
        );
        break;
      case 'sample':
        this.print(`----- sample at iter ${ev.iteration} -----\n${ev.text}\n-----`);
        break;
      case 'lr':
        if (ev.reason === 'plateau')
          this.print(
            `learning rate lowered to ${ev.lr} at iter ${ev.iteration} (validation loss on a plateau)`,
          );
        break;
      case 'rollback':
        this.print(
          `${ev.reason} at iter ${ev.iteration}: rolled back to ${ev.path} (iter ${ev.to}), learning rate now ${ev.lr}`,
        );
        break;
      case 'checkpoint':
        if (ev.reason === 'best') this.print(`new best validation loss: saved ${ev.paths.join(', ')}`);
        break;
    }
  }

  private draw(): void {
    if (!this.status) return;
    const width = this.stream.columns ?? 80;
    this.stream.write(`\r\x1b[K${formatProgressLine(this.status, width)}`);
    this.live = true;
  }

  private print(text: string): void {
    if (this.live) {
      // Above the live line: clear it, print, draw it again below.
      this.stream.write('\r\x1b[K');
      this.opts.write(text);
      this.draw();
    } else this.opts.write(text);
  }

  /** Leave the live line on screen as the last word and move below it. */
  stop(): void {
    if (this.live) this.stream.write('\n');
    this.live = false;
  }
}

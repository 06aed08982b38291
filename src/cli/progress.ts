// Renders trainer events: a live progress bar (loss, val loss, chars/s, ETA) on a terminal, plain
// log lines otherwise. Deliberately knows nothing about training itself.
import cliProgress from 'cli-progress';
import type { TrainEvent } from '../train/trainer.js';

export interface RendererOptions {
  tty: boolean;
  write: (line: string) => void;
  /** What one token is, in the validation line (default 'char'; 'word' for word-level models). */
  unit?: 'char' | 'word';
}

function fmtTime(s: number | undefined): string {
  if (s === undefined || !Number.isFinite(s)) return '--:--';
  const m = Math.floor(s / 60);
  const sec = Math.floor(s % 60);
  return m >= 60
    ? `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`
    : `${m}:${String(sec).padStart(2, '0')}`;
}

export class ProgressRenderer {
  private bar: cliProgress.SingleBar | undefined;
  private valLoss = '—';

  constructor(private readonly opts: RendererOptions) {}

  /** What one token is, for the validation line: 'char' or 'word'. */
  private get unit(): string {
    return this.opts.unit ?? 'char';
  }

  event(ev: TrainEvent): void {
    switch (ev.type) {
      case 'progress': {
        const payload = {
          iter: ev.iteration,
          epoch: (ev.epoch + ev.epochProgress).toFixed(2),
          loss: ev.smoothLoss.toFixed(4),
          val: this.valLoss,
          cps: Math.round(ev.charsPerSec).toLocaleString('en-US'),
          etaText: fmtTime(ev.eta),
        };
        if (this.opts.tty) {
          if (!this.bar) {
            this.bar = new cliProgress.SingleBar(
              {
                format:
                  '{bar} {percentage}% | iter {iter} | epoch {epoch} | loss {loss} | val {val} | {cps} chars/s | ETA {etaText}',
                hideCursor: true,
                clearOnComplete: false,
                stream: process.stderr,
              },
              cliProgress.Presets.shades_classic,
            );
            this.bar.start(1000, 0, payload);
          }
          this.bar.update(Math.round((ev.fraction ?? 0) * 1000), payload);
        } else {
          this.opts.write(
            `iter ${payload.iter} | epoch ${payload.epoch} | loss ${payload.loss} | val ${payload.val} | ` +
              `${payload.cps} chars/s | elapsed ${fmtTime(ev.elapsed)} | ETA ${payload.etaText}`,
          );
        }
        break;
      }
      case 'eval':
        this.valLoss = ev.valLoss.toFixed(4);
        this.print(
          `validation at iter ${ev.iteration}: loss ${ev.valLoss.toFixed(4)} nats/${this.unit}, ` +
            `${ev.valBitsPerChar.toFixed(3)} bits/${this.unit}, perplexity ${ev.valPerplexity.toFixed(2)} (${fmtTime(ev.elapsed)})`,
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

  private print(text: string): void {
    if (this.bar) {
      // Print above the bar: clear the line, write, let the bar redraw.
      process.stderr.write('\r\x1b[K');
      this.opts.write(text);
    } else this.opts.write(text);
  }

  stop(): void {
    this.bar?.stop();
    this.bar = undefined;
  }
}

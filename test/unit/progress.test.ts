// The progress display of `charrnn train` (src/cli/progress.ts): the live line fitted to the terminal width, the
// plain log line, no negative ETA, and "validating…" while a validation runs.
import { describe, expect, it } from 'vitest';
import {
  ProgressRenderer,
  formatProgressLine,
  formatProgressLogLine,
  formatTime,
  type ProgressStatus,
} from '../../src/cli/progress.js';
import type { TrainEvent } from '../../src/train/trainer.js';

const status: ProgressStatus = {
  iteration: 12345,
  epoch: 3.456,
  loss: 1.23456,
  valLoss: 1.5,
  charsPerSec: 123456.7,
  elapsed: 125,
  eta: 3725,
  fraction: 0.42,
};

describe('formatTime', () => {
  it('minutes:seconds, hours above an hour, never negative, --:-- when unknown', () => {
    expect(formatTime(65)).toBe('1:05');
    expect(formatTime(3725)).toBe('1h02m');
    expect(formatTime(-4)).toBe('0:00');
    expect(formatTime(undefined)).toBe('--:--');
    expect(formatTime(Infinity)).toBe('--:--');
  });
});

describe('formatProgressLine', () => {
  it('shows everything with a bar on a wide terminal', () => {
    expect(formatProgressLine(status, 160)).toBe(
      `${'█'.repeat(10)}${'░'.repeat(14)}  42% iter 12,345 | epoch 3.46 | loss 1.2346 | val 1.5000 | 123,457 chars/s | 2:05 elapsed | ETA 1h02m`,
    );
  });

  it('never exceeds width - 1, dropping the least useful parts first (elapsed, then the bar, epoch, speed…)', () => {
    for (let width = 10; width <= 200; width++) {
      const line = formatProgressLine(status, width);
      expect(line.length, `width ${width}`).toBeLessThanOrEqual(width - 1);
      expect(line.length, `width ${width}`).toBeGreaterThan(0);
    }
    expect(formatProgressLine(status, 105)).toBe(
      `${'█'.repeat(7)}${'░'.repeat(10)}  42% iter 12,345 | epoch 3.46 | loss 1.2346 | val 1.5000 | 123,457 chars/s | ETA 1h02m`,
    );
    expect(formatProgressLine(status, 90)).toBe(
      'iter 12,345 | epoch 3.46 | loss 1.2346 | val 1.5000 | 123,457 chars/s | ETA 1h02m',
    );
    expect(formatProgressLine(status, 80)).toBe(
      'iter 12,345 | loss 1.2346 | val 1.5000 | 123,457 chars/s | ETA 1h02m',
    );
    expect(formatProgressLine(status, 52)).toBe('iter 12,345 | loss 1.2346 | val 1.5000 | ETA 1h02m');
    expect(formatProgressLine(status, 50)).toBe('iter 12,345 | loss 1.2346 | ETA 1h02m');
    expect(formatProgressLine(status, 30)).toBe('iter 12,345 | loss 1.2346');
  });

  it('says "validating…" instead of the speed and the ETA while a validation runs', () => {
    const line = formatProgressLine({ ...status, validating: true }, 100);
    expect(line).toContain('validating…');
    expect(line).not.toContain('ETA');
    expect(line).not.toContain('chars/s');
    expect(formatProgressLine({ ...status, validating: true }, 40)).toBe(
      'iter 12,345 | loss 1.2346 | validating…',
    );
  });

  it('clamps the bar and shows no negative ETA', () => {
    const line = formatProgressLine({ ...status, fraction: 1.3, eta: -20 }, 160);
    expect(line).toContain('100%');
    expect(line).toContain('ETA 0:00');
    expect(formatProgressLine({ ...status, fraction: undefined, eta: undefined }, 160)).toBe(
      'iter 12,345 | epoch 3.46 | loss 1.2346 | val 1.5000 | 123,457 chars/s | 2:05 elapsed | ETA --:--',
    );
  });
});

describe('formatProgressLogLine', () => {
  it('is the stable plain line (no terminal)', () => {
    expect(formatProgressLogLine({ ...status, valLoss: undefined })).toBe(
      'iter 12345 | epoch 3.46 | loss 1.2346 | val — | 123,457 chars/s | elapsed 2:05 | ETA 1h02m',
    );
  });
});

describe('ProgressRenderer', () => {
  const progress = (iteration: number, meanLoss: number): TrainEvent => ({
    type: 'progress',
    iteration,
    epoch: 0,
    epochProgress: 0.5,
    loss: 9,
    meanLoss,
    smoothLoss: 4,
    gradNorm: 1,
    charsPerSec: 1000,
    elapsed: 10,
    trainTime: 8,
    fraction: 0.5,
    eta: 10,
    lr: 0.1,
  });

  it('on a terminal: one live line with the windowed mean, "validating…", lines printed above it', () => {
    const out: string[] = [];
    const lines: string[] = [];
    const r = new ProgressRenderer({
      tty: true,
      write: (l) => lines.push(l),
      stream: { write: (t: string) => out.push(t), columns: 70 },
    });
    r.event(progress(10, 2.5));
    expect(out.at(-1)).toBe(
      '\r\x1b[K' +
        formatProgressLine(
          { iteration: 10, epoch: 0.5, loss: 2.5, charsPerSec: 1000, elapsed: 10, eta: 10, fraction: 0.5 },
          70,
        ),
    );
    expect(out.at(-1)).toContain('loss 2.5000');
    r.event({ type: 'validating', iteration: 10, elapsed: 11, tokens: 100, final: false });
    expect(out.at(-1)).toContain('validating…');
    r.event({
      type: 'eval',
      iteration: 10,
      epoch: 0,
      epochProgress: 0.5,
      elapsed: 12,
      trainTime: 8,
      valLoss: 2.25,
      valPerplexity: 9.49,
      valBitsPerChar: 3.246,
      lr: 0.1,
      final: false,
    });
    expect(lines).toEqual([
      'validation at iter 10: loss 2.2500 nats/char, 3.246 bits/char, perplexity 9.49 (0:12)',
    ]);
    expect(out.at(-1)).not.toContain('validating…');
    expect(out.at(-1)).toContain('val 2.2500');
    for (const t of out) expect(t.replace('\r\x1b[K', '').length).toBeLessThanOrEqual(69);
    r.stop();
    expect(out.at(-1)).toBe('\n');
  });

  it('without a terminal: plain lines of the windowed mean, nothing for "validating"', () => {
    const lines: string[] = [];
    const r = new ProgressRenderer({ tty: false, write: (l) => lines.push(l) });
    r.event(progress(10, 2.5));
    r.event({ type: 'validating', iteration: 10, elapsed: 11, tokens: 100, final: false });
    expect(lines).toEqual([
      'iter 10 | epoch 0.50 | loss 2.5000 | val — | 1,000 chars/s | elapsed 0:10 | ETA 0:10',
    ]);
  });
});

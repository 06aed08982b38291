// The loss curve as a few lines of text for a terminal (asciichart): the training loss (mean per point of a
// LossHistory) and the periodic validation loss against iterations, fitted to a width. Used at the end of
// `charrnn train` and by `charrnn inspect`. Deliberately pure: returns the text, prints nothing.
import { plot, yellow, cyan } from 'asciichart';
import type { LossHistory } from '../run/loss-history.js';

export interface LossChartOptions {
  /** Columns available (default 80); the curve gets what the axis labels leave. */
  width?: number;
  /** Rows of the plot (default 10). */
  height?: number;
  /** ANSI colours (default false). */
  color?: boolean;
  /** What one token is, for the title (default 'char'). */
  unit?: string;
}

const LABEL = 8; // "  2.3456" : the axis labels
const AXIS = 2; // the space and the axis character after a label

/**
 * The chart of `history`, or '' when it has fewer than two training points. Columns past the plot width are
 * averaged; the validation line holds its last value between validations and, before the first, lies under the
 * training line.
 */
export function lossChart(history: LossHistory, options: LossChartOptions = {}): string {
  const points = history.train;
  if (points.length < 2) return '';
  const width = Math.max(20, Math.floor(options.width ?? 80));
  const height = Math.max(2, Math.floor(options.height ?? 10));
  const columns = Math.min(points.length, width - LABEL - AXIS - 1);
  const train: number[] = [];
  const ends: number[] = [];
  for (let j = 0; j < columns; j++) {
    const from = Math.floor((j * points.length) / columns);
    const to = Math.floor(((j + 1) * points.length) / columns);
    let sum = 0;
    for (let i = from; i < to; i++) sum += points[i][1];
    train.push(sum / (to - from));
    ends.push(points[to - 1][0]);
  }
  const val: number[] = [];
  let k = -1;
  for (let j = 0; j < columns; j++) {
    while (k + 1 < history.validation.length && history.validation[k + 1][0] <= ends[j]) k++;
    val.push(k >= 0 ? history.validation[k][1] : train[j]);
  }
  const hasVal = history.validation.length > 0;
  const colors = options.color ? [yellow, cyan] : undefined;
  const chart = plot(hasVal ? [val, train] : [train], {
    height,
    colors: colors && (hasVal ? colors : [cyan]),
    format: (x: number) => x.toFixed(4).padStart(LABEL),
    offset: AXIS,
  });
  const unit = options.unit ?? 'char';
  const first = points[0][0].toLocaleString('en-US');
  const last = points[points.length - 1][0].toLocaleString('en-US');
  const axis = `iter ${first}`.padEnd(columns - last.length - 5) + `iter ${last}`;
  const title = `loss (nats/${unit}) by iteration: ─ training (mean)` + (hasVal ? ', ─ validation' : '');
  const key = options.color
    ? `loss (nats/${unit}) by iteration: ${cyan}─ training (mean)\x1b[0m` +
      (hasVal ? `, ${yellow}─ validation\x1b[0m` : '')
    : title;
  return [key, chart, ' '.repeat(LABEL + AXIS - 1) + axis].join('\n');
}

// charrnn/brain: brain.js's recurrent API (recurrent.RNN, LSTM, GRU, DataFormatter) on charrnn's engine, so a
// brain.js program switches by changing its import. Exports only; docs/brain.md says what differs from brain.js.
import { DataFormatter } from './formatter.js';
import { GRU, LSTM, RNN } from './net.js';

export { DataFormatter, type DataFormatterJSON, type Token } from './formatter.js';
export {
  RNN,
  LSTM,
  GRU,
  type RNNOptions,
  type RNNTrainOptions,
  type RNNJSON,
  type TrainStatus,
  type TrainingDatum,
} from './net.js';

/** brain.js's `brain.recurrent`. */
export const recurrent = Object.freeze({ RNN, LSTM, GRU });

/** brain.js's `brain.utilities` (the part charrnn/brain has). */
export const utilities = Object.freeze({ DataFormatter });

/** `import brain from 'charrnn/brain'`: the same object as brain.js's default export, recurrent part. */
const brain = Object.freeze({ recurrent, utilities, DataFormatter });
export default brain;

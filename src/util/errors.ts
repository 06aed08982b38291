// The library's state errors, each with a stable `code` beside its one message: busy (a call while an asynchronous
// chunk or evaluation runs), disposed (a call on a disposed backend session), usage (a call the object's state does
// not allow yet) and timeout (an asynchronous call that gave up at its time limit). Argument errors stay plain
// TypeError / RangeError from validate.ts; this module does no checking.

/** The `code` of each state error; stable across versions, so callers can branch on it instead of the text. */
export const ERROR_CODES = {
  busy: 'ERR_CHARRNN_BUSY',
  disposed: 'ERR_CHARRNN_DISPOSED',
  usage: 'ERR_CHARRNN_USAGE',
  timeout: 'ERR_CHARRNN_TIMEOUT',
} as const;

export type CharRNNErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** An Error with one of the codes above (a plain Error otherwise: name 'Error', instanceof Error). */
export type CharRNNError = Error & { readonly code: CharRNNErrorCode };

/** The texts, defined once (the native addon's busy / disposed errors carry the same ones). */
export const BUSY_MESSAGE =
  'model is busy: an asynchronous call (trainChunkAsync or evaluateAsync) is still running; await it first';
export const TRAINING_BUSY_MESSAGE = 'model is busy: a train() run is already training it; await it first';
export const DISPOSED_MESSAGE = 'This backend session has been disposed';

function coded(code: CharRNNErrorCode, message: string): CharRNNError {
  return Object.assign(new Error(message), { code });
}

/** A call on a model (or its sessions) while trainChunkAsync has not settled. */
export function busyError(): CharRNNError {
  return coded(ERROR_CODES.busy, BUSY_MESSAGE);
}

/** A second train() on a model that one is still training (two runs would interleave their updates). */
export function trainingBusyError(): CharRNNError {
  return coded(ERROR_CODES.busy, TRAINING_BUSY_MESSAGE);
}

/** A call on a backend session after dispose(). */
export function disposedError(): CharRNNError {
  return coded(ERROR_CODES.disposed, DISPOSED_MESSAGE);
}

/** An asynchronous call that gave up at the time limit it was given (nothing it computed was kept). */
export function timeoutError(message: string): CharRNNError {
  return coded(ERROR_CODES.timeout, message);
}

/** A call that the object's current state does not allow (e.g. a distribution before any token); say the fix. */
export function usageError(message: string): CharRNNError {
  return coded(ERROR_CODES.usage, message);
}

/** What a model is, for the two errors below ('classify' / 'tag' / 'lm', and whether it reads both ways). */
interface TaskOf {
  readonly task: string;
  readonly bidirectional: boolean;
}

/**
 * A language-model call (sampling, generation, step sessions, scoring, evaluation, LM training) on a 'classify' /
 * 'tag' model: those predict labels, not the next token, and a bidirectional one reads each sequence from both
 * ends, so there is no next-token distribution to sample from.
 */
export function notLanguageModelError(config: TaskOf, what: string): CharRNNError {
  const kind = `${config.bidirectional ? 'a bidirectional ' : 'a '}'${config.task}' model`;
  const why = config.bidirectional
    ? 'its reverse direction reads each sequence from the end, so it has no next-token distribution to sample from'
    : 'it predicts labels, not the next token';
  const hint =
    config.task === 'tag'
      ? 'use model.tag(text)'
      : config.task === 'classify'
        ? 'use model.classify(text)'
        : '';
  return usageError(
    `${what} needs a language model (task 'lm'), but this is ${kind}: ${why}${hint ? `. HINT: ${hint}` : ''}`,
  );
}

/** A sequence call (classify, tag, trainSequenceBatch, forwardSequences) on a language model. */
export function notSequenceModelError(what: string): CharRNNError {
  return usageError(
    `${what} needs a 'classify' or 'tag' model, but this is a language model (task 'lm'). HINT: create it with task: 'classify' or 'tag' and numClasses`,
  );
}

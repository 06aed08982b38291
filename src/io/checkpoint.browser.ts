// checkpoint.ts in the browser build (scripts/build-browser.mjs swaps it in for every import of ./checkpoint.js):
// the format in memory as is (checkpoint-codec.ts), and the file functions as functions that fail with the
// alternative, since a page has no file system. Each has the Node function's type, so callers compile unchanged;
// test/unit/browser-twins.test.ts checks that both modules export the same names.
import type * as Node from './checkpoint.js';

export * from './checkpoint-codec.js';
export type { CheckpointFiles } from './checkpoint.js';

function noFiles(what: string): Error {
  return new Error(
    `charrnn: ${what} reads or writes files, and a browser has no file system. ` +
      'HINT: save and load models as bytes with encodeModel(model) and decodeModel(bytes)',
  );
}

export const saveCheckpoint: typeof Node.saveCheckpoint = () => Promise.reject(noFiles('saveCheckpoint'));
export const readCheckpoint: typeof Node.readCheckpoint = () => Promise.reject(noFiles('readCheckpoint'));
export const loadCheckpoint: typeof Node.loadCheckpoint = () => Promise.reject(noFiles('loadCheckpoint'));
export const listNumbered: typeof Node.listNumbered = () => Promise.reject(noFiles('listNumbered'));
export const writeLatest: typeof Node.writeLatest = () => Promise.reject(noFiles('Writing checkpoints'));
export const writeBest: typeof Node.writeBest = () => Promise.reject(noFiles('Writing checkpoints'));
export const checkCheckpointFolders: typeof Node.checkCheckpointFolders = () =>
  Promise.reject(noFiles('Writing checkpoints (the checkpoint option of train)'));
export const cleanCheckpointTemporaries: typeof Node.cleanCheckpointTemporaries = () =>
  Promise.reject(noFiles('Writing checkpoints'));
export const numberedPath: typeof Node.numberedPath = () => {
  throw noFiles('numberedPath');
};

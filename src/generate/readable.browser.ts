// readable.ts in the browser build (scripts/build-browser.mjs swaps it in): a page has no node:stream, so
// model.readable() throws with the alternative. Same exports and types as readable.ts.
import type * as Node from './readable.js';

export const readable: typeof Node.readable = () => {
  throw new TypeError(
    'model.readable() returns a Node.js stream, which a browser does not have. ' +
      'HINT: iterate model.stream(options) instead (the same text, as an async iterator)',
  );
};

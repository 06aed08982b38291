// chunk-thread.ts in the browser build (scripts/build-browser.mjs swaps it in): no worker threads to hand a chunk
// to, so trainChunkAsync runs every chunk in place (sharedArenas is false). In a page the whole of training runs in
// a Web Worker instead (docs/browser.md), which keeps the page responsive. Same exports and types as
// chunk-thread.ts (test/unit/browser-twins.test.ts).
import type * as Node from './chunk-thread.js';

export const sharedArenas: typeof Node.sharedArenas = () => false;

export class ChunkThread implements Pick<Node.ChunkThread, 'train' | 'close'> {
  train(...args: Parameters<Node.ChunkThread['train']>): ReturnType<Node.ChunkThread['train']> {
    const inPlace = args[2];
    return new Promise((resolve) => resolve(inPlace()));
  }

  close(): void {}
}

// yield.ts in the browser build (scripts/build-browser.mjs swaps it in): no setImmediate in a page, and a
// zero-delay setTimeout is clamped to 4 ms once nested, so a MessageChannel message (a task of its own, run
// promptly) lets the page or worker handle its events and then continues. Same exports as yield.ts.
import type * as Node from './yield.js';

let channel: InstanceType<typeof MessageChannel> | undefined;
const waiting: (() => void)[] = [];

export const yieldToEventLoop: typeof Node.yieldToEventLoop = () =>
  new Promise<void>((resolve) => {
    if (typeof MessageChannel !== 'function') {
      setTimeout(resolve, 0);
      return;
    }
    if (!channel) {
      channel = new MessageChannel();
      // The DOM's MessagePort (this project is typed with Node's lib, whose MessagePort is an EventEmitter).
      (channel.port1 as unknown as { onmessage: (() => void) | null }).onmessage = () => waiting.shift()?.();
    }
    waiting.push(resolve);
    channel.port2.postMessage(null);
  });

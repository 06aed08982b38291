// Yield to the event loop: let timers, I/O callbacks and signal handlers run, then continue. setImmediate where it
// exists (Node: after pending I/O, before timers of the next turn), a zero-delay timeout elsewhere.
export function yieldToEventLoop(): Promise<void> {
  return new Promise<void>((resolve) => {
    if (typeof setImmediate === 'function') setImmediate(resolve);
    else setTimeout(resolve, 0);
  });
}

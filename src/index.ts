// The public API of charrnn in Node (the package's root entry): what a user of the library needs, exports only —
// everything of ./browser.ts (the library without files; the root entry under the "browser" export condition) and
// the file functions of ./node.ts (also 'charrnn/node').
// Building blocks for tools and tests (the sampling rule, the backends, layouts, schedule parsing…) are exported
// from 'charrnn/internals' (./internals.ts) instead, without the same stability promise.
export * from './browser.js';
export * from './node.js';

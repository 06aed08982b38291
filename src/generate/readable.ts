// generate()'s stream() as a Node Readable of UTF-8 bytes, for model.readable(). Node only: the browser build swaps
// in readable.browser.ts, since a page has no node:stream (model.stream() is the same text as an async iterator).
import { Readable } from 'node:stream';
import type { ModelCore } from './core.js';
import type { GenerateOptions } from './options.js';
import { stream } from './generate.js';

/**
 * stream() as a Node Readable of UTF-8 bytes (pipe it to stdout or a file). options.signal, or destroying the
 * stream, stops generation; an abort destroys the stream with an AbortError.
 */
export function readable(core: ModelCore, options: GenerateOptions = {}): Readable {
  const it = stream(core, options);
  return Readable.from(it, { objectMode: false, signal: options.signal });
}

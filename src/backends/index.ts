// Backend selection: 'auto' (native when the addon loads, else JS with one warning), 'js' or 'native'.
// Deliberately the only place that decides which backend runs; the rest of src/ only sees `Backend`.
import type { Backend, BackendName } from './backend.js';
import { jsBackend } from './js/index.js';
import { loadNative, nativeBackend, nativeUnavailableReason, NATIVE_HINT } from './native.js';
import { ADDON_EXPECTED } from './native-host.js';
import { describe, oneOf } from '../util/validate.js';
import type { ModelConfig } from '../model/config.js';

export type BackendChoice = 'auto' | 'js' | 'native';

export interface ResolveOptions {
  /** Where the one-per-process fallback warning goes (default: console.warn). */
  warn?: (message: string) => void;
  /**
   * The model the backend is for. Both backends run every model config (every cell, depth, input and
   * dropout), so it does not change the choice; callers pass it so that a future backend with a narrower
   * feature set can be skipped here, in the one place that chooses.
   */
  config?: ModelConfig;
}

let warned = false;

/**
 * The backend for a choice. 'native' throws with the reason and a HINT when the addon is missing;
 * 'auto' picks native whenever the addon loads, and otherwise falls back to the pure-TypeScript backend
 * and warns once per process (not in a browser, where there is no addon to miss).
 */
export function resolveBackend(choice: BackendChoice = 'auto', opts: ResolveOptions = {}): Backend {
  oneOf('backend', choice, ['auto', 'js', 'native'] as const);
  if (choice === 'js') return jsBackend;
  if (choice === 'native') return nativeBackend();
  if (loadNative().binding) return nativeBackend();
  // In a browser no addon can load: the TypeScript backend is the only one, not a fallback to warn about.
  if (!warned && ADDON_EXPECTED) {
    warned = true;
    const warn = opts.warn ?? ((m: string) => console.warn(m));
    warn(
      `charrnn: native addon unavailable (${nativeUnavailableReason() ?? 'unknown reason'}); ` +
        `using the pure-TypeScript backend (slower). ${NATIVE_HINT}`,
    );
  }
  return jsBackend;
}

export interface BackendCapabilities {
  /** The backend 'auto' resolves to. */
  backend: BackendName;
  /** Active kernel path: 'avx512' | 'avx2' | 'neon' | 'scalar' natively, 'js' for the TypeScript backend. */
  isa: string;
  /** Kernel paths available on this machine, best first. */
  supported: string[];
  /** True when CHARRNN_SIMD or setIsa() forced the path. */
  simdForced: boolean;
  threads: number;
  /** Why the native addon is unavailable (only when backend is 'js'). */
  reason?: string;
  /** The addon file in use (only when backend is 'native'): build/Release (compiled), or prebuilds/ (shipped). */
  addon?: string;
}

/** What this process would run: the native addon's kernel path, or the JS backend and why. */
export function capabilities(): BackendCapabilities {
  const { binding, path } = loadNative();
  if (binding) return { backend: 'native', ...binding.capabilities(), addon: path };
  return {
    backend: 'js',
    isa: 'js',
    supported: ['js'],
    simdForced: false,
    threads: 1,
    reason: nativeUnavailableReason(),
  };
}

/**
 * Use `threads` threads (the caller's included) for the native backend's large matrix products, process-wide;
 * the initial count is CHARRNN_THREADS or the number of CPUs. Results are bit-identical whatever the count.
 * Returns the count now in effect: always 1 when the native addon is unavailable (the JS backend is
 * single-threaded).
 */
export function setThreads(threads: number): number {
  if (typeof threads !== 'number' || !Number.isInteger(threads) || threads < 1 || threads > 256)
    throw new RangeError(`Expected an integer in [1, 256] for threads but received ${describe(threads)}`);
  const { binding } = loadNative();
  return binding ? binding.setThreads(threads) : 1;
}

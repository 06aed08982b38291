// Argument checks shared by the whole facade: one message shape ("Expected … for NAME but received …").
// Deliberately does no coercion: a wrong value is an error, never silently fixed.

/** Render a received value for an error message, short and unambiguous. */
export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value);
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint')
    return String(value);
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value))
    return `a ${value.constructor.name} of length ${(value as unknown as { length: number }).length}`;
  return `a value of type ${typeof value}`;
}

function fail(kind: 'type' | 'range', what: string, name: string, value: unknown, hint?: string): never {
  const msg =
    `Expected ${what} for ${name} but received ${describe(value)}` + (hint ? `. HINT: ${hint}` : '');
  throw kind === 'type' ? new TypeError(msg) : new RangeError(msg);
}

/** An integer ≥ 1 (sizes, lengths, counts). */
export function positiveInt(name: string, value: unknown, hint?: string): number {
  if (typeof value !== 'number') fail('type', 'a positive integer', name, value, hint);
  if (!Number.isInteger(value) || value < 1 || value > Number.MAX_SAFE_INTEGER)
    fail('range', 'a positive integer', name, value, hint);
  return value;
}

/** An integer ≥ 0. */
export function nonNegativeInt(name: string, value: unknown, hint?: string): number {
  if (typeof value !== 'number') fail('type', 'a non-negative integer', name, value, hint);
  if (!Number.isInteger(value) || value < 0 || value > Number.MAX_SAFE_INTEGER)
    fail('range', 'a non-negative integer', name, value, hint);
  return value;
}

/** A finite number > 0. */
export function positiveNumber(name: string, value: unknown, hint?: string): number {
  if (typeof value !== 'number') fail('type', 'a positive finite number', name, value, hint);
  if (!Number.isFinite(value) || value <= 0) fail('range', 'a positive finite number', name, value, hint);
  return value;
}

/** A finite number ≥ 0. */
export function nonNegativeNumber(name: string, value: unknown, hint?: string): number {
  if (typeof value !== 'number') fail('type', 'a non-negative finite number', name, value, hint);
  if (!Number.isFinite(value) || value < 0) fail('range', 'a non-negative finite number', name, value, hint);
  return value;
}

/** A finite number in [lo, hi] (or [lo, hi) when hiOpen). */
export function numberInRange(name: string, value: unknown, lo: number, hi: number, hiOpen = false): number {
  // The message is built only on failure, and without a closure: this check runs on every training call, and a
  // closure created per call costs an Object.defineProperty of its name when run through tsx/esbuild (keepNames).
  if (typeof value !== 'number') fail('type', rangeWhat(lo, hi, hiOpen), name, value);
  if (!Number.isFinite(value) || value < lo || value > hi || (hiOpen && value === hi))
    fail('range', rangeWhat(lo, hi, hiOpen), name, value);
  return value;
}

function rangeWhat(lo: number, hi: number, hiOpen: boolean): string {
  return `a number in [${lo}, ${hi}${hiOpen ? ')' : ']'}`;
}

/** One of a fixed set of strings. */
export function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[]): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value))
    fail(
      typeof value === 'string' ? 'range' : 'type',
      `one of ${allowed.map((a) => `'${a}'`).join(', ')}`,
      name,
      value,
    );
  return value as T;
}

/** A Float32Array of exactly `length` elements. */
export function float32Array(name: string, value: unknown, length?: number): Float32Array {
  if (!(value instanceof Float32Array)) fail('type', 'a Float32Array', name, value);
  if (length !== undefined && value.length !== length)
    fail('range', `a Float32Array of length ${length}`, name, value);
  return value;
}

/** Throw a RangeError with the standard shape for a custom condition. */
export function rangeError(what: string, name: string, value: unknown, hint?: string): never {
  fail('range', what, name, value, hint);
}

/** Throw a TypeError with the standard shape for a custom condition. */
export function typeError(what: string, name: string, value: unknown, hint?: string): never {
  fail('type', what, name, value, hint);
}

/** An Int32Array of token ids, each in [0, V) (and of `length` elements when given). */
export function checkIds(name: string, ids: unknown, length: number | undefined, V: number): Int32Array {
  if (!(ids instanceof Int32Array))
    throw new TypeError(`Expected an Int32Array for ${name} but received ${describe(ids)}`);
  if (length !== undefined && ids.length !== length)
    throw new RangeError(
      `Expected an Int32Array of length ${length} for ${name} but received ${describe(ids)}`,
    );
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (id < 0 || id >= V)
      throw new RangeError(
        `Expected token ids in [0, ${V - 1}] for ${name} but received ${id} at index ${i}`,
      );
  }
  return ids;
}

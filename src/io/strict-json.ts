// A strict JSON reader for untrusted headers: a tokenizer that a caller drives by its own schema (object / array /
// string / numberText, with duplicate keys, bad escapes and unpaired surrogates rejected), and parseJsonStrict for a
// whole value. No generic tree is built while a schema drives it, so a hostile header (say 50 million `{}`) costs a
// small constant times its size, not fifty times it. Deliberately no safetensors knowledge: that is safetensors.ts.
import { describe } from '../util/validate.js';

/** Nesting limit when describing an unexpected value in an error message (bounds the recursion). */
const MAX_JSON_DEPTH = 16;
/** Keys that would reach Object.prototype through an ordinary object; rejected wherever a header names things. */
export const RESERVED_NAMES: ReadonlySet<string> = new Set(['__proto__', 'constructor', 'prototype']);

const NUMBER_RE = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const HEX4_RE = /^[0-9a-fA-F]{4}$/;
const SIMPLE_ESCAPES: Readonly<Record<string, string>> = {
  '"': '"',
  '\\': '\\',
  '/': '/',
  b: '\b',
  f: '\f',
  n: '\n',
  r: '\r',
  t: '\t',
};

export class StrictJsonReader {
  pos = 0;
  constructor(
    private readonly s: string,
    /** Throws "header is not valid JSON: …". */
    readonly failJson: (msg: string) => never,
  ) {}

  get done(): boolean {
    this.ws();
    return this.pos >= this.s.length;
  }

  /** The next significant character (whitespace skipped), or '' at the end. */
  peek(): string {
    this.ws();
    return this.s[this.pos] ?? '';
  }

  peekText(): string {
    return this.pos >= this.s.length ? 'end of header' : JSON.stringify(this.s[this.pos]);
  }

  err(what: string, at = this.pos): never {
    this.pos = at;
    this.failJson(`${what} at character ${at}`);
  }

  private ws(): void {
    const s = this.s;
    while (this.pos < s.length) {
      const c = s.charCodeAt(this.pos);
      if (c !== 0x20 && c !== 0x0a && c !== 0x0d && c !== 0x09) break;
      this.pos++;
    }
  }

  /**
   * Walk an object (the reader is at '{'): `onMember(key)` must consume exactly one value.
   * Duplicate keys are rejected, compared after unescaping.
   */
  object(onMember: (key: string) => void): void {
    this.pos++; // '{'
    if (this.peek() === '}') {
      this.pos++;
      return;
    }
    const seen = new Set<string>();
    for (;;) {
      if (this.peek() !== '"') this.err(`expected a string key but found ${this.peekText()}`);
      const keyAt = this.pos;
      const key = this.string();
      if (seen.has(key)) this.err(`duplicate key ${JSON.stringify(key)}`, keyAt);
      seen.add(key);
      if (this.peek() !== ':') this.err(`expected ':' but found ${this.peekText()}`);
      this.pos++;
      this.peek();
      onMember(key);
      const c = this.peek();
      if (c !== ',' && c !== '}') this.err(`expected ',' or '}' but found ${this.peekText()}`);
      this.pos++;
      if (c === '}') return;
    }
  }

  /** Walk an array (the reader is at '['): `onElement(index)` must consume exactly one value. */
  array(onElement: (index: number) => void): void {
    this.pos++; // '['
    if (this.peek() === ']') {
      this.pos++;
      return;
    }
    for (let i = 0; ; i++) {
      this.peek();
      onElement(i);
      const c = this.peek();
      if (c !== ',' && c !== ']') this.err(`expected ',' or ']' but found ${this.peekText()}`);
      this.pos++;
      if (c === ']') return;
    }
  }

  /** A number token's source text (the reader is at '-' or a digit). */
  numberText(): string {
    NUMBER_RE.lastIndex = this.pos;
    const m = NUMBER_RE.exec(this.s);
    if (m === null) this.err('invalid number');
    this.pos += m[0].length;
    return m[0];
  }

  /** A string (the reader is at '"'), unescaped; unpaired surrogate escapes are rejected. */
  string(): string {
    const s = this.s;
    this.pos++; // opening quote
    let out = '';
    let start = this.pos;
    for (;;) {
      if (this.pos >= s.length) this.err('unterminated string');
      const c = s.charCodeAt(this.pos);
      if (c === 0x22) {
        out += s.slice(start, this.pos);
        this.pos++;
        return out;
      }
      if (c < 0x20) this.err('unescaped control character in string');
      if (c !== 0x5c) {
        this.pos++;
        continue;
      }
      out += s.slice(start, this.pos);
      const e = s[this.pos + 1];
      if (e !== undefined && Object.hasOwn(SIMPLE_ESCAPES, e)) {
        out += SIMPLE_ESCAPES[e];
        this.pos += 2;
      } else if (e === 'u') {
        const hi = this.hex4(this.pos + 2);
        this.pos += 6;
        if (hi >= 0xdc00 && hi <= 0xdfff) this.err('unpaired surrogate in \\u escape');
        if (hi >= 0xd800 && hi <= 0xdbff) {
          const lo = s[this.pos] === '\\' && s[this.pos + 1] === 'u' ? this.hex4(this.pos + 2) : -1;
          if (lo < 0xdc00 || lo > 0xdfff) this.err('unpaired surrogate in \\u escape');
          this.pos += 6;
          out += String.fromCharCode(hi, lo);
        } else {
          out += String.fromCharCode(hi);
        }
      } else {
        this.err('invalid escape in string');
      }
      start = this.pos;
    }
  }

  private hex4(at: number): number {
    const h = this.s.slice(at, at + 4);
    if (!HEX4_RE.test(h)) this.err('invalid \\u escape', at);
    return parseInt(h, 16);
  }

  /**
   * Consume any value and describe it for an error message ("an array of length 3", "-1", "null").
   * Used on failure paths only; checks the syntax as it goes and allocates nothing that lasts.
   */
  describeValue(depth = 0): string {
    if (depth > MAX_JSON_DEPTH) this.err(`nesting deeper than ${MAX_JSON_DEPTH} levels`);
    const c = this.peek();
    let n = 0;
    if (c === '{') {
      this.object(() => {
        n++;
        this.describeValue(depth + 1);
      });
      return `an object with ${n} key${n === 1 ? '' : 's'}`;
    }
    if (c === '[') {
      this.array(() => {
        n++;
        this.describeValue(depth + 1);
      });
      return `an array of length ${n}`;
    }
    if (c === '"') return describe(this.string());
    if (c === '-' || (c >= '0' && c <= '9')) return this.numberText();
    for (const lit of ['true', 'false', 'null']) {
      if (this.s.startsWith(lit, this.pos)) {
        this.pos += lit.length;
        return lit;
      }
    }
    this.err(`unexpected ${this.peekText()}`);
  }
}

/** Nesting limit of a JSON value inside `__metadata__` (a config or training state is 3 deep). */
const MAX_METADATA_JSON_DEPTH = 32;

/**
 * Parse a JSON text found inside `__metadata__` (config, vocabulary, training state) as strictly as the
 * header itself: duplicate keys and the names __proto__ / constructor / prototype are rejected, objects
 * are prototype-less, nesting is bounded. `fail(message)` is called with the reason on any error.
 */
export function parseJsonStrict(text: string, fail: (message: string) => never): unknown {
  if (typeof text !== 'string') return fail(`expected a JSON string but found ${describe(text)}`);
  const r = new StrictJsonReader(text, (msg) => fail(`not valid JSON: ${msg}`));
  const value = (depth: number): unknown => {
    if (depth > MAX_METADATA_JSON_DEPTH) r.err(`nesting deeper than ${MAX_METADATA_JSON_DEPTH} levels`);
    const c = r.peek();
    if (c === '{') {
      const o = Object.create(null) as Record<string, unknown>;
      r.object((key) => {
        if (RESERVED_NAMES.has(key)) r.err(`reserved key ${JSON.stringify(key)}`);
        o[key] = value(depth + 1);
      });
      return o;
    }
    if (c === '[') {
      const a: unknown[] = [];
      r.array(() => a.push(value(depth + 1)));
      return a;
    }
    if (c === '"') return r.string();
    if (c === '-' || (c >= '0' && c <= '9')) return Number(r.numberText());
    for (const [lit, v] of [
      ['true', true],
      ['false', false],
      ['null', null],
    ] as const) {
      if (text.startsWith(lit, r.pos)) {
        r.pos += lit.length;
        return v;
      }
    }
    return r.err(`unexpected ${r.peekText()}`);
  };
  if (r.done) return fail('not valid JSON: empty');
  const out = value(0);
  if (!r.done) r.err(`unexpected ${r.peekText()} after the value`);
  return out;
}

// brain.js's DataFormatter for charrnn/brain: the table between a net's tokens (characters of strings, or any
// JSON value of token arrays) and its indexes, with brain.js's special tokens ('stop-input', 'start-output',
// 'unrecognized'). The net's model ids are these indexes + 1: id 0 is the start/end marker, as in brain.js.
// Deliberately no model and no training here (see ./net.ts).

/** A token: a character of a string, or an element of a token array (any JSON value that can be a Map key). */
export type Token = string | number | boolean | null;

/** What toJSON() writes: the tokens in index order and which of them are special. */
export interface DataFormatterJSON {
  characters: Token[];
  specialIndexes: number[];
}

const SPECIALS = ['stop-input', 'start-output', 'unrecognized'] as const;
export type Special = (typeof SPECIALS)[number];

function isToken(v: unknown): v is Token {
  return (
    v === null ||
    typeof v === 'string' ||
    typeof v === 'boolean' ||
    (typeof v === 'number' && Number.isFinite(v))
  );
}

function tokensOf(value: unknown, name: string): Token[] {
  if (typeof value === 'string') return Array.from(value);
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      if (!isToken(v))
        throw new TypeError(
          `Expected a string, finite number, boolean or null for ${name}[${i}] but received ${typeof v === 'object' ? 'an object' : String(v)}`,
        );
    });
    return value as Token[];
  }
  if (isToken(value)) return [value];
  throw new TypeError(`Expected a string or an array of tokens for ${name} but received ${typeof value}`);
}

/** brain.js's DataFormatter: characters in first-seen order, special tokens appended after them. */
export class DataFormatter {
  /** Every token, by index (special tokens by name). */
  characters: Token[] = [];
  /** Indexes of the special tokens ('stop-input', 'start-output', 'unrecognized'). */
  specialIndexes: number[] = [];
  #index = new Map<Token, number>();
  #special = new Map<Special, number>();

  /** The tokens of `values` (strings: their characters; arrays: their elements; other values: themselves). */
  constructor(values?: readonly unknown[], maxThreshold = 0) {
    if (values === undefined) return;
    if (!Array.isArray(values))
      throw new TypeError(
        `Expected an array of strings or token arrays for values but received ${typeof values}`,
      );
    values.forEach((v, i) => {
      for (const t of tokensOf(v, `values[${i}]`)) if (!this.#index.has(t)) this.#add(t);
    });
    if (maxThreshold > 0) {
      // brain.js keeps only indexes ≥ maxThreshold.
      const kept = this.characters.slice(maxThreshold);
      this.characters = [];
      this.#index.clear();
      for (const t of kept) this.#add(t);
    }
  }

  #add(t: Token): void {
    this.#index.set(t, this.characters.length);
    this.characters.push(t);
  }

  /** The index of a token (undefined when absent). */
  indexOf(token: Token): number | undefined {
    return this.#index.get(token);
  }

  /** The index of a special token, or -1. */
  indexOfSpecial(special: Special): number {
    return this.#special.get(special) ?? -1;
  }

  /** Whether it has 'stop-input' (then sequences are input, stop-input, start-output, output). */
  get hasInputOutput(): boolean {
    return this.#special.has('stop-input');
  }

  /** Indexes of a string's characters or an array's tokens; unknown tokens map to 'unrecognized' or throw. */
  toIndexes(value: unknown, name = 'input'): number[] {
    const unrecognized = this.#special.get('unrecognized');
    return tokensOf(value, name).map((t) => {
      const i = this.#index.get(t);
      if (i !== undefined) return i;
      if (unrecognized !== undefined) return unrecognized;
      throw new RangeError(
        `Expected tokens the net was trained on for ${name} but received unrecognized character ${JSON.stringify(t)}`,
      );
    });
  }

  /** brain.js's input-then-output sequence: input, 'stop-input', 'start-output', then output (when given). */
  toIndexesInputOutput(input: unknown, output: unknown = null): number[] {
    const a = this.toIndexes(input, 'input');
    a.push(this.#special.get('stop-input')!, this.#special.get('start-output')!);
    if (output === null) return a;
    return a.concat(this.toIndexes(output, 'output'));
  }

  /** The tokens of indexes, special tokens left out. */
  toCharacters(indexes: readonly number[]): Token[] {
    const out: Token[] = [];
    for (const i of indexes) {
      if (!(Number.isInteger(i) && i >= 0 && i < this.characters.length))
        throw new RangeError(`Expected an index in [0, ${this.characters.length - 1}] but received ${i}`);
      if (!this.specialIndexes.includes(i)) out.push(this.characters[i]);
    }
    return out;
  }

  toString(indexes: readonly number[]): string {
    return this.toCharacters(indexes).join('');
  }

  /** Add a special token (once). */
  addSpecial(special: Special): void {
    if (this.#special.has(special)) return;
    this.#special.set(special, this.characters.length);
    this.specialIndexes.push(this.characters.length);
    this.characters.push(special);
  }

  addInputOutput(): void {
    this.addSpecial('stop-input');
    this.addSpecial('start-output');
  }

  addUnrecognized(): void {
    this.addSpecial('unrecognized');
  }

  static fromAllPrintable(maxThreshold = 0, values: string[] = ['\n']): DataFormatter {
    const all = [...values];
    for (let i = 32; i <= 126; i++) all.push(String.fromCharCode(i));
    return new DataFormatter(all, maxThreshold);
  }

  static fromAllPrintableInputOutput(maxThreshold = 0, values: string[] = ['\n']): DataFormatter {
    const f = DataFormatter.fromAllPrintable(maxThreshold, values);
    f.addInputOutput();
    return f;
  }

  static fromString(text: string, maxThreshold = 0): DataFormatter {
    return new DataFormatter([text], maxThreshold);
  }

  static fromStringInputOutput(text: string, maxThreshold = 0): DataFormatter {
    const f = DataFormatter.fromString(text, maxThreshold);
    f.addInputOutput();
    return f;
  }

  /** The tokens of input/output values (sorted, as brain.js), with 'stop-input' and 'start-output'. */
  static fromArrayInputOutput(values: readonly unknown[], maxThreshold = 0): DataFormatter {
    const unique = values.filter((v, i, a) => a.indexOf(v) === i);
    const f = new DataFormatter(unique.sort(), maxThreshold);
    f.addInputOutput();
    return f;
  }

  toJSON(): DataFormatterJSON {
    return { characters: [...this.characters], specialIndexes: [...this.specialIndexes] };
  }

  /** Load toJSON()'s output (validated). */
  static fromJSON(json: unknown): DataFormatter {
    if (json === null || typeof json !== 'object')
      throw new TypeError(
        `Expected an object { characters, specialIndexes } for dataFormatter but received ${String(json)}`,
      );
    const { characters, specialIndexes } = json as Partial<DataFormatterJSON>;
    if (!Array.isArray(characters)) throw new TypeError('Expected an array for dataFormatter.characters');
    if (!Array.isArray(specialIndexes))
      throw new TypeError('Expected an array for dataFormatter.specialIndexes');
    const f = new DataFormatter();
    characters.forEach((t, i) => {
      if (!isToken(t)) throw new TypeError(`Expected a token for dataFormatter.characters[${i}]`);
      if (specialIndexes.includes(i)) {
        if (!(SPECIALS as readonly unknown[]).includes(t))
          throw new RangeError(
            `Expected a special token name for dataFormatter.characters[${i}] but received ${String(t)}`,
          );
        f.addSpecial(t as Special);
      } else {
        if (f.#index.has(t))
          throw new RangeError(
            `Expected distinct tokens in dataFormatter.characters but ${JSON.stringify(t)} repeats`,
          );
        f.#add(t);
      }
    });
    return f;
  }
}

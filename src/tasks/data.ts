// The examples of the sequence tasks and the text formats they come in: one example per line under a label (a
// names/LABEL.txt file), TSV and JSONL (text with a label, or with one label per character) and CoNLL-U (each
// character of a word carries the word's UPOS, the spaces between words their own label, and each syntactic word
// is scored at its first character). Parsing only, from strings: reading files and folders is src/io/task-data.ts.
// Deliberately no normalisation (NFC, case, trimming inside a line): a character is a Unicode code point, as in
// the model's vocabulary.
import { rangeError, typeError } from '../util/validate.js';

/** The heads that read a whole sequence: one label per sequence, or one per character. */
export type SequenceTask = 'classify' | 'tag';

export const SEQUENCE_TASKS: readonly SequenceTask[] = ['classify', 'tag'];

/** One classification example: a text and its label. */
export interface ClassifyExample {
  readonly text: string;
  readonly label: string;
}

/** One tagging example: a text and one label per code point of it. */
export interface TagExample {
  readonly text: string;
  /** labels[i]: the label of the i-th code point of text (so labels.length = [...text].length). */
  readonly labels: readonly string[];
  /**
   * The code-point index at which each word starts, ascending, for per-word scoring (a word is scored by the
   * label at its first character). Absent when the data has no words (TSV / JSONL): scored per character only.
   */
  readonly wordStarts?: readonly number[];
}

export type TaskExample = ClassifyExample | TagExample;

/** The label CoNLL-U's spaces between words get (spaCy's name for it): not a UPOS tag, so never confused with one. */
export const SPACE_LABEL = 'SPACE';

/** Number of code points of `text` (what the model sees: one token per code point). */
export function codePointLength(text: string): number {
  let n = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    // A high surrogate followed by a low one is one code point; a lone surrogate counts as one on its own.
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < text.length) {
      const d = text.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) i++;
    }
    n++;
  }
  return n;
}

/** The lines of `content` with their 1-based numbers: `\n` or `\r\n` ends, a final newline adds no line. */
function* lines(content: string): Generator<[string, number]> {
  let start = 0;
  let n = 0;
  while (start < content.length) {
    let end = content.indexOf('\n', start);
    if (end < 0) end = content.length;
    const line = content.slice(start, end > start && content[end - 1] === '\r' ? end - 1 : end);
    yield [line, ++n];
    start = end + 1;
  }
}

function where(source: string, line: number): string {
  return `${source} line ${line}`;
}

function checkContent(content: unknown, source: string): string {
  if (typeof content !== 'string') typeError('a string', `the text of ${source}`, content);
  return content;
}

/**
 * The examples of one names-style file: every non-empty line is one example labelled `label` (the file's name
 * without `.txt` in the PyTorch "classifying names" layout). A leading byte-order mark is dropped.
 */
export function parseLabelledLines(content: string, label: string, source = 'the data'): ClassifyExample[] {
  checkContent(content, source);
  if (typeof label !== 'string' || label.length === 0) typeError('a non-empty string', 'label', label);
  const out: ClassifyExample[] = [];
  for (const [line] of lines(content.replace(/^\uFEFF/, '')))
    if (line.length > 0) out.push({ text: line, label });
  return out;
}

function tagLabelsOf(text: string, labels: readonly string[], at: string): readonly string[] {
  const n = codePointLength(text);
  if (labels.length !== n)
    rangeError(
      `one label per character (${n} for ${JSON.stringify(text.length > 40 ? text.slice(0, 40) + '…' : text)})`,
      `the labels at ${at}`,
      `${labels.length} labels`,
    );
  labels.forEach((l, i) => {
    if (typeof l !== 'string' || l.length === 0) typeError('a non-empty string', `label ${i} at ${at}`, l);
  });
  return labels;
}

/**
 * TSV examples, one per non-empty line, text and label(s) separated by the line's LAST tab (so a text may hold
 * tabs, a label may not). Classify: `text<TAB>label`. Tag: `text<TAB>L1 L2 … Ln`, one space-separated label per
 * code point of the text.
 */
export function parseTsv(content: string, task: SequenceTask, source = 'the data'): TaskExample[] {
  checkContent(content, source);
  const out: TaskExample[] = [];
  for (const [line, n] of lines(content.replace(/^\uFEFF/, ''))) {
    if (line.length === 0) continue;
    const tab = line.lastIndexOf('\t');
    if (tab < 0)
      rangeError('text<TAB>label', where(source, n), line, 'separate the text from its label(s) with a tab');
    const text = line.slice(0, tab);
    const rest = line.slice(tab + 1);
    if (text.length === 0) rangeError('a non-empty text before the tab', where(source, n), line);
    if (task === 'classify') {
      if (rest.length === 0) rangeError('a label after the tab', where(source, n), line);
      out.push({ text, label: rest });
    } else {
      const labels = rest.split(' ').filter((l) => l.length > 0);
      out.push({ text, labels: tagLabelsOf(text, labels, where(source, n)) });
    }
  }
  return out;
}

/**
 * JSONL examples, one JSON object per non-empty line: `{"text": …, "label": …}` (classify) or
 * `{"text": …, "labels": [… one per code point …]}` (tag). Other fields are ignored.
 */
export function parseJsonl(content: string, task: SequenceTask, source = 'the data'): TaskExample[] {
  checkContent(content, source);
  const out: TaskExample[] = [];
  for (const [line, n] of lines(content.replace(/^\uFEFF/, ''))) {
    if (line.trim().length === 0) continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (err) {
      rangeError('a JSON object', where(source, n), line, (err as Error).message);
    }
    if (value === null || typeof value !== 'object' || Array.isArray(value))
      typeError('a JSON object', where(source, n), value);
    const { text, label, labels } = value as { text?: unknown; label?: unknown; labels?: unknown };
    if (typeof text !== 'string' || text.length === 0)
      typeError('a non-empty string', `"text" at ${where(source, n)}`, text);
    if (task === 'classify') {
      if (typeof label !== 'string' || label.length === 0)
        typeError('a non-empty string', `"label" at ${where(source, n)}`, label);
      out.push({ text, label });
    } else {
      if (!Array.isArray(labels)) typeError('an array of strings', `"labels" at ${where(source, n)}`, labels);
      out.push({ text, labels: tagLabelsOf(text, labels as string[], where(source, n)) });
    }
  }
  return out;
}

interface ConlluWord {
  form: string;
  upos: string;
}

interface ConlluToken {
  /** The surface form (a multiword token's form, or the word's own). */
  form: string;
  /** The syntactic words it stands for (one, or several for a multiword token such as "don't" = do + n't). */
  words: ConlluWord[];
  spaceAfter: boolean;
}

function spaceAfterOf(misc: string): boolean {
  return !misc.split('|').includes('SpaceAfter=No');
}

/**
 * CoNLL-U sentences as tagging examples. The text of a sentence is its tokens joined by a space unless the token
 * says SpaceAfter=No (so it equals `# text =` for well-formed data); every character of a word carries the
 * word's UPOS, each space between tokens carries SPACE_LABEL. A multiword token (`3-4 don't`) whose words spell
 * its surface form (do + n't) gives each word its own characters; one that does not (a contraction with a changed
 * spelling) labels its whole surface form with its first word's UPOS and is scored as that one word. Empty nodes
 * (`8.1`) and comments are skipped.
 */
export function parseConllu(content: string, source = 'the data'): TagExample[] {
  checkContent(content, source);
  const out: TagExample[] = [];
  let tokens: ConlluToken[] = [];
  let pendingRange: { end: number; form: string; spaceAfter: boolean; words: ConlluWord[] } | undefined;
  let lastLine = 0;

  const flush = (n: number) => {
    if (pendingRange)
      rangeError(
        `the words ${pendingRange.form} spans`,
        `the sentence ending at ${where(source, n)}`,
        'fewer words',
      );
    if (tokens.length === 0) return;
    let text = '';
    const labels: string[] = [];
    const wordStarts: number[] = [];
    tokens.forEach((tok, i) => {
      const start = labels.length;
      const spelled = tok.words.map((w) => w.form).join('');
      if (spelled === tok.form) {
        for (const w of tok.words) {
          wordStarts.push(labels.length);
          const len = codePointLength(w.form);
          for (let k = 0; k < len; k++) labels.push(w.upos);
        }
      } else {
        wordStarts.push(start);
        const len = codePointLength(tok.form);
        for (let k = 0; k < len; k++) labels.push(tok.words[0].upos);
      }
      text += tok.form;
      if (tok.spaceAfter && i < tokens.length - 1) {
        text += ' ';
        labels.push(SPACE_LABEL);
      }
    });
    if (labels.length > 0) out.push({ text, labels, wordStarts });
    tokens = [];
  };

  for (const [line, n] of lines(content.replace(/^\uFEFF/, ''))) {
    lastLine = n;
    if (line.trim().length === 0) {
      flush(n);
      continue;
    }
    if (line.startsWith('#')) continue;
    const cols = line.split('\t');
    if (cols.length !== 10)
      rangeError(
        '10 tab-separated columns (a CoNLL-U word line)',
        where(source, n),
        `${cols.length} columns`,
      );
    const [id, form, , upos, , , , , , misc] = cols;
    if (form.length === 0) rangeError('a non-empty FORM', where(source, n), form);
    if (/^\d+\.\d+$/.test(id)) continue; // an empty node: not in the surface text
    const range = /^(\d+)-(\d+)$/.exec(id);
    if (range) {
      if (pendingRange) rangeError('a word line after a multiword token', where(source, n), id);
      pendingRange = { end: Number(range[2]), form, spaceAfter: spaceAfterOf(misc), words: [] };
      continue;
    }
    if (!/^\d+$/.test(id)) rangeError('an ID (1, 2-3 or 4.1)', where(source, n), id);
    if (upos.length === 0 || upos === '_') rangeError('a UPOS tag', where(source, n), upos);
    if (pendingRange) {
      pendingRange.words.push({ form, upos });
      if (Number(id) >= pendingRange.end) {
        tokens.push({
          form: pendingRange.form,
          words: pendingRange.words,
          spaceAfter: pendingRange.spaceAfter,
        });
        pendingRange = undefined;
      }
      continue;
    }
    tokens.push({ form, words: [{ form, upos }], spaceAfter: spaceAfterOf(misc) });
  }
  flush(lastLine);
  return out;
}

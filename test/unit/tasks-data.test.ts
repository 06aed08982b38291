// The sequence tasks' readers (src/tasks/data.ts) and label vocabulary (src/tasks/labels.ts), on texts built here.
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import {
  SPACE_LABEL,
  codePointLength,
  parseConllu,
  parseJsonl,
  parseLabelledLines,
  parseTsv,
  type TagExample,
} from '../../src/tasks/data.js';
import { LabelVocabulary } from '../../src/tasks/labels.js';

describe('parseLabelledLines (names/LABEL.txt)', () => {
  it('gives one example per non-empty line, CRLF and a BOM dropped, accents kept', () => {
    expect(parseLabelledLines('\uFEFFNahas\r\n\r\nÉlodie\nO’Brien\n', 'French')).toEqual([
      { text: 'Nahas', label: 'French' },
      { text: 'Élodie', label: 'French' },
      { text: 'O’Brien', label: 'French' },
    ]);
  });
});

describe('parseTsv', () => {
  it('splits classify lines at the last tab', () => {
    expect(parseTsv('a\tb\tpos\nhello\tneg\n', 'classify')).toEqual([
      { text: 'a\tb', label: 'pos' },
      { text: 'hello', label: 'neg' },
    ]);
  });

  it('reads one label per code point for tagging, astral characters included', () => {
    expect(parseTsv('a😀b\tX Y Z\n', 'tag')).toEqual([{ text: 'a😀b', labels: ['X', 'Y', 'Z'] }]);
  });

  it('names the line of a bad example', () => {
    expect(() => parseTsv('ok\tA\nno tab here\n', 'classify', 'train.tsv')).toThrow(
      new RangeError(
        'Expected text<TAB>label for train.tsv line 2 but received "no tab here". HINT: separate the text from its label(s) with a tab',
      ),
    );
    expect(() => parseTsv('abc\tX Y\n', 'tag', 't.tsv')).toThrow(
      new RangeError(
        'Expected one label per character (3 for "abc") for the labels at t.tsv line 1 but received "2 labels"',
      ),
    );
  });
});

describe('parseJsonl', () => {
  it('reads classify and tag objects, ignoring other fields', () => {
    expect(parseJsonl('{"text":"hi","label":"greet","id":3}\n\n', 'classify')).toEqual([
      { text: 'hi', label: 'greet' },
    ]);
    expect(parseJsonl('{"text":"ab","labels":["A","B"]}', 'tag')).toEqual([
      { text: 'ab', labels: ['A', 'B'] },
    ]);
  });

  it('refuses a line that is not an object, or lacks its label', () => {
    expect(() => parseJsonl('[1]', 'classify', 'd.jsonl')).toThrow(
      new TypeError('Expected a JSON object for d.jsonl line 1 but received an array of length 1'),
    );
    expect(() => parseJsonl('{"text":"x"}', 'classify', 'd.jsonl')).toThrow(
      new TypeError('Expected a non-empty string for "label" at d.jsonl line 1 but received undefined'),
    );
    expect(() => parseJsonl('{"text":', 'tag', 'd.jsonl')).toThrow(RangeError);
  });
});

const CONLLU = [
  '# sent_id = 1',
  "# text = I don't like it.",
  '1\tI\tI\tPRON\tPRP\t_\t3\tnsubj\t_\t_',
  "2-3\tdon't\t_\t_\t_\t_\t_\t_\t_\t_",
  '2\tdo\tdo\tAUX\tVBP\t_\t4\taux\t_\t_',
  "3\tn't\tnot\tPART\tRB\t_\t4\tadvmod\t_\t_",
  '4\tlike\tlike\tVERB\tVB\t_\t0\troot\t_\t_',
  '4.1\tgone\tgo\tVERB\t_\t_\t_\t_\t_\t_',
  '5\tit\tit\tPRON\tPRP\t_\t4\tobj\t_\tSpaceAfter=No',
  '6\t.\t.\tPUNCT\t.\t_\t4\tpunct\t_\t_',
  '',
  '1\tgonna\tgo\tVERB\t_\t_\t0\troot\t_\t_',
  '',
].join('\n');

describe('parseConllu', () => {
  it('labels every character of a word with its UPOS and spaces with SPACE, words scored at their first character', () => {
    const [s1, s2] = parseConllu(CONLLU);
    expect(s1.text).toBe("I don't like it.");
    const S = SPACE_LABEL;
    expect(s1.labels).toEqual([
      'PRON',
      S,
      'AUX',
      'AUX',
      'PART',
      'PART',
      'PART',
      S,
      'VERB',
      'VERB',
      'VERB',
      'VERB',
      S,
      'PRON',
      'PRON',
      'PUNCT',
    ]);
    // I, do, n't, like, it, . — the multiword token's two words each start where their spelling does.
    expect(s1.wordStarts).toEqual([0, 2, 4, 8, 13, 15]);
    expect(s2).toEqual({ text: 'gonna', labels: Array(5).fill('VERB'), wordStarts: [0] });
  });

  it("labels a multiword token whose words do not spell it with the first word's UPOS, as one word", () => {
    const text = [
      '1-2\tcannot\t_\t_\t_\t_\t_\t_\t_\t_',
      '1\tcan\tcan\tAUX\t_\t_\t0\troot\t_\t_',
      '2\tnt\tnot\tPART\t_\t_\t1\tadvmod\t_\t_',
      '',
    ].join('\n');
    expect(parseConllu(text)).toEqual([{ text: 'cannot', labels: Array(6).fill('AUX'), wordStarts: [0] }]);
  });

  it('names the line of a malformed word', () => {
    expect(() => parseConllu('1\tword\tword\tNOUN\n', 'x.conllu')).toThrow(
      new RangeError(
        'Expected 10 tab-separated columns (a CoNLL-U word line) for x.conllu line 1 but received "4 columns"',
      ),
    );
  });

  it('keeps labels and text aligned for any sentence of words (property)', () => {
    const word = fc
      .string({ unit: 'grapheme', minLength: 1, maxLength: 6 })
      .filter((w) => !/[\t\n\r\s]/.test(w));
    const tok = fc.record({ form: word, upos: fc.constantFrom('NOUN', 'VERB', 'ADP'), glued: fc.boolean() });
    fc.assert(
      fc.property(fc.array(tok, { minLength: 1, maxLength: 8 }), (toks) => {
        const lines = toks.map(
          (t, i) => `${i + 1}\t${t.form}\t_\t${t.upos}\t_\t_\t0\tdep\t_\t${t.glued ? 'SpaceAfter=No' : '_'}`,
        );
        const [ex] = parseConllu(lines.join('\n') + '\n') as TagExample[];
        expect(ex.labels.length).toBe(codePointLength(ex.text));
        expect(ex.wordStarts!.length).toBe(toks.length);
        toks.forEach((t, i) => expect(ex.labels[ex.wordStarts![i]]).toBe(t.upos));
        const expected = toks.map((t, i) => t.form + (t.glued || i === toks.length - 1 ? '' : ' ')).join('');
        expect(ex.text).toBe(expected);
      }),
    );
  });
});

describe('LabelVocabulary', () => {
  it('sorts the distinct labels, so the order of the data does not change the ids', () => {
    const a = LabelVocabulary.fromLabels(['pos', 'neg', 'pos', 'mid']);
    const b = LabelVocabulary.fromLabels(['mid', 'neg', 'pos']);
    expect(a.labels).toEqual(['mid', 'neg', 'pos']);
    expect(b.labels).toEqual(a.labels);
    expect(a.idOf('neg')).toBe(1);
    expect(a.idOf('other')).toBe(-1);
    expect(a.labelOf(2)).toBe('pos');
  });

  it('round-trips through JSON and refuses a malformed one', () => {
    const v = LabelVocabulary.fromLabels(['b', 'a', 'c']);
    expect(LabelVocabulary.fromJSON(JSON.parse(JSON.stringify(v))).labels).toEqual(['a', 'b', 'c']);
    expect(() => LabelVocabulary.fromJSON({ kind: 'labels', labels: ['b', 'a'] })).toThrow(
      new RangeError(
        'Expected labels in strictly ascending order for label vocabulary labels but received "\\"b\\" before \\"a\\""',
      ),
    );
    expect(() => LabelVocabulary.fromJSON({ kind: 'char', tokens: [] })).toThrow(TypeError);
  });

  it('refuses a single class and names an unknown label', () => {
    expect(() => LabelVocabulary.fromLabels(['x', 'x'])).toThrow(
      new RangeError(
        'Expected at least two distinct labels for the labels of the training data but received "1 (\\"x\\")". HINT: a classifier needs examples of two or more classes',
      ),
    );
    expect(() => LabelVocabulary.fromLabels(['a', 'b']).checkedId('c', 'the label of example 4')).toThrow(
      new RangeError(
        'Expected one of the model\'s 2 labels for the label of example 4 but received "c". HINT: the model knows "a", "b"',
      ),
    );
  });
});

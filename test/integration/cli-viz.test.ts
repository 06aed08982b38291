// `charrnn viz`: a tiny trained model file turned into one self-contained viewer page (the data embedded as JSON,
// `</script>` in the text escaped, no network loads), and its one-line errors.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { VIZ_DATA_ID } from '../../src/report/viz-html.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-cli-viz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const charrnn = (...args: string[]) => runCli(args);

const corpusText = 'She said "no </script> way" (twice).\n<b>it\'s</b> fine\n'.repeat(30);
const corpusFile = join(dir, 'tiny.txt');
writeFileSync(corpusFile, corpusText);
const model = join(dir, 'tiny.safetensors');

type VizData = {
  tokens: string[];
  k: number;
  topIds: number[];
  topProbs: number[];
  surprisal: (number | null)[];
  vocab: Record<string, string>;
  layers: { name: string; size: number; scale: number; data: string }[];
  ranking: { feature: string; neurons: { layer: string; index: number; r: number }[] }[];
};

function embedded(html: string): VizData {
  const m = new RegExp(`<script type="application/json" id="${VIZ_DATA_ID}">([^]*?)</script>`).exec(html);
  expect(m).not.toBeNull();
  return JSON.parse(m![1]) as VizData;
}

describe('charrnn viz', () => {
  it('writes one self-contained page of a trained LSTM', () => {
    const t = charrnn(
      'train',
      '--corpus',
      corpusFile,
      '--backend',
      'js',
      '--cell',
      'lstm',
      '--hidden',
      '10',
      '--seq-length',
      '12',
      '--max-iters',
      '20',
      '--no-log',
      '--no-progress',
      '--out',
      model,
    );
    expect(t.code).toBe(0);
    const textFile = join(dir, 'text.txt');
    const text = corpusText.slice(0, 120);
    writeFileSync(textFile, text);
    const out = join(dir, 'viz.html');
    const r = charrnn('viz', model, '--text', textFile, '--out', out, '--top-k', '3', '--backend', 'js');
    expect(r.stderr).toContain(`wrote ${out} (120 tokens)`);
    expect(r.code).toBe(0);
    const html = readFileSync(out, 'utf8');
    // No network: no external script, stylesheet or image, no http(s) URL at all.
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=|<img|https?:\/\//);
    // The text's </script> is escaped inside the JSON: the page has exactly its own two script elements.
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    const data = embedded(html);
    expect(data.tokens.join('')).toBe(text);
    expect(data.k).toBe(3);
    expect(data.topIds).toHaveLength(120 * 3);
    expect(data.surprisal).toHaveLength(120);
    expect(data.surprisal[119]).toBeNull();
    for (const id of data.topIds) expect(typeof data.vocab[id]).toBe('string');
    expect(data.layers.map((l) => [l.name, l.size])).toEqual([
      ['h0', 10],
      ['c0', 10],
    ]);
    // int8 per value, base64: 4 characters per 3 bytes.
    expect(data.layers[0].data.length).toBe(Math.ceil((120 * 10) / 3) * 4);
    expect(data.ranking.map((f) => f.feature)).toEqual(['quote', 'bracket', 'linePosition', 'wordStart']);
    expect(data.ranking[0].neurons.length).toBeGreaterThan(0);

    // --prime and --max-chars.
    const out2 = join(dir, 'prime.html');
    const p = charrnn('viz', model, '--prime', 'She said "no"', '--max-chars', '5', '--out', out2);
    expect(p.code).toBe(0);
    expect(p.stderr).toContain('showing the first 5 of 13 characters');
    expect(embedded(readFileSync(out2, 'utf8')).tokens.join('')).toBe('She s');
  });

  it('says in one line what is wrong', () => {
    const missing = charrnn(
      'viz',
      join(dir, 'nope.safetensors'),
      '--prime',
      'hi',
      '--out',
      join(dir, 'x.html'),
    );
    expect(missing.code).toBe(1);
    expect(missing.stderr.trim().split('\n')).toHaveLength(1);
    expect(missing.stderr).toMatch(/^charrnn: .*nope\.safetensors/);
    const noText = charrnn('viz', model, '--text', join(dir, 'nope.txt'));
    expect(noText.code).toBe(1);
    expect(noText.stderr).toMatch(/^charrnn: Text file not found: .*nope\.txt/);
    expect(noText.stderr.trim().split('\n')).toHaveLength(1);
    const neither = charrnn('viz', model);
    expect(neither.code).toBe(1);
    expect(neither.stderr).toBe('charrnn: expected exactly one of --text FILE or --prime TEXT\n');
    const both = charrnn('viz', model, '--prime', 'a', '--text', corpusFile);
    expect(both.stderr).toBe('charrnn: expected exactly one of --text FILE or --prime TEXT\n');
    const badK = charrnn('viz', model, '--prime', 'a', '--top-k', '0');
    expect(badK.code).toBe(1);
    expect(badK.stderr).toContain('--top-k');
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });
});

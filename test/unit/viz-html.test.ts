// The viewer page of src/report/viz-html.ts: its embedded data, its escaping, base64, and its inline script run
// against a minimal stand-in DOM (one coloured cell per character, the top-k rows of a hovered character, the
// neuron ranking as buttons that select a neuron). The real-browser check is issue 13's Chromium test.
import { describe, expect, it } from 'vitest';
import { CharRNN } from '../../src/charrnn.js';
import { Vocabulary } from '../../src/text/vocabulary.js';
import { rankNeurons } from '../../src/generate/trace.js';
import { base64, renderViz, VIZ_DATA_ID } from '../../src/report/viz-html.js';

class El {
  children: El[] = [];
  style: Record<string, string> = {};
  dataset: Record<string, string> = {};
  textContent = '';
  value = '';
  max = '';
  checked = false;
  className = '';
  classes = new Set<string>();
  listeners: Record<string, ((e: unknown) => void)[]> = {};
  classList = { add: (c: string) => this.classes.add(c), remove: (c: string) => this.classes.delete(c) };
  appendChild(c: El) {
    this.children.push(c);
    return c;
  }
  addEventListener(type: string, f: (e: unknown) => void) {
    (this.listeners[type] ??= []).push(f);
  }
}

function runPage(html: string): Record<string, El> {
  const json = new RegExp(`<script type="application/json" id="${VIZ_DATA_ID}">([^]*?)</script>`).exec(
    html,
  )![1];
  const js = /<script>([^]*?)<\/script>/.exec(html)![1];
  const els: Record<string, El> = {};
  const document = {
    getElementById: (id: string) => {
      const e = (els[id] ??= new El());
      if (id === VIZ_DATA_ID) e.textContent = json;
      return e;
    },
    createElement: () => new El(),
    querySelectorAll: () => [],
  };
  const atob = (s: string) => Buffer.from(s, 'base64').toString('latin1');
  new Function('document', 'atob', js)(document, atob);
  return els;
}

describe('the viz page', () => {
  const text = 'a "b" (c)\nhi </script> <!-- x';
  const model = CharRNN.create({
    vocabulary: Vocabulary.fromText(text),
    cell: 'lstm',
    hiddenSize: 5,
    backend: 'js',
  });
  const r = model.trace(text, { topK: 3 });
  const html = renderViz(r, rankNeurons(r, { top: 2 }), {
    title: '<b>t</b>',
    tokenOf: (id) => model.vocabulary.tokenOf(id),
  });

  it('escapes the text and the title', () => {
    expect(html.match(/<\/script>/g)).toHaveLength(2);
    expect(html).not.toContain('<!-- x');
    expect(html).toContain('<title>&lt;b&gt;t&lt;/b&gt;</title>');
  });

  it('runs: one cell per character, top-k on hover, the ranking selects a neuron', () => {
    const els = runPage(html);
    const cells = els.text.children;
    expect(cells).toHaveLength(Array.from(text).length);
    expect(cells.map((c) => c.textContent).join('')).toBe(text.replace('\n', '\u21b5\n'));
    for (const c of cells) expect(c.style.background).toMatch(/^rgb\(\d+,\d+,\d+\)$/);
    els.text.listeners.mouseover[0]({ target: cells[2] });
    const rows = els.info.children[1].children;
    expect(rows).toHaveLength(3);
    const probs = r.topK.probs.subarray(6, 9);
    expect(rows.map((row) => row.children[0].textContent)).toEqual(
      Array.from(r.topK.ids.subarray(6, 9), (id) => JSON.stringify(model.vocabulary.tokenOf(id))),
    );
    expect(rows[0].children[1].textContent).toBe(`${(probs[0] * 100).toFixed(1)}%`);
    // The ranking: a heading per feature, and clicking a listed neuron selects its block and unit.
    const headings = els.ranking.children.filter((c) => c.children.length === 0 && c.className !== 'sub');
    expect(headings.map((h) => h.textContent)).toHaveLength(4);
    const list = els.ranking.children.find((c) => c.children.length > 0)!;
    const button = list.children[0].children[0];
    const [, layer, unit] = /^([hc]\d)\[(\d+)\]/.exec(button.textContent)!;
    button.listeners.click[0]({});
    expect(els.unit.value).toBe(unit);
    expect(els.layer.value).toBe(String(r.layers.findIndex((l) => l.name === layer)));
  });

  it('base64 matches Buffer', () => {
    for (const n of [0, 1, 2, 3, 4, 5, 100]) {
      const bytes = Uint8Array.from({ length: n }, (_, i) => (i * 37 + 11) & 255);
      expect(base64(bytes)).toBe(Buffer.from(bytes).toString('base64'));
    }
  });
});

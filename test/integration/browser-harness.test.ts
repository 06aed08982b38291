// The browser test harness itself (test/helpers/browser.ts): real headless Chromium loads a page over the localhost
// server, runs a module script and a module Web Worker, and the harness records what a page reports as an error.
// Code run in the page is passed as strings: the tests are typed for Node, without the DOM's globals.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBrowser, type BrowserHarness } from '../helpers/browser.js';

let dir: string;
let harness: BrowserHarness;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'charrnn-browser-harness-'));
  writeFileSync(
    join(dir, 'index.html'),
    `<!doctype html><meta charset="utf-8"><title>harness</title><p id="out">…</p>
<script type="module">
import { double } from './lib.js';
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
worker.onmessage = (e) => { document.getElementById('out').textContent = 'worker says ' + e.data; };
worker.postMessage(double(21));
</script>`,
  );
  writeFileSync(join(dir, 'lib.js'), 'export const double = (x) => 2 * x;\n');
  writeFileSync(
    join(dir, 'worker.js'),
    "import { double } from './lib.js';\nonmessage = (e) => postMessage(double(e.data));\n",
  );
  writeFileSync(
    join(dir, 'broken.html'),
    '<!doctype html><script>console.error("oops"); throw new Error("boom");</script>',
  );
  harness = await startBrowser(dir, { '/extra.txt': { body: 'from a route' } });
}, 60_000);

afterAll(async () => {
  await harness?.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('the browser test harness', () => {
  it('serves a page whose module script and module worker run in headless Chromium', async () => {
    const { page, errors } = await harness.open('/');
    await page.waitForFunction("document.getElementById('out').textContent.startsWith('worker says')");
    expect(await page.textContent('#out')).toBe('worker says 84');
    expect(errors).toEqual([]);
    expect(await page.evaluate("fetch('/extra.txt').then((r) => r.text())")).toBe('from a route');
    await page.close();
  });

  it("records a page's console errors, uncaught exceptions and missing files", async () => {
    const { page, errors } = await harness.open('/broken.html');
    await page.evaluate("fetch('/../../etc/passwd').catch(() => undefined)");
    await page.evaluate("fetch('/missing.js').catch(() => undefined)");
    expect(errors).toContain('console.error: oops');
    expect(errors).toContain('page error: boom');
    expect(errors.filter((e) => e.startsWith('HTTP 404')).length).toBe(2);
    await page.close();
  });
});

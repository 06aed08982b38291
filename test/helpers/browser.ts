// A real headless Chromium for the browser tests: Debian's `chromium` (apt; .ci/run installs it) driven by
// playwright-core, and pages served from a localhost HTTP server (not file://, so module scripts and Web Workers
// load). No browser is ever downloaded, and nothing is skipped: a missing Chromium fails the test with the fix.
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { delimiter, extname, join, resolve, sep } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

/**
 * Chromium's flags for a headless run as root in a container: no sandbox (root), no GPU, and no network or
 * background traffic of its own. playwright-core's launch() gives every browser a fresh temporary profile
 * (--user-data-dir) and removes it on close.
 */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.txt': 'text/plain; charset=utf-8',
  '.safetensors': 'application/octet-stream',
};

/** The Chromium executable: $CHARRNN_CHROMIUM, else `chromium` / `chromium-browser` on the PATH. */
export function findChromium(): string {
  const fromEnv = process.env.CHARRNN_CHROMIUM;
  if (fromEnv) {
    if (!existsSync(fromEnv)) throw new Error(`CHARRNN_CHROMIUM is set to ${fromEnv}, which does not exist.`);
    return fromEnv;
  }
  const dirs = (process.env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of ['chromium', 'chromium-browser']) {
    for (const dir of [...dirs, '/usr/bin']) {
      const candidate = join(dir, name);
      if (existsSync(candidate)) return candidate;
    }
  }
  throw new Error(
    'The browser tests need Chromium, and none was found (`chromium` on the PATH or $CHARRNN_CHROMIUM).\n' +
      'HINT: on Debian/Ubuntu `sudo apt-get install -y chromium` (.ci/run does this), or set CHARRNN_CHROMIUM=/path/to/chrome.',
  );
}

/** One response the server gives for a path, beside the files of its root. */
export type Route =
  { body: string | Uint8Array; type?: string } | ((url: URL) => { body: string | Uint8Array; type?: string });

export interface StaticServer {
  /** `http://127.0.0.1:PORT` (no trailing slash). */
  readonly origin: string;
  close(): Promise<void>;
}

/**
 * Serve the files under `root` (a GET of a folder serves its index.html; a missing /favicon.ico is an empty 204), and `routes` (exact paths such as
 * '/dist/browser.js') before them, on 127.0.0.1 at a free port. Paths that leave `root` get 404.
 */
export async function serve(root: string, routes: Record<string, Route> = {}): Promise<StaticServer> {
  const base = resolve(root);
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const send = (status: number, body: string | Uint8Array, type: string) => {
      res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
      res.end(body);
    };
    try {
      const route = routes[url.pathname];
      if (route) {
        const r = typeof route === 'function' ? route(url) : route;
        return send(200, r.body, r.type ?? MIME[extname(url.pathname)] ?? 'application/octet-stream');
      }
      let file = resolve(base, '.' + decodeURIComponent(url.pathname));
      if (file !== base && !file.startsWith(base + sep)) return send(404, 'not found', 'text/plain');
      if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
      if (!existsSync(file) || !statSync(file).isFile()) {
        // Chromium asks for a favicon on its own: no icon is not an error of the page.
        if (url.pathname === '/favicon.ico') return send(204, '', 'image/x-icon');
        return send(404, 'not found', 'text/plain');
      }
      send(200, readFileSync(file), MIME[extname(file)] ?? 'application/octet-stream');
    } catch (err) {
      send(500, String(err), 'text/plain');
    }
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(0, '127.0.0.1', () => ok());
  });
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

/** A page with what it reported: console errors and uncaught exceptions, as text. */
export interface WatchedPage {
  page: Page;
  /** console.error messages, page errors (uncaught exceptions) and failed requests, in order. */
  errors: string[];
}

export interface BrowserHarness {
  browser: Browser;
  server: StaticServer;
  /** Open `path` (relative to the server's origin) in a new page, recording its errors; waits for 'load'. */
  open(path: string): Promise<WatchedPage>;
  /** Close every page, the browser and the server. */
  close(): Promise<void>;
}

/** Launch headless Chromium with CHROMIUM_ARGS (one per test file: start in beforeAll, close in afterAll). */
export async function launchChromium(): Promise<Browser> {
  const executablePath = findChromium();
  try {
    return await chromium.launch({ executablePath, headless: true, args: CHROMIUM_ARGS, timeout: 30_000 });
  } catch (err) {
    throw new Error(`Chromium at ${executablePath} did not start: ${(err as Error).message}`, { cause: err });
  }
}

/** Chromium plus a server for `root` (and `routes`): the harness of one browser test file. */
export async function startBrowser(
  root: string,
  routes: Record<string, Route> = {},
): Promise<BrowserHarness> {
  const server = await serve(root, routes);
  let browser: Browser;
  try {
    browser = await launchChromium();
  } catch (err) {
    await server.close();
    throw err;
  }
  return {
    browser,
    server,
    async open(path) {
      const page = await browser.newPage();
      const errors: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error') errors.push(`console.error: ${m.text()}`);
      });
      page.on('pageerror', (e) => errors.push(`page error: ${e.message}`));
      page.on('requestfailed', (r) =>
        errors.push(`request failed: ${r.url()} (${r.failure()?.errorText ?? '?'})`),
      );
      page.on('response', (r) => {
        if (r.status() >= 400) errors.push(`HTTP ${r.status()}: ${r.url()}`);
      });
      await page.goto(server.origin + (path.startsWith('/') ? path : '/' + path), { waitUntil: 'load' });
      return { page, errors };
    },
    async close() {
      await browser.close().catch(() => undefined);
      await server.close();
    },
  };
}

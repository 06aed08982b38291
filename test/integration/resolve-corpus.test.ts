// resolveCorpus against a local HTTP server: verified download and cache, corrupt bytes, outages, CHARRNN_DATA_DIR.
import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  corpusCacheDir,
  resolveCorpus,
  SHAKESPEARE_FILE,
  SHAKESPEARE_SHA256,
  SHAKESPEARE_URL,
} from '../../src/io/resolve-corpus.js';

// A self-made stand-in for the corpus (never any text of the real one).
const FAKE = 'Lorem ipsum dolor sit amet,\nconsectetur adipiscing elit. ☃ 😀\n'.repeat(50);
const FAKE_SHA = createHash('sha256').update(FAKE).digest('hex');
const OFFLINE_HINT =
  'HINT: you appear to be offline; download it yourself and pass --corpus FILE, ' +
  'or set CHARRNN_DATA_DIR to a folder containing tinyshakespeare.txt';

let server: Server;
let baseUrl: string;
let requests: string[] = [];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests.push(req.url ?? '');
    if (req.url === '/good.txt') res.end(FAKE);
    else if (req.url === '/corrupt.txt') res.end(FAKE.replace('Lorem', 'L0rem'));
    else if (req.url === '/latin1.txt') res.end(Buffer.from([0x63, 0x61, 0x66, 0xe9]));
    else {
      res.statusCode = 500;
      res.end('boom');
    }
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await new Promise<void>((r) => server.close(() => r()));
});

let cacheDir: string;
beforeEach(async () => {
  requests = [];
  cacheDir = await mkdtemp(join(tmpdir(), 'charrnn-cache-'));
});
afterEach(async () => {
  await rm(cacheDir, { recursive: true, force: true });
});

const envFor = (path: string): NodeJS.ProcessEnv => ({
  CHARRNN_CACHE_DIR: cacheDir,
  CHARRNN_SHAKESPEARE_URL: baseUrl + path,
});

describe('resolveCorpus: download and cache', () => {
  it('exports the canonical constants', () => {
    expect(SHAKESPEARE_URL).toBe(
      'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt',
    );
    expect(SHAKESPEARE_SHA256).toBe('86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed');
    expect(SHAKESPEARE_FILE).toBe('tinyshakespeare.txt');
  });

  it('downloads once, verifies, caches, and serves the second call from the cache', async () => {
    const logs: string[] = [];
    const opts = { env: envFor('/good.txt'), expectedSha256: FAKE_SHA, log: (m: string) => logs.push(m) };
    const first = await resolveCorpus('shakespeare', opts);
    expect(first.text).toBe(FAKE);
    expect(first.path).toBe(join(cacheDir, SHAKESPEARE_FILE));
    expect(await readFile(first.path, 'utf8')).toBe(FAKE);
    expect(await readdir(cacheDir)).toEqual([SHAKESPEARE_FILE]);
    expect(requests).toEqual(['/good.txt']);
    expect(logs.some((m) => m.startsWith('Downloading'))).toBe(true);

    const second = await resolveCorpus('shakespeare', opts);
    expect(second).toEqual(first);
    expect(requests).toHaveLength(1);
  });

  it('re-downloads a cached file whose hash does not match', async () => {
    await writeFile(join(cacheDir, SHAKESPEARE_FILE), 'tampered');
    const logs: string[] = [];
    const got = await resolveCorpus('shakespeare', {
      env: envFor('/good.txt'),
      expectedSha256: FAKE_SHA,
      log: (m) => logs.push(m),
    });
    expect(got.text).toBe(FAKE);
    expect(requests).toEqual(['/good.txt']);
    expect(logs[0]).toContain('downloading it again');
    expect(await readFile(join(cacheDir, SHAKESPEARE_FILE), 'utf8')).toBe(FAKE);
  });

  it('rejects a corrupted download with both hashes and caches nothing', async () => {
    const url = `${baseUrl}/corrupt.txt`;
    const received = createHash('sha256').update(FAKE.replace('Lorem', 'L0rem')).digest('hex');
    await expect(
      resolveCorpus('shakespeare', { env: envFor('/corrupt.txt'), expectedSha256: FAKE_SHA }),
    ).rejects.toThrow(
      `The Shakespeare corpus downloaded from ${url} has SHA-256 ${received} but ${FAKE_SHA} was expected; ` +
        'nothing was cached. HINT: retry later, or download it yourself and pass --corpus FILE',
    );
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('checks against the real SHA-256 by default', async () => {
    await expect(resolveCorpus('shakespeare', { env: envFor('/good.txt') })).rejects.toThrow(
      `but ${SHAKESPEARE_SHA256} was expected`,
    );
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('rejects invalid UTF-8 even when the hash matches, caching nothing', async () => {
    const sha = createHash('sha256')
      .update(Buffer.from([0x63, 0x61, 0x66, 0xe9]))
      .digest('hex');
    await expect(
      resolveCorpus('shakespeare', { env: envFor('/latin1.txt'), expectedSha256: sha }),
    ).rejects.toThrow('at byte offset 3');
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('creates a missing cache dir', async () => {
    const nested = join(cacheDir, 'a', 'b');
    const got = await resolveCorpus('shakespeare', {
      env: { CHARRNN_CACHE_DIR: nested, CHARRNN_SHAKESPEARE_URL: `${baseUrl}/good.txt` },
      expectedSha256: FAKE_SHA,
    });
    expect(got.path).toBe(join(nested, SHAKESPEARE_FILE));
  });

  it('gives the offline hint on HTTP 500', async () => {
    await expect(
      resolveCorpus('shakespeare', { env: envFor('/error'), expectedSha256: FAKE_SHA }),
    ).rejects.toThrow(
      `Could not download the Shakespeare corpus from ${baseUrl}/error: HTTP 500 Internal Server Error. ${OFFLINE_HINT}`,
    );
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('gives the offline hint when the connection is refused', async () => {
    // Bind then close a server so the port is known to be free.
    const s = createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
    const port = (s.address() as AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const url = `http://127.0.0.1:${port}/input.txt`;
    const err = await resolveCorpus('shakespeare', {
      env: { CHARRNN_CACHE_DIR: cacheDir, CHARRNN_SHAKESPEARE_URL: url },
    }).then(
      () => new Error('expected a rejection'),
      (e: unknown) => e as Error,
    );
    expect(err).toBeInstanceOf(Error);
    expect(err.message).toMatch(
      new RegExp(
        `^Could not download the Shakespeare corpus from ${url.replace(/\./g, '\\.')}: .*ECONNREFUSED`,
      ),
    );
    expect(err.message.endsWith(OFFLINE_HINT)).toBe(true);
    expect(await readdir(cacheDir)).toEqual([]);
  });

  it('uses an injected fetch and reports its failure', async () => {
    const fetchImpl = (async () => {
      throw new TypeError('fetch failed', { cause: new Error('getaddrinfo ENOTFOUND example.invalid') });
    }) as typeof fetch;
    await expect(
      resolveCorpus('shakespeare', { env: { CHARRNN_CACHE_DIR: cacheDir }, fetchImpl }),
    ).rejects.toThrow(
      `Could not download the Shakespeare corpus from ${SHAKESPEARE_URL}: fetch failed (getaddrinfo ENOTFOUND example.invalid). ${OFFLINE_HINT}`,
    );
  });
});

describe('resolveCorpus: directories and paths', () => {
  it('prefers $CHARRNN_DATA_DIR/tinyshakespeare.txt over the cache and the network', async () => {
    const dataDir = join(cacheDir, 'data');
    await mkdir(dataDir);
    await writeFile(join(dataDir, SHAKESPEARE_FILE), FAKE);
    const got = await resolveCorpus('shakespeare', {
      env: { ...envFor('/good.txt'), CHARRNN_DATA_DIR: dataDir },
      expectedSha256: FAKE_SHA,
    });
    expect(got).toEqual({ path: join(dataDir, SHAKESPEARE_FILE), text: FAKE });
    expect(requests).toEqual([]);
  });

  it('falls through a data dir without the file', async () => {
    const got = await resolveCorpus('shakespeare', {
      env: { ...envFor('/good.txt'), CHARRNN_DATA_DIR: join(cacheDir, 'nope') },
      expectedSha256: FAKE_SHA,
    });
    expect(got.path).toBe(join(cacheDir, SHAKESPEARE_FILE));
  });

  it('picks the cache dir from CHARRNN_CACHE_DIR, XDG_CACHE_HOME, then HOME', () => {
    expect(corpusCacheDir({ CHARRNN_CACHE_DIR: '/c', XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe('/c');
    expect(corpusCacheDir({ XDG_CACHE_HOME: '/x', HOME: '/h' })).toBe(join('/x', 'charrnn'));
    expect(corpusCacheDir({ HOME: '/h' })).toBe(join('/h', '.cache', 'charrnn'));
  });

  it('reads any other name as a file path', async () => {
    const p = join(cacheDir, 'mine.txt');
    await writeFile(p, 'hello corpus\n');
    expect(await resolveCorpus(p)).toEqual({ path: p, text: 'hello corpus\n' });
    await expect(resolveCorpus(join(cacheDir, 'missing.txt'))).rejects.toThrow(
      'HINT: pass --corpus FILE with an existing UTF-8 text file, or --corpus shakespeare',
    );
  });
});

describe('resolveCorpus: the real corpus via CHARRNN_DATA_DIR', () => {
  it('returns the 1,115,394-character corpus without touching the network', async () => {
    const dataDir = process.env.CHARRNN_DATA_DIR;
    const present = !!dataDir && existsSync(join(dataDir, SHAKESPEARE_FILE));
    if (!present) {
      if (process.env.CI)
        throw new Error(
          `CHARRNN_DATA_DIR (${dataDir ?? 'unset'}) does not contain ${SHAKESPEARE_FILE}; CI must provide it`,
        );
      console.warn(`note: CHARRNN_DATA_DIR/${SHAKESPEARE_FILE} not found; skipping the full-corpus check`);
      return;
    }
    const fetchImpl = (async () => {
      throw new Error('the network must not be used');
    }) as typeof fetch;
    const logs: string[] = [];
    const got = await resolveCorpus('shakespeare', {
      env: { CHARRNN_DATA_DIR: dataDir, CHARRNN_CACHE_DIR: cacheDir },
      fetchImpl,
      log: (m) => logs.push(m),
    });
    expect(got.path).toBe(join(dataDir!, SHAKESPEARE_FILE));
    expect(got.text.length).toBe(1_115_394);
    expect(new Set(got.text).size).toBe(65);
    expect(logs).toEqual([]); // the hash matched
  });
});

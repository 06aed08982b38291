// Resolves --corpus: the built-in name `shakespeare` (data dir, user cache, or one verified download), else a file path.
// Deliberately does no tokenisation or splitting (see text/corpus.ts) and never caches unverified bytes.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { decodeUtf8Strict } from '../text/corpus.js';
import { readCorpusFile } from '../text/corpus-file.js';
import { typeError } from '../util/validate.js';

/** The built-in corpus name. */
export const SHAKESPEARE_NAME = 'shakespeare';
/** Canonical public location of the Shakespeare corpus (override with env CHARRNN_SHAKESPEARE_URL). */
export const SHAKESPEARE_URL =
  'https://raw.githubusercontent.com/karpathy/char-rnn/master/data/tinyshakespeare/input.txt';
/** SHA-256 of the file at SHAKESPEARE_URL (1,115,394 bytes). */
export const SHAKESPEARE_SHA256 = '86c4e6aa9db7c042ec79f339dcb96d42b0075e16b8fc2e86bf0ca57e2dc565ed';
/** File name looked up in CHARRNN_DATA_DIR and in the cache dir. */
export const SHAKESPEARE_FILE = 'tinyshakespeare.txt';

const DOWNLOAD_TIMEOUT_MS = 120_000;

export interface ResolveCorpusOptions {
  /** Progress and warnings (download, cache repair); default: silent. */
  log?: (msg: string) => void;
  /** Injected fetch (tests); default: globalThis.fetch. */
  fetchImpl?: typeof fetch;
  /** Environment to read CHARRNN_* / XDG_CACHE_HOME / HOME from; default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** For tests and mirrors serving other bytes: the SHA-256 (hex) the download must have. */
  expectedSha256?: string;
}

export interface ResolvedCorpus {
  /** Absolute path of the file the text was read from. */
  path: string;
  text: string;
}

/** The user cache dir: $CHARRNN_CACHE_DIR, else $XDG_CACHE_HOME/charrnn, else ~/.cache/charrnn. */
export function corpusCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  if (env.CHARRNN_CACHE_DIR) return resolve(env.CHARRNN_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return resolve(env.XDG_CACHE_HOME, 'charrnn');
  return resolve(env.HOME || homedir(), '.cache', 'charrnn');
}

function sha256Hex(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

async function isFile(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch {
    return false;
  }
}

/**
 * `shakespeare` → $CHARRNN_DATA_DIR/tinyshakespeare.txt if present (used as is, a hash mismatch is
 * only logged), else the cached copy (hash-checked; a mismatch re-downloads), else a download that
 * is hash-checked before it is written to a temp file and renamed into the cache. Anything else is a
 * path to a UTF-8 text file.
 */
export async function resolveCorpus(
  nameOrPath: string,
  opts: ResolveCorpusOptions = {},
): Promise<ResolvedCorpus> {
  if (typeof nameOrPath !== 'string' || nameOrPath.length === 0)
    typeError(
      'a corpus name or file path',
      'corpus',
      nameOrPath,
      'pass --corpus FILE or --corpus shakespeare',
    );
  if (nameOrPath !== SHAKESPEARE_NAME) {
    const path = resolve(nameOrPath);
    return { path, text: await readCorpusFile(path) };
  }

  const env = opts.env ?? process.env;
  const log = opts.log ?? (() => {});
  const expected = (opts.expectedSha256 ?? SHAKESPEARE_SHA256).toLowerCase();

  if (env.CHARRNN_DATA_DIR) {
    const path = resolve(env.CHARRNN_DATA_DIR, SHAKESPEARE_FILE);
    if (await isFile(path)) {
      const bytes = await readFile(path);
      const got = sha256Hex(bytes);
      if (got !== expected)
        log(`Warning: ${path} has SHA-256 ${got}, not the expected ${expected}; using it as is.`);
      return { path, text: decodeUtf8Strict(bytes, path) };
    }
  }

  const cacheDir = corpusCacheDir(env);
  const cached = join(cacheDir, SHAKESPEARE_FILE);
  if (await isFile(cached)) {
    const bytes = await readFile(cached);
    const got = sha256Hex(bytes);
    if (got === expected) return { path: cached, text: decodeUtf8Strict(bytes, cached) };
    log(`Cached ${cached} has SHA-256 ${got}, expected ${expected}: downloading it again.`);
  }

  const url = env.CHARRNN_SHAKESPEARE_URL || SHAKESPEARE_URL;
  log(`Downloading the Shakespeare corpus from ${url} to ${cached} …`);
  const bytes = await download(url, opts.fetchImpl ?? globalThis.fetch);
  const got = sha256Hex(bytes);
  if (got !== expected)
    throw new Error(
      `The Shakespeare corpus downloaded from ${url} has SHA-256 ${got} but ${expected} was expected; ` +
        `nothing was cached. HINT: retry later, or download it yourself and pass --corpus FILE`,
    );
  const text = decodeUtf8Strict(bytes, url);
  await writeAtomically(cacheDir, cached, bytes);
  log(`Saved ${bytes.length} bytes to ${cached}.`);
  return { path: cached, text };
}

async function download(url: string, fetchImpl: typeof fetch): Promise<Uint8Array> {
  let reason: string;
  try {
    const res = await fetchImpl(url, { signal: AbortSignal.timeout(DOWNLOAD_TIMEOUT_MS) });
    if (res.ok) return new Uint8Array(await res.arrayBuffer());
    reason = `HTTP ${res.status}${res.statusText ? ' ' + res.statusText : ''}`;
  } catch (err) {
    reason = describeNetworkError(err);
  }
  throw new Error(
    `Could not download the Shakespeare corpus from ${url}: ${reason}. HINT: you appear to be offline; ` +
      `download it yourself and pass --corpus FILE, or set CHARRNN_DATA_DIR to a folder containing ${SHAKESPEARE_FILE}`,
  );
}

/** "fetch failed (connect ECONNREFUSED 127.0.0.1:9)": undici hides the useful part in `cause`. */
function describeNetworkError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? err.cause.message : undefined;
  return cause && cause !== err.message ? `${err.message} (${cause})` : err.message;
}

/** Write to a temp file next to `dest`, then rename over it; the temp file is removed on failure. */
async function writeAtomically(dir: string, dest: string, bytes: Uint8Array): Promise<void> {
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${SHAKESPEARE_FILE}.${process.pid}.${randomBytes(6).toString('hex')}.tmp`);
  try {
    await writeFile(tmp, bytes, { flag: 'wx' });
    await rename(tmp, dest);
  } catch (err) {
    await rm(tmp, { force: true });
    throw err;
  }
}

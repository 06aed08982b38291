// Corpora larger than memory. One streaming pass over a UTF-8 file computes its SHA-1, checks the UTF-8 strictly,
// builds the character vocabulary, counts the tokens and records a sparse index (the byte offset of every
// INDEX_STRIDE-th token); the result is cached by size and hash (beside the corpus where that folder is writable,
// else in the user cache). FileTokenSource then reads token ids by position: each cursor decodes the file through
// a bounded window with positioned reads and keeps the ids compact (Uint8 / Uint16 when the vocabulary allows).
// The ids equal, id for id, those of Corpus.fromText over the same file (a leading BOM is skipped as the decoder
// does). Deliberately char-level only: a word vocabulary needs the whole text (see openCorpusFile's error).
import { createHash } from 'node:crypto';
import { closeSync, constants as fsConstants, fstatSync, openSync, readSync } from 'node:fs';
import { access, mkdir, open, readFile, stat } from 'node:fs/promises';
import { basename, dirname, join, relative, resolve, isAbsolute } from 'node:path';
import { invalidUtf8Error, SPLIT_HINT } from '../text/corpus.js';
import type { TokenCursor, TokenSource } from '../text/token-source.js';
import { formatChar, UNKNOWN_CHARACTER_HINT, Vocabulary } from '../text/vocabulary.js';
import { refuseSpecialFile } from '../util/files.js';
import { numberInRange, positiveInt, typeError } from '../util/validate.js';
import { writeFileAtomic } from './atomic.js';
import { corpusCacheDir } from './resolve-corpus.js';

/**
 * Corpus files larger than this (bytes) are streamed by `charrnn train` rather than read into memory; override with
 * the environment variable CHARRNN_STREAM_THRESHOLD (bytes). Reading a file into memory costs about 5 bytes of
 * memory per byte of text at its peak (the bytes, the UTF-16 string, the ids), so 64 MiB keeps that near 320 MB.
 */
export const STREAM_THRESHOLD = 64 * 1024 * 1024;
/** Tokens between two entries of the index (a seek decodes at most this many tokens to reach its position). */
export const INDEX_STRIDE = 1 << 16;
/** Default window of a cursor, bytes (each of the B streams has one, plus as many compact ids). */
export const DEFAULT_WINDOW_BYTES = 1 << 16;
/** The scan reads this many bytes at a time. */
const SCAN_BYTES = 1 << 22;
/** Version of the cache file's layout. */
const CACHE_VERSION = 1;
const BMP = 0x10000;

/** What the one streaming pass learns about a corpus file. */
export interface CorpusScan {
  /** File size in bytes. */
  size: number;
  /** SHA-1 of the whole file, hex. */
  sha1: string;
  /** Number of tokens (code points after a leading BOM). */
  tokens: number;
  /** Bytes of the leading BOM skipped (0 or 3). */
  bom: number;
  /** Distinct code points, ascending (the vocabulary Vocabulary.fromText would build). */
  codePoints: number[];
  /** index[j]: byte offset of token j·INDEX_STRIDE. */
  index: Float64Array;
}

export interface ScanOptions {
  /** Progress lines (the scan of a large file takes seconds); default silent. */
  log?: (msg: string) => void;
  /** Environment for the cache location (CHARRNN_CACHE_DIR / XDG_CACHE_HOME / HOME, CHARRNN_DATA_DIR). */
  env?: NodeJS.ProcessEnv;
  /** Where to cache the scan: 'auto' (default: beside the corpus if writable, else the user cache), a folder, or false. */
  cache?: 'auto' | string | false;
  /** Bytes per read of the scan (default 4 MiB; tests make it tiny to split sequences across reads). */
  scanBytes?: number;
}

/** The cache file of a corpus: beside it when its folder is writable (and not the shared data dir), else the user cache. */
export async function scanCachePath(path: string, env: NodeJS.ProcessEnv = process.env): Promise<string> {
  const abs = resolve(path);
  const dir = dirname(abs);
  const shared = env.CHARRNN_DATA_DIR ? resolve(env.CHARRNN_DATA_DIR) : undefined;
  const inShared =
    shared !== undefined && !relative(shared, abs).startsWith('..') && !isAbsolute(relative(shared, abs));
  if (!inShared) {
    const writable = await access(dir, fsConstants.W_OK).then(
      () => true,
      () => false,
    );
    if (writable) return join(dir, `${basename(abs)}.charrnn-index.json`);
  }
  // One entry per corpus path in the user cache, named by a hash of the path; its content says for which bytes.
  const key = createHash('sha1').update(abs).digest('hex').slice(0, 16);
  return join(corpusCacheDir(env), 'corpus-index', `${basename(abs)}.${key}.json`);
}

interface CacheFile {
  version: number;
  size: number;
  sha1: string;
  tokens: number;
  bom: number;
  stride: number;
  codePoints: number[];
  index: number[];
}

function parseCache(text: string, size: number): CacheFile | undefined {
  try {
    const c = JSON.parse(text) as Partial<CacheFile>;
    if (
      c.version !== CACHE_VERSION ||
      c.size !== size ||
      c.stride !== INDEX_STRIDE ||
      typeof c.sha1 !== 'string' ||
      !Number.isSafeInteger(c.tokens) ||
      (c.bom !== 0 && c.bom !== 3) ||
      !Array.isArray(c.codePoints) ||
      !c.codePoints.every(
        (cp, i, a) => Number.isInteger(cp) && cp >= 0 && cp <= 0x10ffff && (i === 0 || cp > a[i - 1]),
      ) ||
      !Array.isArray(c.index) ||
      c.index.length !== Math.ceil(c.tokens! / INDEX_STRIDE) ||
      !c.index.every((o) => Number.isSafeInteger(o) && o >= 0 && o < size)
    )
      return undefined;
    return c as CacheFile;
  } catch {
    return undefined;
  }
}

/**
 * Scan a UTF-8 corpus file in one streaming pass (hash, strict UTF-8 check, vocabulary, token count, index), or
 * read the cached scan when one exists for a file of the same size and SHA-1 (then the pass only hashes).
 * Ill-formed UTF-8 throws the RangeError of decodeUtf8Strict, with the byte offset in the whole file.
 */
export async function scanCorpusFile(path: string, options: ScanOptions = {}): Promise<CorpusScan> {
  if (typeof path !== 'string' || path.length === 0) typeError('a file path string', 'path', path);
  const log = options.log ?? (() => {});
  await refuseSpecialFile(path, 'Corpus file');
  const info = await stat(path);
  if (!info.isFile()) throw new Error(`Corpus path is not a regular file: ${path}. HINT: pass --corpus FILE`);
  const size = info.size;
  const cachePath =
    options.cache === false
      ? undefined
      : options.cache === undefined || options.cache === 'auto'
        ? await scanCachePath(path, options.env)
        : join(resolve(options.cache), `${basename(path)}.charrnn-index.json`);
  const cached = cachePath
    ? await readFile(cachePath, 'utf8').then(
        (t) => parseCache(t, size),
        () => undefined,
      )
    : undefined;
  const started = performance.now();
  if (cached) {
    const sha1 = await hashFile(path);
    if (sha1 === cached.sha1) {
      log(
        `Using the cached vocabulary and index of ${path} (${cachePath}), hash checked in ${seconds(started)}.`,
      );
      const { size: sz, sha1: hash, tokens, bom, codePoints, index } = cached;
      return { size: sz, sha1: hash, tokens, bom, codePoints, index: Float64Array.from(index) };
    }
    log(`The cached index ${cachePath} is for other bytes (SHA-1 differs): scanning ${path} again.`);
  }
  log(`Scanning ${path} (${size.toLocaleString('en-US')} bytes): hash, vocabulary and index, in one pass…`);
  const scan = await scanFile(path, size, positiveInt('scanBytes', options.scanBytes ?? SCAN_BYTES));
  log(
    `Scanned ${path} in ${seconds(started)}: ${scan.tokens.toLocaleString('en-US')} characters, ` +
      `vocabulary ${scan.codePoints.length}.`,
  );
  if (cachePath) {
    const file: CacheFile = {
      version: CACHE_VERSION,
      size: scan.size,
      sha1: scan.sha1,
      tokens: scan.tokens,
      bom: scan.bom,
      stride: INDEX_STRIDE,
      codePoints: scan.codePoints,
      index: Array.from(scan.index),
    };
    try {
      await mkdir(dirname(cachePath), { recursive: true });
      await writeFileAtomic(cachePath, new TextEncoder().encode(JSON.stringify(file)));
    } catch (err) {
      log(`Could not cache the scan in ${cachePath} (${(err as Error).message}); the next run scans again.`);
    }
  }
  return scan;
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

async function hashFile(path: string): Promise<string> {
  const hash = createHash('sha1');
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(SCAN_BYTES);
    for (let pos = 0; ;) {
      const { bytesRead } = await fh.read(buf, 0, buf.length, pos);
      if (bytesRead === 0) break;
      hash.update(buf.subarray(0, bytesRead));
      pos += bytesRead;
    }
  } finally {
    await fh.close();
  }
  return hash.digest('hex');
}

/** The pass itself. A sequence split across two reads is carried to the next one (at most 3 bytes). */
async function scanFile(path: string, size: number, readBytes: number): Promise<CorpusScan> {
  const hash = createHash('sha1');
  const seen = new Uint8Array(BMP);
  const astral = new Set<number>();
  const index: number[] = [];
  const MASK = INDEX_STRIDE - 1;
  let tokens = 0;
  let bom = 0;
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(readBytes + 4);
    let carry = 0; // bytes at buf[0, carry) left over from the previous read
    let base = 0; // file offset of buf[0]
    let pos = 0; // file offset of the next read
    // A leading BOM is not a token (decodeUtf8Strict strips it too).
    const { bytesRead: headRead } = await fh.read(buf, 0, 3, 0);
    if (headRead === 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) {
      hash.update(buf.subarray(0, 3));
      bom = base = pos = 3;
    }
    for (;;) {
      const { bytesRead } = await fh.read(buf, carry, readBytes, pos);
      if (bytesRead > 0) hash.update(buf.subarray(carry, carry + bytesRead));
      pos += bytesRead;
      const n = carry + bytesRead;
      const atEnd = bytesRead === 0 || pos >= size;
      let i = 0;
      while (i < n) {
        const b = buf[i];
        if (b < 0x80) {
          // A run of ASCII (one token per byte): mark it, then place the index entries that fall inside it.
          const from = i;
          let c = b;
          do {
            seen[c] = 1;
            c = ++i < n ? buf[i] : 0x80;
          } while (c < 0x80);
          const end = tokens + (i - from);
          for (let t = Math.ceil(tokens / INDEX_STRIDE) * INDEX_STRIDE; t < end; t += INDEX_STRIDE)
            index.push(base + from + (t - tokens));
          tokens = end;
          continue;
        }
        let need: number;
        let lo = 0x80;
        let hi = 0xbf;
        let cp: number;
        if (b >= 0xc2 && b <= 0xdf) {
          need = 1;
          cp = b & 0x1f;
        } else if (b >= 0xe0 && b <= 0xef) {
          need = 2;
          cp = b & 0x0f;
          if (b === 0xe0) lo = 0xa0;
          else if (b === 0xed) hi = 0x9f;
        } else if (b >= 0xf0 && b <= 0xf4) {
          need = 3;
          cp = b & 0x07;
          if (b === 0xf0) lo = 0x90;
          else if (b === 0xf4) hi = 0x8f;
        } else throw invalidUtf8Error(path, base + i, b, 'invalid start byte');
        let k = 1;
        for (; k <= need && i + k < n; k++) {
          const c = buf[i + k];
          if (c < lo || c > hi) throw invalidUtf8Error(path, base + i, b, 'invalid continuation byte');
          lo = 0x80;
          hi = 0xbf;
          cp = (cp << 6) | (c & 0x3f);
        }
        if (k <= need) {
          // The sequence runs past this read: carry it over, unless the file ends here.
          if (atEnd) throw invalidUtf8Error(path, base + i, b, 'unexpected end of data');
          break;
        }
        if ((tokens & MASK) === 0) index.push(base + i);
        tokens++;
        if (cp < BMP) seen[cp] = 1;
        else astral.add(cp);
        i += need + 1;
      }
      if (atEnd) break;
      carry = n - i;
      buf.copyWithin(0, i, n);
      base += i;
    }
  } finally {
    await fh.close();
  }
  const codePoints: number[] = [];
  for (let cp = 0; cp < BMP; cp++) if (seen[cp]) codePoints.push(cp);
  codePoints.push(...[...astral].sort((a, b) => a - b));
  return { size, sha1: hash.digest('hex'), tokens, bom, codePoints, index: Float64Array.from(index) };
}

type CompactIds = Uint8Array | Uint16Array | Int32Array;

/** An open corpus file and how its code points map to ids; shared by every cursor of its sources. */
class CorpusFileHandle {
  readonly fd: number;
  private closed = false;
  /** id of each BMP code point, or -1. */
  readonly bmpIds: Int32Array;
  readonly astralIds: Map<number, number>;
  readonly IdArray: new (n: number) => CompactIds;

  constructor(
    readonly path: string,
    readonly scan: CorpusScan,
    vocabulary: Vocabulary,
    readonly windowBytes: number,
  ) {
    this.bmpIds = new Int32Array(BMP).fill(-1);
    this.astralIds = new Map();
    for (const cp of scan.codePoints) {
      const ch = String.fromCodePoint(cp);
      const id = vocabulary.idOf(ch);
      if (id < 0)
        throw new RangeError(
          `Character ${formatChar(cp)} of ${path} is not in the vocabulary of ${vocabulary.size} characters. ` +
            `HINT: ${UNKNOWN_CHARACTER_HINT}`,
        );
      if (cp < BMP) this.bmpIds[cp] = id;
      else this.astralIds.set(cp, id);
    }
    this.IdArray = vocabulary.size <= 256 ? Uint8Array : vocabulary.size <= BMP ? Uint16Array : Int32Array;
    this.fd = openSync(path, 'r');
    const now = fstatSync(this.fd).size;
    if (now !== scan.size) {
      closeSync(this.fd);
      throw changedError(path, `its size is ${now} bytes, not the ${scan.size} scanned`);
    }
  }

  read(buf: Uint8Array, length: number, position: number): number {
    if (this.closed) throw new Error(`The corpus file ${this.path} is closed`);
    return readSync(this.fd, buf, 0, length, position);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }
}

function changedError(path: string, what: string): Error {
  return new Error(
    `The corpus file ${path} changed while it was being read (${what}). HINT: do not edit a corpus during training`,
  );
}

/**
 * A reader of a window of the file: ids of the tokens [wStart, wEnd) (absolute token numbers), decoded from the
 * bytes before `nextByte`. Sequential reads continue from there; any other position seeks through the index.
 */
class FileCursor implements TokenCursor {
  private ids: CompactIds | undefined;
  private bytes: Uint8Array | undefined;
  private wStart = 0;
  private wEnd = 0;
  private nextByte = -1;

  constructor(
    private readonly file: CorpusFileHandle,
    private readonly base: number,
    private readonly length: number,
  ) {}

  read(start: number, count: number, out: Int32Array): void {
    if (
      !Number.isInteger(start) ||
      !Number.isInteger(count) ||
      start < 0 ||
      count < 0 ||
      start + count > this.length
    )
      throw new RangeError(
        `Expected a range within [0, ${this.length}] for tokens but received [${start}, ${start + count})`,
      );
    if (count > out.length)
      throw new RangeError(
        `Expected an Int32Array of at least ${count} elements for out but received ${out.length}`,
      );
    let done = 0;
    while (done < count) {
      const abs = this.base + start + done;
      if (abs < this.wStart || abs >= this.wEnd) this.fill(abs);
      const n = Math.min(count - done, this.wEnd - abs);
      const from = abs - this.wStart;
      out.set(this.ids!.subarray(from, from + n), done);
      done += n;
    }
  }

  /** Make the window hold token `abs`. */
  private fill(abs: number): void {
    const stride = INDEX_STRIDE;
    const j = Math.floor(abs / stride);
    // Continue sequentially when the index would not start closer; else jump to the index entry.
    if (this.nextByte < 0 || abs < this.wEnd || j * stride > this.wEnd) {
      this.wStart = this.wEnd = j * stride;
      this.nextByte = this.file.scan.index[j];
    }
    while (abs >= this.wEnd) this.decodeNext();
  }

  /** Replace the window by the tokens that follow it. */
  private decodeNext(): void {
    const file = this.file;
    const W = file.windowBytes;
    this.bytes ??= new Uint8Array(W);
    this.ids ??= new file.IdArray(W);
    const buf = this.bytes;
    const ids = this.ids;
    const got = file.read(buf, W, this.nextByte);
    const bmpIds = file.bmpIds;
    let i = 0;
    let k = 0;
    while (i < got) {
      const b = buf[i];
      let cp: number;
      let width: number;
      if (b < 0x80) {
        cp = b;
        width = 1;
      } else {
        width = b >= 0xf0 ? 4 : b >= 0xe0 ? 3 : 2;
        if (i + width > got) break; // split by the window: the next one starts with it
        cp = b & (width === 2 ? 0x1f : width === 3 ? 0x0f : 0x07);
        for (let c = 1; c < width; c++) cp = (cp << 6) | (buf[i + c] & 0x3f);
      }
      const id = cp < BMP ? bmpIds[cp] : (file.astralIds.get(cp) ?? -1);
      if (id < 0)
        throw changedError(file.path, `byte offset ${this.nextByte + i} holds no scanned character`);
      ids[k++] = id;
      i += width;
    }
    if (k === 0) throw changedError(file.path, `no characters at byte offset ${this.nextByte}`);
    this.wStart = this.wEnd;
    this.wEnd += k;
    this.nextByte += i;
  }
}

/** Tokens [start, start + length) of an open corpus file. */
class FileTokenSource implements TokenSource {
  readonly kind = 'token-source' as const;
  constructor(
    private readonly file: CorpusFileHandle,
    private readonly start: number,
    readonly length: number,
  ) {}

  cursor(): TokenCursor {
    return new FileCursor(this.file, this.start, this.length);
  }

  slice(start: number, end: number): TokenSource {
    if (!Number.isInteger(start) || !Number.isInteger(end) || start < 0 || end < start || end > this.length)
      throw new RangeError(
        `Expected a range within [0, ${this.length}] for slice but received [${start}, ${end})`,
      );
    return new FileTokenSource(this.file, this.start + start, end - start);
  }
}

export interface CorpusFileOptions extends ScanOptions {
  /** Fraction of the tokens (the tail) held out for validation, in [0, 0.5]; default 0.1. */
  validationFraction?: number;
  /** Encode with this (char) vocabulary, e.g. a checkpoint's; default: the file's own. */
  vocabulary?: Vocabulary;
  /** Bytes each cursor reads at a time (its window); default DEFAULT_WINDOW_BYTES. */
  windowBytes?: number;
  /** The file's scan when the caller already has it (then the file is not read again here). */
  scan?: CorpusScan;
}

/** The vocabulary of every character a scanned file holds (what Vocabulary.fromText gives for its text). */
export function scanVocabulary(scan: CorpusScan): Vocabulary {
  return Vocabulary.fromJSON({ kind: 'char', tokens: scan.codePoints.map((cp) => String.fromCodePoint(cp)) });
}

/**
 * A corpus file read through bounded windows: the same vocabulary, length and train / validation split as
 * Corpus.fromText over its text, with `train` and `validation` as TokenSources instead of id arrays. close() it.
 */
export class CorpusFile {
  readonly length: number;
  readonly train: TokenSource;
  readonly validation: TokenSource;

  private constructor(
    readonly path: string,
    readonly scan: CorpusScan,
    readonly vocabulary: Vocabulary,
    readonly validationFraction: number,
    private readonly file: CorpusFileHandle,
  ) {
    const n = scan.tokens;
    const nVal = Math.floor(n * validationFraction);
    const nTrain = n - nVal;
    if (nTrain < 2 || (validationFraction > 0 && nVal < 2))
      throw new RangeError(
        `Expected a validationFraction that leaves at least 2 tokens in each split for validationFraction ` +
          `but received ${validationFraction} (a corpus of ${n} tokens splits into ${nTrain} train and ` +
          `${nVal} validation tokens). HINT: ${SPLIT_HINT}`,
      );
    this.length = n;
    const all = new FileTokenSource(file, 0, n);
    this.train = all.slice(0, nTrain);
    this.validation = all.slice(nTrain, n);
  }

  static async open(path: string, options: CorpusFileOptions = {}): Promise<CorpusFile> {
    const { validationFraction = 0.1, vocabulary, windowBytes = DEFAULT_WINDOW_BYTES } = options;
    numberInRange('validationFraction', validationFraction, 0, 0.5);
    positiveInt('windowBytes', windowBytes);
    if (windowBytes < 4)
      throw new RangeError(`Expected at least 4 for windowBytes but received ${windowBytes}`);
    if (vocabulary !== undefined && !(vocabulary instanceof Vocabulary))
      typeError('a (character) Vocabulary', 'vocabulary', vocabulary);
    const abs = resolve(path);
    const scan = options.scan ?? (await scanCorpusFile(abs, options));
    if (scan.tokens === 0)
      throw new RangeError(
        'The corpus is empty. HINT: pass a UTF-8 text file with at least 2 distinct characters',
      );
    if (scan.codePoints.length < 2)
      throw new RangeError(
        `The corpus has only 1 distinct character (${formatChar(scan.codePoints[0])}); ` +
          `a language model needs at least 2. HINT: pass a text with more than one distinct character`,
      );
    const vocab = vocabulary ?? scanVocabulary(scan);
    const file = new CorpusFileHandle(abs, scan, vocab, windowBytes);
    try {
      return new CorpusFile(abs, scan, vocab, validationFraction, file);
    } catch (err) {
      file.close();
      throw err;
    }
  }

  /** Release the file descriptor; reading afterwards throws. */
  close(): void {
    this.file.close();
  }
}

/** Whether `charrnn train` streams this file (size above CHARRNN_STREAM_THRESHOLD, default STREAM_THRESHOLD). */
export async function shouldStream(path: string, env: NodeJS.ProcessEnv = process.env): Promise<boolean> {
  const raw = env.CHARRNN_STREAM_THRESHOLD;
  let threshold = STREAM_THRESHOLD;
  if (raw !== undefined && raw !== '') {
    threshold = Number(raw);
    if (!Number.isSafeInteger(threshold) || threshold < 0)
      throw new RangeError(
        `Expected a number of bytes ≥ 0 for CHARRNN_STREAM_THRESHOLD but received ${JSON.stringify(raw)}`,
      );
  }
  const info = await stat(path).catch(() => undefined);
  return info !== undefined && info.isFile() && info.size > threshold;
}

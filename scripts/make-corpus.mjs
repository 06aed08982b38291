// Writes a large UTF-8 corpus for measuring the streamed path (docs/guide.md, "Corpora larger than memory"):
// tinyshakespeare's lines in a seeded random order, 1% of them followed by a 2-, 3- or 4-byte word, cut at a line
// end at SIZE bytes. Usage: node scripts/make-corpus.mjs SOURCE OUT SIZE [SEED]. Never commit what it writes.
import { closeSync, openSync, readFileSync, writeSync } from 'node:fs';

const [source, out, sizeArg, seedArg = '1'] = process.argv.slice(2);
const size = Number(sizeArg);
if (!source || !out || !Number.isSafeInteger(size) || size <= 0) {
  console.error('usage: node scripts/make-corpus.mjs SOURCE OUT SIZE_BYTES [SEED]');
  process.exit(1);
}
const lines = readFileSync(source, 'utf8').split('\n');
let state = Number(seedArg) >>> 0 || 1;
/** xorshift32 in [0, 1). */
const random = () => {
  state ^= state << 13;
  state >>>= 0;
  state ^= state >>> 17;
  state ^= state << 5;
  state >>>= 0;
  return state / 4294967296;
};
const extra = ['café', 'naïve', 'Ωμέγα', '–', '“quoted”', '日本', '😀', '𝔘𝔫𝔦'];
const encoder = new globalThis.TextEncoder();
const fd = openSync(out, 'w');
let written = 0;
while (written < size) {
  const parts = [];
  for (let i = 0; i < 20000; i++) {
    let line = lines[Math.floor(random() * lines.length)];
    if (random() < 0.01) line += ' ' + extra[Math.floor(random() * extra.length)];
    parts.push(line);
  }
  let bytes = encoder.encode(parts.join('\n') + '\n');
  if (written + bytes.length > size) {
    let cut = size - written; // at a line end, so the file stays well-formed UTF-8
    while (cut > 0 && bytes[cut - 1] !== 0x0a) cut--;
    if (cut === 0) break;
    bytes = bytes.subarray(0, cut);
  }
  writeSync(fd, bytes);
  written += bytes.length;
}
closeSync(fd);
console.log(`${out}: ${written} bytes`);

// The README's benchmark table is generated from bench JSON (scripts/bench-table.ts): rows, columns, ratios,
// caption and the marker rewrite, on a small hand-made fixture (test/fixtures/bench-records.json); and the
// README's table is exactly what the script makes of the bench JSON it names (nobody edited it by hand).
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  benchTable,
  END_MARKER,
  parseRecords,
  replaceBetweenMarkers,
  START_MARKER,
} from '../../scripts/bench-table.js';

const fixture = new URL('../fixtures/bench-records.json', import.meta.url);
const readme = new URL('../../README.md', import.meta.url);
const records = () => parseRecords(JSON.parse(readFileSync(fixture, 'utf8')), 'fixture');

describe('bench table', () => {
  it('turns bench records into one row per workload and one column per backend and thread count', () => {
    expect(benchTable(records(), '../bench/results/x.json')).toBe(
      [
        'Measured on Test CPU @ 1.00GHz (`avx2` kernel table), Node v20.0.0, 2026-01-02 to 2026-01-03; data: ' +
          'hand-made fixture; threads as each column says (pure TypeScript is single-threaded).\nGenerated from ' +
          '[`../bench/results/x.json`](../bench/results/x.json) by `npm run bench:table -- ../bench/results/x.json`.',
        '',
        '| workload | pure TypeScript | native, 1 thread | native, 2 threads | native / TS |',
        '| --- | ---: | ---: | ---: | ---: |',
        '| W1 training | 1,000 chars/s | 25,000 chars/s (2 GFLOP/s) | — | 25× |',
        '| W2 training | 200 chars/s | 5,000 chars/s (9 GFLOP/s) | 9,000 chars/s (16 GFLOP/s) | 45× |',
        '| W4 sampling, W3 model | 300 chars/s | 1,200 chars/s | 2,100 chars/s | 7.0× |',
        '',
      ].join('\n'),
    );
  });

  it('leaves out the ratio column when only one backend ran, and the source line when none is given', () => {
    const nativeOnly = records().filter((r) => r.backend === 'native' && r.workload === 'W2');
    expect(benchTable(nativeOnly).split('\n').slice(2)).toEqual([
      '| workload | native, 1 thread | native, 2 threads |',
      '| --- | ---: | ---: |',
      '| W2 training | 5,000 chars/s (9 GFLOP/s) | 9,000 chars/s (16 GFLOP/s) |',
      '',
    ]);
    expect(benchTable(nativeOnly)).not.toContain('Generated from');
  });

  it("gives W9 cells the fraction of the same run's sgemm peak, and leaves PyTorch out of native / TS", () => {
    const base = records().find((r) => r.workload === 'W2' && r.backend === 'native' && r.threads === 2)!;
    const w9 = [
      { ...base, workload: 'W9', charsPerSec: 4000, gflops: 132.9, peakGflops: 190 },
      { ...base, workload: 'W9', backend: 'pytorch', charsPerSec: 3000, gflops: 99.7, isa: 'torch 1.13' },
      { ...base, workload: 'W9', backend: 'js', threads: 1, charsPerSec: 80, gflops: 2.7 },
    ];
    expect(benchTable(w9).split('\n').slice(2)).toEqual([
      '| workload | pure TypeScript | native, 2 threads | pytorch, 2 threads | native / TS |',
      '| --- | ---: | ---: | ---: | ---: |',
      '| W9 training | 80 chars/s | 4,000 chars/s (133 GFLOP/s, 70% of a 190 GFLOP/s sgemm peak) | 3,000 chars/s (100 GFLOP/s) | 50× |',
      '',
    ]);
    expect(() => parseRecords([{ ...w9[0], peakGflops: -1 }], 'f.json')).toThrow(
      new TypeError('Expected a positive number for peakGflops of record 0 in f.json but received -1'),
    );
  });

  it('refuses duplicate measurements, kernel-only files and malformed records with a message naming them', () => {
    const rs = records();
    expect(() => benchTable([...rs, rs[1]])).toThrow(
      new RangeError(
        'Expected one record per workload, backend and thread count but found two for W1, native, 1 thread(s)',
      ),
    );
    expect(() => benchTable(rs.filter((r) => r.workload.startsWith('gemm')))).toThrow(RangeError);
    expect(() => parseRecords({}, 'f.json')).toThrow(
      new TypeError('Expected an array of bench records in f.json'),
    );
    expect(() => parseRecords([{ ...rs[0], charsPerSec: '1' }], 'f.json')).toThrow(
      new TypeError('Expected a non-negative number for charsPerSec of record 0 in f.json but received "1"'),
    );
  });

  it('rewrites only the text between the markers', () => {
    const readme = `# title\n\n${START_MARKER}\nold table\n${END_MARKER}\n\nafter\n`;
    const out = replaceBetweenMarkers(readme, '| new |\n');
    expect(out).toBe(`# title\n\n${START_MARKER}\n| new |\n${END_MARKER}\n\nafter\n`);
    expect(replaceBetweenMarkers(out, '| new |\n')).toBe(out);
    expect(() => replaceBetweenMarkers('# no markers\n', 'x')).toThrow(RangeError);
    expect(() => replaceBetweenMarkers(`${readme}${START_MARKER}\n`, 'x')).toThrow(RangeError);
  });

  it("matches the README's table to the bench JSON it was generated from", () => {
    const text = readFileSync(readme, 'utf8');
    const source = /Generated from \[`([^`]+)`\]/.exec(text)?.[1];
    expect(source).toMatch(/^bench\/results\/.+\.json$/);
    const rs = parseRecords(JSON.parse(readFileSync(new URL(`../../${source}`, import.meta.url), 'utf8')));
    expect(replaceBetweenMarkers(text, benchTable(rs, source))).toBe(text);
  });
});

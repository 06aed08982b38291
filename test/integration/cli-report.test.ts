// `charrnn train` writes a run log beside --out (or --log FILE; --no-log for none) and a resumed run appends to it;
// `charrnn report` turns logs into one HTML page; `charrnn inspect` draws the checkpoint's loss curve.
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../helpers/cli.js';
import { parseRunLog } from '../../src/train/run-log.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-cli-report-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const charrnn = (...args: string[]) => runCli(args);

const corpusFile = join(dir, 'tiny.txt');
writeFileSync(corpusFile, 'to be or not to be, that is the question.\n'.repeat(40));
const common = [
  '--corpus',
  corpusFile,
  '--backend',
  'js',
  '--hidden',
  '12',
  '--seq-length',
  '10',
  '--eval-every',
  '20',
  '--log-every',
  '10',
  '--sample-every',
  '30',
  '--sample-length',
  '16',
  '--no-progress',
];
type Rec = { type: string; iteration?: number; elapsed?: number };

describe('charrnn train: the run log', () => {
  it('is written beside --out, appended to on resume, and drawn by report and inspect', () => {
    const out = join(dir, 'run.safetensors');
    const logPath = join(dir, 'run.log.jsonl');
    const t = charrnn('train', ...common, '--max-iters', '40', '--out', out);
    expect(t.code).toBe(0);
    expect(t.stderr).toContain(`run log: ${logPath} (charrnn report ${logPath} --out report.html)`);
    const first = parseRunLog(readFileSync(logPath, 'utf8')) as Rec[];
    expect(first[0]).toMatchObject({
      type: 'start',
      iteration: 0,
      corpus: { ref: corpusFile, unit: 'char' },
    });
    expect(first.filter((r) => r.type === 'progress').map((r) => r.iteration)).toEqual([10, 20, 30, 40]);
    expect(first.filter((r) => r.type === 'eval').map((r) => r.iteration)).toEqual([20, 40]);
    expect(first.filter((r) => r.type === 'sample').map((r) => r.iteration)).toEqual([30]);
    expect(first.at(-1)).toMatchObject({ type: 'end', iteration: 40, stoppedBy: 'maxIters' });
    // Not a terminal and no --chart: no chart in the output.
    expect(t.stderr).not.toContain('by iteration');

    const r = charrnn(
      'train',
      '--resume',
      out,
      '--max-iters',
      '60',
      '--backend',
      'js',
      '--log-every',
      '10',
      '--no-progress',
      '--chart',
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('loss (nats/char) by iteration: ─ training (mean), ─ validation');
    const all = parseRunLog(readFileSync(logPath, 'utf8')) as Rec[];
    expect(all.slice(0, first.length)).toEqual(first);
    const rest = all.slice(first.length);
    expect(rest[0]).toMatchObject({ type: 'resume', iteration: 40, resumedFrom: out });
    const end = first.at(-1)!.elapsed!;
    const progress = rest.filter((x) => x.type === 'progress');
    expect(progress.map((x) => x.iteration)).toEqual([50, 60]);
    for (const x of progress) expect(x.elapsed).toBeGreaterThan(end);

    const other = join(dir, 'other.safetensors');
    expect(charrnn('train', ...common, '--max-iters', '30', '--hidden', '20', '--out', other).code).toBe(0);
    const html = join(dir, 'report.html');
    const rep = charrnn('report', logPath, join(dir, 'other.log.jsonl'), '--out', html);
    expect(rep.code).toBe(0);
    expect(rep.stderr).toBe(`wrote ${html} (2 logs)\n`);
    const page = readFileSync(html, 'utf8');
    expect(page).toContain('<title>charrnn report: run, other</title>');
    expect(page).toContain('"label":"run training"');
    expect(page).toContain('"label":"other validation"');
    expect(page).not.toMatch(/<script[^>]*\bsrc=/);

    const ins = charrnn('inspect', out);
    expect(ins.code).toBe(0);
    const lines = ins.stdout.trimEnd().split('\n');
    expect(lines[8]).toBe('loss (nats/char) by iteration: ─ training (mean), ─ validation');
    expect(lines.at(-1)!.trim()).toMatch(/^iter 1\s+iter 60$/);
  });

  it('--log FILE writes there, --no-log writes none, a missing --log folder is made, an impossible one is one line before training', () => {
    const out = join(dir, 'nolog.safetensors');
    expect(charrnn('train', ...common, '--max-iters', '10', '--out', out, '--no-log').code).toBe(0);
    expect(existsSync(join(dir, 'nolog.log.jsonl'))).toBe(false);
    const custom = join(dir, 'custom.jsonl');
    expect(charrnn('train', ...common, '--max-iters', '10', '--out', out, '--log', custom).code).toBe(0);
    expect((parseRunLog(readFileSync(custom, 'utf8')) as Rec[]).at(-1)).toMatchObject({
      type: 'end',
      iteration: 10,
    });
    // A missing folder is made; a file where a folder should be is one line before training.
    const made = join(dir, 'made-for-log', 'x.jsonl');
    expect(charrnn('train', ...common, '--max-iters', '10', '--out', out, '--log', made).code).toBe(0);
    expect((parseRunLog(readFileSync(made, 'utf8')) as Rec[]).at(-1)).toMatchObject({ type: 'end' });
    const blocked = join(custom, 'x.jsonl');
    const bad = charrnn('train', ...common, '--max-iters', '10', '--out', out, '--log', blocked);
    expect(bad.code).toBe(1);
    expect(bad.stderr.split('\n').filter((l) => l.startsWith('charrnn:'))).toEqual([
      `charrnn: Cannot write the run log to ${blocked}: ${custom} is not a folder. HINT: choose another path (--log FILE, or --no-log)`,
    ]);
    expect(bad.stderr).not.toContain('iter ');
  });

  it('report: a missing or malformed log is one line, exit 1', () => {
    const missing = join(dir, 'missing.log.jsonl');
    const r = charrnn('report', missing, '--out', join(dir, 'x.html'));
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      `charrnn: Run log not found: ${missing}. HINT: \`charrnn train\` writes one beside --out (or --log FILE)\n`,
    );
    const junk = join(dir, 'junk.jsonl');
    writeFileSync(junk, '{"type":"start"}\nhello\n');
    const j = charrnn('report', junk, '--out', join(dir, 'x.html'));
    expect(j.code).toBe(1);
    expect(j.stderr).toMatch(/^charrnn: .*junk\.jsonl line 2 is not JSON/);
    expect(existsSync(join(dir, 'x.html'))).toBe(false);
  });
});

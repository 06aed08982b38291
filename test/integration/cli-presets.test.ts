// `charrnn train --preset NAME` (issue 16): the preset fills in every option not given, the given ones win,
// an unknown name is one line listing the valid ones; and --sample-interval (samples by wall time).
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { root, runCli } from '../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'charrnn-cli-presets-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const charrnn = (...args: string[]) => runCli(args);
const corpusFile = join(dir, 'tiny.txt');
writeFileSync(corpusFile, 'a stitch in time saves nine; many hands make light work.\n'.repeat(40));
/** A tiny model and batch on the tiny corpus: a preset's recipe with its size overridden. */
const tinyRun = [
  '--corpus',
  corpusFile,
  ...['--hidden', '8', '--embedding', '0', '--layers', '1', '--batch-size', '1', '--seq-length', '8'],
];

describe('charrnn train --preset', () => {
  it("trains with the preset's recipe, options given on the command line overriding it", () => {
    const out = join(dir, 'p.safetensors');
    const r = charrnn(
      'train',
      '--preset',
      '5min',
      '--corpus',
      corpusFile,
      '--hidden',
      '16',
      '--batch-size',
      '2',
      '--max-iters',
      '3',
      '--sample-interval',
      '0.000001',
      '--sample-length',
      '7',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('preset 5min: training a 2-layer LSTM (hidden 16, embedding 64, dropout 0.1)');
    // A sample after every chunk at this interval.
    expect(r.stderr.match(/----- sample at iter \d+ -----/g)).toHaveLength(3);
    expect(r.stderr).toContain('done: 3 iterations');
    expect(r.stderr).toContain('stopped by maxIters');
    const start = JSON.parse(readFileSync(join(dir, 'p.log.jsonl'), 'utf8').split('\n')[0]) as {
      settings: Record<string, unknown>;
      model: { config: Record<string, unknown> };
    };
    expect(start.settings).toMatchObject({
      preset: '5min',
      seqLength: 64, // the preset's
      batchSize: 2, // given
      optimizer: 'adam',
      lr: 0.006,
      beta1: 0.9,
      beta2: 0.99,
      weightDecay: 0.1,
      lrSchedule: 'cosine:0',
      clipValue: 0,
      clipNorm: 5,
      reduction: 'mean',
      maxIters: 3,
      evalInterval: 60,
    });
    // A stop criterion given: the preset's budget is not added.
    expect(start.settings.maxTime).toBeUndefined();
    expect(start.settings.maxTrainTime).toBeUndefined();
    expect(start.model.config).toMatchObject({ cell: 'lstm', layers: 2, hiddenSize: 16, embeddingSize: 64 });
    // The checkpoint's next lr is the one the run recorded: the cosine had reached its floor (0, kept > 0).
    const inspect = charrnn('inspect', out);
    expect(inspect.stdout).toContain(
      `schedule: cosine:0; next lr ${Number.MIN_VALUE} (as of this checkpoint's budget)`,
    );
  });

  it("keeps the preset's budget as --max-train-time unless a stop criterion is given, and its betas only with its optimizer", () => {
    const out = join(dir, 'q.safetensors');
    const r = charrnn(
      'train',
      '--preset',
      '15min',
      ...tinyRun,
      '--optimizer',
      'rmsprop',
      '--max-epochs',
      '1',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    const start = JSON.parse(readFileSync(join(dir, 'q.log.jsonl'), 'utf8').split('\n')[0]) as {
      settings: Record<string, unknown>;
    };
    // The preset's weight decay is decoupled from the update rule: it stays with another optimizer.
    expect(start.settings).toMatchObject({ optimizer: 'rmsprop', lr: 2e-3, maxEpochs: 1, weightDecay: 0.1 });
    expect(charrnn('inspect', out).stdout).toContain('weight decay 0.1)');
    expect(start.settings.beta2).toBeUndefined();
    expect(start.settings.maxTime).toBeUndefined();
    expect(start.settings.maxTrainTime).toBeUndefined();
  });

  it("with no stop criterion given, the budget is the preset's --max-train-time (validation off the clock)", async () => {
    const out = join(dir, 'r.safetensors');
    const log = join(dir, 'r.log.jsonl');
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        join(root, 'src/cli/main.ts'),
        'train',
        '--preset',
        '5min',
        ...tinyRun,
        '--out',
        out,
      ],
      { cwd: root, env: { ...process.env, CHARRNN_DEBUG: '' }, stdio: ['ignore', 'ignore', 'pipe'] },
    );
    let stderr = '';
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // Stopped (and saved) once it trains: the preset's 5 minutes are not waited for.
    await new Promise<void>((resolve) =>
      child.stderr.on('data', (d: Buffer) => {
        stderr += d.toString();
        if (stderr.includes('first chunk trained')) resolve();
      }),
    );
    child.kill('SIGINT');
    expect(await exited, stderr).toBe(130);
    expect(existsSync(out)).toBe(true);
    const start = JSON.parse(readFileSync(log, 'utf8').split('\n')[0]) as {
      settings: Record<string, unknown>;
    };
    expect(start.settings.maxTrainTime).toBe(300);
    expect(start.settings.maxTime).toBeUndefined();
  });

  it('--weight-decay reaches the optimizer (checkpoint, run log) and is fixed on resume', () => {
    const out = join(dir, 'wd.safetensors');
    const r = charrnn(
      'train',
      ...tinyRun,
      '--optimizer',
      'adam',
      '--weight-decay',
      '0.25',
      '--max-iters',
      '2',
      '--out',
      out,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(charrnn('inspect', out).stdout).toContain('weight decay 0.25)');
    const start = JSON.parse(readFileSync(join(dir, 'wd.log.jsonl'), 'utf8').split('\n')[0]) as {
      settings: Record<string, unknown>;
    };
    expect(start.settings).toMatchObject({ optimizer: 'adam', weightDecay: 0.25 });
    // Decoupled decay shrinks the weights: the same run without it ends elsewhere.
    const plain = join(dir, 'nowd.safetensors');
    expect(charrnn('train', ...tinyRun, '--optimizer', 'adam', '--max-iters', '2', '--out', plain).code).toBe(
      0,
    );
    expect(charrnn('inspect', plain).stdout).toContain('weight decay 0)');
    expect(readFileSync(out).equals(readFileSync(plain))).toBe(false);
    const resumed = charrnn('train', '--resume', out, '--weight-decay', '0.5', '--max-iters', '3');
    expect(resumed.code).toBe(1);
    expect(resumed.stderr.trim().split('\n')).toHaveLength(1);
    expect(resumed.stderr).toContain('--weight-decay cannot be used with --resume');
    const negative = charrnn('train', ...tinyRun, '--weight-decay', '-1', '--max-iters', '1', '--out', plain);
    expect(negative.code).toBe(1);
    expect(negative.stderr).toMatch(/--weight-decay/);
  });

  it('an unknown preset is one line listing the valid ones; --help lists them', () => {
    const r = charrnn('train', '--preset', '7min', '--corpus', corpusFile);
    expect(r.code).toBe(1);
    const lines = r.stderr.trim().split('\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('unknown preset "7min"; expected one of 5min, 15min, 60min');
    const help = charrnn('train', '--help');
    expect(help.stdout).toContain('--preset <name>');
    expect(help.stdout).toContain('--sample-interval <seconds>');
    for (const name of ['5min', '15min', '60min'])
      expect(help.stdout).toMatch(new RegExp(`^  ${name} +\\S`, 'm'));
  });

  it('refuses --preset with --resume or a classify / tag task, and a --sample-interval of 0', () => {
    const resume = charrnn('train', '--resume', join(dir, 'p.safetensors'), '--preset', '5min');
    expect(resume.code).toBe(1);
    expect(resume.stderr).toContain('--preset cannot be used with --resume');
    const task = charrnn('train', '--task', 'classify', '--preset', '5min');
    expect(task.code).toBe(1);
    expect(task.stderr).toContain('--preset');
    const zero = charrnn('train', '--corpus', corpusFile, '--sample-interval', '0', '--max-iters', '1');
    expect(zero.code).toBe(1);
    expect(zero.stderr.trim().split('\n')).toHaveLength(1);
    expect(zero.stderr).toContain("option '--sample-interval <seconds>' argument '0' is invalid");
  });
});

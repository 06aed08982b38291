// A child process run asynchronously, for integration tests whose child runs for many seconds: a long spawnSync
// blocks the vitest worker's event loop, and once vitest's own messages wait past their timeout (60 s) the run
// reports an unhandled "Timeout calling onTaskUpdate" error even though every test passed.
import { spawn } from 'node:child_process';

export interface SpawnResult {
  stdout: string;
  stderr: string;
  status: number | null;
  signal: NodeJS.Signals | null;
}

/** Run `cmd args…` to its end (killed with SIGTERM after `timeout` ms), collecting its output as UTF-8. */
export function spawnAsync(
  cmd: string,
  args: readonly string[],
  options: { timeout: number; env?: NodeJS.ProcessEnv; cwd?: string },
): Promise<SpawnResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, {
      env: options.env,
      cwd: options.cwd,
      timeout: options.timeout,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (status, signal) => resolve({ stdout, stderr, status, signal }));
  });
}

// The `charrnn` command as a child process (from source, through tsx), for the CLI integration tests.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';

export const root = new URL('../../', import.meta.url).pathname;

/** Run `charrnn ARGS…` (stdin = input, extra environment variables in env), returning its exit code and output. */
export function runCli(
  args: string[],
  input?: string,
  env: Record<string, string> = {},
): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(root, 'src/cli/main.ts'), ...args], {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, CHARRNN_DEBUG: '', ...env },
    input,
    timeout: 60_000,
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export interface RunResult {
  stdout: string;
  stderr: string;
}

/**
 * Runs a command to completion; rejects with its whole output when it exits non-zero, so a failed `npm install`
 * says why in the test report.
 */
export function run(command: string, args: string[], options: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    execFile(command, args, { cwd: options.cwd, env: options.env ?? process.env, maxBuffer: 64 * 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`${command} ${args.join(' ')} (in ${options.cwd}) failed: ${error.message}\n${stdout}\n${stderr}`));
        return;
      }
      resolve({ stdout, stderr });
    });
  });
}

/** `npm` with its output kept short; the same npm (and cache) that runs the tests. */
export function npm(args: string[], cwd: string): Promise<RunResult> {
  return run('npm', [...args, '--no-audit', '--no-fund', '--no-update-notifier'], { cwd });
}

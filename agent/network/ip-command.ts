import { execFile } from 'node:child_process';

/** Every iproute2/arping call is bounded: a wedged netlink call must not hang a deploy. */
const COMMAND_TIMEOUT_MS = 10_000;

export type CommandResult = Readonly<{ code: number; stdout: string; stderr: string }>;

/** Runs a command and resolves with its exit code and output (never rejects on a non-zero exit). */
export function runCommand(
  cmd: string,
  args: readonly string[],
  timeoutMs = COMMAND_TIMEOUT_MS,
): Promise<CommandResult> {
  return new Promise((resolve) => {
    execFile(cmd, [...args], { timeout: timeoutMs, maxBuffer: 1 << 20 }, (err, stdout, stderr) => {
      const code = err
        ? typeof (err as { code?: unknown }).code === 'number'
          ? (err as { code: number }).code
          : 127
        : 0;
      resolve({ code, stdout: String(stdout), stderr: String(stderr || (err && !stderr ? err.message : '')) });
    });
  });
}

/** Runs `ip …` and throws a one-line error naming the command when it fails. */
export async function ip(...args: string[]): Promise<string> {
  const r = await runCommand('ip', args);
  if (r.code !== 0) throw new Error(`ip ${args.join(' ')}: ${r.stderr.trim().split('\n')[0] || `exit ${r.code}`}`);
  return r.stdout;
}

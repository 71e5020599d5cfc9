import { type ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { eventually } from '../../helpers/eventually';

export type UpdaterProcess = Readonly<{
  child: ChildProcess;
  port: number;
  output: () => string;
  /** SIGTERM (the updater stops the agent it supervises), then waits for the exit. */
  stop: () => Promise<void>;
}>;

/**
 * `decnet-agent updater` run from the installed release (`<root>/opt/decnet/current/lib/cli.js`)
 * in supervise mode: it starts that release's agent itself and restarts it into new ones.
 */
export async function startUpdaterProcess(o: {
  root: string;
  env: Record<string, string>;
  port: number;
  /** updater-launcher: the launcher runs the updater (and the agent) as its children. */
  command?: 'updater' | 'updater-launcher';
}): Promise<UpdaterProcess> {
  const cli = join(o.root, 'opt', 'decnet', 'current', 'lib', 'cli.js');
  const child = spawn(process.execPath, [cli, o.command ?? 'updater', '--listen', `127.0.0.1:${o.port}`], {
    env: { ...process.env, DECNET_LOG_LEVEL: 'warn', DECNET_INSTALL_ROOT: o.root, ...o.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr.on('data', (b: Buffer) => (out += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM');
    await exited;
  };
  await eventually(
    () => {
      if (child.exitCode !== null) throw new Error(`updater exited early (${child.exitCode}): ${out}`);
      return /decnet-updater \S+ listening on/.test(out);
    },
    { timeoutMs: 15_000, what: 'updater listening' },
  ).catch(async (err: unknown) => {
    child.kill('SIGKILL');
    await exited;
    throw err;
  });
  return { child, port: o.port, output: () => out, stop };
}

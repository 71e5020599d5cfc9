import { spawn } from 'node:child_process';
import net from 'node:net';
import { eventually } from '../../helpers/eventually';

export type RealDaemon = Readonly<{ stop: () => Promise<void>; stderr: () => string }>;

/**
 * Runs a real product in the foreground (so the test owns the process and its pipes) and waits
 * until `ip:port` accepts a connection; on failure the process is killed and its stderr reported.
 */
export async function startDaemon(
  cmd: string,
  args: string[],
  ip: string,
  port: number,
  timeoutMs = 10_000,
): Promise<RealDaemon> {
  // A leftover listener would answer for a product that failed to bind.
  if (await accepts(ip, port)) throw new Error(`${ip}:${port} is already in use; not starting ${cmd}`);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  child.on('error', (err) => (stderr += String(err)));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  try {
    await eventually(
      () =>
        new Promise<boolean>((resolve, reject) => {
          if (child.exitCode !== null) return reject(new Error(`${cmd} exited ${child.exitCode}`));
          const s = net.connect({ host: ip, port }, () => {
            s.destroy();
            resolve(true);
          });
          s.on('error', reject);
        }),
      { timeoutMs, what: `${cmd} listening on ${ip}:${port}` },
    );
  } catch (err) {
    await stop();
    throw new Error(`${cmd} did not start: ${String(err)}; stderr: ${stderr}`);
  }
  return { stop, stderr: () => stderr };
}

function accepts(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port }, () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { eventually } from '../../helpers/eventually';
import { sh } from '../network/netns-lab';

export type TestDockerd = Readonly<{
  /** `unix:///…/docker.sock`, for DOCKER_HOST. */
  host: string;
  docker: (args: string[]) => Promise<{ code: number; out: string }>;
  stop: () => Promise<void>;
}>;

/** Why a private dockerd cannot run here (printed by the skipping suite), or null when it can. */
export async function dockerdUnavailable(): Promise<string | null> {
  if (process.getuid?.() !== 0) return 'a private dockerd needs root';
  for (const [cmd, args] of [
    ['dockerd', ['--version']],
    ['docker', ['--version']],
    ['docker-compose', ['version']],
    ['nsenter', ['--version']],
  ] as const) {
    const r = await sh(cmd, [...args]);
    if (r.code !== 0) return `${cmd} is not installed (.ci/run installs docker.io and docker-compose)`;
  }
  return null;
}

/**
 * A dockerd of the test's own inside network namespace `ns`: its data root, exec root, pid file
 * and socket under `dir`, no iptables, no default bridge, so nothing outside `ns` and `dir` is
 * touched. Entered with nsenter --net, not `ip netns exec`: the latter remounts /sys, which hides
 * the cgroup mounts dockerd needs.
 */
export async function startTestDockerd(ns: string, dir: string): Promise<TestDockerd> {
  const sock = join(dir, 'docker.sock');
  const host = `unix://${sock}`;
  const child = spawn(
    'nsenter',
    [
      `--net=/var/run/netns/${ns}`,
      'dockerd',
      '--data-root',
      join(dir, 'data'),
      '--exec-root',
      join(dir, 'exec'),
      '--pidfile',
      join(dir, 'dockerd.pid'),
      '-H',
      host,
      '--iptables=false',
      '--ip6tables=false',
      '--bridge=none',
      '--log-level',
      'warn',
    ],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr.on('data', (b: Buffer) => (log = (log + b.toString()).slice(-20_000)));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const docker = (args: string[]) => sh('docker', args, { env: { DOCKER_HOST: host }, timeoutMs: 120_000 });
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const t = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(t);
    }
    // Anything dockerd left mounted under dir (a killed daemon's overlays, its netns files).
    const mounts = (await readFile('/proc/mounts', 'utf8')).split('\n').map((l) => l.split(' ')[1] ?? '');
    for (const m of mounts.filter((p) => p.startsWith(dir)).reverse()) await sh('umount', ['-l', m]);
    await rm(dir, { recursive: true, force: true }).catch(() => undefined);
  };
  try {
    await eventually(
      async () => {
        if (child.exitCode !== null) throw new Error(`dockerd exited: ${log.trim().split('\n').slice(-3).join(' | ')}`);
        return existsSync(sock) && (await docker(['info', '--format', '{{.ServerVersion}}'])).code === 0;
      },
      { timeoutMs: 60_000, what: 'private dockerd answering' },
    );
  } catch (err) {
    await stop();
    throw err;
  }
  return { host, docker, stop };
}

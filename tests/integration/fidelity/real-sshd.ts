import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import net from 'node:net';
import { eventually } from '../../helpers/eventually';
import { run } from '../services/service-harness';

export const sshdPath = '/usr/sbin/sshd';

/** A stock Debian sshd (package openssh-server) on `ip:port` with its own host keys and config. */
export async function startRealSshd(dir: string, ip: string, port: number): Promise<{ stop: () => Promise<void> }> {
  const keys = ['rsa', 'ecdsa', 'ed25519'].map((t) => join(dir, `ssh_host_${t}_key`));
  for (const [i, t] of ['rsa', 'ecdsa', 'ed25519'].entries()) {
    const r = await run('ssh-keygen', ['-q', '-t', t, '-N', '', '-f', keys[i]!]);
    if (r.code !== 0) throw new Error(`ssh-keygen -t ${t}: ${r.stderr}`);
  }
  await mkdir('/run/sshd', { recursive: true });
  const config = join(dir, 'sshd_config');
  await writeFile(
    config,
    [
      `Port ${port}`,
      `ListenAddress ${ip}`,
      ...keys.map((k) => `HostKey ${k}`),
      `PidFile ${join(dir, 'sshd.pid')}`,
      'UsePAM no',
      '',
    ].join('\n'),
  );
  const child: ChildProcess = spawn(sshdPath, ['-D', '-e', '-f', config], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
  await eventually(
    () =>
      new Promise<boolean>((resolve, reject) => {
        if (child.exitCode !== null) return reject(new Error(`sshd exited: ${stderr}`));
        const s = net.connect({ host: ip, port }, () => {
          s.destroy();
          resolve(true);
        });
        s.on('error', reject);
      }),
    { timeoutMs: 10_000 },
  );
  return {
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export const haveSshd = existsSync(sshdPath);

import { existsSync } from 'node:fs';
import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from '../services/service-harness';
import { startDaemon, type RealDaemon } from './real-daemon';

export const mosquittoPath = '/usr/sbin/mosquitto';
export const haveMosquitto = existsSync(mosquittoPath) && existsSync('/usr/bin/mosquitto_passwd');

/**
 * Debian's mosquitto 2.0.11 (package mosquitto) with a private config: one listener on `ip:1883`,
 * no persistence. Without `anonymous` it checks a password file (one user nobody will guess), as
 * the persona's default does; with it, allow_anonymous true.
 */
export async function startRealMosquitto(
  dir: string,
  ip: string,
  opts: { anonymous?: boolean } = {},
): Promise<RealDaemon> {
  await mkdir(dir, { recursive: true });
  // It drops to the mosquitto user before reading the password file: the path must be reachable.
  await chmod(join(dir, '..'), 0o755);
  await chmod(dir, 0o755);
  const passwords = join(dir, 'passwd');
  await writeFile(passwords, '');
  const pw = await run('mosquitto_passwd', ['-b', passwords, 'svc', `unused-${process.pid}`]);
  if (pw.code !== 0) throw new Error(`mosquitto_passwd: ${pw.stderr}`);
  await chmod(passwords, 0o644);
  const config = join(dir, 'mosquitto.conf');
  await writeFile(
    config,
    [
      `listener 1883 ${ip}`,
      'persistence false',
      'log_dest stderr',
      opts.anonymous ? 'allow_anonymous true' : 'allow_anonymous false',
      ...(opts.anonymous ? [] : [`password_file ${passwords}`]),
      '',
    ].join('\n'),
  );
  return startDaemon(mosquittoPath, ['-c', config], ip, 1883);
}

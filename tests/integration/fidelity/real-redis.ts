import { existsSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDaemon, type RealDaemon } from './real-daemon';

export const redisServerPath = '/usr/bin/redis-server';
export const haveRedisServer = existsSync(redisServerPath);

/**
 * Debian's redis-server 7 (package redis-server) on `ip:6379` with a private config: Debian's
 * redis.conf defaults that show on the wire (protected-mode yes, no requirepass, 16 databases),
 * nothing persisted, data dir in `dir`. Started by absolute path so INFO's executable is Debian's.
 */
export async function startRealRedis(dir: string, ip: string): Promise<RealDaemon> {
  await mkdir(dir, { recursive: true });
  const config = join(dir, 'redis.conf');
  await writeFile(
    config,
    [
      `bind ${ip}`,
      'port 6379',
      'protected-mode yes',
      'daemonize no',
      'databases 16',
      'save ""',
      'appendonly no',
      `dir ${dir}`,
      'logfile ""',
      '',
    ].join('\n'),
  );
  return startDaemon(redisServerPath, [config], ip, 6379);
}

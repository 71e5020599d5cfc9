import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { eventually } from '../../helpers/eventually';
import { selfSignedCert } from './self-signed';
import { run } from '../services/service-harness';

export const mariadbdPath = '/usr/sbin/mariadbd';
export const installDbPath = '/usr/bin/mariadb-install-db';
export const haveMariadb = existsSync(mariadbdPath) && existsSync(installDbPath);

export type RealMariadb = Readonly<{ stop: () => Promise<void>; version: string }>;

/**
 * Debian 12's MariaDB 10.11 with a private datadir: Debian's 50-server.cnf settings (utf8mb4,
 * utf8mb4_general_ci), its commented-out ssl-cert/ssl-key enabled with a throwaway pair (our decky
 * advertises TLS), skip-name-resolve so errors name the client by address as ours do, listening on
 * `ip:3306`. `user`@'%' with `password` (mysql_native_password) and all privileges is created, as a persona user
 * is (ours lets it read mysql.user).
 */
export async function startRealMariadb(
  dir: string,
  ip: string,
  login: { user: string; password: string; db: string },
): Promise<RealMariadb> {
  const data = join(dir, 'data');
  await mkdir(dir, { recursive: true });
  // As Debian's postinst does (root@localhost by unix_socket, no test db); root runs it as root.
  const init = await run(installDbPath, ['--no-defaults', `--datadir=${data}`, '--user=root', '--skip-test-db'], {
    timeoutMs: 60_000,
  });
  if (init.code !== 0) throw new Error(`mariadb-install-db: ${init.stderr}`);
  const [cert, key] = [join(dir, 'cert.pem'), join(dir, 'key.pem')];
  await selfSignedCert(cert, key, 'db');
  const socket = join(dir, 'sock');
  const args = [
    '--no-defaults',
    `--datadir=${data}`,
    `--socket=${socket}`,
    `--pid-file=${join(dir, 'pid')}`,
    `--log-error=${join(dir, 'error.log')}`,
    `--bind-address=${ip}`,
    '--port=3306',
    '--user=root',
    '--character-set-server=utf8mb4',
    '--collation-server=utf8mb4_general_ci',
    '--expire-logs-days=10',
    `--ssl-cert=${cert}`,
    `--ssl-key=${key}`,
    '--skip-name-resolve',
  ];
  const child = spawn(mariadbdPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  };
  const sql = (q: string) => run('mariadb', ['--no-defaults', '-S', socket, '-u', 'root', '-N', '-B', '-e', q]);
  try {
    await eventually(
      () =>
        new Promise<boolean>((resolve, reject) => {
          if (child.exitCode !== null) return reject(new Error(`mariadbd exited ${child.exitCode}`));
          const s = net.connect({ host: ip, port: 3306 }, () => {
            s.destroy();
            resolve(true);
          });
          s.on('error', reject);
        }),
      { timeoutMs: 30_000, what: `mariadbd listening on ${ip}:3306` },
    );
    const made = await sql(
      `CREATE USER '${login.user}'@'%' IDENTIFIED BY '${login.password}'; CREATE DATABASE ${login.db}; GRANT ALL ON *.* TO '${login.user}'@'%'`,
    );
    const version = await sql('SELECT VERSION()');
    if (made.code || version.code) throw new Error(`mariadb: ${made.stderr}${version.stderr}`);
    return { stop, version: version.stdout.trim() };
  } catch (err) {
    await stop();
    throw new Error(`mariadbd on ${ip}:3306 did not start: ${String(err)}; stderr: ${stderr}`);
  }
}

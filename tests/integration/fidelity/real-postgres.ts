import { spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { chmod, chown, mkdir, writeFile } from 'node:fs/promises';
import net from 'node:net';
import { join } from 'node:path';
import { eventually } from '../../helpers/eventually';
import { selfSignedCert } from './self-signed';
import type { RunResult } from '../services/service-harness';

export const pgBin = '/usr/lib/postgresql/15/bin';
export const havePostgres = existsSync(join(pgBin, 'postgres')) && existsSync(join(pgBin, 'initdb'));

/** initdb and postgres refuse to run as root: as root (CI) they run as Debian's `postgres` user. */
function runAsIds(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const line = readFileSync('/etc/passwd', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('postgres:'));
  if (!line) throw new Error('no postgres user (the postgresql-common package creates it)');
  const [, , uid, gid] = line.split(':');
  return { uid: Number(uid), gid: Number(gid) };
}

function runAs(cmd: string, args: string[], ids: { uid: number; gid: number } | undefined): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { ...ids, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, LANG: 'C' } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

export type RealPostgres = Readonly<{ stop: () => Promise<void>; version: string }>;

/**
 * Debian 12's PostgreSQL 15 with a private cluster in `dir`: listening on `ip:5432` only (its Unix
 * socket in `dir`), `ssl = on` with a throwaway certificate as Debian's snakeoil setup has, and
 * pg_hba `host all all 127.0.0.0/8 <method>` (our persona's `auth`). The role `user` with
 * `password` and the database `db` are created, as the persona's users and app database are ours.
 */
export async function startRealPostgres(
  dir: string,
  ip: string,
  login: { user: string; password: string; db: string; method: 'password' | 'md5' },
): Promise<RealPostgres> {
  const ids = runAsIds();
  await mkdir(dir, { recursive: true });
  // The postgres user must reach its cluster inside our (root's, 0700) temp dir.
  await chmod(join(dir, '..'), 0o755);
  if (ids) await chown(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  const init = await runAs(
    join(pgBin, 'initdb'),
    ['-D', data, '-U', 'postgres', '-A', 'trust', '--encoding=UTF8', '--locale=C.UTF-8'],
    ids,
  );
  if (init.code !== 0) throw new Error(`initdb: ${init.stderr}`);
  await writeFile(join(data, 'pg_hba.conf'), `local all all trust\nhost all all 127.0.0.0/8 ${login.method}\n`);
  const [cert, key] = [join(data, 'server.crt'), join(data, 'server.key')];
  await selfSignedCert(cert, key, 'db');
  if (ids) for (const f of [cert, key, join(data, 'pg_hba.conf')]) await chown(f, ids.uid, ids.gid);
  // -c overrides of initdb's postgresql.conf; everything else stays the stock default.
  const settings = [
    `listen_addresses=${ip}`,
    `unix_socket_directories=${dir}`,
    'ssl=on',
    `password_encryption=${login.method === 'md5' ? 'md5' : 'scram-sha-256'}`,
  ];
  const child = spawn(join(pgBin, 'postgres'), ['-D', data, ...settings.flatMap((s) => ['-c', s])], {
    ...ids,
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    // SIGINT: postgres's "fast shutdown", which ends the backends too.
    child.kill('SIGINT');
    await exited;
  };
  const psql = (sql: string) =>
    runAs(
      join(pgBin, 'psql'),
      ['-h', dir, '-U', 'postgres', '-d', 'postgres', '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-tAc', sql],
      ids,
    );
  try {
    await eventually(
      () =>
        new Promise<boolean>((resolve, reject) => {
          if (child.exitCode !== null) return reject(new Error(`postgres exited ${child.exitCode}`));
          const s = net.connect({ host: ip, port: 5432 }, () => {
            s.destroy();
            resolve(true);
          });
          s.on('error', reject);
        }),
      { timeoutMs: 20_000, what: `postgres listening on ${ip}:5432` },
    );
    const role = await psql(`CREATE ROLE ${login.user} LOGIN PASSWORD '${login.password}'`);
    const db = await psql(`CREATE DATABASE ${login.db}`);
    const version = await psql('SHOW server_version');
    if (role.code || db.code || version.code) throw new Error(`psql: ${role.stderr}${db.stderr}${version.stderr}`);
    return { stop, version: version.stdout.trim() };
  } catch (err) {
    await stop();
    throw new Error(`postgres on ${ip}:5432 did not start: ${String(err)}; stderr: ${stderr}`);
  }
}

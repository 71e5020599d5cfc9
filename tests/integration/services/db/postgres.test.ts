import tls from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresService } from '../../../../agent/services/db/postgres';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, run, startService, type ServiceHarness } from '../service-harness';
import { deckyCertFingerprint, sClientFingerprint } from '../tls-helpers';

const ip = '127.32.2.1';

/** nmap's SMBProgNeg probe, which PostgreSQL reads as a startup packet for protocol 65363.19778. */
const smbProbe = Buffer.from(
  '000000a4ff534d4272000000000801400000000000000000000000000000400600000100008100025043204e4554574f524b2050524f4752414d20312e3000024d4943524f534f4654204e4554574f524b5320312e303300024d4943524f534f4654204e4554574f524b5320332e3000024c414e4d414e312e3000024c4d312e3258303032000253616d626100024e54204c414e4d414e20312e3000024e54204c4d20302e313200',
  'hex',
);

describe('postgres honeypot', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(postgresService, { ip, distro: 'debian' });
  });
  afterAll(() => h.stop());

  it('psql (sslmode=prefer): TLS accepted, password asked in clear and captured over it, FATAL 28P01', async () => {
    const r = await run('psql', ['-h', ip, '-U', 'alice', '-d', 'payroll', '-c', 'select 1'], {
      env: { PGPASSWORD: 'hunter2', PGCONNECT_TIMEOUT: '5' },
    });
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain('FATAL:  password authentication failed for user "alice"');
    const auth = await eventually(() => h.ofKind('auth').find((a) => a.data.username === 'alice'));
    expect(auth.data).toMatchObject({
      method: 'password',
      password: 'hunter2',
      database: 'payroll',
      application: 'psql',
      tls: true,
    });
    expect(h.ofKind('request').some((e) => e.data.type === 'SSLRequest')).toBe(true);
  });

  it('psql sslmode=require: startup and auth run over TLS 1.3 and fail with 28P01', async () => {
    const r = await run(
      'psql',
      [`sslmode=require host=${ip} user=tlsuser dbname=hr connect_timeout=5`, '-c', 'select 1'],
      { env: { PGPASSWORD: 'tlspw' } },
    );
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('FATAL:  password authentication failed for user "tlsuser"');
    const auth = await eventually(() => h.ofKind('auth').find((a) => a.data.username === 'tlsuser'));
    expect(auth.data).toMatchObject({ password: 'tlspw', database: 'hr', tls: true });
    const startup = h.ofKind('request').find((e) => e.data.session === auth.data.session && e.data.type === 'startup');
    expect(startup?.data).toMatchObject({ user: 'tlsuser', tls: true });
    const handshake = h.ofKind('command').find((e) => e.data.session === auth.data.session && e.data.verb === 'TLS');
    expect(handshake?.data).toMatchObject({ protocol: 'TLSv1.3', tls: true });
  });

  it('openssl s_client -starttls postgres is shown the decky certificate', async () => {
    const fingerprint = await sClientFingerprint(['-starttls', 'postgres', '-connect', `${ip}:5432`]);
    expect(fingerprint).toBe(await deckyCertFingerprint(h));
  });

  it('refuses plaintext pipelined behind SSLRequest, a non-TLS answer to S, and a repeated negotiation', async () => {
    const c = await connectRaw(ip, 5432);
    c.send(Buffer.concat([Buffer.from('0000000804d2162f', 'hex'), Buffer.from('00000008', 'hex')]));
    await eventually(() => c.closed());
    expect(c.text()).toBe('S');
    await eventually(() => h.ofKind('malformed').some((e) => e.data.reason === 'unencrypted data after TLS request'));
    const junk = await connectRaw(ip, 5432);
    junk.send(Buffer.from('0000000804d2162f', 'hex'));
    await eventually(() => junk.text() === 'S');
    junk.send('GET / HTTP/1.0\r\n\r\n');
    await eventually(() => junk.closed());
    await eventually(() => h.ofKind('malformed').some((e) => String(e.data.reason).startsWith('TLS handshake failed')));
    // Inside TLS a GSSENCRequest is a second negotiation (SSL's 'S' ends both): protocol 1234.5680.
    const raw = await connectRaw(ip, 5432);
    raw.send(Buffer.from('0000000804d2162f', 'hex'));
    await eventually(() => raw.text() === 'S');
    const t = tls.connect({ socket: raw.socket, rejectUnauthorized: false });
    let inside = '';
    t.on('data', (d: Buffer) => (inside += d.toString('latin1')));
    t.on('error', () => undefined);
    await new Promise((r) => t.once('secureConnect', r));
    t.write(Buffer.from('0000000804d21630', 'hex'));
    await eventually(() => inside.includes('unsupported frontend protocol 1234.5680: server supports 3.0 to 3.0'));
    t.destroy();
  });

  it('answers GSSENCRequest with G as the Debian build (with GSSAPI) does, then drops the token it cannot accept', async () => {
    const c = await connectRaw(ip, 5432);
    c.send(Buffer.from('0000000804d21630', 'hex'));
    await eventually(() => c.text() === 'G');
    // A client without Kerberos that sends its startup packet anyway: read as a token, then a silent close.
    const params = Buffer.from('user\0bob\0database\0app\0\0', 'latin1');
    const head = Buffer.alloc(8);
    head.writeInt32BE(8 + params.length, 0);
    head.writeInt32BE(196608, 4);
    c.send(Buffer.concat([head, params, Buffer.from('pad!')]));
    await eventually(() => c.closed());
    expect(c.text()).toBe('G');
    await eventually(() =>
      h.ofKind('request').some((e) => e.data.type === 'GSSAPI token' && e.data.bytes === 8 + params.length),
    );
  });

  it('sends nothing before authentication', async () => {
    const c = await connectRaw(ip, 5432);
    const params = Buffer.from('user\0bob\0database\0app\0application_name\0scanner\0\0', 'latin1');
    const head = Buffer.alloc(8);
    head.writeInt32BE(8 + params.length, 0);
    head.writeInt32BE(196608, 4);
    c.send(Buffer.concat([head, params]));
    // AuthenticationCleartextPassword and nothing else (no ParameterStatus before auth).
    await eventually(() => c.received().length >= 9);
    expect(c.received().toString('hex')).toBe('52000000080000000' + '3');
    c.socket.destroy();
  });

  it('answers an unknown protocol with the error site nmap fingerprints for the persona release', async () => {
    const c = await connectRaw(ip, 5432);
    c.send(smbProbe);
    await eventually(() => c.closed());
    const text = c.text();
    expect(text).toContain('unsupported frontend protocol 65363.19778: server supports 3.0 to 3.0');
    expect(text).toContain('\0Fpostmaster.c\0L2194\0RProcessStartupPacket\0\0');
  });

  it('records a bad startup length as malformed and closes silently', async () => {
    const c = await connectRaw(ip, 5432);
    c.send(Buffer.from('7fffffff00030000', 'hex'));
    await eventually(() => c.closed());
    expect(c.received().length).toBe(0);
    await eventually(() => h.ofKind('malformed').length > 0);
  });
});

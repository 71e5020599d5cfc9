import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { smtpService } from '../../../../agent/services/mail/smtp';
import { smtpRelayService } from '../../../../agent/services/mail/smtp-relay';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, run } from '../mail-infra-helpers';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.31.0.1';
const relayIp = '127.31.0.2';

describe('smtp honeypot (Postfix persona)', () => {
  let h: ServiceHarness;
  let relay: ServiceHarness;
  let msgFile: string;
  beforeAll(async () => {
    h = await startService(smtpService, { ip, hostname: 'mx1.acme-corp.com', distro: 'debian' });
    relay = await startService(smtpRelayService, { ip: relayIp, hostname: 'relay.acme-corp.com', distro: 'ubuntu22' });
    msgFile = join(h.dataDir, 'msg.eml');
    await writeFile(msgFile, 'From: a@evil.example\r\nSubject: invoice 42\r\n\r\nhello\r\n.leading dot\r\n');
  });
  afterAll(async () => {
    await h.stop();
    await relay.stop();
  });

  it('greets, advertises ESMTP capabilities and accepts mail for its own domain (curl)', async () => {
    const r = await run('curl', [
      '-sv',
      `smtp://${ip}:25`,
      '--mail-from',
      'a@evil.example',
      '--mail-rcpt',
      'bob@mx1.acme-corp.com',
      '-T',
      msgFile,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('< 220 mx1.acme-corp.com ESMTP Postfix (Debian/GNU)');
    expect(r.stderr).toContain('< 250-AUTH PLAIN LOGIN');
    expect(r.stderr).toContain('< 250-STARTTLS');
    expect(r.stderr).toMatch(/< 250 2\.0\.0 Ok: queued as [0-9A-F]{10,12}/);
    const msg = await eventually(() => h.ofKind('command').find((c) => c.data.verb === 'MESSAGE'));
    expect(msg.data).toMatchObject({
      mailFrom: 'a@evil.example',
      rcptTo: ['bob@mx1.acme-corp.com'],
      subject: 'invoice 42',
      truncated: false,
    });
    expect(String(msg.data.message)).toContain('\r\n.leading dot\r\n');
  });

  it('refuses to relay to foreign domains', async () => {
    const r = await run('curl', [
      '-sv',
      `smtp://${ip}:587`,
      '--mail-from',
      'a@evil.example',
      '--mail-rcpt',
      'victim@gmail.com',
      '-T',
      msgFile,
    ]);
    expect(r.code).toBe(55);
    expect(r.stderr).toContain('454 4.7.1 <victim@gmail.com>: Relay access denied');
  });

  it('captures AUTH PLAIN and AUTH LOGIN credentials and answers 535', async () => {
    const plain = await run('curl', [
      '-sv',
      `smtp://${ip}:25`,
      '--user',
      'admin:Winter2024!',
      '--login-options',
      'AUTH=PLAIN',
      '--mail-from',
      'a@b.c',
      '--mail-rcpt',
      'x@mx1.acme-corp.com',
      '-T',
      msgFile,
    ]);
    expect(plain.code).toBe(67);
    expect(plain.stderr).toContain('535 5.7.8 Error: authentication failed');
    const login = await run('curl', [
      '-sv',
      `smtp://${ip}:587`,
      '--user',
      'info:hunter2',
      '--login-options',
      'AUTH=LOGIN',
      '--mail-from',
      'a@b.c',
      '--mail-rcpt',
      'x@mx1.acme-corp.com',
      '-T',
      msgFile,
    ]);
    expect(login.code).toBe(67);
    await eventually(() => h.ofKind('auth').length >= 2);
    expect(h.ofKind('auth').map((a) => a.data)).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ method: 'AUTH PLAIN', username: 'admin', password: 'Winter2024!', port: 25 }),
        expect.objectContaining({ method: 'AUTH LOGIN', username: 'info', password: 'hunter2', port: 587 }),
      ]),
    );
  });

  it('upgrades with STARTTLS using the persona certificate (swaks)', async () => {
    const r = await run('swaks', [
      '--server',
      ip,
      '--port',
      '25',
      '--tls',
      '--from',
      'x@y.z',
      '--to',
      'ops@mx1.acme-corp.com',
      '--auth',
      'LOGIN',
      '--auth-user',
      'tls-user',
      '--auth-password',
      'tls-pass',
    ]);
    expect(r.stdout + r.stderr).toMatch(/TLS started/);
    await eventually(() =>
      h.ofKind('auth').some((a) => a.data.username === 'tls-user' && a.data.password === 'tls-pass'),
    );
    expect(h.ofKind('command').some((c) => c.data.verb === 'TLS')).toBe(true);
  });

  it('hangs up on a web request sent to the mail port, like smtpd_forbidden_commands', async () => {
    const c = await connectRaw(ip, 25);
    await c.waitFor(/^220 /);
    c.socket.write('GET / HTTP/1.0\r\n\r\n');
    await c.waitFor(/221 2\.7\.0 Error: I can break rules, too\. Goodbye\./);
    c.close();
  });

  it('the relay variant accepts any recipient and records the message', async () => {
    const r = await run('curl', [
      '-sv',
      `smtp://${relayIp}:25`,
      '--mail-from',
      'spam@evil.example',
      '--mail-rcpt',
      'test@gmail.com',
      '-T',
      msgFile,
    ]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('< 220 relay.acme-corp.com ESMTP Postfix (Ubuntu)');
    const msg = await eventually(() => relay.ofKind('command').find((c) => c.data.verb === 'MESSAGE'));
    expect(msg.data).toMatchObject({ rcptTo: ['test@gmail.com'] });
  });
});

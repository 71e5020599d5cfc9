import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { imapService } from '../../../../agent/services/mail/imap';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, run } from '../mail-infra-helpers';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.31.0.3';

describe('imap honeypot (Dovecot persona)', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(imapService, { ip, hostname: 'mail.acme-corp.com', distro: 'debian' });
  });
  afterAll(() => h.stop());

  it('curl sees the Dovecot greeting and a login failure; the SASL-IR credentials are captured', async () => {
    const r = await run('curl', ['-sv', `imap://${ip}/`, '--user', 'ceo@acme-corp.com:Spring2025']);
    expect(r.code).toBe(67);
    expect(r.stderr).toContain(
      '< * OK [CAPABILITY IMAP4rev1 SASL-IR LOGIN-REFERRALS ID ENABLE IDLE LITERAL+ STARTTLS AUTH=PLAIN AUTH=LOGIN] Dovecot (Debian) ready.',
    );
    expect(r.stderr).toContain('NO [AUTHENTICATIONFAILED] Authentication failed.');
    const auth = await eventually(() => h.ofKind('auth')[0]);
    expect(auth.data).toMatchObject({
      method: 'AUTHENTICATE PLAIN',
      username: 'ceo@acme-corp.com',
      password: 'Spring2025',
      port: 143,
    });
  });

  it('serves implicit TLS on 993 with the persona certificate', async () => {
    const r = await run('curl', ['-skv', `imaps://${ip}/`, '--user', 'tls:pw993']);
    expect(r.code).toBe(67);
    expect(r.stderr).toContain('subject: CN=mail.acme-corp.com');
    await eventually(() => h.ofKind('auth').some((a) => a.data.port === 993 && a.data.password === 'pw993'));
  });

  it('LOGIN with quoted strings and literals, CAPABILITY, ID and LOGOUT over a raw connection', async () => {
    const c = await connectRaw(ip, 143);
    await c.waitFor(/Dovecot \(Debian\) ready\.\r\n/);
    c.socket.write('a1 CAPABILITY\r\na2 ID ("name" "scanner")\r\n');
    await c.waitFor(/a2 OK ID completed\.\r\n/);
    expect(c.received()).toContain('a1 OK Pre-login capabilities listed, post-login capabilities have more.');
    c.socket.write('a3 LOGIN "j\\"doe" {7}\r\n');
    await c.waitFor(/\+ OK\r\n/);
    c.socket.write('p@ss wd\r\n');
    await c.waitFor(/a3 NO \[AUTHENTICATIONFAILED\] Authentication failed\.\r\n/);
    c.socket.write('a4 SELECT INBOX\r\na5 LOGOUT\r\n');
    await c.waitFor(/a5 OK Logout completed\.\r\n/);
    expect(c.received()).toContain('a4 BAD Error in IMAP command received by server.');
    c.close();
    const auth = await eventually(() => h.ofKind('auth').find((a) => a.data.method === 'LOGIN'));
    expect(auth.data).toMatchObject({ username: 'j"doe', password: 'p@ss wd' });
  });

  it('closes at the third invalid command (BYE instead of BAD) and records an over-long line as malformed', async () => {
    const c = await connectRaw(ip, 143);
    await c.waitFor(/ready\.\r\n/);
    c.socket.write('junk\r\n'.repeat(3));
    await c.waitFor(/\* BYE Too many invalid IMAP commands\.\r\n/);
    c.close();
    const d = await connectRaw(ip, 143);
    await d.waitFor(/ready\.\r\n/);
    d.socket.write('x'.repeat(9000) + '\r\n');
    await d.waitFor(/\* BYE Input buffer full/);
    d.close();
    await eventually(() => h.ofKind('malformed').length > 0);
  });
});

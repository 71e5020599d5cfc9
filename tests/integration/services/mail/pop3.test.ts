import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pop3Service } from '../../../../agent/services/mail/pop3';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, run } from '../mail-infra-helpers';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.31.0.4';

describe('pop3 honeypot (Dovecot persona)', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(pop3Service, { ip, hostname: 'pop.acme-corp.com', distro: 'rocky9' });
  });
  afterAll(() => h.stop());

  it('curl logs in (SASL PLAIN) and gets -ERR [AUTH]; the credentials are captured', async () => {
    const r = await run('curl', ['-sv', `pop3://${ip}/`, '--user', 'bob:qwerty']);
    expect(r.code).toBe(67);
    // Rocky's dovecot package has no vendor tag in its greeting.
    expect(r.stderr).toContain('< +OK Dovecot ready.');
    expect(r.stderr).toContain('-ERR [AUTH] Authentication failed.');
    await eventually(() => h.ofKind('auth').some((a) => a.data.username === 'bob' && a.data.password === 'qwerty'));
  });

  it('CAPA, USER/PASS, STLS and QUIT over a raw connection', async () => {
    const c = await connectRaw(ip, 110);
    await c.waitFor(/^\+OK Dovecot ready\.\r\n/);
    c.socket.write('CAPA\r\n');
    await c.waitFor(/SASL PLAIN LOGIN\r\n\.\r\n/);
    expect(c.received()).toContain('\r\nSTLS\r\n');
    c.socket.write('USER root\r\nPASS toor\r\n');
    await c.waitFor(/-ERR \[AUTH\] Authentication failed\.\r\n/);
    c.socket.write('QUIT\r\n');
    await c.waitFor(/\+OK Logging out\r\n/);
    c.close();
    const auth = await eventually(() =>
      h.ofKind('auth').find((a) => a.data.method === 'USER/PASS' && a.data.username === 'root'),
    );
    expect(auth.data.password).toBe('toor');
  });

  it('serves POP3S on 995 (curl --ssl-reqd) and STLS on 110', async () => {
    const r = await run('curl', ['-skv', `pop3s://${ip}/`, '--user', 'tls:pw995']);
    expect(r.code).toBe(67);
    const s = await run('curl', ['-skv', '--ssl-reqd', `pop3://${ip}/`, '--user', 'stls:pw110']);
    expect(s.stderr).toContain('+OK Begin TLS negotiation now.');
    await eventually(
      () =>
        h.ofKind('auth').some((a) => a.data.port === 995) && h.ofKind('auth').some((a) => a.data.username === 'stls'),
    );
  });
});

import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { SMTPServer } from 'smtp-server';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAlertEngine, type AlertEngine } from '../../../main/core/alerts/alert-engine';
import { openCertificateAuthority } from '../../../main/core/ca';
import { systemClock } from '../../../main/core/clock';
import type { EmailChannel } from '../../../shared/domain/alerts';
import type { AttackerEvent } from '../../../shared/domain/events';
import { silentLogger } from '../../../shared/node/logger';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';

type Received = { from: string; to: string[]; raw: string; secure: boolean; user: string | null };

/** A real SMTP server (smtp-server, nodemailer's sibling) on 127.0.0.1 that keeps what it receives. */
async function startSink(o: { cert: string; key: string; offerStartTls?: boolean; users?: Record<string, string> }) {
  const received: Received[] = [];
  const server = new SMTPServer({
    secure: false,
    cert: o.cert,
    key: o.key,
    authOptional: !o.users,
    // A relay without TLS: STARTTLS is neither offered nor accepted.
    disabledCommands: [...(o.users ? [] : ['AUTH']), ...(o.offerStartTls === false ? ['STARTTLS'] : [])],
    logger: false,
    onAuth(auth, _session, cb) {
      if (o.users && o.users[auth.username ?? ''] === auth.password) cb(null, { user: auth.username });
      else cb(new Error('Invalid username or password'));
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          secure: session.secure,
          user: typeof session.user === 'string' ? session.user : null,
        });
        cb();
      });
    },
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as { port: number }).port;
  return { received, port, close: () => new Promise<void>((r) => server.close(() => r())) };
}

const event = (src: string): AttackerEvent => ({
  id: randomUUID(),
  ts: new Date().toISOString(),
  decky: 'mail-web-01',
  service: 'ssh',
  src,
  kind: 'auth',
  data: { username: 'root', password: 'hunter2' },
});

describe('email alerts over SMTP with STARTTLS', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let engine: AlertEngine | null = null;
  const closers: Array<() => Promise<void>> = [];
  let tls: { cert: string; key: string; ca: string };

  beforeEach(async () => {
    tmp = await makeTmpDir('decnet-alert-mail-');
    const ca = await openCertificateAuthority({ dataDir: join(tmp.dir, 'ca') });
    // A real certificate for 127.0.0.1 from a CA of the test's own: the sink is a private relay.
    const id = await ca.issueWorkerBundleIdentity({
      hostUuid: randomUUID(),
      name: 'smtp-sink',
      addresses: ['127.0.0.1'],
    });
    tls = { cert: id.certPem, key: id.keyPem, ca: id.caPem };
  });
  afterEach(async () => {
    await engine?.stop();
    engine = null;
    for (const c of closers.splice(0)) await c();
    await tmp.remove();
  });

  const channel = (port: number, over: Partial<EmailChannel> = {}): EmailChannel => ({
    kind: 'email',
    id: 'email',
    host: '127.0.0.1',
    port,
    security: 'starttls',
    from: 'decnet@example.org',
    to: ['soc@example.org'],
    caPem: tls.ca,
    enabled: true,
    ...over,
  });

  const open = async () => {
    engine = await createAlertEngine({
      path: join(tmp.dir, 'alerts.json'),
      clock: systemClock,
      log: silentLogger,
      post: () => Promise.reject(new Error('no webhook in this test')),
    });
    return engine;
  };

  it('delivers a new incident once, over STARTTLS with a login, naming the source and the decky', async () => {
    const sink = await startSink({ ...tls, users: { alerts: 's3cret-pass' } });
    closers.push(sink.close);
    const e = await open();
    await e.configure({ channels: [channel(sink.port, { user: 'alerts', password: 's3cret-pass' })] });
    await e.ingest([event('198.51.100.77')]);
    await e.ingest([event('198.51.100.77'), event('198.51.100.77')]);
    await e.pump();
    await eventually(() => sink.received.length === 1, { what: 'the email at the sink' });
    const [mail] = sink.received;
    expect(mail).toMatchObject({ from: 'decnet@example.org', to: ['soc@example.org'], secure: true, user: 'alerts' });
    expect(mail!.raw).toMatch(/^Subject: \[DECNET\] New source 198\.51\.100\.77 touched mail-web-01 \(ssh\)/m);
    expect(mail!.raw).toMatch(/^X-DECNET-Delivery: [0-9a-f-]{36}/im);
    expect(mail!.raw).toContain('Source:   198.51.100.77');
    expect(e.config().status.email).toMatchObject({ delivered: 1, pending: 0, lastError: null });
    // Repeats fold into the open incident: still one email.
    await e.pump();
    expect(sink.received).toHaveLength(1);
  });

  it('refuses a relay that does not offer STARTTLS, keeps the delivery queued, and sends it once one does', async () => {
    const plain = await startSink({ ...tls, offerStartTls: false });
    closers.push(plain.close);
    const e = await open();
    await e.configure({ channels: [channel(plain.port)] });
    await e.ingest([event('198.51.100.78')]);
    await e.pump();
    expect(plain.received).toHaveLength(0);
    expect(e.config().status.email).toMatchObject({ delivered: 0, pending: 1 });
    expect(e.config().status.email?.lastError).toMatch(/STARTTLS/i);

    // The relay is fixed (same channel, another port): the queued delivery goes out, nothing lost.
    const good = await startSink(tls);
    closers.push(good.close);
    await e.configure({ channels: [channel(good.port)] });
    await e.stop();
    const reopened = await open(); // and it survived a restart of the engine (alerts.json)
    await eventually(
      async () => {
        await reopened.pump();
        return good.received.length === 1;
      },
      { what: 'the queued email after the relay came back', timeoutMs: 20_000 },
    );
    expect(good.received[0]!.secure).toBe(true);
    expect(reopened.config().status.email).toMatchObject({ delivered: 1, pending: 0 });
  });

  it('a relay whose certificate is not from the pinned CA is refused, and "send test" says why', async () => {
    const sink = await startSink(tls);
    closers.push(sink.close);
    const other = await openCertificateAuthority({ dataDir: join(tmp.dir, 'other-ca') });
    const e = await open();
    await e.configure({ channels: [channel(sink.port, { caPem: other.caInfo().pem })] });
    const r = await e.test('email');
    expect(r.ok).toBe(false);
    expect(r.error).toMatch(/certificate|self.signed|unable to verify/i);
    expect(sink.received).toHaveLength(0);

    await e.configure({ channels: [channel(sink.port)] });
    await expect(e.test('email')).resolves.toEqual({ ok: true, error: null });
    expect(sink.received[0]!.raw).toMatch(/^Subject: \[DECNET test\] Test alert from the DECNET console/m);
  });
});

import { createServer } from 'node:net';
import { createSocket } from 'node:dgram';
import { describe, expect, it } from 'vitest';
import { openEventStore } from '../../../../main/core/attacker-events/event-store';
import { makeTmpDir } from '../../../helpers/tmp-dir';
import { silentLogger } from '../../../../shared/node/logger';
import {
  createSyslogForwarder,
  formatCef,
  formatRfc5424,
} from '../../../../main/core/attacker-events/syslog-forwarder';
import { eventually } from '../../../helpers/eventually';

const event = {
  id: 'e-1',
  ts: '2026-01-01T00:00:00.000Z',
  decky: 'web-1',
  service: 'ssh' as const,
  src: '203.0.113.9',
  kind: 'auth',
  data: { username: 'root', password: 'p"w]' },
};

describe('syslog forwarding', () => {
  it('formats RFC 5424 with escaped structured data', () => {
    expect(formatRfc5424(event, 'master-1')).toBe(
      '<133>1 2026-01-01T00:00:00.000Z master-1 decnet - auth [decnet@32473 id="e-1" decky="web-1" service="ssh" src="203.0.113.9"] {"username":"root","password":"p\\"w]"}',
    );
  });

  it('sends octet-counted frames over TCP from the store, starting at the events stored after it began', async () => {
    const tmp = await makeTmpDir();
    const store = await openEventStore({ dir: tmp.dir, log: silentLogger });
    await store.append([{ ...event, id: 'before' }]);
    let received = '';
    const server = createServer((s) => s.on('data', (b: Buffer) => (received += b.toString())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const fwd = createSyslogForwarder({
      target: `tcp://127.0.0.1:${port}`,
      store,
      deckyIp: () => undefined,
      log: silentLogger,
    });
    await store.append([event, { ...event, id: 'e-2' }]);
    fwd.send([]);
    await eventually(() => received.includes('id="e-2"'));
    const first = formatRfc5424(event);
    expect(received.startsWith(`${Buffer.byteLength(first)} ${first}`)).toBe(true);
    expect(received).not.toContain('id="before"');
    expect(fwd.status()).toMatchObject({ connected: true, delivered: 2, backlog: 0, lastError: null });
    await fwd.stop();
    await new Promise<void>((r) => server.close(() => r()));
    await store.close();
    await tmp.remove();
  });

  it('sends one CEF message per datagram over UDP (RFC 5426)', async () => {
    const tmp = await makeTmpDir();
    const store = await openEventStore({ dir: tmp.dir, log: silentLogger });
    const got: string[] = [];
    const sock = createSocket('udp4');
    sock.on('message', (b) => got.push(b.toString()));
    await new Promise<void>((r) => sock.bind(0, '127.0.0.1', () => r()));
    const fwd = createSyslogForwarder({
      target: `udp://127.0.0.1:${sock.address().port}`,
      format: 'cef',
      store,
      deckyIp: () => '10.0.0.5',
      log: silentLogger,
    });
    await store.append([event]);
    fwd.send([]);
    await eventually(() => got.length === 1);
    expect(got[0]).toBe(formatCef(event, () => '10.0.0.5'));
    expect(got[0]).toMatch(
      /^CEF:0\|DECNET\|decnet\|1\|auth\|ssh auth\|5\|rt=\d+ src=203\.0\.113\.9 dst=10\.0\.0\.5 duser=root /,
    );
    await fwd.stop();
    sock.close();
    await store.close();
    await tmp.remove();
  });
});

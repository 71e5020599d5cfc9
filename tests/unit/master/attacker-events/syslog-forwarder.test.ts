import { createServer } from 'node:net';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../shared/node/logger';
import { createSyslogForwarder, formatRfc5424 } from '../../../../main/core/attacker-events/syslog-forwarder';
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

  it('sends octet-counted frames over TCP', async () => {
    let received = '';
    const server = createServer((s) => s.on('data', (b: Buffer) => (received += b.toString())));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    const port = (server.address() as { port: number }).port;
    const fwd = createSyslogForwarder({ target: `tcp://127.0.0.1:${port}`, log: silentLogger });
    fwd.send([event, { ...event, id: 'e-2' }]);
    await eventually(() => received.includes('id="e-2"'));
    const first = formatRfc5424(event);
    expect(received.startsWith(`${Buffer.byteLength(first)} ${first}`)).toBe(true);
    await fwd.stop();
    await new Promise<void>((r) => server.close(() => r()));
  });
});

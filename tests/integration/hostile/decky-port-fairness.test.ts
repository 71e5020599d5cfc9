import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpService } from '../../../agent/services/http/http';
import { connectionLimits, sourceKey } from '../../../agent/services/kit/tcp-listener';
import { eventually } from '../../helpers/eventually';
import { loopbackBlock } from '../master/harness';
import { startService, type ServiceHarness } from '../services/service-harness';

// A decky port flooded up to its total connection cap must still answer a new source: the issue's
// red team blinded port 80 for everyone by holding all 1 024 slots. A real HTTP decky listener and
// real TCP clients from many loopback addresses.
const ip = loopbackBlock();
let decky: ServiceHarness;
const open: net.Socket[] = [];

beforeAll(async () => {
  decky = await startService(httpService, { ip: ip(1), distro: 'debian' });
});
afterAll(async () => {
  open.forEach((s) => s.destroy());
  await decky?.stop();
});

function connectFrom(src: string): Promise<net.Socket | null> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ip(1), port: 80, localAddress: src });
    s.once('connect', () => resolve(s));
    s.once('error', () => resolve(null));
  });
}

function getFrom(src: string): Promise<string> {
  return new Promise((resolve) => {
    let answer = '';
    const s = net.connect({ host: ip(1), port: 80, localAddress: src }, () =>
      s.write(`GET / HTTP/1.1\r\nHost: ${ip(1)}\r\nConnection: close\r\n\r\n`),
    );
    s.on('data', (b: Buffer) => (answer += b.toString('latin1')));
    s.on('close', () => resolve(answer));
    s.on('error', () => resolve(answer));
  });
}

describe('decky port fairness under a connection flood', () => {
  it('counts IPv6 sources per /64 and IPv4 per address', () => {
    expect(sourceKey('10.0.0.5')).toBe('10.0.0.5');
    expect(sourceKey('2001:db8:0:1::5')).toBe('2001:db8:0:1::/64');
    expect(sourceKey('2001:0db8:0000:0001:aaaa:bbbb:cccc:dddd')).toBe('2001:db8:0:1::/64');
    expect(sourceKey('::1')).toBe('0:0:0:0::/64');
  });

  it('one source gets at most its cap; a flood from many sources fills the port, and a new source is still served', async () => {
    const { perSource, total } = connectionLimits;
    // One source alone: the per-source cap, far below the total, and the port stays open to others.
    const lone = await Promise.all(Array.from({ length: perSource + 8 }, () => connectFrom(ip(9))));
    open.push(...lone.filter((s): s is net.Socket => s !== null));
    await eventually(() => open.filter((s) => !s.destroyed && !s.closed).length <= perSource, {
      what: 'the lone flooder cut to its cap',
    });
    expect((await getFrom(ip(99))).startsWith('HTTP/1.1 200')).toBe(true);

    // Many sources, each at its cap, hold every slot of the port and more.
    const sources = Math.ceil(total / perSource) + 8;
    for (let i = 0; i < sources; i++) {
      const batch = await Promise.all(Array.from({ length: perSource }, () => connectFrom(ip(10 + i))));
      open.push(...batch.filter((s): s is net.Socket => s !== null));
    }
    const live = () => open.filter((s) => !s.destroyed && !s.closed).length;
    await eventually(() => live() <= total, { what: 'no more than the total cap held' });
    expect(live()).toBeGreaterThan(total - perSource);

    // A source that was not part of the flood is answered: the heaviest flooder gave up a slot.
    const answer = await getFrom(ip(200));
    expect(answer.startsWith('HTTP/1.1 200'), answer.slice(0, 80)).toBe(true);
    expect(decky.ofKind('refused').some((c) => c.data['reason'] === 'evicted at the total limit')).toBe(true);
    expect(decky.ofKind('refused').some((c) => c.data['reason'] === 'per-source limit')).toBe(true);
  }, 60_000);
});

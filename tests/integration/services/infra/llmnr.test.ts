import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { llmnrService } from '../../../../agent/services/infra/llmnr';
import { encodeName } from '../../../../agent/services/codecs/dns-codec';
import { eventually } from '../../../helpers/eventually';
import { run, udpExchange } from '../raw-clients';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.33.6.1';

function query(id: number, name: string, type = 1, qclass = 1): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(id, 0);
  h.writeUInt16BE(1, 4);
  const t = Buffer.alloc(4);
  t.writeUInt16BE(type, 0);
  t.writeUInt16BE(qclass, 2);
  return Buffer.concat([h, encodeName(name), t]);
}

describe('llmnr/mdns service', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(llmnrService, {
      ip,
      name: 'dc01',
      hostname: 'DC01',
      archetype: 'domain-controller',
      nmapOs: 'windows_server',
    });
  });
  afterAll(async () => h.stop());

  it('answers an LLMNR query for its own name with its address', async () => {
    const reply = await udpExchange(ip, 5355, query(0x1234, 'dc01'));
    expect(reply).not.toBeNull();
    expect(reply!.readUInt16BE(0)).toBe(0x1234);
    expect(reply!.readUInt16BE(2) & 0x8000).toBe(0x8000);
    expect(reply!.readUInt16BE(6)).toBe(1);
    expect([...reply!.subarray(reply!.length - 4)]).toEqual([127, 33, 6, 1]);
  });

  it('works with dig speaking LLMNR framing', async () => {
    const r = await run('dig', ['-p', '5355', `@${ip}`, 'DC01', '+short', '+tries=1', '+time=2']);
    expect(r.stdout.trim()).toBe(ip);
  });

  it('answers an mDNS legacy unicast query for name.local', async () => {
    const r = await run('dig', ['-p', '5353', `@${ip}`, 'dc01.local', '+short', '+tries=1', '+time=2']);
    expect(r.stdout.trim()).toBe(ip);
  });

  it('stays silent for other names but records them (what Responder-style poisoning would target)', async () => {
    const reply = await udpExchange(ip, 5355, query(7, 'wpad'), 500);
    expect(reply).toBeNull();
    const seen = await eventually(() =>
      h.ofKind('request').find((c) => (c.data.queries as { name: string }[]).some((q) => q.name === 'wpad')),
    );
    expect(seen.data).toMatchObject({ proto: 'llmnr', answered: false });
  });

  it('records malformed packets', async () => {
    await udpExchange(ip, 5353, Buffer.from([1, 2, 3]), 200);
    await eventually(() => h.ofKind('malformed').length > 0);
  });
});

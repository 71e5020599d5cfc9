import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { vncService } from '../../../../agent/services/remote-desktop/vnc';
import { eventually } from '../../../helpers/eventually';
import { run, tcpConnect } from '../raw-clients';
import { startService, type ServiceHarness } from '../service-harness';

const ip = '127.33.3.1';

describe('vnc service', () => {
  let h: ServiceHarness;
  beforeAll(async () => {
    h = await startService(vncService, { ip, archetype: 'remote-desktop', distro: 'ubuntu22' });
  });
  afterAll(async () => h.stop());

  it('is reported by nmap vnc-info with VNC authentication', async () => {
    const r = await run('nmap', ['-sV', '-Pn', '-p5900', '--script', 'vnc-info', ip], 60_000);
    expect(r.stdout).toMatch(/5900\/tcp\s+open\s+vnc\s+VNC \(protocol 3\.8\)/);
    expect(r.stdout).toContain('VNC Authentication (2)');
  });

  it('captures the DES response of a 3.8 client and fails with "Authentication failure"', async () => {
    const c = await tcpConnect(ip, 5900);
    expect((await c.read((b) => b.length >= 12)).toString('latin1')).toBe('RFB 003.008\n');
    c.send('RFB 003.008\n');
    const types = await c.read((b) => b.length >= 14);
    expect([...types.subarray(12, 14)]).toEqual([1, 2]);
    c.send(Buffer.from([2]));
    const withChallenge = await c.read((b) => b.length >= 30);
    const challenge = withChallenge.subarray(14, 30).toString('hex');
    c.send(Buffer.alloc(16, 0x5a));
    const result = await c.read((b) => b.length >= 30 + 8 + 22);
    expect(result.readUInt32BE(30)).toBe(1);
    expect(result.subarray(38).toString('latin1')).toBe('Authentication failure');
    const auth = await eventually(() => h.ofKind('auth').find((a) => a.data.challenge === challenge));
    expect(auth.data).toMatchObject({
      method: 'vnc-des',
      response: '5a'.repeat(16),
      clientVersion: 'RFB 003.008',
      success: false,
    });
  });

  it('speaks 3.3 to a 3.3 client (server-chosen security type, no reason string)', async () => {
    const c = await tcpConnect(ip, 5900);
    await c.read((b) => b.length >= 12);
    c.send('RFB 003.003\n');
    const got = await c.read((b) => b.length >= 12 + 4 + 16);
    expect(got.readUInt32BE(12)).toBe(2);
    c.send(Buffer.alloc(16, 1));
    const res = await c.read((b) => b.length >= 32 + 4);
    expect(res.readUInt32BE(32)).toBe(1);
    await c.closed;
    expect(c.received().length).toBe(36);
  });

  it('records a bad version line as malformed', async () => {
    const c = await tcpConnect(ip, 5900);
    await c.read((b) => b.length >= 12);
    c.send('GET / HTTP/1.1\r\n');
    await c.closed;
    await eventually(() => h.ofKind('malformed').length > 0);
  });
});

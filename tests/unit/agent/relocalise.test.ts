import { describe, expect, it } from 'vitest';
import type { AddressProbe } from '../../../agent/network/arp-probe';
import type { HostNetwork } from '../../../agent/network/host-network';
import { chooseAddress, defaultRange, parseRange } from '../../../agent/network/relocalise';

const net: HostNetwork = {
  interface: 'eth0',
  address: '198.51.100.2',
  prefixLen: 24,
  subnet: '198.51.100.0/24',
  gateway: '198.51.100.1',
};
/** A LAN where exactly the given addresses answer ARP; records every probe. */
function lan(taken: string[] = []): { probe: AddressProbe; probed: string[] } {
  const probed: string[] = [];
  return { probed, probe: (iface, a) => (probed.push(`${iface}:${a}`), Promise.resolve(taken.includes(a))) };
}
const req = (wanted: string, extra: Partial<Parameters<typeof chooseAddress>[0]> = {}) => ({
  decky: 'd1',
  wanted,
  net,
  range: defaultRange(net),
  inUse: new Set<string>(),
  probe: lan().probe,
  ...extra,
});

describe('relocalisation of planned decky addresses', () => {
  it('keeps a planned address of this subnet that is free, after probing it', async () => {
    const l = lan();
    expect(await chooseAddress(req('198.51.100.50', { probe: l.probe }))).toBe('198.51.100.50');
    expect(l.probed).toEqual(['eth0:198.51.100.50']);
  });

  it('re-localises a plan made for another subnet to the lowest free address, skipping the gateway and the worker', async () => {
    expect(await chooseAddress(req('127.77.0.5'))).toBe('198.51.100.3');
  });

  it('moves a planned address that collides with the worker, the gateway or another decky', async () => {
    expect(await chooseAddress(req('198.51.100.2'))).toBe('198.51.100.3');
    expect(await chooseAddress(req('198.51.100.1'))).toBe('198.51.100.3');
    expect(await chooseAddress(req('198.51.100.3', { inUse: new Set(['198.51.100.3']) }))).toBe('198.51.100.4');
  });

  it('fails the decky when its planned address answers ARP on the LAN', async () => {
    await expect(chooseAddress(req('198.51.100.60', { probe: lan(['198.51.100.60']).probe }))).rejects.toThrow(
      /198\.51\.100\.60 is already in use on the LAN \(a host answered ARP on eth0\)/,
    );
  });

  it('skips re-localisation candidates that answer ARP', async () => {
    expect(await chooseAddress(req('10.0.0.9', { probe: lan(['198.51.100.3', '198.51.100.4']).probe }))).toBe(
      '198.51.100.5',
    );
  });

  it('reports an exhausted range', async () => {
    const range = parseRange('198.51.100.1-198.51.100.3');
    const inUse = new Set(['198.51.100.3']);
    await expect(chooseAddress(req('10.0.0.9', { range, inUse }))).rejects.toThrow(
      'decky d1: no free address left in 198.51.100.1-198.51.100.3 on eth0 (range exhausted)',
    );
  });

  it('never takes an address a concurrent request has claimed', async () => {
    const claimed = new Set(['198.51.100.3']);
    const claim = (a: string) => (claimed.has(a) ? false : (claimed.add(a), true));
    expect(await chooseAddress(req('10.0.0.9', { claim }))).toBe('198.51.100.4');
  });

  it('parses ranges and rejects bad ones with one line', () => {
    expect(parseRange('198.51.100.128/25')).toEqual(parseRange('198.51.100.129-198.51.100.254'));
    expect(() => parseRange('198.51.100.9-198.51.100.1')).toThrow(/must be FIRST-LAST or a CIDR/);
    expect(() => parseRange('banana')).toThrow(/decky IP range "banana"/);
  });
});

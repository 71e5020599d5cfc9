import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DeckyConfig } from '../../../../shared/domain/decky';
import {
  composeDecky,
  hostIdFor,
  LABEL,
  macFor,
  startHash,
  startMessageFor,
} from '../../../../agent/runtime/docker/compose-file';
import { StartMessage } from '../../../../agent/runtime/native/decky-host-protocol';
import { makeDecky } from '../../../fixtures/decky';

const decky = DeckyConfig.parse(
  makeDecky({
    name: 'web-01',
    ip: '198.51.100.20',
    nmapOs: 'windows',
    services: ['ssh', 'http'],
    serviceConfig: { ssh: { version: 'OpenSSH_9.2p1 Debian-2+deb12u3' } },
  }),
);
const input = { decky, image: 'decnet-decky:1', confDir: '/s/conf', runDir: '/s/run', dataDir: '/s/data' };
type Svc = Record<string, unknown> & { labels: Record<string, string>; environment?: Record<string, string> };

describe('composeDecky', () => {
  it('gives the base the LAN address, a non-docker MAC and the persona sysctls; services share its namespace, hardened', () => {
    const doc = composeDecky({ ...input, network: { kind: 'lan', name: 'decnet-macvlan-lan0' } }) as {
      services: Record<string, Svc>;
      networks: unknown;
    };
    const base = doc.services['base']!;
    expect(base['networks']).toEqual({ 'decnet-macvlan-lan0': { ipv4_address: '198.51.100.20' } });
    expect(base['sysctls']).toMatchObject({
      'net.ipv4.ip_default_ttl': '128',
      'net.ipv4.ip_unprivileged_port_start': '0',
    });
    expect(base['mac_address']).toBe(macFor('web-01'));
    expect(doc.networks).toEqual({ 'decnet-macvlan-lan0': { external: true } });
    expect(Object.keys(doc.services).sort()).toEqual(['base', 'http', 'ssh']);
    for (const name of ['ssh', 'http']) {
      const s = doc.services[name]!;
      expect(s).toMatchObject({
        network_mode: 'service:base',
        read_only: true,
        cap_drop: ['ALL'],
        user: '65534:65534',
        restart: 'unless-stopped',
        security_opt: ['no-new-privileges:true'],
      });
      expect(s['cap_add']).toBeUndefined();
      expect(s.labels[LABEL.decky]).toBe('web-01');
      expect(s.environment?.['DECNET_HOST_ID']).toBe(hostIdFor('web-01', name));
      expect(s['volumes']).toContain('/s/conf:/decnet/conf:ro');
    }
  });

  it('uses the engine namespace for the loopback driver (no sysctls there), with only NET_BIND_SERVICE', () => {
    const doc = composeDecky({ ...input, network: { kind: 'loopback' } }) as { services: Record<string, Svc> };
    expect(doc.services['base']!['network_mode']).toBe('host');
    expect(doc.services['base']!['sysctls']).toBeUndefined();
    expect(doc.services['ssh']!['cap_add']).toEqual(['NET_BIND_SERVICE']);
  });

  it('each service boots from a valid start message holding only its own service and persona', () => {
    const msg = StartMessage.parse(startMessageFor(decky, 'ssh'));
    expect(msg.decky.services).toEqual(['ssh']);
    expect(msg.decky.serviceConfig).toEqual({ ssh: { version: 'OpenSSH_9.2p1 Debian-2+deb12u3' } });
    expect(StartMessage.parse(startMessageFor(decky, 'http')).decky.serviceConfig).toEqual({});
  });

  it('a mutation time alone never changes a service definition; a persona change does', () => {
    expect(startHash({ ...decky, lastMutated: 123 }, 'ssh')).toBe(startHash(decky, 'ssh'));
    const other = { ...decky, serviceConfig: { ssh: { version: 'OpenSSH_8.4p1 Debian-5' } } };
    expect(startHash(other, 'ssh')).not.toBe(startHash(decky, 'ssh'));
  });

  it('MACs are unicast, locally administered, never 02:42 (docker), stable per name', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,30}$/), (name) => {
        const mac = macFor(name);
        expect(mac).toMatch(/^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/);
        const first = parseInt(mac.slice(0, 2), 16);
        expect(first & 1).toBe(0);
        expect(first & 2).toBe(2);
        expect(mac.startsWith('02:42:')).toBe(false);
        expect(macFor(name)).toBe(mac);
      }),
    );
  });
});

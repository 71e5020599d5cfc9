import { describe, expect, it } from 'vitest';
import { archetypes } from '../../../shared/catalog/archetypes';
import { distros } from '../../../shared/catalog/distros';
import { osFingerprints } from '../../../shared/catalog/os-fingerprints';
import { findPortClash, serviceNames, services, type ServiceName } from '../../../shared/catalog/services';
import { DeckyConfig } from '../../../shared/domain/decky';

describe('service catalogue', () => {
  it('has every service of the original', () => {
    const original = [
      'ssh',
      'http',
      'https',
      'ftp',
      'tftp',
      'smb',
      'rdp',
      'telnet',
      'vnc',
      'smtp',
      'imap',
      'pop3',
      'ldap',
      'llmnr',
      'mysql',
      'postgres',
      'mssql',
      'mongodb',
      'redis',
      'elasticsearch',
      'mqtt',
      'snmp',
      'sip',
      'k8s',
      'docker_api',
      'conpot',
      'dns',
      'smtp_relay',
    ];
    expect(serviceNames).toEqual(expect.arrayContaining(original));
  });

  it('gives every service at least one valid port and no duplicate port', () => {
    for (const name of serviceNames) {
      const ports = services[name].ports;
      expect(ports.length, name).toBeGreaterThan(0);
      for (const p of ports) expect(p.port >= 1 && p.port <= 65535, `${name} ${p.port}`).toBe(true);
      expect(new Set(ports.map((p) => `${p.port}/${p.proto}`)).size, name).toBe(ports.length);
    }
  });

  it('detects a clash and returns null without one', () => {
    expect(findPortClash(['ssh', 'http'])).toBeNull();
    expect(findPortClash(['smtp', 'smtp_relay'])).toBe('smtp and smtp_relay both use 25/tcp');
  });
});

describe('archetypes', () => {
  it.each(Object.entries(archetypes))('%s names existing services without a port clash', (_name, a) => {
    for (const s of a.services) expect(serviceNames).toContain(s);
    expect(findPortClash(a.services as readonly ServiceName[])).toBeNull();
    expect(Object.keys(osFingerprints)).toContain(a.nmapOs);
    for (const d of a.distros) expect(Object.keys(distros)).toContain(d);
  });

  it.each(Object.entries(archetypes))('%s yields a valid decky config', (name, a) => {
    const r = DeckyConfig.safeParse({
      name: 'd1',
      ip: '127.0.0.2',
      services: [...a.services],
      distro: a.distros[0],
      archetype: name,
      nmapOs: a.nmapOs,
    });
    expect(r.success).toBe(true);
  });
});

describe('distros and OS fingerprints', () => {
  it('keep banners consistent with the distro', () => {
    expect(distros.ubuntu22.sshVersion).toContain('Ubuntu');
    expect(distros.debian.sshVersion).toContain('Debian');
    expect(distros.rocky9.sshVersion).not.toMatch(/Ubuntu|Debian/);
    expect(distros.rocky9.httpServer).toContain('Rocky');
  });

  it('map every distro to a known OS family with a plausible TTL', () => {
    for (const d of Object.values(distros)) expect(Object.keys(osFingerprints)).toContain(d.nmapOs);
    for (const f of Object.values(osFingerprints)) expect([64, 128, 255]).toContain(f.ttl);
  });
});

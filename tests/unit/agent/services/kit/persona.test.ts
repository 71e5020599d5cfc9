import { describe, expect, it } from 'vitest';
import { personaFor, serviceModules } from '../../../../../agent/services/registry';
import { DeckyConfig } from '../../../../../shared/domain/decky';

describe('personaFor', () => {
  const decky = DeckyConfig.parse({
    name: 'web-03',
    ip: '10.0.0.13',
    hostname: 'web03.corp.local',
    distro: 'rocky9',
    services: ['ssh', 'http', 'ftp', 'telnet'],
    serviceConfig: { http: { server: 'nginx/1.20.1', title: 'Grafana' } },
  });

  it('derives defaults from the distro and host name', () => {
    expect(personaFor(decky, 'ssh')).toEqual({
      version: 'OpenSSH_8.7',
      kernel: '5.14.0-427.33.1.el9_4.x86_64',
      users: '',
    });
    expect(personaFor(decky, 'ftp')).toEqual({ banner: '220 (vsFTPd 3.0.5)', anonymous: false });
    expect(personaFor(decky, 'telnet')).toMatchObject({ prompt: 'web03.corp.local login: ' });
    expect(String(personaFor(decky, 'telnet').banner)).toContain('Kernel 5.14.0-427.33.1.el9_4.x86_64 on an x86_64');
  });

  it('lets the decky serviceConfig override the defaults', () => {
    expect(personaFor(decky, 'http')).toEqual({ server: 'nginx/1.20.1', title: 'Grafana', poweredBy: '' });
  });

  it('registers the four first services', () => {
    for (const name of ['ssh', 'http', 'ftp', 'telnet'] as const) expect(serviceModules[name]?.name).toBe(name);
  });
});

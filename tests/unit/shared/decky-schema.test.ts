import { describe, expect, it } from 'vitest';
import { describeZodError } from '../../../shared/errors';
import { DecnetConfig, DeckyConfig } from '../../../shared/domain/decky';
import { makeDecky } from '../../fixtures/decky';

function message(input: unknown): string {
  const r = DeckyConfig.safeParse(input);
  if (r.success) throw new Error('expected the config to be rejected');
  return describeZodError(r.error);
}

describe('DeckyConfig', () => {
  it('accepts a valid decky and fills defaults', () => {
    const d = DeckyConfig.parse({ name: 'web-01', ip: '10.0.0.5', services: ['http'], distro: 'ubuntu22' });
    expect(d).toMatchObject({ nmapOs: 'linux', hostUuid: null, serviceConfig: {} });
  });

  it('accepts persona settings for its own services', () => {
    const d = DeckyConfig.parse(makeDecky({ serviceConfig: { ssh: { version: 'OpenSSH_8.9p1 Ubuntu-3ubuntu0.10' } } }));
    expect(d.serviceConfig.ssh?.version).toBe('OpenSSH_8.9p1 Ubuntu-3ubuntu0.10');
  });

  it.each([
    ['Web_01', 'name: decky name must be 1-63 characters'],
    ['-web', 'name: decky name must be 1-63 characters'],
    ['a'.repeat(64), 'name: decky name must be 1-63 characters'],
    ['../etc', 'name: decky name must be 1-63 characters'],
  ])('rejects the name %s with a readable message', (name, expected) => {
    expect(message(makeDecky({ name }))).toContain(expected);
  });

  it('rejects unknown keys', () => {
    expect(message({ ...makeDecky(), base_image: 'debian' })).toMatch(/Unrecognized key.*base_image/);
  });

  // Found by the hostile fuzzer: String() threw on these inside zod's error map, so a console RPC
  // with such a service answered 500 and the dispatcher rejected instead of resolving a Result.
  it('names a hostile non-string service in one short line instead of throwing', () => {
    const nullProto = Object.create(null) as object;
    for (const bad of [{ toString: 1 }, nullProto, 'x\n'.repeat(5000)]) {
      const text = message(makeDecky({ services: ['ssh', bad as never] }));
      expect(text).toMatch(/^services\.1: unknown service /);
      expect(text).not.toMatch(/\n/);
      expect(text.length).toBeLessThan(400);
    }
  });

  it('names an unknown service', () => {
    expect(message(makeDecky({ services: ['ssh', 'gopher' as never] }))).toContain(
      'services.1: unknown service "gopher"',
    );
  });

  it('rejects a bad IP, an empty service list, repeats and port clashes', () => {
    expect(message(makeDecky({ ip: '10.0.0.300' }))).toContain('ip: ip must be an IPv4 address');
    expect(message(makeDecky({ services: [] }))).toContain('a decky needs at least one service');
    expect(message(makeDecky({ services: ['ssh', 'ssh'] }))).toContain('services must not repeat');
    expect(message(makeDecky({ services: ['smtp', 'smtp_relay'] }))).toContain(
      'port clash: smtp and smtp_relay both use 25/tcp',
    );
  });

  it('rejects persona keys that are unknown, mistyped or for another service', () => {
    expect(message(makeDecky({ serviceConfig: { ssh: { colour: 'red' } } }))).toContain(
      'ssh has no persona key "colour"',
    );
    expect(message(makeDecky({ serviceConfig: { ftp: { anonymous: 'yes' } }, services: ['ftp'] }))).toContain(
      'ftp.anonymous must be true or false',
    );
    expect(message(makeDecky({ serviceConfig: { redis: { version: '7' } } }))).toContain(
      "not among the decky's services",
    );
  });

  it('rejects an unknown distro and a non-uuid host', () => {
    expect(message(makeDecky({ distro: 'windows95' as never }))).toContain('unknown distro "windows95"');
    expect(message(makeDecky({ hostUuid: 'host-1' }))).toContain('host uuid must be a UUID');
  });
});

describe('DecnetConfig', () => {
  it('rejects duplicate names and addresses inside one config', () => {
    const r = DecnetConfig.safeParse({
      mode: 'unihost',
      deckies: [makeDecky(), makeDecky({ ip: '127.77.0.10', name: 'decky-01' })],
    });
    expect(r.success).toBe(false);
    const text = r.success ? '' : describeZodError(r.error);
    expect(text).toContain('decky name "decky-01" appears twice');
    expect(text).toContain('ip 127.77.0.10 appears twice');
  });

  it('needs at least one decky and defaults the network to loopback', () => {
    expect(DecnetConfig.safeParse({ mode: 'swarm', deckies: [] }).success).toBe(false);
    expect(DecnetConfig.parse({ mode: 'swarm', deckies: [makeDecky()] }).network.driver).toBe('loopback');
  });
});

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisService } from '../../../../agent/services/db/redis';
import { eventually } from '../../../helpers/eventually';
import { connectRaw, run, startService, type ServiceHarness } from '../service-harness';

const openIp = '127.32.5.1';
const lockedIp = '127.32.5.2';

const cli = (ip: string, ...args: string[]) =>
  run('redis-cli', ['-h', ip, '--no-auth-warning', ...args], { timeoutMs: 10_000 });

describe('redis honeypot', () => {
  let open: ServiceHarness;
  let locked: ServiceHarness;
  beforeAll(async () => {
    open = await startService(redisService, { ip: openIp, distro: 'debian' });
    locked = await startService(redisService, {
      ip: lockedIp,
      distro: 'ubuntu22',
      serviceConfig: { redis: { password: 'cache-pw' } },
    });
  });
  afterAll(async () => {
    await open.stop();
    await locked.stop();
  });

  it('INFO server carries the persona version and the distro kernel and compiler', async () => {
    const r = await cli(openIp, 'INFO', 'server');
    expect(r.stdout).toContain('redis_version:7.0.15');
    expect(r.stdout).toContain('os:Linux 6.1.0-26-amd64 x86_64');
    expect(r.stdout).toContain('gcc_version:12.2.0');
    await eventually(() => open.ofKind('command').some((e) => e.data.command === 'info'));
  });

  it('keeps a private keyspace for the connection (SET/GET/EXISTS/KEYS/DEL in one session)', async () => {
    const r = await run('redis-cli', ['-h', openIp], {
      input: 'SET k1 v1\nGET k1\nEXISTS k1 nope\nKEYS k*\nDEL k1\nGET k1\nECHO hi\nPING\n',
    });
    expect(r.stdout.split('\n').filter(Boolean)).toEqual(['OK', 'v1', '1', 'k1', '1', 'hi', 'PONG']);
    const other = await cli(openIp, 'GET', 'k1');
    expect(other.stdout.trim()).toBe('');
  });

  it('answers the attack commands like 7.0 does and flags them', async () => {
    expect((await cli(openIp, 'CONFIG', 'SET', 'dir', '/var/spool/cron')).stdout).toContain(
      "can't set protected config",
    );
    expect((await cli(openIp, 'CONFIG', 'GET', 'dir')).stdout).toContain('/var/lib/redis');
    expect((await cli(openIp, 'REPLICAOF', '10.9.9.9', '8886')).stdout.trim()).toBe('OK');
    expect((await cli(openIp, 'MODULE', 'LOAD', '/tmp/exp.so')).stdout).toContain('MODULE command not allowed');
    expect((await cli(openIp, 'EVAL', 'return 42', '0')).stdout.trim()).toBe('42');
    const flagged = await eventually(() => {
      const d = open.ofKind('command').filter((e) => e.data.dangerous);
      return d.length >= 4 ? d : undefined;
    });
    expect(flagged.map((e) => e.data.command)).toEqual(
      expect.arrayContaining(['config', 'replicaof', 'module', 'eval']),
    );
  });

  it('with a persona password: NOAUTH first, AUTH attempts captured (both forms), the right one opens it', async () => {
    expect((await cli(lockedIp, 'PING')).stdout.trim()).toBe('NOAUTH Authentication required.');
    const bad = await cli(lockedIp, '-a', 'guess1', 'PING');
    expect(bad.stdout + bad.stderr).toContain('WRONGPASS');
    await cli(lockedIp, '--user', 'admin', '--pass', 'guess2', 'PING');
    const good = await cli(lockedIp, '-a', 'cache-pw', 'DBSIZE');
    expect(good.stdout.trim()).toBe('3');
    const auths = await eventually(() => (locked.ofKind('auth').length >= 3 ? locked.ofKind('auth') : undefined));
    expect(auths.map((a) => [a.data.username, a.data.password, a.data.success])).toEqual(
      expect.arrayContaining([
        ['default', 'guess1', false],
        ['admin', 'guess2', false],
        ['default', 'cache-pw', true],
      ]),
    );
  });

  it('closes on HTTP like redis-server, and records an oversized bulk as malformed', async () => {
    const c = await connectRaw(openIp, 6379);
    c.send('POST / HTTP/1.1\r\nHost: x\r\n\r\n');
    await eventually(() => c.closed());
    const d = await connectRaw(openIp, 6379);
    d.send('*1\r\n$999999999\r\n');
    await eventually(() => d.closed());
    await eventually(() => open.ofKind('malformed').length > 0);
  });
});

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { redisService } from '../../../agent/services/db/redis';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { run, startService, type ServiceHarness } from '../services/service-harness';
import { nmapServiceLine, probeAnswer } from './nmap-probes';
import { describeDiffs, exchangeDiffs, probeDiffs } from './probe-diff';
import type { RealDaemon } from './real-daemon';
import { haveRedisServer, startRealRedis } from './real-redis';

/** Real Debian redis-server 7.0 vs the redis decky (debian persona claims 7.0.15, as Debian ships). */
const realIp = '127.21.4.11';
const oursIp = '127.21.4.12';

if (!haveRedisServer) console.warn('redis fidelity skipped: redis-server missing (Debian package redis-server)');

/** INFO fields that are this process's, not the product's: its pid, clock, uptime, paths, kernel. */
const perProcess = new Set([
  'os',
  'process_id',
  'run_id',
  'server_time_usec',
  'uptime_in_seconds',
  'uptime_in_days',
  'lru_clock',
  'config_file',
  // Debian's unit runs it under systemd (supervised auto → systemd); the test runs it in the foreground.
  'process_supervised',
]);

function infoShape(bulk: string): string[] {
  return bulk
    .split('\r\n')
    .filter((l) => l.includes(':'))
    .map((l) => (perProcess.has(l.split(':')[0]!) ? l.split(':')[0]! + ':*' : l));
}

/** A CLIENT LIST/INFO line without the connection's own id, addresses and file descriptor. */
const clientLine = (s: string) => s.replace(/id=\d+ addr=\S+ laddr=\S+ fd=\d+/, 'id=* addr=* laddr=* fd=*');

describe.skipIf(!haveRedisServer)('redis fidelity against a real Debian redis-server', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let real: RealDaemon | undefined;
  let ours: ServiceHarness | undefined;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-fidelity-redis-');
    real = await startRealRedis(join(tmp.dir, 'real'), realIp);
    ours = await startService(redisService, { ip: oursIp, distro: 'debian' }, { dataDir: join(tmp.dir, 'ours') });
  }, 60_000);
  afterAll(async () => {
    await ours?.stop();
    await real?.stop();
    await tmp?.remove();
  });

  it('answers every nmap probe (intensity 7) byte for byte like redis-server', async () => {
    const diffs = await probeDiffs(realIp, oursIp, 6379);
    console.log(describeDiffs('redis', diffs));
    expect(diffs).toEqual([]);
  }, 120_000);

  it('is named the same by nmap -sV', async () => {
    const scan = (ip: string) => nmapServiceLine(ip, 6379);
    const [r, o] = await Promise.all([scan(realIp), scan(oursIp)]);
    expect(r).toContain('Redis key-value store 7.0.15');
    expect(o).toBe(r);
  }, 150_000);

  it('answers raw requests byte for byte: inline quoting, protocol errors, NUL-hidden lines, AUTH', async () => {
    const requests = [
      'PING\r\n',
      'PING "a b\\x41\\n"\r\n',
      "ECHO 'it\\'s'\r\n",
      'FOO bar \xe9t\xe9\r\n',
      `FOO ${'a'.repeat(99)} b c d e f g h i j k\r\n`,
      '*2\r\n$3\r\nab\0\r\n$1\r\nx\r\n',
      'GET "abc\r\n',
      'GET "a"b\r\n',
      '*x\r\n',
      '*1\r\nx\r\n',
      'GET\r\n',
      'AUTH x\r\n',
      'AUTH someone x\r\n',
      'AUTH default x\r\n',
      'ab\0cd\nPING\r\n',
      'QUIT\r\n',
    ];
    const diffs: string[] = [];
    for (const q of requests) {
      const b = Buffer.from(q, 'latin1');
      const [r, o] = await Promise.all([probeAnswer(realIp, 6379, b), probeAnswer(oursIp, 6379, b)]);
      if (!r.equals(o))
        diffs.push(
          `${JSON.stringify(q)}: real ${JSON.stringify(r.toString('latin1'))} | ours ${JSON.stringify(o.toString('latin1'))}`,
        );
    }
    expect(diffs).toEqual([]);
  }, 120_000);

  it('speaks RESP3 after HELLO 3 like redis-server (nulls, maps, verbatim text)', async () => {
    const cmds = ['PING', 'ECHO x', 'GET nokey', 'MGET a b', 'KEYS nomatch*', 'CONFIG GET databases', 'CONFIG GET x'];
    cmds.push('CLIENT GETNAME', 'HELLO 2\r\nGET nokey', 'HELLO 4', 'HELLO abc', 'HELLO 3 SETNAME n\r\nCLIENT GETNAME');
    // HELLO's id is the server's connection counter.
    const norm = (s: string) => s.replace(/(\$2\r\nid\r\n:)\d+/g, '$1N');
    const diffs = await exchangeDiffs(
      realIp,
      oursIp,
      6379,
      cmds.map((c) => `HELLO 3\r\n${c}\r\n`),
      norm,
    );
    expect(diffs).toEqual([]);
    const cli = async (ip: string, ...args: string[]) => (await run('redis-cli', ['-3', '-h', ip, ...args])).stdout;
    const [ri, oi] = await Promise.all([cli(realIp, 'INFO', 'server'), cli(oursIp, 'INFO', 'server')]);
    expect(infoShape(oi)).toEqual(infoShape(ri));
    const [rc, oc] = await Promise.all([cli(realIp, 'CLIENT', 'INFO'), cli(oursIp, 'CLIENT', 'INFO')]);
    expect(clientLine(oc)).toBe(clientLine(rc));
  }, 60_000);

  it('gives redis-cli the same INFO server shape, CLIENT LIST line and errors', async () => {
    const cli = async (ip: string, ...args: string[]) => (await run('redis-cli', ['-h', ip, ...args])).stdout;
    for (const args of [['PING'], ['FOO', 'bar'], ['GET'], ['HELLO', '2'], ['CONFIG', 'GET', 'databases']]) {
      const [r, o] = await Promise.all([cli(realIp, ...args), cli(oursIp, ...args)]);
      // HELLO's id is the server's connection counter: a number in both, not the same one.
      const norm = (s: string) => s.replace(/^id\n\d+$/m, 'id\n*');
      expect(norm(o), args.join(' ')).toBe(norm(r));
    }
    const [ri, oi] = await Promise.all([cli(realIp, 'INFO', 'server'), cli(oursIp, 'INFO', 'server')]);
    expect(infoShape(oi)).toEqual(infoShape(ri));
    const [rc, oc] = await Promise.all([cli(realIp, 'CLIENT', 'LIST'), cli(oursIp, 'CLIENT', 'LIST')]);
    expect(clientLine(oc)).toBe(clientLine(rc));
  }, 60_000);
});

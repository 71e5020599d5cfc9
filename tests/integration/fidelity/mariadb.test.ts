import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mysqlService } from '../../../agent/services/db/mysql';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { startService, type ServiceHarness } from '../services/service-harness';
import net from 'node:net';
import {
  greetingFields,
  handshakeResponse,
  maskRandom,
  packet,
  randomAuth,
  sslRequest,
  switchAnswer,
} from './mysql-wire';
import { nmapServiceLine, probeAnswer } from './nmap-probes';
import { describeDiffs, probeDiffs } from './probe-diff';
import { exchange, showExchange, type Step } from './raw-exchange';
import { haveMariadb, startRealMariadb, type RealMariadb } from './real-mariadb';
import { clientHello, parseServerHello, type ShapeOrError } from './tls-hello';

/**
 * Debian 12's MariaDB 10.11 vs the mysql decky claiming the same version, with the same user and
 * database: every nmap probe, nmap -sV, the greeting, logins and bad handshakes. Per-connection
 * bytes are masked by position: the greeting's thread id and 20-byte scramble, and the scramble
 * of an AuthSwitchRequest.
 */
const realIp = '127.21.5.11';
const oursIp = '127.21.5.12';
const login = { user: 'app', password: 'Spring2024', db: 'wordpress' };

const greet = Buffer.alloc(0);
const reply =
  (o: Parameters<typeof handshakeResponse>[0]): Step =>
  (answers) =>
    handshakeResponse(o, answers[0]!);

/** Each case: the steps of one connection; the first step only waits for the greeting. */
const cases: Record<string, Step[]> = {
  greeting: [greet],
  'unknown user with a password': [greet, reply({ user: 'nobody', auth: randomAuth() })],
  'unknown user without a password': [greet, reply({ user: 'nobody' })],
  'right user, wrong password': [greet, reply({ user: login.user, password: 'wrong' })],
  'right user, no password': [greet, reply({ user: login.user })],
  'right password': [greet, reply({ user: login.user, password: login.password })],
  'right password, the database': [greet, reply({ ...login })],
  'right password, an unknown database': [greet, reply({ ...login, db: 'nosuch' })],
  'right password, then COM_PING and COM_QUIT': [
    greet,
    reply({ ...login }),
    packet(0, Buffer.from([0x0e])),
    packet(0, Buffer.from([0x01])),
  ],
  'caching_sha2_password client, switched to native': [
    greet,
    reply({ user: login.user, plugin: 'caching_sha2_password', auth: randomAuth() }),
    (a) => switchAnswer(login.password, a[1]!),
  ],
  'unknown client plugin': [greet, reply({ user: login.user, plugin: 'no_such_plugin', auth: randomAuth() })],
  'pre-4.1 handshake': [greet, packet(1, Buffer.from('0500ffffff00726f6f7400', 'hex'))],
  'short handshake': [greet, packet(1, Buffer.from('0102', 'hex'))],
  'packet out of order': [
    greet,
    (a) => handshakeResponse({ user: login.user, password: login.password, seq: 5 }, a[0]!),
  ],
  'a query before the login': [greet, packet(0, Buffer.from('\x03select 1', 'latin1'))],
  'SSL request, then plaintext': [greet, sslRequest(), (a) => handshakeResponse({ user: 'x', seq: 2 }, a[0]!)],
  'query errors after the login': [
    greet,
    reply({ ...login }),
    packet(0, Buffer.from('\x03selec x', 'latin1')),
    packet(0, Buffer.from('\x03use nosuch', 'latin1')),
    packet(0, Buffer.from('\x03select * from nosuch', 'latin1')),
    packet(0, Buffer.from('\x03', 'latin1')),
  ],
  'expression queries after the login': [
    greet,
    reply({ ...login }),
    ...['select 1', 'select 12345', 'SELECT VERSION()', 'select @@version', 'select database()', 'select user()']
      .concat(['select current_user()', 'select @@version_comment limit 1', 'select @@secure_file_priv'])
      .map((q) => packet(0, Buffer.from(`\x03${q}`, 'latin1'))),
  ],
  'PROXY v1 header': [greet, Buffer.from('PROXY TCP4 198.51.100.7 127.21.5.11 40000 3306\r\n')],
  'a login packet longer than it says': [greet, packet(1, Buffer.alloc(40, 0x41)).subarray(0, 20)],
};

/** libmariadb clients are asked for the clear password (our capture), which the real server never does. */
const clearSwitchCase: Step[] = [
  greet,
  reply({ user: 'nobody', auth: randomAuth(), attrs: { _client_name: 'libmariadb', _client_version: '3.3.8' } }),
];

/** The SSL request, then a ClientHello: the ServerHello shape back. */
function helloAfterSslRequest(host: string, version: '1.2' | '1.3'): Promise<ShapeOrError> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: 3306 });
    let buf = Buffer.alloc(0);
    let sent = false;
    const done = () => {
      s.destroy();
      try {
        resolve(parseServerHello(buf));
      } catch (err) {
        resolve({ error: String(err) });
      }
    };
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      if (!sent) {
        // The greeting, then the SSL request and the ClientHello at once (the request gets no answer).
        if (buf.length < 4 || buf.length < 4 + buf.readUIntLE(0, 3)) return;
        sent = true;
        buf = Buffer.alloc(0);
        return void s.write(Buffer.concat([sslRequest(), clientHello(version, 'db', [])]));
      }
      const first = buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3);
      if (buf.toString('hex').includes('0e000000') || (first && buf.toString('hex').includes('002b00020304'))) done();
    });
    s.on('error', done);
    s.on('close', done);
  });
}

if (!haveMariadb) console.warn('mariadb fidelity skipped: mariadbd missing (Debian package mariadb-server)');

describe.skipIf(!haveMariadb)('mysql fidelity against Debian 12 MariaDB 10.11', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let real: RealMariadb | undefined;
  let ours: ServiceHarness | undefined;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-fidelity-mariadb-');
    real = await startRealMariadb(join(tmp.dir, 'real'), realIp, login);
    // The persona claims the real server's version, so both name the same release.
    ours = await startService(
      mysqlService,
      {
        ip: oursIp,
        distro: 'debian',
        serviceConfig: { mysql: { version: real.version, users: `${login.user}:${login.password}` } },
      },
      { dataDir: join(tmp.dir, 'ours') },
    );
  }, 120_000);
  afterAll(async () => {
    await ours?.stop();
    await real?.stop();
    await tmp?.remove();
  });

  it('answers every nmap probe (intensity 7) like MariaDB, thread id and scramble masked', async () => {
    const diffs = await probeDiffs(realIp, oursIp, 3306, {
      normalize: (s) => maskRandom(Buffer.from(s, 'latin1')).toString('latin1'),
    });
    console.log(describeDiffs('mariadb', diffs));
    expect(diffs).toEqual([]);
  }, 240_000);

  it('is named by nmap -sV as the real one is', async () => {
    const scan = (ip: string) => nmapServiceLine(ip, 3306);
    const [r, o] = await Promise.all([scan(realIp), scan(oursIp)]);
    console.log(`nmap -sV: real "${r}" | ours "${o}"`);
    expect(r).toContain('MariaDB');
    expect(o).toBe(r);
  }, 150_000);

  it('greets, logs in and refuses bad handshakes as the real one does', async () => {
    const diffs: string[] = [];
    const seen: string[] = [];
    for (const [name, steps] of Object.entries(cases)) {
      const [r, o] = await Promise.all([exchange(realIp, 3306, steps), exchange(oursIp, 3306, steps)]);
      const [rs, os] = [showExchange(r, maskRandom), showExchange(o, maskRandom)];
      seen.push(`${name}: ${rs}`);
      if (rs !== os) diffs.push(`${name}:\n    real ${rs}\n    ours ${os}`);
    }
    console.log(`mariadb exchanges (real):\n  ${seen.join('\n  ')}`);
    console.log(`mariadb exchange differences: ${diffs.length ? '\n  ' + diffs.join('\n  ') : 'none'}`);
    // The comparison saw the real server's own answers: a greeting and an access denied.
    expect(seen.find((s) => s.startsWith('greeting:'))).toContain('5.5.5-10.11');
    expect(seen.find((s) => s.startsWith('unknown user with a password:'))).toContain('(using password: YES)');
    expect(diffs).toEqual([]);
  }, 120_000);

  it('differs only where ours asks a libmariadb client for its clear password', async () => {
    const [r, o] = await Promise.all([
      exchange(realIp, 3306, clearSwitchCase),
      exchange(oursIp, 3306, clearSwitchCase),
    ]);
    expect(showExchange(r.slice(1))).toBe(
      `"J\\u0000\\u0000\\u0002ÿ\\u0015\\u0004#28000Access denied for user 'nobody'@'127.0.0.1' (using password: YES)" <closed>`,
    );
    expect(showExchange(o.slice(1))).toBe('"\\u0016\\u0000\\u0000\\u0002þmysql_clear_password\\u0000"');
  }, 30_000);

  it('draws scramble bytes from the same alphabet (MariaDB: printable ASCII 33..126)', async () => {
    const alphabet = async (ip: string) => {
      const seen = new Set<number>();
      // 25 greetings at once (under our per-source cap of 32), 500 bytes: a 1..127 draw would
      // leave 33..126 with near certainty.
      const greetings = await Promise.all(Array.from({ length: 25 }, () => probeAnswer(ip, 3306, greet)));
      for (const g of greetings) for (const b of greetingFields(g)!.scramble) seen.add(b);
      return { min: Math.min(...seen), max: Math.max(...seen) };
    };
    const [r, o] = await Promise.all([alphabet(realIp), alphabet(oursIp)]);
    expect(r.min).toBeGreaterThanOrEqual(33);
    expect(r.max).toBeLessThanOrEqual(126);
    expect(o.min).toBeGreaterThanOrEqual(33);
    expect(o.max).toBeLessThanOrEqual(126);
  }, 60_000);

  it('sends the same TLS ServerHello after the SSL request (TLS 1.2 and 1.3)', async () => {
    for (const v of ['1.2', '1.3'] as const) {
      const [r, o] = await Promise.all([helloAfterSslRequest(realIp, v), helloAfterSslRequest(oursIp, v)]);
      console.log(`mariadb TLS ${v}: real ${JSON.stringify(r)} | ours ${JSON.stringify(o)}`);
      expect('error' in r ? r.error : r.ja3s).toMatch(/^[0-9a-f]{32}$/);
      expect(o).toEqual(r);
    }
  }, 30_000);
});

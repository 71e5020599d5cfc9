// Worker agent benchmarks (not a test): `node --import tsx bench/agent.bench.ts [deckies]`.
// 1. Deploy ack latency (request → 202) against deploy duration (request → delta at the master),
//    one decky (ssh+http, real decky host) per request, sequentially; the first request (new mTLS
//    connection, cold code paths) is reported apart. Also how long after the agent finished a job
//    (the delta's completedAt, same clock) the master has its delta.
// 2. Native runtime density: one /deploy of N deckies (default 100) with ssh+http on 127.x
//    addresses: time until every delta arrived, memory per decky host, agent memory.
import { execFileSync } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { eventually } from '../tests/helpers/eventually';
import { makeTmpDir } from '../tests/helpers/tmp-dir';
import { percentile, record, size } from './lib/results';
import {
  agentCaller,
  createPki,
  deckyConfig,
  deployBody,
  paths,
  startAgentProcess,
  startReceiver,
} from '../tests/integration/agent/harness';

const density = Number(process.argv[2] ?? size(100, 3));
const latencyRuns = size(40, 3);

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] ?? NaN;
};
const ms = (x: number): string => `${x.toFixed(1)} ms`;

/** RSS in MiB of `pid` and of its direct children. */
async function rss(pid: number): Promise<{ self: number; children: number[] }> {
  const kib = async (p: number | string): Promise<number> =>
    Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${p}/status`, 'utf8').catch(() => ''))?.[1] ?? 0);
  const children: number[] = [];
  for (const e of await readdir('/proc')) {
    if (!/^\d+$/.test(e)) continue;
    const stat = await readFile(`/proc/${e}/stat`, 'utf8').catch(() => '');
    if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === pid) children.push((await kib(e)) / 1024);
  }
  return { self: (await kib(pid)) / 1024, children };
}

execFileSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
const tmp = await makeTmpDir('decnet-agent-bench-');
const arrived = new Map<string, number>();
/** Wall-clock ms from the agent's completedAt to the receiver holding the delta. */
const visibleAfter = new Map<string, number>();
// Killed in `finally` too: a bench that throws must not leave an agent (and its deckies) behind.
let agent: Awaited<ReturnType<typeof startAgentProcess>> | undefined;
try {
  const p = paths(tmp.dir);
  const pki = await createPki(p.ca);
  const receiver = await startReceiver(pki, [], {
    onDelta: (name, _status, completedAt) => {
      arrived.set(name, performance.now());
      visibleAfter.set(name, Date.now() - Date.parse(completedAt));
    },
  });
  const { writeWorker } = await import('../tests/integration/agent/harness');
  const worker = await writeWorker(pki, p.identity, receiver.url);
  agent = await startAgentProcess({
    identityDir: p.identity,
    stateDir: p.state,
    env: { DECNET_HEARTBEAT_INTERVAL_S: '3600' },
  });
  const api = agentCaller(pki, worker.fingerprint, agent.port);

  // 1. ack latency vs duration
  const acks: number[] = [];
  let firstAck = NaN;
  const durations: number[] = [];
  for (let i = 0; i < latencyRuns; i++) {
    const name = `lat-${i}`;
    const t0 = performance.now();
    const res = await api.call('POST', '/deploy', deployBody([deckyConfig(name, `127.92.0.${i + 1}`)]));
    const ackMs = performance.now() - t0;
    if (i === 0) firstAck = ackMs;
    else acks.push(ackMs);
    if (res.status !== 202) throw new Error(`deploy answered ${res.status}`);
    await eventually(() => arrived.has(name), { timeoutMs: 30_000, intervalMs: 2 });
    durations.push(arrived.get(name)! - t0);
  }
  await api.call('POST', '/teardown', {});
  await eventually(async () => (await api.call('GET', '/status')).body.deployed === false, { timeoutMs: 60_000 });

  // 2. density
  const base = await rss(agent.child.pid!);
  const names = Array.from({ length: density }, (_, i) => `dense-${i}`);
  const t0 = performance.now();
  const res = await api.call(
    'POST',
    '/deploy',
    deployBody(names.map((n, i) => deckyConfig(n, `127.93.${Math.floor(i / 250)}.${(i % 250) + 1}`))),
  );
  const ack = performance.now() - t0;
  if (res.status !== 202) throw new Error(`deploy answered ${res.status}: ${JSON.stringify(res.body)}`);
  await eventually(() => names.every((n) => arrived.has(n)), { timeoutMs: 300_000, intervalMs: 20 });
  const upAll = Math.max(...names.map((n) => arrived.get(n)!)) - t0;
  const status = (await api.call('GET', '/status')).body;
  const running = names.filter((n) => status.runtime[n]?.running).length;
  for (const d of receiver.heartbeats
    .flatMap((h) => h.lifecycle)
    .filter((x) => x.status === 'failed' && names.includes(x.deckyName)))
    console.log(`failed: ${d.deckyName}: ${d.error ?? 'no error text'}`);
  for (const n of names.filter((x) => !status.runtime[x]?.running))
    console.log(`not running: ${n}: ${status.runtime[n]?.error ?? 'no runtime entry'}`);
  const mem = await rss(agent.child.pid!);
  const hosts = mem.children;
  const perDecky = hosts.reduce((a, b) => a + b, 0) / Math.max(1, hosts.length);

  console.log('| measure | value |');
  console.log('|---|---|');
  const visible = Array.from({ length: latencyRuns }, (_, i) => visibleAfter.get(`lat-${i}`) ?? NaN);
  console.log(`| deploy ack, first request (new connection) | ${ms(firstAck)} |`);
  console.log(
    `| deploy ack (request → 202), ${acks.length} later runs | p50 ${ms(pct(acks, 50))}, p99 ${ms(pct(acks, 99))} |`,
  );
  console.log(`| agent finished → delta at master | p50 ${ms(pct(visible, 50))}, p99 ${ms(pct(visible, 99))} |`);
  console.log(
    `| deploy duration (request → delta at master) | p50 ${ms(pct(durations, 50))}, p99 ${ms(pct(durations, 99))} |`,
  );
  console.log(`| ${density} deckies (ssh+http) in one /deploy: ack | ${ms(ack)} |`);
  console.log(
    `| ${density} deckies: all deltas at the master | ${(upAll / 1000).toFixed(2)} s (${running}/${density} running) |`,
  );
  console.log(
    `| RSS per decky host process (mean of ${hosts.length}) | ${perDecky.toFixed(1)} MiB (${((perDecky * hosts.length) / density).toFixed(1)} MiB per decky) |`,
  );
  console.log(`| agent RSS idle → with ${density} deckies | ${base.self.toFixed(1)} → ${mem.self.toFixed(1)} MiB |`);
  const one = 'one decky (ssh+http) per /deploy, sequential';
  record({
    name: 'agent.deploy-ack-first',
    workload: `${one}: the first, on a new connection`,
    unit: 'ms',
    median: firstAck,
  });
  record({
    name: 'agent.deploy-completion-visible',
    workload: `${one}: the delta's completedAt at the agent → the master holding it (same clock)`,
    unit: 'ms',
    median: percentile(visible, 50),
    p99: percentile(visible, 99),
  });
  record({
    name: 'agent.deploy-ack',
    workload: `${one}, ${acks.length} runs after the first`,
    unit: 'ms',
    median: percentile(acks, 50),
    p99: percentile(acks, 99),
  });
  record({
    name: 'agent.deploy-duration',
    workload: `${one}: request → delta at the master`,
    unit: 'ms',
    median: percentile(durations, 50),
    p99: percentile(durations, 99),
  });
  record({ name: 'agent.bulk-deploy-ack', workload: `${density} deckies in one /deploy`, unit: 'ms', median: ack });
  record({
    name: 'agent.bulk-deploy-all-up',
    workload: `${density} deckies in one /deploy, ${running} running`,
    unit: 's',
    median: upAll / 1000,
    throughput: density / (upAll / 1000),
  });
  record({
    name: 'agent.rss-per-decky',
    workload: `${density} deckies (ssh+http), ${hosts.length} host processes`,
    unit: 'MiB',
    median: (perDecky * hosts.length) / density,
    peakRssMiB: mem.self + hosts.reduce((a, b) => a + b, 0),
  });

  await api.call('POST', '/teardown', {});
  await eventually(async () => (await api.call('GET', '/status')).body.deployed === false, { timeoutMs: 120_000 });
  await api.close();
  await agent.kill('SIGTERM');
  agent = undefined;
  await receiver.stop();
} finally {
  await agent?.kill('SIGKILL');
  await tmp.remove();
}

// Network drivers of the native runtime: bring-up time of 20 and 100 idle linux-server deckies
// (ssh + http) and the RSS per decky of the pooled host processes, loopback vs macvlan, in one run.
// macvlan runs in a namespace lab of its own (a worker namespace whose LAN is a veth in
// 198.51.100.0/24, removed at the end): each decky gets its namespace, link, persona sysctls,
// an ARP probe (iputils arping) and a binder that hands its sockets over and exits.
// Run as root: node --import tsx bench/network.bench.ts   (DECNET_BENCH_COUNTS=20,100)
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../agent/clock';
import { arpingProbe } from '../agent/network/arp-probe';
import { createDeckyNetwork } from '../agent/network/decky-network';
import { createNativeRuntime } from '../agent/runtime/native/native-runtime';
import { archetypes } from '../shared/catalog/archetypes';
import { DeckyConfig, type NetworkDriver } from '../shared/domain/decky';
import { tryParseRange } from '../shared/domain/ip-range';
import { createLogger } from '../shared/node/logger';
import { record, smoke } from './lib/results';

const counts = (process.env.DECNET_BENCH_COUNTS ?? (smoke ? '2' : '20,100')).split(',').map(Number);
process.env.DECNET_LOG_LEVEL ??= 'warn';
const hostScript = join(process.cwd(), 'out/agent/decky-host.js');
/** Names every decky namespace of this run (the parent's pid), so the parent can remove leftovers. */
const tag = (process.env.DECNET_BENCH_TAG ??= String(process.pid));
const sh = (...args: string[]) => spawnSync(args[0]!, args.slice(1), { encoding: 'utf8' });

function rssMiB(pid: number): number {
  return Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;
}

// One data dir for every round: host keys are generated once (the warm-up round), so the rounds
// compare the drivers rather than key generation.
const dataDir = process.argv.includes('--in-worker') ? mkdtempSync(join(tmpdir(), 'decnet-netbench-')) : '';

async function measure(
  driver: NetworkDriver,
  n: number,
  round: number,
): Promise<{ upMs: number; perDeckyMiB: number; processes: number }> {
  const log = createLogger({ level: 'critical' });
  const deckyNetwork =
    driver === 'macvlan'
      ? createDeckyNetwork({
          driver,
          host: { interface: 'lan0', address: '198.51.100.2', prefixLen: 24, subnet: '198.51.100.0/24' },
          range: tryParseRange('198.51.100.10-198.51.100.250')!,
          probe: arpingProbe,
          log,
        })
      : undefined;
  const rt = createNativeRuntime(
    {
      network: driver,
      ...(deckyNetwork ? { deckyNetwork } : {}),
      dataDir,
      onEvent: () => undefined,
      clock: systemClock,
      log,
    },
    { hostScript },
  );
  const a = archetypes['linux-server'];
  const deckies = Array.from({ length: n }, (_, i) =>
    DeckyConfig.parse({
      name: `nb${tag}-${i}`,
      ip: driver === 'macvlan' ? `198.51.100.${i + 10}` : `127.69.${round}.${i + 10}`,
      services: [...a.services],
      distro: a.distros[0],
      nmapOs: a.nmapOs,
    }),
  );
  try {
    const started = Date.now();
    await Promise.all(deckies.map((d) => rt.up(d)));
    const upMs = Date.now() - started;
    await new Promise((r) => setTimeout(r, 2000)); // start-up garbage settles before sampling
    const pids = new Set(deckies.map((d) => rt.hostPid(d.name)).filter((p): p is number => p !== undefined));
    const total = [...pids].reduce((s, pid) => s + rssMiB(pid), 0);
    return { upMs, perDeckyMiB: total / n, processes: pids.size };
  } finally {
    await rt.close();
  }
}

if (process.argv.includes('--in-worker')) {
  console.log('| driver   | deckies | processes | bring-up ms | RSS MiB/decky');
  console.log('|----------|---------|-----------|-------------|--------------');
  let round = 0;
  // Warm-up: generates every decky's host keys once.
  await measure('loopback', Math.max(...counts), round++);
  for (const n of counts) {
    for (const driver of ['loopback', 'macvlan'] as const) {
      const r = await measure(driver, n, round++);
      record({
        name: `network.${driver}-${n}`,
        workload: `${n} idle deckies (pooled host processes) on the ${driver} driver in a worker namespace`,
        unit: 'MiB',
        median: r.perDeckyMiB,
        throughput: n / (r.upMs / 1000),
      });
      console.log(
        `| ${driver.padEnd(8)} | ${String(n).padStart(7)} | ${String(r.processes).padStart(9)} | ${String(r.upMs).padStart(11)} | ${r.perDeckyMiB.toFixed(2).padStart(12)}`,
      );
    }
  }
  rmSync(dataDir, { recursive: true, force: true });
} else {
  execFileSync(process.execPath, ['scripts/build.mjs', '--no-renderer'], { stdio: 'inherit' });
  const w = `dnb-w-${process.pid}`;
  const peer = `dnb-p-${process.pid}`;
  try {
    for (const args of [
      ['ip', 'netns', 'add', w],
      ['ip', 'netns', 'add', peer],
      [
        'ip',
        'link',
        'add',
        `dbw${process.pid}`,
        'netns',
        w,
        'type',
        'veth',
        'peer',
        'name',
        `dbp${process.pid}`,
        'netns',
        peer,
      ],
      ['ip', '-n', w, 'link', 'set', `dbw${process.pid}`, 'name', 'lan0'],
      ['ip', '-n', w, 'addr', 'add', '198.51.100.2/24', 'dev', 'lan0'],
      ['ip', '-n', w, 'link', 'set', 'lan0', 'up'],
      ['ip', '-n', w, 'link', 'set', 'lo', 'up'],
      ['ip', '-n', peer, 'link', 'set', `dbp${process.pid}`, 'up'],
    ]) {
      const r = sh(...args);
      if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
    }
    const child = spawnSync(
      'ip',
      ['netns', 'exec', w, process.execPath, '--import', 'tsx', 'bench/network.bench.ts', '--in-worker'],
      { stdio: 'inherit', env: process.env },
    );
    if (child.status !== 0) process.exitCode = 1;
  } finally {
    sh('ip', 'netns', 'del', w);
    sh('ip', 'netns', 'del', peer);
    for (const ns of sh('ip', 'netns', 'list')
      .stdout.split('\n')
      .map((l) => l.split(' ')[0] ?? ''))
      if (ns.startsWith(`decnet-nb${tag}-`)) sh('ip', 'netns', 'del', ns);
  }
}

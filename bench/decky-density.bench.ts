// Decky density of the native runtime (issue #23 item 5): brings up idle linux-server deckies with
// ssh + http + ftp on 127.x addresses through createNativeRuntime at several deckies per host
// process, sums the RSS of the host processes (/proc) and divides by the deckies; then, for the
// failure domain, SIGKILLs one host process and times until every decky it hosted answers ssh
// again (the supervisor's crash restart), counting how many had to restart.
// Run: node --import tsx bench/decky-density.bench.ts (as root: real ports).
// DECNET_BENCH_DECKIES=1000 DECNET_BENCH_LAYOUTS=default,64,250 for the 1,000-decky figure:
// a number is that many deckies per process with no process cap, `default` the agent's defaults
// (16 per process, at most 8 processes, then packed).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../agent/clock';
import { createNativeRuntime } from '../agent/runtime/native/native-runtime';
import { archetypes } from '../shared/catalog/archetypes';
import { DeckyConfig } from '../shared/domain/decky';
import { createLogger } from '../shared/node/logger';
import { connect } from 'node:net';
import { record, size, smoke } from './lib/results';

const deckyCount = Number(process.env.DECNET_BENCH_DECKIES ?? size(64, 2));
const layouts = (process.env.DECNET_BENCH_LAYOUTS ?? (smoke ? '1,default' : '1,16,default')).split(',');
const services = ['ssh', 'http', 'ftp'] as const;
// The host processes inherit this environment; per-decky "ready" lines would bury the table.
process.env.DECNET_LOG_LEVEL ??= 'warn';

execFileSync(process.execPath, ['scripts/build.mjs', '--no-renderer'], { stdio: 'inherit' });
const hostScript = join(process.cwd(), 'out/agent/decky-host.js');

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function measure(
  layout: string,
  round: number,
): Promise<{ processes: number; totalMiB: number; upMs: number; crash: { restarted: number; backMs: number } }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'decnet-density-'));
  const rt = createNativeRuntime(
    {
      network: 'loopback',
      dataDir,
      onEvent: () => undefined,
      clock: systemClock,
      log: createLogger({ level: 'critical' }),
    },
    layout === 'default'
      ? { hostScript }
      : { hostScript, deckiesPerProcess: Number(layout), maxHostProcesses: Number.MAX_SAFE_INTEGER },
  );
  const a = archetypes['linux-server'];
  // A fresh address block per round, so a previous round's sockets in TIME_WAIT never matter.
  const deckies = Array.from({ length: deckyCount }, (_, i) =>
    DeckyConfig.parse({
      name: `dense-${i}`,
      ip: `127.${68 + round}.${(i + 10) >> 8}.${(i + 10) & 255}`,
      services: [...services],
      distro: a.distros[0],
      archetype: 'linux-server',
      nmapOs: a.nmapOs,
    }),
  );
  try {
    const started = Date.now();
    await Promise.all(deckies.map((d) => rt.up(d)));
    const upMs = Date.now() - started;
    // Let start-up garbage settle before sampling (bounded wait, not a timing assertion).
    await new Promise((r) => setTimeout(r, size(2000, 100)));
    const pids = new Set(deckies.map((d) => rt.hostPid(d.name)).filter((p): p is number => p !== undefined));
    const totalMiB = [...pids].reduce((sum, pid) => sum + rssMiB(pid), 0);
    // Failure domain: kill the first decky's host process; its deckies restart with it.
    const victim = rt.hostPid(deckies[0]!.name)!;
    const hosted = deckies.filter((d) => rt.hostPid(d.name) === victim);
    const k0 = Date.now();
    process.kill(victim, 'SIGKILL');
    await Promise.all(hosted.map((d) => answersAgain(d.ip, 22, 60_000)));
    return { processes: pids.size, totalMiB, upMs, crash: { restarted: hosted.length, backMs: Date.now() - k0 } };
  } finally {
    await rt.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Polls until a TCP connect to ip:port succeeds and the peer speaks first (an SSH banner). */
async function answersAgain(ip: string, port: number, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  for (;;) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = connect({ host: ip, port });
      s.setTimeout(2000, () => s.destroy());
      s.once('data', () => (s.destroy(), resolve(true)));
      s.once('error', () => resolve(false));
      s.once('close', () => resolve(false));
    });
    if (ok) return;
    if (Date.now() > end) throw new Error(`${ip}:${port} did not answer within ${deadlineMs} ms of the crash`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

console.log(`${deckyCount} idle linux-server deckies (${services.join(' + ')})`);
console.log(
  '| deckies/process | processes | total RSS MiB | RSS MiB/decky | bring-up ms | crash: deckies restarted | crash: back after ms',
);
console.log(
  '|-----------------|-----------|---------------|---------------|-------------|--------------------------|---------------------',
);
for (const [round, n] of layouts.entries()) {
  const r = await measure(n, round);
  const per = n === 'default' ? `default (${(deckyCount / r.processes).toFixed(0)})` : n;
  record({
    name: `density.per-process-${n}`,
    workload: `${deckyCount} idle linux-server deckies (${services.join('+')}), ${per} per host process in ${r.processes}; median = RSS MiB per decky, throughput = deckies brought up per s`,
    unit: 'MiB',
    median: r.totalMiB / deckyCount,
    peakRssMiB: r.totalMiB,
    throughput: deckyCount / (r.upMs / 1000),
  });
  record({
    name: `density.crash-${n}`,
    workload: `SIGKILL of one host process holding ${r.crash.restarted} of ${deckyCount} deckies: ms until all of them answer ssh again`,
    unit: 'ms',
    median: r.crash.backMs,
  });
  console.log(
    `| ${per.padStart(15)} | ${String(r.processes).padStart(9)} | ${r.totalMiB.toFixed(0).padStart(13)} | ${(r.totalMiB / deckyCount).toFixed(1).padStart(13)} | ${String(r.upMs).padStart(11)} | ${String(r.crash.restarted).padStart(24)} | ${String(r.crash.backMs).padStart(20)}`,
  );
}

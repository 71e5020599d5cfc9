// Decky density of the native runtime: brings up 32 idle linux-server deckies (ssh + http) on
// 127.x addresses through createNativeRuntime with 1 and with 16 deckies per host process, then
// sums the RSS of the host processes (/proc) and divides by the deckies.
// Run: node --import tsx bench/decky-density.bench.ts (as root: real ports).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../agent/clock';
import { createNativeRuntime } from '../agent/runtime/native/native-runtime';
import { archetypes } from '../shared/catalog/archetypes';
import { DeckyConfig } from '../shared/domain/decky';
import { createLogger } from '../shared/node/logger';
import { record, size } from './lib/results';

const deckyCount = Number(process.env.DECNET_BENCH_DECKIES ?? size(32, 2));
const layouts = [1, size(16, 2)];
// The host processes inherit this environment; per-decky "ready" lines would bury the table.
process.env.DECNET_LOG_LEVEL ??= 'warn';

execFileSync(process.execPath, ['scripts/build.mjs', '--no-renderer'], { stdio: 'inherit' });
const hostScript = join(process.cwd(), 'out/agent/decky-host.js');

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function measure(
  perProcess: number,
  round: number,
): Promise<{ processes: number; totalMiB: number; upMs: number }> {
  const dataDir = mkdtempSync(join(tmpdir(), 'decnet-density-'));
  const rt = createNativeRuntime(
    {
      network: 'loopback',
      dataDir,
      onEvent: () => undefined,
      clock: systemClock,
      log: createLogger({ level: 'critical' }),
    },
    { hostScript, deckiesPerProcess: perProcess },
  );
  const a = archetypes['linux-server'];
  // A fresh address block per round, so a previous round's sockets in TIME_WAIT never matter.
  const deckies = Array.from({ length: deckyCount }, (_, i) =>
    DeckyConfig.parse({
      name: `dense-${i}`,
      ip: `127.68.${round}.${i + 10}`,
      services: [...a.services],
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
    return { processes: pids.size, totalMiB, upMs };
  } finally {
    await rt.close();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

console.log(`${deckyCount} idle linux-server deckies (ssh + http)`);
console.log('| deckies/process | processes | total RSS MiB | RSS MiB/decky | bring-up ms');
console.log('|-----------------|-----------|---------------|---------------|------------');
for (const [round, n] of layouts.entries()) {
  const r = await measure(n, round);
  record({
    name: `density.per-process-${n}`,
    workload: `${deckyCount} idle linux-server deckies (ssh+http), ${n} per host process`,
    unit: 'MiB',
    median: r.totalMiB / deckyCount,
    peakRssMiB: r.totalMiB,
    throughput: deckyCount / (r.upMs / 1000),
  });
  console.log(
    `| ${String(n).padStart(15)} | ${String(r.processes).padStart(9)} | ${r.totalMiB.toFixed(0).padStart(13)} | ${(r.totalMiB / deckyCount).toFixed(1).padStart(13)} | ${String(r.upMs).padStart(10)}`,
  );
}

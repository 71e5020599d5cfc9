// Memory of one idle decky per archetype: starts the real decky host (out/agent/decky-host.js, over
// its control socket) with all of the archetype's services on a loopback address, waits for 'ready', then reads the
// process's RSS from /proc. Run: node --import tsx bench/decky-memory.bench.ts (as root: real ports).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { archetypes, type ArchetypeName } from '../shared/catalog/archetypes';
import { startBenchHost } from './lib/decky-host';
import { record, size, smoke } from './lib/results';

execFileSync(process.execPath, ['scripts/build.mjs', '--no-renderer'], { stdio: 'inherit' });
const dataRoot = mkdtempSync(join(tmpdir(), 'decnet-mem-'));

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1] ?? 0) / 1024;
}

async function measure(
  name: ArchetypeName,
  index: number,
): Promise<{ ms: number; rss: number; running: number; failed: string[] }> {
  const a = archetypes[name];
  const started = Date.now();
  const host = await startBenchHost(join(dataRoot, 'hosts'), {
    decky: {
      name: `mem-${index}`,
      ip: `127.66.0.${index + 10}`,
      services: [...a.services],
      distro: a.distros[0],
      archetype: name,
      nmapOs: a.nmapOs,
    },
    dataDir: join(dataRoot, String(index)),
  });
  try {
    const ms = Date.now() - started;
    // Let start-up garbage settle before sampling (bounded wait, not a timing assertion).
    await new Promise((r) => setTimeout(r, size(1500, 100)));
    const running = Object.values(host.ready.services).filter((s) => s === 'running').length;
    return {
      ms,
      rss: rssMiB(host.pid),
      running,
      failed: Object.entries(host.ready.errors).map(([k, v]) => `${k}: ${v}`),
    };
  } finally {
    host.stop();
  }
}

const rows: string[] = [];
let total = 0;
const names = (Object.keys(archetypes) as ArchetypeName[]).slice(0, smoke ? 1 : undefined);
for (const [i, name] of names.entries()) {
  const r = await measure(name, i);
  total += r.rss;
  record({
    name: `decky-memory.${name}`,
    workload: `one idle ${name} decky, its ${archetypes[name].services.length} services in one host process`,
    unit: 'MiB',
    median: r.rss,
    peakRssMiB: r.rss,
  });
  rows.push(
    `| ${name.padEnd(20)} | ${String(archetypes[name].services.length).padStart(8)} | ${String(r.running).padStart(7)} | ${r.rss.toFixed(1).padStart(8)} | ${String(r.ms).padStart(8)} | ${r.failed.join('; ')}`,
  );
}
rmSync(dataRoot, { recursive: true, force: true });
console.log('| archetype            | services | running | RSS MiB | ready ms | failures');
console.log('|----------------------|----------|---------|---------|----------|---------');
for (const r of rows) console.log(r);
console.log(`mean RSS per idle decky: ${(total / names.length).toFixed(1)} MiB`);

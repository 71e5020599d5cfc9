// Docker runtime against the native one, in one run: time to bring up N idle linux-server deckies
// (ssh + http) and the RSS per decky, for the docker runtime (one compose project per decky: a base
// container and one container per service, against a private dockerd in a namespace of its own)
// and the native runtime (1 and 16 deckies per host process). Both on the loopback driver: the
// figures are the runtimes' own, not the LAN's.
// Run: node --import tsx bench/docker-runtime.bench.ts (as root, with docker.io and docker-compose).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { systemClock } from '../agent/clock';
import { createDockerCli } from '../agent/runtime/docker/docker-cli';
import { buildDeckyImage } from '../agent/runtime/docker/decky-image';
import { createDockerRuntime } from '../agent/runtime/docker/docker-runtime';
import { createNativeRuntime } from '../agent/runtime/native/native-runtime';
import type { Runtime } from '../agent/runtime/types';
import { archetypes } from '../shared/catalog/archetypes';
import { DeckyConfig } from '../shared/domain/decky';
import { createLogger } from '../shared/node/logger';
import { dockerdUnavailable, startTestDockerd } from '../tests/integration/docker/test-dockerd';
import { netnsUnavailable, sh } from '../tests/integration/network/netns-lab';
import { record, size } from './lib/results';

const deckyCount = Number(process.env.DECNET_BENCH_DECKIES ?? size(20, 2));
process.env.DECNET_LOG_LEVEL ??= 'warn';
const why = (await netnsUnavailable()) ?? (await dockerdUnavailable());
if (why) {
  console.log(`docker runtime bench skipped: ${why}`);
  process.exit(0);
}
execFileSync(process.execPath, ['scripts/build.mjs', '--no-renderer'], { stdio: 'inherit' });

const rssMiB = (pid: number): number =>
  Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) / 1024;

const a = archetypes['linux-server'];
const deckies = (octet: number) =>
  Array.from({ length: deckyCount }, (_, i) =>
    DeckyConfig.parse({
      name: `bench-${octet}-${i}`,
      ip: `127.69.${octet}.${i + 10}`,
      services: [...a.services],
      distro: a.distros[0],
      archetype: 'linux-server',
      nmapOs: a.nmapOs,
    }),
  );

type Row = { runtime: string; upMs: number; totalMiB: number; processes: number };

async function bringUp(rt: Runtime, list: DeckyConfig[], pids: () => Promise<number[]>, label: string): Promise<Row> {
  try {
    const started = Date.now();
    await Promise.all(list.map((d) => rt.up(d)));
    const upMs = Date.now() - started;
    // Start-up garbage settles before sampling (a bounded wait in a bench, never in a test).
    await new Promise((r) => setTimeout(r, size(2000, 100)));
    const ps = await pids();
    return { runtime: label, upMs, totalMiB: ps.reduce((s, p) => s + rssMiB(p), 0), processes: ps.length };
  } finally {
    await rt.close();
  }
}

const rows: Row[] = [];
const ns = `dnb-${process.pid}`;
const dir = mkdtempSync(join(tmpdir(), 'decnet-docker-bench-'));
await sh('ip', ['netns', 'add', ns]);
await sh('ip', ['-n', ns, 'link', 'set', 'lo', 'up']);
const dockerd = await startTestDockerd(ns, join(dir, 'dockerd'));
try {
  const log = createLogger({ level: 'critical' });
  const cli = createDockerCli({ env: { ...process.env, DOCKER_HOST: dockerd.host } });
  const image = { hostBundle: join(process.cwd(), 'out/agent/image/decky-host.js'), nodeBin: process.execPath };
  const built = Date.now();
  const tag = await buildDeckyImage(cli, image);
  const buildMs = Date.now() - built;
  const imageMiB = Number((await cli.docker(['image', 'inspect', '--format', '{{.Size}}', tag])).stdout) / 2 ** 20;

  const ctx = (sub: string) => ({
    network: 'loopback' as const,
    dataDir: join(dir, sub, 'deckies'),
    hostsDir: join(dir, sub, 'hosts'),
    onEvent: () => undefined,
    clock: systemClock,
    log,
  });
  const docker = createDockerRuntime(ctx('docker'), { cli, image });
  const containerPids = async () => {
    const ids = (await cli.docker(['ps', '-q', '--filter', 'label=com.decnet.managed=true'])).stdout.trim().split('\n');
    const r = await cli.docker(['inspect', '--format', '{{.State.Pid}}', ...ids]);
    return r.stdout
      .trim()
      .split('\n')
      .map(Number)
      .filter((p) => p > 0);
  };
  rows.push(await bringUp(docker, deckies(1), containerPids, 'docker (base + 1 container per service)'));

  const hostScript = join(process.cwd(), 'out/agent/decky-host.js');
  for (const [i, per] of [1, 16].entries()) {
    const rt = createNativeRuntime(ctx(`native-${per}`), {
      hostScript,
      deckiesPerProcess: per,
      maxHostProcesses: Number.MAX_SAFE_INTEGER,
    });
    const list = deckies(2 + i);
    const pids = () =>
      Promise.resolve([...new Set(list.map((d) => rt.hostPid(d.name)).filter((p) => p !== undefined))]);
    rows.push(await bringUp(rt, list, pids, `native, ${per} per host process`));
  }

  console.log(
    `${deckyCount} idle linux-server deckies (ssh + http); decky image ${imageMiB.toFixed(0)} MiB, built in ${buildMs} ms`,
  );
  console.log('| runtime | processes | bring-up ms | total RSS MiB | RSS MiB/decky');
  console.log('|---------|-----------|-------------|---------------|--------------');
  for (const r of rows) {
    console.log(
      `| ${r.runtime} | ${r.processes} | ${r.upMs} | ${r.totalMiB.toFixed(0)} | ${(r.totalMiB / deckyCount).toFixed(1)}`,
    );
    record({
      name: `docker-runtime.${r.runtime.startsWith('docker') ? 'docker' : `native-${r.runtime.includes(' 1 ') ? 1 : 16}`}`,
      workload: `${deckyCount} idle linux-server deckies (ssh+http), ${r.runtime}`,
      unit: 'MiB',
      median: r.totalMiB / deckyCount,
      peakRssMiB: r.totalMiB,
      throughput: deckyCount / (r.upMs / 1000),
    });
  }
  record({
    name: 'docker-runtime.image-build',
    workload: `decky image FROM scratch (${imageMiB.toFixed(0)} MiB)`,
    unit: 'ms',
    median: buildMs,
  });
} finally {
  await dockerd.stop();
  await sh('ip', ['netns', 'del', ns]);
  rmSync(dir, { recursive: true, force: true });
}

// PKI throughput: certificates issued per second, and join-token enrollments per second end to end
// over the real swarm listener on 127.0.0.1 (1, 8 and 32 at a time), the workers' side in its own
// process (bench/lib/enroll-clients.ts) and the master's CPU per enrollment beside it. Not a test.
// Run: node --import tsx bench/pki.bench.ts [--certs N] [--enrollments N]
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { openCertificateAuthority, type CertificateAuthority } from '../main/core/ca';
import { systemClock } from '../main/core/clock';
import { createEnrollment } from '../main/core/enrollment';
import { jsonFileAdapter } from '../main/core/store/json-adapter';
import { openStore } from '../main/core/store/store';
import { createSwarmListener } from '../main/core/swarm';
import { silentLogger } from '../shared/node/logger';
import { createCsrPem, generateKeyPair } from '../shared/node/pki';
import { record, smoke } from './lib/results';

type Row = { what: string; n: number; ms: number; note?: string };

async function timed(what: string, n: number, fn: () => Promise<unknown>): Promise<Row> {
  const t0 = performance.now();
  await fn();
  return { what, n, ms: performance.now() - t0 };
}

async function certBench(ca: CertificateAuthority, n: number): Promise<Row[]> {
  const csrs = await Promise.all(
    Array.from({ length: n }, async (_, i) => createCsrPem(await generateKeyPair(), `w${i}`)),
  );
  return [
    await timed('issue worker identity (P-256 keygen + sign)', n, async () => {
      for (let i = 0; i < n; i++)
        await ca.issueWorkerBundleIdentity({ hostUuid: randomUUID(), name: `b${i}`, addresses: ['10.0.0.1'] });
    }),
    await timed('sign worker CSR (verify CSR + sign)', n, async () => {
      for (const [i, csr] of csrs.entries())
        await ca.signWorkerCsr(csr, { hostUuid: randomUUID(), name: `w${i}`, addresses: ['10.0.0.1'] });
    }),
  ];
}

/** Runs bench/lib/enroll-clients.ts in its own process over `tokens`; resolves with its wall time. */
async function clients(
  master: string,
  tokens: Array<{ token: string; name: string }>,
  concurrency: number,
  dir: string,
) {
  // BENCH_PROF=<dir>: a CPU profile of the clients' process (the workers' side of enrollment).
  const prof = process.env.BENCH_PROF ? ['--cpu-prof', '--cpu-prof-dir', process.env.BENCH_PROF] : [];
  const child = spawn(process.execPath, [...prof, '--import', 'tsx', 'bench/lib/enroll-clients.ts'], {
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  child.stdin.end(`${JSON.stringify({ master, tokens, concurrency, dir })}\n`);
  let out = '';
  child.stdout.on('data', (d: Buffer) => (out += d.toString()));
  const code = await new Promise<number | null>((r) => child.on('exit', r));
  if (code !== 0) throw new Error(`enroll clients exited ${code}`);
  const r = JSON.parse(out) as { ms: number; failures: string[] };
  if (r.failures.length > 0) throw new Error(`${r.failures.length} enrollments failed, e.g. ${r.failures[0]}`);
  return r.ms;
}

async function enrollBench(dataDir: string, workDir: string, n: number): Promise<Row[]> {
  const ca = await openCertificateAuthority({ dataDir });
  // The master's own store (master.json, written through its coalescer), as enrollment uses it.
  const store = await openStore({
    adapter: jsonFileAdapter(join(dataDir, 'master.json')),
    clock: systemClock,
    log: silentLogger,
  });
  const enrollment = createEnrollment({ ca, store, agentPort: 8771 });
  const listener = createSwarmListener({
    host: '127.0.0.1',
    port: 0,
    ca,
    hosts: store.hosts,
    enrollment,
    // Every enrollment comes from 127.0.0.1: the per-source guard (20/min) would measure itself.
    enrollPerMinute: Number.MAX_SAFE_INTEGER,
    log: silentLogger,
    handlers: {
      heartbeat: () => Promise.resolve({ ackedDeltaIds: [] }),
      events: () => Promise.resolve({ ackedIds: [] }),
      artifact: () => Promise.resolve({ stored: false }),
    },
  });
  await listener.start();
  const master = `https://127.0.0.1:${listener.address().port}`;
  let seq = 0;
  const rows: Row[] = [];
  try {
    for (const concurrency of [1, 8, 32]) {
      // The operator's side (join tokens, as hosts.enroll issues them) is not timed.
      const tokens = [];
      for (let i = 0; i < n; i++) {
        const name = `bench-${seq++}`;
        tokens.push({ token: (await enrollment.issueJoinToken({ name })).token, name });
      }
      await store.flush();
      const cpu0 = process.cpuUsage();
      const ms = await clients(master, tokens, concurrency, workDir);
      const cpu = process.cpuUsage(cpu0);
      const masterCpuMs = (cpu.user + cpu.system) / 1000 / n;
      rows.push({
        what: `enroll end to end, concurrency ${concurrency}`,
        n,
        ms,
        note: `master CPU ${masterCpuMs.toFixed(1)} ms/enrollment, ${store.writes()} store writes so far`,
      });
    }
    await store.flush();
    const hosts = store.hosts.list();
    if (hosts.length !== seq) throw new Error(`expected ${seq} enrolled hosts, the store has ${hosts.length}`);
    return rows;
  } finally {
    await listener.stop();
  }
}

const { values } = parseArgs({
  options: {
    certs: { type: 'string', default: smoke ? '3' : '200' },
    enrollments: { type: 'string', default: smoke ? '2' : '200' },
  },
});
const root = await mkdtemp(join(tmpdir(), 'decnet-pki-bench-'));
try {
  const ca = await openCertificateAuthority({ dataDir: join(root, 'cert-bench') });
  await ca.issueWorkerBundleIdentity({ hostUuid: randomUUID(), name: 'warmup', addresses: [] });
  const rows = [
    ...(await certBench(ca, Number(values.certs))),
    ...(await enrollBench(join(root, 'master'), join(root, 'workers'), Number(values.enrollments))),
  ];
  const w = Math.max(...rows.map((r) => r.what.length));
  process.stdout.write(
    `${'operation'.padEnd(w)}  ${'n'.padStart(5)}  ${'total ms'.padStart(9)}  ${'ms/op'.padStart(7)}  ${'ops/s'.padStart(7)}\n`,
  );
  for (const r of rows) {
    const name = `pki.${r.what
      .replace(/\(.*?\)/g, '')
      .trim()
      .replace(/[^a-z0-9]+/gi, '-')
      .toLowerCase()}`;
    const workload = `${r.n} × ${r.what}${r.note ? ` (${r.note})` : ''}`;
    record({ name, workload, unit: 'ms', median: r.ms / r.n, throughput: (r.n * 1000) / r.ms });
    process.stdout.write(
      `${r.what.padEnd(w)}  ${String(r.n).padStart(5)}  ${r.ms.toFixed(0).padStart(9)}  ${(r.ms / r.n).toFixed(2).padStart(7)}  ${((r.n * 1000) / r.ms).toFixed(1).padStart(7)}${r.note ? `  ${r.note}` : ''}\n`,
    );
  }
} finally {
  await rm(root, { recursive: true, force: true });
}

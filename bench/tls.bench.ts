// TLS handshake rate of the https decky against Debian's apache2+mod_ssl (not a test):
// `node --import tsx bench/tls.bench.ts [seconds]`, or `npm run bench -- tls`.
// Three cases, each on our https service (in this process, as a decky runs it) and on apache2 with
// the stock ssl.conf (skipped where apache2/mod_ssl is not installed): RSA-2048 full handshakes,
// RSA-2048 resumed by session ID, ECDSA P-256 full handshakes (a certificate made here: no Debian
// persona ships one). The load comes from a separate process (bench/lib/tls-load.ts), in rounds
// that alternate which server goes first; the figure is the median over rounds.
import { spawn, type ChildProcess } from 'node:child_process';
import { readdir, readFile } from 'node:fs/promises';
import os from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { serveHttp } from '../agent/services/http/http';
import { httpsService } from '../agent/services/http/https';
import { apacheTlsOptions } from '../agent/services/kit/tls-cert';
import { modSslSessionCache } from '../agent/services/kit/tls-session-cache';
import type { ServiceModule } from '../agent/services/kit/types';
import { makeTmpDir } from '../tests/helpers/tmp-dir';
import { haveModSsl, startApacheSsl } from '../tests/integration/fidelity/real-apache-ssl';
import { run, startService } from '../tests/integration/services/service-harness';
import { percentile, record, size } from './lib/results';

const seconds = Number(process.argv[2] ?? size(3, 0.3));
const rounds = size(5, 1);
const parallel = 8;
const host = 'srv-web-01';
const ip = { apacheRsa: '127.23.7.1', apacheEc: '127.23.7.2', oursRsa: '127.23.7.3', oursEc: '127.23.7.4' };
const loader = fileURLToPath(new URL('./lib/tls-load.ts', import.meta.url));

type Load = { handshakes: number; elapsed: number; reused: number; errors: number; p50: number; p99: number };
const children = new Set<ChildProcess>();

function load(addr: string, mode: 'full' | 'resume'): Promise<Load> {
  return new Promise((resolve, reject) => {
    const args = ['--import', 'tsx', loader, addr, '443', String(seconds), String(parallel), mode];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    children.add(child);
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      children.delete(child);
      if (code !== 0) return reject(new Error(`tls-load exited ${code}: ${out}`));
      resolve(JSON.parse(out.trim().split('\n').pop() ?? '{}') as Load);
    });
  });
}

/** A P-256 self-signed pair as `openssl req` makes it (what an operator choosing ECDSA would do). */
async function ecdsaPair(dir: string): Promise<{ cert: string; key: string }> {
  const [cert, key] = [join(dir, 'ec.pem'), join(dir, 'ec.key')];
  const r = await run('openssl', [
    ...['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-sha256'],
    ...['-days', '3650', '-subj', `/CN=${host}`, '-addext', `subjectAltName=DNS:${host}`, '-out', cert, '-keyout', key],
  ]);
  if (r.code !== 0) throw new Error(`openssl req: ${r.stderr}`);
  return { cert: await readFile(cert, 'utf8'), key: await readFile(key, 'utf8') };
}

/**
 * CPU seconds used so far by the apache2 processes started with `config` (parent, workers, and the
 * reaped workers through the parent's cutime/cstime): on a host shared with other work, the rate
 * depends on how much CPU the scheduler gives each server, the CPU per handshake much less.
 */
async function apacheCpuS(config: string): Promise<number> {
  let ticks = 0;
  for (const pid of (await readdir('/proc')).filter((d) => /^\d+$/.test(d))) {
    const [cmd, stat] = await Promise.all([
      readFile(`/proc/${pid}/cmdline`, 'utf8').catch(() => ''),
      readFile(`/proc/${pid}/stat`, 'utf8').catch(() => ''),
    ]);
    if (!cmd.includes(config)) continue;
    const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    ticks += [11, 12, 13, 14].reduce((n, i) => n + Number(f[i] ?? 0), 0);
  }
  return ticks / 100;
}
const oursCpuS = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
};

/** One load run and the CPU its server spent on it, ms per handshake. */
async function measure(addr: string, mode: 'full' | 'resume', cpu: () => number | Promise<number>) {
  const before = await cpu();
  const l = await load(addr, mode);
  return { ...l, cpuMsPerHs: (((await cpu()) - before) * 1000) / Math.max(1, l.handshakes) };
}

type Measured = Load & { cpuMsPerHs: number };
type Side = { ours: Measured[]; apache: Measured[] };
const cases = [
  { name: 'rsa2048-full', what: 'RSA-2048 full handshakes', mode: 'full', ours: ip.oursRsa, apache: ip.apacheRsa },
  {
    name: 'rsa2048-resumed',
    what: 'RSA-2048 resumed (session ID)',
    mode: 'resume',
    ours: ip.oursRsa,
    apache: ip.apacheRsa,
  },
  { name: 'ecdsa-p256-full', what: 'ECDSA P-256 full handshakes', mode: 'full', ours: ip.oursEc, apache: ip.apacheEc },
] as const;

const apacheDir = { [ip.apacheRsa]: 'apache-rsa', [ip.apacheEc]: 'apache-ec' };
const tmp = await makeTmpDir('decnet-bench-tls-');
const stops: (() => Promise<void>)[] = [];
try {
  const ec = await ecdsaPair(tmp.dir);
  const ecHttps: ServiceModule = {
    name: 'https',
    start: (ctx) =>
      serveHttp(ctx, { catalogPort: 443, tls: { ...ec, ...apacheTlsOptions }, sessionCache: modSslSessionCache }),
  };
  for (const [module, addr] of [
    [httpsService, ip.oursRsa],
    [ecHttps, ip.oursEc],
  ] as const) {
    const h = await startService(module, { ip: addr, distro: 'debian', name: host });
    stops.push(() => h.stop());
  }
  if (haveModSsl) {
    stops.push((await startApacheSsl(join(tmp.dir, apacheDir[ip.apacheRsa]!), ip.apacheRsa, host)).stop);
    stops.push((await startApacheSsl(join(tmp.dir, apacheDir[ip.apacheEc]!), ip.apacheEc, host, ec)).stop);
  }
  const loadBefore = os.loadavg()[0] ?? NaN;
  const results = new Map<string, Side>(cases.map((c) => [c.name, { ours: [], apache: [] }]));
  for (let r = 0; r < rounds; r++)
    for (const c of cases) {
      const side = results.get(c.name)!;
      // Alternating who goes first spreads the other engineers' load drift over both servers.
      const order = r % 2 === 0 ? (['ours', 'apache'] as const) : (['apache', 'ours'] as const);
      for (const who of order) {
        if (who === 'apache' && !haveModSsl) continue;
        const cpu = who === 'ours' ? oursCpuS : () => apacheCpuS(join(tmp.dir, apacheDir[c.apache]!, 'apache2.conf'));
        side[who].push(await measure(c[who], c.mode, cpu));
      }
    }
  const loadAfter = os.loadavg()[0] ?? NaN;
  const rate = (l: Load) => l.handshakes / l.elapsed;
  const rows: Record<string, string | number>[] = [];
  for (const c of cases) {
    const { ours, apache } = results.get(c.name)!;
    const [o, a] = [percentile(ours.map(rate), 50), percentile(apache.map(rate), 50)];
    const [oc, ac] = [
      percentile(
        ours.map((l) => l.cpuMsPerHs),
        50,
      ),
      percentile(
        apache.map((l) => l.cpuMsPerHs),
        50,
      ),
    ];
    const reusedPct = (ls: Load[]) =>
      Math.round(
        (100 * ls.reduce((n, l) => n + l.reused, 0)) /
          Math.max(
            1,
            ls.reduce((n, l) => n + l.handshakes, 0),
          ),
      );
    const errors = [...ours, ...apache].reduce((n, l) => n + l.errors, 0);
    record({
      name: `tls.https-${c.name}`,
      workload:
        `${c.what}, TLS 1.2, ${parallel} parallel clients in a separate Node process, ${rounds} alternating ` +
        `rounds of ${seconds} s, median of rounds; ours (one Node process) vs Debian apache2 mod_ssl ` +
        `(stock ssl.conf, mpm_event); resumed ours ${reusedPct(ours)}% / apache ${reusedPct(apache)}%, ` +
        `${errors} errors; 2-core host shared with other work, loadavg ${loadBefore.toFixed(2)} → ${loadAfter.toFixed(2)}`,
      unit: 'ms',
      median: percentile(
        ours.map((l) => l.p50),
        50,
      ),
      p99: percentile(
        ours.map((l) => l.p99),
        50,
      ),
      throughput: o,
      ...(apache.length ? { peer: { name: 'apache2 2.4 mod_ssl', value: a }, ratio: o / a } : {}),
    });
    record({
      name: `tls.https-${c.name}-cpu`,
      workload: `server CPU time per handshake (user + system) in the runs of tls.https-${c.name}, median of rounds`,
      unit: 'ms',
      median: oc,
      ...(apache.length ? { peer: { name: 'apache2 2.4 mod_ssl', value: ac }, ratio: oc / ac } : {}),
    });
    rows.push({
      case: c.what,
      'ours hs/s': Math.round(o),
      'apache hs/s': apache.length ? Math.round(a) : '-',
      'ours/apache': apache.length ? Number((o / a).toFixed(2)) : '-',
      'CPU ms/hs ours': Number(oc.toFixed(3)),
      'CPU ms/hs apache': apache.length ? Number(ac.toFixed(3)) : '-',
      'reused % ours/apache': `${reusedPct(ours)}/${apache.length ? reusedPct(apache) : '-'}`,
      errors,
    });
  }
  console.table(rows);
  console.log(`loadavg(1 min) ${loadBefore.toFixed(2)} before, ${loadAfter.toFixed(2)} after`);
} finally {
  for (const c of children) c.kill('SIGKILL');
  for (const s of stops.reverse()) await s().catch((err: unknown) => console.error(err));
  await tmp.remove();
}

// Our services beside the products a user would pick instead, driven by one load generator in the
// same run: connect, read the service's first answer, close, from 16 parallel clients for a
// bounded time, alternating ours/peer rounds and reporting medians and the our/peer ratio.
// Peers: the honeypots cowrie, OpenCanary and `honeypots` (PyPI, into a throw-away venv) and the
// real Debian servers our personas claim (OpenSSH, vsftpd, nginx, Redis). A peer that cannot be
// installed or started here is named with the reason and skipped; the bench goes on.
// Ours runs in its own decky host process, like a peer daemon, so the load generator never shares
// its event loop. Run: node --import tsx bench/peers.bench.ts [seconds] (as root: real ports on 127.x).
import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { archetypes } from '../shared/catalog/archetypes';
import { makeTmpDir } from '../tests/helpers/tmp-dir';
import { startBenchHost } from './lib/decky-host';
import { percentile, record, size, smoke } from './lib/results';

const seconds = Number(process.argv[2] ?? size(3, 0.3));
const rounds = size(3, 1);
const parallel = 16;

type Exchange = Readonly<{ send?: string; until: RegExp; what: string }>;
type Peer = Readonly<{ name: string; start: (ip: string, dir: string) => Promise<ChildProcess> }>;
type Case = Readonly<{ service: string; port: number; exchange: Exchange; peers: Peer[] }>;

const which = (bin: string): boolean => spawnSync('sh', ['-c', `command -v ${bin}`]).status === 0;

/** Starts a daemon in the foreground and waits until its port accepts connections (15 s). */
/** Every peer started, so an error part-way (or a failed round) still stops them all. */
const started = new Set<ChildProcess>();

const listening = (ip: string, port: number): Promise<boolean> =>
  new Promise<boolean>((r) => {
    const s = net.connect({ host: ip, port }, () => (s.destroy(), r(true)));
    s.on('error', () => r(false));
  });

/** The last line a started daemon wrote to stderr, to say why it is gone. */
const stderrOf = new WeakMap<ChildProcess, () => string>();

async function daemon(cmd: string, args: string[], ip: string, port: number): Promise<ChildProcess> {
  // Something already on the peer's address (a daemon left by a killed run) would pass the
  // port-open check below and be measured instead of the fresh one.
  if (await listening(ip, port)) throw new Error(`${ip}:${port} is already in use (a daemon left by an earlier run?)`);
  const child = spawn(cmd, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  started.add(child);
  let err = '';
  child.stderr.on('data', (d: Buffer) => (err = (err + d.toString()).slice(-2000)));
  stderrOf.set(child, () => err.trim().split('\n').at(-1) ?? '');
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (child.exitCode !== null)
      throw new Error(`${cmd} exited ${child.exitCode}: ${err.trim().split('\n').at(-1) ?? ''}`);
    if (await listening(ip, port)) return child;
    if (Date.now() > deadline) throw (child.kill('SIGKILL'), new Error(`${cmd}: port ${port} not open within 15 s`));
    await new Promise((r) => setTimeout(r, 50));
  }
}

const openssh: Peer = {
  name: 'OpenSSH sshd (Debian)',
  start: async (ip, dir) => {
    if (!existsSync('/usr/sbin/sshd'))
      throw new Error('openssh-server is not installed (apt-get install openssh-server)');
    const key = join(dir, 'ssh_host_ed25519_key');
    if (!existsSync(key)) spawnSync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', key]);
    mkdirSync('/run/sshd', { recursive: true });
    // MaxStartups raised so the bench measures capacity, not sshd's unauthenticated-connection throttle.
    const cfg = join(dir, 'sshd_config');
    writeFileSync(
      cfg,
      `ListenAddress ${ip}:22\nHostKey ${key}\nPidFile ${dir}/sshd.pid\nMaxStartups 10000\nUsePAM no\n`,
    );
    return daemon('/usr/sbin/sshd', ['-D', '-e', '-f', cfg], ip, 22);
  },
};
const vsftpd: Peer = {
  name: 'vsftpd (Debian)',
  start: async (ip, dir) => {
    if (!existsSync('/usr/sbin/vsftpd')) throw new Error('vsftpd is not installed (apt-get install vsftpd)');
    const cfg = join(dir, 'vsftpd.conf');
    mkdirSync('/var/run/vsftpd/empty', { recursive: true });
    writeFileSync(
      cfg,
      `listen=YES\nlisten_address=${ip}\nbackground=NO\nanonymous_enable=NO\nlocal_enable=YES\nmax_clients=0\nmax_per_ip=0\nseccomp_sandbox=NO\n`,
    );
    return daemon('/usr/sbin/vsftpd', [cfg], ip, 21);
  },
};
/** nginx as Debian ships it (`worker_processes auto`: one per core), or with `workers` of them. */
const nginxPeer = (workers?: number): Peer => ({
  name: workers ? `nginx (Debian, ${workers} worker)` : 'nginx (Debian)',
  start: async (ip, dir) => {
    if (!existsSync('/usr/sbin/nginx')) throw new Error('nginx is not installed (apt-get install nginx-light)');
    mkdirSync(join(dir, 'logs'), { recursive: true });
    writeFileSync(join(dir, 'index.html'), `<html><body>${'x'.repeat(1500)}</body></html>\n`);
    const cfg = join(dir, 'nginx.conf');
    writeFileSync(
      cfg,
      `worker_processes ${workers ?? 'auto'}; pid ${dir}/nginx.pid; error_log ${dir}/logs/error.log;\n` +
        `events { worker_connections 4096; }\n` +
        `http { access_log off; server { listen ${ip}:80; root ${dir}; } }\n`,
    );
    return daemon('/usr/sbin/nginx', ['-p', dir, '-c', cfg, '-g', 'daemon off;'], ip, 80);
  },
});
const redis: Peer = {
  name: 'redis-server (Debian)',
  start: async (ip) => {
    if (!which('redis-server')) throw new Error('redis-server is not installed (apt-get install redis-server)');
    return daemon(
      'redis-server',
      ['--bind', ip, '--port', '6379', '--save', '', '--appendonly', 'no', '--daemonize', 'no'],
      ip,
      6379,
    );
  },
};

const cases: Case[] = [
  { service: 'ssh', port: 22, exchange: { until: /^SSH-2\.0-.*\r\n/, what: 'identification line' }, peers: [openssh] },
  { service: 'ftp', port: 21, exchange: { until: /^220 .*\r\n/, what: '220 greeting' }, peers: [vsftpd] },
  {
    service: 'http',
    port: 80,
    exchange: {
      send: 'GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n',
      until: /<\/html>/i,
      what: 'GET / → page',
    },
    // One worker too: the same one core our decky host process has.
    peers: [nginxPeer(), nginxPeer(1)],
  },
  { service: 'redis', port: 6379, exchange: { send: 'PING\r\n', until: /\r\n/, what: 'PING → reply' }, peers: [redis] },
];

function exchange(ip: string, port: number, src: string, x: Exchange): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let text = '';
    const s = net.connect({ host: ip, port, localAddress: src });
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`${ip}:${port}: no answer within 5 s`))), 5_000);
    s.on('error', (err) => (clearTimeout(timer), reject(err)));
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (!x.until.test(text)) return;
      clearTimeout(timer);
      s.destroy();
      resolve(performance.now() - t0);
    });
    s.once('connect', () => x.send && s.write(x.send));
  });
}

/** One load round: connections/s and latencies against ip:port (sources spread over 64 addresses). */
async function load(ip: string, port: number, x: Exchange): Promise<{ rate: number; lat: number[] }> {
  const lat: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  let n = 0;
  await Promise.all(
    Array.from({ length: parallel }, async (_, w) => {
      while (performance.now() < deadline)
        lat.push(await exchange(ip, port, `127.36.1.${((w * 4 + (n++ % 4)) % 64) + 1}`, x));
    }),
  );
  return { rate: lat.length / ((performance.now() - t0) / 1000), lat };
}

const rssMiB = (pid: number): number => {
  // The daemon and its direct children (nginx workers), from /proc.
  // A child can be gone by the time it is read (sshd's per-connection child of the port probe).
  const kib = (p: number | string) => {
    let status = '';
    try {
      status = readFileSync(`/proc/${p}/status`, 'utf8');
    } catch {
      if (String(p) === String(pid)) throw new Error(`process ${pid} is gone`);
    }
    return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  };
  const kids = spawnSync('pgrep', ['-P', String(pid)], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean);
  return (kib(pid) + kids.reduce((a, k) => a + kib(k), 0)) / 1024;
};

/** Our side runs as it does on a worker: the real decky host process, started over its control socket. */
async function startOurs(
  service: string,
  ip: string,
  dir: string,
): Promise<{ proc: { pid: number }; stop: () => void }> {
  const a = archetypes['linux-server'];
  const host = await startBenchHost(join(dir, 'hosts'), {
    decky: {
      name: `peer-${service}`,
      ip,
      services: [service as (typeof a.services)[number]],
      distro: a.distros[0],
      archetype: 'linux-server',
      nmapOs: a.nmapOs,
    },
    dataDir: dir,
  });
  if (host.ready.services[service as keyof typeof host.ready.services] !== 'running') {
    host.stop();
    throw new Error(`${service}: our service did not start: ${JSON.stringify(host.ready.errors)}`);
  }
  return { proc: { pid: host.pid }, stop: host.stop };
}

execFileSync(process.execPath, ['scripts/build.mjs', '--no-renderer'], { stdio: 'inherit' });
// The honeypot peers live on PyPI; without it (as on these machines) they are named and skipped.
const tmp = await makeTmpDir('decnet-peers-');
const venv = join(tmp.dir, 'venv');
const install = `python3 -m venv ${venv} && ${venv}/bin/pip install -q --disable-pip-version-check cowrie opencanary honeypots`;
const pip = smoke
  ? { status: 1, stderr: 'not tried in a smoke run', error: undefined }
  : spawnSync('sh', ['-c', install], { encoding: 'utf8', timeout: 120_000 });
if (pip.status !== 0) {
  const why = (pip.stderr || pip.error?.message || '').trim().split('\n').at(-1);
  console.log(
    `peers cowrie, OpenCanary, honeypots: not installable here (pip: ${why}); measured against the real Debian products only`,
  );
}

console.log('| service | exchange | system | conn/s (median of rounds) | p50 ms | p99 ms | idle RSS MiB | ours/peer |');
console.log('|---|---|---|---|---|---|---|---|');
try {
  for (const [i, c] of cases.entries()) {
    const oursIp = `127.36.0.${i * 2 + 1}`;
    const ourDir = join(tmp.dir, `${c.service}-ours`);
    mkdirSync(ourDir, { recursive: true });
    const ours = await startOurs(c.service, oursIp, ourDir);
    const ourRss = rssMiB(ours.proc.pid);
    const running: { peer: Peer; ip: string; proc: ChildProcess; rss: number }[] = [];
    for (const [k, peer] of c.peers.entries()) {
      const ip = `127.36.0.${i * 2 + 2 + k * 32}`;
      const dir = join(tmp.dir, `${c.service}-${k}`);
      mkdirSync(dir, { recursive: true });
      try {
        const proc = await peer.start(ip, dir);
        let rss: number;
        try {
          rss = rssMiB(proc.pid!);
        } catch {
          throw new Error(`exited right after opening its port (${proc.exitCode}): ${stderrOf.get(proc)?.() ?? ''}`);
        }
        running.push({ peer, ip, proc, rss });
      } catch (err) {
        console.log(`${c.service}: peer ${peer.name} skipped: ${(err as Error).message}`);
      }
    }
    // Alternate ours / each peer per round so drift in machine load hits every system alike.
    const samples = new Map<string, { rates: number[]; lat: number[] }>([['ours', { rates: [], lat: [] }]]);
    for (const r of running) samples.set(r.peer.name, { rates: [], lat: [] });
    for (let round = 0; round < rounds; round++) {
      for (const [name, ip] of [['ours', oursIp] as const, ...running.map((r) => [r.peer.name, r.ip] as const)]) {
        const got = await load(ip, c.port, c.exchange);
        samples.get(name)!.rates.push(got.rate);
        samples.get(name)!.lat.push(...got.lat);
      }
    }
    ours.stop();
    for (const r of running) r.proc.kill('SIGTERM');

    const ourRate = percentile(samples.get('ours')!.rates, 50);
    const ourLat = samples.get('ours')!.lat;
    const workload = `${c.exchange.what}, ${parallel} clients, ${rounds} alternating rounds of ${seconds} s`;
    console.log(
      `| ${c.service} | ${c.exchange.what} | DECNET | ${ourRate.toFixed(0)} | ${percentile(ourLat, 50).toFixed(2)} | ${percentile(ourLat, 99).toFixed(2)} | ${ourRss.toFixed(1)} | |`,
    );
    if (running.length === 0)
      record({
        name: `peers.${c.service}`,
        workload,
        unit: 'ms',
        median: percentile(ourLat, 50),
        p99: percentile(ourLat, 99),
        throughput: ourRate,
        peakRssMiB: ourRss,
      });
    for (const r of running) {
      const s = samples.get(r.peer.name)!;
      const peerRate = percentile(s.rates, 50);
      console.log(
        `| ${c.service} | ${c.exchange.what} | ${r.peer.name} | ${peerRate.toFixed(0)} | ${percentile(s.lat, 50).toFixed(2)} | ${percentile(s.lat, 99).toFixed(2)} | ${r.rss.toFixed(1)} | ${(ourRate / peerRate).toFixed(2)} |`,
      );
      record({
        // A second peer of a service gets its own figure name.
        name:
          r === running[0]
            ? `peers.${c.service}`
            : `peers.${c.service}.${r.peer.name
                .toLowerCase()
                .replace(/[^a-z0-9]+/g, '-')
                .replace(/^-|-$/g, '')}`,
        workload: `${workload}; idle RSS ours ${ourRss.toFixed(1)} MiB (a whole decky host process), peer ${r.rss.toFixed(1)} MiB`,
        peakRssMiB: ourRss,
        unit: 'ms',
        median: percentile(ourLat, 50),
        p99: percentile(ourLat, 99),
        throughput: ourRate,
        peer: { name: r.peer.name, value: Number(peerRate.toFixed(1)) },
        ratio: ourRate / peerRate,
      });
    }
  }
} finally {
  for (const p of started) if (p.exitCode === null) p.kill('SIGKILL');
  await tmp.remove();
}

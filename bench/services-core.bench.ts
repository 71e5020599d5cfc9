// ssh, http, ftp and telnet throughput (not a test): `node --import tsx bench/services-core.bench.ts [seconds]`.
// One decky-side listener per service on 127.34.30.x absorbs whole connections from 16 parallel
// clients for a bounded time: connect, the service's first answer (banner, greeting or HTTP
// response), close. Connections come from 64 loopback sources so the per-source cap is not measured.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { ftpService } from '../agent/services/ftp/ftp';
import { httpService } from '../agent/services/http/http';
import { sshService } from '../agent/services/shell/ssh';
import { telnetService } from '../agent/services/shell/telnet';
import type { ServiceModule } from '../agent/services/kit/types';
import { startService } from '../tests/integration/services/service-harness';
import { percentile, record, size } from './lib/results';

const seconds = Number(process.argv[2] ?? size(3, 0.3));
const parallel = 16;
const maxConnections = 50_000;

type Case = Readonly<{ module: ServiceModule; port: number; send?: string; until: RegExp; what: string }>;
const cases: Case[] = [
  { module: sshService, port: 22, until: /^SSH-2\.0-.*\r\n/, what: 'identification line' },
  {
    module: httpService,
    port: 80,
    send: 'GET / HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n',
    until: /<\/html>/i,
    what: 'GET / → login page',
  },
  { module: ftpService, port: 21, until: /^220 .*\r\n/, what: '220 greeting' },
  // A real telnetd negotiates options before the prompt; the bench stops at the negotiation bytes.
  { module: telnetService, port: 23, until: /\xff[\xfb-\xfe]/, what: 'option negotiation (IAC DO/WILL)' },
];

function exchange(ip: string, port: number, src: string, c: Case): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let text = '';
    const s = net.connect({ host: ip, port, localAddress: src });
    const timer = setTimeout(() => (s.destroy(), reject(new Error(`${c.module.name}: no answer within 5 s`))), 5_000);
    s.on('error', (err) => (clearTimeout(timer), reject(err)));
    s.on('data', (d: Buffer) => {
      text += d.toString('latin1');
      if (c.until.test(text)) {
        clearTimeout(timer);
        s.destroy();
        resolve(performance.now() - t0);
      }
    });
    s.once('connect', () => c.send && s.write(c.send));
  });
}

const pct = (xs: number[], p: number) => xs[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
console.log(`| service | exchange | conn/s | p50 ms | p99 ms |`);
console.log(`|---|---|---|---|---|`);
for (const [i, c] of cases.entries()) {
  const ip = `127.34.30.${i + 1}`;
  const h = await startService(c.module, { ip, services: [c.module.name] });
  const lat: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  let n = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async (_, w) => {
      while (performance.now() < deadline && n < maxConnections) {
        n++;
        lat.push(await exchange(ip, c.port, `127.34.31.${((w * 4 + (n % 4)) % 64) + 1}`, c));
      }
    }),
  );
  const elapsed = (performance.now() - t0) / 1000;
  await h.stop();
  lat.sort((a, b) => a - b);
  record({
    name: `services.${c.module.name}`,
    workload: `${c.what}, ${parallel} clients`,
    unit: 'ms',
    median: percentile(lat, 50),
    p99: percentile(lat, 99),
    throughput: lat.length / elapsed,
  });
  console.log(
    `| ${c.module.name} | ${c.what} | ${Math.round(lat.length / elapsed)} | ${pct(lat, 50).toFixed(1)} | ${pct(lat, 99).toFixed(1)} |`,
  );
}

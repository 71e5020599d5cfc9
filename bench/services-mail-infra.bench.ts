// Mail and infrastructure honeypot throughput (not a test): `node --import tsx bench/services-mail-infra.bench.ts [seconds]`.
// For each service one decky-side listener on 127.31.3.x absorbs complete connections (connect,
// greeting or first request, the service's answer, close) from 16 parallel clients for a bounded
// time; prints connections per second, latency percentiles and captured events.
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import tls from 'node:tls';
import { dockerApiService } from '../agent/services/http/docker-api';
import { elasticsearchService } from '../agent/services/http/elasticsearch';
import { httpsService } from '../agent/services/http/https';
import { imapService } from '../agent/services/mail/imap';
import { k8sService } from '../agent/services/http/k8s';
import { mqttService } from '../agent/services/infra/mqtt';
import { pop3Service } from '../agent/services/mail/pop3';
import { smtpService } from '../agent/services/mail/smtp';
import { smtpRelayService } from '../agent/services/mail/smtp-relay';
import type { ServiceModule } from '../agent/services/kit/types';
import { startService } from '../tests/integration/services/service-harness';
import { percentile, record, size } from './lib/results';

const seconds = Number(process.argv[2] ?? size(3, 0.3));
const parallel = 16;
const maxAttempts = 50_000;

type Case = Readonly<{
  name: string;
  module: ServiceModule;
  port: number;
  tls?: boolean;
  resume?: boolean;
  send?: Buffer;
  until: (got: string) => boolean;
  what: string;
}>;

const get = (path: string) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: bench\r\nConnection: close\r\n\r\n`);
const cases: Case[] = [
  {
    name: 'smtp',
    module: smtpService,
    port: 25,
    send: Buffer.from('EHLO bench\r\nQUIT\r\n'),
    until: (g) => g.includes('221 2.0.0 Bye'),
    what: 'greeting, EHLO, QUIT',
  },
  {
    name: 'smtp_relay',
    module: smtpRelayService,
    port: 25,
    send: Buffer.from('EHLO bench\r\nQUIT\r\n'),
    until: (g) => g.includes('221 2.0.0 Bye'),
    what: 'greeting, EHLO, QUIT',
  },
  {
    name: 'imap',
    module: imapService,
    port: 143,
    send: Buffer.from('a LOGOUT\r\n'),
    until: (g) => g.includes('a OK Logout completed.'),
    what: 'greeting, LOGOUT',
  },
  {
    name: 'pop3',
    module: pop3Service,
    port: 110,
    send: Buffer.from('QUIT\r\n'),
    until: (g) => g.includes('+OK Logging out'),
    what: 'greeting, QUIT',
  },
  {
    name: 'https',
    module: httpsService,
    port: 443,
    tls: true,
    send: get('/'),
    until: (g) => g.includes('</html>'),
    what: 'TLS handshake, GET /',
  },
  // A returning client offers the session it was given, as browsers and scanners do: the abbreviated
  // handshake skips the RSA signature that bounds the full one. TLS 1.2 and the session ID, as
  // Debian's mod_ssl resumes (no tickets; ours cannot honour TLS 1.3 tickets, design §9).
  {
    name: 'https-resumed',
    module: httpsService,
    port: 443,
    tls: true,
    resume: true,
    send: get('/'),
    until: (g) => g.includes('</html>'),
    what: 'resumed TLS 1.2 handshake (session ID), GET /',
  },
  {
    name: 'elasticsearch',
    module: elasticsearchService,
    port: 9200,
    send: get('/'),
    until: (g) => g.includes('You Know, for Search'),
    what: 'GET /',
  },
  {
    name: 'k8s',
    module: k8sService,
    port: 8080,
    send: get('/version'),
    until: (g) => g.includes('"platform"'),
    what: 'GET /version',
  },
  {
    name: 'docker_api',
    module: dockerApiService,
    port: 2375,
    send: get('/_ping'),
    until: (g) => g.endsWith('OK'),
    what: 'GET /_ping',
  },
  {
    name: 'mqtt',
    module: mqttService,
    port: 1883,
    // MQTT 3.1.1 CONNECT, client id "id", user "u", password "p" (no trailing bytes: mosquitto
    // drops a CONNECT with any, and so does the decky since #21).
    send: Buffer.from([
      0x10, 0x14, 0x00, 0x04, 0x4d, 0x51, 0x54, 0x54, 0x04, 0xc2, 0x00, 0x3c, 0x00, 0x02, 0x69, 0x64, 0x00, 0x01, 0x75,
      0x00, 0x01, 0x70,
    ]),
    until: (g) => g.length >= 4,
    what: 'CONNECT with credentials, CONNACK refusal',
  },
];

let ticket: Buffer | undefined;
let reused = 0;
function attempt(host: string, c: Case): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const s: net.Socket = c.tls
      ? tls.connect({
          host,
          port: c.port,
          rejectUnauthorized: false,
          ...(c.resume ? { maxVersion: 'TLSv1.2' as const } : {}),
          ...(c.resume && ticket ? { session: ticket } : {}),
        })
      : net.connect({ host, port: c.port });
    if (c.resume) s.on('session', (session: Buffer) => (ticket = session));
    let got = '';
    s.once(c.tls ? 'secureConnect' : 'connect', () => {
      if (c.send) s.write(c.send);
    });
    s.on('data', (d: Buffer) => {
      got += d.toString('latin1');
      if (c.until(got)) {
        if (s instanceof tls.TLSSocket && s.isSessionReused()) reused++;
        s.destroy();
        resolve(performance.now() - t0);
      }
    });
    s.on('error', reject);
    // A peer that hangs up before its answer fails the bench instead of leaving it waiting forever.
    s.on('close', () => reject(new Error(`${c.name} closed before answering (got ${JSON.stringify(got)})`)));
    s.setTimeout(5_000, () => reject(new Error(`timeout on ${c.name}`)));
  });
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const rows: Record<string, string | number>[] = [];

for (const [i, c] of cases.entries()) {
  const ip = `127.31.3.${i + 1}`;
  const h = await startService(c.module, { ip, distro: 'debian', services: [c.module.name] });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  reused = 0;
  const worker = async () => {
    while (performance.now() < deadline && latencies.length < maxAttempts) latencies.push(await attempt(ip, c));
  };
  await Promise.all(Array.from({ length: parallel }, worker));
  const elapsed = (performance.now() - t0) / 1000;
  record({
    name: `services.${c.name}`,
    workload: `${c.what}, ${parallel} clients`,
    unit: 'ms',
    median: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    throughput: latencies.length / elapsed,
  });
  rows.push({
    service: c.name,
    exchange: c.what,
    'conn/s': Math.round(latencies.length / elapsed),
    'p50 ms': Number(pct(latencies, 50).toFixed(2)),
    'p99 ms': Number(pct(latencies, 99).toFixed(2)),
    captured: h.captures.length,
    ...(c.tls ? { 'TLS resumed': reused } : {}),
  });
  await h.stop();
}
console.table(rows);

// Windows, UDP and ICS honeypot throughput (not a test): `node --import tsx bench/services-infra.bench.ts [seconds]`.
// For each service one decky-side listener on 127.33.30.x absorbs complete exchanges from 16
// parallel clients for a bounded time: TCP services a whole connection (connect, the first
// request, the service's answer, close); UDP services one request datagram and its answer, from
// 64 loopback sources so that the per-source rate limit (a reflection guard) is not what is measured.
import dgram from 'node:dgram';
import net from 'node:net';
import { performance } from 'node:perf_hooks';
import { conpotService } from '../agent/services/ics/conpot';
import { dnsService } from '../agent/services/infra/dns';
import { encodeName } from '../agent/services/codecs/dns-codec';
import { llmnrService } from '../agent/services/infra/llmnr';
import { rdpService } from '../agent/services/remote-desktop/rdp';
import { sipService } from '../agent/services/infra/sip';
import { smbService } from '../agent/services/smb/smb';
import { snmpService } from '../agent/services/infra/snmp';
import { tftpService } from '../agent/services/ftp/tftp';
import type { ServiceModule } from '../agent/services/kit/types';
import { udpLimits } from '../agent/services/kit/udp-listener';
import { vncService } from '../agent/services/remote-desktop/vnc';
import { startService } from '../tests/integration/services/service-harness';
import { percentile, record, size } from './lib/results';

const seconds = Number(process.argv[2] ?? size(3, 0.3));
const parallel = 16;
const maxAttempts = 50_000;

type Case = Readonly<{
  name: string;
  module: ServiceModule;
  port: number;
  udp?: boolean;
  send?: Buffer;
  min: number;
  what: string;
  decky?: Record<string, unknown>;
}>;

const dnsQuery = (name: string, type = 1, qclass = 1) => {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(1, 4);
  const t = Buffer.alloc(4);
  t.writeUInt16BE(type, 0);
  t.writeUInt16BE(qclass, 2);
  return Buffer.concat([h, encodeName(name), t]);
};
const smb2Negotiate = (() => {
  const hdr = Buffer.alloc(64);
  hdr.write('\xfeSMB', 0, 'latin1');
  hdr.writeUInt16LE(64, 4);
  const body = Buffer.alloc(46);
  body.writeUInt16LE(36, 0);
  body.writeUInt16LE(5, 2);
  [0x202, 0x210, 0x300, 0x302, 0x311].forEach((d, i) => body.writeUInt16LE(d, 36 + i * 2));
  const msg = Buffer.concat([hdr, body]);
  const len = Buffer.alloc(4);
  len.writeUInt32BE(msg.length);
  return Buffer.concat([len, msg]);
})();
const hex = (s: string) => Buffer.from(s, 'hex');
const snmpGet = hex('302602010104067075626c6963a019020101020100020100300e300c06082b060102010101000500');
const sipOptions = Buffer.from(
  'OPTIONS sip:100@bench SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK1;rport\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:100@c>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
);
const windows = { archetype: 'windows-workstation', nmapOs: 'windows' };

const cases: Case[] = [
  {
    name: 'smb',
    module: smbService,
    port: 445,
    send: smb2Negotiate,
    min: 4 + 128,
    what: 'SMB2 NEGOTIATE (3.1.1 + SPNEGO)',
    decky: windows,
  },
  {
    name: 'rdp',
    module: rdpService,
    port: 3389,
    send: hex('0300002b26e00000000000436f6f6b69653a206d737473686173683d61646d696e0d0a010008000b000000'),
    min: 19,
    what: 'X.224 CR → CC (NLA)',
    decky: windows,
  },
  { name: 'vnc', module: vncService, port: 5900, min: 12, what: 'RFB banner' },
  {
    name: 'conpot/modbus',
    module: conpotService,
    port: 502,
    send: hex('000200000005012b0e0100'),
    min: 20,
    what: 'Read Device Identification',
  },
  {
    name: 'dns/tcp',
    module: dnsService,
    port: 53,
    send: Buffer.concat([hex('001e'), dnsQuery('version.bind', 16, 3)]),
    min: 30,
    what: 'version.bind over TCP',
  },
  { name: 'sip/tcp', module: sipService, port: 5060, send: sipOptions, min: 100, what: 'OPTIONS → 200' },
  {
    name: 'dns/udp',
    module: dnsService,
    port: 53,
    udp: true,
    send: dnsQuery('version.bind', 16, 3),
    min: 1,
    what: 'version.bind datagram',
  },
  { name: 'snmp', module: snmpService, port: 161, udp: true, send: snmpGet, min: 1, what: 'v2c GET sysDescr.0' },
  { name: 'sip/udp', module: sipService, port: 5060, udp: true, send: sipOptions, min: 1, what: 'OPTIONS → 200' },
  {
    name: 'llmnr',
    module: llmnrService,
    port: 5355,
    udp: true,
    send: dnsQuery('bench'),
    min: 1,
    what: 'A query for own name',
    decky: { name: 'bench' },
  },
  {
    name: 'tftp',
    module: tftpService,
    port: 69,
    udp: true,
    send: Buffer.from('\0\x01boot.cfg\0octet\0', 'latin1'),
    min: 1,
    what: 'RRQ → ERROR 1 (own TID)',
  },
];

function tcpAttempt(host: string, c: Case): Promise<number> {
  const t0 = performance.now();
  return new Promise((resolve, reject) => {
    const s = net.connect({ host, port: c.port });
    let got = 0;
    s.once('connect', () => c.send && s.write(c.send));
    s.on('data', (d: Buffer) => {
      got += d.length;
      if (got >= c.min) {
        s.destroy();
        resolve(performance.now() - t0);
      }
    });
    s.on('error', reject);
    s.setTimeout(5_000, () => reject(new Error(`timeout on ${c.name}`)));
  });
}

async function udpWorker(host: string, c: Case, w: number, deadline: number, latencies: number[]): Promise<void> {
  // Each worker rotates over its own 4 sources; a source is retired before it nears its burst.
  const perSource = Math.floor(udpLimits.perSourceBurst * 0.9);
  let sent = 0;
  let sock: dgram.Socket | null = null;
  while (performance.now() < deadline && latencies.length < maxAttempts) {
    if (!sock || sent % perSource === 0) {
      sock?.close();
      const src = `127.33.31.${((w * 4 + Math.floor(sent / perSource)) % 250) + 1}`;
      sock = dgram.createSocket('udp4');
      await new Promise<void>((r) => sock!.bind({ address: src }, () => r()));
      if (Math.floor(sent / perSource) >= 4) break;
    }
    const s = sock;
    const t0 = performance.now();
    const ok = await new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), 1_000);
      s.once('message', () => {
        clearTimeout(timer);
        resolve(true);
      });
      s.send(c.send!, c.port, host);
    });
    sent += 1;
    if (ok) latencies.push(performance.now() - t0);
  }
  sock?.close();
}

const pct = (xs: number[], p: number) =>
  [...xs].sort((a, b) => a - b)[Math.min(xs.length - 1, Math.floor((p / 100) * xs.length))] ?? NaN;
const rows: Record<string, string | number>[] = [];

for (const [i, c] of cases.entries()) {
  const ip = `127.33.30.${i + 1}`;
  const h = await startService(c.module, { ip, distro: 'debian', ...(c.decky ?? {}) });
  const latencies: number[] = [];
  const deadline = performance.now() + seconds * 1000;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: parallel }, async (_, w) => {
      if (c.udp) return udpWorker(ip, c, w, deadline, latencies);
      while (performance.now() < deadline && latencies.length < maxAttempts) latencies.push(await tcpAttempt(ip, c));
    }),
  );
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
    [c.udp ? 'req/s' : 'conn/s']: Math.round(latencies.length / elapsed),
    'p50 ms': Number(pct(latencies, 50).toFixed(2)),
    'p99 ms': Number(pct(latencies, 99).toFixed(2)),
    events: h.captures.length,
  });
  await h.stop();
}
console.table(rows);

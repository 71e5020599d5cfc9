import dgram from 'node:dgram';
import net from 'node:net';
import v8 from 'node:v8';
import vm from 'node:vm';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { conpotService } from '../../../agent/services/ics/conpot';
import { dnsService } from '../../../agent/services/infra/dns';
import { encodeName } from '../../../agent/services/codecs/dns-codec';
import { llmnrService } from '../../../agent/services/infra/llmnr';
import { rdpService } from '../../../agent/services/remote-desktop/rdp';
import { sipService } from '../../../agent/services/infra/sip';
import { smbService } from '../../../agent/services/smb/smb';
import { snmpService } from '../../../agent/services/infra/snmp';
import { tftpService } from '../../../agent/services/ftp/tftp';
import type { ServiceModule } from '../../../agent/services/kit/types';
import { vncService } from '../../../agent/services/remote-desktop/vnc';
import { der } from '../../../agent/services/codecs/ber-codec';
import { eventually } from '../../helpers/eventually';
import { tcpConnect, udpExchange } from './raw-clients';
import { startService, type ServiceHarness } from './service-harness';

/**
 * 10,000 random and mutated inputs per service, over many connections (TCP) or datagrams (UDP)
 * from many loopback sources (so that the per-source caps do not hide the parsers from the fuzz),
 * then a valid exchange must still work and the heap must stay bounded.
 */
const runs = 10_000;
v8.setFlagsFromString('--expose-gc');
// A real collection before each heap reading, so that the bound measures live memory, not garbage.
const gc = vm.runInNewContext('gc') as () => void;
const workers = 48;
const source = (i: number) => `127.33.200.${(i % 250) + 1}`;

const dnsQuery = (name: string, type = 1, qclass = 1) => {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(0x4242, 0);
  h.writeUInt16BE(0x0100, 2);
  h.writeUInt16BE(1, 4);
  const t = Buffer.alloc(4);
  t.writeUInt16BE(type, 0);
  t.writeUInt16BE(qclass, 2);
  return Buffer.concat([h, encodeName(name), t]);
};
const tcpFramed = (b: Buffer, width: 2 | 4) => {
  const h = Buffer.alloc(width);
  if (width === 2) h.writeUInt16BE(b.length);
  else h.writeUInt32BE(b.length);
  return Buffer.concat([h, b]);
};
const smb1Negotiate = (() => {
  const d = Buffer.concat(['NT LM 0.12', 'SMB 2.002', 'SMB 2.???'].map((s) => Buffer.from(`\x02${s}\0`, 'latin1')));
  const hdr = Buffer.alloc(32);
  hdr.write('\xffSMB', 0, 'latin1');
  hdr.writeUInt8(0x72, 4);
  return tcpFramed(Buffer.concat([hdr, Buffer.from([0, d.length & 0xff, d.length >> 8]), d]), 4);
})();
const smb2Negotiate = (() => {
  const hdr = Buffer.alloc(64);
  hdr.write('\xfeSMB', 0, 'latin1');
  hdr.writeUInt16LE(64, 4);
  const body = Buffer.alloc(36 + 10);
  body.writeUInt16LE(36, 0);
  body.writeUInt16LE(5, 2);
  [0x202, 0x210, 0x300, 0x302, 0x311].forEach((d, i) => body.writeUInt16LE(d, 36 + i * 2));
  return tcpFramed(Buffer.concat([hdr, body]), 4);
})();
const rdpCr = Buffer.from(
  '030000' + '2b26e00000000000436f6f6b69653a206d737473686173683d61646d696e0d0a010008000b000000',
  'hex',
);
const modbusRead = Buffer.from('000100000006010300000010', 'hex');
const modbusIdent = Buffer.from('000200000005012b0e0100', 'hex');
const s7Cr = Buffer.from('0300001611e00000001400c1020100c2020102c0010a', 'hex');
const s7Setup = Buffer.from('0300001902f08032010000000000080000f0000001000101e0', 'hex');
const s7Szl = Buffer.from('0300002102f080320700000000000800080001120411440100ff09000400110001', 'hex');
const sipOptions = Buffer.from(
  'OPTIONS sip:100@127.33.20.6 SIP/2.0\r\nVia: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK1;rport\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:100@c>\r\nCall-ID: 1\r\nCSeq: 1 OPTIONS\r\nContent-Length: 0\r\n\r\n',
);
const snmpGet = der.seq(
  der.int(1),
  der.octets('public'),
  Buffer.concat([
    Buffer.from([0xa0]),
    (() => {
      const inner = Buffer.concat([
        der.int(77),
        der.int(0),
        der.int(0),
        der.seq(der.seq(der.oid('1.3.6.1.2.1.1.1.0'), der.null())),
      ]);
      return Buffer.concat([Buffer.from([inner.length]), inner]);
    })(),
  ]),
);
const tftpRrq = Buffer.from('\0\x01pxelinux.0\0octet\0blksize\x001468\0', 'latin1');

function inputs(seeds: readonly Buffer[], seed: number): Buffer[] {
  const mutated = fc
    .tuple(
      fc.constantFrom(...seeds),
      fc.nat(),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 8 }),
      fc.boolean(),
    )
    .map(([s, cut, flips, truncate]) => {
      const b = Buffer.from(s);
      for (const [i, v] of flips) b.writeUInt8(v, i % b.length);
      return truncate ? b.subarray(0, cut % (b.length + 1)) : b;
    });
  const random = fc.uint8Array({ maxLength: 700 }).map((a) => Buffer.from(a));
  return fc.sample(fc.oneof(mutated, mutated, random), { numRuns: runs, seed });
}

function tcpFire(host: string, port: number, data: Buffer, localAddress: string): Promise<void> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port, localAddress });
    const done = () => {
      clearTimeout(timer);
      resolve();
    };
    const timer = setTimeout(() => s.destroy(), 2_000);
    s.on('error', () => undefined);
    s.on('data', () => undefined);
    s.once('close', done);
    s.once('connect', () => s.end(data));
  });
}

async function fuzzTcp(host: string, port: number, data: Buffer[]): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: workers }, async (_, w) => {
      while (next < data.length) await tcpFire(host, port, data[next++]!, source(w));
    }),
  );
}

async function fuzzUdp(host: string, port: number, data: Buffer[]): Promise<void> {
  const socks = await Promise.all(
    Array.from(
      { length: 100 },
      (_, i) =>
        new Promise<dgram.Socket>((r) => {
          const s = dgram.createSocket('udp4');
          s.on('message', () => undefined);
          s.bind({ address: source(i + 100) }, () => r(s));
        }),
    ),
  );
  // 100 sources × 100 datagrams stays within each source's burst allowance.
  for (let i = 0; i < data.length; i++) {
    const s = socks[i % socks.length]!;
    await new Promise<void>((r) => s.send(data[i]!, port, host, () => r()));
    if (i % 500 === 499) await new Promise((r) => setTimeout(r, 10));
  }
  await Promise.all(socks.map((s) => new Promise<void>((r) => s.close(() => r()))));
}

type Case = Readonly<{
  name: string;
  module: ServiceModule;
  ip: string;
  decky?: Record<string, unknown>;
  targets: readonly { port: number; proto: 'tcp' | 'udp'; seeds: Buffer[] }[];
  check: (ip: string) => Promise<void>;
}>;

const tcpCheck = async (ip: string, port: number, send: Buffer | null, min: number, expectFn: (b: Buffer) => void) => {
  const c = await tcpConnect(ip, port);
  if (send) c.send(send);
  expectFn(await c.read((b) => b.length >= min));
  c.end();
};

const cases: Case[] = [
  {
    name: 'smb',
    module: smbService,
    ip: '127.33.20.1',
    decky: { archetype: 'windows-workstation', nmapOs: 'windows' },
    targets: [
      { port: 445, proto: 'tcp', seeds: [smb1Negotiate, smb2Negotiate] },
      {
        port: 139,
        proto: 'tcp',
        seeds: [Buffer.concat([Buffer.from('8100004420', 'hex'), Buffer.alloc(67, 0x41)]), smb2Negotiate],
      },
    ],
    check: (ip) =>
      tcpCheck(ip, 445, smb2Negotiate, 4 + 64 + 64, (b) => expect(b.subarray(4, 8).toString('latin1')).toBe('\xfeSMB')),
  },
  {
    name: 'rdp',
    module: rdpService,
    ip: '127.33.20.2',
    decky: { archetype: 'windows-workstation', nmapOs: 'windows' },
    targets: [{ port: 3389, proto: 'tcp', seeds: [rdpCr] }],
    check: (ip) => tcpCheck(ip, 3389, rdpCr, 19, (b) => expect(b.readUInt32LE(15)).toBe(2)),
  },
  {
    name: 'vnc',
    module: vncService,
    ip: '127.33.20.3',
    targets: [
      {
        port: 5900,
        proto: 'tcp',
        seeds: [
          Buffer.concat([Buffer.from('RFB 003.008\n'), Buffer.from([2]), Buffer.alloc(16, 7)]),
          Buffer.from('RFB 003.003\n'),
        ],
      },
    ],
    check: (ip) => tcpCheck(ip, 5900, null, 12, (b) => expect(b.toString('latin1')).toBe('RFB 003.008\n')),
  },
  {
    name: 'tftp',
    module: tftpService,
    ip: '127.33.20.4',
    targets: [
      {
        port: 69,
        proto: 'udp',
        seeds: [tftpRrq, Buffer.from('\0\x02x.bin\0octet\0', 'latin1'), Buffer.from([0, 3, 0, 1, 1, 2])],
      },
    ],
    // Fuzzed WRQs may hold every transfer slot until their idle timeout; a real client retries.
    check: async (ip) =>
      void (await eventually(async () => (await udpExchange(ip, 69, tftpRrq, 500))?.readUInt16BE(2) === 1, {
        timeoutMs: 15_000,
      })),
  },
  {
    name: 'snmp',
    module: snmpService,
    ip: '127.33.20.5',
    targets: [{ port: 161, proto: 'udp', seeds: [snmpGet] }],
    check: (ip) =>
      udpEventually(async () =>
        expect((await udpExchange(ip, 161, snmpGet, 500))?.toString('latin1')).toContain('Linux'),
      ),
  },
  {
    name: 'sip',
    module: sipService,
    ip: '127.33.20.6',
    targets: [
      { port: 5060, proto: 'udp', seeds: [sipOptions] },
      { port: 5060, proto: 'tcp', seeds: [sipOptions] },
    ],
    check: (ip) =>
      udpEventually(async () =>
        expect((await udpExchange(ip, 5060, sipOptions, 500))?.toString()).toMatch(/^SIP\/2\.0 200 OK/),
      ),
  },
  {
    name: 'llmnr',
    module: llmnrService,
    ip: '127.33.20.7',
    decky: { name: 'host7' },
    targets: [
      { port: 5355, proto: 'udp', seeds: [dnsQuery('host7')] },
      { port: 5353, proto: 'udp', seeds: [dnsQuery('host7.local')] },
    ],
    check: (ip) =>
      udpEventually(async () => expect((await udpExchange(ip, 5355, dnsQuery('host7'), 500))?.readUInt16BE(6)).toBe(1)),
  },
  {
    name: 'dns',
    module: dnsService,
    ip: '127.33.20.8',
    targets: [
      { port: 53, proto: 'udp', seeds: [dnsQuery('version.bind', 16, 3), dnsQuery('example.com')] },
      { port: 53, proto: 'tcp', seeds: [tcpFramed(dnsQuery('version.bind', 16, 3), 2)] },
    ],
    check: (ip) =>
      udpEventually(async () =>
        expect((await udpExchange(ip, 53, dnsQuery('version.bind', 16, 3), 500))?.toString('latin1')).toContain(
          'Debian',
        ),
      ),
  },
  {
    name: 'conpot',
    module: conpotService,
    ip: '127.33.20.9',
    targets: [
      { port: 502, proto: 'tcp', seeds: [modbusRead, modbusIdent] },
      { port: 102, proto: 'tcp', seeds: [Buffer.concat([s7Cr, s7Setup, s7Szl]), s7Cr] },
    ],
    check: (ip) => tcpCheck(ip, 502, modbusIdent, 20, (b) => expect(b.toString('latin1')).toContain('Schneider')),
  },
];

// Right after a flood the UDP listeners' rate limits (per source and global) legitimately drop
// datagrams until their buckets refill, so a valid client retries the way a real one would.
async function udpEventually(check: () => Promise<void>): Promise<void> {
  await eventually(async () => (await check(), true), { timeoutMs: 15_000 });
}

describe('infra services fuzz', () => {
  const running = new Map<string, ServiceHarness>();
  let heapBefore = 0;
  beforeAll(async () => {
    for (const c of cases) running.set(c.name, await startService(c.module, { ip: c.ip, ...(c.decky ?? {}) }));
    gc();
    heapBefore = process.memoryUsage().heapUsed;
  });
  afterAll(async () => {
    for (const h of running.values()) await h.stop();
  });

  for (const [i, c] of cases.entries()) {
    it(`${c.name}: survives ${runs} random and mutated inputs per port and still answers a valid client`, async () => {
      for (const [j, t] of c.targets.entries()) {
        const data = inputs(t.seeds, 1000 + i * 10 + j);
        if (t.proto === 'tcp') await fuzzTcp(c.ip, t.port, data);
        else await fuzzUdp(c.ip, t.port, data);
      }
      await c.check(c.ip);
      const h = running.get(c.name)!;
      expect(h.ofKind('malformed').length).toBeGreaterThan(0);
      // Captured events are kept by the harness; they are not the service's memory.
      h.captures.length = 0;
      gc();
      expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(64 * 1024 * 1024);
    }, 240_000);
  }
});

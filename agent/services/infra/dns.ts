import type net from 'node:net';
import type { DistroName } from '../../../shared/catalog/distros';
import { deckyInt } from '../kit/decky-seed';
import {
  encodeResponse,
  parseQuery,
  rcode,
  rdata,
  rrClass,
  rrType,
  typeName,
  type DnsQuery,
  type ResourceRecord,
} from '../codecs/dns-codec';
import { createFrameReader } from '../kit/frame-reader';
import { deckyHostname, personaString } from '../kit/persona';
import { listenTcp, type ConnectionMeta } from '../kit/tcp-listener';
import { listenUdp, type DatagramMeta } from '../kit/udp-listener';
import type { RunningService, ServiceContext, ServiceModule } from '../kit/types';

/**
 * An authoritative-only name server in the style of BIND: it answers for the decky's own zone,
 * refuses recursion for everything else, and tells its version over CHAOS like an unhardened
 * BIND. Every query is recorded (DNS reconnaissance and tunnelling attempts show up here).
 */
export const dnsLimits = { maxTcpFrameBytes: 4_096, tcpIdleMs: 10_000, maxTcpQueries: 32 } as const;

/** `named -v` per distro, as version.bind reports it. */
export const bindVersions: Record<DistroName, string> = {
  debian: '9.18.28-1~deb12u2-Debian',
  ubuntu22: '9.18.28-0ubuntu0.22.04.1-Ubuntu',
  ubuntu20: '9.18.28-0ubuntu0.20.04.1-Ubuntu',
  rocky9: '9.16.23-RH',
  centos7: '9.11.4-P2-RedHat-9.11.4-26.P2.el7_9.16',
  alpine: '9.18.27',
  fedora: '9.18.28',
  kali: '9.20.2-1-Debian',
  arch: '9.20.3',
  windows: 'Microsoft DNS 10.0.20348 (4A8F2EB5)',
};

export type Zone = Readonly<{ origin: string; host: string; ip: string; serial: number }>;

/** `ns1.corp.local` → zone `corp.local`; a bare host name lives in `localdomain`. */
export function zoneFor(hostname: string, ip: string, serial: number): Zone {
  const h = hostname.toLowerCase();
  const dot = h.indexOf('.');
  const origin = dot > 0 ? h.slice(dot + 1) : 'localdomain';
  return { origin, host: dot > 0 ? h : `${h}.${origin}`, ip, serial };
}

const inZone = (name: string, origin: string) => name === origin || name.endsWith(`.${origin}`);

export function answerQuery(q: DnsQuery, zone: Zone, version: string): Buffer {
  // Echo RD, never set RA: this server does not recurse.
  const rd = q.rd ? 0x0100 : 0;
  const refuse = (code: number) =>
    encodeResponse({ id: q.id, flags: (q.opcode << 11) | rd, rcode: code, questions: q.questions });
  if (q.opcode !== 0) return refuse(rcode.notImp);
  const question = q.questions[0];
  if (!question || q.questions.length !== 1) return refuse(rcode.formErr);
  const name = question.name.toLowerCase().replace(/\.$/, '');
  if (question.qclass === rrClass.CH) {
    const txt: Record<string, string> = {
      'version.bind': version,
      'version.server': version,
      'hostname.bind': zone.host.split('.')[0] ?? zone.host,
    };
    const value = txt[name];
    if (value === undefined || (question.type !== rrType.TXT && question.type !== rrType.ANY))
      return refuse(rcode.refused);
    const ans: ResourceRecord = {
      name: question.name,
      type: rrType.TXT,
      rrclass: rrClass.CH,
      ttl: 0,
      data: rdata.txt(value),
    };
    return encodeResponse({ id: q.id, flags: 0x0400 | rd, rcode: 0, questions: q.questions, answers: [ans] });
  }
  if (question.qclass !== rrClass.IN || !inZone(name, zone.origin)) return refuse(rcode.refused);
  const ns = `ns1.${zone.origin}`;
  const soa: ResourceRecord = {
    name: zone.origin,
    type: rrType.SOA,
    rrclass: rrClass.IN,
    ttl: 3600,
    data: rdata.soa(ns, `hostmaster.${zone.origin}`, zone.serial),
  };
  const a = (n: string): ResourceRecord => ({
    name: n,
    type: rrType.A,
    rrclass: rrClass.IN,
    ttl: 3600,
    data: rdata.a(zone.ip),
  });
  const records: ResourceRecord[] = [];
  const known = name === zone.origin || name === zone.host || name === ns;
  const t = question.type;
  if (name === zone.origin) {
    if (t === rrType.SOA || t === rrType.ANY) records.push(soa);
    if (t === rrType.NS || t === rrType.ANY)
      records.push({ name: zone.origin, type: rrType.NS, rrclass: rrClass.IN, ttl: 3600, data: rdata.name(ns) });
  }
  if (known && (t === rrType.A || t === rrType.ANY)) records.push(a(name));
  const flags = 0x0400 | rd;
  if (!known)
    return encodeResponse({ id: q.id, flags, rcode: rcode.nxDomain, questions: q.questions, authority: [soa] });
  return encodeResponse({
    id: q.id,
    flags,
    rcode: 0,
    questions: q.questions,
    answers: records,
    authority: records.length ? [] : [soa],
  });
}

async function start(ctx: ServiceContext): Promise<RunningService> {
  const version = personaString(ctx.persona, 'version', bindVersions[ctx.decky.distro]);
  const serial = 2024_01_01_00 + deckyInt(ctx.decky, 'dns-serial', 0, 3_000_000);
  const zone = zoneFor(deckyHostname(ctx.decky), ctx.decky.ip, serial);

  const handle = (msg: Buffer, src: string, session: string, proto: 'udp' | 'tcp'): Buffer | null => {
    let q: DnsQuery;
    try {
      q = parseQuery(msg);
    } catch (err) {
      ctx.capture({
        src,
        kind: 'malformed',
        data: { session, proto, reason: err instanceof Error ? err.message : String(err) },
      });
      return null;
    }
    if (q.qr) return null;
    ctx.capture({
      src,
      kind: 'request',
      data: {
        session,
        proto,
        id: q.id,
        rd: q.rd,
        opcode: q.opcode,
        queries: q.questions.map((x) => ({
          name: x.name.slice(0, 255),
          type: typeName(x.type),
          class: x.qclass === rrClass.CH ? 'CH' : x.qclass === rrClass.IN ? 'IN' : String(x.qclass),
        })),
      },
    });
    return answerQuery(q, zone, version);
  };

  const onDatagram = (msg: Buffer, meta: DatagramMeta, reply: (b: Uint8Array) => void) => {
    const out = handle(msg, meta.src, meta.session, 'udp');
    // A spoofed-source amplifier must not emerge: UDP answers never exceed 512 bytes here.
    if (out && out.length <= 512) reply(out);
  };

  const onConnection = (socket: net.Socket, meta: ConnectionMeta) => {
    let count = 0;
    socket.setTimeout(dnsLimits.tcpIdleMs, () => socket.destroy());
    const reader = createFrameReader({
      headerBytes: 2,
      maxFrameBytes: dnsLimits.maxTcpFrameBytes,
      frameLength: (h) => 2 + h.readUInt16BE(0),
    });
    socket.on('data', (chunk: Buffer) => {
      const { frames, error } = reader.push(chunk);
      for (const f of frames) {
        if (++count > dnsLimits.maxTcpQueries || socket.destroyed) return socket.destroy();
        const out = handle(f.subarray(2), meta.src, meta.session, 'tcp');
        if (!out) return socket.destroy();
        const len = Buffer.alloc(2);
        len.writeUInt16BE(out.length);
        socket.write(Buffer.concat([len, out]));
      }
      if (error) {
        ctx.capture({ src: meta.src, kind: 'malformed', data: { session: meta.session, proto: 'tcp', reason: error } });
        socket.destroy();
      }
    });
  };

  const udp = await listenUdp({ host: ctx.host, port: ctx.port(53), capture: ctx.capture, log: ctx.log, onDatagram });
  try {
    const tcp = await listenTcp({
      host: ctx.host,
      port: ctx.port(53),
      capture: ctx.capture,
      log: ctx.log,
      onConnection,
    });
    return { bound: [udp.bound, tcp.bound], close: async () => void (await Promise.all([udp.close(), tcp.close()])) };
  } catch (err) {
    await udp.close();
    throw err;
  }
}

export const dnsService: ServiceModule = { name: 'dns', start };

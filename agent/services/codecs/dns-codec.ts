/**
 * DNS message encoding (RFC 1035) shared by the DNS, LLMNR (RFC 4795) and mDNS (RFC 6762)
 * honeypots. Parsing is bounded: at most 4 questions, 255-byte names, 16 compression hops.
 */
export const rrType = {
  A: 1,
  NS: 2,
  CNAME: 5,
  SOA: 6,
  PTR: 12,
  MX: 15,
  TXT: 16,
  AAAA: 28,
  SRV: 33,
  OPT: 41,
  ANY: 255,
} as const;
export const rrClass = { IN: 1, CH: 3 } as const;
export const rcode = { noError: 0, formErr: 1, servFail: 2, nxDomain: 3, notImp: 4, refused: 5 } as const;

const typeNames = new Map<number, string>(Object.entries(rrType).map(([k, v]) => [v, k]));
export function typeName(t: number): string {
  return typeNames.get(t) ?? `TYPE${t}`;
}

export class DnsError extends Error {}

export type Question = Readonly<{ name: string; type: number; qclass: number }>;
export type DnsQuery = Readonly<{
  id: number;
  flags: number;
  opcode: number;
  rd: boolean;
  qr: boolean;
  questions: Question[];
  counts: readonly number[];
}>;

export const dnsLimits = { maxQuestions: 4, maxNameBytes: 255, maxPointerHops: 16 } as const;

export function readName(msg: Buffer, offset: number): { name: string; end: number } {
  const labels: string[] = [];
  let pos = offset;
  let end = -1;
  let hops = 0;
  let total = 0;
  for (;;) {
    if (pos >= msg.length) throw new DnsError('name runs past the message');
    const len = msg.readUInt8(pos);
    if (len === 0) {
      if (end < 0) end = pos + 1;
      break;
    }
    if ((len & 0xc0) === 0xc0) {
      if (pos + 1 >= msg.length) throw new DnsError('truncated pointer');
      if (++hops > dnsLimits.maxPointerHops) throw new DnsError('compression loop');
      if (end < 0) end = pos + 2;
      pos = ((len & 0x3f) << 8) | msg.readUInt8(pos + 1);
      continue;
    }
    if (len & 0xc0) throw new DnsError('unsupported label type');
    total += len + 1;
    if (total > dnsLimits.maxNameBytes || pos + 1 + len > msg.length) throw new DnsError('name too long');
    labels.push(msg.subarray(pos + 1, pos + 1 + len).toString('latin1'));
    pos += 1 + len;
  }
  return { name: labels.join('.'), end };
}

export function parseQuery(msg: Buffer): DnsQuery {
  if (msg.length < 12) throw new DnsError('truncated header');
  const flags = msg.readUInt16BE(2);
  const qd = msg.readUInt16BE(4);
  if (qd > dnsLimits.maxQuestions) throw new DnsError(`${qd} questions`);
  const questions: Question[] = [];
  let pos = 12;
  for (let i = 0; i < qd; i++) {
    const { name, end } = readName(msg, pos);
    if (end + 4 > msg.length) throw new DnsError('truncated question');
    questions.push({ name, type: msg.readUInt16BE(end), qclass: msg.readUInt16BE(end + 2) });
    pos = end + 4;
  }
  return {
    id: msg.readUInt16BE(0),
    flags,
    qr: (flags & 0x8000) !== 0,
    opcode: (flags >> 11) & 0xf,
    rd: (flags & 0x0100) !== 0,
    questions,
    counts: [qd, msg.readUInt16BE(6), msg.readUInt16BE(8), msg.readUInt16BE(10)],
  };
}

export function encodeName(name: string): Buffer {
  const parts = name.split('.').filter((l) => l.length > 0);
  return Buffer.concat([
    ...parts.map((l) => Buffer.concat([Buffer.from([Math.min(l.length, 63)]), Buffer.from(l.slice(0, 63), 'latin1')])),
    Buffer.from([0]),
  ]);
}

export type ResourceRecord = Readonly<{ name: string; type: number; rrclass: number; ttl: number; data: Buffer }>;

/** `pointTo`: a name (the first question's) that is written as a pointer to offset 12, as BIND does. */
export function encodeRr(rr: ResourceRecord, pointTo?: string): Buffer {
  const name =
    pointTo !== undefined && rr.name.toLowerCase() === pointTo.toLowerCase()
      ? Buffer.from([0xc0, 0x0c])
      : encodeName(rr.name);
  const h = Buffer.alloc(10);
  h.writeUInt16BE(rr.type, 0);
  h.writeUInt16BE(rr.rrclass, 2);
  h.writeUInt32BE(rr.ttl >>> 0, 4);
  h.writeUInt16BE(rr.data.length, 8);
  return Buffer.concat([name, h, rr.data]);
}

export const rdata = {
  a: (ip: string) => Buffer.from(ip.split('.').map(Number)),
  txt: (s: string) => {
    const b = Buffer.from(s.slice(0, 255), 'utf8').subarray(0, 255);
    return Buffer.concat([Buffer.from([b.length]), b]);
  },
  name: (n: string) => encodeName(n),
  soa: (mname: string, rname: string, serial: number) => {
    const t = Buffer.alloc(20);
    [serial, 10800, 3600, 604800, 3600].forEach((v, i) => t.writeUInt32BE(v >>> 0, i * 4));
    return Buffer.concat([encodeName(mname), encodeName(rname), t]);
  },
};

export type ResponseInput = Readonly<{
  id: number;
  /** Flag bits beyond QR and rcode (AA 0x0400, RD copied, RA 0x0080…). */
  flags: number;
  rcode: number;
  questions: readonly Question[];
  answers?: readonly ResourceRecord[];
  authority?: readonly ResourceRecord[];
}>;

export function encodeResponse(r: ResponseInput): Buffer {
  const h = Buffer.alloc(12);
  h.writeUInt16BE(r.id, 0);
  h.writeUInt16BE(0x8000 | (r.flags & 0x7ff0) | (r.rcode & 0xf), 2);
  h.writeUInt16BE(r.questions.length, 4);
  h.writeUInt16BE(r.answers?.length ?? 0, 6);
  h.writeUInt16BE(r.authority?.length ?? 0, 8);
  const qs = r.questions.map((q) => {
    const t = Buffer.alloc(4);
    t.writeUInt16BE(q.type, 0);
    t.writeUInt16BE(q.qclass, 2);
    return Buffer.concat([encodeName(q.name), t]);
  });
  const first = r.questions[0]?.name;
  return Buffer.concat([
    h,
    ...qs,
    ...(r.answers ?? []).map((rr) => encodeRr(rr, first)),
    ...(r.authority ?? []).map((rr) => encodeRr(rr, first)),
  ]);
}

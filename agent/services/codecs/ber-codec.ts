import { ProtocolError } from '../kit/binary-session';

/**
 * The one bounded BER/DER codec for the ASN.1 the honeypots meet: SNMP PDUs, SPNEGO tokens and
 * CredSSP TSRequests read one TLV at a time (`readTlv`, `children`); LDAP messages are framed with
 * `berElementSize` and decoded whole into a tree (`decodeBerTree`). Single-byte tags only; lengths
 * up to 4 bytes; nesting, element counts and sizes are capped so that a crafted packet cannot cost
 * more than its own length to parse. Errors are ProtocolErrors: a session records them as malformed.
 */
export type BerNode = Readonly<{
  /** Whole identifier octet (class | constructed | number), e.g. 0x30 for SEQUENCE. */
  tag: number;
  value: Buffer;
}>;

export class BerError extends ProtocolError {}

export const berLimits = { maxDepth: 16, maxChildren: 256 } as const;

/** Reads one TLV at `offset`; throws BerError on truncation or unsupported encodings. */
export function readTlv(buf: Buffer, offset = 0): { node: BerNode; end: number } {
  if (offset + 2 > buf.length) throw new BerError('truncated TLV header');
  const tag = buf.readUInt8(offset);
  if ((tag & 0x1f) === 0x1f) throw new BerError('multi-byte tags are not supported');
  let len = buf.readUInt8(offset + 1);
  let pos = offset + 2;
  if (len & 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4) throw new BerError('unsupported length encoding');
    if (pos + n > buf.length) throw new BerError('truncated length');
    len = 0;
    for (let i = 0; i < n; i++) len = len * 256 + buf.readUInt8(pos + i);
    pos += n;
  }
  if (pos + len > buf.length) throw new BerError('value runs past the end of the buffer');
  return { node: { tag, value: buf.subarray(pos, pos + len) }, end: pos + len };
}

/** The TLVs inside a constructed value. */
export function children(node: BerNode): BerNode[] {
  const out: BerNode[] = [];
  let pos = 0;
  while (pos < node.value.length) {
    if (out.length >= berLimits.maxChildren) throw new BerError('too many elements');
    const { node: child, end } = readTlv(node.value, pos);
    out.push(child);
    pos = end;
  }
  return out;
}

export function expectTag(node: BerNode | undefined, tag: number, what: string): BerNode {
  if (!node || node.tag !== tag) throw new BerError(`${what}: expected tag 0x${tag.toString(16)}`);
  return node;
}

/** Non-negative INTEGER as a JS number (values above 2^48 are refused). */
export function readInt(node: BerNode): number {
  if (node.value.length === 0 || node.value.length > 6) throw new BerError('integer size');
  let v = node.value.readUInt8(0) & 0x80 ? -1 : 0;
  for (const b of node.value) v = v * 256 + b;
  return v;
}

export function readOid(node: BerNode): string {
  if (node.value.length === 0 || node.value.length > 128) throw new BerError('oid size');
  const first = node.value.readUInt8(0);
  const parts: number[] = [Math.min(2, Math.floor(first / 40)), first - Math.min(2, Math.floor(first / 40)) * 40];
  let acc = 0;
  for (let i = 1; i < node.value.length; i++) {
    const b = node.value.readUInt8(i);
    acc = acc * 128 + (b & 0x7f);
    if (acc > 0xffffffff) throw new BerError('oid arc too large');
    if (!(b & 0x80)) {
      parts.push(acc);
      acc = 0;
    }
  }
  return parts.join('.');
}

function encodeLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

export function tlv(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  return Buffer.concat([Buffer.from([tag]), encodeLength(body.length), body]);
}

/**
 * Active Directory always writes 4-byte long-form lengths (0x84 …); nmap keys its AD match on
 * that, so AD personas re-encode with this.
 */
export function tlvLong(tag: number, ...content: Uint8Array[]): Buffer {
  const body = Buffer.concat(content);
  const len = Buffer.alloc(5);
  len[0] = 0x84;
  len.writeUInt32BE(body.length, 1);
  return Buffer.concat([Buffer.from([tag]), len, body]);
}

/** Two's-complement INTEGER contents in the fewest of 1, 2 or 4 octets. */
export function berIntBytes(n: number): Buffer {
  if (n >= 0 && n < 0x80) return Buffer.from([n]);
  if (n >= -0x8000 && n < 0x8000) {
    const b = Buffer.alloc(2);
    b.writeInt16BE(n);
    return b;
  }
  const b = Buffer.alloc(4);
  b.writeInt32BE(n);
  return b;
}

export const berTags = {
  boolean: 0x01,
  integer: 0x02,
  octetString: 0x04,
  enumerated: 0x0a,
  sequence: 0x30,
  set: 0x31,
} as const;

export const der = {
  seq: (...items: Uint8Array[]) => tlv(0x30, ...items),
  int: (n: number, tag = 0x02): Buffer => {
    const bytes: number[] = [];
    let v = n;
    do {
      bytes.unshift(v & 0xff);
      v = Math.floor(v / 256);
    } while (v > 0);
    if ((bytes[0] ?? 0) & 0x80) bytes.unshift(0);
    return tlv(tag, Buffer.from(bytes));
  },
  octets: (b: Uint8Array | string, tag = 0x04) => tlv(tag, typeof b === 'string' ? Buffer.from(b, 'utf8') : b),
  null: () => Buffer.from([0x05, 0x00]),
  oid: (dotted: string): Buffer => {
    const arcs = dotted.split('.').map(Number);
    const out: number[] = [(arcs[0] ?? 0) * 40 + (arcs[1] ?? 0)];
    for (const arc of arcs.slice(2)) {
      const chunk: number[] = [arc & 0x7f];
      for (let v = Math.floor(arc / 128); v > 0; v = Math.floor(v / 128)) chunk.unshift((v & 0x7f) | 0x80);
      out.push(...chunk);
    }
    return tlv(0x06, Buffer.from(out));
  },
  /** Context-specific constructed [n]. */
  ctx: (n: number, ...items: Uint8Array[]) => tlv(0xa0 | n, ...items),
};

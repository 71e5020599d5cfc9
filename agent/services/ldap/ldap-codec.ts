import { ProtocolError } from '../kit/binary-session';

/**
 * The BER subset LDAPv3 uses (RFC 4511 §5.1: definite lengths only), bounded: element count,
 * nesting depth and lengths are capped, so a hostile PDU costs at most its own bytes.
 */
export const berLimits = { maxMessage: 64 * 1024, maxDepth: 12, maxElements: 2048 } as const;

export type BerNode = Readonly<{
  /** Full identifier octet (class + constructed bit + tag number < 31). */
  tag: number;
  constructed: boolean;
  /** Primitive contents (empty for constructed nodes). */
  value: Buffer;
  children: BerNode[];
}>;

/** Total size of the element at the front of `buf`, or null while its header/body is incomplete. */
export function berElementSize(buf: Buffer): number | null {
  if (buf.length < 2) return null;
  if ((buf[0]! & 0x1f) === 0x1f) throw new ProtocolError('multi-byte BER tags are not used by LDAP');
  const first = buf[1]!;
  if (first < 0x80) return buf.length >= 2 + first ? 2 + first : null;
  const n = first & 0x7f;
  if (n === 0) throw new ProtocolError('indefinite BER length');
  if (n > 4) throw new ProtocolError('BER length of more than 4 octets');
  if (buf.length < 2 + n) return null;
  const len = buf.readUIntBE(2, n);
  if (len > berLimits.maxMessage) throw new ProtocolError(`LDAP message of ${len} bytes`);
  return buf.length >= 2 + n + len ? 2 + n + len : null;
}

export function decodeBer(buf: Buffer): BerNode {
  const count = { n: 0 };
  const { node, end } = decodeAt(buf, 0, buf.length, 0, count);
  if (end !== buf.length) throw new ProtocolError('trailing bytes after BER element');
  return node;
}

function decodeAt(
  buf: Buffer,
  at: number,
  limit: number,
  depth: number,
  count: { n: number },
): { node: BerNode; end: number } {
  if (depth > berLimits.maxDepth) throw new ProtocolError('BER nested too deep');
  if (++count.n > berLimits.maxElements) throw new ProtocolError('too many BER elements');
  if (at + 2 > limit) throw new ProtocolError('truncated BER element');
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw new ProtocolError('multi-byte BER tag');
  let o = at + 1;
  let len = buf[o++]!;
  if (len >= 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || o + n > limit) throw new ProtocolError('bad BER length');
    len = buf.readUIntBE(o, n);
    o += n;
  }
  const end = o + len;
  if (end > limit) throw new ProtocolError('BER element overruns its parent');
  const constructed = (tag & 0x20) !== 0;
  const children: BerNode[] = [];
  if (constructed) {
    let p = o;
    while (p < end) {
      const child = decodeAt(buf, p, end, depth + 1, count);
      children.push(child.node);
      p = child.end;
    }
  }
  return { node: { tag, constructed, value: constructed ? Buffer.alloc(0) : buf.subarray(o, end), children }, end };
}

export function berInt(node: BerNode | undefined): number {
  if (!node || node.constructed || node.value.length === 0 || node.value.length > 4)
    throw new ProtocolError('bad BER integer');
  return node.value.readIntBE(0, node.value.length);
}

export function berString(node: BerNode | undefined, max = 1024): string {
  if (!node || node.constructed) throw new ProtocolError('expected a BER octet string');
  return node.value.toString('utf8', 0, Math.min(node.value.length, max));
}

function lengthOctets(len: number): Buffer {
  if (len < 0x80) return Buffer.from([len]);
  const bytes: number[] = [];
  for (let l = len; l > 0; l >>>= 8) bytes.unshift(l & 0xff);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

/** An element with the given identifier octet; `body` is contents or a list of encoded children. */
export function tlv(tag: number, body: Buffer | Buffer[]): Buffer {
  const content = Array.isArray(body) ? Buffer.concat(body) : body;
  return Buffer.concat([Buffer.from([tag]), lengthOctets(content.length), content]);
}

/**
 * Active Directory always writes 4-byte long-form lengths (0x84 …); nmap keys its AD match on
 * that, so AD personas re-encode with this.
 */
export function tlvLong(tag: number, body: Buffer | Buffer[]): Buffer {
  const content = Array.isArray(body) ? Buffer.concat(body) : body;
  const len = Buffer.alloc(5);
  len[0] = 0x84;
  len.writeUInt32BE(content.length, 1);
  return Buffer.concat([Buffer.from([tag]), len, content]);
}

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
  integer: 0x02,
  octetString: 0x04,
  enumerated: 0x0a,
  sequence: 0x30,
  set: 0x31,
  boolean: 0x01,
} as const;

import { BerError } from './ber-codec';

/**
 * Whole-message BER decoding for protocols that frame one element per message (LDAP, RFC 4511
 * §5.1: definite lengths only). The tree is bounded by depth and element count, so a hostile PDU
 * costs at most its own bytes.
 */
export type BerTree = Readonly<{
  /** Full identifier octet (class + constructed bit + tag number < 31). */
  tag: number;
  constructed: boolean;
  /** Primitive contents (empty for constructed nodes). */
  value: Buffer;
  children: BerTree[];
}>;

export type BerTreeLimits = Readonly<{ maxDepth: number; maxElements: number }>;

/**
 * Total size of the element at the front of `buf`, or null while its header/body is incomplete.
 * An element longer than `maxBytes` is refused before it is buffered (`what` names it).
 */
export function berElementSize(buf: Buffer, maxBytes: number, what: string): number | null {
  if (buf.length < 2) return null;
  if ((buf[0]! & 0x1f) === 0x1f) throw new BerError(`multi-byte BER tags are not used by ${what}`);
  const first = buf[1]!;
  if (first < 0x80) return buf.length >= 2 + first ? 2 + first : null;
  const n = first & 0x7f;
  if (n === 0) throw new BerError('indefinite BER length');
  if (n > 4) throw new BerError('BER length of more than 4 octets');
  if (buf.length < 2 + n) return null;
  const len = buf.readUIntBE(2, n);
  if (len > maxBytes) throw new BerError(`${what} of ${len} bytes`);
  return buf.length >= 2 + n + len ? 2 + n + len : null;
}

/** Decodes exactly one element filling `buf`. */
export function decodeBerTree(buf: Buffer, limits: BerTreeLimits): BerTree {
  const count = { n: 0 };
  const { node, end } = decodeAt(buf, 0, buf.length, 0, count, limits);
  if (end !== buf.length) throw new BerError('trailing bytes after BER element');
  return node;
}

function decodeAt(
  buf: Buffer,
  at: number,
  limit: number,
  depth: number,
  count: { n: number },
  limits: BerTreeLimits,
): { node: BerTree; end: number } {
  if (depth > limits.maxDepth) throw new BerError('BER nested too deep');
  if (++count.n > limits.maxElements) throw new BerError('too many BER elements');
  if (at + 2 > limit) throw new BerError('truncated BER element');
  const tag = buf[at]!;
  if ((tag & 0x1f) === 0x1f) throw new BerError('multi-byte BER tag');
  let o = at + 1;
  let len = buf[o++]!;
  if (len >= 0x80) {
    const n = len & 0x7f;
    if (n === 0 || n > 4 || o + n > limit) throw new BerError('bad BER length');
    len = buf.readUIntBE(o, n);
    o += n;
  }
  const end = o + len;
  if (end > limit) throw new BerError('BER element overruns its parent');
  const constructed = (tag & 0x20) !== 0;
  const children: BerTree[] = [];
  if (constructed) {
    let p = o;
    while (p < end) {
      const child = decodeAt(buf, p, end, depth + 1, count, limits);
      children.push(child.node);
      p = child.end;
    }
  }
  return { node: { tag, constructed, value: constructed ? Buffer.alloc(0) : buf.subarray(o, end), children }, end };
}

/** A signed INTEGER of up to 4 octets. */
export function berInt(node: BerTree | undefined): number {
  if (!node || node.constructed || node.value.length === 0 || node.value.length > 4)
    throw new BerError('bad BER integer');
  return node.value.readIntBE(0, node.value.length);
}

/** An OCTET STRING as UTF-8, cut at `max` bytes. */
export function berString(node: BerTree | undefined, max = 1024): string {
  if (!node || node.constructed) throw new BerError('expected a BER octet string');
  return node.value.toString('utf8', 0, Math.min(node.value.length, max));
}

import { ProtocolError } from '../kit/binary-session';

/**
 * A bounded BSON reader/writer for the handful of documents a MongoDB handshake exchanges.
 * Documents decode to Maps (first key = command name, no prototype pollution); depth, element
 * count and size are capped so a hostile document costs at most its own bytes.
 */
export const bsonLimits = { maxDepth: 16, maxElements: 4096 } as const;

export class ObjectId {
  constructor(readonly bytes: Buffer) {}
}
export class Int64 {
  constructor(readonly value: bigint) {}
}
export class Binary {
  constructor(
    readonly data: Buffer,
    readonly subtype = 0,
  ) {}
}

export type BsonValue =
  number | string | boolean | null | undefined | Date | Buffer | ObjectId | Int64 | Binary | BsonDoc | BsonValue[];
export type BsonDoc = Map<string, BsonValue>;

export function decodeBson(buf: Buffer): BsonDoc {
  const count = { n: 0 };
  const doc = readDoc(buf, 0, 0, count);
  if (doc.end !== buf.length) throw new ProtocolError('trailing bytes after BSON document');
  return doc.doc;
}

/** Reads the document starting at `at` and returns it with the offset just past it. */
export function readBsonAt(buf: Buffer, at: number): { doc: BsonDoc; end: number } {
  return readDoc(buf, at, 0, { n: 0 });
}

function readDoc(buf: Buffer, at: number, depth: number, count: { n: number }): { doc: BsonDoc; end: number } {
  if (depth > bsonLimits.maxDepth) throw new ProtocolError('BSON nested too deep');
  if (at + 5 > buf.length) throw new ProtocolError('truncated BSON document');
  const size = buf.readInt32LE(at);
  const end = at + size;
  if (size < 5 || end > buf.length || buf[end - 1] !== 0) throw new ProtocolError('bad BSON document size');
  const doc: BsonDoc = new Map();
  let o = at + 4;
  while (o < end - 1) {
    if (++count.n > bsonLimits.maxElements) throw new ProtocolError('too many BSON elements');
    const type = buf[o++]!;
    const kEnd = buf.indexOf(0, o);
    if (kEnd < 0 || kEnd >= end) throw new ProtocolError('unterminated BSON key');
    const key = buf.toString('utf8', o, kEnd);
    o = kEnd + 1;
    const need = (n: number) => {
      if (n < 0 || o + n > end - 1) throw new ProtocolError(`truncated BSON value for "${key.slice(0, 32)}"`);
    };
    let value: BsonValue;
    switch (type) {
      case 0x01:
        need(8);
        value = buf.readDoubleLE(o);
        o += 8;
        break;
      case 0x02:
      case 0x0d:
      case 0x0e: {
        need(4);
        const len = buf.readInt32LE(o);
        need(4 + len);
        if (len < 1 || buf[o + 3 + len] !== 0) throw new ProtocolError('bad BSON string');
        value = buf.toString('utf8', o + 4, o + 3 + len);
        o += 4 + len;
        break;
      }
      case 0x03:
      case 0x04: {
        const sub = readDoc(buf, o, depth + 1, count);
        if (sub.end > end - 1) throw new ProtocolError('BSON subdocument overruns parent');
        value = type === 0x03 ? sub.doc : [...sub.doc.values()];
        o = sub.end;
        break;
      }
      case 0x05: {
        need(5);
        const len = buf.readInt32LE(o);
        need(5 + len);
        value = new Binary(Buffer.from(buf.subarray(o + 5, o + 5 + len)), buf[o + 4]);
        o += 5 + len;
        break;
      }
      case 0x06:
      case 0x0a:
      case 0x7f:
      case 0xff:
        value = type === 0x0a ? null : undefined;
        break;
      case 0x07:
        need(12);
        value = new ObjectId(Buffer.from(buf.subarray(o, o + 12)));
        o += 12;
        break;
      case 0x08:
        need(1);
        value = buf[o++] !== 0;
        break;
      case 0x09:
        need(8);
        value = new Date(Number(buf.readBigInt64LE(o)));
        o += 8;
        break;
      case 0x0b: {
        for (let i = 0; i < 2; i++) {
          const z = buf.indexOf(0, o);
          if (z < 0 || z >= end) throw new ProtocolError('bad BSON regex');
          o = z + 1;
        }
        value = null;
        break;
      }
      case 0x10:
        need(4);
        value = buf.readInt32LE(o);
        o += 4;
        break;
      case 0x11:
      case 0x12:
        need(8);
        value = new Int64(buf.readBigInt64LE(o));
        o += 8;
        break;
      case 0x13:
        need(16);
        value = null;
        o += 16;
        break;
      case 0x0f: {
        need(4);
        const len = buf.readInt32LE(o);
        need(len);
        if (len < 14) throw new ProtocolError('bad BSON code-with-scope');
        value = null;
        o += len;
        break;
      }
      default:
        throw new ProtocolError(`unknown BSON type 0x${type.toString(16)}`);
    }
    doc.set(key, value);
  }
  return { doc, end };
}

type Encodable = BsonValue | Record<string, unknown>;

function cstring(s: string): Buffer {
  return Buffer.from(s.replace(/\0/g, '') + '\0', 'utf8');
}

function element(key: string, v: Encodable): Buffer {
  const k = cstring(key);
  const typed = (t: number, body: Buffer) => Buffer.concat([Buffer.from([t]), k, body]);
  if (v === null || v === undefined) return typed(0x0a, Buffer.alloc(0));
  if (typeof v === 'boolean') return typed(0x08, Buffer.from([v ? 1 : 0]));
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= -0x80000000 && v <= 0x7fffffff) {
      const b = Buffer.alloc(4);
      b.writeInt32LE(v);
      return typed(0x10, b);
    }
    const b = Buffer.alloc(8);
    b.writeDoubleLE(v);
    return typed(0x01, b);
  }
  if (typeof v === 'string') {
    const s = Buffer.from(v, 'utf8');
    const len = Buffer.alloc(4);
    len.writeInt32LE(s.length + 1);
    return typed(0x02, Buffer.concat([len, s, Buffer.from([0])]));
  }
  if (v instanceof Date) {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(BigInt(v.getTime()));
    return typed(0x09, b);
  }
  if (v instanceof Int64) {
    const b = Buffer.alloc(8);
    b.writeBigInt64LE(v.value);
    return typed(0x12, b);
  }
  if (v instanceof ObjectId) return typed(0x07, v.bytes);
  if (v instanceof Binary || Buffer.isBuffer(v)) {
    const bin = v instanceof Binary ? v : new Binary(v);
    const head = Buffer.alloc(5);
    head.writeInt32LE(bin.data.length);
    head[4] = bin.subtype;
    return typed(0x05, Buffer.concat([head, bin.data]));
  }
  if (Array.isArray(v)) return typed(0x04, encodeBson(Object.fromEntries(v.map((x, i) => [String(i), x]))));
  return typed(0x03, encodeBson(v));
}

/** Encodes a plain object (insertion order kept) or a Map as a BSON document. */
export function encodeBson(doc: Record<string, unknown> | BsonDoc): Buffer {
  const entries = doc instanceof Map ? [...doc.entries()] : Object.entries(doc);
  const body = Buffer.concat(entries.map(([k, v]) => element(k, v as Encodable)));
  const size = Buffer.alloc(4);
  size.writeInt32LE(body.length + 5);
  return Buffer.concat([size, body, Buffer.from([0])]);
}

/** A string field, or the fallback when it is missing or of another type. */
export function bsonString(v: BsonValue | undefined, fallback = ''): string {
  return typeof v === 'string' ? v : fallback;
}

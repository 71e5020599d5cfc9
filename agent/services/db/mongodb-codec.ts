import { ProtocolError } from '../kit/binary-session';
import { encodeBson, readBsonAt, type BsonDoc } from './bson-codec';

/** MongoDB wire protocol framing: OP_MSG (2013), legacy OP_QUERY (2004) and their replies. */
export const mongoOps = { reply: 1, query: 2004, compressed: 2012, msg: 2013 } as const;

/** mongod accepts 48 MB; a login and a few probes never need more than a fraction of this. */
export const mongoLimits = { maxMessage: 1024 * 1024 } as const;

/** "GET " read as a little-endian message length: mongod answers it as HTTP. */
export const httpGetLength = 0x20544547;

export type MongoMessage = Readonly<{ requestId: number; opCode: number; body: Buffer; size: number }>;

export function readMongoMessage(buf: Buffer): MongoMessage | null {
  if (buf.length < 4) return null;
  const len = buf.readInt32LE(0);
  if (len === httpGetLength) return { requestId: 0, opCode: -1, body: Buffer.alloc(0), size: buf.length };
  if (len < 16 || len > mongoLimits.maxMessage) throw new ProtocolError(`message length ${len} out of range`);
  if (buf.length < 16) return null;
  if (buf.length < len) return null;
  return { requestId: buf.readInt32LE(4), opCode: buf.readInt32LE(12), body: buf.subarray(16, len), size: len };
}

export type MongoCommand = Readonly<{
  doc: BsonDoc;
  db: string;
  legacy: boolean;
  /** moreToCome: the client expects no reply. */
  noReply: boolean;
}>;

/** OP_MSG: flag bits, a kind-0 body and optional kind-1 document sequences (merged in by name). */
export function parseOpMsg(body: Buffer): MongoCommand {
  if (body.length < 5) throw new ProtocolError('OP_MSG too short');
  const flags = body.readUInt32LE(0);
  // Bits 0-15 are "required": any but checksumPresent and moreToCome must be refused.
  if (flags & 0xfffc) throw new ProtocolError(`OP_MSG unknown required flags 0x${flags.toString(16)}`);
  const end = flags & 1 ? body.length - 4 : body.length;
  let o = 4;
  let doc: BsonDoc | null = null;
  const seqs: [string, BsonDoc[]][] = [];
  while (o < end) {
    const kind = body[o++];
    if (kind === 0) {
      if (doc) throw new ProtocolError('OP_MSG with two body sections');
      const r = readBsonAt(body, o);
      if (r.end > end) throw new ProtocolError('OP_MSG body overruns message');
      doc = r.doc;
      o = r.end;
    } else if (kind === 1) {
      if (o + 4 > end) throw new ProtocolError('truncated OP_MSG sequence');
      const size = body.readInt32LE(o);
      const sEnd = o + size;
      if (size < 5 || sEnd > end || seqs.length > 8) throw new ProtocolError('bad OP_MSG sequence size');
      const z = body.indexOf(0, o + 4);
      if (z < 0 || z >= sEnd) throw new ProtocolError('bad OP_MSG sequence identifier');
      const id = body.toString('utf8', o + 4, z);
      const docs: BsonDoc[] = [];
      let p = z + 1;
      while (p < sEnd) {
        const r = readBsonAt(body, p);
        if (r.end > sEnd) throw new ProtocolError('OP_MSG sequence document overrun');
        docs.push(r.doc);
        p = r.end;
      }
      seqs.push([id, docs]);
      o = sEnd;
    } else throw new ProtocolError(`OP_MSG section kind ${kind}`);
  }
  if (!doc) throw new ProtocolError('OP_MSG without body');
  for (const [id, docs] of seqs) doc.set(id, docs);
  const db = doc.get('$db');
  return { doc, db: typeof db === 'string' ? db : 'admin', legacy: false, noReply: (flags & 2) !== 0 };
}

/** OP_QUERY against `<db>.$cmd` (drivers' handshake, nmap's scripts); `$query` wrappers unwrapped. */
export function parseOpQuery(body: Buffer): MongoCommand {
  if (body.length < 4 + 1 + 8 + 5) throw new ProtocolError('OP_QUERY too short');
  const z = body.indexOf(0, 4);
  if (z < 0 || z - 4 > 512) throw new ProtocolError('bad OP_QUERY collection name');
  const ns = body.toString('utf8', 4, z);
  const r = readBsonAt(body, z + 1 + 8);
  let doc = r.doc;
  const first = doc.keys().next().value;
  const inner = first === '$query' || first === 'query' ? doc.get(first) : undefined;
  if (inner instanceof Map) doc = inner;
  const dot = ns.indexOf('.');
  return { doc, db: dot > 0 ? ns.slice(0, dot) : ns, legacy: true, noReply: false };
}

function header(len: number, requestId: number, responseTo: number, opCode: number): Buffer {
  const h = Buffer.alloc(16);
  h.writeInt32LE(len, 0);
  h.writeInt32LE(requestId, 4);
  h.writeInt32LE(responseTo, 8);
  h.writeInt32LE(opCode, 12);
  return h;
}

export function opMsgReply(requestId: number, responseTo: number, doc: Record<string, unknown>): Buffer {
  const body = Buffer.concat([Buffer.alloc(4), Buffer.from([0]), encodeBson(doc)]);
  return Buffer.concat([header(16 + body.length, requestId, responseTo, mongoOps.msg), body]);
}

export function opReply(requestId: number, responseTo: number, doc: Record<string, unknown>): Buffer {
  const fixed = Buffer.alloc(20);
  fixed.writeInt32LE(8, 0); // AwaitCapable, as mongod sets it
  fixed.writeInt32LE(1, 16); // numberReturned
  const body = Buffer.concat([fixed, encodeBson(doc)]);
  return Buffer.concat([header(16 + body.length, requestId, responseTo, mongoOps.reply), body]);
}

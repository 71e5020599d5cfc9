import { ProtocolError } from '../kit/binary-session';

/** TDS 7.x pieces ([MS-TDS]): packet framing, PRELOGIN, LOGIN7 and the error/done tokens. */

export const tdsTypes = {
  sqlBatch: 0x01,
  preTds7Login: 0x02,
  rpc: 0x03,
  reply: 0x04,
  attention: 0x06,
  login7: 0x10,
  sspi: 0x11,
  prelogin: 0x12,
} as const;

/** A LOGIN7 fits in one 4 KiB packet; the few that span packets are still far under 64 KiB. */
export const tdsLimits = { maxPacket: 32_768, maxMessage: 65_536 } as const;

export type TdsPacket = Readonly<{ type: number; eom: boolean; payload: Buffer; size: number }>;

export function readTdsPacket(buf: Buffer): TdsPacket | null {
  if (buf.length < 8) return null;
  const len = buf.readUInt16BE(2);
  if (len < 8 || len > tdsLimits.maxPacket) throw new ProtocolError(`TDS packet length ${len}`);
  if (buf.length < len) return null;
  return { type: buf[0]!, eom: (buf[1]! & 0x01) !== 0, payload: buf.subarray(8, len), size: len };
}

export function tdsPacket(type: number, payload: Buffer, packetId = 1): Buffer {
  const head = Buffer.alloc(8);
  head[0] = type;
  head[1] = 0x01;
  head.writeUInt16BE(payload.length + 8, 2);
  head[6] = packetId;
  return Buffer.concat([head, payload]);
}

export const preloginOptions = {
  version: 0,
  encryption: 1,
  instOpt: 2,
  threadId: 3,
  mars: 4,
  traceId: 5,
  fedAuthRequired: 6,
  terminator: 0xff,
} as const;
export const encryptNotSup = 0x02;

/** Option tokens of a PRELOGIN payload, by token number. */
export function parsePrelogin(payload: Buffer): Map<number, Buffer> {
  const out = new Map<number, Buffer>();
  for (let o = 0; ; o += 5) {
    if (o >= payload.length) throw new ProtocolError('PRELOGIN without terminator');
    const token = payload[o]!;
    if (token === preloginOptions.terminator) return out;
    if (o + 5 > payload.length || out.size > 16) throw new ProtocolError('PRELOGIN option table overrun');
    const off = payload.readUInt16BE(o + 1);
    const len = payload.readUInt16BE(o + 3);
    if (off + len > payload.length) throw new ProtocolError('PRELOGIN option out of bounds');
    out.set(token, payload.subarray(off, off + len));
  }
}

/** "15.0.2000" → the 6 VERSION bytes (major, minor, build BE, sub-build BE). */
export function versionBytes(version: string): Buffer {
  const [maj = 15, min = 0, build = 2000, sub = 0] = version.split('.').map((x) => Number.parseInt(x, 10) || 0);
  const b = Buffer.alloc(6);
  b[0] = maj & 0xff;
  b[1] = min & 0xff;
  b.writeUInt16BE(build & 0xffff, 2);
  b.writeUInt16BE(sub & 0xffff, 4);
  return b;
}

/**
 * The server's PRELOGIN answer. SQL Server mirrors the options the client sent (nmap's probe
 * sends four and fingerprints the 37-byte answer), with an empty THREADID and no encryption.
 */
export function preloginResponse(version: string, request: Map<number, Buffer>): Buffer {
  const opts: [number, Buffer][] = [
    [preloginOptions.version, versionBytes(version)],
    [preloginOptions.encryption, Buffer.from([encryptNotSup])],
    [preloginOptions.instOpt, Buffer.from([0])],
    [preloginOptions.threadId, Buffer.alloc(0)],
  ];
  if (request.has(preloginOptions.mars)) opts.push([preloginOptions.mars, Buffer.from([0])]);
  if (request.has(preloginOptions.fedAuthRequired)) opts.push([preloginOptions.fedAuthRequired, Buffer.from([0])]);
  const table = Buffer.alloc(opts.length * 5 + 1);
  let dataOff = table.length;
  opts.forEach(([token, data], i) => {
    table[i * 5] = token;
    table.writeUInt16BE(dataOff, i * 5 + 1);
    table.writeUInt16BE(data.length, i * 5 + 3);
    dataOff += data.length;
  });
  table[table.length - 1] = preloginOptions.terminator;
  return Buffer.concat([table, ...opts.map(([, d]) => d)]);
}

/** TDS password obfuscation undone: XOR 0xA5, then swap the nibbles of every byte. */
export function deobfuscatePassword(raw: Buffer): Buffer {
  const out = Buffer.alloc(raw.length);
  for (let i = 0; i < raw.length; i++) {
    const b = raw[i]! ^ 0xa5;
    out[i] = ((b << 4) & 0xf0) | (b >> 4);
  }
  return out;
}

export type Login7 = {
  tdsVersion: number;
  hostname: string;
  username: string;
  password: string;
  appname: string;
  servername: string;
  library: string;
  language: string;
  database: string;
  clientPid: number;
  /** Integrated (SSPI/NTLM) login: no password in the packet. */
  sspi: boolean;
};

export function parseLogin7(p: Buffer): Login7 {
  if (p.length < 94) throw new ProtocolError('LOGIN7 shorter than its fixed part');
  const total = p.readUInt32LE(0);
  if (total > p.length || total < 94) throw new ProtocolError('LOGIN7 length mismatch');
  const str = (at: number, obfuscated = false): string => {
    const off = p.readUInt16LE(at);
    const chars = p.readUInt16LE(at + 2);
    if (chars === 0) return '';
    if (off + chars * 2 > total || chars > 256) throw new ProtocolError('LOGIN7 field out of bounds');
    const raw = p.subarray(off, off + chars * 2);
    return (obfuscated ? deobfuscatePassword(raw) : raw).toString('utf16le');
  };
  return {
    tdsVersion: p.readUInt32LE(4),
    clientPid: p.readUInt32LE(16),
    hostname: str(36),
    username: str(40),
    password: str(44, true),
    appname: str(48),
    servername: str(52),
    library: str(60),
    language: str(64),
    database: str(68),
    sspi: p.readUInt16LE(80) > 0,
  };
}

function usVarchar(s: string): Buffer {
  const b = Buffer.from(s, 'utf16le');
  const len = Buffer.alloc(2);
  len.writeUInt16LE(s.length, 0);
  return Buffer.concat([len, b]);
}

function bVarchar(s: string): Buffer {
  return Buffer.concat([Buffer.from([s.length]), Buffer.from(s, 'utf16le')]);
}

/** ERROR token then DONE(DONE_ERROR): what the server sends for a failed login. */
export function loginFailed(user: string, serverName: string, tdsVersion: number): Buffer {
  const body = Buffer.concat([
    Buffer.from([0x48, 0x48, 0, 0]), // number 18456 (0x4818) little-endian
    Buffer.from([1, 14]), // state 1, class 14
    usVarchar(`Login failed for user '${user}'.`),
    bVarchar(serverName),
    bVarchar(''),
    Buffer.from([1, 0, 0, 0]), // line number
  ]);
  body.writeInt32LE(18456, 0);
  const head = Buffer.alloc(3);
  head[0] = 0xaa;
  head.writeUInt16LE(body.length, 1);
  // TDS 7.2 widened DONE's row count to 64 bits.
  const wide = tdsVersion >= 0x72090002;
  const done = Buffer.alloc(wide ? 13 : 9);
  done[0] = 0xfd;
  done.writeUInt16LE(0x0002, 1);
  return Buffer.concat([head, body, done]);
}

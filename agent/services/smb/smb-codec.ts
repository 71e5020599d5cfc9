/**
 * SMB2 wire format (MS-SMB2) for the part of the protocol a honeypot answers: the SMB1
 * multi-protocol negotiate upgrade, NEGOTIATE (with 3.1.1 contexts), SESSION_SETUP and error
 * responses. Pure functions, bounded by the frame size the caller enforces.
 */
export const smbStatus = {
  success: 0x00000000,
  moreProcessingRequired: 0xc0000016,
  logonFailure: 0xc000006d,
  accessDenied: 0xc0000022,
  notSupported: 0xc00000bb,
  userSessionDeleted: 0xc0000203,
  invalidParameter: 0xc000000d,
} as const;

export const smbCommand = { negotiate: 0, sessionSetup: 1, logoff: 2, treeConnect: 3, echo: 0x0d } as const;

/** Dialects a Windows server knows, oldest first. */
export const smbDialects = [0x0202, 0x0210, 0x0300, 0x0302, 0x0311] as const;

export class SmbError extends Error {}

export type Smb2Header = Readonly<{
  command: number;
  creditRequest: number;
  messageId: bigint;
  sessionId: bigint;
  treeId: number;
  flags: number;
}>;

export type SmbRequest =
  { kind: 'smb1-negotiate'; dialects: string[] } | { kind: 'smb2'; header: Smb2Header; body: Buffer };

/** Parses one SMB message (the payload of a session-service frame). */
export function parseSmb(msg: Buffer): SmbRequest {
  if (msg.length >= 4 && msg.readUInt32BE(0) === 0xff534d42) {
    if (msg.length < 35 || msg.readUInt8(4) !== 0x72) throw new SmbError('SMB1 command other than NEGOTIATE');
    const words = msg.readUInt8(32);
    const at = 33 + words * 2;
    if (at + 2 > msg.length) throw new SmbError('truncated SMB1 NEGOTIATE');
    const bytes = msg.subarray(at + 2, Math.min(msg.length, at + 2 + msg.readUInt16LE(at)));
    const dialects: string[] = [];
    let pos = 0;
    while (pos < bytes.length && dialects.length < 32) {
      if (bytes.readUInt8(pos) !== 0x02) throw new SmbError('bad SMB1 dialect buffer');
      const end = bytes.indexOf(0, pos + 1);
      if (end < 0) throw new SmbError('unterminated SMB1 dialect');
      dialects.push(
        bytes
          .subarray(pos + 1, end)
          .toString('latin1')
          .slice(0, 64),
      );
      pos = end + 1;
    }
    return { kind: 'smb1-negotiate', dialects };
  }
  if (msg.length < 64 || msg.readUInt32BE(0) !== 0xfe534d42 || msg.readUInt16LE(4) !== 64)
    throw new SmbError('not an SMB2 message');
  return {
    kind: 'smb2',
    header: {
      command: msg.readUInt16LE(12),
      creditRequest: msg.readUInt16LE(14),
      flags: msg.readUInt32LE(16),
      messageId: msg.readBigUInt64LE(24),
      treeId: msg.readUInt32LE(36),
      sessionId: msg.readBigUInt64LE(40),
    },
    body: msg.subarray(64),
  };
}

export type NegotiateRequest = Readonly<{
  dialects: number[];
  ciphers: number[];
  clientGuid: string;
  securityMode: number;
}>;

export function parseNegotiate(body: Buffer, whole: Buffer): NegotiateRequest {
  if (body.length < 36) throw new SmbError('truncated NEGOTIATE');
  const count = body.readUInt16LE(2);
  if (count === 0 || count > 64 || 36 + count * 2 > body.length) throw new SmbError('bad dialect count');
  const dialects = Array.from({ length: count }, (_, i) => body.readUInt16LE(36 + i * 2));
  const ciphers: number[] = [];
  if (dialects.includes(0x0311)) {
    // Negotiate contexts: offsets count from the start of the SMB2 header.
    let off = body.readUInt32LE(28);
    const n = Math.min(body.readUInt16LE(32), 16);
    for (let i = 0; i < n && off + 8 <= whole.length; i++) {
      const type = whole.readUInt16LE(off);
      const len = whole.readUInt16LE(off + 2);
      const data = whole.subarray(off + 8, Math.min(whole.length, off + 8 + len));
      if (type === 2 && data.length >= 2) {
        const c = Math.min(data.readUInt16LE(0), (data.length - 2) >> 1, 16);
        for (let j = 0; j < c; j++) ciphers.push(data.readUInt16LE(2 + j * 2));
      }
      off = (off + 8 + len + 7) & ~7;
    }
  }
  const g = body.subarray(12, 28).toString('hex');
  return { dialects, ciphers, clientGuid: g, securityMode: body.readUInt16LE(4) };
}

export function dialectName(d: number): string {
  return d === 0x02ff ? '2.???' : `${d >> 8}.${(d >> 4) & 0xf}${d & 0xf ? `.${d & 0xf}` : ''}`;
}

/** Persona `3.1.1` / `2.1` / `3.0.2` → dialect number (the highest the decky offers). */
export function parseDialectSetting(s: string): number {
  const m = /^(\d)\.(\d)(?:\.(\d))?$/.exec(s.trim());
  const d = m ? (Number(m[1]) << 8) | (Number(m[2]) << 4) | Number(m[3] ?? 0) : 0x0311;
  const known: readonly number[] = smbDialects;
  if (known.includes(d)) return d;
  return d === 0x0200 ? 0x0202 : 0x0311;
}

export type ResponseHeaderInput = Readonly<{
  command: number;
  status: number;
  messageId: bigint;
  sessionId: bigint;
  credits: number;
  treeId?: number;
}>;

export function responseHeader(h: ResponseHeaderInput): Buffer {
  const b = Buffer.alloc(64);
  b.writeUInt32BE(0xfe534d42, 0);
  b.writeUInt16LE(64, 4);
  b.writeUInt32LE(h.status >>> 0, 8);
  b.writeUInt16LE(h.command, 12);
  b.writeUInt16LE(h.credits, 14);
  b.writeUInt32LE(1, 16); // SMB2_FLAGS_SERVER_TO_REDIR
  b.writeBigUInt64LE(h.messageId, 24);
  b.writeUInt32LE(0xfeff, 32); // Windows' "reserved" process id
  b.writeUInt32LE(h.treeId ?? 0, 36);
  b.writeBigUInt64LE(h.sessionId, 40);
  return b;
}

/** SMB2 ERROR response body (StructureSize 9, one byte of ErrorData). */
export function errorBody(): Buffer {
  const b = Buffer.alloc(9);
  b.writeUInt16LE(9, 0);
  return b;
}

function fileTime(ms: number): bigint {
  return (BigInt(Math.floor(ms)) + 11_644_473_600_000n) * 10_000n;
}

export type NegotiateResponseInput = Readonly<{
  dialect: number;
  serverGuid: Buffer;
  securityMode: number;
  securityBlob: Buffer;
  now: number;
  /** For 3.1.1: the cipher to announce and a fresh preauth salt. */
  cipher?: number;
  salt?: Buffer;
}>;

export function negotiateBody(r: NegotiateResponseInput): Buffer {
  const capabilities = r.dialect >= 0x0300 ? 0x2f : r.dialect === 0x0202 ? 0x01 : 0x07;
  const mtu = r.dialect === 0x0202 ? 65536 : 8_388_608;
  const fixed = Buffer.alloc(64);
  fixed.writeUInt16LE(65, 0);
  fixed.writeUInt16LE(r.securityMode, 2);
  fixed.writeUInt16LE(r.dialect, 4);
  r.serverGuid.copy(fixed, 8, 0, 16);
  fixed.writeUInt32LE(r.dialect === 0x0300 || r.dialect === 0x0302 ? capabilities | 0x40 : capabilities, 24);
  fixed.writeUInt32LE(mtu, 28);
  fixed.writeUInt32LE(mtu, 32);
  fixed.writeUInt32LE(mtu, 36);
  fixed.writeBigUInt64LE(fileTime(r.now), 40);
  fixed.writeBigUInt64LE(0n, 48);
  fixed.writeUInt16LE(128, 56);
  fixed.writeUInt16LE(r.securityBlob.length, 58);
  if (r.dialect !== 0x0311) return Buffer.concat([fixed, r.securityBlob]);
  const ctxStart = (128 + r.securityBlob.length + 7) & ~7;
  const pad = Buffer.alloc(ctxStart - 128 - r.securityBlob.length);
  const salt = r.salt ?? Buffer.alloc(32);
  const preauth = Buffer.alloc(6 + salt.length);
  preauth.writeUInt16LE(1, 0);
  preauth.writeUInt16LE(salt.length, 2);
  preauth.writeUInt16LE(1, 4); // SHA-512
  salt.copy(preauth, 6);
  const enc = Buffer.alloc(4);
  enc.writeUInt16LE(1, 0);
  enc.writeUInt16LE(r.cipher ?? 1, 2);
  const ctx = (type: number, data: Buffer, last: boolean) => {
    const h = Buffer.alloc(8);
    h.writeUInt16LE(type, 0);
    h.writeUInt16LE(data.length, 2);
    const padLen = last ? 0 : (8 - (data.length % 8)) % 8;
    return Buffer.concat([h, data, Buffer.alloc(padLen)]);
  };
  fixed.writeUInt16LE(2, 6);
  fixed.writeUInt32LE(ctxStart, 60);
  return Buffer.concat([fixed, r.securityBlob, pad, ctx(1, preauth, false), ctx(2, enc, true)]);
}

export type SessionSetupRequest = Readonly<{ securityBlob: Buffer; previousSession: bigint }>;

export function parseSessionSetup(body: Buffer, whole: Buffer): SessionSetupRequest {
  if (body.length < 24) throw new SmbError('truncated SESSION_SETUP');
  const off = body.readUInt16LE(12);
  const len = body.readUInt16LE(14);
  if (off + len > whole.length) throw new SmbError('security buffer outside the message');
  return { securityBlob: whole.subarray(off, off + len), previousSession: body.readBigUInt64LE(16) };
}

export function sessionSetupBody(blob: Buffer): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt16LE(9, 0);
  b.writeUInt16LE(72, 4);
  b.writeUInt16LE(blob.length, 6);
  return Buffer.concat([b, blob]);
}

export function echoBody(): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt16LE(4, 0);
  return b;
}

/** Direct-TCP / NetBIOS session message framing: type 0, 24-bit length. */
export function frame(payload: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt32BE(payload.length & 0xffffff, 0);
  return Buffer.concat([h, payload]);
}

import { ProtocolError } from '../kit/binary-session';

/** PostgreSQL frontend/backend protocol 3.0 pieces (pure; unit-testable). */

export const pgCodes = {
  protocol3: 196608,
  sslRequest: 80877103,
  gssEncRequest: 80877104,
  cancelRequest: 80877102,
} as const;

/** postmaster's MAX_STARTUP_PACKET_LENGTH; regular messages after it are small during login. */
export const pgLimits = { maxStartup: 10_000, maxMessage: 8_192, maxParams: 64 } as const;

export type StartupPacket =
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel' }
  | { kind: 'startup'; params: Record<string, string> }
  | { kind: 'unsupported'; major: number; minor: number };

/**
 * The untyped first packet (length, code, body), or null while incomplete. A bad length is what
 * postmaster logs as "invalid length of startup packet" and closes on without a reply.
 */
export function readStartupPacket(buf: Buffer): { packet: StartupPacket; size: number } | null {
  if (buf.length < 4) return null;
  const len = buf.readInt32BE(0);
  if (len < 8 || len > pgLimits.maxStartup) throw new ProtocolError('invalid length of startup packet');
  if (buf.length < len) return null;
  const code = buf.readInt32BE(4);
  const size = len;
  if (code === pgCodes.sslRequest) return { packet: { kind: 'ssl' }, size };
  if (code === pgCodes.gssEncRequest) return { packet: { kind: 'gssenc' }, size };
  if (code === pgCodes.cancelRequest) return { packet: { kind: 'cancel' }, size };
  const major = code >>> 16;
  const minor = code & 0xffff;
  if (major !== 3) return { packet: { kind: 'unsupported', major, minor }, size };
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  let o = 8;
  let n = 0;
  while (o < len) {
    const kEnd = buf.indexOf(0, o);
    if (kEnd < 0 || kEnd >= len)
      throw new ProtocolError('invalid startup packet layout: expected terminator as last byte');
    if (kEnd === o) break;
    const vEnd = buf.indexOf(0, kEnd + 1);
    if (vEnd < 0 || vEnd >= len)
      throw new ProtocolError('invalid startup packet layout: expected terminator as last byte');
    if (++n > pgLimits.maxParams) throw new ProtocolError('too many startup parameters');
    params[buf.toString('utf8', o, kEnd).slice(0, 64)] = buf.toString('utf8', kEnd + 1, vEnd).slice(0, 256);
    o = vEnd + 1;
  }
  return { packet: { kind: 'startup', params }, size };
}

/** A typed message (tag, int32 length incl. itself, body), or null while incomplete. */
export function readPgMessage(buf: Buffer): { tag: string; body: Buffer; size: number } | null {
  if (buf.length < 5) return null;
  const len = buf.readInt32BE(1);
  if (len < 4 || len > pgLimits.maxMessage) throw new ProtocolError(`invalid message length ${len}`);
  if (buf.length < 1 + len) return null;
  return { tag: String.fromCharCode(buf[0]!), body: buf.subarray(5, 1 + len), size: 1 + len };
}

/** One typed backend message: tag, int32 length (itself included), body. */
export function pgMessage(tag: string, body: Buffer): Buffer {
  const head = Buffer.alloc(5);
  head.write(tag, 0, 'latin1');
  head.writeInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
}

export function authRequest(code: number, extra: Buffer = Buffer.alloc(0)): Buffer {
  const b = Buffer.alloc(4);
  b.writeInt32BE(code, 0);
  return pgMessage('R', Buffer.concat([b, extra]));
}

export const pgAuth = { cleartext: 3, md5: 5 } as const;

export type PgErrorFields = Readonly<{
  severity: string;
  code: string;
  message: string;
  file: string;
  line: number;
  routine: string;
}>;

/** ErrorResponse with the S, V (9.6+), C, M, F, L, R fields a real backend sends. */
export function errorResponse(f: PgErrorFields): Buffer {
  const parts = [
    `S${f.severity}`,
    `V${f.severity}`,
    `C${f.code}`,
    `M${f.message}`,
    `F${f.file}`,
    `L${f.line}`,
    `R${f.routine}`,
  ];
  return pgMessage('E', Buffer.concat([...parts.map((p) => Buffer.from(p + '\0', 'utf8')), Buffer.from([0])]));
}

/** "14.13 (Ubuntu 14.13-0ubuntu0.22.04.1)" → 14 (9.6 → 9). */
export function pgMajor(version: string): number {
  return Number.parseInt(version, 10) || 15;
}

/**
 * Where ProcessStartupPacket rejects an unknown protocol, per major release: nmap fingerprints
 * the version by this file and line, so a persona's error carries the line nmap associates with
 * its release (9.6–15 from nmap's table; 16 and 17 are not in it, so any line reads as "9.6.0 or
 * later", which is what a real 16/17 gets too).
 */
export function unsupportedProtocolSite(major: number): { file: string; line: number } {
  const lines: Record<number, number> = {
    9: 2063,
    10: 2099,
    11: 2050,
    12: 2119,
    13: 2133,
    14: 2138,
    15: 2194,
    16: 2226,
  };
  if (major >= 17) return { file: 'backend_startup.c', line: 681 };
  return { file: 'postmaster.c', line: lines[major] ?? 2194 };
}

export function unsupportedProtocol(major: number, reqMajor: number, reqMinor: number): Buffer {
  const site = unsupportedProtocolSite(major);
  // 14 removed protocol 2.0, so newer servers say "3.0 to 3.0".
  const earliest = major >= 14 ? '3.0' : '2.0';
  return errorResponse({
    severity: 'FATAL',
    code: '0A000',
    message: `unsupported frontend protocol ${reqMajor}.${reqMinor}: server supports ${earliest} to 3.0`,
    ...site,
    routine: 'ProcessStartupPacket',
  });
}

export function passwordFailed(major: number, user: string): Buffer {
  // auth_failed() in auth.c; its line moves a little between releases.
  const line = major >= 16 ? 323 : major >= 14 ? 335 : 333;
  return errorResponse({
    severity: 'FATAL',
    code: '28P01',
    message: `password authentication failed for user "${user}"`,
    file: 'auth.c',
    line,
    routine: 'auth_failed',
  });
}

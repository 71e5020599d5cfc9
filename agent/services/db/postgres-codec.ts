import { ProtocolError } from '../kit/binary-session';
import { pgVersionParts, type PgSites } from './postgres-sites';

/** PostgreSQL frontend/backend protocol 3.0 pieces (pure; unit-testable). */

export const pgCodes = {
  protocol3: 196608,
  sslRequest: 80877103,
  gssEncRequest: 80877104,
  cancelRequest: 80877102,
} as const;

/**
 * postmaster's MAX_STARTUP_PACKET_LENGTH; regular messages after it are small during login; a
 * GSSAPI packet may be 64 KiB less its length word (be-secure-gssapi.c, measured).
 */
export const pgLimits = { maxStartup: 10_000, maxMessage: 8_192, maxParams: 64, maxGssToken: 65_532 } as const;

export type StartupPacket =
  | { kind: 'ssl' }
  | { kind: 'gssenc' }
  | { kind: 'cancel' }
  | { kind: 'startup'; minor: number; params: Record<string, string>; unrecognized: string[] }
  | { kind: 'unsupported'; major: number; minor: number }
  | { kind: 'layout' };

/**
 * The untyped first packet (length, code, body), or null while incomplete. A bad length is what
 * postmaster logs as "invalid length of startup packet" and closes on without a reply. The
 * protocol version is judged before the parameters, and the parameters as ProcessStartupPacket
 * walks them: name, value, ..., and the terminator must be the packet's last byte ('layout').
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
  const body = buf.subarray(0, len);
  // postmaster reads the packet into a buffer with one NUL appended, so a string runs at most to len.
  const end0 = (from: number) => {
    const i = body.indexOf(0, from);
    return i < 0 ? len : i;
  };
  const params: Record<string, string> = Object.create(null) as Record<string, string>;
  const unrecognized: string[] = [];
  let o = 8;
  let n = 0;
  while (o < len) {
    if (body[o] === 0) break;
    const kEnd = end0(o);
    if (kEnd + 1 >= len) break;
    const vEnd = end0(kEnd + 1);
    if (++n > pgLimits.maxParams) throw new ProtocolError('too many startup parameters');
    const name = body.toString('utf8', o, kEnd).slice(0, 64);
    if (name.startsWith('_pq_.')) unrecognized.push(name);
    else params[name] = body.toString('utf8', kEnd + 1, vEnd).slice(0, 256);
    o = vEnd + 1;
  }
  if (o !== len - 1) return { packet: { kind: 'layout' }, size };
  return { packet: { kind: 'startup', minor, params, unrecognized }, size };
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

export const pgAuth = { ok: 0, cleartext: 3, md5: 5 } as const;

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
  return pgVersionParts(version).major;
}

const fatal = (sites: PgSites, code: string, message: string, line: number, routine: string, file?: string) =>
  errorResponse({ severity: 'FATAL', code, message, file: file ?? sites.startupFile, line, routine });

/**
 * An unsupported protocol. The error goes out in the protocol the client asked for (FrontendProtocol
 * is set first), so a major below 3 gets the old format: 'E', "FATAL:  message\n", NUL.
 */
export function unsupportedProtocol(sites: PgSites, major: number, reqMajor: number, reqMinor: number): Buffer {
  // 14 removed protocol 2.0, so newer servers say "3.0 to 3.0".
  const earliest = major >= 14 ? '3.0' : '2.0';
  const message = `unsupported frontend protocol ${reqMajor}.${reqMinor}: server supports ${earliest} to 3.0`;
  if (reqMajor < 3) return Buffer.from(`EFATAL:  ${message}\n\0`, 'utf8');
  return fatal(sites, '0A000', message, sites.unsupported, 'ProcessStartupPacket');
}

export const layoutError = (sites: PgSites) =>
  fatal(
    sites,
    '08P01',
    'invalid startup packet layout: expected terminator as last byte',
    sites.layout,
    'ProcessStartupPacket',
  );

export const noUserError = (sites: PgSites) =>
  fatal(sites, '28000', 'no PostgreSQL user name specified in startup packet', sites.noUser, 'ProcessStartupPacket');

export function passwordFailed(sites: PgSites, user: string): Buffer {
  return fatal(
    sites,
    '28P01',
    `password authentication failed for user "${user}"`,
    sites.authFailed,
    'auth_failed',
    'auth.c',
  );
}

/** Anything but a PasswordMessage where the password is expected (the type as a decimal byte). */
export const notPassword = (sites: PgSites, type: number) =>
  fatal(
    sites,
    '08P01',
    `expected password response, got message type ${type}`,
    sites.recvPassword,
    'recv_password_packet',
    'auth.c',
  );

/** After a right password, InitPostgres looks the database up. */
export const noDatabase = (sites: PgSites, db: string) =>
  fatal(sites, '3D000', `database "${db}" does not exist`, sites.noDatabase, 'InitPostgres', 'postinit.c');

export const notAccepting = (sites: PgSites, db: string) =>
  fatal(
    sites,
    '55000',
    `database "${db}" is not currently accepting connections`,
    sites.notAccepting,
    'CheckMyDatabase',
    'postinit.c',
  );

/** NegotiateProtocolVersion: newest minor supported (0) and the _pq_ options not recognised. */
export function negotiateProtocolVersion(unrecognized: readonly string[]): Buffer {
  const head = Buffer.alloc(8);
  head.writeInt32BE(0x30000, 0);
  head.writeInt32BE(unrecognized.length, 4);
  return pgMessage('v', Buffer.concat([head, ...unrecognized.map((n) => Buffer.from(`${n}\0`, 'utf8'))]));
}

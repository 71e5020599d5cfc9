import { randomBytes, randomInt } from 'node:crypto';
import { ProtocolError } from '../kit/binary-session';

/** MySQL client/server protocol pieces (protocol v10), pure so that they can be unit tested. */

export const mysqlCaps = {
  longPassword: 1 << 0,
  connectWithDb: 1 << 3,
  protocol41: 1 << 9,
  ssl: 1 << 11,
  secureConnection: 1 << 15,
  pluginAuth: 1 << 19,
  connectAttrs: 1 << 20,
  pluginAuthLenencData: 1 << 21,
} as const;

/** The 16 MiB ceiling of one packet; a login never comes close, so we accept far less. */
export const mysqlLimits = { maxPacket: 16 * 1024, maxAttrs: 64 } as const;

export type MysqlFlavour = Readonly<{
  /** What goes on the wire (MariaDB 10.x keeps its historical `5.5.5-` replication prefix). */
  wireVersion: string;
  mariadb: boolean;
  capabilities: number;
  /** MariaDB's extended capabilities, carried in the last 4 reserved bytes. */
  mariadbCaps: number;
  charset: number;
  defaultPlugin: string;
}>;

/**
 * Reads a persona version and answers with what that server really advertises: MariaDB 10.x
 * clears CLIENT_MYSQL and prefixes 5.5.5-, MariaDB 11 dropped the prefix (MDEV-28910), MySQL 8
 * defaults to caching_sha2_password. Every flavour advertises CLIENT_SSL, as MySQL ≥ 5.7 does out
 * of the box (auto-generated certificates) and MariaDB does with `ssl_cert`/`ssl_key` set; the
 * session then upgrades to TLS with the decky's certificate.
 */
export function mysqlFlavour(version: string): MysqlFlavour {
  const mariadb = /mariadb/i.test(version);
  const major = Number.parseInt(version, 10) || 8;
  const allCaps = 0xdfffffff; // MySQL 8.0's set
  if (mariadb) {
    const prefixed = major === 10 && !version.startsWith('5.5.5-');
    return {
      wireVersion: prefixed ? `5.5.5-${version}` : version,
      mariadb,
      capabilities: major >= 10 ? 0x81fffffe : 0x807fffff,
      mariadbCaps: major >= 10 ? 0x1d : 0,
      charset: major >= 10 ? 45 : 8,
      defaultPlugin: 'mysql_native_password',
    };
  }
  return {
    wireVersion: version,
    mariadb,
    capabilities: major >= 8 ? allCaps : 0x807fffff,
    mariadbCaps: 0,
    charset: major >= 8 ? 255 : 8,
    defaultPlugin: major >= 8 ? 'caching_sha2_password' : 'mysql_native_password',
  };
}

/** One packet: 3-byte little-endian length, sequence id, payload. */
export function mysqlPacket(seq: number, payload: Buffer): Buffer {
  const head = Buffer.alloc(4);
  head.writeUIntLE(payload.length, 0, 3);
  head[3] = seq & 0xff;
  return Buffer.concat([head, payload]);
}

/** A full packet at the front of `buf`, or null while it is incomplete. */
export function readMysqlPacket(buf: Buffer): { seq: number; payload: Buffer; size: number } | null {
  if (buf.length < 4) return null;
  const len = buf.readUIntLE(0, 3);
  if (len > mysqlLimits.maxPacket) throw new ProtocolError(`packet of ${len} bytes`);
  if (buf.length < 4 + len) return null;
  return { seq: buf[3]!, payload: buf.subarray(4, 4 + len), size: 4 + len };
}

/**
 * 20 scramble bytes as the server makes them: MariaDB's create_random_string draws printable
 * ASCII 33..126 (measured: 94 distinct values over 200 greetings of 10.11); MySQL 8's
 * generate_user_salt keeps 7 bits and bumps NUL and '$' up by one.
 */
export function newScramble(mariadb = false): Buffer {
  const b = randomBytes(20);
  for (let i = 0; i < b.length; i++) {
    if (mariadb) b[i] = randomInt(33, 127);
    else {
      const v = b[i]! & 0x7f;
      b[i] = v === 0 || v === 0x24 ? v + 1 : v;
    }
  }
  return b;
}

/**
 * What the server says on a packet header alone, before it reads the payload (net_serv.cc
 * my_net_read): a PROXY protocol signature on the first packet ("PROX", or "\r\n\r\n" of v2)
 * from a host not in proxy_protocol_networks, or a sequence number other than the expected one.
 * Both are sent with the expected sequence number. Null: the header is fine.
 */
export function headerError(buf: Buffer, expectedSeq: number, first: boolean, src: string): Buffer | null {
  const head = buf.subarray(0, 4).toString('latin1');
  if (first && (head === 'PROX' || head === '\r\n\r\n'))
    return mysqlPacket(expectedSeq, errPacket(1130, 'HY000', `Proxy header is not accepted from ${src}`));
  if (buf[3] !== (expectedSeq & 0xff))
    return mysqlPacket(expectedSeq, errPacket(1156, '08S01', 'Got packets out of order'));
  return null;
}

/**
 * A pre-4.1 client (no CLIENT_PROTOCOL_41) would need the old password scheme and cannot be
 * switched to another: ER_NOT_SUPPORTED_AUTH_MODE, without the SQL state such clients do not read.
 */
export function oldClientError(mariadb: boolean): Buffer {
  const message = `Client does not support authentication protocol requested by server; consider upgrading ${mariadb ? 'MariaDB' : 'MySQL'} client`;
  const head = Buffer.from([0xff, 0, 0]);
  head.writeUInt16LE(1251, 1);
  return Buffer.concat([head, Buffer.from(message, 'utf8')]);
}

/** The pre-4.1 check: a handshake of at least MIN_HANDSHAKE_SIZE (6) bytes without CLIENT_PROTOCOL_41. */
export function isOldClient(payload: Buffer): boolean {
  return payload.length >= 6 && (payload.readUInt16LE(0) & mysqlCaps.protocol41) === 0;
}

/**
 * After a right password, a database not in the fake schema. The persona users are privileged
 * (they read mysql.user), and for such an account the server says the database does not exist.
 */
export function unknownDatabase(db: string): Buffer {
  return errPacket(1049, '42000', `Unknown database '${db}'`);
}

export function handshakeV10(f: MysqlFlavour, connectionId: number, scramble: Buffer): Buffer {
  const reserved = Buffer.alloc(10);
  if (f.mariadb) reserved.writeUInt32LE(f.mariadbCaps, 6);
  const fixed = Buffer.alloc(4 + 8 + 1 + 2 + 1 + 2 + 2 + 1);
  let o = 0;
  o = fixed.writeUInt32LE(connectionId, o);
  scramble.copy(fixed, o, 0, 8);
  o += 8;
  fixed[o++] = 0;
  o = fixed.writeUInt16LE(f.capabilities & 0xffff, o);
  fixed[o++] = f.charset;
  o = fixed.writeUInt16LE(0x0002, o); // SERVER_STATUS_AUTOCOMMIT
  o = fixed.writeUInt16LE(f.capabilities >>> 16, o);
  fixed[o] = 21;
  return Buffer.concat([
    Buffer.from([0x0a]),
    Buffer.from(f.wireVersion + '\0', 'latin1'),
    fixed,
    reserved,
    scramble.subarray(8),
    Buffer.from([0]),
    Buffer.from(f.defaultPlugin + '\0', 'latin1'),
  ]);
}

export type HandshakeResponse = {
  capabilities: number;
  username: string;
  authResponse: Buffer;
  database: string | null;
  plugin: string | null;
  attributes: Record<string, string>;
  /** The client asked for TLS (an SSLRequest: the packet stops after the fixed header). */
  sslRequest: boolean;
  /** MariaDB's extended capabilities (the filler's last 4 bytes when CLIENT_MYSQL is clear), else 0. */
  mariadbCaps?: number;
};

class Cursor {
  o = 0;
  constructor(readonly b: Buffer) {}
  need(n: number): void {
    if (this.o + n > this.b.length) throw new ProtocolError('truncated handshake response');
  }
  u8(): number {
    this.need(1);
    return this.b[this.o++]!;
  }
  cstring(max = 256): string {
    const end = this.b.indexOf(0, this.o);
    if (end < 0 || end - this.o > max) throw new ProtocolError('unterminated string');
    const s = this.b.toString('utf8', this.o, end);
    this.o = end + 1;
    return s;
  }
  lenenc(): number {
    const first = this.u8();
    if (first < 0xfb) return first;
    if (first === 0xfc) return this.take(2).readUInt16LE(0);
    if (first === 0xfd) return this.take(3).readUIntLE(0, 3);
    throw new ProtocolError('length-encoded integer out of range');
  }
  take(n: number): Buffer {
    this.need(n);
    const s = this.b.subarray(this.o, this.o + n);
    this.o += n;
    return s;
  }
  rest(): number {
    return this.b.length - this.o;
  }
}

/** Parses HandshakeResponse41 (pre-4.1 clients are refused as "Bad handshake" like the server). */
export function parseHandshakeResponse(payload: Buffer): HandshakeResponse {
  const c = new Cursor(payload);
  if (payload.length < 32) throw new ProtocolError('bad handshake');
  const capabilities = c.take(4).readUInt32LE(0);
  if (!(capabilities & mysqlCaps.protocol41)) throw new ProtocolError('pre-4.1 handshake');
  c.take(4 + 1 + 23);
  const mariadbCaps = capabilities & 1 ? 0 : payload.readUInt32LE(28);
  const base = {
    capabilities,
    username: '',
    authResponse: Buffer.alloc(0),
    database: null,
    plugin: null,
    attributes: {},
  };
  if (c.rest() === 0) return { ...base, sslRequest: (capabilities & mysqlCaps.ssl) !== 0 };
  const username = c.cstring();
  let authResponse: Buffer;
  if (capabilities & mysqlCaps.pluginAuthLenencData) authResponse = Buffer.from(c.take(Math.min(c.lenenc(), 1024)));
  else if (capabilities & mysqlCaps.secureConnection) authResponse = Buffer.from(c.take(c.u8()));
  else authResponse = Buffer.from(c.cstring(1024), 'utf8');
  const database = capabilities & mysqlCaps.connectWithDb && c.rest() > 0 ? c.cstring() : null;
  const plugin = capabilities & mysqlCaps.pluginAuth && c.rest() > 0 ? c.cstring(64) : null;
  const attributes: Record<string, string> = Object.create(null) as Record<string, string>;
  if (capabilities & mysqlCaps.connectAttrs && c.rest() > 0) {
    const total = c.lenenc();
    const end = c.o + total;
    if (end > payload.length) throw new ProtocolError('connection attributes overrun');
    let n = 0;
    while (c.o < end && n++ < mysqlLimits.maxAttrs) {
      const k = c.take(c.lenenc()).toString('utf8');
      const v = c.take(c.lenenc()).toString('utf8');
      attributes[k.slice(0, 64)] = v.slice(0, 256);
    }
  }
  return { capabilities, username, authResponse, database, plugin, attributes, sslRequest: false, mariadbCaps };
}

export function authSwitchRequest(plugin: string, data: Buffer): Buffer {
  return Buffer.concat([Buffer.from([0xfe]), Buffer.from(plugin + '\0', 'latin1'), data]);
}

export function errPacket(code: number, sqlState: string, message: string): Buffer {
  const head = Buffer.alloc(3);
  head[0] = 0xff;
  head.writeUInt16LE(code, 1);
  return Buffer.concat([head, Buffer.from(`#${sqlState}${message}`, 'utf8')]);
}

/** `Access denied for user 'root'@'10.0.0.5' (using password: YES)`, error 1045 / 28000. */
export function accessDenied(user: string, src: string, withPassword: boolean): Buffer {
  return errPacket(
    1045,
    '28000',
    `Access denied for user '${user}'@'${src}' (using password: ${withPassword ? 'YES' : 'NO'})`,
  );
}

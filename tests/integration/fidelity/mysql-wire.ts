import { createHash, randomBytes } from 'node:crypto';

/** Client-side MySQL packets for the fidelity test, built by hand so every byte is known. */

export const packet = (seq: number, payload: Buffer) =>
  Buffer.concat([Buffer.from([payload.length & 255, (payload.length >> 8) & 255, payload.length >> 16, seq]), payload]);

/** HandshakeV10's per-connection bytes: thread id (4) and the two scramble parts (8 + 12). */
export function greetingFields(answer: Buffer): { scramble: Buffer; threadAt: number } | null {
  if (answer.length < 5 || answer[4] !== 0x0a) return null;
  const threadAt = answer.indexOf(0, 5) + 1;
  const part1 = answer.subarray(threadAt + 4, threadAt + 12);
  // After part 1: filler, caps low, charset, status, caps high, auth length, 10 reserved.
  const part2At = threadAt + 4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10;
  return { scramble: Buffer.concat([part1, answer.subarray(part2At, part2At + 12)]), threadAt };
}

/** Masks the thread id and scramble of a greeting at the front, and the scramble of an AuthSwitchRequest. */
export function maskRandom(b: Buffer): Buffer {
  const out = Buffer.from(b);
  const g = greetingFields(out);
  if (g) {
    out.fill(0x2a, g.threadAt, g.threadAt + 12);
    const part2At = g.threadAt + 4 + 8 + 1 + 2 + 1 + 2 + 2 + 1 + 10;
    out.fill(0x2a, part2At, part2At + 12);
  }
  // AuthSwitchRequest (0xfe, plugin name, NUL, 20-byte scramble, NUL) anywhere in the answer.
  const sw = out.indexOf('\xfemysql_native_password\0', 0, 'latin1');
  if (sw >= 0) out.fill(0x2a, sw + 23, sw + 43);
  return out;
}

/** mysql_native_password: SHA1(pw) XOR SHA1(scramble + SHA1(SHA1(pw))). */
export function nativeToken(password: string, scramble: Buffer): Buffer {
  if (!password) return Buffer.alloc(0);
  const sha1 = (b: Buffer | string) => createHash('sha1').update(b).digest();
  const p1 = sha1(password);
  const p3 = sha1(Buffer.concat([scramble, sha1(p1)]));
  return Buffer.from(p1.map((x, i) => x ^ p3[i]!));
}

export const caps = {
  longPassword: 1,
  connectWithDb: 8,
  protocol41: 0x200,
  ssl: 0x800,
  transactions: 0x2000,
  secure: 0x8000,
  multiStatements: 0x10000,
  multiResults: 0x20000,
  pluginAuth: 0x80000,
  connectAttrs: 0x100000,
  lenencAuth: 0x200000,
} as const;

const base =
  caps.longPassword |
  caps.protocol41 |
  caps.transactions |
  caps.secure |
  caps.multiStatements |
  caps.multiResults |
  caps.pluginAuth |
  caps.lenencAuth;

const lenenc = (b: Buffer) => Buffer.concat([Buffer.from([b.length]), b]);

/** HandshakeResponse41 (seq 1, or 2 after an SSL request) with a native token for `password`. */
export function handshakeResponse(
  o: {
    user: string;
    password?: string;
    db?: string;
    plugin?: string;
    attrs?: Record<string, string>;
    auth?: Buffer;
    seq?: number;
  },
  greeting: Buffer,
): Buffer {
  const scramble = greetingFields(greeting)?.scramble ?? Buffer.alloc(20);
  const auth = o.auth ?? nativeToken(o.password ?? '', scramble);
  const attrs = o.attrs
    ? Buffer.concat(Object.entries(o.attrs).flatMap(([k, v]) => [lenenc(Buffer.from(k)), lenenc(Buffer.from(v))]))
    : null;
  const flags = base | (o.db ? caps.connectWithDb : 0) | (attrs ? caps.connectAttrs : 0);
  const head = Buffer.alloc(32);
  head.writeUInt32LE(flags, 0);
  head.writeUInt32LE(16 * 1024 * 1024, 4);
  head[8] = 45;
  const parts = [head, Buffer.from(`${o.user}\0`), lenenc(auth)];
  if (o.db) parts.push(Buffer.from(`${o.db}\0`));
  parts.push(Buffer.from(`${o.plugin ?? 'mysql_native_password'}\0`));
  if (attrs) parts.push(lenenc(attrs));
  return packet(o.seq ?? 1, Buffer.concat(parts));
}

/** The 32-byte SSL request: capabilities with CLIENT_SSL, and nothing after the filler. */
export function sslRequest(): Buffer {
  const head = Buffer.alloc(32);
  head.writeUInt32LE(base | caps.ssl, 0);
  head.writeUInt32LE(16 * 1024 * 1024, 4);
  head[8] = 45;
  return packet(1, head);
}

/** An answer to an AuthSwitchRequest to mysql_native_password: the token for its new scramble. */
export function switchAnswer(password: string, answer: Buffer): Buffer {
  const sw = answer.indexOf('\xfemysql_native_password\0', 0, 'latin1');
  const scramble = answer.subarray(sw + 23, sw + 43);
  return packet(answer[3]! + 1, nativeToken(password, scramble));
}

export const randomAuth = () => randomBytes(20);

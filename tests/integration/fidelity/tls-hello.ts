import { createHash, generateKeyPairSync, randomBytes } from 'node:crypto';
import net from 'node:net';

/**
 * One fixed ClientHello (OpenSSL 3.0 s_client's cipher and extension set) sent to a real server and
 * to ours, and the ServerHello it gets parsed by hand: Node's TLS client cannot show extension order.
 */
const u16 = (n: number) => Buffer.from([n >> 8, n & 0xff]);
const vec16 = (b: Buffer) => Buffer.concat([u16(b.length), b]);
const ext = (type: number, body: Buffer) => Buffer.concat([u16(type), vec16(body)]);
const hex = (s: string) => Buffer.from(s.replace(/\s/g, ''), 'hex');

const tls13Suites = hex('1302 1303 1301');
const tls12Suites = hex(
  'c02c c030 009f cca9 cca8 ccaa c02b c02f 009e c024 c028 006b c023 c027 0067 c00a c014 0039 c009 c013 0033 009d 009c 003d 003c 0035 002f 00ff',
);

export function clientHello(version: '1.2' | '1.3', sni: string, alpn: readonly string[]): Buffer {
  const name = Buffer.from(sni);
  const exts = [
    ext(0, vec16(Buffer.concat([Buffer.from([0]), vec16(name)]))),
    ext(11, hex('03 00 01 02')),
    ext(10, vec16(hex('001d 0017 001e 0019 0018'))),
    ext(35, Buffer.alloc(0)),
    ...(alpn.length
      ? [ext(16, vec16(Buffer.concat(alpn.map((p) => Buffer.concat([Buffer.from([p.length]), Buffer.from(p)])))))]
      : []),
    ext(5, hex('01 0000 0000')),
    ext(22, Buffer.alloc(0)),
    ext(23, Buffer.alloc(0)),
    ext(13, vec16(hex('0403 0503 0603 0807 0808 0804 0805 0806 0401 0501 0601'))),
  ];
  if (version === '1.3') {
    const jwk = generateKeyPairSync('x25519').publicKey.export({ format: 'jwk' });
    const pub = Buffer.from(String(jwk.x), 'base64url');
    exts.push(ext(43, hex('04 0304 0303')), ext(45, hex('01 01')));
    exts.push(ext(51, vec16(Buffer.concat([u16(0x1d), vec16(pub)]))));
  }
  const suites = version === '1.3' ? Buffer.concat([tls13Suites, tls12Suites]) : tls12Suites;
  const body = Buffer.concat([
    hex('0303'),
    randomBytes(32),
    Buffer.from([32]),
    randomBytes(32),
    vec16(suites),
    hex('01 00'),
    vec16(Buffer.concat(exts)),
  ]);
  const hs = Buffer.concat([Buffer.from([1, 0, body.length >> 8, body.length & 0xff]), body]);
  return Buffer.concat([hex('16 0301'), vec16(hs)]);
}

export type ServerHelloShape = Readonly<{
  version: number;
  cipher: number;
  compression: number;
  extensions: readonly number[];
  supportedVersion: number | null;
  keyShareGroup: number | null;
  alpn: string | null;
  /** TLS 1.2 only: the handshake messages after the ServerHello, in order (11 certificate, 12 key exchange, ...). */
  next12: readonly number[];
  ja3s: string;
}>;

/** Parses the ServerHello (and, for TLS 1.2, the types of the plaintext messages after it). */
export function parseServerHello(records: Buffer): ServerHelloShape {
  const hs: Buffer[] = [];
  for (let off = 0; off + 5 <= records.length;) {
    const len = records.readUInt16BE(off + 3);
    if (records[off] === 0x16) hs.push(records.subarray(off + 5, off + 5 + len));
    off += 5 + len;
  }
  const h = Buffer.concat(hs);
  if (h[0] !== 2) throw new Error(`no ServerHello: ${records.subarray(0, 16).toString('hex')}`);
  const shLen = h.readUIntBE(1, 3);
  const b = h.subarray(4, 4 + shLen);
  let p = 34;
  p += 1 + (b[p] ?? 0);
  const cipher = b.readUInt16BE(p);
  const compression = b[p + 2] ?? -1;
  p += 3;
  const end = p + 2 + b.readUInt16BE(p);
  p += 2;
  const extensions: number[] = [];
  let supportedVersion: number | null = null;
  let keyShareGroup: number | null = null;
  let alpn: string | null = null;
  while (p + 4 <= end) {
    const t = b.readUInt16BE(p);
    const l = b.readUInt16BE(p + 2);
    const v = b.subarray(p + 4, p + 4 + l);
    extensions.push(t);
    if (t === 43) supportedVersion = v.readUInt16BE(0);
    if (t === 51) keyShareGroup = v.readUInt16BE(0);
    if (t === 16) alpn = v.subarray(3, 3 + (v[2] ?? 0)).toString();
    p += 4 + l;
  }
  const next12: number[] = [];
  if (supportedVersion === null)
    for (let q = 4 + shLen; q + 4 <= h.length; q += 4 + h.readUIntBE(q + 1, 3)) next12.push(h[q] ?? -1);
  const version = b.readUInt16BE(0);
  const ja3s = createHash('md5')
    .update(`${version},${cipher},${extensions.join('-')}`)
    .digest('hex');
  return { version, cipher, compression, extensions, supportedVersion, keyShareGroup, alpn, next12, ja3s };
}

/**
 * Sends `hello` on a fresh connection (after `preamble` exchanges, e.g. STARTTLS) and collects what
 * comes back until the server's first flight ends (ServerHelloDone or, in TLS 1.3, the first
 * encrypted record) or 5 s pass.
 */
export function serverHello(
  host: string,
  port: number,
  hello: Buffer,
  preamble?: { send: string; until: RegExp },
): Promise<ShapeOrError> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = Buffer.alloc(0);
    let tlsStarted = !preamble;
    let sent = false;
    const done = (r: ShapeOrError) => {
      clearTimeout(timer);
      s.destroy();
      resolve(r);
    };
    const timer = setTimeout(() => done(tryParse(buf)), 5_000);
    const start = () => {
      tlsStarted = true;
      buf = Buffer.alloc(0);
      s.write(hello);
    };
    s.on('connect', () => (preamble ? undefined : start()));
    s.on('data', (d: Buffer) => {
      buf = Buffer.concat([buf, d]).subarray(0, 1 << 20);
      if (!tlsStarted && preamble) {
        const text = buf.toString('latin1');
        // The greeting first, then our command, then the server's go-ahead.
        if (!sent && text.includes('\n')) {
          sent = true;
          buf = Buffer.alloc(0);
          s.write(preamble.send);
        } else if (sent && preamble.until.test(text)) start();
        return;
      }
      const str = buf.toString('hex');
      // 0e000000: ServerHelloDone; a 0x17 record: TLS 1.3's encrypted flight has begun.
      if (str.includes('0e000000') || hasAppData(buf)) done(tryParse(buf));
    });
    s.on('error', (e) => done({ error: e.message }));
    s.on('close', () => done(tryParse(buf)));
  });
}

export type ShapeOrError = ServerHelloShape | { error: string };

function hasAppData(b: Buffer): boolean {
  for (let off = 0; off + 5 <= b.length; off += 5 + b.readUInt16BE(off + 3)) if (b[off] === 0x17) return true;
  return false;
}

function tryParse(b: Buffer): ShapeOrError {
  try {
    return parseServerHello(b);
  } catch (err) {
    return { error: String(err) };
  }
}

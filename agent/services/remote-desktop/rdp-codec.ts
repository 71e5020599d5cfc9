import { BerError, children, der, readInt, readTlv, tlv, type BerNode } from '../codecs/ber-codec';

/**
 * RDP connection sequence pieces (MS-RDPBCGR 2.2.1, MS-CSSP): the X.224 Connection Request with its
 * cookie and RDP_NEG_REQ, the Connection Confirm a Windows host answers, and CredSSP TSRequests.
 */
export const rdpProtocols = { rdp: 0, ssl: 1, hybrid: 2, rdstls: 4, hybridEx: 8 } as const;

export class RdpError extends Error {}

export type ConnectionRequest = Readonly<{
  cookie: string | null;
  routingToken: string | null;
  /** requestedProtocols, or null when the client sent no RDP_NEG_REQ (pre-Vista clients). */
  requestedProtocols: number | null;
  negFlags: number;
}>;

export function parseConnectionRequest(tpkt: Buffer): ConnectionRequest {
  if (tpkt.length < 11) throw new RdpError('truncated X.224 request');
  const li = tpkt.readUInt8(4);
  if ((tpkt.readUInt8(5) & 0xf0) !== 0xe0) throw new RdpError('not an X.224 Connection Request');
  if (li + 5 > tpkt.length || li < 6) throw new RdpError('bad X.224 length indicator');
  let rest = tpkt.subarray(11, 5 + li);
  let cookie: string | null = null;
  let routingToken: string | null = null;
  const crlf = rest.indexOf('\r\n');
  if (crlf >= 0 && crlf <= 256) {
    const line = rest.subarray(0, crlf).toString('latin1');
    const m = /^Cookie: mstshash=(.*)$/.exec(line);
    if (m) cookie = (m[1] ?? '').slice(0, 128);
    else routingToken = line.slice(0, 256);
    rest = rest.subarray(crlf + 2);
  }
  if (rest.length >= 8 && rest.readUInt8(0) === 0x01) {
    return { cookie, routingToken, negFlags: rest.readUInt8(1), requestedProtocols: rest.readUInt32LE(4) };
  }
  return { cookie, routingToken, negFlags: 0, requestedProtocols: null };
}

/** Names of the protocol bits, for captures (`["ssl", "hybrid"]`). */
export function protocolNames(p: number): string[] {
  if (p === 0) return ['rdp'];
  return Object.entries(rdpProtocols)
    .filter(([, bit]) => bit !== 0 && (p & bit) !== 0)
    .map(([n]) => n);
}

/**
 * The Connection Confirm. Windows 10 answers with source reference 0x1234 and flags 0x1f
 * (extended client data, GFX, restricted admin, redirected auth), which is exactly what nmap's
 * fingerprint expects.
 */
export function connectionConfirm(selected: number | null): Buffer {
  if (selected === null) return Buffer.from([3, 0, 0, 11, 6, 0xd0, 0, 0, 0x12, 0x34, 0]);
  const b = Buffer.from([3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 2, 0x1f, 8, 0, 0, 0, 0, 0]);
  b.writeUInt32LE(selected, 15);
  return b;
}

/** RDP_NEG_FAILURE, e.g. code 5 HYBRID_REQUIRED_BY_SERVER, 1 SSL_REQUIRED_BY_SERVER. */
export function negotiationFailure(code: number): Buffer {
  const b = Buffer.from([3, 0, 0, 19, 14, 0xd0, 0, 0, 0x12, 0x34, 0, 3, 0, 8, 0, 0, 0, 0, 0]);
  b.writeUInt32LE(code, 15);
  return b;
}

export type TsRequest = Readonly<{
  version: number;
  negoToken: Buffer | null;
  hasAuthInfo: boolean;
  hasPubKeyAuth: boolean;
}>;

export function parseTsRequest(buf: Buffer): TsRequest {
  const { node } = readTlv(buf);
  if (node.tag !== 0x30) throw new RdpError('TSRequest is not a SEQUENCE');
  let version = 0;
  let negoToken: Buffer | null = null;
  let hasAuthInfo = false;
  let hasPubKeyAuth = false;
  for (const f of children(node)) {
    const inner: BerNode | undefined = children(f)[0];
    if (!inner) continue;
    if (f.tag === 0xa0) version = readInt(inner);
    else if (f.tag === 0xa1) {
      const first = children(inner)[0];
      const tokenField = first ? children(first)[0] : undefined;
      const token = tokenField ? children(tokenField)[0] : undefined;
      if (token?.tag === 0x04) negoToken = token.value;
    } else if (f.tag === 0xa2) hasAuthInfo = true;
    else if (f.tag === 0xa3) hasPubKeyAuth = true;
  }
  return { version, negoToken, hasAuthInfo, hasPubKeyAuth };
}

export function tsRequest(version: number, opts: { negoToken?: Buffer; errorCode?: number }): Buffer {
  const parts = [der.ctx(0, der.int(version))];
  if (opts.negoToken) parts.push(der.ctx(1, der.seq(der.seq(der.ctx(0, der.octets(opts.negoToken))))));
  if (opts.errorCode !== undefined) {
    // NTSTATUS as Windows encodes it: four bytes, two's complement (0xC000006D is negative).
    const code = Buffer.alloc(4);
    code.writeUInt32BE(opts.errorCode >>> 0);
    parts.push(der.ctx(4, tlv(0x02, code)));
  }
  return der.seq(...parts);
}

/** Total length of the DER element at the start of `buf`, or null when its header is incomplete. */
export function derLength(buf: Buffer): number | null {
  if (buf.length < 2) return null;
  const first = buf.readUInt8(1);
  if (!(first & 0x80)) return 2 + first;
  const n = first & 0x7f;
  if (n === 0 || n > 4) throw new BerError('unsupported length encoding');
  if (buf.length < 2 + n) return null;
  let len = 0;
  for (let i = 0; i < n; i++) len = len * 256 + buf.readUInt8(2 + i);
  return 2 + n + len;
}

/** clientName from the CS_CORE block of an MCS Connect Initial (best effort; '' when absent). */
export function mcsClientName(tpkt: Buffer): string {
  const at = tpkt.indexOf(Buffer.from([0x01, 0xc0]));
  if (at < 0 || at + 24 + 32 > tpkt.length) return '';
  return tpkt
    .subarray(at + 24, at + 56)
    .toString('utf16le')
    .replace(/\0.*$/s, '')
    .slice(0, 32);
}

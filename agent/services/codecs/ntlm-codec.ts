/**
 * NTLMSSP (MS-NLMP) as a server sees it, shared by SMB and RDP/CredSSP: parse NEGOTIATE and
 * AUTHENTICATE, build a CHALLENGE naming the persona's host and domain. The AUTHENTICATE's NTLMv2
 * response is kept whole so that an analyst can crack it offline (hashcat mode 5600).
 */
const SIGNATURE = Buffer.from('NTLMSSP\0', 'latin1');

export const ntlmFlags = {
  unicode: 0x00000001,
  oem: 0x00000002,
  requestTarget: 0x00000004,
  sign: 0x00000010,
  seal: 0x00000020,
  ntlm: 0x00000200,
  oemDomainSupplied: 0x00001000,
  oemWorkstationSupplied: 0x00002000,
  alwaysSign: 0x00008000,
  targetTypeDomain: 0x00010000,
  targetTypeServer: 0x00020000,
  extendedSessionSecurity: 0x00080000,
  targetInfo: 0x00800000,
  version: 0x02000000,
  n128: 0x20000000,
  keyExchange: 0x40000000,
  n56: 0x80000000,
} as const;

/** Flags a Windows server offers; the answer is these ANDed with what the client asked for. */
const serverFlags =
  ntlmFlags.unicode |
  ntlmFlags.requestTarget |
  ntlmFlags.sign |
  ntlmFlags.seal |
  ntlmFlags.ntlm |
  ntlmFlags.alwaysSign |
  ntlmFlags.extendedSessionSecurity |
  ntlmFlags.version |
  ntlmFlags.n128 |
  ntlmFlags.keyExchange |
  ntlmFlags.n56;

export type NtlmMessage =
  | { type: 1; flags: number; domain: string; workstation: string }
  | {
      type: 3;
      flags: number;
      domain: string;
      username: string;
      workstation: string;
      lmResponse: Buffer;
      ntResponse: Buffer;
    };

export class NtlmError extends Error {}

function field(msg: Buffer, at: number, max = 4096): Buffer {
  if (at + 8 > msg.length) throw new NtlmError('truncated field header');
  const len = msg.readUInt16LE(at);
  const off = msg.readUInt32LE(at + 4);
  if (len === 0) return Buffer.alloc(0);
  if (len > max || off + len > msg.length) throw new NtlmError('field outside the message');
  return msg.subarray(off, off + len);
}

function text(b: Buffer, unicode: boolean): string {
  return (unicode ? b.toString('utf16le') : b.toString('latin1')).slice(0, 256);
}

/** Finds an NTLMSSP message inside `buf` (SPNEGO wraps it; the signature marks where it starts). */
export function findNtlm(buf: Buffer): Buffer | null {
  const at = buf.indexOf(SIGNATURE);
  return at < 0 ? null : buf.subarray(at);
}

export function parseNtlm(msg: Buffer): NtlmMessage {
  if (msg.length < 16 || !msg.subarray(0, 8).equals(SIGNATURE)) throw new NtlmError('not an NTLMSSP message');
  const type = msg.readUInt32LE(8);
  if (type === 1) {
    const flags = msg.readUInt32LE(12);
    const hasFields = msg.length >= 32;
    return {
      type,
      flags,
      domain: hasFields && flags & ntlmFlags.oemDomainSupplied ? text(field(msg, 16), false) : '',
      workstation: hasFields && flags & ntlmFlags.oemWorkstationSupplied ? text(field(msg, 24), false) : '',
    };
  }
  if (type === 3) {
    if (msg.length < 64) throw new NtlmError('truncated AUTHENTICATE');
    const flags = msg.readUInt32LE(60);
    const unicode = (flags & ntlmFlags.unicode) !== 0;
    return {
      type,
      flags,
      lmResponse: field(msg, 12),
      ntResponse: field(msg, 20),
      domain: text(field(msg, 28, 512), unicode),
      username: text(field(msg, 36, 512), unicode),
      workstation: text(field(msg, 44, 512), unicode),
    };
  }
  throw new NtlmError(`unexpected NTLMSSP message type ${type}`);
}

export type NtlmIdentity = Readonly<{
  /** NetBIOS computer name, upper case. */
  computer: string;
  /** NetBIOS domain (the computer name again on a workgroup machine). */
  domain: string;
  dnsComputer: string;
  dnsDomain: string;
  /** Windows version for the VERSION field: major, minor, build. */
  version: readonly [number, number, number];
}>;

/** Persona `domain` (`CORP` or `corp.example.com`, empty for a workgroup) → NetBIOS and DNS names. */
export function ntlmIdentity(
  hostname: string,
  domainSetting: string,
  version: readonly [number, number, number],
): NtlmIdentity {
  const host = hostname.split('.')[0] ?? hostname;
  const computer = host.toUpperCase().slice(0, 15);
  const d = domainSetting.trim();
  if (d === '' || /^workgroup$/i.test(d)) {
    return { computer, domain: computer, dnsComputer: host.toLowerCase(), dnsDomain: host.toLowerCase(), version };
  }
  const dnsDomain = d.includes('.') ? d.toLowerCase() : `${d.toLowerCase()}.local`;
  const netbios = (d.includes('.') ? (d.split('.')[0] ?? d) : d).toUpperCase().slice(0, 15);
  return { computer, domain: netbios, dnsComputer: `${host.toLowerCase()}.${dnsDomain}`, dnsDomain, version };
}

function avPair(id: number, value: Buffer): Buffer {
  const h = Buffer.alloc(4);
  h.writeUInt16LE(id, 0);
  h.writeUInt16LE(value.length, 2);
  return Buffer.concat([h, value]);
}

/** FILETIME (100 ns ticks since 1601) for the MsvAvTimestamp pair. */
function fileTime(ms: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE((BigInt(ms) + 11_644_473_600_000n) * 10_000n);
  return b;
}

/**
 * `challenge` is the 8-byte server challenge. Windows draws a fresh one for every authentication;
 * a fixed one per host is a tell and would let precomputed (rainbow) tables crack captured hashes.
 */
export function buildChallenge(id: NtlmIdentity, clientFlags: number, challenge: Buffer, now = Date.now()): Buffer {
  const workgroup = id.domain === id.computer;
  const u = (s: string) => Buffer.from(s, 'utf16le');
  const targetName = u(id.domain);
  const info = Buffer.concat([
    avPair(2, u(id.domain)),
    avPair(1, u(id.computer)),
    avPair(4, u(id.dnsDomain)),
    avPair(3, u(id.dnsComputer)),
    ...(workgroup ? [] : [avPair(5, u(id.dnsDomain))]),
    avPair(7, fileTime(now)),
    avPair(0, Buffer.alloc(0)),
  ]);
  const flags =
    ((clientFlags || serverFlags) & serverFlags) |
    ntlmFlags.unicode |
    ntlmFlags.ntlm |
    ntlmFlags.targetInfo |
    ntlmFlags.version |
    (workgroup ? ntlmFlags.targetTypeServer : ntlmFlags.targetTypeDomain);
  const head = Buffer.alloc(56);
  SIGNATURE.copy(head, 0);
  head.writeUInt32LE(2, 8);
  head.writeUInt16LE(targetName.length, 12);
  head.writeUInt16LE(targetName.length, 14);
  head.writeUInt32LE(56, 16);
  head.writeUInt32LE(flags >>> 0, 20);
  challenge.copy(head, 24, 0, 8);
  head.writeUInt16LE(info.length, 40);
  head.writeUInt16LE(info.length, 42);
  head.writeUInt32LE(56 + targetName.length, 44);
  head.writeUInt8(id.version[0], 48);
  head.writeUInt8(id.version[1], 49);
  head.writeUInt16LE(id.version[2], 50);
  head.writeUInt8(15, 55); // NTLMSSP_REVISION_W2K3
  return Buffer.concat([head, targetName, info]);
}

/**
 * What an analyst keeps from an AUTHENTICATE: names, the response kind and, for NTLMv2/v1, the
 * hashcat line (`user::domain:challenge:ntproof:blob`, mode 5600; v1 is mode 5500).
 */
export function describeAuthenticate(m: Extract<NtlmMessage, { type: 3 }>, challenge: Buffer): Record<string, unknown> {
  const anonymous = m.username === '' && m.ntResponse.length <= 1;
  const base = { username: m.username, domain: m.domain, workstation: m.workstation, anonymous };
  const ch = challenge.subarray(0, 8).toString('hex');
  if (m.ntResponse.length > 24) {
    const nt = m.ntResponse.subarray(0, 2048);
    return {
      ...base,
      ntlmVersion: 'NTLMv2',
      ntlmv2Response: nt.toString('hex'),
      hashcat: `${m.username}::${m.domain}:${ch}:${nt.subarray(0, 16).toString('hex')}:${nt.subarray(16).toString('hex')}`,
    };
  }
  if (m.ntResponse.length === 24) {
    return {
      ...base,
      ntlmVersion: 'NTLMv1',
      ntResponse: m.ntResponse.toString('hex'),
      lmResponse: m.lmResponse.subarray(0, 24).toString('hex'),
      hashcat: `${m.username}::${m.domain}:${m.lmResponse.subarray(0, 24).toString('hex')}:${m.ntResponse.toString('hex')}:${ch}`,
    };
  }
  return base;
}

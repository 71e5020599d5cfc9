import { createHash, X509Certificate } from 'node:crypto';
import {
  checkServerIdentity as defaultCheckServerIdentity,
  type ConnectionOptions,
  type PeerCertificate,
  type TLSSocket,
  type TlsOptions,
} from 'node:tls';
import { AppError } from '../errors';

/** Who a certificate speaks for; carried as the URI SAN `urn:decnet:role:<role>`. */
export const roles = ['master', 'worker', 'swarm'] as const;
export type Role = (typeof roles)[number];

export const ROLE_URI_PREFIX = 'urn:decnet:role:';
export const HOST_URI_PREFIX = 'urn:decnet:host:';
export const TLS_MIN_VERSION = 'TLSv1.2';

/** A certificate, its key and the CA it chains to, all PEM. */
export type TlsIdentity = Readonly<{ caPem: string; certPem: string; keyPem: string }>;

/** What a peer certificate says about its holder. */
export type PeerIdentity = Readonly<{
  role: Role | null;
  hostUuid: string | null;
  fingerprint: string;
  cn: string | null;
}>;

/** The pinned certificate of `host` is not the one it presented: a security event, not a network error. */
export class FingerprintMismatchError extends AppError {
  readonly host: string;
  readonly expected: string;
  readonly actual: string;

  constructor(host: string, expected: string, actual: string) {
    super(
      'FINGERPRINT_MISMATCH',
      `certificate of ${host} does not match its pinned fingerprint (expected ${expected.slice(0, 16)}…, got ${actual.slice(0, 16) || 'none'}…)`,
      { host, expected, actual },
    );
    this.name = 'FingerprintMismatchError';
    this.host = host;
    this.expected = expected;
    this.actual = actual;
  }
}

/** SHA-256 of the certificate DER, lowercase hex: the pin stored on host records. */
export function fingerprintOfDer(der: Uint8Array): string {
  return createHash('sha256').update(der).digest('hex');
}

export function fingerprintOfPem(pem: string): string {
  return fingerprintOfDer(new X509Certificate(pem).raw);
}

/** Reads role, host uuid and CN out of a certificate (PEM or DER). */
export function certIdentity(cert: string | Uint8Array | X509Certificate): PeerIdentity {
  const x =
    cert instanceof X509Certificate ? cert : new X509Certificate(typeof cert === 'string' ? cert : Buffer.from(cert));
  const uris = sanEntries(x.subjectAltName)
    .filter(([kind]) => kind === 'URI')
    .map(([, v]) => v);
  const roleUri = uris.find((u) => u.startsWith(ROLE_URI_PREFIX))?.slice(ROLE_URI_PREFIX.length);
  const hostUri = uris.find((u) => u.startsWith(HOST_URI_PREFIX))?.slice(HOST_URI_PREFIX.length);
  const cn = /(?:^|\n)CN=([^\n]*)/.exec(x.subject)?.[1] ?? null;
  return {
    role: roles.find((r) => r === roleUri) ?? null,
    hostUuid: hostUri ?? null,
    fingerprint: fingerprintOfDer(x.raw),
    cn,
  };
}

/** `[kind, value]` pairs of a Node subjectAltName string ("DNS:a, IP Address:1.2.3.4, URI:urn:…"). */
export function sanEntries(san: string | undefined): Array<[string, string]> {
  if (!san) return [];
  return san.split(', ').flatMap((part) => {
    const i = part.indexOf(':');
    return i < 0 ? [] : [[part.slice(0, i), part.slice(i + 1).replace(/^"|"$/g, '')] as [string, string]];
  });
}

/** Identity of the peer on a TLS socket, or null when it presented no certificate. */
export function peerIdentity(socket: TLSSocket): PeerIdentity | null {
  const cert = socket.getPeerCertificate();
  if (!cert || !cert.raw) return null;
  return certIdentity(cert.raw);
}

/**
 * Server side: our CA only (never the system store), TLS 1.2 floor, client certificate always
 * requested. With `requireClientCert` false the handshake lets anyone in and each route decides.
 */
export function serverTlsOptions(opts: TlsIdentity & { requireClientCert: boolean }): TlsOptions {
  return {
    ca: [opts.caPem],
    cert: opts.certPem,
    key: opts.keyPem,
    minVersion: TLS_MIN_VERSION,
    requestCert: true,
    rejectUnauthorized: opts.requireClientCert,
  };
}

export type ClientTlsOptions = Readonly<{
  caPem: string;
  certPem?: string;
  keyPem?: string;
  /** Expected SHA-256 of the server certificate; checked in every handshake. */
  pin?: string;
  /** Also require the certificate's SANs to match the dialled name (tls.checkServerIdentity). */
  verifyHostname?: boolean;
  /** The server certificate must carry this role (a worker cert must not pass for the master). */
  requireRole?: Role;
  /** Names the server in errors. */
  peerName?: string;
}>;

/**
 * Client side: trusts our CA only and runs the pin, role and optional hostname checks inside the
 * handshake, so a wrong server is dropped before a request byte is written. Node calls
 * checkServerIdentity only after the chain verified against `ca`.
 */
export function clientTlsOptions(opts: ClientTlsOptions): ConnectionOptions {
  return {
    ca: [opts.caPem],
    ...(opts.certPem ? { cert: opts.certPem } : {}),
    ...(opts.keyPem ? { key: opts.keyPem } : {}),
    minVersion: TLS_MIN_VERSION,
    rejectUnauthorized: true,
    checkServerIdentity: (host: string, cert: PeerCertificate) => checkServer(opts, host, cert),
  };
}

function checkServer(opts: ClientTlsOptions, host: string, cert: PeerCertificate): Error | undefined {
  const name = opts.peerName ?? host;
  const actual = cert.raw ? fingerprintOfDer(cert.raw) : '';
  if (opts.pin !== undefined && actual !== opts.pin.toLowerCase())
    return new FingerprintMismatchError(name, opts.pin, actual);
  if (opts.verifyHostname) {
    const err = defaultCheckServerIdentity(host, cert);
    // A TLS verification failure, not a refusal by the peer: reported like any failed connection.
    if (err)
      return new AppError(
        'AGENT_UNREACHABLE',
        `certificate of ${name} does not name ${host}: ${err.message}`,
        undefined,
        { cause: err },
      );
  }
  if (opts.requireRole) {
    const role = cert.raw ? certIdentity(cert.raw).role : null;
    if (role !== opts.requireRole) {
      return new AppError(
        'FORBIDDEN',
        `certificate of ${name} has role ${role ?? 'none'}, expected ${opts.requireRole}`,
      );
    }
  }
  return undefined;
}

/** `DECNET_VERIFY_HOSTNAME` as a boolean; unset means off (the fingerprint pin is the real check). */
export function verifyHostnameFromEnv(env: NodeJS.ProcessEnv): boolean {
  return /^(1|true|yes|on)$/i.test(env['DECNET_VERIFY_HOSTNAME']?.trim() ?? '');
}

/** An origin for https to `address:port`, bracketing IPv6 literals. */
export function httpsOrigin(address: string, port: number): string {
  return `https://${address.includes(':') ? `[${address}]` : address}:${port}`;
}

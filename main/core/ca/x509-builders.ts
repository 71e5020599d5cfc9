import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createHash, randomBytes } from 'node:crypto';
import { isIP } from 'node:net';
import { EC_ALGORITHM, nodeCrypto, type CryptoKey, type CryptoKeyPair } from '../../../shared/node/pki';
import { HOST_URI_PREFIX, ROLE_URI_PREFIX, type Role } from '../../../shared/node/tls';

export const DAY_MS = 86_400_000;
/** Clocks of freshly installed workers drift; a certificate usable "now" must not be rejected as not yet valid. */
const BACKDATE_MS = 5 * 60_000;

export type SigningCa = Readonly<{ cert: x509.X509Certificate; key: CryptoKey }>;

export type LeafSpec = Readonly<{
  cn: string;
  role: Role;
  hostUuid?: string;
  /** DNS names and IP literals, classified here. */
  names: readonly string[];
  usages: ReadonlyArray<'serverAuth' | 'clientAuth'>;
  validityDays: number;
  now: Date;
}>;

/** Positive, non-zero 128-bit serial (leading bit clear so DER keeps it positive). */
function serialNumber(): string {
  const b = randomBytes(16);
  b[0] = ((b[0] ?? 0) & 0x7f) | 0x01;
  return b.toString('hex');
}

export async function createCaCertificate(
  keys: CryptoKeyPair,
  now: Date,
  validityDays: number,
): Promise<x509.X509Certificate> {
  return x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serialNumber(),
      name: 'CN=DECNET Root CA, O=DECNET',
      notBefore: new Date(now.getTime() - BACKDATE_MS),
      notAfter: new Date(now.getTime() + validityDays * DAY_MS),
      signingAlgorithm: EC_ALGORITHM,
      keys,
      extensions: [
        new x509.BasicConstraintsExtension(true, 0, true),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, nodeCrypto),
      ],
    },
    nodeCrypto,
  );
}

// The CA's authority key identifier is the same for every leaf: computed once per CA (it exports
// the CA key through WebCrypto, ~0.7 ms a leaf otherwise).
const authorityKeyIds = new WeakMap<SigningCa, Promise<x509.AuthorityKeyIdentifierExtension>>();
const authorityKeyIdOf = (ca: SigningCa) => {
  let aki = authorityKeyIds.get(ca);
  if (!aki) authorityKeyIds.set(ca, (aki = x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, nodeCrypto)));
  return aki;
};

/**
 * RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bits. For a P-256 key in
 * an SPKI that is its last 65 bytes (the uncompressed point), so no WebCrypto export is needed.
 */
function subjectKeyIdOfP256Spki(spki: Uint8Array): x509.SubjectKeyIdentifierExtension {
  return new x509.SubjectKeyIdentifierExtension(
    createHash('sha1')
      .update(spki.subarray(spki.length - 65))
      .digest('hex'),
  );
}

export async function issueLeaf(
  ca: SigningCa,
  publicKey: CryptoKey,
  spec: LeafSpec,
  /** The key's SPKI DER when the caller has it (a CSR's): the key identifier is then computed from it. */
  known: Readonly<{ spki?: Uint8Array }> = {},
): Promise<x509.X509Certificate> {
  const sans: x509.JsonGeneralName[] = [{ type: 'url', value: `${ROLE_URI_PREFIX}${spec.role}` }];
  if (spec.hostUuid) sans.push({ type: 'url', value: `${HOST_URI_PREFIX}${spec.hostUuid}` });
  for (const n of uniqueNames(spec.names)) sans.push({ type: isIP(n) ? 'ip' : 'dns', value: n });
  const eku = spec.usages.map((u) =>
    u === 'serverAuth' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
  );
  const extensions: x509.Extension[] = [
    new x509.BasicConstraintsExtension(false, undefined, true),
    new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
    new x509.ExtendedKeyUsageExtension(eku, false),
    await authorityKeyIdOf(ca),
    known.spki && isUncompressedP256(known.spki)
      ? subjectKeyIdOfP256Spki(known.spki)
      : await x509.SubjectKeyIdentifierExtension.create(publicKey, false, nodeCrypto),
    new x509.SubjectAlternativeNameExtension(sans, false),
  ];
  return x509.X509CertificateGenerator.create(
    {
      serialNumber: serialNumber(),
      subject: `CN=${spec.cn}, O=DECNET, OU=${spec.role}`,
      issuer: ca.cert.subject,
      notBefore: new Date(spec.now.getTime() - BACKDATE_MS),
      notAfter: new Date(spec.now.getTime() + spec.validityDays * DAY_MS),
      signingAlgorithm: EC_ALGORITHM,
      publicKey,
      signingKey: ca.key,
      extensions,
    },
    nodeCrypto,
  );
}

/** A P-256 SPKI with an uncompressed point: 91 bytes ending in 0x04 ‖ X ‖ Y. */
function isUncompressedP256(spki: Uint8Array): boolean {
  return spki.length === 91 && spki[spki.length - 65] === 0x04;
}

/** De-duplicates case-insensitively; IP literals are normalised by the SAN encoder. */
function uniqueNames(names: readonly string[]): string[] {
  const seen = new Set<string>();
  return names.filter((n) => {
    const k = n.toLowerCase();
    if (!n || seen.has(k)) return false;
    seen.add(k);
    return true;
  });
}

import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { AsnConvert } from '@peculiar/asn1-schema';
import * as asn1X509 from '@peculiar/asn1-x509';
import { createHash, KeyObject, randomBytes, sign } from 'node:crypto';
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

/** What the CA needs of itself for every leaf, derived once per CA. */
type LeafIssuer = Readonly<{
  issuer: asn1X509.Name;
  signingKey: KeyObject;
  /** Extensions every leaf of a usage set shares (basic constraints, key usage, EKU, AKI). */
  fixed: Map<string, asn1X509.Extension[]>;
  aki: Promise<asn1X509.Extension>;
}>;
const issuers = new WeakMap<SigningCa, LeafIssuer>();
const issuerOf = (ca: SigningCa): LeafIssuer => {
  let i = issuers.get(ca);
  if (!i) {
    i = {
      issuer: AsnConvert.parse(ca.cert.subjectName.toArrayBuffer(), asn1X509.Name),
      signingKey: KeyObject.from(ca.key),
      fixed: new Map(),
      // The CA's key identifier is the same for every leaf (computing it exports the CA key through
      // WebCrypto, ~0.7 ms a leaf otherwise).
      aki: x509.AuthorityKeyIdentifierExtension.create(ca.cert, false, nodeCrypto).then(asAsn),
    };
    issuers.set(ca, i);
  }
  return i;
};
const asAsn = (e: x509.Extension) => AsnConvert.parse(e.rawData, asn1X509.Extension);

/** RFC 5280 §4.2.1.2 method 1: SHA-1 of the subjectPublicKey BIT STRING's bits. */
function subjectKeyId(spki: Uint8Array): x509.SubjectKeyIdentifierExtension {
  const key = AsnConvert.parse(spki, asn1X509.SubjectPublicKeyInfo).subjectPublicKey;
  return new x509.SubjectKeyIdentifierExtension(createHash('sha1').update(Buffer.from(key)).digest('hex'));
}

export type IssuedLeaf = Readonly<{ der: Buffer; pem: string; notAfter: Date }>;

/**
 * A leaf certificate for the key in `spki` (SPKI DER), signed by `ca` with ECDSA P-256 / SHA-256.
 * Built from @peculiar/asn1-x509's structures and signed by Node's crypto directly: the
 * @peculiar/x509 generator converted keys through WebCrypto, signed asynchronously and parsed the
 * result back, ~3.8 ms a certificate, most of an enrollment's CA time (bench/pki.bench.ts).
 */
export async function issueLeaf(ca: SigningCa, spki: Uint8Array, spec: LeafSpec): Promise<IssuedLeaf> {
  const is = issuerOf(ca);
  const usageKey = spec.usages.join(',');
  let fixed = is.fixed.get(usageKey);
  if (!fixed) {
    const eku = spec.usages.map((u) =>
      u === 'serverAuth' ? x509.ExtendedKeyUsage.serverAuth : x509.ExtendedKeyUsage.clientAuth,
    );
    fixed = [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature, true),
      new x509.ExtendedKeyUsageExtension(eku, false),
    ].map(asAsn);
    is.fixed.set(usageKey, fixed);
  }
  const sans: x509.JsonGeneralName[] = [{ type: 'url', value: `${ROLE_URI_PREFIX}${spec.role}` }];
  if (spec.hostUuid) sans.push({ type: 'url', value: `${HOST_URI_PREFIX}${spec.hostUuid}` });
  for (const n of uniqueNames(spec.names)) sans.push({ type: isIP(n) ? 'ip' : 'dns', value: n });
  // X.509 times have whole seconds; the dates returned must be the ones encoded.
  const second = (ms: number) => new Date(Math.floor(ms / 1000) * 1000);
  const notAfter = second(spec.now.getTime() + spec.validityDays * DAY_MS);
  const algorithm = new asn1X509.AlgorithmIdentifier({ algorithm: ECDSA_WITH_SHA256 });
  const tbs = new asn1X509.TBSCertificate({
    version: asn1X509.Version.v3,
    serialNumber: serialBytes(),
    signature: algorithm,
    issuer: is.issuer,
    validity: new asn1X509.Validity({ notBefore: second(spec.now.getTime() - BACKDATE_MS), notAfter }),
    subject: AsnConvert.parse(new x509.Name(`CN=${spec.cn}, O=DECNET, OU=${spec.role}`).toArrayBuffer(), asn1X509.Name),
    subjectPublicKeyInfo: AsnConvert.parse(spki, asn1X509.SubjectPublicKeyInfo),
    extensions: new asn1X509.Extensions([
      ...fixed,
      await is.aki,
      asAsn(subjectKeyId(spki)),
      asAsn(new x509.SubjectAlternativeNameExtension(sans, false)),
    ]),
  });
  // ECDSA-Sig-Value DER is Node's default encoding and what X.509 carries.
  const signature = sign('sha256', Buffer.from(AsnConvert.serialize(tbs)), is.signingKey);
  const der = Buffer.from(
    AsnConvert.serialize(
      new asn1X509.Certificate({
        tbsCertificate: tbs,
        signatureAlgorithm: algorithm,
        signatureValue: new Uint8Array(signature).buffer,
      }),
    ),
  );
  const pem = `-----BEGIN CERTIFICATE-----\n${der.toString('base64').replace(/.{64}/g, '$&\n').replace(/\n?$/, '\n')}-----END CERTIFICATE-----\n`;
  return { der, pem, notAfter };
}

const ECDSA_WITH_SHA256 = '1.2.840.10045.4.3.2';

/** A positive, non-zero 128-bit serial as INTEGER content bytes. */
function serialBytes(): ArrayBuffer {
  return new Uint8Array(Buffer.from(serialNumber(), 'hex')).buffer;
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

// reflect-metadata must be evaluated before @peculiar/x509 (its tsyringe dependency throws otherwise).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createPrivateKey, createPublicKey, webcrypto, X509Certificate } from 'node:crypto';
import { AppError } from '../errors';

/** ECDSA P-256 with SHA-256 for every key and signature (cheap keygen, ~7 ms per issued certificate). */
export const EC_ALGORITHM = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' } as const;

/**
 * The WebCrypto provider handed to @peculiar/x509 explicitly, so no global is mutated. Typed as
 * x509's own parameter type because Node's and the DOM's Crypto declarations differ.
 */
// eslint-disable-next-line @typescript-eslint/no-unsafe-assignment -- x509 names the DOM `Crypto`, which is absent from Node-only projects
export const nodeCrypto = webcrypto as unknown as X509Crypto;
type X509Crypto = NonNullable<Parameters<typeof x509.Pkcs10CertificateRequestGenerator.create>[1]>;
export type CryptoKey = webcrypto.CryptoKey;
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

export function generateKeyPair(): Promise<CryptoKeyPair> {
  return webcrypto.subtle.generateKey(EC_ALGORITHM, true, ['sign', 'verify']);
}

export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  return x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', key), 'PRIVATE KEY');
}

export function importPrivateKeyPem(pem: string): Promise<CryptoKey> {
  const der = createPrivateKey(pem).export({ type: 'pkcs8', format: 'der' });
  return webcrypto.subtle.importKey('pkcs8', der, EC_ALGORITHM, false, ['sign']);
}

/** A PKCS#10 request for `cn`; the CA decides every SAN, so the request carries none. */
export async function createCsrPem(keys: CryptoKeyPair, cn: string): Promise<string> {
  const csr = await x509.Pkcs10CertificateRequestGenerator.create(
    { name: [{ CN: [cn] }], keys, signingAlgorithm: EC_ALGORITHM },
    nodeCrypto,
  );
  return csr.toString('pem');
}

/** A certificate given as PEM, or already parsed (each parse is ~0.2 ms; enrollment checks several). */
type CertInput = string | X509Certificate;
const parsed = (c: CertInput) => (typeof c === 'string' ? new X509Certificate(c) : c);

/** True when the private key PEM belongs to the certificate. */
export function keyMatchesCert(keyPem: string, cert: CertInput): boolean {
  const fromKey = createPublicKey(createPrivateKey(keyPem)).export({ type: 'spki', format: 'der' });
  const fromCert = parsed(cert).publicKey.export({ type: 'spki', format: 'der' });
  return fromKey.equals(fromCert);
}

/** True when `cert` was signed by `ca` (signature and issuer name; validity is checked by TLS). */
export function chainsTo(cert: CertInput, ca: CertInput): boolean {
  try {
    const c = parsed(cert);
    const issuer = parsed(ca);
    return c.checkIssued(issuer) && c.verify(issuer.publicKey);
  } catch {
    return false;
  }
}

/** Parses a PEM certificate or throws a one-line INVALID_INPUT naming `what`. */
export function parseCertPem(pem: string, what: string): X509Certificate {
  try {
    return new X509Certificate(pem);
  } catch (err) {
    throw new AppError('INVALID_INPUT', `${what} is not a valid PEM certificate`, undefined, { cause: err });
  }
}

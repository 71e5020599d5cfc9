import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { verify, webcrypto, X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '../../../shared/errors';
import { writeFileAtomic } from '../../../shared/node/atomic-file';
import { silentLogger, type Logger } from '../../../shared/node/logger';
import {
  chainsTo,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKeyPem,
  keyMatchesCert,
} from '../../../shared/node/pki';
import { fingerprintOfDer, fingerprintOfPem, sanEntries, type TlsIdentity } from '../../../shared/node/tls';
import { RELEASE_KEY_CONTEXT } from '../../../shared/protocol/updater-api';
import { createCaCertificate, DAY_MS, issueLeaf, type LeafSpec, type SigningCa } from './x509-builders';

export const CA_VALIDITY_DAYS = 3650;
export const LEAF_VALIDITY_DAYS = 730;
/** A stored master or swarm certificate this close to expiry is re-issued at start-up. */
const RENEW_BEFORE_DAYS = 30;

export type CaInfo = Readonly<{ fingerprint: string; expiresAt: Date; pem: string }>;
/** A certificate with its key; the key belongs to the holder, never to the CA. */
export type IssuedIdentity = TlsIdentity & Readonly<{ fingerprint: string; expiresAt: Date }>;
export type IssuedCert = Readonly<{ caPem: string; certPem: string; fingerprint: string; expiresAt: Date }>;
export type WorkerSubject = Readonly<{ hostUuid: string; name: string; addresses: readonly string[] }>;

export type CertificateAuthority = Readonly<{
  caInfo(): CaInfo;
  /** The master's client identity under `<dataDir>/ca/master/`, issued once and reused. */
  ensureMasterIdentity(): Promise<IssuedIdentity>;
  /** The swarm listener's server identity; re-issued when it does not cover `addresses`. */
  ensureSwarmServerCert(addresses: readonly string[]): Promise<IssuedIdentity>;
  /** Signs a worker's PKCS#10 request; only the public key is taken from it, the CA sets every name. */
  signWorkerCsr(csrPem: string, subject: WorkerSubject): Promise<IssuedCert>;
  /** Key pair + certificate for an offline bundle; the key is returned, never stored here. */
  issueWorkerBundleIdentity(subject: WorkerSubject): Promise<IssuedIdentity>;
  /**
   * Signs (ECDSA P-256, IEEE P1363) `RELEASE_KEY_CONTEXT` + a release key's SPKI DER, so an updater
   * that trusts only this CA trusts that key's release signatures too (design §6).
   */
  endorseReleaseKey(spkiDer: Uint8Array): Promise<Buffer>;
}>;

export type CaOptions = Readonly<{ dataDir: string; clock?: () => Date; log?: Logger }>;

/**
 * Opens the private CA under `<dataDir>/ca/`, creating it on first use. The CA key stays inside this
 * closure: callers get fingerprints, expiry dates and PEM certificates only.
 */
export async function openCertificateAuthority(opts: CaOptions): Promise<CertificateAuthority> {
  const clock = opts.clock ?? (() => new Date());
  const log = opts.log ?? silentLogger;
  const dir = join(opts.dataDir, 'ca');
  const ca = await loadOrCreateCa(dir, clock(), log);
  const caPem = ca.cert.toString('pem');
  const info: CaInfo = { fingerprint: fingerprintOfPem(caPem), expiresAt: ca.cert.notAfter, pem: caPem };
  // One in-flight issuance per stored identity, so concurrent callers share it instead of racing.
  const pending = new Map<string, Promise<IssuedIdentity>>();

  const issueWithNewKey = async (spec: Omit<LeafSpec, 'now' | 'validityDays'>): Promise<IssuedIdentity> => {
    const keys = await generateKeyPair();
    const spki = new Uint8Array(await webcrypto.subtle.exportKey('spki', keys.publicKey));
    const cert = await issueLeaf(ca, spki, { ...spec, now: clock(), validityDays: LEAF_VALIDITY_DAYS });
    return {
      caPem,
      certPem: cert.pem,
      keyPem: await exportPrivateKeyPem(keys.privateKey),
      fingerprint: fingerprintOfDer(cert.der),
      expiresAt: cert.notAfter,
    };
  };

  const ensureStored = (
    sub: string,
    base: string,
    spec: Omit<LeafSpec, 'now' | 'validityDays'>,
  ): Promise<IssuedIdentity> => {
    const key = `${sub}/${base}:${spec.names.join(',')}`;
    const inFlight = pending.get(key);
    if (inFlight) return inFlight;
    const job = (async () => {
      const certPath = join(dir, sub, `${base}.crt`);
      const keyPath = join(dir, sub, `${base}.key`);
      const stored = await readStored(certPath, keyPath);
      if (stored && isReusable(stored, caPem, spec.names, clock())) return { caPem, ...stored };
      const fresh = await issueWithNewKey(spec);
      await mkdir(join(dir, sub), { recursive: true, mode: 0o700 });
      await writeFileAtomic(keyPath, fresh.keyPem, 0o600);
      await writeFileAtomic(certPath, fresh.certPem, 0o644);
      log.info('issued certificate', { role: spec.role, cn: spec.cn, fingerprint: fresh.fingerprint });
      return fresh;
    })().finally(() => pending.delete(key));
    pending.set(key, job);
    return job;
  };

  return {
    caInfo: () => info,
    ensureMasterIdentity: () =>
      ensureStored('master', 'master', {
        cn: 'decnet-master',
        role: 'master',
        names: ['decnet-master'],
        usages: ['clientAuth'],
      }),
    ensureSwarmServerCert: (addresses) =>
      ensureStored('swarm', 'swarm', {
        cn: 'decnet-swarm',
        role: 'swarm',
        names: [...addresses],
        usages: ['serverAuth'],
      }),
    async signWorkerCsr(csrPem, subject) {
      const spki = csrPublicKey(csrPem);
      const cert = await issueLeaf(ca, spki, {
        ...workerSpec(subject),
        now: clock(),
        validityDays: LEAF_VALIDITY_DAYS,
      });
      return { caPem, certPem: cert.pem, fingerprint: fingerprintOfDer(cert.der), expiresAt: cert.notAfter };
    },
    issueWorkerBundleIdentity: (subject) => issueWithNewKey(workerSpec(subject)),
    async endorseReleaseKey(spkiDer) {
      const data = Buffer.concat([Buffer.from(RELEASE_KEY_CONTEXT, 'utf8'), spkiDer]);
      return Buffer.from(await webcrypto.subtle.sign({ name: 'ECDSA', hash: 'SHA-256' }, ca.key, data));
    },
  };
}

function workerSpec(s: WorkerSubject): Omit<LeafSpec, 'now' | 'validityDays'> {
  return {
    cn: s.name,
    role: 'worker',
    hostUuid: s.hostUuid,
    names: [s.name, ...s.addresses],
    usages: ['serverAuth', 'clientAuth'],
  };
}

async function loadOrCreateCa(dir: string, now: Date, log: Logger): Promise<SigningCa> {
  const keyPath = join(dir, 'ca.key');
  const certPath = join(dir, 'ca.crt');
  const certPem = await readIfExists(certPath);
  // The certificate is written last, so a missing ca.crt means no certificate was ever issued.
  if (certPem !== null) {
    const keyPem = await readIfExists(keyPath);
    if (keyPem === null)
      throw new AppError('INTERNAL', `CA certificate ${certPath} exists but its key ca.key is missing`);
    if (!keyMatchesCert(keyPem, certPem))
      throw new AppError('INTERNAL', `CA key ${keyPath} does not match ${certPath}`);
    return { cert: new x509.X509Certificate(certPem), key: await importPrivateKeyPem(keyPem) };
  }
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  const keys = await generateKeyPair();
  const cert = await createCaCertificate(keys, now, CA_VALIDITY_DAYS);
  await writeFileAtomic(keyPath, await exportPrivateKeyPem(keys.privateKey), 0o600);
  await writeFileAtomic(certPath, cert.toString('pem'), 0o644);
  log.info('created DECNET CA', { fingerprint: fingerprintOfPem(cert.toString('pem')) });
  return { cert, key: keys.privateKey };
}

async function readIfExists(path: string): Promise<string | null> {
  try {
    return await readFile(path, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw new AppError('INTERNAL', `cannot read ${path}: ${(err as Error).message}`, undefined, { cause: err });
  }
}

type Stored = { certPem: string; keyPem: string; fingerprint: string; expiresAt: Date };

async function readStored(certPath: string, keyPath: string): Promise<Stored | null> {
  const [certPem, keyPem] = await Promise.all([readIfExists(certPath), readIfExists(keyPath)]);
  if (certPem === null || keyPem === null) return null;
  try {
    const cert = new X509Certificate(certPem);
    return { certPem, keyPem, fingerprint: fingerprintOfPem(certPem), expiresAt: new Date(cert.validTo) };
  } catch {
    return null;
  }
}

/** Reused only when signed by the current CA, matching its key, far from expiry and naming every address. */
function isReusable(s: Stored, caPem: string, names: readonly string[], now: Date): boolean {
  if (!chainsTo(s.certPem, caPem) || !keyMatchesCert(s.keyPem, s.certPem)) return false;
  if (s.expiresAt.getTime() - now.getTime() < RENEW_BEFORE_DAYS * DAY_MS) return false;
  const cert = new X509Certificate(s.certPem);
  if (new Date(cert.validFrom).getTime() > now.getTime()) return false;
  const have = new Set(sanEntries(cert.subjectAltName).map(([, v]) => v.toLowerCase()));
  return names.every((n) => have.has(n.toLowerCase()));
}

/** Public key of a verified P-256 CSR; anything else is INVALID_INPUT. */
/**
 * The CSR's public key (SPKI DER) after checking it is P-256 and that the CSR is signed by it. The
 * signature is checked by Node's native crypto from the CSR's own bytes: @peculiar's
 * `verify()` and `export()` convert the key through WebCrypto twice, which was a third of the
 * CA's time per enrollment (bench/pki.bench.ts).
 */
function csrPublicKey(csrPem: string): Buffer {
  let csr: x509.Pkcs10CertificateRequest;
  try {
    csr = new x509.Pkcs10CertificateRequest(csrPem);
  } catch (err) {
    throw new AppError('INVALID_INPUT', 'certificate request is not a valid PKCS#10 PEM', undefined, { cause: err });
  }
  const alg = csr.publicKey.algorithm as { name: string; namedCurve?: string };
  if (alg.name !== 'ECDSA' || alg.namedCurve !== 'P-256') {
    throw new AppError(
      'INVALID_INPUT',
      `certificate request key must be ECDSA P-256, got ${alg.name} ${alg.namedCurve ?? ''}`.trim(),
    );
  }
  const sigAlg = csr.signatureAlgorithm as { name: string; hash?: { name: string } };
  const spki = Buffer.from(csr.publicKey.rawData);
  let ok = false;
  try {
    // An ECDSA signature in a CSR is the DER SEQUENCE { r, s }, Node's default dsaEncoding.
    ok =
      sigAlg.name === 'ECDSA' &&
      sigAlg.hash?.name === 'SHA-256' &&
      verify(
        'sha256',
        signedPart(Buffer.from(csr.rawData)),
        { key: spki, format: 'der', type: 'spki' },
        Buffer.from(csr.signature),
      );
  } catch {
    ok = false;
  }
  if (!ok) throw new AppError('INVALID_INPUT', 'certificate request signature does not verify');
  return spki;
}

/**
 * The signed part of a PKCS#10 request: the first element (CertificationRequestInfo) of its outer
 * DER SEQUENCE, as bytes. @peculiar/x509 already parsed the request; it keeps these bytes private.
 */
function signedPart(der: Buffer): Buffer {
  const tlv = (at: number): { start: number; end: number; body: number } => {
    const first = der[at + 1] ?? 0;
    const n = first & 0x80 ? first & 0x7f : 0;
    if (n > 3 || at + 2 + n > der.length) throw new Error('bad DER length');
    const len = n === 0 ? first : der.readUIntBE(at + 2, n);
    const body = at + 2 + n;
    if (body + len > der.length) throw new Error('DER element runs past the end');
    return { start: at, end: body + len, body };
  };
  if (der[0] !== 0x30) throw new Error('not a DER SEQUENCE');
  const inner = tlv(tlv(0).body);
  return der.subarray(inner.start, inner.end);
}

// reflect-metadata must be evaluated before @peculiar/x509 (its tsyringe dependency throws otherwise).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { constants, createHash, randomBytes, randomInt, webcrypto, X509Certificate } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import tls from 'node:tls';
import { writeFileAtomic } from '../../../shared/node/atomic-file';
import { nodeCrypto } from '../../../shared/node/pki';
import { deckyHostname } from './persona';
import type { ServiceContext } from './types';

export type PersonaCert = Readonly<{ key: string; cert: string }>;

/**
 * RSA-2048 / SHA-256 like Debian's ssl-cert "snakeoil" certificate, the self-signed pair a freshly
 * installed Postfix, Dovecot or Apache uses: an EC or freshly minted cert would stand out.
 */
const rsa = {
  name: 'RSASSA-PKCS1-v1_5',
  hash: 'SHA-256',
  publicExponent: new Uint8Array([1, 0, 1]),
  modulusLength: 2048,
} as const;
const dayMs = 86_400_000;

/** Names in a DN must not smuggle separators; the persona is analyst input but stays tidy. */
function safeCn(cn: string): string {
  const cleaned = cn.replace(/[^A-Za-z0-9.*-]/g, '').slice(0, 64);
  return cleaned || 'localhost';
}

/** One file pair per distinct spec: a CN or SAN change yields a new certificate, as a re-keyed host would. */
function fileBase(spec: CertSpec): string {
  const extra = [...(spec.dnsNames ?? []), ...(spec.ips ?? [])];
  const suffix = extra.length ? `-${createHash('sha256').update(extra.join(',')).digest('hex').slice(0, 8)}` : '';
  return `${safeCn(spec.cn)}${suffix}`;
}

export type CertSpec = Readonly<{
  cn: string;
  /** Extra subjectAltName DNS names (the CN is always the first one). */
  dnsNames?: readonly string[];
  ips?: readonly string[];
}>;

export async function createPersonaCert(spec: CertSpec, now = Date.now()): Promise<PersonaCert> {
  const name = safeCn(spec.cn);
  const altNames: x509.JsonGeneralName[] = [name, ...(spec.dnsNames ?? []).map(safeCn)].map((value) => ({
    type: 'dns',
    value,
  }));
  for (const ip of spec.ips ?? []) altNames.push({ type: 'ip', value: ip });
  const keys = await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify']);
  // Backdated by weeks to months: a certificate issued the minute the decky came up is a tell.
  const notBefore = new Date(now - randomInt(20, 400) * dayMs);
  // OpenSSL's req -x509 draws a random 159-bit positive serial. The top byte stays in 1..0x7f: a
  // zero one would need a shorter (minimal DER) encoding, which the generator does not do for us.
  const serial = randomBytes(20);
  serial[0] = 1 + ((serial[0] ?? 0) % 0x7f);
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString('hex'),
      // OpenSSL's req writes the CN as a UTF8String (string_mask utf8only); x509 would pick PrintableString.
      name: [{ CN: [{ utf8String: name }] }] as unknown as x509.JsonName,
      notBefore,
      notAfter: new Date(notBefore.getTime() + 3650 * dayMs),
      signingAlgorithm: rsa,
      keys,
      // make-ssl-cert's v3_req section, in OpenSSL's order: basicConstraints CA:FALSE (not critical),
      // the SAN, then the subjectKeyIdentifier (SHA-1 of the key) that OpenSSL 3's req -x509 adds.
      extensions: [
        new x509.BasicConstraintsExtension(false, undefined, false),
        new x509.SubjectAlternativeNameExtension(altNames),
        await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, nodeCrypto),
      ],
    },
    nodeCrypto,
  );
  const key = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  return { key, cert: cert.toString('pem') };
}

/**
 * The decky's certificate for `cn`, generated once and kept in its data dir so that every TLS
 * service of the decky (and every restart) presents the same one. A changed CN makes a new pair.
 */
export async function loadOrCreatePersonaCert(dataDir: string, spec: CertSpec): Promise<PersonaCert> {
  const dir = join(dataDir, 'tls');
  const base = fileBase(spec);
  const keyPath = join(dir, `${base}.key`);
  const certPath = join(dir, `${base}.crt`);
  try {
    const [key, cert] = await Promise.all([readFile(keyPath, 'utf8'), readFile(certPath, 'utf8')]);
    new X509Certificate(cert);
    return { key, cert };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== undefined && !String(code).startsWith('ERR_')) throw err;
  }
  const pair = await createPersonaCert(spec);
  await writeFileAtomic(keyPath, pair.key, 0o600);
  await writeFileAtomic(certPath, pair.cert, 0o644);
  return pair;
}

/**
 * Concurrent services of one decky ask for the same certificate at start; one generation per
 * (dir, cn) keeps them from racing and presenting different certificates.
 */
const pending = new Map<string, Promise<PersonaCert>>();
export function personaCert(dataDir: string, spec: CertSpec): Promise<PersonaCert> {
  const k = `${dataDir}\0${fileBase(spec)}`;
  let p = pending.get(k);
  if (!p) {
    p = loadOrCreatePersonaCert(dataDir, spec).finally(() => pending.delete(k));
    pending.set(k, p);
  }
  return p;
}

/**
 * The decky's TLS context with its host name as CN: the one certificate every TLS port of the
 * decky presents (mail, the databases' in-band upgrades, LDAP StartTLS), as one host's
 * snakeoil pair would be.
 */
export async function deckySecureContext(ctx: Pick<ServiceContext, 'dataDir' | 'decky'>): Promise<tls.SecureContext> {
  const pair = await personaCert(ctx.dataDir, { cn: deckyHostname(ctx.decky) });
  return tls.createSecureContext({ key: pair.key, cert: pair.cert });
}

/**
 * Debian's apache2 mod_ssl defaults (ssl.conf): `SSLCipherSuite HIGH:!aNULL`, the client's cipher
 * preference (SSLHonorCipherOrder off) and `SSLSessionTickets off`; Node's defaults (its own cipher
 * order, tickets on) gave a TLS 1.2 ServerHello with another cipher and a session_ticket extension.
 * `SSLSessionCacheTimeout 300` is also the lifetime hint of its TLS 1.3 (stateful) tickets, where
 * Node's default said 7200; the cache itself is kit/tls-session-cache.ts (modSslSessionCache).
 */
export const apacheTlsOptions = {
  ciphers: 'HIGH:!aNULL',
  honorCipherOrder: false,
  secureOptions: constants.SSL_OP_NO_TICKET,
  sessionTimeout: 300,
} as const;

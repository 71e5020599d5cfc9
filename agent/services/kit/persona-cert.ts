// reflect-metadata must be evaluated before @peculiar/x509 (its tsyringe dependency throws otherwise).
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { webcrypto } from 'node:crypto';
import { writeFileAtomic } from '../../../shared/node/atomic-file';

export type PersonaCert = Readonly<{ certPem: string; keyPem: string }>;

const rsa = {
  name: 'RSASSA-PKCS1-v1_5',
  modulusLength: 2048,
  publicExponent: new Uint8Array([1, 0, 1]),
  hash: 'SHA-256',
} as const;

/**
 * A self-signed RSA certificate shaped like the one Windows makes for Remote Desktop (CN = the
 * machine's name, serverAuth, six months' validity, RSA 2048). Created once per decky and kept in
 * its data dir: a certificate that changed on every restart would itself be a tell.
 */
export async function loadOrCreatePersonaCert(dir: string, commonName: string, now = new Date()): Promise<PersonaCert> {
  const certPath = join(dir, 'cert.pem');
  const keyPath = join(dir, 'key.pem');
  try {
    const [certPem, keyPem] = await Promise.all([readFile(certPath, 'utf8'), readFile(keyPath, 'utf8')]);
    const cert = new x509.X509Certificate(certPem);
    if (cert.subject === `CN=${commonName}` && cert.notAfter > now) return { certPem, keyPem };
  } catch (err) {
    if (
      (err as NodeJS.ErrnoException).code !== 'ENOENT' &&
      !(err instanceof Error && /certificate|asn|pem/i.test(err.message))
    )
      throw err;
  }
  const keys = await webcrypto.subtle.generateKey(rsa, true, ['sign', 'verify']);
  // Windows backdates nothing and renews every six months; the serial is 16 random bytes.
  const serial = Buffer.from(webcrypto.getRandomValues(new Uint8Array(16)));
  serial[0] = (serial[0] ?? 0) & 0x7f;
  const cert = await x509.X509CertificateGenerator.createSelfSigned(
    {
      serialNumber: serial.toString('hex'),
      name: `CN=${commonName}`,
      notBefore: now,
      notAfter: new Date(now.getTime() + 182 * 86_400_000),
      keys,
      signingAlgorithm: rsa,
      extensions: [
        new x509.ExtendedKeyUsageExtension([x509.ExtendedKeyUsage.serverAuth]),
        new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyEncipherment | x509.KeyUsageFlags.dataEncipherment),
      ],
    },
    // Node's webcrypto type and the DOM Crypto type (tests' lib) differ only in overloads x509 never uses.
    // eslint-disable-next-line @typescript-eslint/no-unnecessary-type-assertion -- unnecessary only under the agent's lib
    webcrypto as unknown as Parameters<typeof x509.X509CertificateGenerator.createSelfSigned>[1],
  );
  const keyPem = x509.PemConverter.encode(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey), 'PRIVATE KEY');
  const certPem = cert.toString('pem');
  await writeFileAtomic(keyPath, keyPem, 0o600);
  await writeFileAtomic(certPath, certPem, 0o644);
  return { certPem, keyPem };
}

import { execFileSync } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { readFile, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openCertificateAuthority } from '../../../main/core/ca';
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';
import { createCsrPem, generateKeyPair, keyMatchesCert, nodeCrypto } from '../../../shared/node/pki';
import { certIdentity, fingerprintOfPem, sanEntries } from '../../../shared/node/tls';
import { makeTmpDir } from '../../helpers/tmp-dir';

const HOST = '0b6c1d2e-3f40-4152-8a63-748596a7b8c9';

function hasOpenssl(): boolean {
  try {
    execFileSync('openssl', ['version'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

describe('certificate authority', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => {
    tmp = await makeTmpDir('decnet-ca-');
  });
  afterEach(() => tmp.remove());

  it('creates the CA once (P-256, 10 years, key 0600) and loads the same one thereafter', async () => {
    const a = await openCertificateAuthority({ dataDir: tmp.dir });
    const b = await openCertificateAuthority({ dataDir: tmp.dir });
    expect(b.caInfo()).toEqual(a.caInfo());
    expect(a.caInfo().fingerprint).toBe(fingerprintOfPem(a.caInfo().pem));
    expect((await stat(join(tmp.dir, 'ca', 'ca.key'))).mode & 0o777).toBe(0o600);
    const cert = new X509Certificate(a.caInfo().pem);
    expect(cert.ca).toBe(true);
    expect(cert.publicKey.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    const years = (a.caInfo().expiresAt.getTime() - Date.now()) / (365 * 86_400_000);
    expect(years).toBeGreaterThan(9.9);
    expect(years).toBeLessThan(10.1);
    expect(Object.keys(a)).not.toContain('key');
  });

  it('refuses a CA key that does not match its certificate', async () => {
    await openCertificateAuthority({ dataDir: tmp.dir });
    const other = await makeTmpDir('decnet-ca-other-');
    await openCertificateAuthority({ dataDir: other.dir });
    await writeFile(join(tmp.dir, 'ca', 'ca.key'), await readFile(join(other.dir, 'ca', 'ca.key')));
    await other.remove();
    await expect(openCertificateAuthority({ dataDir: tmp.dir })).rejects.toMatchObject({
      code: 'INTERNAL',
      message: expect.stringMatching(/does not match/),
    });
  });

  it('issues the master identity once (CN decnet-master, role master, clientAuth) and reuses it', async () => {
    const ca = await openCertificateAuthority({ dataDir: tmp.dir });
    const [m1, m2] = await Promise.all([ca.ensureMasterIdentity(), ca.ensureMasterIdentity()]);
    expect(m2.fingerprint).toBe(m1.fingerprint);
    const reopened = await openCertificateAuthority({ dataDir: tmp.dir });
    expect((await reopened.ensureMasterIdentity()).fingerprint).toBe(m1.fingerprint);
    expect(certIdentity(m1.certPem)).toMatchObject({ role: 'master', cn: 'decnet-master', hostUuid: null });
    expect((await stat(join(tmp.dir, 'ca', 'master', 'master.key'))).mode & 0o777).toBe(0o600);
    expect(keyMatchesCert(m1.keyPem, m1.certPem)).toBe(true);
    expect(text(m1.certPem)).toMatch(/Extended Key Usage:\s*\n\s*TLS Web Client Authentication\n/);
  });

  it('signs a worker CSR with role, host uuid, names and both EKUs; the CSR subject is ignored', async () => {
    const ca = await openCertificateAuthority({ dataDir: tmp.dir });
    const keys = await generateKeyPair();
    const csr = await createCsrPem(keys, 'evil-master');
    const issued = await ca.signWorkerCsr(csr, { hostUuid: HOST, name: 'w1', addresses: ['10.0.0.5', 'w1.lan', 'w1'] });
    const cert = new X509Certificate(issued.certPem);
    expect(certIdentity(cert)).toMatchObject({
      role: 'worker',
      hostUuid: HOST,
      cn: 'w1',
      fingerprint: issued.fingerprint,
    });
    expect(sanEntries(cert.subjectAltName)).toEqual([
      ['URI', 'urn:decnet:role:worker'],
      ['URI', `urn:decnet:host:${HOST}`],
      ['DNS', 'w1'],
      ['IP Address', '10.0.0.5'],
      ['DNS', 'w1.lan'],
    ]);
    expect(text(issued.certPem)).toMatch(/TLS Web Server Authentication, TLS Web Client Authentication/);
    const days = (issued.expiresAt.getTime() - Date.now()) / 86_400_000;
    expect(days).toBeGreaterThan(720);
    expect(days).toBeLessThan(740);
    // Key identifiers as RFC 5280 method 1 (SHA-1 of the key bits), issued by our CA, chained to it.
    const x = new x509.X509Certificate(issued.certPem);
    const want = await x509.SubjectKeyIdentifierExtension.create(keys.publicKey, false, nodeCrypto);
    expect(x.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId).toBe(want.keyId);
    const caCert = new x509.X509Certificate(ca.caInfo().pem);
    expect(x.getExtension(x509.AuthorityKeyIdentifierExtension)?.keyId).toBe(
      caCert.getExtension(x509.SubjectKeyIdentifierExtension)?.keyId,
    );
    expect(await x.verify({ publicKey: caCert }, nodeCrypto)).toBe(true);
  });

  it('rejects a CSR that is garbage, tampered, or not P-256', async () => {
    const ca = await openCertificateAuthority({ dataDir: tmp.dir });
    const subject = { hostUuid: HOST, name: 'w1', addresses: [] };
    await expect(ca.signWorkerCsr('nope', subject)).rejects.toMatchObject({ code: 'INVALID_INPUT' });
    const rsa = execOpenssl(['req', '-new', '-newkey', 'rsa:2048', '-nodes', '-keyout', '/dev/null', '-subj', '/CN=x']);
    if (rsa)
      await expect(ca.signWorkerCsr(rsa, subject)).rejects.toMatchObject({
        code: 'INVALID_INPUT',
        message: expect.stringMatching(/P-256/),
      });
    const other = await createCsrPem(await generateKeyPair(), 'w1');
    const signed = await createCsrPem(await generateKeyPair(), 'w1');
    // Same structure, another key's public key: the signature no longer verifies.
    const spliced = spliceCsrKey(signed, other);
    await expect(ca.signWorkerCsr(spliced, subject)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'certificate request signature does not verify',
    });
    // One bit of the signature flipped.
    const der = Buffer.from(signed.replace(/-----[^-]+-----|\s/g, ''), 'base64');
    der[der.length - 3]! ^= 0x01;
    const flipped = `-----BEGIN CERTIFICATE REQUEST-----\n${der.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
    await expect(ca.signWorkerCsr(flipped, subject)).rejects.toMatchObject({
      code: 'INVALID_INPUT',
      message: 'certificate request signature does not verify',
    });
  });

  it('re-issues the swarm server certificate only when it does not cover the requested names', async () => {
    const ca = await openCertificateAuthority({ dataDir: tmp.dir });
    const a = await ca.ensureSwarmServerCert(['127.0.0.1', 'localhost']);
    expect((await ca.ensureSwarmServerCert(['localhost'])).fingerprint).toBe(a.fingerprint);
    const b = await ca.ensureSwarmServerCert(['127.0.0.1', 'master.lan']);
    expect(b.fingerprint).not.toBe(a.fingerprint);
    expect(certIdentity(b.certPem).role).toBe('swarm');
    expect(text(b.certPem)).toMatch(/Extended Key Usage:\s*\n\s*TLS Web Server Authentication\n/);
  });

  it('bundle identities carry a fresh key that is not stored by the CA', async () => {
    const ca = await openCertificateAuthority({ dataDir: tmp.dir });
    const id = await ca.issueWorkerBundleIdentity({ hostUuid: HOST, name: 'air', addresses: [] });
    expect(keyMatchesCert(id.keyPem, id.certPem)).toBe(true);
    const files = execFileSync('find', [tmp.dir, '-type', 'f']).toString();
    for (const f of files.trim().split('\n')) expect(await readFile(f, 'utf8')).not.toContain(id.keyPem.split('\n')[1]);
  });

  it.skipIf(!hasOpenssl())('every certificate it issues passes openssl verify against ca.crt', async () => {
    const ca = await openCertificateAuthority({ dataDir: tmp.dir });
    const certs = [
      (await ca.ensureMasterIdentity()).certPem,
      (await ca.ensureSwarmServerCert(['127.0.0.1'])).certPem,
      (
        await ca.signWorkerCsr(await createCsrPem(await generateKeyPair(), 'w'), {
          hostUuid: HOST,
          name: 'w',
          addresses: ['127.0.0.1'],
        })
      ).certPem,
      (await ca.issueWorkerBundleIdentity({ hostUuid: HOST, name: 'b', addresses: [] })).certPem,
    ];
    const paths = await Promise.all(
      certs.map(async (pem, i) => (await writeFile(join(tmp.dir, `c${i}.pem`), pem), join(tmp.dir, `c${i}.pem`))),
    );
    const out = execFileSync('openssl', ['verify', '-CAfile', join(tmp.dir, 'ca', 'ca.crt'), ...paths]).toString();
    expect(out.trim().split('\n')).toEqual(paths.map((p) => `${p}: OK`));
    const rogue = await makeTmpDir('decnet-ca-rogue-');
    const r = await openCertificateAuthority({ dataDir: rogue.dir });
    await writeFile(join(tmp.dir, 'rogue.pem'), (await r.ensureMasterIdentity()).certPem);
    await rogue.remove();
    expect(() =>
      execFileSync('openssl', ['verify', '-CAfile', join(tmp.dir, 'ca', 'ca.crt'), join(tmp.dir, 'rogue.pem')], {
        stdio: 'pipe',
      }),
    ).toThrow();
  });
});

function text(pem: string): string {
  return execOpenssl(['x509', '-noout', '-text'], pem) ?? '';
}

function execOpenssl(args: string[], input?: string): string | null {
  try {
    return execFileSync('openssl', args, { input, stdio: ['pipe', 'pipe', 'ignore'] }).toString();
  } catch {
    return null;
  }
}

/** Replaces the public key inside `csrPem` with the one of `donorPem` (both P-256, same DER layout). */
function spliceCsrKey(csrPem: string, donorPem: string): string {
  const der = (p: string) => Buffer.from(p.replace(/-----[^-]+-----|\s/g, ''), 'base64');
  const target = der(csrPem);
  const donor = der(donorPem);
  const point = (b: Buffer) => b.indexOf(Buffer.from([0x03, 0x42, 0x00, 0x04]));
  donor.copy(target, point(target), point(donor), point(donor) + 68);
  return `-----BEGIN CERTIFICATE REQUEST-----\n${target.toString('base64')}\n-----END CERTIFICATE REQUEST-----\n`;
}

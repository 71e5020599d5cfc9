import { existsSync } from 'node:fs';
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { startDaemon } from './real-daemon';
import { selfSignedCert } from './self-signed';
import { run } from '../services/service-harness';

export const slapdPath = '/usr/sbin/slapd';
const initLdif = '/usr/share/slapd/slapd.init.ldif';
export const haveSlapd = existsSync(slapdPath) && existsSync('/usr/sbin/slapadd') && existsSync(initLdif);

/**
 * Debian 12's slapd 2.5 configured as its postinst does (slapd.init.ldif with the suffix filled in,
 * then the suffix entry: top/dcObject/organization, o = the domain), in a private cn=config and
 * mdb directory, listening on `ldap://ip:389/` only. Two additions stand in for the machine a
 * decky poses as: a throwaway TLS certificate (so StartTLS works, as ours offers it) and
 * olcSaslHost = `fqdn` (Cyrus otherwise names this build machine in its SASL challenges).
 */
export async function startRealSlapd(
  dir: string,
  ip: string,
  fqdn: string,
): Promise<{ stop: () => Promise<void>; stderr: () => string }> {
  const domain = fqdn.slice(fqdn.indexOf('.') + 1);
  const suffix = domain
    .split('.')
    .map((p) => `dc=${p}`)
    .join(',');
  for (const d of ['slapd.d', 'db', 'run']) await mkdir(join(dir, d), { recursive: true });
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  await selfSignedCert(cert, key, fqdn);
  const ldif = (await readFile(initLdif, 'utf8'))
    .replaceAll('@SUFFIX@', suffix)
    .replaceAll('@PASSWORD@', `{SSHA}unused-${process.pid}`)
    .replaceAll('/var/run/slapd', join(dir, 'run'))
    .replaceAll('/var/lib/ldap', join(dir, 'db'))
    .replace(
      'olcToolThreads: 1',
      `olcToolThreads: 1\nolcSaslHost: ${fqdn}\nolcTLSCertificateFile: ${cert}\nolcTLSCertificateKeyFile: ${key}`,
    );
  await writeFile(join(dir, 'init.ldif'), ldif);
  const dc = domain.split('.')[0]!;
  await writeFile(
    join(dir, 'base.ldif'),
    `dn: ${suffix}\nobjectClass: top\nobjectClass: dcObject\nobjectClass: organization\no: ${domain}\ndc: ${dc}\n\n`,
  );
  for (const args of [
    ['-n0', '-F', join(dir, 'slapd.d'), '-l', join(dir, 'init.ldif')],
    ['-F', join(dir, 'slapd.d'), '-b', suffix, '-l', join(dir, 'base.ldif')],
  ]) {
    const r = await run('/usr/sbin/slapadd', args);
    if (r.code !== 0) throw new Error(`slapadd ${args.join(' ')}: ${r.stderr}`);
  }
  // -d 0: in the foreground (the test owns the process), no debug output.
  return startDaemon(slapdPath, ['-d', '0', '-h', `ldap://${ip}:389/`, '-F', join(dir, 'slapd.d')], ip, 389, 15_000);
}

import { run } from '../services/service-harness';

/**
 * A throw-away RSA-2048 certificate and key (`openssl req -x509`, 30 days) for a real product the
 * fidelity tests start with TLS on (Dovecot, MariaDB, PostgreSQL, slapd, Postfix).
 */
export async function selfSignedCert(cert: string, key: string, cn: string): Promise<void> {
  const args = ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '30'];
  const gen = await run('openssl', [...args, '-subj', `/CN=${cn}`]);
  if (gen.code !== 0) throw new Error(`openssl req: ${gen.stderr}`);
}

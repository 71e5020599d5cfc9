import { X509Certificate } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, type ServiceHarness } from './service-harness';

/** SHA-256 fingerprint of the one certificate the decky keeps in its data dir (`tls/<cn>.crt`). */
export async function deckyCertFingerprint(h: ServiceHarness): Promise<string> {
  const dir = join(h.dataDir, 'tls');
  const crts = (await readdir(dir)).filter((f) => f.endsWith('.crt'));
  if (crts.length !== 1) throw new Error(`expected one decky certificate, found ${crts.join(', ') || 'none'}`);
  return new X509Certificate(await readFile(join(dir, crts[0]!), 'utf8')).fingerprint256;
}

/**
 * Runs `openssl s_client` with `args` (e.g. `-starttls postgres -connect ip:5432`) and returns the
 * SHA-256 fingerprint of the certificate it printed; throws with its output when it printed none.
 */
export async function sClientFingerprint(args: string[]): Promise<string> {
  const r = await run('openssl', ['s_client', ...args], { timeoutMs: 15_000 });
  const pem = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/.exec(r.stdout)?.[0];
  if (!pem)
    throw new Error(
      `openssl s_client printed no certificate (exit ${r.code}): ${r.stdout.slice(0, 400)} ${r.stderr.slice(0, 400)}`,
    );
  return new X509Certificate(pem).fingerprint256;
}

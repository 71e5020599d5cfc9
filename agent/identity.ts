import { X509Certificate } from 'node:crypto';
import { chmod, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { HostName } from '../shared/domain/host';
import { AppError } from '../shared/errors';
import { writeFileAtomic } from '../shared/node/atomic-file';
import { chainsTo, keyMatchesCert } from '../shared/node/pki';
import { certIdentity, type TlsIdentity } from '../shared/node/tls';

export const identityFiles = { ca: 'ca.crt', cert: 'worker.crt', key: 'worker.key', meta: 'agent.json' } as const;

export const AgentMeta = z.object({ hostUuid: z.uuid(), masterUrl: z.url({ protocol: /^https$/ }), name: HostName });
export type AgentMeta = z.output<typeof AgentMeta>;

/** Everything the agent needs to serve the master and call it back. */
export type AgentIdentity = TlsIdentity &
  AgentMeta &
  Readonly<{ dir: string; fingerprint: string; certExpiresAt: Date }>;

/** Loads and cross-checks the identity in `dir`; any problem is one AppError line naming the file. */
export async function loadIdentity(dir: string): Promise<AgentIdentity> {
  const read = async (file: string): Promise<string> => {
    const path = join(dir, file);
    try {
      return await readFile(path, 'utf8');
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code === 'ENOENT')
        throw new AppError('NOT_FOUND', `agent identity incomplete: ${path} is missing (enroll this agent first)`);
      throw new AppError('INTERNAL', `cannot read ${path}: ${code ?? (err as Error).message}`, undefined, {
        cause: err,
      });
    }
  };
  // Sequential on purpose: the operator is told about the first missing file, always the same one.
  const caPem = await read(identityFiles.ca);
  const certPem = await read(identityFiles.cert);
  const keyPem = await read(identityFiles.key);
  const metaText = await read(identityFiles.meta);
  let metaRaw: unknown;
  try {
    metaRaw = JSON.parse(metaText);
  } catch {
    throw new AppError('INVALID_INPUT', `${join(dir, identityFiles.meta)} is not valid JSON`);
  }
  const meta = AgentMeta.safeParse(metaRaw);
  if (!meta.success)
    throw new AppError(
      'INVALID_INPUT',
      `${join(dir, identityFiles.meta)} must hold hostUuid, masterUrl (https) and name`,
    );
  return { dir, ...checkIdentity({ caPem, certPem, keyPem }, meta.data, dir) };
}

/** Verifies chain, key and host uuid of an identity before it is trusted or written. */
export function checkIdentity(id: TlsIdentity, meta: AgentMeta, where: string): Omit<AgentIdentity, 'dir'> {
  let cert: X509Certificate;
  let ca: X509Certificate;
  try {
    cert = new X509Certificate(id.certPem);
    ca = new X509Certificate(id.caPem);
  } catch {
    throw new AppError(
      'INVALID_INPUT',
      `${where}: ${identityFiles.cert} or ${identityFiles.ca} is not a PEM certificate`,
    );
  }
  if (!chainsTo(cert, ca))
    throw new AppError('INVALID_INPUT', `${where}: ${identityFiles.cert} is not signed by ${identityFiles.ca}`);
  let matches = false;
  try {
    matches = keyMatchesCert(id.keyPem, cert);
  } catch {
    throw new AppError('INVALID_INPUT', `${where}: ${identityFiles.key} is not a PEM private key`);
  }
  if (!matches)
    throw new AppError('INVALID_INPUT', `${where}: ${identityFiles.key} does not belong to ${identityFiles.cert}`);
  const who = certIdentity(cert);
  if (who.role !== 'worker' || who.hostUuid !== meta.hostUuid) {
    throw new AppError(
      'INVALID_INPUT',
      `${where}: certificate is for ${who.role ?? 'no role'} ${who.hostUuid ?? '?'}, not worker ${meta.hostUuid}`,
    );
  }
  return { ...id, ...meta, fingerprint: who.fingerprint, certExpiresAt: new Date(cert.validTo) };
}

/** Writes a verified identity: directory 0700, key 0600, each file atomically, agent.json last. */
export async function writeIdentity(dir: string, id: TlsIdentity, meta: AgentMeta): Promise<AgentIdentity> {
  const checked = checkIdentity(id, meta, dir);
  await mkdir(dir, { recursive: true, mode: 0o700 });
  await chmod(dir, 0o700);
  await writeFileAtomic(join(dir, identityFiles.key), id.keyPem, 0o600);
  await writeFileAtomic(join(dir, identityFiles.ca), id.caPem, 0o644);
  await writeFileAtomic(join(dir, identityFiles.cert), id.certPem, 0o644);
  await writeFileAtomic(join(dir, identityFiles.meta), JSON.stringify(meta, null, 2) + '\n', 0o644);
  return { dir, ...checked };
}

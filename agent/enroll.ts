import { lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x as extractTar } from 'tar';
import { Agent } from 'undici';
import { AppError } from '../shared/errors';
import { exportPrivateKeyPem, createCsrPem, generateKeyPair } from '../shared/node/pki';
import { createRouteClient } from '../shared/node/route-client';
import { clientTlsOptions, fingerprintOfPem, FingerprintMismatchError, TLS_MIN_VERSION } from '../shared/node/tls';
import { JOIN_TOKEN_PATTERN, swarmApi } from '../shared/protocol/swarm-api';
import { AgentMeta, identityFiles, writeIdentity, type AgentIdentity } from './identity';

export type TokenEnrollOptions = Readonly<{
  /** Swarm listener URL, e.g. https://master:8770. */
  master: string;
  token: string;
  dir: string;
  name: string;
  /** Addresses the master will dial this worker at; they become certificate SANs. */
  addresses: readonly string[];
  /** Overwrite an identity already in `dir`. */
  force?: boolean;
}>;

/**
 * Join-token enrollment. The CA certificate is fetched without trusting anything, then accepted only
 * when its SHA-256 equals the digest in the token (no trust on first use). From there on only that
 * CA is trusted, and the token secret travels only to a server holding a swarm certificate from it.
 * The private key is generated here and never leaves this host.
 */
export async function enrollWithToken(opts: TokenEnrollOptions): Promise<AgentIdentity> {
  const match = JOIN_TOKEN_PATTERN.exec(opts.token.trim());
  if (!match) throw new AppError('INVALID_INPUT', 'join token is malformed (expected DECNET1-<ca digest>-<secret>)');
  const digest = match[1] ?? '';
  const master = parseMasterUrl(opts.master);
  await refuseExisting(opts.dir, opts.force);

  const caPem = await fetchCaUntrusted(master);
  const actual = safeFingerprint(caPem);
  if (actual !== digest) throw new FingerprintMismatchError(`CA of ${master}`, digest, actual);

  const keys = await generateKeyPair();
  const csrPem = await createCsrPem(keys, opts.name);
  const dispatcher = new Agent({
    connect: { ...clientTlsOptions({ caPem, requireRole: 'swarm', peerName: master }), maxCachedSessions: 0 },
  });
  try {
    const swarm = createRouteClient(swarmApi, { origin: master, dispatcher, peer: master });
    const answer = await swarm.enroll({
      token: opts.token.trim(),
      name: opts.name,
      addresses: [...opts.addresses],
      csrPem,
    });
    if (safeFingerprint(answer.caPem) !== digest)
      throw new FingerprintMismatchError(`CA returned by ${master}`, digest, safeFingerprint(answer.caPem));
    const meta = { hostUuid: answer.hostUuid, masterUrl: master, name: opts.name };
    return await writeIdentity(
      opts.dir,
      { caPem, certPem: answer.certPem, keyPem: await exportPrivateKeyPem(keys.privateKey) },
      meta,
    );
  } finally {
    await dispatcher.close();
  }
}

export type BundleEnrollOptions = Readonly<{ bundle: string; dir: string; force?: boolean }>;

/** Offline enrollment: installs ca.crt, worker.crt, worker.key and agent.json from a .tar.gz after checking them. */
export async function enrollWithBundle(opts: BundleEnrollOptions): Promise<AgentIdentity> {
  await refuseExisting(opts.dir, opts.force);
  const staging = await mkdtemp(join(tmpdir(), 'decnet-bundle-'));
  try {
    const wanted = new Set<string>(Object.values(identityFiles));
    try {
      await extractTar({
        file: opts.bundle,
        cwd: staging,
        strict: true,
        filter: (path) => wanted.has(path.replace(/^\.\//, '')),
      });
    } catch (err) {
      throw new AppError('INVALID_INPUT', `cannot read bundle ${opts.bundle}: ${(err as Error).message}`, undefined, {
        cause: err,
      });
    }
    const present = new Set(await readdir(staging));
    for (const f of wanted) {
      if (!present.has(f) || !(await lstat(join(staging, f))).isFile())
        throw new AppError('INVALID_INPUT', `bundle ${opts.bundle} has no ${f}`);
    }
    const read = (f: string) => readFile(join(staging, f), 'utf8');
    let metaRaw: unknown;
    try {
      metaRaw = JSON.parse(await read(identityFiles.meta));
    } catch {
      throw new AppError('INVALID_INPUT', `bundle ${opts.bundle}: agent.json is not valid JSON`);
    }
    const meta = AgentMeta.safeParse(metaRaw);
    if (!meta.success)
      throw new AppError(
        'INVALID_INPUT',
        `bundle ${opts.bundle}: agent.json must hold hostUuid, masterUrl (https) and name`,
      );
    const id = {
      caPem: await read(identityFiles.ca),
      certPem: await read(identityFiles.cert),
      keyPem: await read(identityFiles.key),
    };
    return await writeIdentity(opts.dir, id, meta.data);
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

/** GET /swarm/ca with certificate checks off: the answer is verified against the token digest instead. */
async function fetchCaUntrusted(master: string): Promise<string> {
  const dispatcher = new Agent({
    connect: { rejectUnauthorized: false, minVersion: TLS_MIN_VERSION, maxCachedSessions: 0 },
  });
  try {
    const { caPem } = await createRouteClient(swarmApi, { origin: master, dispatcher, peer: master }).caCert({});
    return caPem;
  } finally {
    await dispatcher.close();
  }
}

function safeFingerprint(pem: string): string {
  try {
    return fingerprintOfPem(pem);
  } catch {
    return '';
  }
}

function parseMasterUrl(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new AppError('INVALID_INPUT', `master URL ${raw} is not a URL (expected https://HOST:8770)`);
  }
  if (url.protocol !== 'https:') throw new AppError('INVALID_INPUT', `master URL ${raw} must use https`);
  return url.origin;
}

async function refuseExisting(dir: string, force: boolean | undefined): Promise<void> {
  if (force) return;
  const exists = await lstat(join(dir, identityFiles.cert)).then(
    () => true,
    () => false,
  );
  if (exists) throw new AppError('CONFLICT', `${dir} already holds an agent identity; pass force to replace it`);
}

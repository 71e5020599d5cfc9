import { lstat, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { x as extractTar } from 'tar';
import { X509Certificate } from 'node:crypto';
import type { TLSSocket } from 'node:tls';
import { Agent, buildConnector } from 'undici';
import { AppError } from '../shared/errors';
import { exportPrivateKeyPem, createCsrPem, generateKeyPair } from '../shared/node/pki';
import { createRouteClient } from '../shared/node/route-client';
import {
  certIdentity,
  clientTlsOptions,
  fingerprintOfPem,
  FingerprintMismatchError,
  TLS_MIN_VERSION,
} from '../shared/node/tls';
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

  const swarm = swarmConnection(master);
  try {
    const caPem = await swarm.fetchCaUntrusted();
    const actual = safeFingerprint(caPem);
    if (actual !== digest) throw new FingerprintMismatchError(`CA of ${master}`, digest, actual);

    const keys = await generateKeyPair();
    const csrPem = await createCsrPem(keys, opts.name);
    const answer = await swarm.trusting(caPem).enroll({
      token: opts.token.trim(),
      name: opts.name,
      addresses: [...opts.addresses],
      csrPem,
    });
    if (answer.caPem !== caPem && safeFingerprint(answer.caPem) !== digest)
      throw new FingerprintMismatchError(`CA returned by ${master}`, digest, safeFingerprint(answer.caPem));
    const meta = { hostUuid: answer.hostUuid, masterUrl: master, name: opts.name };
    return await writeIdentity(
      opts.dir,
      { caPem, certPem: answer.certPem, keyPem: await exportPrivateKeyPem(keys.privateKey) },
      meta,
    );
  } finally {
    await swarm.close();
  }
}

/**
 * The connection an enrollment uses for both its calls. `GET /swarm/ca` goes out with certificate
 * checks off (nothing is trusted yet). Once that CA matches the token, `trusting(caPem)` checks the
 * same connection's server certificate as `clientTlsOptions` would have in the handshake (issued
 * and signed by that CA, both in their validity, server auth, role swarm; the handshake already
 * proved the server holds its key), and the token goes out on that connection only if it passes.
 * Otherwise, and for any connection opened later, a fresh dispatcher runs those checks in the
 * handshake itself, so a failing server gets the usual refusal and never the token. One handshake
 * per enrollment instead of two, on both sides (bench/pki.bench.ts).
 */
function swarmConnection(master: string) {
  let probeSocket: TLSSocket | null = null;
  let checked: buildConnector.connector | null = null;
  const untrusted = buildConnector({ rejectUnauthorized: false, minVersion: TLS_MIN_VERSION, maxCachedSessions: 0 });
  const probe = new Agent({
    connections: 1,
    connect: (o, cb) => {
      // After the check, a reconnect (the server closed the probe connection) is verified by TLS.
      if (checked) return checked(o, cb);
      untrusted(o, (...args) => {
        if (!args[0]) probeSocket = args[1] as TLSSocket;
        cb(...args);
      });
    },
  });
  const dispatchers: Agent[] = [probe];
  const client = (dispatcher: Agent) => createRouteClient(swarmApi, { origin: master, dispatcher, peer: master });
  return {
    fetchCaUntrusted: async () => (await client(probe).caCert({})).caPem,
    trusting(caPem: string) {
      const tls = { ...clientTlsOptions({ caPem, requireRole: 'swarm', peerName: master }), maxCachedSessions: 0 };
      if (probeSocket && !probeSocket.destroyed && serverCertPasses(probeSocket, caPem)) {
        checked = buildConnector(tls);
        return client(probe);
      }
      const fresh = new Agent({ connect: tls });
      dispatchers.push(fresh);
      return client(fresh);
    },
    close: () => Promise.all(dispatchers.map((d) => d.close())).then(() => undefined),
  };
}

/** The checks `clientTlsOptions({ caPem, requireRole: 'swarm' })` runs in a handshake, on a finished one. */
function serverCertPasses(socket: TLSSocket, caPem: string): boolean {
  try {
    const cert = socket.getPeerX509Certificate();
    const ca = new X509Certificate(caPem);
    const now = Date.now();
    const valid = (c: X509Certificate) => Date.parse(c.validFrom) <= now && now <= Date.parse(c.validTo);
    return (
      cert !== undefined &&
      ca.ca &&
      valid(ca) &&
      valid(cert) &&
      cert.checkIssued(ca) &&
      cert.verify(ca.publicKey) &&
      (cert.keyUsage === undefined || cert.keyUsage.includes(SERVER_AUTH_OID)) &&
      certIdentity(cert).role === 'swarm'
    );
  } catch {
    return false;
  }
}

const SERVER_AUTH_OID = '1.3.6.1.5.5.7.3.1';

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

import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import { HostAddress, HostName } from '../../../shared/domain/host';
import { AppError } from '../../../shared/errors';
import { silentLogger, type Logger } from '../../../shared/node/logger';
import { JOIN_TOKEN_PATTERN, type EnrollAnswer, type EnrollRequest } from '../../../shared/protocol/swarm-api';
import type { CertificateAuthority } from '../ca';
import type { EnrolledHost } from '../store/hosts-repo';
import type { HostRecord } from '../store/schema';
import type { Store } from '../store/store';
import { buildTarGz } from './bundle';

export const DEFAULT_TOKEN_TTL_MS = 15 * 60_000;
export const MAX_TOKEN_TTL_MS = 24 * 60 * 60_000;

export type IssuedJoinToken = Readonly<{ token: string; hostUuid: string; expiresAt: Date }>;
export type WorkerBundle = Readonly<{ hostUuid: string; fingerprint: string; certExpiresAt: Date; bundle: Buffer }>;

export type Enrollment = Readonly<{
  /** A single-use join token; with `name` it is bound to that host name. */
  issueJoinToken(opts?: {
    name?: string;
    hostUuid?: string;
    ttlMs?: number;
    replace?: boolean;
  }): Promise<IssuedJoinToken>;
  /** Redeems a token for a certificate over the worker's CSR; 401 changes nothing. */
  enroll(
    req: z.output<typeof EnrollRequest>,
    peer?: { remoteAddress?: string },
  ): Promise<z.output<typeof EnrollAnswer>>;
  /** Offline enrollment: key, certificate and agent.json in a .tar.gz for an air-gapped worker. */
  exportBundle(opts: {
    name: string;
    addresses: readonly string[];
    masterUrl: string;
    replace?: boolean;
  }): Promise<WorkerBundle>;
}>;

export type EnrollmentOptions = Readonly<{
  ca: CertificateAuthority;
  /** Hosts and join tokens live in the master store, like everything else the master knows. */
  store: Pick<Store, 'hosts' | 'tokens' | 'flush'>;
  /** The agent port a newly enrolled host is dialled on until its heartbeat reports its own. */
  agentPort: number;
  /** Told about every host enrollment added, replaced or revoked (the console's hosts.changed). */
  onHostChanged?: (uuid: string) => void;
  clock?: () => Date;
  log?: Logger;
}>;

export function sha256Hex(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

export function createEnrollment(opts: EnrollmentOptions): Enrollment {
  const clock = opts.clock ?? (() => new Date());
  const log = opts.log ?? silentLogger;
  const { ca } = opts;
  const { hosts, tokens } = opts.store;
  const changed = opts.onHostChanged ?? (() => undefined);

  /** The holder of `name`, or CONFLICT when it exists and the caller did not ask to replace it. */
  const takeName = (name: string, replace: boolean): HostRecord | null => {
    const existing = hosts.usableByName(name) ?? null;
    if (existing && !replace) {
      throw new AppError(
        'CONFLICT',
        `host name ${name} is already enrolled (${existing.uuid}); re-enroll with replace to revoke its certificate`,
      );
    }
    return existing;
  };

  /** Records the new host; a replaced host under another uuid is revoked so its certificate stops working. */
  const register = (record: EnrolledHost, replaced: HostRecord | null): void => {
    if (replaced && replaced.uuid !== record.uuid && hosts.revokeHost(replaced.uuid)) changed(replaced.uuid);
    hosts.enroll(record, { agentPort: opts.agentPort });
    changed(record.uuid);
    if (replaced)
      log.warn('host re-enrolled; previous certificate revoked', {
        name: record.name,
        revokedFingerprint: replaced.fingerprint,
      });
    log.info('host enrolled', { hostUuid: record.uuid, name: record.name, fingerprint: record.fingerprint });
  };

  const issueJoinToken = (o: Parameters<Enrollment['issueJoinToken']>[0] = {}): IssuedJoinToken => {
    const ttlMs = o.ttlMs ?? DEFAULT_TOKEN_TTL_MS;
    if (!Number.isFinite(ttlMs) || ttlMs <= 0 || ttlMs > MAX_TOKEN_TTL_MS) {
      throw new AppError('INVALID_INPUT', `join token lifetime must be between 1 ms and 24 h, got ${ttlMs} ms`);
    }
    const existing = o.name ? takeName(o.name, o.replace ?? false) : null;
    const now = clock();
    // Housekeeping: spent tokens stay a day so a reuse still gets "already used", then go.
    tokens.prune(new Date(now.getTime() - MAX_TOKEN_TTL_MS).toISOString());
    const secret = randomBytes(32).toString('base64url');
    const hostUuid = o.hostUuid ?? existing?.uuid ?? randomUUID();
    const expiresAt = new Date(now.getTime() + ttlMs);
    tokens.put({
      id: sha256Hex(secret),
      hostUuid,
      name: o.name ?? null,
      replace: o.replace ?? false,
      createdAt: now.toISOString(),
      expiresAt: expiresAt.toISOString(),
      usedAt: null,
    });
    return { token: `DECNET1-${ca.caInfo().fingerprint}-${secret}`, hostUuid, expiresAt };
  };

  return {
    // The store calls are synchronous; a thrown error still reaches the caller as a rejection.
    issueJoinToken: (o = {}) => Promise.resolve().then(() => issueJoinToken(o)),

    async enroll(req, peer = {}) {
      const match = JOIN_TOKEN_PATTERN.exec(req.token);
      if (!match) throw new AppError('UNAUTHENTICATED', 'join token is malformed');
      const [, digest = '', secret = ''] = match;
      if (!safeEqualHex(digest, ca.caInfo().fingerprint)) {
        throw new AppError('UNAUTHENTICATED', 'join token was not issued by this master (CA digest does not match)');
      }
      const secretHash = sha256Hex(secret);
      const rec = tokens.get(secretHash);
      if (!rec) throw new AppError('UNAUTHENTICATED', 'join token is unknown or was revoked');
      if (rec.usedAt !== null) throw new AppError('UNAUTHENTICATED', `join token was already used at ${rec.usedAt}`);
      const now = clock();
      if (Date.parse(rec.expiresAt) <= now.getTime())
        throw new AppError('UNAUTHENTICATED', `join token expired at ${rec.expiresAt}`);
      if (rec.name !== null && rec.name.toLowerCase() !== req.name.toLowerCase()) {
        throw new AppError('UNAUTHENTICATED', `join token was issued for host ${rec.name}, not ${req.name}`);
      }
      const replaced = takeName(req.name, rec.replace);
      // The worker's own address goes into the SANs even when it named none (hostname checks need it).
      const addresses =
        req.addresses.length > 0 ? req.addresses : peer.remoteAddress ? [stripV4Mapped(peer.remoteAddress)] : [];
      const issued = await ca.signWorkerCsr(req.csrPem, { hostUuid: rec.hostUuid, name: req.name, addresses });
      // Signing had no side effect; claiming the token is the commit point, so a racing reuse loses here.
      if (!tokens.markUsed(secretHash, now.toISOString()))
        throw new AppError('UNAUTHENTICATED', 'join token was already used');
      register(
        {
          uuid: rec.hostUuid,
          name: req.name,
          address: addresses[0] ?? null,
          fingerprint: issued.fingerprint,
          enrolledAt: now.toISOString(),
          certExpiresAt: issued.expiresAt.toISOString(),
        },
        replaced,
      );
      // The certificate leaves only once the spent token and the host are on disk: a crash must not
      // hand out a second certificate for the token, nor leave a worker holding one the master
      // forgot. Concurrent enrollments share one write (the store's coalescer), which is what lets
      // the swarm listener take a burst of workers at once.
      await opts.store.flush();
      return { hostUuid: rec.hostUuid, certPem: issued.certPem, caPem: issued.caPem, fingerprint: issued.fingerprint };
    },

    async exportBundle(o) {
      const names = z.array(HostAddress).max(16).safeParse(o.addresses);
      if (!HostName.safeParse(o.name).success || !names.success) {
        throw new AppError(
          'INVALID_INPUT',
          `bundle host name ${o.name} or its addresses are not valid certificate names`,
        );
      }
      const replaced = takeName(o.name, o.replace ?? false);
      const hostUuid = replaced?.uuid ?? randomUUID();
      const id = await ca.issueWorkerBundleIdentity({ hostUuid, name: o.name, addresses: o.addresses });
      const now = clock();
      register(
        {
          uuid: hostUuid,
          name: o.name,
          address: o.addresses[0] ?? null,
          fingerprint: id.fingerprint,
          enrolledAt: now.toISOString(),
          certExpiresAt: id.expiresAt.toISOString(),
        },
        replaced,
      );
      const agentJson = JSON.stringify({ hostUuid, masterUrl: o.masterUrl, name: o.name }, null, 2) + '\n';
      const bundle = buildTarGz([
        { name: 'ca.crt', mode: 0o644, data: id.caPem },
        { name: 'worker.crt', mode: 0o644, data: id.certPem },
        { name: 'worker.key', mode: 0o600, data: id.keyPem },
        { name: 'agent.json', mode: 0o644, data: agentJson },
      ]);
      return { hostUuid, fingerprint: id.fingerprint, certExpiresAt: id.expiresAt, bundle };
    },
  };
}

function safeEqualHex(a: string, b: string): boolean {
  return a.length === b.length && timingSafeEqual(Buffer.from(a), Buffer.from(b));
}

function stripV4Mapped(addr: string): string {
  return addr.startsWith('::ffff:') ? addr.slice(7) : addr;
}

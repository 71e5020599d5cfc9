import type { HostRecord as TrustHost, HostRegistry, JoinTokenRecord, JoinTokenStore } from '../enrollment';
import type { HostRecord } from '../store/schema';
import type { Store } from '../store/store';

/**
 * The trust layer's HostRegistry backed by the master store. A revoked host keeps its record until
 * it is decommissioned (the console hides it); its fingerprint is in the revoked set for good.
 */
export function storeHostRegistry(
  store: Store,
  opts: Readonly<{ agentPort: number; onChange: (uuid: string) => void }>,
): HostRegistry {
  const toTrust = (h: HostRecord): TrustHost => ({
    uuid: h.uuid,
    name: h.name,
    address: h.address,
    fingerprint: h.fingerprint ?? '',
    revoked: h.fingerprint === null || store.hosts.isRevoked(h.fingerprint),
    enrolledAt: h.enrolledAt,
    certExpiresAt: h.certExpiresAt ?? h.enrolledAt,
  });
  return {
    get: (uuid) => Promise.resolve(maybe(store.hosts.get(uuid), toTrust)),
    getByName: (name) =>
      Promise.resolve(
        store.hosts
          .list()
          .map(toTrust)
          .find((h) => !h.revoked && h.name.toLowerCase() === name.toLowerCase()) ?? null,
      ),
    list: () => Promise.resolve(store.hosts.list().map(toTrust)),
    upsert(rec) {
      const existing = store.hosts.get(rec.uuid);
      if (existing?.fingerprint && existing.fingerprint !== rec.fingerprint) store.hosts.revoke(existing.fingerprint);
      store.hosts.add({
        uuid: rec.uuid,
        name: rec.name,
        address: rec.address,
        agentPort: existing?.agentPort ?? opts.agentPort,
        fingerprint: rec.fingerprint.toLowerCase(),
        certExpiresAt: rec.certExpiresAt,
        enrolledAt: rec.enrolledAt,
        local: existing?.local ?? false,
        lastHeartbeatAt: existing?.lastHeartbeatAt ?? null,
        lastEventsAt: existing?.lastEventsAt ?? null,
        agentVersion: existing?.agentVersion ?? null,
        topology: existing?.topology ?? null,
        ...(existing?.network ? { network: existing.network } : {}),
      });
      if (rec.revoked) store.hosts.revoke(rec.fingerprint.toLowerCase());
      opts.onChange(rec.uuid);
      return Promise.resolve();
    },
    revoke(uuid) {
      const h = store.hosts.get(uuid);
      if (!h) return Promise.resolve(false);
      if (h.fingerprint) store.hosts.revoke(h.fingerprint);
      opts.onChange(uuid);
      return Promise.resolve(true);
    },
    isActiveFingerprint: (fp) => Promise.resolve(store.hosts.hasActiveFingerprint(fp.toLowerCase())),
  };
}

/** The trust layer's JoinTokenStore on the master store (records keyed by the secret's hash). */
export function storeJoinTokens(store: Store): JoinTokenStore {
  const strip = (r: Record<string, unknown>): JoinTokenRecord => {
    const { id: _id, ...rest } = r;
    return rest as unknown as JoinTokenRecord;
  };
  return {
    put(record) {
      store.tokens.put({ id: record.secretHash, ...record });
      return Promise.resolve();
    },
    get: (secretHash) => Promise.resolve(maybe(store.tokens.get(secretHash), strip)),
    markUsed: (secretHash, at) =>
      Promise.resolve(
        store.tokens.update(secretHash, (rec) =>
          rec.usedAt == null ? { next: { ...rec, usedAt: at }, result: true } : { next: null, result: false },
        ) ?? false,
      ),
    prune: (before) =>
      Promise.resolve(
        store.tokens.prune((r) => r.expiresAt < before || (typeof r.usedAt === 'string' && r.usedAt < before)),
      ),
  };
}

function maybe<A, B>(v: A | undefined, f: (a: A) => B): B | null {
  return v === undefined ? null : f(v);
}

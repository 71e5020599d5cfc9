import { AppError } from '../../../shared/errors';
import type { Db } from './db';
import type { HostRecord } from './schema';
import type { SeenTimes } from './seen-file';
import { createWriteCoalescer } from './write-coalescer';

/** What enrollment knows of a host; the rest of its record is kept or defaulted by `enroll`. */
export type EnrolledHost = Readonly<
  Pick<HostRecord, 'uuid' | 'name' | 'address' | 'enrolledAt'> & { fingerprint: string; certExpiresAt: string }
>;

type Seen = SeenTimes;

/** Where last-seen times persist when not in the document (the master's hosts-seen.json). */
export type SeenStore = Readonly<{
  initial: ReadonlyMap<string, Seen>;
  save(seen: ReadonlyMap<string, Seen>): Promise<void>;
}>;

export type HostsRepo = ReturnType<typeof createHostsRepo>;

/**
 * Hosts and revoked fingerprints. Last-seen times change on every heartbeat, so they live in
 * memory and persist only through `flushSeen()` (periodic), keeping store writes independent of
 * the heartbeat rate: into their own small file when a `SeenStore` is given (the master), else
 * into the document.
 */
export function createHostsRepo(db: Db, seenStore?: SeenStore) {
  const seen = new Map<string, Seen>();
  const revoked = new Set(db.data().revokedFingerprints);
  // Heartbeats look hosts up by uuid at high rate: keep an index instead of scanning the array.
  const byUuid = new Map<string, HostRecord>();
  const byFingerprint = new Map<string, string>();
  const reindex = () => {
    byUuid.clear();
    byFingerprint.clear();
    for (const h of db.data().hosts) {
      byUuid.set(h.uuid, h);
      if (h.fingerprint) byFingerprint.set(h.fingerprint, h.uuid);
    }
  };
  reindex();
  for (const [uuid, s] of seenStore?.initial ?? []) if (byUuid.has(uuid)) seen.set(uuid, { ...s });
  let seenDirty = false;
  // The write snapshots the map when it starts; marks made during it go into the next one.
  const seenWriter = seenStore && createWriteCoalescer(() => seenStore.save(new Map(seen)));

  const overlay = (h: HostRecord): HostRecord => {
    const s = seen.get(h.uuid);
    if (!s) return { ...h };
    return {
      ...h,
      lastHeartbeatAt: s.heartbeatAt ?? h.lastHeartbeatAt,
      lastEventsAt: s.eventsAt ?? h.lastEventsAt,
      agentVersion: s.agentVersion ?? h.agentVersion,
    };
  };

  /** The one rule for "may be used": it holds a certificate and that certificate was not revoked. */
  const isUsable = (h: Pick<HostRecord, 'fingerprint'>): boolean =>
    h.fingerprint !== null && !revoked.has(h.fingerprint);
  const revoke = (fingerprint: string): void => {
    if (revoked.has(fingerprint)) return;
    revoked.add(fingerprint);
    db.data().revokedFingerprints.push(fingerprint);
    db.commit();
  };

  const add = (rec: HostRecord): void => {
    const stored = { ...rec };
    if (byUuid.has(rec.uuid)) {
      db.data().hosts = db.data().hosts.map((h) => (h.uuid === rec.uuid ? stored : h));
      reindex();
    } else {
      db.data().hosts.push(stored);
      byUuid.set(stored.uuid, stored);
      if (stored.fingerprint) byFingerprint.set(stored.fingerprint, stored.uuid);
    }
    db.commit();
  };

  return {
    list: (): HostRecord[] => db.data().hosts.map(overlay),
    /** How many host records there are (revoked ones included): cheap, for sizing per-host resources. */
    count: (): number => db.data().hosts.length,
    isUsable,
    /** The host, or NOT_FOUND naming the uuid. */
    require(uuid: string): HostRecord {
      const h = byUuid.get(uuid);
      if (!h) throw new AppError('NOT_FOUND', `no enrolled host ${uuid}`);
      return overlay(h);
    },
    /** The host when it may be used (a revoked host answers like an unknown one). */
    requireUsable(uuid: string): HostRecord {
      const h = byUuid.get(uuid);
      if (!h || !isUsable(h)) throw new AppError('NOT_FOUND', `no enrolled host ${uuid}`);
      return overlay(h);
    },
    /** The usable host holding `name` (names compare case-insensitively; revoked hosts hold none). */
    usableByName(name: string): HostRecord | undefined {
      const lower = name.toLowerCase();
      const h = db.data().hosts.find((x) => isUsable(x) && x.name.toLowerCase() === lower);
      return h && overlay(h);
    },
    /**
     * Records a (re-)enrolled host. Fields enrollment does not know (port, local, last seen, network)
     * are kept from the previous record; a previous certificate of the same uuid is revoked.
     */
    enroll(rec: EnrolledHost, defaults: Readonly<{ agentPort: number }>): void {
      const existing = byUuid.get(rec.uuid);
      const fingerprint = rec.fingerprint.toLowerCase();
      if (existing?.fingerprint && existing.fingerprint !== fingerprint) revoke(existing.fingerprint);
      const next: HostRecord = {
        agentPort: defaults.agentPort,
        local: false,
        lastHeartbeatAt: null,
        lastEventsAt: null,
        agentVersion: null,
        topology: null,
        ...(existing ? overlay(existing) : {}),
        uuid: rec.uuid,
        name: rec.name,
        address: rec.address,
        fingerprint,
        certExpiresAt: rec.certExpiresAt,
        enrolledAt: rec.enrolledAt,
      };
      add(next);
    },
    /** Revokes the host's certificate for good; false when the uuid is unknown. */
    revokeHost(uuid: string): boolean {
      const h = byUuid.get(uuid);
      if (!h) return false;
      if (h.fingerprint) revoke(h.fingerprint);
      return true;
    },
    get(uuid: string): HostRecord | undefined {
      const h = byUuid.get(uuid);
      return h && overlay(h);
    },
    local(): HostRecord | undefined {
      const h = db.data().hosts.find((x) => x.local);
      return h && overlay(h);
    },
    add,
    /** True when an enrolled host holds this certificate and it was not revoked (hot path of the listener). */
    hasActiveFingerprint: (fingerprint: string): boolean => byFingerprint.has(fingerprint) && !revoked.has(fingerprint),
    update(uuid: string, patch: Partial<Omit<HostRecord, 'uuid'>>): HostRecord | undefined {
      const h = byUuid.get(uuid);
      if (!h) return undefined;
      Object.assign(h, patch);
      if (patch.fingerprint !== undefined) reindex();
      db.commit();
      return overlay(h);
    },
    remove(uuid: string): HostRecord | undefined {
      const h = byUuid.get(uuid);
      if (!h) return undefined;
      db.data().hosts = db.data().hosts.filter((x) => x.uuid !== uuid);
      reindex();
      seen.delete(uuid);
      seenDirty = true;
      db.commit();
      return h;
    },
    revoke,
    markSeen(uuid: string, kind: 'heartbeat' | 'events', at: string, agentVersion?: string): void {
      const s = seen.get(uuid) ?? {};
      if (kind === 'heartbeat') s.heartbeatAt = at;
      else s.eventsAt = at;
      if (agentVersion) s.agentVersion = agentVersion;
      seen.set(uuid, s);
      seenDirty = true;
    },
    /**
     * Persists in-memory last-seen times: one write of the last-seen file, or (without one) one
     * commit of the document, however many hosts.
     */
    flushSeen(): Promise<void> {
      if (seenWriter) {
        if (!seenDirty) return seenWriter.idle().catch(() => undefined);
        seenDirty = false;
        return seenWriter.request().catch((err: unknown) => {
          seenDirty = true; // try again at the next flush
          throw err;
        });
      }
      flushSeenIntoDocument();
      return Promise.resolve();
    },
  };

  function flushSeenIntoDocument(): void {
    if (seen.size === 0) return;
    let changed = false;
    for (const h of db.data().hosts) {
      const s = seen.get(h.uuid);
      if (!s) continue;
      const next = overlay(h);
      if (
        next.lastHeartbeatAt !== h.lastHeartbeatAt ||
        next.lastEventsAt !== h.lastEventsAt ||
        next.agentVersion !== h.agentVersion
      ) {
        h.lastHeartbeatAt = next.lastHeartbeatAt;
        h.lastEventsAt = next.lastEventsAt;
        h.agentVersion = next.agentVersion;
        changed = true;
      }
    }
    if (changed) db.commit();
  }
}

import { createKeyedCollection } from './keyed-collection';

/** The minimum the trust layer needs to know about an enrolled worker. */
export type HostRecord = Readonly<{
  uuid: string;
  name: string;
  address: string | null;
  fingerprint: string;
  revoked: boolean;
  enrolledAt: string;
  certExpiresAt: string;
}>;

/** Enrolled hosts; the master's lowdb store will implement it later. */
export type HostRegistry = Readonly<{
  get(uuid: string): Promise<HostRecord | null>;
  /** The host currently holding `name` (revoked records never do). */
  getByName(name: string): Promise<HostRecord | null>;
  list(): Promise<HostRecord[]>;
  upsert(record: HostRecord): Promise<void>;
  /** Revokes the host's certificate; false when the uuid is unknown. */
  revoke(uuid: string): Promise<boolean>;
  /** True when a non-revoked host holds exactly this certificate. */
  isActiveFingerprint(fingerprint: string): Promise<boolean>;
}>;

/** In memory, or mirrored to `path` (JSON, 0600) when given. */
export function createHostRegistry(opts: { path?: string } = {}): HostRegistry {
  const col = createKeyedCollection<HostRecord>({ ...opts, what: 'host registry' });
  return {
    get: async (uuid) => (await col.get(uuid)) ?? null,
    getByName: async (name) =>
      (await col.values()).find((h) => !h.revoked && h.name.toLowerCase() === name.toLowerCase()) ?? null,
    list: () => col.values(),
    upsert: (record) => col.update((m) => (m.set(record.uuid, record), { changed: true, result: undefined })),
    revoke: (uuid) =>
      col.update((m) => {
        const rec = m.get(uuid);
        if (!rec) return { changed: false, result: false };
        m.set(uuid, { ...rec, revoked: true });
        return { changed: true, result: true };
      }),
    isActiveFingerprint: async (fp) =>
      (await col.values()).some((h) => !h.revoked && h.fingerprint === fp.toLowerCase()),
  };
}

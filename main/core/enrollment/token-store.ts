import { createKeyedCollection } from './keyed-collection';

/** A join token as stored: only the SHA-256 of its secret, never the secret itself. */
export type JoinTokenRecord = Readonly<{
  secretHash: string;
  hostUuid: string;
  /** When set, only a worker enrolling under this name may use the token. */
  name: string | null;
  /** Lets the enrollment take over an enrolled name, revoking the old certificate. */
  replace: boolean;
  createdAt: string;
  expiresAt: string;
  usedAt: string | null;
}>;

/** Persistence for join tokens; the master's lowdb store will implement it later. */
export type JoinTokenStore = Readonly<{
  put(record: JoinTokenRecord): Promise<void>;
  get(secretHash: string): Promise<JoinTokenRecord | null>;
  /** Marks the token used when it is still unused; false when another enrollment won the race. */
  markUsed(secretHash: string, at: string): Promise<boolean>;
  /** Drops tokens that expired or were used before `before`; returns how many. */
  prune(before: string): Promise<number>;
}>;

/** In memory, or mirrored to `path` (JSON, 0600) when given. */
export function createJoinTokenStore(opts: { path?: string } = {}): JoinTokenStore {
  const col = createKeyedCollection<JoinTokenRecord>({ ...opts, what: 'join tokens' });
  return {
    put: (record) => col.update((m) => (m.set(record.secretHash, record), { changed: true, result: undefined })),
    get: async (secretHash) => (await col.get(secretHash)) ?? null,
    markUsed: (secretHash, at) =>
      col.update((m) => {
        const rec = m.get(secretHash);
        if (!rec || rec.usedAt !== null) return { changed: false, result: false };
        m.set(secretHash, { ...rec, usedAt: at });
        return { changed: true, result: true };
      }),
    prune: (before) =>
      col.update((m) => {
        let n = 0;
        for (const [k, r] of m) {
          if (r.expiresAt < before || (r.usedAt !== null && r.usedAt < before)) {
            m.delete(k);
            n++;
          }
        }
        return { changed: n > 0, result: n };
      }),
  };
}

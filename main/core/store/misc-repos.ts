import type { Db } from './db';
import type { JoinTokenRecord, TopologyRecord } from './schema';

export type TopologyRepo = ReturnType<typeof createTopologyRepo>;
export type TokenRepo = ReturnType<typeof createTokenRepo>;
export type SettingsRepo = ReturnType<typeof createSettingsRepo>;

export function createTopologyRepo(db: Db) {
  const find = (id: string) => db.data().topologies.find((t) => t.hydrated.topology.id === id);
  return {
    list: (): TopologyRecord[] => db.data().topologies.map((t) => structuredClone(t)),
    get(id: string): TopologyRecord | undefined {
      const t = find(id);
      return t && structuredClone(t);
    },
    put(rec: TopologyRecord): void {
      const id = rec.hydrated.topology.id;
      db.data().topologies = db.data().topologies.filter((t) => t.hydrated.topology.id !== id);
      db.data().topologies.push(structuredClone(rec));
      db.commit();
    },
    remove(id: string): boolean {
      const before = db.data().topologies.length;
      db.data().topologies = db.data().topologies.filter((t) => t.hydrated.topology.id !== id);
      if (db.data().topologies.length === before) return false;
      db.commit();
      return true;
    },
  };
}

/** Join tokens, keyed by the hash of their secret. */
export function createTokenRepo(db: Db) {
  const find = (id: string) => db.data().joinTokens.find((x) => x.id === id);
  return {
    put(rec: JoinTokenRecord): void {
      db.data().joinTokens = db.data().joinTokens.filter((t) => t.id !== rec.id);
      db.data().joinTokens.push({ ...rec });
      db.commit();
    },
    get(id: string): JoinTokenRecord | undefined {
      const t = find(id);
      return t && { ...t };
    },
    /** Marks the token used when it still is not, in one synchronous step: of two racing enrollments one wins. */
    markUsed(id: string, at: string): boolean {
      const t = find(id);
      if (!t || t.usedAt !== null) return false;
      t.usedAt = at;
      db.commit();
      return true;
    },
    /** Drops tokens that expired, or were used, before `before`; returns how many. */
    prune(before: string): number {
      const keep = (t: JoinTokenRecord) => !(t.expiresAt < before || (t.usedAt !== null && t.usedAt < before));
      const n = db.data().joinTokens.length;
      db.data().joinTokens = db.data().joinTokens.filter(keep);
      const dropped = n - db.data().joinTokens.length;
      if (dropped > 0) db.commit();
      return dropped;
    },
  };
}

export function createSettingsRepo(db: Db) {
  return {
    get: (key: string): unknown => db.data().settings[key],
    set(key: string, value: unknown): void {
      db.data().settings[key] = value;
      db.commit();
    },
  };
}

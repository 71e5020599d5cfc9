import type { Db } from './db';
import type { TokenRecord, TopologyRecord } from './schema';

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

/** Join tokens as opaque records owned by the enrollment module, keyed by `id`. */
export function createTokenRepo(db: Db) {
  return {
    put(rec: TokenRecord): void {
      db.data().joinTokens = db.data().joinTokens.filter((t) => t.id !== rec.id);
      db.data().joinTokens.push(structuredClone(rec));
      db.commit();
    },
    get(id: string): TokenRecord | undefined {
      const t = db.data().joinTokens.find((x) => x.id === id);
      return t && structuredClone(t);
    },
    /** Read-modify-write of one record in a single synchronous step (no interleaving possible). */
    update<R>(id: string, fn: (rec: TokenRecord) => { next: TokenRecord | null; result: R }): R | undefined {
      const t = db.data().joinTokens.find((x) => x.id === id);
      if (!t) return undefined;
      const { next, result } = fn(structuredClone(t));
      if (next) {
        Object.assign(t, next);
        db.commit();
      }
      return result;
    },
    /** Drops records for which `drop` is true; returns how many. */
    prune(drop: (rec: TokenRecord) => boolean): number {
      const before = db.data().joinTokens.length;
      db.data().joinTokens = db.data().joinTokens.filter((t) => !drop(t));
      const n = before - db.data().joinTokens.length;
      if (n > 0) db.commit();
      return n;
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

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

/** Join tokens as opaque records for the enrollment module; expired ones are purged on access. */
export function createTokenRepo(db: Db, now: () => number) {
  const purge = () => {
    const live = db.data().joinTokens.filter((t) => Date.parse(t.expiresAt) > now());
    if (live.length !== db.data().joinTokens.length) {
      db.data().joinTokens = live;
      db.commit();
    }
  };
  return {
    put(rec: TokenRecord): void {
      purge();
      db.data().joinTokens = db.data().joinTokens.filter((t) => t.id !== rec.id);
      db.data().joinTokens.push(structuredClone(rec));
      db.commit();
    },
    get(id: string): TokenRecord | undefined {
      purge();
      const t = db.data().joinTokens.find((x) => x.id === id);
      return t && structuredClone(t);
    },
    /** Removes and returns the token: single use, so consuming it must be one step. */
    take(id: string): TokenRecord | undefined {
      purge();
      const t = db.data().joinTokens.find((x) => x.id === id);
      if (!t) return undefined;
      db.data().joinTokens = db.data().joinTokens.filter((x) => x.id !== id);
      db.commit();
      return t;
    },
    list(): TokenRecord[] {
      purge();
      return db.data().joinTokens.map((t) => structuredClone(t));
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

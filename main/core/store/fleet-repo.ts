import type { Db } from './db';
import type { DeckyRecord } from './schema';

export type FleetRepo = ReturnType<typeof createFleetRepo>;

/** The master's decky records, keyed by name (a global key: names are unique across the fleet). */
export function createFleetRepo(db: Db) {
  const index = new Map<string, DeckyRecord>();
  for (const d of db.data().deckies) index.set(d.config.name, d);

  const copy = (d: DeckyRecord): DeckyRecord => ({ ...d, config: { ...d.config }, services: { ...d.services } });

  return {
    list: (): DeckyRecord[] => db.data().deckies.map(copy),
    get(name: string): DeckyRecord | undefined {
      const d = index.get(name);
      return d && copy(d);
    },
    upsert(rec: DeckyRecord): void {
      const existing = index.get(rec.config.name);
      if (existing) Object.assign(existing, rec);
      else {
        const stored = { ...rec };
        db.data().deckies.push(stored);
        index.set(rec.config.name, stored);
      }
      db.commit();
    },
    /** Patches in place without a commit when nothing changed (heartbeats repeat the same view). */
    patch(name: string, patch: Partial<DeckyRecord>): boolean {
      const d = index.get(name);
      if (!d) return false;
      let changed = false;
      for (const [k, v] of Object.entries(patch) as [keyof DeckyRecord, unknown][]) {
        if (JSON.stringify(d[k]) !== JSON.stringify(v)) {
          (d as Record<string, unknown>)[k] = v;
          changed = true;
        }
      }
      if (changed) db.commit();
      return changed;
    },
    remove(name: string): boolean {
      if (!index.delete(name)) return false;
      db.data().deckies = db.data().deckies.filter((d) => d.config.name !== name);
      db.commit();
      return true;
    },
    onHost: (placedOn: string): DeckyRecord[] => db.data().deckies.filter((d) => d.placedOn === placedOn).map(copy),
  };
}

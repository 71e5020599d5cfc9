import type { Db } from './db';
import type { DeckyRecord } from './schema';

export type FleetRepo = ReturnType<typeof createFleetRepo>;

/** The master's decky records, keyed by name (a global key: names are unique across the fleet). */
export function createFleetRepo(db: Db) {
  const index = new Map<string, DeckyRecord>();
  // Heartbeats ask "which deckies are on this host" each time: keep that answer indexed too.
  const byHost = new Map<string, Set<string>>();
  const place = (name: string, from: string | null, to: string | null) => {
    if (from === to) return;
    if (from) byHost.get(from)?.delete(name);
    if (to) byHost.set(to, (byHost.get(to) ?? new Set()).add(name));
  };
  for (const d of db.data().deckies) {
    index.set(d.config.name, d);
    place(d.config.name, null, d.placedOn);
  }

  const copy = (d: DeckyRecord): DeckyRecord => ({ ...d, config: { ...d.config }, services: { ...d.services } });

  return {
    list: (): DeckyRecord[] => db.data().deckies.map(copy),
    /**
     * The stored records themselves, for read-only scans on hot paths (the scheduler's tick): no
     * copies, which at 100,000 deckies cost ~0.2 s of event loop per call. Never mutate or keep them.
     */
    scan: (): ReadonlyArray<Readonly<DeckyRecord>> => db.data().deckies,
    get(name: string): DeckyRecord | undefined {
      const d = index.get(name);
      return d && copy(d);
    },
    upsert(rec: DeckyRecord): void {
      const existing = index.get(rec.config.name);
      if (existing) {
        place(rec.config.name, existing.placedOn, rec.placedOn);
        Object.assign(existing, rec);
      } else {
        const stored = { ...rec };
        db.data().deckies.push(stored);
        index.set(rec.config.name, stored);
        place(rec.config.name, null, rec.placedOn);
      }
      db.commit();
    },
    /**
     * Patches in place without a commit when nothing changed (heartbeats repeat the same view).
     * `touchedAt` becomes `updatedAt` only when something did change, in the same single write.
     */
    patch(name: string, patch: Partial<DeckyRecord>, touchedAt?: string): boolean {
      const d = index.get(name);
      if (!d) return false;
      let changed = false;
      for (const [k, v] of Object.entries(patch) as [keyof DeckyRecord, unknown][]) {
        if (JSON.stringify(d[k]) !== JSON.stringify(v)) {
          if (k === 'placedOn') place(name, d.placedOn, v as string | null);
          (d as Record<string, unknown>)[k] = v;
          changed = true;
        }
      }
      if (!changed) return false;
      if (touchedAt !== undefined) d.updatedAt = touchedAt;
      db.commit();
      return true;
    },
    remove(name: string): boolean {
      const d = index.get(name);
      if (!d) return false;
      index.delete(name);
      place(name, d.placedOn, null);
      db.data().deckies = db.data().deckies.filter((d) => d.config.name !== name);
      db.commit();
      return true;
    },
    onHost: (placedOn: string): DeckyRecord[] => [...(byHost.get(placedOn) ?? [])].map((n) => copy(index.get(n)!)),
    countOn: (placedOn: string): number => byHost.get(placedOn)?.size ?? 0,
  };
}

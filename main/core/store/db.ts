import { Low, type Adapter } from 'lowdb';
import type { Logger } from '../../../shared/node/logger';
import { emptyDb, migrate, type DbData } from './schema';
import { createWriteCoalescer } from './write-coalescer';

/** The lowdb document plus coalesced persistence; only the store's repositories touch `data`. */
export type Db = Readonly<{
  data(): DbData;
  /** Schedules a write of the current document (coalesced). Never throws; failures are logged. */
  commit(): void;
  /** Waits for every commit made so far to reach the adapter. */
  flush(): Promise<void>;
  /** Number of adapter writes started (the coalescing test and the benchmark read it). */
  writes(): number;
}>;

export async function openDb(adapter: Adapter<DbData>, log: Logger): Promise<Db> {
  const low = new Low<DbData>(adapter, emptyDb());
  await low.read();
  const before = (low.data as { schemaVersion?: unknown } | null)?.schemaVersion;
  low.data = migrate(low.data);
  let writes = 0;
  const coalescer = createWriteCoalescer(async () => {
    writes++;
    await low.write();
  });
  if (before !== low.data.schemaVersion) {
    log.info('store migrated', { from: before ?? null, to: low.data.schemaVersion });
    await coalescer.request();
  }
  return {
    data: () => low.data,
    commit() {
      coalescer.request().catch((err: unknown) => log.error('store write failed', { err }));
    },
    async flush() {
      await coalescer.idle();
    },
    writes: () => writes,
  };
}

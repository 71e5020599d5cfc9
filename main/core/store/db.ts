import { Low, type Adapter } from 'lowdb';
import { AppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import { emptyDb, type DbData } from './schema';
import { validateStoreDocument } from './store-file';
import { createWriteCoalescer } from './write-coalescer';

/** Whether the document in memory is on disk; shown in the console (settings) and by `store check`. */
export type StoreHealth = { ok: boolean; lastError: string | null; lastWriteAt: string | null; failedWrites: number };

/** The lowdb document plus coalesced persistence; only the store's repositories touch `data`. */
export type Db = Readonly<{
  data(): DbData;
  /** Schedules a write of the current document (coalesced). Never throws; failures are logged and kept in `health`. */
  commit(): void;
  /**
   * Waits for every commit made so far to reach the adapter. When the last write failed it tries
   * once more, then throws STORE_UNAVAILABLE: the caller must not acknowledge anything.
   */
  flush(): Promise<void>;
  health(): StoreHealth;
  /** Number of adapter writes started (the coalescing test and the benchmark read it). */
  writes(): number;
}>;

export async function openDb(adapter: Adapter<DbData>, log: Logger): Promise<Db> {
  const low = new Low<DbData>(adapter, emptyDb());
  await low.read();
  const before = (low.data as { schemaVersion?: unknown } | null)?.schemaVersion;
  try {
    low.data = validateStoreDocument(low.data);
  } catch (err) {
    throw new Error(`refusing to open the store: ${(err as Error).message}`, { cause: err });
  }
  let writes = 0;
  // Changes are numbered: `changed` counts commits, `durable` is the newest count a finished write
  // had snapshotted, `writing` the count the write in flight snapshotted. A flush waits only for
  // the changes made before it, so under a steady stream of commits (heartbeats, enrollments) it
  // is not held until the store is idle.
  let changed = 0;
  let durable = 0;
  let writing = -1;
  const health: StoreHealth = { ok: true, lastError: null, lastWriteAt: null, failedWrites: 0 };
  const coalescer = createWriteCoalescer(async () => {
    writes++;
    const seq = changed;
    writing = seq;
    try {
      await low.write();
    } catch (err) {
      if (health.ok) log.error('store write failed; requests that need it are refused until a write succeeds', { err });
      Object.assign(health, { ok: false, lastError: (err as Error).message, failedWrites: health.failedWrites + 1 });
      throw err;
    } finally {
      writing = -1;
    }
    durable = Math.max(durable, seq);
    Object.assign(health, { ok: true, lastError: null, lastWriteAt: new Date().toISOString() });
  });
  /** A write whose snapshot holds change `target`: the pending one, the one in flight if it started after it, or a new one. */
  const writeHolding = (target: number): Promise<void> => {
    const current = coalescer.current();
    return current && (current.pending || writing >= target) ? current.done : coalescer.request();
  };
  if (before !== low.data.schemaVersion) {
    log.info('store migrated', { from: before ?? null, to: low.data.schemaVersion });
    await coalescer.request();
  }
  return {
    data: () => low.data,
    commit() {
      changed++;
      coalescer.request().catch(() => undefined); // logged and recorded in `health` by the write above
    },
    async flush() {
      const target = changed;
      if (durable >= target && health.ok) return;
      try {
        await writeHolding(target);
        if (durable >= target) return;
      } catch {
        // That write failed, so memory is ahead of the disk: retry now (space may be back).
      }
      try {
        await coalescer.request();
      } catch (err) {
        throw new AppError('STORE_UNAVAILABLE', `the change could not be saved: ${(err as Error).message}`, undefined, {
          cause: err,
        });
      }
    },
    health: () => ({ ...health }),
    writes: () => writes,
  };
}

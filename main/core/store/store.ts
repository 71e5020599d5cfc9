import type { Adapter } from 'lowdb';
import type { Logger } from '../../../shared/node/logger';
import { iso, type Clock } from '../clock';
import { openDb } from './db';
import { createFleetRepo } from './fleet-repo';
import { createHostsRepo } from './hosts-repo';
import { createLifecycleRepo } from './lifecycle-repo';
import { createSettingsRepo, createTokenRepo, createTopologyRepo } from './misc-repos';
import type { DbData } from './schema';
import type { SeenFile } from './seen-file';

export type Store = Awaited<ReturnType<typeof openStore>>;

/**
 * Opens the lowdb store (migrating it) and builds its repositories. With `seen`, hosts' last-seen
 * times persist in that file instead of the document (seen-file.ts says why).
 */
export async function openStore(
  opts: Readonly<{ adapter: Adapter<DbData>; clock: Clock; log: Logger; seen?: SeenFile }>,
) {
  const db = await openDb(opts.adapter, opts.log);
  const now = () => iso(opts.clock.now());
  const seen = opts.seen;
  const hosts = createHostsRepo(db, seen && { initial: await seen.read(), save: (m) => seen.write(m) });
  /** Last-seen times are display data: a failed write is logged, and retried at the next flush. */
  const flushSeen = () =>
    hosts
      .flushSeen()
      .catch((err: unknown) => opts.log.warn('hosts last-seen times not saved', { error: (err as Error).message }));
  return {
    hosts,
    fleet: createFleetRepo(db),
    lifecycle: createLifecycleRepo(db, now),
    topologies: createTopologyRepo(db),
    tokens: createTokenRepo(db),
    settings: createSettingsRepo(db),
    writes: () => db.writes(),
    health: () => db.health(),
    /** Persists last-seen times now (the master's interval timer and its stop call this). */
    flushSeen,
    /**
     * Waits for the write holding every change made so far. Without a last-seen file the times go
     * into that write too; with one they do not: a heartbeat's ack waits for its deltas, not for
     * everyone's last-seen times (those go out on the interval and at stop).
     */
    async flush(): Promise<void> {
      if (!seen) await flushSeen();
      await db.flush();
    },
  };
}

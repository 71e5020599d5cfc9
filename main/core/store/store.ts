import type { Adapter } from 'lowdb';
import type { Logger } from '../../../shared/node/logger';
import { iso, type Clock } from '../clock';
import { openDb } from './db';
import { createFleetRepo } from './fleet-repo';
import { createHostsRepo } from './hosts-repo';
import { createLifecycleRepo } from './lifecycle-repo';
import { createSettingsRepo, createTokenRepo, createTopologyRepo } from './misc-repos';
import type { DbData } from './schema';

export type Store = Awaited<ReturnType<typeof openStore>>;

/** Opens the lowdb store (migrating it) and builds its repositories. */
export async function openStore(opts: Readonly<{ adapter: Adapter<DbData>; clock: Clock; log: Logger }>) {
  const db = await openDb(opts.adapter, opts.log);
  const now = () => iso(opts.clock.now());
  const hosts = createHostsRepo(db);
  return {
    hosts,
    fleet: createFleetRepo(db),
    lifecycle: createLifecycleRepo(db, now),
    topologies: createTopologyRepo(db),
    tokens: createTokenRepo(db),
    settings: createSettingsRepo(db),
    writes: () => db.writes(),
    health: () => db.health(),
    /** Flushes in-memory last-seen times and waits for the pending write. */
    async flush(): Promise<void> {
      hosts.flushSeen();
      await db.flush();
    },
  };
}

import type { Logger } from '../../../shared/node/logger';
import { openEventStore, type EventStore, type Retention } from './event-store';

export type EventLog = EventStore;
export type { EventQuery } from './event-store';

const HOUR = 3_600_000;

/**
 * The master's attacker event log: the SQLite event store (`<dir>/events.db`) with its retention
 * applied at start and then hourly. The timer is unref'd and only prunes, so it never holds the
 * process up or touches ingestion. `now` is injectable for tests.
 */
export async function openEventLog(
  opts: Readonly<{ dir: string; log: Logger; retention?: Retention; now?: () => number; pruneEveryMs?: number }>,
): Promise<EventLog> {
  const store = await openEventStore({ dir: opts.dir, log: opts.log });
  const retention = opts.retention ?? { maxAgeDays: null, maxBytes: null };
  const now = opts.now ?? Date.now;
  const prune = () => {
    try {
      store.prune(now(), retention);
    } catch (err) {
      opts.log.error('event retention failed', { err });
    }
  };
  prune();
  const timer =
    retention.maxAgeDays === null && retention.maxBytes === null ? null : setInterval(prune, opts.pruneEveryMs ?? HOUR);
  timer?.unref();
  return {
    ...store,
    close: () => {
      if (timer) clearInterval(timer);
      return store.close();
    },
  };
}

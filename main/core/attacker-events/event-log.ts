import type { Logger } from '../../../shared/node/logger';
import { openEventStore, type EventStore, type Retention } from './event-store';

export type EventLog = EventStore &
  Readonly<{
    retention(): Retention;
    /** Applies new limits at once (prunes now) and from then on; the caller persists them. */
    setRetention(r: Retention): number;
  }>;
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
  let retention = opts.retention ?? { maxAgeDays: null, maxBytes: null };
  const now = opts.now ?? Date.now;
  const prune = () => {
    try {
      store.prune(now(), retention);
    } catch (err) {
      opts.log.error('event retention failed', { err });
    }
  };
  prune();
  // Always armed (cheap when nothing is due): Settings can set limits after start.
  const timer = setInterval(prune, opts.pruneEveryMs ?? HOUR);
  timer.unref();
  return {
    ...store,
    retention: () => retention,
    setRetention(r) {
      retention = r;
      return store.prune(now(), r);
    },
    close: () => {
      clearInterval(timer);
      return store.close();
    },
  };
}

import { AttackerEvent } from '../../../shared/domain/events';
import type { Logger } from '../../../shared/node/logger';
import { openDurableLog } from '../../store/durable-log';

/** Events a host process keeps for an absent agent; beyond it new events are dropped (and counted). */
export const HOST_SPOOL_MAX_EVENTS = 20_000;
const FLUSH_DELAY_MS = 20;

export type HostSpool = Readonly<{
  /** Queues one event; it is fsync'd within FLUSH_DELAY_MS, then `onStored` fires. False when dropped. */
  add: (event: AttackerEvent) => boolean;
  /** Stored, unacked events in capture order. */
  list: () => readonly AttackerEvent[];
  /** Drops events the agent has on its own disk. */
  ack: (ids: readonly string[]) => Promise<void>;
  flush: () => Promise<void>;
  size: () => number;
  dropped: () => number;
}>;

/**
 * The host process's own event spool: every captured event goes to disk first and leaves it only
 * when an agent acks it, so an agent that is down, restarting or crashed loses nothing. Bounded in
 * count (a worker whose agent never comes back must not fill its disk); the file is rewritten on
 * each ack, which stays cheap at this bound.
 */
export async function openHostSpool(opts: {
  path: string;
  log: Logger;
  maxEvents?: number;
  onStored: () => void;
}): Promise<HostSpool> {
  const max = opts.maxEvents ?? HOST_SPOOL_MAX_EVENTS;
  const store = await openDurableLog<AttackerEvent>({
    path: opts.path,
    parse: (v) => AttackerEvent.parse(v),
    idOf: (e) => e.id,
    log: opts.log,
  });
  let buffer: AttackerEvent[] = [];
  let timer: NodeJS.Timeout | null = null;
  let chain: Promise<void> = Promise.resolve();
  let dropped = 0;

  const flush = (): Promise<void> => {
    if (timer) clearTimeout(timer);
    timer = null;
    const batch = buffer;
    buffer = [];
    chain = chain.then(async () => {
      if (batch.length === 0) return;
      try {
        await store.append(batch);
      } catch (err) {
        opts.log.error('cannot write captured events to the host spool', {
          count: batch.length,
          err: (err as Error).message,
        });
      }
      opts.onStored();
    });
    return chain;
  };

  return {
    add: (event) => {
      if (store.size() + buffer.length >= max) {
        dropped += 1;
        if (dropped % 1000 === 1)
          opts.log.warn('host event spool is full (no agent acks); dropping new events', { dropped, max });
        return false;
      }
      buffer.push(event);
      timer ??= setTimeout(() => void flush(), FLUSH_DELAY_MS);
      return true;
    },
    list: () => store.list(),
    ack: async (ids) => {
      await store.remove(ids);
    },
    flush,
    size: () => store.size() + buffer.length,
    dropped: () => dropped,
  };
}

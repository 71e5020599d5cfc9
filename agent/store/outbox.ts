import { join } from 'node:path';
import { LifecycleDelta } from '../../shared/domain/lifecycle';
import type { Logger } from '../../shared/node/logger';
import { openDurableLog } from './durable-log';

export const OUTBOX_FILE = 'outbox.jsonl';

/**
 * Lifecycle deltas that the master has not acknowledged yet. A delta is on disk (fsync) before
 * anyone tries to send it and leaves only when a heartbeat answer names it, so a dropped push, a
 * master outage or an agent restart loses nothing (the original never re-sent, its §13.5).
 */
export type Outbox = Readonly<{
  add: (delta: LifecycleDelta) => Promise<void>;
  pending: () => readonly LifecycleDelta[];
  ack: (deltaIds: Iterable<string>) => Promise<number>;
}>;

export async function openOutbox(stateDir: string, log: Logger): Promise<Outbox> {
  const store = await openDurableLog<LifecycleDelta>({
    path: join(stateDir, OUTBOX_FILE),
    parse: (v) => LifecycleDelta.parse(v),
    idOf: (d) => d.deltaId,
    log,
  });
  return {
    add: (delta) => store.append([LifecycleDelta.parse(delta)]),
    pending: () => store.list(),
    ack: (ids) => store.remove(ids),
  };
}

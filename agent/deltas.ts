import { randomUUID } from 'node:crypto';
import { MAX_DELTA_ERROR, type LifecycleDelta, type LifecycleOperation } from '../shared/domain/lifecycle';
import type { Logger } from '../shared/node/logger';
import { toAppError } from '../shared/errors';
import type { Clock } from './clock';
import type { Outbox } from './store/outbox';

export type DeltaReporter = (d: {
  deckyName: string;
  operation: LifecycleOperation;
  lifecycleId?: string | undefined;
  error?: unknown;
}) => Promise<void>;

/**
 * Records the end of one background task for one decky: the delta goes to the durable outbox first
 * (fsync), then a one-off heartbeat pushes it at once. If the write itself fails there is nothing
 * durable to resend, so that is logged as critical rather than swallowed.
 */
export function createDeltaReporter(opts: {
  outbox: Outbox;
  push: () => void;
  clock: Clock;
  log: Logger;
}): DeltaReporter {
  return async ({ deckyName, operation, lifecycleId, error }) => {
    const delta: LifecycleDelta = {
      deltaId: randomUUID(),
      ...(lifecycleId ? { lifecycleId } : {}),
      deckyName,
      operation,
      status: error === undefined ? 'succeeded' : 'failed',
      ...(error === undefined ? {} : { error: toAppError(error).message.slice(0, MAX_DELTA_ERROR) || 'failed' }),
      completedAt: opts.clock.now().toISOString(),
    };
    try {
      await opts.outbox.add(delta);
    } catch (err) {
      opts.log.critical('cannot record a lifecycle delta in the outbox', { delta, err: toAppError(err).message });
      return;
    }
    opts.log.info('lifecycle delta recorded', { deckyName, operation, status: delta.status, deltaId: delta.deltaId });
    opts.push();
  };
}

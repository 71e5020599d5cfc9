import { join } from 'node:path';
import { AttackerEvent } from '../../shared/domain/events';
import type { Logger } from '../../shared/node/logger';
import { toAppError } from '../../shared/errors';
import type { Clock } from '../clock';
import { openDurableLog } from './durable-log';

export const SPOOL_FILE = 'events.jsonl';
const BATCH_MAX = 500;
const FLUSH_DELAY_MS = 20;
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;

export type EventUploader = (events: readonly AttackerEvent[]) => Promise<{ ackedIds: readonly string[] }>;

/**
 * Captured attacker events on their way to the master: appended to a JSONL spool (fsync per small
 * batch, not per event, so a burst costs a few syncs), uploaded in batches, removed only once acked.
 * Nothing is lost while the master is down; uploads back off and resume.
 */
export type EventSpool = Readonly<{
  /** Queues one event; it is on disk within FLUSH_DELAY_MS. */
  add: (event: AttackerEvent) => void;
  /** Resolves once everything queued so far is on disk. */
  flush: () => Promise<void>;
  pendingCount: () => number;
  /** Starts uploading; `stop` ends it after the current batch. */
  start: () => void;
  stop: () => Promise<void>;
}>;

export async function openEventSpool(opts: {
  stateDir: string;
  upload: EventUploader;
  clock: Clock;
  log: Logger;
}): Promise<EventSpool> {
  const store = await openDurableLog<AttackerEvent>({
    path: join(opts.stateDir, SPOOL_FILE),
    parse: (v) => AttackerEvent.parse(v),
    idOf: (e) => e.id,
    log: opts.log,
  });
  let buffer: AttackerEvent[] = [];
  let flushing: Promise<void> = Promise.resolve();
  let flushTimer: (() => void) | null = null;
  let running = false;
  let uploading: Promise<void> | null = null;
  let again = false;
  let retryTimer: (() => void) | null = null;
  let retryMs = RETRY_MIN_MS;

  const flush = (): Promise<void> => {
    flushTimer?.();
    flushTimer = null;
    const batch = buffer;
    buffer = [];
    flushing = flushing.then(async () => {
      if (batch.length === 0) return;
      try {
        await store.append(batch);
      } catch (err) {
        opts.log.error('cannot write captured events to the spool', {
          count: batch.length,
          err: toAppError(err).message,
        });
      }
    });
    return flushing.then(() => kick());
  };

  // While backing off after a failed upload, new events wait for the retry timer instead of
  // hammering an unreachable master once per flush.
  let backingOff = false;
  const kick = (fromTimer = false): void => {
    if (!running || (backingOff && !fromTimer)) return;
    backingOff = false;
    if (uploading) {
      again = true;
      return;
    }
    uploading = drain().finally(() => {
      uploading = null;
      if (again && running) {
        again = false;
        kick();
      }
    });
  };

  const drain = async (): Promise<void> => {
    while (running && store.size() > 0) {
      const batch = store.list().slice(0, BATCH_MAX);
      try {
        const { ackedIds } = await opts.upload(batch);
        await store.remove(ackedIds);
        retryMs = RETRY_MIN_MS;
        if (ackedIds.length === 0) throw new Error('the master acknowledged none of the batch');
      } catch (err) {
        opts.log.warn('event upload failed; will retry', {
          pending: store.size(),
          retryMs,
          err: toAppError(err).message,
        });
        retryTimer?.();
        backingOff = true;
        retryTimer = opts.clock.setTimer(() => kick(true), retryMs);
        retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
        return;
      }
    }
  };

  return {
    add: (event) => {
      buffer.push(event);
      if (buffer.length >= BATCH_MAX) void flush();
      else flushTimer ??= opts.clock.setTimer(() => void flush(), FLUSH_DELAY_MS);
    },
    flush,
    pendingCount: () => store.size() + buffer.length,
    start: () => {
      running = true;
      kick(true);
    },
    stop: async () => {
      running = false;
      retryTimer?.();
      await flush();
      await uploading;
    },
  };
}

import type { HeartbeatBody } from '../shared/domain/agent-status';
import type { Logger } from '../shared/node/logger';
import { toAppError } from '../shared/errors';
import type { Clock } from './clock';
import type { Outbox } from './store/outbox';

/** Most deltas one heartbeat carries; the rest ride the next beats. */
export const MAX_DELTAS_PER_BEAT = 1000;
const RETRY_MIN_MS = 1000;

export type HeartbeatSender = (body: HeartbeatBody) => Promise<{ ackedDeltaIds: readonly string[] }>;

export type Heartbeat = Readonly<{
  start: () => void;
  /** Sends a heartbeat now (a lifecycle push); during a flight, one more follows right after it. */
  push: () => void;
  /** Resolves after the beat in flight (and any queued one) has finished. */
  settled: () => Promise<void>;
  stop: () => Promise<void>;
}>;

/**
 * The heartbeat loop. Every beat carries every unacked delta of the outbox (not only one-off pushes,
 * unlike the original, its §13.5); deltas leave the outbox only when the master acks them. One beat
 * is in flight at a time. While deltas wait and the master is unreachable, beats retry sooner than
 * the interval (1 s doubling up to the interval), so a master that comes back gets them promptly.
 */
export function createHeartbeat(opts: {
  intervalMs: number;
  snapshot: () => Promise<Omit<HeartbeatBody, 'lifecycle'>>;
  send: HeartbeatSender;
  outbox: Outbox;
  clock: Clock;
  log: Logger;
}): Heartbeat {
  let running = false;
  let flight: Promise<void> | null = null;
  let queued = false;
  let cancelTimer: (() => void) | null = null;
  let retryMs = RETRY_MIN_MS;

  const schedule = (ms: number): void => {
    cancelTimer?.();
    cancelTimer = opts.clock.setTimer(() => {
      cancelTimer = null;
      trigger();
    }, ms);
  };

  const trigger = (): void => {
    if (!running) return;
    if (flight) {
      queued = true;
      return;
    }
    flight = beat().finally(() => {
      flight = null;
      if (queued && running) {
        queued = false;
        trigger();
      }
    });
  };

  const beat = async (): Promise<void> => {
    const lifecycle = opts.outbox.pending().slice(0, MAX_DELTAS_PER_BEAT);
    try {
      const body: HeartbeatBody = { ...(await opts.snapshot()), lifecycle };
      const { ackedDeltaIds } = await opts.send(body);
      if (ackedDeltaIds.length) await opts.outbox.ack(ackedDeltaIds);
      retryMs = RETRY_MIN_MS;
      const more = opts.outbox.pending().length > 0 && ackedDeltaIds.length > 0;
      if (more) queued = true;
      if (running) schedule(opts.intervalMs);
    } catch (err) {
      const waiting = opts.outbox.pending().length;
      opts.log.warn('heartbeat failed', { err: toAppError(err).message, unackedDeltas: waiting });
      if (!running) return;
      if (waiting > 0) {
        schedule(Math.min(retryMs, opts.intervalMs));
        retryMs = Math.min(retryMs * 2, opts.intervalMs);
      } else {
        schedule(opts.intervalMs);
      }
    }
  };

  return {
    start: () => {
      running = true;
      trigger();
    },
    push: trigger,
    settled: async () => {
      while (flight) await flight;
    },
    stop: async () => {
      running = false;
      cancelTimer?.();
      cancelTimer = null;
      queued = false;
      while (flight) await flight;
    },
  };
}

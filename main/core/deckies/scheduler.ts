import type { Logger } from '../../../shared/node/logger';
import { toAppError } from '../../../shared/errors';
import type { Clock } from '../clock';
import { livenessOf } from '../hosts/liveness';
import type { HostRecord } from '../store/schema';
import type { Store } from '../store/store';
import type { createMutator } from './mutator';
import { intervalOf, isDue, pickNewServices } from './schedule';

/** One-shot timers, injected like the Clock so a test drives the loop without sleeping. */
export type Timers = Readonly<{ setTimeout(fn: () => void, ms: number): unknown; clearTimeout(handle: unknown): void }>;

export const systemTimers: Timers = {
  setTimeout: (fn, ms) => {
    const t = setTimeout(fn, ms);
    t.unref();
    return t;
  },
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

/** Never sleep longer than this, so a changed interval or a returning host is noticed (§6 poll 10 s). */
export const MAX_SLEEP_MS = 10_000;
const MIN_SLEEP_MS = 50;

export type TickReport = { mutated: string[]; skippedOffline: string[]; exhausted: string[]; nextInMs: number };

/**
 * The scheduled mutator's watch loop: sleeps until the next due decky, mutates every due one
 * through the same path as an operator (a lifecycle row with trigger `scheduled`, committed only
 * when its delta succeeds), and retries topology resyncs on the same tick.
 */
export function createMutationScheduler(
  deps: Readonly<{
    store: Store;
    mutator: Pick<ReturnType<typeof createMutator>, 'mutate' | 'hostOf'>;
    clock: Clock;
    timers?: Timers;
    log: Logger;
    unitMs: number;
    heartbeatIntervalMs: number;
    fleetDefault: () => number | null;
    retryResyncs?: () => void;
    random?: () => number;
  }>,
) {
  const timers = deps.timers ?? systemTimers;
  const { store, clock, log } = deps;
  // Deckies never mutated are timed from when this master first saw them: after a restart that
  // is later than the deploy, never earlier, so a restart can delay a mutation but not burst.
  const firstSeen = new Map<string, number>();
  let timer: unknown = null;
  let running = false;
  let busy = false;

  async function tick(): Promise<TickReport> {
    const now = clock.now();
    const report: TickReport = { mutated: [], skippedOffline: [], exhausted: [], nextInMs: MAX_SLEEP_MS };
    const seen = new Set<string>();
    const fleetDefault = deps.fleetDefault();
    for (const rec of store.fleet.scan()) {
      const name = rec.config.name;
      seen.add(name);
      if (!firstSeen.has(name)) firstSeen.set(name, now);
      const interval = intervalOf(rec.config, fleetDefault);
      if (interval === null) continue;
      const base = rec.config.lastMutated ?? firstSeen.get(name)!;
      if (!isDue(now, base, interval, deps.unitMs)) {
        report.nextInMs = Math.min(report.nextInMs, base + interval * deps.unitMs - now);
        continue;
      }
      // Busy deckies get another look on the next tick; their own delta will reset the base.
      if (rec.state === 'pending' || rec.state === 'stopped' || rec.state === 'failed' || rec.pendingMutation) continue;
      const host = deps.mutator.hostOf(rec);
      if (!host || !hostOnline(host, now)) {
        report.skippedOffline.push(name);
        continue;
      }
      const services = pickNewServices(rec.config, deps.random);
      if (!services) {
        // Nothing new to draw (a one-service pool): wait a full interval instead of retrying hot.
        firstSeen.set(name, now);
        if (rec.config.lastMutated !== undefined)
          store.fleet.patch(name, { config: { ...rec.config, lastMutated: now } });
        report.exhausted.push(name);
        continue;
      }
      try {
        await deps.mutator.mutate({ deckyName: name, services, trigger: 'scheduled' });
        report.mutated.push(name);
        // Its new base is the delta's completion time, at least now: due again no sooner than this.
        report.nextInMs = Math.min(report.nextInMs, interval * deps.unitMs);
      } catch (err) {
        log.warn('scheduled mutation not started', { decky: name, err: toAppError(err).message });
      }
    }
    for (const name of firstSeen.keys()) if (!seen.has(name)) firstSeen.delete(name);
    if (report.skippedOffline.length > 0)
      report.nextInMs = Math.min(report.nextInMs, Math.max(1000, deps.heartbeatIntervalMs));
    try {
      deps.retryResyncs?.();
    } catch (err) {
      log.warn('topology resync retry failed', { err: toAppError(err).message });
    }
    if (report.mutated.length > 0) log.info('scheduled mutations started', { deckies: report.mutated });
    return report;
  }

  // Offline (or never seen) hosts are skipped, not failed: the mutation runs once they are back.
  // A suspect host is still tried; a failed dispatch is one failed row, and the base is unchanged.
  const hostOnline = (host: HostRecord, now: number) => {
    const l = livenessOf(host.lastHeartbeatAt, now, deps.heartbeatIntervalMs);
    return l === 'online' || l === 'suspect';
  };

  function schedule(ms: number): void {
    if (!running) return;
    timer = timers.setTimeout(() => void runOnce(), Math.max(MIN_SLEEP_MS, Math.min(MAX_SLEEP_MS, ms)));
  }

  async function runOnce(): Promise<void> {
    timer = null;
    if (busy) return;
    busy = true;
    let next = MAX_SLEEP_MS;
    try {
      next = (await tick()).nextInMs;
    } catch (err) {
      log.error('mutation scheduler tick failed', { err });
    } finally {
      busy = false;
    }
    schedule(next);
  }

  return {
    tick,
    start(): void {
      if (running) return;
      running = true;
      schedule(0);
    },
    /** Re-plans the sleep now (a changed interval should not wait for the old timer). */
    wake(): void {
      if (!running || busy) return;
      if (timer !== null) timers.clearTimeout(timer);
      schedule(0);
    },
    stop(): void {
      running = false;
      if (timer !== null) timers.clearTimeout(timer);
      timer = null;
    },
  };
}

export type MutationScheduler = ReturnType<typeof createMutationScheduler>;

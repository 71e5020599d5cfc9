import type { LifecycleDelta, LifecycleRow, LifecycleStatus } from '../../../shared/domain/lifecycle';
import type { Logger } from '../../../shared/node/logger';
import type { Clock } from '../clock';
import type { MasterEventBus } from '../bus';
import type { NewRow } from '../store/lifecycle-repo';
import type { Store } from '../store/store';

export type PivotOutcome = Readonly<{ row: LifecycleRow | null; outcome: 'applied' | 'sealed' | 'unknown' }>;

/** Called once per row that became terminal, whatever closed it (delta, dispatch failure, sweep). */
export type SettleHook = (row: LifecycleRow) => void;

export type LifecycleService = ReturnType<typeof createLifecycleService>;

/**
 * Lifecycle rows and the rules that move them (DESIGN §4): the pivot rule for agent deltas and the
 * periodic deadline sweep, so no wizard waits forever (the original swept only at start-up).
 */
export function createLifecycleService(
  opts: Readonly<{
    store: Store;
    events: MasterEventBus;
    clock: Clock;
    log: Logger;
    deadlineMs: number;
    sweepEveryMs: number;
  }>,
) {
  const { store, events, log } = opts;
  const settleHooks: SettleHook[] = [];
  let timer: unknown = null;

  const announce = (rows: readonly (LifecycleRow | null)[]): LifecycleRow[] => {
    const changed = rows.filter((r): r is LifecycleRow => r !== null);
    if (changed.length > 0) events.emit('lifecycle.changed', { rows: changed });
    for (const row of changed) {
      if (row.status !== 'succeeded' && row.status !== 'failed') continue;
      for (const hook of settleHooks) {
        try {
          hook(row);
        } catch (err) {
          log.error('lifecycle settle hook failed', { rowId: row.id, err });
        }
      }
    }
    return changed;
  };

  const move = (ids: readonly string[], to: LifecycleStatus, error?: string): LifecycleRow[] =>
    announce(ids.map((id) => store.lifecycle.transition(id, to, error)));

  return {
    onSettled(hook: SettleHook): void {
      settleHooks.push(hook);
    },
    create(rows: readonly NewRow[]): LifecycleRow[] {
      const created = store.lifecycle.create(rows);
      events.emit('lifecycle.changed', { rows: created });
      return created;
    },
    markRunning: (ids: readonly string[]) => move(ids, 'running'),
    fail: (ids: readonly string[], reason: string) => move(ids, 'failed', reason),
    get: (ids: readonly string[]) => store.lifecycle.get(ids),
    recent: (limit: number) => store.lifecycle.recent(limit),
    openRows: () => store.lifecycle.open(),

    /**
     * The pivot rule: a delta with `lifecycleId` closes that row; otherwise the newest open row for
     * (deckyName, operation, rowHost). A sealed or unknown target is acked and dropped: agents
     * re-send until acked, so duplicates and late deltas are expected, not errors.
     */
    pivot(rowHost: string | null, delta: LifecycleDelta): PivotOutcome {
      const target = delta.lifecycleId
        ? store.lifecycle.get([delta.lifecycleId])[0]
        : store.lifecycle.findOpen(delta.deckyName, delta.operation, rowHost);
      if (!target) {
        log.info('lifecycle delta for no open row: acked and dropped', {
          deltaId: delta.deltaId,
          lifecycleId: delta.lifecycleId,
          deckyName: delta.deckyName,
        });
        return { row: null, outcome: 'unknown' };
      }
      if (target.hostUuid !== rowHost || target.deckyName !== delta.deckyName) {
        // A host may only close its own rows; anything else is dropped (and logged loudly).
        log.warn('lifecycle delta names a row of another host or decky: dropped', {
          deltaId: delta.deltaId,
          rowId: target.id,
          rowHost: target.hostUuid,
          from: rowHost,
        });
        return { row: null, outcome: 'unknown' };
      }
      const row = store.lifecycle.transition(
        target.id,
        delta.status,
        delta.status === 'failed' ? (delta.error ?? 'the agent reported a failure without detail') : null,
        delta.completedAt,
      );
      if (!row) {
        log.info('lifecycle delta for a sealed row: acked and dropped', {
          deltaId: delta.deltaId,
          rowId: target.id,
          status: target.status,
        });
        return { row: null, outcome: 'sealed' };
      }
      announce([row]);
      return { row, outcome: 'applied' };
    },

    /** Fails every open row older than the deadline; returns how many. */
    sweep(): number {
      const cutoff = opts.clock.now() - opts.deadlineMs;
      const stale = store.lifecycle.open().filter((r) => Date.parse(r.startedAt) < cutoff);
      if (stale.length === 0) return 0;
      const secs = Math.round(opts.deadlineMs / 1000);
      const changed = announce(
        stale.map((r) =>
          store.lifecycle.transition(
            r.id,
            'failed',
            `no result from ${r.hostUuid ? `host ${r.hostUuid}` : 'the local agent'} within ${secs} s (deadline ${opts.deadlineMs / 1000} s, DECNET_LIFECYCLE_DEADLINE_S); the agent may be down. Retry the ${r.operation} once it is back`,
          ),
        ),
      );
      log.warn('lifecycle sweep failed stale rows', { count: changed.length });
      return changed.length;
    },
    start(): void {
      if (timer === null) timer = opts.clock.setInterval(() => this.sweep(), opts.sweepEveryMs);
    },
    stop(): void {
      if (timer !== null) opts.clock.clearInterval(timer);
      timer = null;
    },
  };
}

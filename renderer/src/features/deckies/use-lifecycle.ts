import type { LifecycleRow } from '../../../../shared/domain/lifecycle';
import { useCommand } from '../../api/use-command';

export const isTerminal = (status: LifecycleRow['status']): boolean => status === 'succeeded' || status === 'failed';

/** Slow safety net: the `lifecycle.changed` push normally refreshes these rows within a second. */
export const LIFECYCLE_FALLBACK_MS = 10_000;

export type LifecycleTally = {
  total: number;
  pending: number;
  running: number;
  succeeded: number;
  failed: number;
  done: boolean;
};

/** Counts rows by status; ids the master has not reported yet count as pending. */
export function tally(ids: readonly string[], rows: readonly LifecycleRow[]): LifecycleTally {
  const t = { total: ids.length, pending: 0, running: 0, succeeded: 0, failed: 0 };
  const byId = new Map(rows.map((r) => [r.id, r]));
  for (const id of ids) t[byId.get(id)?.status ?? 'pending'] += 1;
  return { ...t, done: t.succeeded + t.failed === t.total };
}

/**
 * The lifecycle rows of one operation. Never blocks: it refetches when the master pushes
 * `lifecycle.changed` (see live-updates.ts) and stops polling once every row is terminal.
 */
export function useLifecycleRows(ids: readonly string[]) {
  const query = useCommand(
    'lifecycle.get',
    { ids: [...ids] },
    {
      enabled: ids.length > 0,
      refetchInterval: (q) => {
        const rows = q.state.data?.rows ?? [];
        return tally(ids, rows).done ? false : LIFECYCLE_FALLBACK_MS;
      },
    },
  );
  const rows = query.data?.rows ?? [];
  return { query, rows, tally: tally(ids, rows) };
}

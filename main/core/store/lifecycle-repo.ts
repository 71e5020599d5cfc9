import { randomUUID } from 'node:crypto';
import { AppError } from '../../../shared/errors';
import {
  MAX_DELTA_ERROR,
  terminalStatuses,
  type LifecycleOperation,
  type LifecycleRow,
  type LifecycleStatus,
  type LifecycleTrigger,
} from '../../../shared/domain/lifecycle';
import type { Db } from './db';

/** Terminal rows kept beyond this many are pruned oldest first; open rows are never pruned. */
const KEEP_TERMINAL = 10_000;

export type NewRow = Readonly<{
  deckyName: string;
  hostUuid: string | null;
  operation: LifecycleOperation;
  trigger?: LifecycleTrigger;
}>;

const allowed: Record<LifecycleStatus, readonly LifecycleStatus[]> = {
  pending: ['running', 'succeeded', 'failed'],
  running: ['succeeded', 'failed'],
  succeeded: [],
  failed: [],
};

export type LifecycleRepo = ReturnType<typeof createLifecycleRepo>;

/** Lifecycle rows (DESIGN §4): written once per attempt, sealed when terminal, indexed by id. */
export function createLifecycleRepo(db: Db, now: () => string) {
  const byId = new Map<string, LifecycleRow>();
  for (const row of db.data().lifecycle) byId.set(row.id, row);

  function create(rows: readonly NewRow[]): LifecycleRow[] {
    const at = now();
    const created = rows.map((r) => ({
      id: randomUUID(),
      deckyName: r.deckyName,
      hostUuid: r.hostUuid,
      operation: r.operation,
      ...(r.trigger ? { trigger: r.trigger } : {}),
      status: 'pending' as const,
      error: null,
      startedAt: at,
      updatedAt: at,
      completedAt: null,
    }));
    for (const row of created) {
      db.data().lifecycle.push(row);
      byId.set(row.id, row);
    }
    prune();
    db.commit();
    return created.map((r) => ({ ...r }));
  }

  /**
   * Moves a row along pending → running → succeeded|failed. A sealed row never changes: the
   * caller gets `null` (idempotent drop) rather than an error, since late duplicates are normal.
   */
  function transition(
    id: string,
    to: LifecycleStatus,
    error?: string | null,
    completedAt?: string,
  ): LifecycleRow | null {
    const row = byId.get(id);
    if (!row) return null;
    if (row.status === to) return null;
    if (!allowed[row.status].includes(to)) {
      if (terminalStatuses.has(row.status)) return null;
      throw new AppError('CONFLICT', `lifecycle row ${id} cannot go from ${row.status} to ${to}`);
    }
    const at = now();
    row.status = to;
    row.updatedAt = at;
    if (error !== undefined) row.error = error === null ? null : error.slice(0, MAX_DELTA_ERROR);
    if (terminalStatuses.has(to)) row.completedAt = completedAt ?? at;
    db.commit();
    return { ...row };
  }

  /** Newest open row for (decky, operation, host): the pivot target of a delta without an id. */
  function findOpen(
    deckyName: string,
    operation: LifecycleOperation,
    hostUuid: string | null,
  ): LifecycleRow | undefined {
    const rows = db.data().lifecycle;
    for (let i = rows.length - 1; i >= 0; i--) {
      const r = rows[i]!;
      if (
        r.deckyName === deckyName &&
        r.operation === operation &&
        r.hostUuid === hostUuid &&
        !terminalStatuses.has(r.status)
      )
        return { ...r };
    }
    return undefined;
  }

  function get(ids: readonly string[]): LifecycleRow[] {
    return ids
      .map((id) => byId.get(id))
      .filter((r): r is LifecycleRow => r !== undefined)
      .sort((a, b) => a.startedAt.localeCompare(b.startedAt))
      .map((r) => ({ ...r }));
  }

  function open(): LifecycleRow[] {
    return db
      .data()
      .lifecycle.filter((r) => !terminalStatuses.has(r.status))
      .map((r) => ({ ...r }));
  }

  function recent(limit: number): LifecycleRow[] {
    return db
      .data()
      .lifecycle.slice(-limit)
      .reverse()
      .map((r) => ({ ...r }));
  }

  function prune(): void {
    const rows = db.data().lifecycle;
    let terminal = 0;
    for (const r of rows) if (terminalStatuses.has(r.status)) terminal++;
    if (terminal <= KEEP_TERMINAL) return;
    let drop = terminal - KEEP_TERMINAL;
    db.data().lifecycle = rows.filter((r) => {
      if (drop > 0 && terminalStatuses.has(r.status)) {
        drop--;
        byId.delete(r.id);
        return false;
      }
      return true;
    });
  }

  return { create, transition, findOpen, get, open, recent };
}

import type { LifecycleRow } from '../../../../shared/domain/lifecycle';
import { StateBadge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { type LifecycleTally, useLifecycleRows } from './use-lifecycle';

/** One line of counters and a bar coloured by outcome. */
export function TallyBar({ t }: { t: LifecycleTally }) {
  const pct = (n: number): string => `${t.total ? (n / t.total) * 100 : 0}%`;
  return (
    <div className="tally">
      <div
        className="tally-bar"
        role="progressbar"
        aria-valuemin={0}
        aria-valuemax={t.total}
        aria-valuenow={t.succeeded + t.failed}
      >
        <span className="tally-ok" style={{ width: pct(t.succeeded) }} />
        <span className="tally-bad" style={{ width: pct(t.failed) }} />
        <span className="tally-run" style={{ width: pct(t.running) }} />
      </div>
      <div className="tally-text">
        <span className="text-ok">{t.succeeded} succeeded</span>
        {t.failed > 0 && <span className="text-bad">{t.failed} failed</span>}
        {t.running > 0 && <span className="text-info">{t.running} running</span>}
        {t.pending > 0 && <span className="muted">{t.pending} pending</span>}
        <span className="muted">of {t.total}</span>
      </div>
    </div>
  );
}

/** Per-decky progress of an operation: pending → running → succeeded, or failed with its error. */
export function LifecycleProgress({
  ids,
  names,
  maxRows,
}: {
  ids: readonly string[];
  names?: Readonly<Record<string, string>>;
  maxRows?: number;
}) {
  const { query, rows, tally: t } = useLifecycleRows(ids);
  const byId = new Map(rows.map((r) => [r.id, r]));
  // Failures first: they are what the analyst has to act on.
  const order: Record<LifecycleRow['status'], number> = { failed: 0, running: 1, pending: 2, succeeded: 3 };
  const list = ids
    .map((id) => byId.get(id) ?? null)
    .map((row, i) => ({ id: ids[i] as string, row }))
    .sort(
      (a, b) =>
        order[a.row?.status ?? 'pending'] - order[b.row?.status ?? 'pending'] ||
        (a.row?.deckyName ?? '').localeCompare(b.row?.deckyName ?? ''),
    );
  const shown = maxRows ? list.slice(0, maxRows) : list;

  return (
    <div className="progress">
      <TallyBar t={t} />
      {query.error && <ErrorNotice error={query.error} onRetry={() => void query.refetch()} />}
      <ul className="progress-list" aria-label="Per-decky progress">
        {shown.map(({ id, row }) => (
          <li key={id} className="progress-row" data-status={row?.status ?? 'pending'}>
            <span className="mono progress-name">{row?.deckyName ?? names?.[id] ?? 'waiting for the master…'}</span>
            <span className="muted small">{row?.operation}</span>
            <StateBadge state={row?.status ?? 'pending'} inProgress={row?.status === 'running'} />
            {row?.error && <div className="progress-error">{row.error}</div>}
          </li>
        ))}
      </ul>
      {maxRows !== undefined && list.length > maxRows && (
        <div className="muted small">and {list.length - maxRows} more…</div>
      )}
    </div>
  );
}

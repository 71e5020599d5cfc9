import { useMemo } from 'react';
import type { AttackerEvent } from '../../../../shared/domain/events';
import { useCommand } from '../../api/use-command';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { PageHeader } from '../../components/PageHeader';
import { type Column, VirtualTable } from '../../components/VirtualTable';
import { formatTimestamp } from '../../lib/time';
import { useNow } from '../../lib/use-now';
import { useFiltersStore } from '../../stores/filters-store';
import { useUiStore } from '../../stores/ui-store';
import { EventFilters, useEventFilter } from './EventFilters';
import { EventsChart } from './EventsChart';
import { ExportButtons } from './ExportButtons';
import { fromHistogram, serviceColor, summarize } from './event-buckets';
import { useOlderPages } from './use-older-pages';

const LIMIT = 500;

/**
 * Captured attacker interactions over the whole stored history: a per-service chart and the table,
 * both under one filter (range, decky, service, kind, source or CIDR, text), paged by cursor.
 */
export function EventsPage() {
  const now = useNow(60_000);
  const filter = useEventFilter(now);
  const events = useCommand('events.list', { ...filter, limit: LIMIT }, { placeholderData: (prev) => prev });
  const histogram = useCommand('events.histogram', filter, { placeholderData: (prev) => prev });
  const older = useOlderPages(filter, events.data?.nextCursor ?? null);
  const setFilters = useFiltersStore((s) => s.set);
  const setPage = useUiStore((s) => s.setPage);
  const list = useMemo(() => [...(events.data?.events ?? []), ...older.events], [events.data, older.events]);
  const chart = useMemo(() => fromHistogram(histogram.data ?? { width: 3_600_000, buckets: [] }), [histogram.data]);
  const openSource = (src: string) => {
    setFilters({ attackerSrc: src, attackerDecky: '' });
    setPage('attackers');
  };

  const columns: Column<AttackerEvent>[] = [
    { key: 'ts', header: 'Time', width: '200px', render: (e) => <span className="mono">{formatTimestamp(e.ts)}</span> },
    {
      key: 'decky',
      header: 'Decky',
      width: 'minmax(120px, 1fr)',
      render: (e) => <span className="mono strong">{e.decky}</span>,
    },
    {
      key: 'service',
      header: 'Service',
      width: '120px',
      render: (e) => (
        <span className="chip">
          <span className="legend-swatch" style={{ background: serviceColor(e.service) }} />
          {e.service}
        </span>
      ),
    },
    {
      key: 'src',
      header: 'Source',
      width: '140px',
      render: (e) =>
        e.src ? (
          <button type="button" className="link mono" title="Open in Attackers" onClick={() => openSource(e.src)}>
            {e.src}
          </button>
        ) : (
          <span className="mono">-</span>
        ),
    },
    { key: 'kind', header: 'Kind', width: '120px', render: (e) => e.kind },
    {
      key: 'data',
      header: 'Credentials / request',
      width: 'minmax(220px, 2.4fr)',
      render: (e) => (
        <span className="mono ellipsis" title={JSON.stringify(e.data, null, 2)}>
          {summarize(e.kind, e.data)}
        </span>
      ),
    },
  ];

  const filtered = Object.keys(filter).some((k) => k !== 'since');
  const total = events.data?.total ?? 0;

  return (
    <section className="page page-fill">
      <PageHeader
        title="Events"
        summary={
          <>
            <span>
              {total.toLocaleString()} captured{filtered ? ' (filtered)' : ''}
            </span>
            {total > list.length && (
              <>
                <span className="sep">·</span>
                <span className="muted">newest {list.length.toLocaleString()} shown</span>
              </>
            )}
          </>
        }
        actions={<ExportButtons filter={filter} />}
      />
      <EventFilters />
      {events.error && <ErrorNotice error={events.error} onRetry={() => void events.refetch()} />}
      {older.error !== null && <ErrorNotice error={older.error} />}
      {events.isPending ? (
        <div className="loading">Loading events…</div>
      ) : total === 0 && !filtered && !filter.since ? (
        <EmptyState icon="events" title="No attacker activity yet">
          Interactions with any decky — logins, requests, commands — appear here within seconds of happening.
        </EmptyState>
      ) : (
        <>
          <div className="panel">
            <EventsChart data={chart} />
          </div>
          <VirtualTable
            label="Captured events"
            rows={list}
            columns={columns}
            rowKey={(e) => e.id}
            rowHeight={38}
            empty={<div className="muted">No event matches the filters.</div>}
          />
          {older.nextCursor !== null && (
            <div className="toolbar">
              <button type="button" className="btn btn-sm" disabled={older.loading} onClick={older.loadMore}>
                {older.loading ? 'Loading…' : `Load ${LIMIT} older`}
              </button>
            </div>
          )}
        </>
      )}
    </section>
  );
}

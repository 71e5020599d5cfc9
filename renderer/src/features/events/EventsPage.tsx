import { useMemo } from 'react';
import type { AttackerEvent } from '../../../../shared/domain/events';
import type { CommandInput } from '../../../../shared/ipc/types';
import { isServiceName } from '../../../../shared/catalog/services';
import { useCommand } from '../../api/use-command';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { PageHeader } from '../../components/PageHeader';
import { type Column, VirtualTable } from '../../components/VirtualTable';
import { formatTimestamp } from '../../lib/time';
import { useNow } from '../../lib/use-now';
import { useFiltersStore } from '../../stores/filters-store';
import { EventsChart } from './EventsChart';
import { bucketEvents, serviceColor, summarize } from './event-buckets';

const LIMIT = 5000;

/** Captured attacker interactions: a per-service chart over time and the raw table, filterable. */
export function EventsPage() {
  const { eventDecky, eventService, set } = useFiltersStore();
  const input: CommandInput<'events.list'> = { limit: LIMIT };
  if (eventDecky) input.decky = eventDecky;
  if (eventService && isServiceName(eventService)) input.service = eventService;
  const events = useCommand('events.list', input, { placeholderData: (prev) => prev });
  const deckies = useCommand('deckies.list', {});
  const catalog = useCommand('catalog.get', {}, { staleTime: Infinity });
  const now = useNow(60_000);
  const list = useMemo(() => events.data?.events ?? [], [events.data]);
  const chart = useMemo(() => bucketEvents(list, now), [list, now]);
  const deckyNames = useMemo(() => (deckies.data ?? []).map((d) => d.config.name).sort(), [deckies.data]);

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
    { key: 'src', header: 'Source', width: '140px', render: (e) => <span className="mono">{e.src}</span> },
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

  const filtered = Boolean(eventDecky || eventService);
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
                <span className="muted">latest {list.length.toLocaleString()} shown</span>
              </>
            )}
          </>
        }
      />
      <div className="toolbar">
        <select aria-label="Decky" value={eventDecky} onChange={(e) => set({ eventDecky: e.target.value })}>
          <option value="">All deckies</option>
          {deckyNames.map((n) => (
            <option key={n} value={n}>
              {n}
            </option>
          ))}
        </select>
        <select aria-label="Service" value={eventService} onChange={(e) => set({ eventService: e.target.value })}>
          <option value="">All services</option>
          {(catalog.data?.services ?? []).map((s) => (
            <option key={s.name} value={s.name}>
              {s.label}
            </option>
          ))}
        </select>
        {filtered && (
          <button
            type="button"
            className="btn btn-sm btn-ghost"
            onClick={() => set({ eventDecky: '', eventService: '' })}
          >
            Clear filters
          </button>
        )}
      </div>
      {events.error && <ErrorNotice error={events.error} onRetry={() => void events.refetch()} />}
      {events.isPending ? (
        <div className="loading">Loading events…</div>
      ) : list.length === 0 && !filtered ? (
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
        </>
      )}
    </section>
  );
}

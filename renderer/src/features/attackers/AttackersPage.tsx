import type { SourceSummary } from '../../../../shared/domain/event-query';
import { useCommand } from '../../api/use-command';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { PageHeader } from '../../components/PageHeader';
import { type Column, VirtualTable } from '../../components/VirtualTable';
import { formatRelative, formatTimestamp } from '../../lib/time';
import { useNow } from '../../lib/use-now';
import { eventRanges, type EventRange, useFiltersStore } from '../../stores/filters-store';
import { SourceTimeline } from './SourceTimeline';

/**
 * The attacker view (issue #18): one row per source address, whatever decky or service it touched,
 * with what it tried; opening one shows its timeline as sessions. A decky's row opens this page
 * narrowed to that decky.
 */
export function AttackersPage() {
  const now = useNow(60_000);
  const f = useFiltersStore();
  const back = eventRanges[f.eventRange];
  const input = {
    limit: 1000,
    ...(back !== null ? { since: new Date(now - back).toISOString() } : {}),
    ...(f.attackerDecky ? { decky: f.attackerDecky } : {}),
  };
  const sources = useCommand('sources.list', input, { placeholderData: (prev) => prev });
  const deckies = useCommand('deckies.list', {});
  const rows = sources.data?.sources ?? [];
  const open = (src: string) => f.set({ attackerSrc: src });

  const columns: Column<SourceSummary>[] = [
    {
      key: 'src',
      header: 'Source',
      width: '150px',
      render: (s) => (
        <button type="button" className="link mono strong" onClick={() => open(s.src)}>
          {s.src || '(none)'}
        </button>
      ),
    },
    {
      key: 'first',
      header: 'First seen',
      width: '190px',
      render: (s) => <span className="mono">{formatTimestamp(s.firstSeen)}</span>,
    },
    { key: 'last', header: 'Last seen', width: '130px', render: (s) => formatRelative(s.lastSeen, now) },
    { key: 'events', header: 'Events', width: '80px', render: (s) => s.events.toLocaleString() },
    {
      key: 'deckies',
      header: 'Deckies',
      width: 'minmax(140px, 1.4fr)',
      render: (s) => <span className="mono ellipsis">{s.deckies.join(', ')}</span>,
    },
    {
      key: 'services',
      header: 'Services',
      width: 'minmax(120px, 1fr)',
      render: (s) => <span className="ellipsis">{s.services.join(', ')}</span>,
    },
    { key: 'creds', header: 'Credentials', width: '100px', render: (s) => s.credentials.toLocaleString() },
    { key: 'cmds', header: 'Commands', width: '100px', render: (s) => s.commands.toLocaleString() },
  ];

  return (
    <section className="page page-fill">
      <PageHeader
        title="Attackers"
        summary={
          <span>
            {rows.length.toLocaleString()} source{rows.length === 1 ? '' : 's'}
            {sources.data?.nextCursor ? ' (most recent 1,000)' : ''}
            {f.attackerDecky ? ` on ${f.attackerDecky}` : ''}
          </span>
        }
      />
      <div className="toolbar">
        <select
          aria-label="Time range"
          value={f.eventRange}
          onChange={(e) => f.set({ eventRange: e.target.value as EventRange })}
        >
          <option value="1h">Last hour</option>
          <option value="24h">Last 24 hours</option>
          <option value="7d">Last 7 days</option>
          <option value="30d">Last 30 days</option>
          <option value="all">All time</option>
        </select>
        <select aria-label="Decky" value={f.attackerDecky} onChange={(e) => f.set({ attackerDecky: e.target.value })}>
          <option value="">All deckies</option>
          {(deckies.data ?? [])
            .map((d) => d.config.name)
            .sort()
            .map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
        </select>
      </div>
      {sources.error && <ErrorNotice error={sources.error} onRetry={() => void sources.refetch()} />}
      {f.attackerSrc ? (
        <SourceTimeline src={f.attackerSrc} decky={f.attackerDecky} onClose={() => f.set({ attackerSrc: '' })} />
      ) : sources.isPending ? (
        <div className="loading">Loading attackers…</div>
      ) : rows.length === 0 ? (
        <EmptyState icon="attackers" title="No attacker in this range">
          Every source that touches a decky shows up here with what it tried, across all deckies.
        </EmptyState>
      ) : (
        <VirtualTable label="Attackers" rows={rows} columns={columns} rowKey={(s) => s.src} rowHeight={38} />
      )}
    </section>
  );
}

import { useDeferredValue, useMemo } from 'react';
import { incidentBadgeText, useIncidentBadges } from '../incidents/use-incident-badges';
import type { CommandOutput } from '../../../../shared/ipc/types';
import { type DeckyState, intervalOf } from '../../../../shared/domain/decky';
import { describeError } from '../../api/error-messages';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { StateBadge } from '../../components/Badge';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Icon } from '../../components/Icon';
import { PageHeader } from '../../components/PageHeader';
import { ServiceChips } from '../../components/ServiceChips';
import { type Column, VirtualTable } from '../../components/VirtualTable';
import { formatRelative, formatTimestamp } from '../../lib/time';
import { useNow } from '../../lib/use-now';
import { useFiltersStore } from '../../stores/filters-store';
import { useOperationsStore } from '../../stores/operations-store';
import { useUiStore } from '../../stores/ui-store';
import { describeInterval } from '../../lib/mutate-interval';

type Decky = CommandOutput<'deckies.list'>[number];

/** The filter's and the summary's order: what an analyst looks for first. */
const deckyStates = [
  'running',
  'pending',
  'degraded',
  'failed',
  'stopped',
  'unknown',
] as const satisfies readonly DeckyState[];

/** `lastMutated` is epoch seconds (as the agent writes it); tolerate milliseconds too. */
function mutatedAt(v: number | undefined): string | null {
  if (v === undefined) return null;
  return new Date(v < 1e12 ? v * 1000 : v).toISOString();
}

/** States a decky can be redeployed from (its recorded config is sent again to its host). */
const redeployable = new Set<string>(['degraded', 'stopped', 'failed', 'unknown']);

function Actions({ name, state }: { name: string; state: string }) {
  const openDialog = useUiStore((s) => s.openDialog);
  const redeploy = useCommandMutation('deckies.redeploy', ['deckies.list']);
  const track = useOperationsStore((s) => s.track);
  const setPage = useUiStore((s) => s.setPage);
  const setFilters = useFiltersStore((s) => s.set);
  return (
    <div className="row-buttons">
      <button
        type="button"
        className="btn btn-sm btn-ghost"
        aria-label={`Attackers of ${name}`}
        onClick={() => {
          setFilters({ attackerDecky: name, attackerSrc: '' });
          setPage('attackers');
        }}
      >
        Attackers
      </button>
      {redeployable.has(state) && (
        <button
          type="button"
          className="btn btn-sm btn-ghost"
          disabled={redeploy.isPending}
          title={redeploy.error ? describeError(redeploy.error).sentence : undefined}
          onClick={() =>
            redeploy.mutate(
              { deckyName: name },
              {
                onSuccess: (res) => track(`Redeploy ${name}`, res.lifecycleIds, { [res.lifecycleIds[0] ?? '']: name }),
              },
            )
          }
        >
          Redeploy
        </button>
      )}
      <button
        type="button"
        className="btn btn-sm btn-ghost"
        onClick={() => openDialog({ kind: 'mutate', deckyName: name })}
      >
        Mutate
      </button>
      <button
        type="button"
        className="btn btn-sm btn-danger-ghost"
        onClick={() => openDialog({ kind: 'teardown', deckyName: name })}
      >
        Teardown
      </button>
    </div>
  );
}

/** The decky's rotation interval; a click opens its schedule editor. */
function MutationCell({ decky, fleetDefault }: { decky: Decky; fleetDefault: number | null }) {
  const openDialog = useUiStore((s) => s.openDialog);
  const own = decky.config.mutateInterval;
  const text = describeInterval(intervalOf(decky.config, fleetDefault));
  return (
    <button
      type="button"
      className="btn btn-sm btn-ghost"
      aria-label={`Mutation schedule of ${decky.config.name}: ${text}${own === undefined ? ' (fleet default)' : ''}`}
      title={own === undefined ? 'Follows the fleet default (Settings)' : 'Set on this decky'}
      onClick={() => openDialog({ kind: 'mutate-interval', deckyName: decky.config.name })}
    >
      {text}
      {own === undefined && <span className="muted small"> · default</span>}
    </button>
  );
}

/** The fleet, every host at once, in a virtualised table; deploy, mutate and tear down from here. */
export function DeckiesPage() {
  const deckies = useCommand('deckies.list', {});
  const badges = useIncidentBadges();
  const fleetDefault = useCommand('settings.get', {}).data?.mutateInterval ?? null;
  const openDialog = useUiStore((s) => s.openDialog);
  const { deckySearch, deckyState, set } = useFiltersStore();
  const search = useDeferredValue(deckySearch.trim().toLowerCase());
  const now = useNow(30_000);
  const all = deckies.data ?? [];

  const rows = useMemo(
    () =>
      all.filter(
        (d) =>
          (!deckyState || d.state === deckyState) &&
          (!search ||
            d.config.name.includes(search) ||
            d.config.ip.startsWith(search) ||
            (d.hostName ?? 'local').toLowerCase().includes(search) ||
            d.config.services.some((s) => s === search)),
      ),
    [all, search, deckyState],
  );

  const counts = useMemo(() => {
    const c: Record<string, number> = {};
    for (const d of all) c[d.state] = (c[d.state] ?? 0) + 1;
    return c;
  }, [all]);

  const columns: Column<Decky>[] = [
    {
      key: 'name',
      header: 'Name',
      width: 'minmax(150px, 1.2fr)',
      render: (d) => {
        const badge = incidentBadgeText(badges.byDecky.get(d.config.name));
        return (
          <>
            <span className="mono strong">{d.config.name}</span>
            {badge && (
              <span className="badge badge-bad" title={badge} aria-label={badge}>
                {badges.byDecky.get(d.config.name)}
              </span>
            )}
          </>
        );
      },
    },
    {
      key: 'host',
      header: 'Host',
      width: 'minmax(140px, 1fr)',
      render: (d) => d.hostName ?? <span className="tag">local</span>,
    },
    { key: 'ip', header: 'IP', width: '130px', render: (d) => <span className="mono">{d.config.ip}</span> },
    {
      key: 'services',
      header: 'Services',
      width: 'minmax(200px, 2fr)',
      render: (d) => <ServiceChips services={d.config.services} max={4} />,
    },
    { key: 'state', header: 'State', width: '120px', render: (d) => <StateBadge state={d.state} /> },
    {
      key: 'mutated',
      header: 'Last mutated',
      width: '130px',
      render: (d) => {
        const at = mutatedAt(d.config.lastMutated);
        return at ? (
          <span title={formatTimestamp(at)}>{formatRelative(at, now)}</span>
        ) : (
          <span className="muted">never</span>
        );
      },
    },
    {
      key: 'mutation',
      header: 'Mutation',
      width: '150px',
      render: (d) => <MutationCell decky={d} fleetDefault={fleetDefault} />,
    },
    {
      key: 'actions',
      header: '',
      width: '190px',
      align: 'end',
      render: (d) => <Actions name={d.config.name} state={d.state} />,
    },
  ];

  const deploy = (
    <button type="button" className="btn btn-primary" onClick={() => openDialog({ kind: 'deploy' })}>
      <Icon name="plus" /> Deploy deckies
    </button>
  );

  return (
    <section className="page page-fill">
      <PageHeader
        title="Deckies"
        summary={
          <>
            <span>{all.length.toLocaleString()} deployed</span>
            {deckyStates
              .filter((s) => counts[s])
              .map((s) => (
                <span key={s}>
                  <span className="sep">·</span>
                  <span
                    className={
                      s === 'running'
                        ? 'text-ok'
                        : s === 'failed'
                          ? 'text-bad'
                          : s === 'degraded'
                            ? 'text-warn'
                            : undefined
                    }
                  >
                    {counts[s]?.toLocaleString()} {s}
                  </span>
                </span>
              ))}
          </>
        }
        actions={deploy}
      />
      <div className="toolbar">
        <input
          className="search"
          type="search"
          placeholder="Filter by name, IP prefix, host or service"
          aria-label="Filter deckies"
          value={deckySearch}
          onChange={(e) => set({ deckySearch: e.target.value })}
        />
        <select aria-label="State" value={deckyState} onChange={(e) => set({ deckyState: e.target.value })}>
          <option value="">All states</option>
          {deckyStates.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
        {(deckySearch || deckyState) && <span className="muted small">{rows.length.toLocaleString()} shown</span>}
      </div>
      {deckies.error && <ErrorNotice error={deckies.error} onRetry={() => void deckies.refetch()} />}
      {deckies.isPending ? (
        <div className="loading">Loading deckies…</div>
      ) : all.length === 0 ? (
        <EmptyState icon="deckies" title="No deckies yet" action={deploy}>
          Deckies are the fake machines attackers find. Deploy a few on a live host to start capturing interactions.
        </EmptyState>
      ) : (
        <VirtualTable
          label="Deckies"
          rows={rows}
          columns={columns}
          rowKey={(d) => d.config.name}
          empty={<div className="muted">No decky matches the filter.</div>}
        />
      )}
    </section>
  );
}

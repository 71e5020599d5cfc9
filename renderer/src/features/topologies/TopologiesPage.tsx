import { Fragment, useState } from 'react';
import { useCommand } from '../../api/use-command';
import { StateBadge } from '../../components/Badge';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Icon } from '../../components/Icon';
import { PageHeader } from '../../components/PageHeader';
import { useUiStore } from '../../stores/ui-store';
import { TopologyDetails, shortHash } from './TopologyDetails';

/** Multi-LAN topologies: list with hash drift, create, apply to a host, inspect, tear down, delete. */
export function TopologiesPage() {
  const topologies = useCommand('topologies.list', {});
  const hosts = useCommand('hosts.list', {});
  const openDialog = useUiStore((s) => s.openDialog);
  const [expanded, setExpanded] = useState<string | null>(null);
  const hostName = new Map((hosts.data ?? []).map((h) => [h.uuid, h.name]));
  const list = topologies.data ?? [];

  const create = (
    <button type="button" className="btn btn-primary" onClick={() => openDialog({ kind: 'topology-create' })}>
      <Icon name="plus" /> New topology
    </button>
  );

  return (
    <section className="page">
      <PageHeader
        title="Topologies"
        summary={`${list.length} defined · ${list.filter((t) => t.status === 'active').length} active`}
        actions={create}
      />
      {topologies.error && <ErrorNotice error={topologies.error} onRetry={() => void topologies.refetch()} />}
      {topologies.isPending ? (
        <div className="loading">Loading topologies…</div>
      ) : list.length === 0 ? (
        <EmptyState icon="topologies" title="No topologies" action={create}>
          A topology lays deckies out over several LANs, with a DMZ and internal segments, so lateral movement looks
          real.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Name</th>
                <th>Target host</th>
                <th>Status</th>
                <th>Expected hash</th>
                <th>Applied hash</th>
                <th className="cell-end">LANs</th>
                <th className="cell-end">Deckies</th>
                <th />
              </tr>
            </thead>
            <tbody>
              {list.map((t) => {
                const open = expanded === t.id;
                const drift = t.appliedHash !== null && t.appliedHash !== t.versionHash;
                return (
                  <Fragment key={t.id}>
                    <tr className={open ? 'row-open' : undefined}>
                      <td className="strong">{t.name}</td>
                      <td>
                        {t.targetHostUuid ? (
                          (hostName.get(t.targetHostUuid) ?? t.targetHostUuid.slice(0, 8))
                        ) : (
                          <span className="muted">not applied</span>
                        )}
                      </td>
                      <td>
                        <StateBadge state={t.status} />
                      </td>
                      <td className="mono" title={t.versionHash}>
                        {shortHash(t.versionHash)}
                      </td>
                      <td className="mono" title={t.appliedHash ?? undefined}>
                        {shortHash(t.appliedHash)} {drift && <span className="tag tag-warn">drift</span>}
                        {t.appliedHash !== null && !drift && <Icon name="check" size={13} className="text-ok" />}
                      </td>
                      <td className="cell-end num">{t.lanCount}</td>
                      <td className="cell-end num">{t.deckyCount}</td>
                      <td className="cell-end">
                        <button
                          type="button"
                          className="btn btn-sm btn-ghost"
                          aria-expanded={open}
                          onClick={() => setExpanded(open ? null : t.id)}
                        >
                          {open ? 'Hide' : 'Manage'}{' '}
                          <Icon name="chevron" size={12} className={open ? 'rot-90' : undefined} />
                        </button>
                      </td>
                    </tr>
                    {open && (
                      <tr className="details-row">
                        <td colSpan={8}>
                          <TopologyDetails topology={t} />
                        </td>
                      </tr>
                    )}
                  </Fragment>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

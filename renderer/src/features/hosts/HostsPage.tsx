import type { HostSummary } from '../../../../shared/domain/host';
import { incidentBadgeText, useIncidentBadges } from '../incidents/use-incident-badges';
import { useCommand } from '../../api/use-command';
import { StateBadge } from '../../components/Badge';
import { Fingerprint } from '../../components/CodeBox';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Icon } from '../../components/Icon';
import { PageHeader } from '../../components/PageHeader';
import { formatRelative, formatTimestamp } from '../../lib/time';
import { useNow } from '../../lib/use-now';
import { useUiStore } from '../../stores/ui-store';
import { HostActions } from './HostActions';
import { busy, RolloutNotice, UpdateState } from './UpdateState';

/** Enrolled worker hosts: liveness, data flow, agent version, identity; enroll and decommission. */
export function HostsPage() {
  // Liveness ages on the master without necessarily pushing an event, hence the slow fallback poll.
  const hosts = useCommand('hosts.list', {}, { refetchInterval: 15_000 });
  // An update under way changes its state on the worker, not on the master: polled while one runs.
  const updates = useCommand('hosts.updates', {}, { refetchInterval: (q) => (busy(q.state.data) ? 2_000 : 30_000) });
  const updateOf = new Map((updates.data?.hosts ?? []).map((u) => [u.hostUuid, u]));
  const badges = useIncidentBadges();
  const openDialog = useUiStore((s) => s.openDialog);
  const now = useNow(5_000);
  const list = hosts.data ?? [];
  const count = (l: HostSummary['liveness']): number => list.filter((h) => h.liveness === l).length;

  const enroll = (
    <button type="button" className="btn btn-primary" onClick={() => openDialog({ kind: 'enroll' })}>
      <Icon name="plus" /> Enroll host
    </button>
  );

  return (
    <section className="page">
      <PageHeader
        title="Hosts"
        summary={
          <>
            <span>{list.length} enrolled</span>
            <span className="sep">·</span>
            <span className="text-ok">{count('online')} online</span>
            {count('suspect') > 0 && (
              <>
                <span className="sep">·</span>
                <span className="text-warn">{count('suspect')} suspect</span>
              </>
            )}
            {count('offline') > 0 && (
              <>
                <span className="sep">·</span>
                <span className="text-bad">{count('offline')} offline</span>
              </>
            )}
          </>
        }
        actions={
          <>
            <button
              type="button"
              className="btn btn-ghost"
              onClick={() => void hosts.refetch()}
              disabled={hosts.isFetching}
            >
              <Icon name="refresh" /> Refresh
            </button>
            <button
              type="button"
              className="btn btn-ghost"
              disabled={!list.some((h) => !h.local) || updates.data?.rollout?.state === 'running'}
              onClick={() => openDialog({ kind: 'update-agent', hostUuid: null, hostName: null })}
            >
              Update all…
            </button>
            {enroll}
          </>
        }
      />
      {hosts.error && <ErrorNotice error={hosts.error} onRetry={() => void hosts.refetch()} />}
      {updates.data?.rollout && <RolloutNotice rollout={updates.data.rollout} names={list} />}
      {hosts.isPending ? (
        <div className="loading">Loading hosts…</div>
      ) : list.length === 0 ? (
        <EmptyState icon="hosts" title="No hosts enrolled yet" action={enroll}>
          Enroll a worker host to run deckies on it. The console gives you a one-time join command to paste on the
          worker.
        </EmptyState>
      ) : (
        <div className="table-wrap">
          <table className="table">
            <thead>
              <tr>
                <th>Host</th>
                <th>Liveness</th>
                <th>Data flow</th>
                <th className="cell-end">Deckies</th>
                <th>Agent</th>
                <th>Fingerprint</th>
                <th>Enrolled</th>
                <th className="cell-end">Actions</th>
              </tr>
            </thead>
            <tbody>
              {list.map((h) => (
                <tr key={h.uuid}>
                  <td>
                    <div className="cell-title">
                      {h.name}
                      {h.local && <span className="tag">local</span>}
                    </div>
                    <div className="cell-sub mono">
                      {h.address ? `${h.address}:${h.agentPort}` : 'waiting for first connect'}
                    </div>
                  </td>
                  <td>
                    <StateBadge state={h.liveness} />
                    <div className="cell-sub" title={formatTimestamp(h.lastHeartbeatAt)}>
                      {h.lastHeartbeatAt ? `heartbeat ${formatRelative(h.lastHeartbeatAt, now)}` : 'no heartbeat yet'}
                    </div>
                  </td>
                  <td title={formatTimestamp(h.lastEventsAt)}>
                    {h.lastEventsAt ? formatRelative(h.lastEventsAt, now) : <span className="muted">no events</span>}
                  </td>
                  <td className="cell-end num">
                    {h.deckyCount}
                    {/* Beside the count, not in the name cell: the name stays the host's name alone. */}
                    {incidentBadgeText(badges.byHost.get(h.local ? null : h.name)) && (
                      <span
                        className="badge badge-bad"
                        title={incidentBadgeText(badges.byHost.get(h.local ? null : h.name))!}
                        aria-label={incidentBadgeText(badges.byHost.get(h.local ? null : h.name))!}
                      >
                        {badges.byHost.get(h.local ? null : h.name)}
                      </span>
                    )}
                  </td>
                  <td>
                    <span className="mono">{h.agentVersion ?? <span className="muted">—</span>}</span>
                    <UpdateState update={updateOf.get(h.uuid)} />
                  </td>
                  <td>
                    <Fingerprint value={h.fingerprint} />
                  </td>
                  <td title={formatTimestamp(h.enrolledAt)}>{formatRelative(h.enrolledAt, now)}</td>
                  <td className="cell-end">
                    <HostActions host={h} />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

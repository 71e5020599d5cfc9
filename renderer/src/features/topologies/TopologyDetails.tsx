import { useState } from 'react';
import type { CommandOutput } from '../../../../shared/ipc/types';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { StateBadge } from '../../components/Badge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatTimestamp } from '../../lib/time';
import { useUiStore } from '../../stores/ui-store';

type Item = CommandOutput<'topologies.list'>[number];

export const shortHash = (h: string | null | undefined): string => (h ? h.slice(0, 12) : '—');

/** Expanded row: apply to a host, applied-vs-expected state as the agent reports it, teardown, delete. */
export function TopologyDetails({ topology }: { topology: Item }) {
  const hosts = useCommand('hosts.list', {});
  const [hostUuid, setHostUuid] = useState(topology.targetHostUuid ?? '');
  const apply = useCommandMutation('topologies.apply', ['topologies.list', 'topologies.state']);
  const state = useCommand(
    'topologies.state',
    { topologyId: topology.id },
    { enabled: topology.targetHostUuid !== null, retry: false },
  );
  const openDialog = useUiStore((s) => s.openDialog);
  const s = state.data;
  const inSync = s && s.appliedVersionHash === s.expectedHash;

  return (
    <div className="details">
      <div className="details-col">
        <h4>Apply</h4>
        <div className="inline-row">
          <select aria-label="Target host" value={hostUuid} onChange={(e) => setHostUuid(e.target.value)}>
            <option value="">Choose a host…</option>
            {(hosts.data ?? []).map((h) => (
              <option key={h.uuid} value={h.uuid}>
                {h.name} ({h.liveness})
              </option>
            ))}
          </select>
          <button
            type="button"
            className="btn btn-primary"
            disabled={!hostUuid || apply.isPending}
            onClick={() => apply.mutate({ topologyId: topology.id, hostUuid })}
          >
            {apply.isPending ? 'Applying…' : 'Apply'}
          </button>
        </div>
        {apply.data && <div className="text-ok small">Applied version {shortHash(apply.data.versionHash)}</div>}
        {apply.error && <ErrorNotice error={apply.error} />}
        <div className="row-buttons">
          <button
            type="button"
            className="btn btn-sm btn-ghost"
            disabled={topology.targetHostUuid === null}
            onClick={() =>
              openDialog({
                kind: 'topology-confirm',
                topologyId: topology.id,
                topologyName: topology.name,
                action: 'teardown',
              })
            }
          >
            Teardown
          </button>
          <button
            type="button"
            className="btn btn-sm btn-danger-ghost"
            onClick={() =>
              openDialog({
                kind: 'topology-confirm',
                topologyId: topology.id,
                topologyName: topology.name,
                action: 'delete',
              })
            }
          >
            Delete
          </button>
        </div>
      </div>
      <div className="details-col">
        <h4>State on the host</h4>
        {topology.targetHostUuid === null ? (
          <div className="muted">Not applied to any host yet.</div>
        ) : state.isPending ? (
          <div className="loading">Asking the agent…</div>
        ) : state.error ? (
          <ErrorNotice error={state.error} onRetry={() => void state.refetch()} />
        ) : s ? (
          <dl className="kv-list">
            <dt>Expected</dt>
            <dd className="mono">{shortHash(s.expectedHash)}</dd>
            <dt>Applied</dt>
            <dd className="mono">
              {shortHash(s.appliedVersionHash)}{' '}
              {inSync ? <span className="text-ok">in sync</span> : <span className="text-warn">differs</span>}
            </dd>
            <dt>Applied at</dt>
            <dd>{formatTimestamp(s.appliedAt)}</dd>
            {s.lastError && (
              <>
                <dt>Last error</dt>
                <dd className="text-bad">{s.lastError}</dd>
              </>
            )}
            <dt>Observed</dt>
            <dd className="chips">
              {Object.entries(s.observed).map(([name, up]) => (
                <span key={name} className={`chip ${up ? 'chip-add' : 'chip-remove'}`}>
                  {name}
                </span>
              ))}
              {Object.keys(s.observed).length === 0 && <span className="muted">nothing reported</span>}
            </dd>
          </dl>
        ) : null}
      </div>
      <div className="details-col">
        <h4>Status</h4>
        <StateBadge state={topology.status} />
      </div>
    </div>
  );
}

import type { HostSummary } from '../../../../shared/domain/host';
import { describeError } from '../../api/error-messages';
import { useCommandMutation } from '../../api/use-command';
import { Icon } from '../../components/Icon';
import { useOperationsStore } from '../../stores/operations-store';
import { useUiStore } from '../../stores/ui-store';

/** Per-host actions: a reachability check whose result shows inline, redeploy, network settings, decommission. */
export function HostActions({ host }: { host: HostSummary }) {
  const check = useCommandMutation('hosts.check', ['hosts.list']);
  const openDialog = useUiStore((s) => s.openDialog);
  const result = check.data;
  const redeploy = useCommandMutation('deckies.redeploy', ['deckies.list']);
  const track = useOperationsStore((s) => s.track);

  return (
    <div className="row-actions">
      <div className="row-buttons">
        <button
          type="button"
          className="btn btn-sm btn-ghost"
          onClick={() => check.mutate({ hostUuid: host.uuid })}
          disabled={check.isPending}
        >
          <Icon name="pulse" size={14} /> {check.isPending ? 'Checking…' : 'Check'}
        </button>
        <button
          type="button"
          className="btn btn-sm btn-ghost"
          disabled={redeploy.isPending}
          title="Send the recorded config of every degraded or stopped decky of this host again"
          onClick={() =>
            redeploy.mutate(
              { hostUuid: host.uuid, degradedOnly: true },
              {
                onSuccess: (res) =>
                  res.lifecycleIds.length > 0 &&
                  track(
                    `Redeploy degraded on ${host.name}`,
                    res.lifecycleIds,
                    Object.fromEntries(res.lifecycleIds.map((id, i) => [id, res.deckies[i] ?? ''])),
                  ),
              },
            )
          }
        >
          {redeploy.isPending ? 'Redeploying…' : 'Redeploy degraded'}
        </button>
        <button
          type="button"
          className="btn btn-sm btn-ghost"
          title="Where this host's deckies take their addresses"
          onClick={() => openDialog({ kind: 'network', hostUuid: host.uuid })}
        >
          Network…
        </button>
        <button
          type="button"
          className="btn btn-sm btn-ghost"
          disabled={host.local}
          title={
            host.local ? 'The local agent is updated with the console' : 'Push a signed agent release to this host'
          }
          onClick={() => openDialog({ kind: 'update-agent', hostUuid: host.uuid, hostName: host.name })}
        >
          Update agent…
        </button>
        <button
          type="button"
          className="btn btn-sm btn-danger-ghost"
          disabled={host.local}
          title={host.local ? 'The embedded local host cannot be decommissioned' : undefined}
          onClick={() => openDialog({ kind: 'decommission', hostUuid: host.uuid, hostName: host.name })}
        >
          Decommission
        </button>
      </div>
      {redeploy.data && redeploy.data.deckies.length === 0 && (
        <div className="check-result muted" role="status">
          No degraded decky on this host.
        </div>
      )}
      {redeploy.error && (
        <div className="check-result text-bad" role="status">
          {describeError(redeploy.error).detail ?? describeError(redeploy.error).sentence}
        </div>
      )}
      {check.error && (
        <div className="check-result text-bad" role="status">
          {describeError(check.error).detail ?? describeError(check.error).sentence}
        </div>
      )}
      {result && (
        <div className={`check-result ${result.reachable ? 'text-ok' : 'text-bad'}`} role="status">
          {result.reachable
            ? `Reachable${result.version ? ` · agent ${result.version}` : ''}`
            : `Unreachable${result.error ? `: ${result.error}` : ''}`}
        </div>
      )}
    </div>
  );
}

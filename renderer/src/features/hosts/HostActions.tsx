import type { HostSummary } from '../../../../shared/domain/host';
import { describeError } from '../../api/error-messages';
import { useCommandMutation } from '../../api/use-command';
import { Icon } from '../../components/Icon';
import { useUiStore } from '../../stores/ui-store';

/** Per-host actions: a reachability check whose result shows inline, and decommission. */
export function HostActions({ host }: { host: HostSummary }) {
  const check = useCommandMutation('hosts.check', ['hosts.list']);
  const openDialog = useUiStore((s) => s.openDialog);
  const result = check.data;

  return (
    <div className="row-actions">
      <div className="row-buttons">
        <button type="button" className="btn btn-sm btn-ghost" onClick={() => check.mutate({ hostUuid: host.uuid })} disabled={check.isPending}>
          <Icon name="pulse" size={14} /> {check.isPending ? 'Checking…' : 'Check'}
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
      {check.error && (
        <div className="check-result text-bad" role="status">
          {describeError(check.error).detail ?? describeError(check.error).sentence}
        </div>
      )}
      {result && (
        <div className={`check-result ${result.reachable ? 'text-ok' : 'text-bad'}`} role="status">
          {result.reachable ? `Reachable${result.version ? ` · agent ${result.version}` : ''}` : `Unreachable${result.error ? `: ${result.error}` : ''}`}
        </div>
      )}
    </div>
  );
}

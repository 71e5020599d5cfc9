import type { HostUpdateView, Rollout } from '../../../../shared/domain/agent-update';
import type { HostSummary } from '../../../../shared/domain/host';

const resultText = { succeeded: 'updated to', failed: 'update failed', rolled_back: 'rolled back from' } as const;

/** True while any host is being updated or a rollout runs: the page then polls faster. */
export function busy(data: { hosts: HostUpdateView[]; rollout: Rollout | null } | undefined): boolean {
  return !!data && (data.rollout?.state === 'running' || data.hosts.some((h) => h.state !== 'idle'));
}

/** Under the agent version: the update under way, else the last result with its reason on hover. */
export function UpdateState({ update }: { update: HostUpdateView | undefined }) {
  if (!update) return null;
  if (update.state !== 'idle') {
    const to = update.job?.toVersion;
    const what = update.state === 'watching' ? 'watching' : update.state === 'pushing' ? 'sending' : 'updating';
    return (
      <div className="cell-sub text-warn" role="status">
        {what}
        {to ? ` → ${to}` : ''}…
      </div>
    );
  }
  const r = update.lastResult;
  if (!r) return null;
  return (
    <div className={`cell-sub ${r.state === 'succeeded' ? 'text-ok' : 'text-bad'}`} title={r.reason ?? undefined}>
      {resultText[r.state]}
      {r.toVersion ? ` ${r.toVersion}` : ''}
      {r.state !== 'succeeded' && r.reason ? `: ${r.reason}` : ''}
    </div>
  );
}

/** The last "Update all": progress while it runs, where it stopped and why. */
export function RolloutNotice({ rollout, names }: { rollout: Rollout; names: readonly HostSummary[] }) {
  const name = (uuid: string) => names.find((h) => h.uuid === uuid)?.name ?? uuid.slice(0, 8);
  const kind = rollout.state === 'stopped' ? 'notice-warn' : rollout.state === 'done' ? 'notice-ok' : '';
  return (
    <div className={`notice ${kind}`} role="status">
      <div>
        {rollout.state === 'running' &&
          `Updating all workers to ${rollout.release}: ${rollout.updated.length} done, ${rollout.pending.length} to go (waves of ${rollout.waveSize}).`}
        {rollout.state === 'done' && `All workers updated to ${rollout.release} (${rollout.updated.length}).`}
        {rollout.state === 'stopped' &&
          `Update all stopped at the first failure (${rollout.failed?.reason ?? 'unknown'}); ${rollout.pending.length} worker(s) not updated.`}
        {rollout.updated.length > 0 && ` Updated: ${rollout.updated.map(name).join(', ')}.`}
      </div>
    </div>
  );
}

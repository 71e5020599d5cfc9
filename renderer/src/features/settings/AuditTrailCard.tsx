import { useCommand } from '../../api/use-command';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatTimestamp } from '../../lib/time';

/**
 * Who changed what, newest first: every state-changing command from the desktop or the console
 * API, with its outcome. The full trail is `<data>/audit.jsonl`, or `decnet-master audit.list --json`.
 */
export function AuditTrailCard() {
  const audit = useCommand('audit.list', { limit: 50 }, { refetchInterval: 15_000 });
  const entries = audit.data?.entries ?? [];
  return (
    <div className="card" aria-label="Audit trail">
      <h3>Audit trail</h3>
      {audit.error && <ErrorNotice error={audit.error} />}
      {audit.data && entries.length === 0 && <div className="muted small">No change recorded yet.</div>}
      {entries.length > 0 && (
        <table className="table">
          <thead>
            <tr>
              <th>When</th>
              <th>Who</th>
              <th>Command</th>
              <th>Result</th>
            </tr>
          </thead>
          <tbody>
            {entries.map((e, i) => (
              <tr key={`${e.at}-${i}`}>
                <td>{formatTimestamp(e.at)}</td>
                <td className="mono">{e.actor}</td>
                <td className="mono" title={JSON.stringify(e.input)}>
                  {e.command}
                </td>
                <td className={e.ok ? 'text-ok' : 'text-bad'}>{e.ok ? 'ok' : `${e.error?.code ?? 'failed'}`}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </div>
  );
}

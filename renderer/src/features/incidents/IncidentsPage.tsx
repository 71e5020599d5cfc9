import { useState } from 'react';
import type { Incident } from '../../../../shared/domain/alerts';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { EmptyState } from '../../components/EmptyState';
import { ErrorNotice } from '../../components/ErrorNotice';
import { PageHeader } from '../../components/PageHeader';
import { formatTimestamp } from '../../lib/time';
import { AlertChannelForm } from './AlertChannelForm';
import { EmailChannelForm } from './EmailChannelForm';
import { NotificationControl } from './IncidentNotifications';

const ruleLabels: Record<Incident['rule'], string> = {
  'first-contact': 'First contact',
  credentials: 'Credentials used',
  command: 'Command executed',
  'host-offline': 'Host offline',
  'cert-mismatch': 'Certificate mismatch',
};

/** Open incidents first: one row per (source, rule), repeats folded in ("and 41 more in 10 min"). */
export function IncidentsPage() {
  const [showClosed, setShowClosed] = useState(false);
  const list = useCommand('incidents.list', showClosed ? {} : { state: 'open' });
  const acked = useCommand('incidents.list', { state: 'acknowledged' }, { enabled: !showClosed });
  const update = useCommandMutation('incidents.update', ['incidents.list']);
  const rows = [...(list.data?.incidents ?? []), ...(showClosed ? [] : (acked.data?.incidents ?? []))];
  const open = list.data?.incidents.filter((i) => i.state === 'open').length ?? 0;

  return (
    <section className="page">
      <PageHeader
        title="Incidents"
        summary={<span>{open.toLocaleString()} open</span>}
        actions={
          <>
            <NotificationControl />
            <label className="inline-check">
              <input type="checkbox" checked={showClosed} onChange={(e) => setShowClosed(e.target.checked)} /> Show
              closed
            </label>
          </>
        }
      />
      {list.error && <ErrorNotice error={list.error} />}
      {update.error && <ErrorNotice error={update.error} />}
      {rows.length === 0 && !list.isLoading ? (
        <EmptyState icon="alert" title="No incidents">
          An incident opens the first time a source touches any decky, and for the rules switched on below.
        </EmptyState>
      ) : (
        <table className="table" aria-label="Incidents">
          <thead>
            <tr>
              <th>Rule</th>
              <th>Source</th>
              <th>What happened</th>
              <th>Deckies</th>
              <th>First / last</th>
              <th>Events</th>
              <th>State</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {rows.map((i) => (
              <tr key={i.id} data-state={i.state}>
                <td>{ruleLabels[i.rule]}</td>
                <td className="mono">{i.source}</td>
                <td>{i.count > 1 ? `${i.title} — and ${i.count - 1} more` : i.title}</td>
                <td className="mono">{i.deckies.join(', ')}</td>
                <td className="mono small">
                  {formatTimestamp(i.firstAt)}
                  <br />
                  {formatTimestamp(i.lastAt)}
                </td>
                <td>{i.count.toLocaleString()}</td>
                <td>{i.state}</td>
                <td className="row-actions">
                  {i.state === 'open' && (
                    <button
                      type="button"
                      className="btn btn-sm"
                      onClick={() => update.mutate({ id: i.id, state: 'acknowledged' })}
                    >
                      Acknowledge
                    </button>
                  )}
                  {i.state !== 'closed' && (
                    <button
                      type="button"
                      className="btn btn-sm btn-ghost"
                      onClick={() => update.mutate({ id: i.id, state: 'closed' })}
                    >
                      Close
                    </button>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      <AlertChannelForm />
      <EmailChannelForm />
    </section>
  );
}

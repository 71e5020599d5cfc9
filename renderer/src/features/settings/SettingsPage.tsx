import type { LocalDeckiesOnQuit } from '../../../../shared/ipc/contract';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Icon } from '../../components/Icon';
import { PageHeader } from '../../components/PageHeader';
import { formatRelative, formatTimestamp } from '../../lib/time';
import { useNow } from '../../lib/use-now';
import { EventStoreCard } from './EventStoreCard';
import { AccountsCard } from './AccountsCard';
import { AuditTrailCard } from './AuditTrailCard';
import { FleetMutationCard } from './FleetMutationCard';

/** Where the console keeps its data, what it listens on, and whether that binding is safe. */
export function SettingsPage() {
  const settings = useCommand('settings.get', {});
  const now = useNow(60_000);
  const update = useCommandMutation('settings.update', ['settings.get']);
  const s = settings.data;

  return (
    <section className="page">
      <PageHeader
        title="Settings"
        summary="Listeners and the CA come from the master's environment (change it and restart); the fleet's mutation schedule and the window behaviour are yours to set here."
      />
      {settings.error && <ErrorNotice error={settings.error} onRetry={() => void settings.refetch()} />}
      {settings.isPending && <div className="loading">Loading settings…</div>}
      {s && (
        <div className="cards">
          <div className="card">
            <h3>Public binding check</h3>
            {s.publicBinding.ok ? (
              <div className="notice notice-ok">
                <Icon name="check" />
                <div>The console API binding is safe.</div>
              </div>
            ) : (
              <div className="notice notice-bad" role="alert">
                <Icon name="alert" />
                <ul className="plain">
                  {s.publicBinding.messages.map((m) => (
                    <li key={m}>{m}</li>
                  ))}
                </ul>
              </div>
            )}
            {s.publicBinding.ok && s.publicBinding.messages.length > 0 && (
              <ul className="plain muted small">
                {s.publicBinding.messages.map((m) => (
                  <li key={m}>{m}</li>
                ))}
              </ul>
            )}
          </div>
          <div className="card">
            <h3>Store</h3>
            {s.store.ok ? (
              <div className="notice notice-ok">
                <Icon name="check" />
                <div>
                  Every change is on disk
                  {s.store.lastWriteAt && (
                    <span className="muted"> (last write {formatRelative(s.store.lastWriteAt, now)})</span>
                  )}
                  .
                </div>
              </div>
            ) : (
              <div className="notice notice-bad" role="alert">
                <Icon name="alert" />
                <div>
                  The store cannot be written: {s.store.lastError}. Changes are refused and workers keep their reports
                  until a write succeeds ({s.store.failedWrites} failed writes).
                </div>
              </div>
            )}
            {s.trust.refusedEvents.length > 0 && (
              <ul className="plain muted small">
                {s.trust.refusedEvents.map((r) => (
                  <li key={r.hostUuid}>
                    Events refused from host <span className="mono">{r.hostUuid}</span>: {r.foreignDecky} naming another
                    host&apos;s decky, {r.unknownDecky} naming an unknown decky
                  </li>
                ))}
              </ul>
            )}
          </div>
          <FleetMutationCard mutateInterval={s.mutateInterval} />
          <AccountsCard />
          <AuditTrailCard />
          <EventStoreCard />
          <div className="card">
            <h3>Listeners</h3>
            <dl className="kv-list">
              <dt>Console API</dt>
              <dd className="mono">{s.apiListen ?? <span className="muted">off (desktop IPC only)</span>}</dd>
              <dt>Swarm listener</dt>
              <dd className="mono">{s.swarmListen}</dd>
            </dl>
          </div>
          <div className="card">
            <h3>Certificate authority</h3>
            <dl className="kv-list">
              <dt>Fingerprint</dt>
              <dd className="mono break">{s.caFingerprint}</dd>
              <dt>Expires</dt>
              <dd>
                {formatTimestamp(s.caExpiresAt)} <span className="muted">({formatRelative(s.caExpiresAt, now)})</span>
              </dd>
            </dl>
          </div>
          <div className="card">
            <h3>Console</h3>
            <dl className="kv-list">
              <dt>Data directory</dt>
              <dd className="mono break">{s.dataDir}</dd>
              <dt>Version</dt>
              <dd className="mono">{s.version}</dd>
            </dl>
            <label className="check">
              <input
                type="checkbox"
                checked={s.closeToTray}
                disabled={update.isPending}
                onChange={(e) => update.mutate({ closeToTray: e.target.checked })}
              />{' '}
              Closing the desktop window keeps the master running in the tray
            </label>
            <label className="check" htmlFor="quit-local">
              When the console quits, its local deckies{' '}
              <select
                id="quit-local"
                value={s.localDeckiesOnQuit}
                disabled={update.isPending}
                onChange={(e) => update.mutate({ localDeckiesOnQuit: e.target.value as LocalDeckiesOnQuit })}
              >
                <option value="ask">ask each time</option>
                <option value="keep">keep answering attackers</option>
                <option value="stop">stop</option>
              </select>
            </label>
            {update.error && <ErrorNotice error={update.error} />}
          </div>
        </div>
      )}
    </section>
  );
}

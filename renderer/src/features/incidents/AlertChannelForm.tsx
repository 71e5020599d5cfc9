import { useState } from 'react';
import { alertRuleIds, isEmailChannel, type AlertRule, type WebhookChannel } from '../../../../shared/domain/alerts';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ChannelOutcome } from './ChannelOutcome';

const ruleNames: Record<AlertRule['id'], string> = {
  'first-contact': 'First interaction of a source with any decky',
  credentials: 'Credentials used',
  command: 'Command executed',
  'host-offline': 'A decky host went offline',
  'cert-mismatch': 'A worker certificate mismatch',
};

/** Alert rules and the webhook channel (JSON signed with HMAC-SHA256, or a Slack/Teams body). */
export function AlertChannelForm() {
  const config = useCommand('alerts.get', {});
  const save = useCommandMutation('alerts.configure', ['alerts.get']);
  const test = useCommandMutation('alerts.test', ['alerts.get']);
  const channels = config.data?.channels ?? [];
  const hook = channels.find((c): c is WebhookChannel => c.id === 'webhook' && !isEmailChannel(c));
  const [url, setUrl] = useState('');
  const [secret, setSecret] = useState('');
  const [format, setFormat] = useState<'json' | 'slack'>('json');
  const status = config.data?.status.webhook;

  const rules = config.data?.rules ?? [];
  const toggle = (id: AlertRule['id'], enabled: boolean) =>
    save.mutate({ rules: rules.map((r) => (r.id === id ? { ...r, enabled } : r)) });

  return (
    <section className="card" aria-label="Alert settings">
      <h2>Alert rules</h2>
      {config.error && <ErrorNotice error={config.error} />}
      {save.error && <ErrorNotice error={save.error} />}
      <ul className="plain-list">
        {alertRuleIds.map((id) => {
          const r = rules.find((x) => x.id === id);
          return (
            <li key={id}>
              <label className="inline-check">
                <input
                  type="checkbox"
                  checked={r?.enabled ?? false}
                  disabled={!r}
                  onChange={(e) => toggle(id, e.target.checked)}
                />{' '}
                {ruleNames[id]}
                {r && <span className="muted small"> — repeats fold for {r.windowMinutes} min</span>}
              </label>
            </li>
          );
        })}
      </ul>
      <h2>Webhook</h2>
      <form
        className="form-row"
        onSubmit={(e) => {
          e.preventDefault();
          // Only this channel changes: the others (email) are sent back as they are.
          save.mutate({
            channels: [
              ...channels.filter((c) => c.id !== 'webhook'),
              { id: 'webhook', url, secret, format, enabled: true },
            ],
          });
        }}
      >
        <input
          aria-label="Webhook URL"
          placeholder={hook?.url ?? 'https://hooks.example/decnet'}
          value={url}
          onChange={(e) => setUrl(e.target.value)}
          required
        />
        <input
          aria-label="Signing secret"
          type="password"
          placeholder="signing secret (16+ characters)"
          minLength={16}
          value={secret}
          onChange={(e) => setSecret(e.target.value)}
          required
        />
        <select
          aria-label="Body format"
          value={format}
          onChange={(e) => setFormat(e.target.value === 'slack' ? 'slack' : 'json')}
        >
          <option value="json">JSON (signed)</option>
          <option value="slack">Slack / Teams text</option>
        </select>
        <button type="submit" className="btn btn-primary btn-sm">
          Save
        </button>
        <button
          type="button"
          className="btn btn-sm"
          disabled={!hook}
          onClick={() => test.mutate({ channelId: 'webhook' })}
        >
          Send test
        </button>
      </form>
      <ChannelOutcome test={test.data} status={status} delivered="Test delivered." />
    </section>
  );
}

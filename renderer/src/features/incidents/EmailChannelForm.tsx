import { type FormEvent, useState } from 'react';
import { EmailChannel, isEmailChannel } from '../../../../shared/domain/alerts';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { ErrorNotice } from '../../components/ErrorNotice';
import { ChannelOutcome } from './ChannelOutcome';

const ID = 'email';
type Security = EmailChannel['security'];
const defaultPort: Record<Security, number> = { starttls: 587, tls: 465, none: 25 };

/**
 * The email channel: SMTP with STARTTLS by default (a server that does not offer it is refused),
 * optional login, the recipients, and a CA for a private relay. Saving sends the other channels
 * back unchanged; "Send test" delivers now and shows the server's answer.
 */
export function EmailChannelForm() {
  const config = useCommand('alerts.get', {});
  const save = useCommandMutation('alerts.configure', ['alerts.get']);
  const test = useCommandMutation('alerts.test', ['alerts.get']);
  const channels = config.data?.channels ?? [];
  const current = channels.find((c): c is EmailChannel => c.id === ID && isEmailChannel(c));
  const [host, setHost] = useState('');
  const [security, setSecurity] = useState<Security>('starttls');
  const [port, setPort] = useState('');
  const [user, setUser] = useState('');
  const [password, setPassword] = useState('');
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const status = config.data?.status[ID];

  const submit = (e: FormEvent): void => {
    e.preventDefault();
    const parsed = EmailChannel.safeParse({
      kind: 'email',
      id: ID,
      host: host.trim(),
      port: port.trim() ? Number(port) : defaultPort[security],
      security,
      ...(user.trim() ? { user: user.trim(), password } : {}),
      from: from.trim(),
      to: to
        .split(/[,\s]+/)
        .map((x) => x.trim())
        .filter(Boolean),
      enabled: true,
    });
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      setProblem(`${issue?.path.join('.') || 'email'}: ${issue?.message ?? 'invalid'}`);
      return;
    }
    setProblem(null);
    save.mutate({ channels: [...channels.filter((c) => c.id !== ID), parsed.data] });
  };

  return (
    <section className="card" aria-label="Email alerts">
      <h2>Email</h2>
      {current && (
        <div className="muted small">
          Now: {current.to.join(', ')} via {current.host}:{current.port} ({current.security})
        </div>
      )}
      <form className="form-row" onSubmit={submit}>
        <input
          aria-label="SMTP host"
          placeholder={current?.host ?? 'smtp.example.org'}
          value={host}
          onChange={(e) => setHost(e.target.value)}
          required
        />
        <select aria-label="Security" value={security} onChange={(e) => setSecurity(e.target.value as Security)}>
          <option value="starttls">STARTTLS (587)</option>
          <option value="tls">TLS (465)</option>
          <option value="none">None (local relay)</option>
        </select>
        <input
          aria-label="SMTP port"
          inputMode="numeric"
          placeholder={String(defaultPort[security])}
          value={port}
          onChange={(e) => setPort(e.target.value)}
        />
        <input
          aria-label="SMTP user"
          placeholder="user (optional)"
          value={user}
          onChange={(e) => setUser(e.target.value)}
        />
        <input
          aria-label="SMTP password"
          type="password"
          placeholder="password"
          value={password}
          onChange={(e) => setPassword(e.target.value)}
        />
        <input
          aria-label="From"
          placeholder="decnet@example.org"
          value={from}
          onChange={(e) => setFrom(e.target.value)}
          required
        />
        <input
          aria-label="To"
          placeholder="soc@example.org, oncall@example.org"
          value={to}
          onChange={(e) => setTo(e.target.value)}
          required
        />
        <button type="submit" className="btn btn-primary btn-sm" disabled={save.isPending}>
          Save
        </button>
        <button
          type="button"
          className="btn btn-sm"
          disabled={!current || test.isPending}
          onClick={() => test.mutate({ channelId: ID })}
        >
          {test.isPending ? 'Sending…' : 'Send test'}
        </button>
      </form>
      {problem && <div className="notice error">{problem}</div>}
      {save.error && <ErrorNotice error={save.error} />}
      <ChannelOutcome test={test.data} status={status} delivered="Test email sent." />
    </section>
  );
}

import { useState } from 'react';
import { useCommand, useCommandMutation } from '../../api/use-command';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatTimestamp } from '../../lib/time';

const num = (v: string): number | null => (v.trim() === '' ? null : Number(v));

/** Event store retention (days, size) and the SIEM output's delivery state with a test button. */
export function EventStoreCard() {
  const retention = useCommand('events.retention', {});
  const siem = useCommand('siem.status', {}, { refetchInterval: 5000 });
  const save = useCommandMutation('events.setRetention', ['events.retention']);
  const test = useCommandMutation('siem.test', ['siem.status']);
  const [days, setDays] = useState<string | null>(null);
  const [mb, setMb] = useState<string | null>(null);
  const r = retention.data;
  const shownDays = days ?? r?.maxAgeDays?.toString() ?? '';
  const shownMb = mb ?? r?.maxMb?.toString() ?? '';
  const s = siem.data;
  return (
    <div className="card">
      <h3>Event store</h3>
      {r && (
        <p className="muted small">
          {r.events.toLocaleString()} events stored, {(r.bytes / 2 ** 20).toFixed(1)} MiB. The oldest events beyond
          either limit are deleted (empty = no limit).
        </p>
      )}
      <form
        className="stack"
        onSubmit={(e) => {
          e.preventDefault();
          save.mutate(
            { maxAgeDays: num(shownDays), maxMb: num(shownMb) },
            { onSuccess: () => (setDays(null), setMb(null)) },
          );
        }}
      >
        <label>
          Keep events for (days)
          <input type="number" min={1} value={shownDays} onChange={(e) => setDays(e.target.value)} />
        </label>
        <label>
          Keep at most (MiB)
          <input type="number" min={16} value={shownMb} onChange={(e) => setMb(e.target.value)} />
        </label>
        {save.error && <ErrorNotice error={save.error} />}
        <div className="dialog-inline-foot">
          <button type="submit" className="btn btn-primary" disabled={(days === null && mb === null) || save.isPending}>
            {save.isPending ? 'Saving…' : 'Save retention'}
          </button>
        </div>
      </form>
      <h3>SIEM output</h3>
      <SiemForm current={s ?? null} />
      {s === null ? (
        <p className="muted small">Off: no events are forwarded.</p>
      ) : s ? (
        <dl className="kv small" aria-label="SIEM output">
          <dt>Target</dt>
          <dd className="mono">
            {s.target} ({s.format})
          </dd>
          <dt>State</dt>
          <dd>{s.connected ? 'connected' : 'not connected'}</dd>
          <dt>Delivered</dt>
          <dd>
            {s.delivered.toLocaleString()}
            {s.lastDeliveredAt ? `, last ${formatTimestamp(s.lastDeliveredAt)}` : ''}
          </dd>
          <dt>Waiting</dt>
          <dd>{s.backlog.toLocaleString()}</dd>
          <dt>Last error</dt>
          <dd className={s.lastError ? 'bad' : 'muted'}>{s.lastError ?? 'none'}</dd>
        </dl>
      ) : null}
      {s && (
        <div className="dialog-inline-foot">
          <button type="button" className="btn" disabled={test.isPending} onClick={() => test.mutate({})}>
            {test.isPending ? 'Sending…' : 'Send test event'}
          </button>
          {test.data && (
            <span className={test.data.ok ? 'muted' : 'bad'}>{test.data.ok ? 'sent' : test.data.error}</span>
          )}
        </div>
      )}
    </div>
  );
}

/** Target (tls://, tcp:// or udp://host:port; empty = off), format, and the collector's CA for TLS. */
function SiemForm({ current }: { current: { target: string; format: 'rfc5424' | 'ecs' | 'cef' } | null }) {
  const configure = useCommandMutation('siem.configure', ['siem.status']);
  const [target, setTarget] = useState<string | null>(null);
  const [format, setFormat] = useState<'rfc5424' | 'ecs' | 'cef' | null>(null);
  const [ca, setCa] = useState('');
  const shownTarget = target ?? current?.target ?? '';
  const shownFormat = format ?? current?.format ?? 'rfc5424';
  return (
    <form
      className="stack"
      onSubmit={(e) => {
        e.preventDefault();
        configure.mutate(
          { target: shownTarget.trim() || null, format: shownFormat, ca: ca.trim() || null },
          { onSuccess: () => (setTarget(null), setFormat(null)) },
        );
      }}
    >
      <label>
        Collector
        <input placeholder="tls://siem.example:6514" value={shownTarget} onChange={(e) => setTarget(e.target.value)} />
      </label>
      <label>
        Format
        <select value={shownFormat} onChange={(e) => setFormat(e.target.value as 'rfc5424' | 'ecs' | 'cef')}>
          <option value="rfc5424">RFC 5424 with structured data</option>
          <option value="ecs">ECS JSON</option>
          <option value="cef">CEF</option>
        </select>
      </label>
      <label>
        Collector CA (PEM, TLS only; empty = the system store)
        <textarea rows={3} className="mono" value={ca} onChange={(e) => setCa(e.target.value)} />
      </label>
      {configure.error && <ErrorNotice error={configure.error} />}
      <div className="dialog-inline-foot">
        <button type="submit" className="btn btn-primary" disabled={configure.isPending}>
          {configure.isPending ? 'Saving…' : 'Save SIEM output'}
        </button>
      </div>
    </form>
  );
}

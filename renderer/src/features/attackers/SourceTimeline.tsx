import type { SessionView } from '../../../../shared/domain/event-query';
import { useCommand } from '../../api/use-command';
import { ErrorNotice } from '../../components/ErrorNotice';
import { formatTimestamp } from '../../lib/time';
import { useFiltersStore } from '../../stores/filters-store';
import { useUiStore } from '../../stores/ui-store';
import { summarize } from '../events/event-buckets';
import { SessionCaptures } from './SessionCaptures';

/** One session: where, when, the credentials tried and the commands typed, in order. */
function SessionCard({ s }: { s: SessionView }) {
  const other = s.events.filter(
    (e) => e.kind !== 'auth' && e.kind !== 'command' && e.kind !== 'artifact' && e.kind !== 'recording',
  );
  return (
    <article className="panel" aria-label={`Session ${s.session || '(none)'} on ${s.decky}`}>
      <header className="toolbar">
        <span className="mono strong">{s.decky}</span>
        <span className="chip">{s.service}</span>
        <span className="mono muted">session {s.session || '—'}</span>
        <span className="muted">
          {formatTimestamp(s.start)} → {formatTimestamp(s.end).slice(11)} · {s.events.length} events
        </span>
      </header>
      {s.credentials.length > 0 && (
        <ol aria-label="Credentials tried" className="mono">
          {s.credentials.map((c, i) => (
            <li key={i}>
              {c.username ?? '?'} : {c.password ?? '(no password)'}{' '}
              {c.success === true ? '✓ accepted' : c.success === false ? '✗' : ''}
            </li>
          ))}
        </ol>
      )}
      {s.commands.length > 0 && (
        <ol aria-label="Commands" className="mono">
          {s.commands.map((c, i) => (
            <li key={i}>$ {c.command}</li>
          ))}
        </ol>
      )}
      <SessionCaptures s={s} />
      {other.length > 0 && (
        <ul aria-label="Other events" className="mono muted">
          {other.slice(0, 20).map((e) => (
            <li key={e.id}>
              {formatTimestamp(e.ts).slice(11)} {e.kind} {summarize(e.kind, e.data)}
            </li>
          ))}
          {other.length > 20 && <li>… and {other.length - 20} more</li>}
        </ul>
      )}
    </article>
  );
}

/** A source's timeline as sessions (sources.timeline), optionally narrowed to one decky. */
export function SourceTimeline({ src, decky, onClose }: { src: string; decky: string; onClose: () => void }) {
  const t = useCommand('sources.timeline', { src, ...(decky ? { decky } : {}) });
  const setFilters = useFiltersStore((s) => s.set);
  const setPage = useUiStore((s) => s.setPage);
  const showEvents = () => {
    setFilters({ eventSrc: src, eventDecky: decky, eventRange: 'all' });
    setPage('events');
  };
  const sessions = t.data?.sessions ?? [];
  return (
    <div className="page-fill" aria-label={`Timeline of ${src}`}>
      <div className="toolbar">
        <button type="button" className="btn btn-sm btn-ghost" onClick={onClose}>
          ← All attackers
        </button>
        <span className="mono strong">{src}</span>
        <span className="muted">
          {sessions.length} session{sessions.length === 1 ? '' : 's'}
          {decky ? ` on ${decky}` : ''}
          {t.data?.truncated ? ' (oldest 5,000 events)' : ''}
        </span>
        <button type="button" className="btn btn-sm" onClick={showEvents}>
          Show in Events
        </button>
      </div>
      {t.error && <ErrorNotice error={t.error} onRetry={() => void t.refetch()} />}
      {t.isPending ? (
        <div className="loading">Loading timeline…</div>
      ) : (
        <div className="stack">
          {sessions.map((s) => (
            <SessionCard key={`${s.decky}|${s.service}|${s.session}|${s.start}`} s={s} />
          ))}
        </div>
      )}
    </div>
  );
}

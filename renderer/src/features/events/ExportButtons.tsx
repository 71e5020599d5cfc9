import { useState } from 'react';
import type { EventFilter } from '../../../../shared/domain/event-query';
import { call } from '../../api/bridge';
import { ErrorNotice } from '../../components/ErrorNotice';
import { Icon } from '../../components/Icon';

type Format = 'csv' | 'ndjson';

/**
 * Downloads the current query as CSV or as NDJSON with Elastic Common Schema names. The master
 * answers page by page (`events.export`, pinned to the events stored when it started), the same
 * way in Electron and in a browser; `GET /api/v1/events/export` streams the same file for scripts.
 */
export function ExportButtons({ filter }: { filter: EventFilter }) {
  const [busy, setBusy] = useState<Format | null>(null);
  const [error, setError] = useState<unknown>(null);
  const run = async (format: Format) => {
    setBusy(format);
    setError(null);
    try {
      const parts: string[] = [];
      let page = await call('events.export', { ...filter, format });
      parts.push(page.text);
      while (page.nextCursor !== null) {
        page = await call('events.export', { ...filter, format, cursor: page.nextCursor, maxSeq: page.maxSeq });
        parts.push(page.text);
      }
      const type = format === 'csv' ? 'text/csv' : 'application/x-ndjson';
      const url = URL.createObjectURL(new Blob(parts, { type }));
      const a = document.createElement('a');
      a.href = url;
      a.download = `decnet-events-${new Date().toISOString().replace(/[:.]/g, '-')}.${format}`;
      document.body.append(a);
      a.click();
      a.remove();
      setTimeout(() => URL.revokeObjectURL(url), 60_000);
    } catch (err) {
      setError(err);
    } finally {
      setBusy(null);
    }
  };
  return (
    <div className="row-buttons">
      <button type="button" className="btn btn-sm" disabled={busy !== null} onClick={() => void run('csv')}>
        <Icon name="download" /> {busy === 'csv' ? 'Exporting…' : 'Export CSV'}
      </button>
      <button type="button" className="btn btn-sm" disabled={busy !== null} onClick={() => void run('ndjson')}>
        <Icon name="download" /> {busy === 'ndjson' ? 'Exporting…' : 'Export NDJSON (ECS)'}
      </button>
      {error !== null && <ErrorNotice error={error} />}
    </div>
  );
}

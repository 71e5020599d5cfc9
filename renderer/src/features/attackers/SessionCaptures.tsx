import { useState } from 'react';
import type { SessionView } from '../../../../shared/domain/event-query';
import { call } from '../../api/bridge';
import { describeError } from '../../api/error-messages';
import { downloadBase64 } from '../../lib/download';
import { CastReplay } from './CastReplay';

type Captured = { sha256: string; size: number; fileType: string; channel: string; source: string; path: string };

const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** What a session's artifact events name: one row per file (a hash seen twice in one session once). */
function artifactsOf(s: SessionView): Captured[] {
  const seen = new Map<string, Captured>();
  for (const e of s.events) {
    const d = e.data;
    if (e.kind !== 'artifact' || typeof d.sha256 !== 'string' || seen.has(d.sha256)) continue;
    seen.set(d.sha256, {
      sha256: d.sha256,
      size: typeof d.size === 'number' ? d.size : 0,
      fileType: str(d.fileType),
      channel: str(d.channel),
      source: str(d.source),
      path: str(d.path),
    });
  }
  return [...seen.values()];
}

/**
 * A session's captured payloads (download as a zip with the password `infected`) and its
 * recording (replay in the console).
 */
export function SessionCaptures({ s }: { s: SessionView }) {
  const [replaying, setReplaying] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const artifacts = artifactsOf(s);
  const recording = s.events.find((e) => e.kind === 'recording' && typeof e.data.sha256 === 'string');
  if (!artifacts.length && !recording) return null;
  const download = async (sha256: string) => {
    setError(null);
    try {
      const d = await call('artifacts.download', { sha256 });
      downloadBase64(d.fileName, d.zipBase64, 'application/zip');
    } catch (err) {
      setError(describeError(err).sentence);
    }
  };
  return (
    <div className="stack">
      {artifacts.length > 0 && (
        <table className="table" aria-label="Artifacts">
          <thead>
            <tr>
              <th>SHA-256</th>
              <th>Type</th>
              <th>Size</th>
              <th>How</th>
              <th>Path</th>
              <th />
            </tr>
          </thead>
          <tbody>
            {artifacts.map((a) => (
              <tr key={a.sha256}>
                <td className="mono" title={a.sha256}>
                  {a.sha256.slice(0, 16)}…
                </td>
                <td>{a.fileType}</td>
                <td className="mono">{a.size}</td>
                <td className="mono" title={a.source}>
                  {a.channel}
                  {a.channel === 'wget' || a.channel === 'curl' ? ` ${a.source}` : ''}
                </td>
                <td className="mono">{a.path}</td>
                <td>
                  <button
                    type="button"
                    className="btn btn-sm"
                    title="Zip with the password infected"
                    onClick={() => void download(a.sha256)}
                  >
                    Download zip
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
      {error && (
        <div className="notice" role="alert">
          {error}
        </div>
      )}
      {recording && replaying === null && (
        <div className="toolbar">
          <button type="button" className="btn btn-sm" onClick={() => setReplaying(String(recording.data.sha256))}>
            Replay session
          </button>
          <span className="muted">
            recorded{typeof recording.data.duration === 'number' ? ` ${recording.data.duration.toFixed(1)} s` : ''}
            {recording.data.truncated === true ? ' (truncated)' : ''}
          </span>
        </div>
      )}
      {replaying !== null && <CastReplay sha256={replaying} onClose={() => setReplaying(null)} />}
    </div>
  );
}

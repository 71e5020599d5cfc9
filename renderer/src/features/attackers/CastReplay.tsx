import { create, type Player } from 'asciinema-player';
import 'asciinema-player/dist/bundle/asciinema-player.css';
import { useEffect, useRef } from 'react';
import { useCommand } from '../../api/use-command';
import { ErrorNotice } from '../../components/ErrorNotice';

/**
 * Replays one session recording (recordings.get) with the asciinema project's player: the
 * attacker's screen with its real timing, pausable and seekable. The cast is the text the decky
 * showed, rendered by the player's terminal emulator, never as HTML.
 */
export function CastReplay({ sha256, onClose }: { sha256: string; onClose: () => void }) {
  const cast = useCommand('recordings.get', { sha256 });
  const box = useRef<HTMLDivElement>(null);
  useEffect(() => {
    const el = box.current;
    if (!el || !cast.data) return;
    let player: Player | null = create({ data: cast.data.cast }, el, {
      fit: 'width',
      // Long pauses (the attacker reading) shrink to 2 s; the cast keeps the real times.
      idleTimeLimit: 2,
      autoPlay: true,
      terminalFontSize: '13px',
    });
    return () => {
      player?.dispose();
      player = null;
    };
  }, [cast.data]);
  return (
    <section className="panel" aria-label={`Replay of recording ${sha256.slice(0, 12)}`}>
      <header className="toolbar">
        <span className="strong">Session replay</span>
        <span className="mono muted">{sha256.slice(0, 16)}…</span>
        <button type="button" className="btn btn-sm btn-ghost" onClick={onClose}>
          Close replay
        </button>
      </header>
      {cast.error && <ErrorNotice error={cast.error} onRetry={() => void cast.refetch()} />}
      {cast.isPending && <div className="loading">Loading recording…</div>}
      <div ref={box} data-testid="cast-player" />
    </section>
  );
}

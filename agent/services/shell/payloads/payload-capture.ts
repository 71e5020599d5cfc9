import { Buffer } from 'node:buffer';
import type { EmulatedMachine } from '../emul/session';
import { fetchTargets } from '../emul/fetch-targets';
import type { CapturedInteraction } from '../../kit/types';
import type { Fetcher } from './fetcher';
import { sha256Of, type Quarantine } from './quarantine';
import { trackPayload } from './service-payloads';

/**
 * The bridge from one emulated-shell connection to the quarantine: real fetches before a line
 * runs (when the decky fetches), and every payload that connection brought in (a fetch, an upload,
 * a dropper written into the fake filesystem) stored once per SHA-256 with an `artifact` event.
 */
export type PayloadCapture = Readonly<{
  /** Does the line need real fetches first? (Then `prepare` must be awaited before running it.) */
  needsPrepare: (line: string) => boolean;
  prepare: (line: string) => Promise<void>;
  /** Stores one payload and reports it; `content` is bytes as latin1 text or a Buffer. */
  file: (f: { channel: string; source: string; path: string; content: string | Buffer }) => Promise<void>;
  /** A finished session recording (asciinema v2 cast): kept in the quarantine and reported. */
  recording: (r: { cast: string; duration: number; events: number; truncated: boolean }) => Promise<void>;
  /** At session end: every file the connection wrote that was not captured already. */
  sessionEnd: () => Promise<void>;
}>;

export type PayloadCaptureOptions = Readonly<{
  machine: EmulatedMachine;
  quarantine: Promise<Quarantine>;
  /** Where session recordings go (kept apart from payloads, own caps). */
  recordings: Promise<Quarantine>;
  /** Null when the decky fakes transfers (the default). */
  fetcher: Fetcher | null;
  src: string;
  session: string;
  user: string;
  capture: (interaction: CapturedInteraction) => void;
  onError: (message: string) => void;
}>;

export function createPayloadCapture(opts: PayloadCaptureOptions): PayloadCapture {
  // path → sha256 captured in this session, so a session-end sweep does not report it twice.
  const seen = new Map<string, string>();
  let ended = false;
  const file: PayloadCapture['file'] = (f) => trackPayload(fileNow(f));
  const fileNow: PayloadCapture['file'] = async (f) => {
    const content = typeof f.content === 'string' ? Buffer.from(f.content, 'latin1') : f.content;
    try {
      const q = await opts.quarantine;
      const stored = await q.put(content);
      seen.set(f.path, stored.sha256);
      opts.capture({
        src: opts.src,
        kind: 'artifact',
        data: {
          session: opts.session,
          user: opts.user,
          channel: f.channel,
          source: f.source.slice(0, 2048),
          path: f.path.slice(0, 1024),
          ...stored,
        },
      });
    } catch (err) {
      opts.onError(`payload capture failed: ${(err as Error).message}`);
    }
  };
  return {
    needsPrepare: (line) => opts.fetcher !== null && fetchTargets(line).length > 0,
    prepare: async (line) => {
      if (!opts.fetcher) return;
      for (const url of fetchTargets(line)) {
        const r = await opts.fetcher(url);
        opts.machine.remember(
          url,
          r.ok
            ? { ok: true, body: r.body.toString('latin1'), contentType: r.contentType }
            : {
                ok: false,
                reason: r.reason,
                ...(r.status ? { status: r.status } : {}),
                ...(r.address ? { address: r.address } : {}),
              },
        );
        if (!r.ok)
          opts.capture({
            src: opts.src,
            kind: 'artifact',
            data: { session: opts.session, channel: 'fetch', source: url, fetchFailed: r.reason, message: r.message },
          });
      }
    },
    file,
    recording: (r) => trackPayload(recordNow(r)),
    sessionEnd: () => trackPayload(sweep()),
  };

  async function recordNow(r: { cast: string; duration: number; events: number; truncated: boolean }): Promise<void> {
    try {
      const stored = await (await opts.recordings).put(Buffer.from(r.cast, 'utf8'));
      opts.capture({
        src: opts.src,
        kind: 'recording',
        data: {
          session: opts.session,
          user: opts.user,
          ...stored,
          fileType: 'asciicast',
          duration: Number(r.duration.toFixed(3)),
          events: r.events,
          truncated: r.truncated,
        },
      });
    } catch (err) {
      opts.onError(`recording capture failed: ${(err as Error).message}`);
    }
  }

  async function sweep(): Promise<void> {
    if (ended) return;
    ended = true;
    for (const f of opts.machine.writtenFiles()) {
      const sha = seen.get(f.path);
      const content = Buffer.from(f.content, 'latin1');
      if (sha !== undefined && sha === sha256Of(content)) continue;
      await fileNow({ channel: 'fs', source: 'session', path: f.path, content });
    }
  }
}

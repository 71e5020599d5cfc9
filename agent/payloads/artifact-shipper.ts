import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { z } from 'zod';
import { ArtifactSighting, type ArtifactUpload } from '../../shared/domain/artifact';
import type { AttackerEvent } from '../../shared/domain/events';
import { toAppError } from '../../shared/errors';
import type { Logger } from '../../shared/node/logger';
import type { Clock } from '../clock';
import { quarantineDir, recordingsDir, SHA256_RE } from '../services/shell/payloads/quarantine';
import { openDurableLog } from '../store/durable-log';

export const ARTIFACTS_FILE = 'artifacts.jsonl';
const RETRY_MIN_MS = 500;
const RETRY_MAX_MS = 30_000;
/** Uploads waiting at most; past it new artifacts are reported by their events only (and logged). */
export const MAX_PENDING_ARTIFACTS = 10_000;

const ArtifactRef = z.strictObject({
  id: z.string().max(200),
  sha256: z.string().regex(SHA256_RE),
  fileType: z.string().min(1).max(32),
  sighting: ArtifactSighting,
});
type ArtifactRef = z.output<typeof ArtifactRef>;

/** Answers that no retry will change: the artifact is dropped from the queue (its event stays). */
const PERMANENT = new Set(['INVALID_INPUT', 'FORBIDDEN', 'NOT_FOUND']);

export type ArtifactShipper = Readonly<{
  /** Looks at every captured event; an `artifact` or `recording` event that stored a new file queues its upload. */
  offer: (event: AttackerEvent) => void;
  /** Resolves once every offered upload is on disk (the runtime acks events to deckies after it). */
  flush: () => Promise<void>;
  pendingCount: () => number;
  start: () => void;
  stop: () => Promise<void>;
}>;

/**
 * Ships quarantined payloads to the master with the event spool's pattern: a durable JSONL queue
 * (the same DurableLog, `artifacts.jsonl`) of references, fsync'd before any upload, removed only
 * once the master answers, retried with backoff while it is away, resumed after a restart. The
 * queue holds references; the bytes are read from the decky's quarantine at upload time.
 */
export async function openArtifactShipper(opts: {
  stateDir: string;
  /** Where the deckies' data dirs are (`<deckiesDir>/<decky>/quarantine/<sha256>`). */
  deckiesDir: string;
  upload: (body: ArtifactUpload) => Promise<{ stored: boolean }>;
  clock: Clock;
  log: Logger;
}): Promise<ArtifactShipper> {
  const queue = await openDurableLog<ArtifactRef>({
    path: join(opts.stateDir, ARTIFACTS_FILE),
    parse: (v) => ArtifactRef.parse(v),
    idOf: (r) => r.id,
    log: opts.log,
  });
  const ids = new Set(queue.list().map((r) => r.id));
  let running = false;
  let draining: Promise<void> | null = null;
  let again = false;
  let retryTimer: (() => void) | null = null;
  let retryMs = RETRY_MIN_MS;
  let appending: Promise<void> = Promise.resolve();

  const kick = (): void => {
    if (!running || retryTimer) return;
    if (draining) {
      again = true;
      return;
    }
    draining = drain().finally(() => {
      draining = null;
      if (again && running) {
        again = false;
        kick();
      }
    });
  };

  const drain = async (): Promise<void> => {
    while (running && queue.size() > 0) {
      const ref = queue.list()[0]!;
      let content: Buffer;
      try {
        const deckyDir = join(opts.deckiesDir, ref.sighting.decky);
        const dir = ref.sighting.channel === 'recording' ? recordingsDir(deckyDir) : quarantineDir(deckyDir);
        content = await readFile(join(dir, ref.sha256));
      } catch (err) {
        opts.log.warn('quarantined artifact is gone; not shipped', { sha256: ref.sha256, err: (err as Error).message });
        await queue.remove([ref.id]);
        ids.delete(ref.id);
        continue;
      }
      try {
        await opts.upload({
          sha256: ref.sha256,
          fileType: ref.fileType,
          sighting: ref.sighting,
          contentBase64: content.toString('base64'),
        });
        retryMs = RETRY_MIN_MS;
      } catch (err) {
        const e = toAppError(err);
        if (!PERMANENT.has(e.code)) {
          opts.log.warn('artifact upload failed; will retry', { pending: queue.size(), retryMs, err: e.message });
          retryTimer = opts.clock.setTimer(() => {
            retryTimer = null;
            kick();
          }, retryMs);
          retryMs = Math.min(retryMs * 2, RETRY_MAX_MS);
          return;
        }
        opts.log.warn('the master refused an artifact; dropped', { sha256: ref.sha256, err: e.message });
      }
      await queue.remove([ref.id]);
      ids.delete(ref.id);
    }
  };

  return {
    offer: (event) => {
      const d = event.data;
      // Session recordings travel the same way (fileType asciicast, channel recording).
      const kind = event.kind;
      if ((kind !== 'artifact' && kind !== 'recording') || d.stored !== 'new' || typeof d.sha256 !== 'string') return;
      const str = (v: unknown, max: number) => (typeof v === 'string' ? v.slice(0, max) : '');
      const parsed = ArtifactRef.safeParse({
        id: `${event.decky}/${d.sha256}`,
        sha256: d.sha256,
        fileType: str(d.fileType, 32) || 'data',
        sighting: {
          decky: event.decky,
          ts: event.ts,
          src: event.src,
          session: str(d.session, 128),
          channel: kind === 'recording' ? 'recording' : str(d.channel, 32),
          source: str(d.source, 2048),
          path: str(d.path, 1024),
        },
      });
      if (!parsed.success || ids.has(parsed.data.id)) return;
      if (ids.size >= MAX_PENDING_ARTIFACTS) {
        opts.log.warn('artifact queue full; not shipped', { sha256: d.sha256 });
        return;
      }
      ids.add(parsed.data.id);
      appending = appending.then(() =>
        queue.append([parsed.data]).then(kick, (err: unknown) => {
          ids.delete(parsed.data.id);
          opts.log.error('cannot queue an artifact upload', { err: toAppError(err).message });
        }),
      );
    },
    flush: () => appending,
    pendingCount: () => queue.size(),
    start: () => {
      running = true;
      kick();
    },
    stop: async () => {
      running = false;
      retryTimer?.();
      retryTimer = null;
      await draining;
    },
  };
}

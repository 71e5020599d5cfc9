import { mkdir, open, readdir, readFile, stat, type FileHandle } from 'node:fs/promises';
import { join } from 'node:path';
import { AttackerEvent } from '../../../shared/domain/events';
import { AppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';

export type EventQuery = Readonly<{ since?: string; limit?: number; decky?: string; service?: string }>;

export type EventLog = Readonly<{
  /** Appends (deduplicated by id) and fsyncs; resolves with the ids now safely stored. */
  append(events: readonly AttackerEvent[]): Promise<{ stored: string[]; acked: string[] }>;
  /** Newest first, from the in-memory ring of the latest events. */
  list(q: EventQuery): { events: AttackerEvent[]; total: number };
  close(): Promise<void>;
}>;

const SEGMENT_RE = /^events-(\d{8})\.jsonl$/;

/**
 * Attacker events in append-only JSONL segments under `<data>/events/`, rotated by size, plus an
 * in-memory ring of the latest `ringSize` events for the console. Kept out of lowdb because the
 * event volume is unbounded and lowdb rewrites its whole document on every write.
 */
export async function openEventLog(opts: Readonly<{ dir: string; segmentBytes: number; ringSize: number; log: Logger }>): Promise<EventLog> {
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const segments = (await readdir(opts.dir)).filter((f) => SEGMENT_RE.test(f)).sort();
  let seq = segments.length ? Number(SEGMENT_RE.exec(segments[segments.length - 1]!)![1]) : 1;
  const ring: AttackerEvent[] = [];
  const ids = new Set<string>();

  // Warm the ring from the newest segments so a restart shows the same recent events.
  for (let i = segments.length - 1; i >= 0 && ring.length < opts.ringSize; i--) {
    const lines = (await readFile(join(opts.dir, segments[i]!), 'utf8')).split('\n');
    const batch: AttackerEvent[] = [];
    for (const line of lines) {
      if (!line) continue;
      const parsed = AttackerEvent.safeParse(safeJson(line));
      if (parsed.success) batch.push(parsed.data);
    }
    ring.unshift(...batch.slice(Math.max(0, batch.length - (opts.ringSize - ring.length))));
  }
  for (const e of ring) ids.add(e.id);

  let fh: FileHandle | null = null;
  let size = 0;
  let tail: Promise<unknown> = Promise.resolve();
  const path = () => join(opts.dir, `events-${String(seq).padStart(8, '0')}.jsonl`);

  const ensureOpen = async (): Promise<FileHandle> => {
    if (fh) return fh;
    const p = path();
    size = await stat(p).then((s) => s.size, () => 0);
    fh = await open(p, 'a', 0o600);
    return fh;
  };

  const rotateIfNeeded = async (incoming: number): Promise<void> => {
    if (size === 0 || size + incoming <= opts.segmentBytes) return;
    await fh?.close();
    fh = null;
    seq++;
    opts.log.info('event segment rotated', { segment: path() });
  };

  const remember = (events: AttackerEvent[]) => {
    for (const e of events) {
      ring.push(e);
      ids.add(e.id);
    }
    if (ring.length > opts.ringSize * 1.25) {
      for (const e of ring.splice(0, ring.length - opts.ringSize)) ids.delete(e.id);
    }
  };

  const doAppend = async (events: readonly AttackerEvent[]) => {
    const fresh: AttackerEvent[] = [];
    const seen = new Set<string>();
    for (const e of events) {
      if (ids.has(e.id) || seen.has(e.id)) continue; // a re-sent batch after a lost ack
      seen.add(e.id);
      fresh.push(e);
    }
    if (fresh.length > 0) {
      const text = fresh.map((e) => JSON.stringify(e)).join('\n') + '\n';
      const bytes = Buffer.byteLength(text);
      await rotateIfNeeded(bytes);
      const handle = await ensureOpen();
      try {
        await handle.appendFile(text);
        await handle.datasync();
      } catch (err) {
        throw new AppError('INTERNAL', `cannot append events to ${path()}: ${(err as Error).message}`, undefined, { cause: err });
      }
      size += bytes;
      remember(fresh);
    }
    return { stored: fresh.map((e) => e.id), acked: events.map((e) => e.id) };
  };

  return {
    append(events) {
      const run = tail.then(() => doAppend(events));
      tail = run.catch(() => undefined);
      return run;
    },
    list(q) {
      const since = q.since ? Date.parse(q.since) : null;
      const matching: AttackerEvent[] = [];
      for (let i = ring.length - 1; i >= 0; i--) {
        const e = ring[i]!;
        if (q.decky && e.decky !== q.decky) continue;
        if (q.service && e.service !== q.service) continue;
        if (since !== null && Date.parse(e.ts) < since) continue;
        matching.push(e);
      }
      return { events: matching.slice(0, q.limit ?? 500), total: matching.length };
    },
    async close() {
      await tail;
      await fh?.close();
      fh = null;
    },
  };
}

function safeJson(line: string): unknown {
  try {
    return JSON.parse(line) as unknown;
  } catch {
    return null;
  }
}

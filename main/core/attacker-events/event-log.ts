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
export async function openEventLog(
  opts: Readonly<{ dir: string; segmentBytes: number; ringSize: number; log: Logger }>,
): Promise<EventLog> {
  await mkdir(opts.dir, { recursive: true, mode: 0o700 });
  const segments = (await readdir(opts.dir)).filter((f) => SEGMENT_RE.test(f)).sort();
  let seq = segments.length ? Number(SEGMENT_RE.exec(segments[segments.length - 1]!)![1]) : 1;
  // The ring is shared fairly between hosts: trimming evicts from the host holding the most events,
  // so one flooding host (or a compromised one) cannot push the others' events out of the console.
  const rings = new Map<string, Array<{ seq: number; e: AttackerEvent }>>();
  let total = 0;
  let nextSeq = 0;
  const ids = new Set<string>();
  // Dedup is per host: a host must not be able to pre-empt another host's event ids.
  const key = (e: AttackerEvent) => `${e.host ?? ''}|${e.id}`;
  const warm: AttackerEvent[] = [];

  // Warm the ring from the newest segments so a restart shows the same recent events.
  for (let i = segments.length - 1; i >= 0 && warm.length < opts.ringSize; i--) {
    const lines = (await readFile(join(opts.dir, segments[i]!), 'utf8')).split('\n');
    const batch: AttackerEvent[] = [];
    for (const line of lines) {
      if (!line) continue;
      const parsed = AttackerEvent.safeParse(safeJson(line));
      if (parsed.success) batch.push(parsed.data);
    }
    warm.unshift(...batch.slice(Math.max(0, batch.length - (opts.ringSize - warm.length))));
  }
  const remember = (events: AttackerEvent[]) => {
    for (const e of events) {
      const h = e.host ?? '';
      let r = rings.get(h);
      if (!r) rings.set(h, (r = []));
      r.push({ seq: nextSeq++, e });
      ids.add(key(e));
      total++;
    }
    if (total <= opts.ringSize * 1.25) return;
    while (total > opts.ringSize) {
      let largest: Array<{ seq: number; e: AttackerEvent }> | undefined;
      for (const r of rings.values()) if (!largest || r.length > largest.length) largest = r;
      // An eighth of the largest host's share at a time keeps the trim cheap; the loop re-picks the largest.
      const drop = Math.max(1, Math.min(total - opts.ringSize, Math.ceil(largest!.length / 8)));
      for (const { e } of largest!.splice(0, drop)) ids.delete(key(e));
      total -= drop;
    }
    for (const [h, r] of rings) if (r.length === 0) rings.delete(h);
  };
  remember(warm);

  let fh: FileHandle | null = null;
  let size = 0;
  let tail: Promise<unknown> = Promise.resolve();
  const path = () => join(opts.dir, `events-${String(seq).padStart(8, '0')}.jsonl`);

  const ensureOpen = async (): Promise<FileHandle> => {
    if (fh) return fh;
    const p = path();
    size = await stat(p).then(
      (s) => s.size,
      () => 0,
    );
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

  const doAppend = async (events: readonly AttackerEvent[]) => {
    const fresh: AttackerEvent[] = [];
    const seen = new Set<string>();
    for (const e of events) {
      const k = key(e);
      if (ids.has(k) || seen.has(k)) continue; // a re-sent batch after a lost ack
      seen.add(k);
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
        throw new AppError('INTERNAL', `cannot append events to ${path()}: ${(err as Error).message}`, undefined, {
          cause: err,
        });
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
      const matching: Array<{ seq: number; e: AttackerEvent }> = [];
      for (const r of rings.values()) {
        for (const item of r) {
          const e = item.e;
          if (q.decky && e.decky !== q.decky) continue;
          if (q.service && e.service !== q.service) continue;
          if (since !== null && Date.parse(e.ts) < since) continue;
          matching.push(item);
        }
      }
      matching.sort((a, b) => b.seq - a.seq);
      return { events: matching.slice(0, q.limit ?? 500).map((m) => m.e), total: matching.length };
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

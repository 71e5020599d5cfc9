import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { type AttackerEvent } from '../../../shared/domain/events';
import { type EventFilter, ipv4ToInt } from '../../../shared/domain/event-query';
import { AppError } from '../../../shared/errors';
import type { Logger } from '../../../shared/node/logger';
import { decodeCursor, encodeCursor, whereOf } from './event-sql';
import { importJsonlSegments } from './jsonl-import';
import { openSourceSummary, type SourceSummaryTable, type SummaryRow } from './source-summary';

export type EventQuery = EventFilter & Readonly<{ limit?: number; cursor?: string }>;
export type EventPage = { events: AttackerEvent[]; total: number; nextCursor: string | null };
export type Retention = Readonly<{ maxAgeDays: number | null; maxBytes: number | null }>;

export type EventStore = Readonly<{
  /** Stores (deduplicated per host+id) in one committed, fsynced transaction; resolves only then. */
  append(events: readonly AttackerEvent[]): Promise<{ stored: string[]; acked: string[] }>;
  /** Newest first over the whole history, keyset-paged; INVALID_INPUT for a foreign cursor. */
  list(q: EventQuery): EventPage;
  /** Highest stored sequence number: an export pins it so later arrivals stay out. */
  maxSeq(): number;
  /** One page in sort order with a sequence ceiling (exports page through with it). */
  page(q: EventQuery, maxSeq: number): Omit<EventPage, 'total'>;
  /** Rows for the attacker view and the chart: raw SQL over `events e` with a filter applied. */
  select<T>(sql: (where: string) => string, f: EventFilter, tail?: unknown[]): T[];
  /** The attacker list over every stored event, from the per-source summary the ingest keeps. */
  sourceSummaries(cursor: readonly [number, string] | null, limit: number): SummaryRow[];
  /** The oldest stored event's time, null when the store is empty. */
  oldestMs(): number | null;
  /** Events stored after `seq`, in storage order: the SIEM forwarder's durable queue is the store. */
  after(seq: number, limit: number): { seq: number; event: AttackerEvent }[];
  /** A named position in storage order (a forwarder's last delivered seq), kept in the database. */
  mark(name: string): number;
  setMark(name: string, seq: number): void;
  /** Deletes what the retention rules no longer keep; returns the number of events removed. */
  prune(nowMs: number, r: Retention): number;
  stats(): { events: number; bytes: number };
  close(): Promise<void>;
}>;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS events (
  seq INTEGER PRIMARY KEY,
  host TEXT NOT NULL, id TEXT NOT NULL, ts TEXT NOT NULL, ts_ms INTEGER NOT NULL,
  decky TEXT NOT NULL, service TEXT NOT NULL, src TEXT NOT NULL, src_v4 INTEGER, kind TEXT NOT NULL,
  session TEXT, user_name TEXT, password TEXT, command TEXT, data TEXT NOT NULL
);
CREATE UNIQUE INDEX IF NOT EXISTS events_host_id ON events(host, id);
CREATE INDEX IF NOT EXISTS events_ts ON events(ts_ms);
CREATE INDEX IF NOT EXISTS events_src ON events(src, ts_ms);
CREATE INDEX IF NOT EXISTS events_src_v4 ON events(src_v4, ts_ms) WHERE src_v4 IS NOT NULL;
CREATE INDEX IF NOT EXISTS events_decky ON events(decky, ts_ms);
CREATE INDEX IF NOT EXISTS events_hostcol ON events(host, ts_ms);
CREATE INDEX IF NOT EXISTS events_service ON events(service, ts_ms);
CREATE INDEX IF NOT EXISTS events_kind ON events(kind, ts_ms);
CREATE VIRTUAL TABLE IF NOT EXISTS events_fts USING fts5(body, content='', contentless_delete=1, tokenize='trigram');
CREATE TABLE IF NOT EXISTS imported_segments (name TEXT PRIMARY KEY, events INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS marks (name TEXT PRIMARY KEY, seq INTEGER NOT NULL);
`;

type Row = {
  seq: number;
  host: string;
  id: string;
  ts: string;
  ts_ms: number;
  decky: string;
  service: string;
  src: string;
  kind: string;
  data: string;
};

const str = (v: unknown) => (typeof v === 'string' ? v : null);

/** The row back as the contract's event (`host` is empty for events stored before hosts were recorded). */
export function rowToEvent(r: Row): AttackerEvent {
  const e = {
    id: r.id,
    ts: r.ts,
    decky: r.decky,
    service: r.service,
    src: r.src,
    kind: r.kind,
    data: JSON.parse(r.data) as Record<string, unknown>,
  };
  return (r.host ? { ...e, host: r.host } : e) as AttackerEvent;
}

/**
 * Attacker events in SQLite (`<dir>/events.db`, WAL, synchronous=FULL so a commit is on disk before
 * its upload is acked). Indexed by time, source, decky, host, service and kind, with a trigram FTS5
 * index over the data for substring search. Append-only but for retention. JSONL segments of the
 * older log found in `dir` are imported once (each segment recorded, so a crash mid-import resumes).
 */
export async function openEventStore(opts: Readonly<{ dir: string; log: Logger }>): Promise<EventStore> {
  mkdirSync(opts.dir, { recursive: true, mode: 0o700 });
  const path = join(opts.dir, 'events.db');
  let db: Database.Database;
  let summary: SourceSummaryTable;
  try {
    db = new Database(path);
    // auto_vacuum must be set before the first table exists; it lets retention give pages back.
    db.pragma('auto_vacuum = INCREMENTAL');
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = FULL');
    db.pragma('busy_timeout = 5000');
    db.exec(SCHEMA);
    summary = openSourceSummary(db);
  } catch (err) {
    throw new AppError(
      'STORE_UNAVAILABLE',
      `cannot open the event store ${path}: ${(err as Error).message}`,
      undefined,
      {
        cause: err,
      },
    );
  }
  const insert = db.prepare(
    `INSERT INTO events (host, id, ts, ts_ms, decky, service, src, src_v4, kind, session, user_name, password, command, data)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT(host, id) DO NOTHING`,
  );
  const insertFts = db.prepare('INSERT INTO events_fts (rowid, body) VALUES (?, ?)');
  const insertMany = db.transaction((events: readonly AttackerEvent[]) => {
    const stored: string[] = [];
    for (const e of events) {
      const d = e.data;
      const data = JSON.stringify(d);
      const [tsMs, user, password, command] = [
        Date.parse(e.ts),
        str(d.username) ?? str(d.user),
        str(d.password),
        str(d.command),
      ];
      const r = insert.run(
        e.host ?? '',
        e.id,
        e.ts,
        tsMs,
        e.decky,
        e.service,
        e.src,
        ipv4ToInt(e.src),
        e.kind,
        str(d.session),
        user,
        password,
        command,
        data,
      );
      if (r.changes === 0) continue; // a re-sent batch after a lost ack
      insertFts.run(r.lastInsertRowid, data);
      summary.add({ src: e.src, tsMs, decky: e.decky, service: e.service, kind: e.kind, user, password, command });
      stored.push(e.id);
    }
    return stored;
  });
  const appendNow = (events: readonly AttackerEvent[]) => {
    try {
      return insertMany(events);
    } catch (err) {
      throw new AppError('STORE_UNAVAILABLE', `cannot store events in ${path}: ${(err as Error).message}`, undefined, {
        cause: err,
      });
    }
  };

  const imported = await importJsonlSegments({ db, dir: opts.dir, append: appendNow, log: opts.log });
  if (imported > 0) opts.log.info('imported JSONL event segments into the event store', { events: imported });

  const ORDER = 'ORDER BY e.ts_ms DESC, e.seq DESC';
  const COLS = 'e.seq, e.host, e.id, e.ts, e.ts_ms, e.decky, e.service, e.src, e.kind, e.data';
  const page = (q: EventQuery, maxSeq?: number): Omit<EventPage, 'total'> => {
    const w = whereOf(q, maxSeq === undefined ? {} : { maxSeq });
    let sql = `SELECT ${COLS} FROM events e ${w.sql}`;
    const params = [...w.params];
    if (q.cursor) {
      const [ms, seq] = decodeCursor(q.cursor, 'nn');
      sql += ' AND (e.ts_ms < ? OR (e.ts_ms = ? AND e.seq < ?))';
      params.push(ms, ms, seq);
    }
    const limit = q.limit ?? 500;
    const rows = db.prepare(`${sql} ${ORDER} LIMIT ?`).all(...params, limit + 1) as Row[];
    const more = rows.length > limit;
    const shown = more ? rows.slice(0, limit) : rows;
    const last = shown[shown.length - 1];
    return { events: shown.map(rowToEvent), nextCursor: more && last ? encodeCursor([last.ts_ms, last.seq]) : null };
  };
  const count = (f: EventFilter): number => {
    const w = whereOf(f);
    return (db.prepare(`SELECT count(*) AS n FROM events e ${w.sql}`).get(...w.params) as { n: number }).n;
  };
  const pageCount = db.prepare('PRAGMA page_count').pluck();
  const freeCount = db.prepare('PRAGMA freelist_count').pluck();
  const pageSize = db.prepare('PRAGMA page_size').pluck().get() as number;
  const bytes = () => ((pageCount.get() as number) - (freeCount.get() as number)) * pageSize;
  const deleteFts = db.prepare('DELETE FROM events_fts WHERE rowid IN (SELECT seq FROM events WHERE ts_ms < ?)');
  const deleteBefore = db.prepare('DELETE FROM events WHERE ts_ms < ?');
  const dropBefore = db.transaction((ms: number) => {
    summary.beforeDrop(ms);
    deleteFts.run(ms);
    const removed = deleteBefore.run(ms).changes;
    summary.afterDrop();
    return removed;
  });

  const afterStmt = db.prepare(`SELECT ${COLS} FROM events e WHERE e.seq > ? ORDER BY e.seq LIMIT ?`);
  const getMark = db.prepare('SELECT seq FROM marks WHERE name = ?').pluck();
  const putMark = db.prepare(
    'INSERT INTO marks (name, seq) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET seq = excluded.seq',
  );

  let closed = false;
  return {
    append: (events) => {
      if (closed) return Promise.reject(new AppError('STORE_UNAVAILABLE', 'the event store is closed'));
      const stored = events.length ? appendNow(events) : [];
      return Promise.resolve({ stored, acked: events.map((e) => e.id) });
    },
    list: (q) => ({ ...page(q), total: count(q) }),
    maxSeq: () => (db.prepare('SELECT coalesce(max(seq), 0) AS m FROM events').get() as { m: number }).m,
    page: (q, maxSeq) => page(q, maxSeq),
    select<T>(sql: (where: string) => string, f: EventFilter, tail: unknown[] = []): T[] {
      const w = whereOf(f);
      return db.prepare(sql(w.sql)).all(...w.params, ...tail) as T[];
    },
    sourceSummaries: (cursor, limit) => summary.page(cursor, limit),
    oldestMs: () => summary.oldestMs(),
    after: (seq, limit) => (afterStmt.all(seq, limit) as Row[]).map((r) => ({ seq: r.seq, event: rowToEvent(r) })),
    mark: (name) => (getMark.get(name) as number | undefined) ?? 0,
    setMark: (name, seq) => void putMark.run(name, seq),
    prune(nowMs, r) {
      let removed = 0;
      // Both rules cut the oldest events by their time (the ts index), never by arrival order: a
      // late upload of old events must not take newer ones with it.
      if (r.maxAgeDays !== null) removed += dropBefore(nowMs - r.maxAgeDays * 86_400_000);
      if (r.maxBytes !== null) {
        for (let guard = 0; guard < 64 && bytes() > r.maxBytes; guard++) {
          const n = db.prepare('SELECT count(*) FROM events').pluck().get() as number;
          if (n === 0) break;
          // Drop the share of rows the excess stands for (at least a tenth), then measure again.
          const share = Math.min(1, Math.max(0.1, 1 - r.maxBytes / bytes()));
          const cut = db
            .prepare('SELECT ts_ms FROM events ORDER BY ts_ms LIMIT 1 OFFSET ?')
            .pluck()
            .get(Math.min(n - 1, Math.ceil(n * share))) as number;
          removed += dropBefore(n * share >= n ? cut + 1 : cut);
          db.pragma('incremental_vacuum');
        }
      }
      if (removed > 0) {
        db.pragma('incremental_vacuum');
        opts.log.info('event retention removed events', { removed });
      }
      return removed;
    },
    stats: () => ({
      events: (db.prepare('SELECT count(*) AS n FROM events').get() as { n: number }).n,
      bytes: bytes(),
    }),
    close() {
      if (!closed) {
        closed = true;
        db.close();
      }
      return Promise.resolve();
    },
  };
}

import type { z } from 'zod';
import type {
  EventFilter,
  Histogram,
  SessionView,
  SourceListInput,
  SourcePage,
  SourceSummary,
  Timeline,
  TimelineInput,
} from '../../../shared/domain/event-query';
import { decodeCursor, encodeCursor } from './event-sql';
import { rowToEvent, type EventStore } from './event-store';
import type { SummaryRow } from './source-summary';

const MIN = 60_000;
/** Bucket widths a human reads easily; the smallest giving at most the asked number is used. */
const WIDTHS = [MIN, 5 * MIN, 15 * MIN, 30 * MIN, 60 * MIN, 180 * MIN, 360 * MIN, 720 * MIN, 1440 * MIN] as const;

type SourceRow = SummaryRow;

const iso = (ms: number) => new Date(ms).toISOString();
// Joins a session's key parts: a control character no decky, service or session id holds.
const SEP = '\u001f';

/**
 * The analyst's views over the event store: attackers (one row per source), one source's
 * timeline as sessions, and the per-service chart. All follow the same EventFilter as the list.
 */
export function createSourceView(store: EventStore) {
  // min(ts_ms) over the whole store is one step down the time index, whatever the filter.
  const allTimeSince = (until: number): number => {
    const t = store.oldestMs();
    return t === null ? until - 1440 * MIN : Math.min(t, until - 60 * MIN);
  };
  /** A list whose filter keeps every stored event: the per-source summary answers it as it is. */
  const coversAll = (q: z.output<typeof SourceListInput>): boolean => {
    const narrowed = Object.entries(q).some(([k, v]) => v !== undefined && !['limit', 'cursor', 'since'].includes(k));
    if (narrowed) return false;
    if (q.since === undefined) return true;
    const oldest = store.oldestMs();
    return oldest === null || Date.parse(q.since) <= oldest;
  };

  return {
    /** Sources, most recently active first, keyset-paged on (last seen, source). */
    sources(q: z.output<typeof SourceListInput>): z.output<typeof SourcePage> {
      const limit = q.limit ?? 200;
      const tail: unknown[] = [];
      let having = '';
      const cursor = q.cursor ? decodeCursor(q.cursor, 'ns') : null;
      if (cursor) {
        having = 'HAVING max(e.ts_ms) < ? OR (max(e.ts_ms) = ? AND e.src > ?)';
        tail.push(cursor[0], cursor[0], cursor[1]);
      }
      const rows = coversAll(q)
        ? store.sourceSummaries(cursor, limit + 1)
        : store.select<SourceRow>(
            (where) => `SELECT e.src AS src, min(e.ts_ms) AS first_ms, max(e.ts_ms) AS last_ms, count(*) AS n,
            group_concat(DISTINCT e.decky) AS deckies, group_concat(DISTINCT e.service) AS services,
            count(DISTINCT CASE WHEN e.kind = 'auth'
              THEN coalesce(e.user_name, '') || char(31) || coalesce(e.password, '') END) AS creds,
            count(CASE WHEN e.kind = 'command' THEN e.command END) AS commands
          FROM events e ${where} GROUP BY e.src ${having} ORDER BY last_ms DESC, src ASC LIMIT ?`,
            q,
            [...tail, limit + 1],
          );
      const more = rows.length > limit;
      const shown = more ? rows.slice(0, limit) : rows;
      const last = shown[shown.length - 1];
      return {
        sources: shown.map((r): SourceSummary => ({
          src: r.src,
          firstSeen: iso(r.first_ms),
          lastSeen: iso(r.last_ms),
          events: r.n,
          deckies: splitSorted(r.deckies),
          services: splitSorted(r.services),
          credentials: r.creds,
          commands: r.commands,
        })),
        nextCursor: more && last ? encodeCursor([last.last_ms, last.src]) : null,
      };
    },

    /** One source's events, oldest first, grouped into sessions by (decky, service, session id). */
    timeline(q: z.output<typeof TimelineInput>): z.output<typeof Timeline> {
      const limit = q.limit ?? 5000;
      const f: EventFilter = { src: q.src, ...pick(q, 'decky', 'since', 'until') };
      type Row = Parameters<typeof rowToEvent>[0] &
        Record<'session' | 'user_name' | 'password' | 'command', string | null>;
      const rows = store.select<Row>(
        (where) => `SELECT e.* FROM events e ${where} ORDER BY e.ts_ms ASC, e.seq ASC LIMIT ?`,
        f,
        [limit + 1],
      );
      const truncated = rows.length > limit;
      const sessions = new Map<string, SessionView>();
      for (const r of truncated ? rows.slice(0, limit) : rows) {
        const e = rowToEvent(r);
        const key = [r.decky, r.service, r.session ?? ''].join(SEP);
        let s = sessions.get(key);
        if (!s) {
          const session = r.session ?? '';
          s = {
            session,
            decky: r.decky,
            service: r.service,
            start: e.ts,
            end: e.ts,
            events: [],
            credentials: [],
            commands: [],
          };
          sessions.set(key, s);
        }
        s.end = e.ts;
        s.events.push(e);
        // Services share the kind words (kit/types.ts interactionKinds): a credential try is `auth`.
        if (r.kind === 'auth') {
          const ok = e.data.success;
          s.credentials.push({
            ts: e.ts,
            username: r.user_name,
            password: r.password,
            success: typeof ok === 'boolean' ? ok : null,
          });
        }
        if (r.kind === 'command' && r.command !== null) s.commands.push({ ts: e.ts, command: r.command });
      }
      const ordered = [...sessions.values()].sort((a, b) => Date.parse(a.start) - Date.parse(b.start));
      return { src: q.src, sessions: ordered, truncated };
    },

    /**
     * Events per service in equal buckets over [since, until). Without `since` ("All time") the
     * range starts at the oldest stored event (at least an hour back; 24 h on an empty store), so
     * the chart follows the chosen range instead of always showing the last day.
     */
    histogram(q: EventFilter & { buckets?: number | undefined }, now: number): z.output<typeof Histogram> {
      const until = q.until ? Date.parse(q.until) : now;
      const since = q.since ? Date.parse(q.since) : allTimeSince(until);
      const max = q.buckets ?? 48;
      const width = WIDTHS.find((w) => (until - since) / w <= max) ?? Math.ceil((until - since) / max / MIN) * MIN;
      const from = Math.floor(since / width) * width;
      const count = Math.max(1, Math.ceil((until - from) / width));
      const rows = store.select<{ b: number; service: string; n: number }>(
        // from and width are integers computed here, not input: inlined so the filter's params come first.
        (where) => `SELECT (e.ts_ms - ${from}) / ${width} AS b, e.service AS service, count(*) AS n
          FROM events e ${where} GROUP BY b, service`,
        // Buckets align to the width, but the counts keep to the asked range.
        { ...q, since: iso(since), until: iso(until) },
        [],
      );
      return { width, from, buckets: fill(rows, from, width, count) };
    },
  };
}

export type SourceView = ReturnType<typeof createSourceView>;

function fill(rows: { b: number; service: string; n: number }[], from: number, width: number, count: number) {
  const buckets = Array.from({ length: count }, (_, i) => ({
    start: from + i * width,
    counts: new Map<string, number>(),
  }));
  for (const r of rows) {
    const b = buckets[r.b];
    b?.counts.set(r.service, (b.counts.get(r.service) ?? 0) + r.n);
  }
  return buckets.map((b) => ({ start: b.start, counts: Object.fromEntries(b.counts) }));
}

function splitSorted(s: string | null): string[] {
  return s ? s.split(',').sort() : [];
}

function pick<T extends object, K extends keyof T>(o: T, ...keys: K[]): Partial<Pick<T, K>> {
  const out: Partial<Pick<T, K>> = {};
  for (const k of keys) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

import type Database from 'better-sqlite3';

// The attacker list over the whole history without aggregating every event per request (#18): one
// row per source (first/last seen, events, commands) and the sets behind its distinct counts
// (deckies, services, credentials tried), kept by the ingest transaction that stores the events,
// so the list can never disagree with a committed event. Retention re-derives the sources it
// touched inside its own delete transaction.

export const SUMMARY_SCHEMA = `
CREATE TABLE IF NOT EXISTS source_summary (
  src TEXT PRIMARY KEY, first_ms INTEGER NOT NULL, last_ms INTEGER NOT NULL,
  n INTEGER NOT NULL, commands INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS source_summary_recent ON source_summary(last_ms DESC, src);
CREATE TABLE IF NOT EXISTS source_sets (
  src TEXT NOT NULL, kind TEXT NOT NULL, value TEXT NOT NULL, PRIMARY KEY (src, kind, value)
) WITHOUT ROWID;
CREATE TEMP TABLE IF NOT EXISTS pruned_src (src TEXT PRIMARY KEY);
`;

/** Marks the summary as derived from every stored event (a database from before it is rebuilt once). */
const BUILT_MARK = 'source-summary-v1';

/** One source as the attacker list reads it; the same shape as the aggregation over `events`. */
export type SummaryRow = {
  src: string;
  first_ms: number;
  last_ms: number;
  n: number;
  deckies: string | null;
  services: string | null;
  creds: number;
  commands: number;
};

export type SummaryInput = Readonly<{
  src: string;
  tsMs: number;
  decky: string;
  service: string;
  kind: string;
  user: string | null;
  password: string | null;
  command: string | null;
}>;

/** The credential as one set value: the same key the aggregation over `events` counts. */
const CRED = "coalesce(user_name, '') || char(31) || coalesce(password, '')";

/** Summary rows and sets derived from the events `cond` selects (`1` = every event). */
function deriveSql(cond: string): string {
  return `
    INSERT INTO source_summary (src, first_ms, last_ms, n, commands)
      SELECT src, min(ts_ms), max(ts_ms), count(*), count(CASE WHEN kind = 'command' THEN command END)
      FROM events WHERE ${cond} GROUP BY src;
    INSERT OR IGNORE INTO source_sets (src, kind, value) SELECT DISTINCT src, 'd', decky FROM events WHERE ${cond};
    INSERT OR IGNORE INTO source_sets (src, kind, value) SELECT DISTINCT src, 's', service FROM events WHERE ${cond};
    INSERT OR IGNORE INTO source_sets (src, kind, value)
      SELECT DISTINCT src, 'c', ${CRED} FROM events WHERE kind = 'auth' AND ${cond};`;
}

export function openSourceSummary(db: Database.Database) {
  db.exec(SUMMARY_SCHEMA);
  const built = db.prepare('SELECT seq FROM marks WHERE name = ?').pluck().get(BUILT_MARK) as number | undefined;
  if (built !== 1) {
    db.transaction(() => {
      db.exec(`DELETE FROM source_summary; DELETE FROM source_sets; ${deriveSql('1')}`);
      db.prepare('INSERT OR REPLACE INTO marks (name, seq) VALUES (?, 1)').run(BUILT_MARK);
    })();
  }
  const upsert = db.prepare(
    `INSERT INTO source_summary (src, first_ms, last_ms, n, commands) VALUES (?, ?, ?, 1, ?)
     ON CONFLICT(src) DO UPDATE SET first_ms = min(first_ms, excluded.first_ms),
       last_ms = max(last_ms, excluded.last_ms), n = n + 1, commands = commands + excluded.commands`,
  );
  const addSet = db.prepare('INSERT OR IGNORE INTO source_sets (src, kind, value) VALUES (?, ?, ?)');
  const markPruned = db.prepare('INSERT OR IGNORE INTO pruned_src SELECT src FROM source_summary WHERE first_ms < ?');
  const COLS = `s.src, s.first_ms, s.last_ms, s.n, s.commands,
    (SELECT group_concat(value) FROM source_sets WHERE src = s.src AND kind = 'd') AS deckies,
    (SELECT group_concat(value) FROM source_sets WHERE src = s.src AND kind = 's') AS services,
    (SELECT count(*) FROM source_sets WHERE src = s.src AND kind = 'c') AS creds`;
  const ORDER = 'ORDER BY s.last_ms DESC, s.src ASC LIMIT ?';
  const first = db.prepare(`SELECT ${COLS} FROM source_summary s ${ORDER}`);
  const after = db.prepare(
    `SELECT ${COLS} FROM source_summary s WHERE s.last_ms < ? OR (s.last_ms = ? AND s.src > ?) ${ORDER}`,
  );
  const oldest = db.prepare('SELECT min(ts_ms) FROM events').pluck();

  return {
    /** One newly stored event; called inside the ingest transaction. */
    add(e: SummaryInput): void {
      upsert.run(e.src, e.tsMs, e.tsMs, e.kind === 'command' && e.command !== null ? 1 : 0);
      addSet.run(e.src, 'd', e.decky);
      addSet.run(e.src, 's', e.service);
      if (e.kind === 'auth') addSet.run(e.src, 'c', `${e.user ?? ''}\u001f${e.password ?? ''}`);
    },
    /** Before deleting events older than `ms` (same transaction): remembers the sources it touches. */
    beforeDrop(ms: number): void {
      db.exec('DELETE FROM pruned_src');
      markPruned.run(ms);
    },
    /** After the delete: the touched sources are derived again from the events that are left. */
    afterDrop(): void {
      const cond = 'src IN (SELECT src FROM pruned_src)';
      db.exec(`DELETE FROM source_summary WHERE ${cond}; DELETE FROM source_sets WHERE ${cond}; ${deriveSql(cond)}`);
    },
    /** Most recently active first, keyset on (last seen, source). */
    page(cursor: readonly [number, string] | null, limit: number): SummaryRow[] {
      return (cursor ? after.all(cursor[0], cursor[0], cursor[1], limit) : first.all(limit)) as SummaryRow[];
    },
    /** The oldest stored event's time (one step down the time index), null when empty. */
    oldestMs: (): number | null => oldest.get() as number | null,
  };
}

export type SourceSummaryTable = ReturnType<typeof openSourceSummary>;

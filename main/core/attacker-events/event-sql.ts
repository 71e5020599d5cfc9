import { type EventFilter, ipv4ToInt } from '../../../shared/domain/event-query';
import { AppError } from '../../../shared/errors';

/** A WHERE clause (always starts with `WHERE`, `1` when nothing filters) and its parameters. */
export type Where = { sql: string; params: unknown[] };

/**
 * Turns a validated filter into SQL over the `events` table (alias `e`). Every value is a bound
 * parameter; the free text becomes one quoted FTS5 phrase per term, so an analyst's quotes,
 * stars or `OR` never reach FTS5's query syntax (a syntax error there would be a 500).
 */
export function whereOf(f: EventFilter, extra: Readonly<{ maxSeq?: number }> = {}): Where {
  const parts: string[] = [];
  const params: unknown[] = [];
  const add = (sql: string, ...p: unknown[]) => (parts.push(sql), params.push(...p));
  if (f.since) add('e.ts_ms >= ?', Date.parse(f.since));
  if (f.until) add('e.ts_ms < ?', Date.parse(f.until));
  if (f.src) {
    const cidr = f.src.includes('/') ? cidrRange(f.src) : null;
    if (cidr) add('e.src_v4 BETWEEN ? AND ?', cidr[0], cidr[1]);
    else add('e.src = ?', f.src);
  }
  if (f.decky) add('e.decky = ?', f.decky);
  if (f.host) add('e.host = ?', f.host);
  if (f.service) add('e.service = ?', f.service);
  if (f.kind) add('e.kind = ?', f.kind);
  const fts = ftsQuery(f.text);
  if (fts) add('e.seq IN (SELECT rowid FROM events_fts WHERE events_fts MATCH ?)', fts);
  if (extra.maxSeq !== undefined) add('e.seq <= ?', extra.maxSeq);
  return { sql: `WHERE ${parts.length ? parts.join(' AND ') : '1'}`, params };
}

/** `a.b.c.d/n` → [first, last] as unsigned integers. */
export function cidrRange(cidr: string): [number, number] {
  const [ip, bitsText] = cidr.split('/');
  const base = ipv4ToInt(ip ?? '');
  const bits = Number(bitsText);
  if (base === null || !Number.isInteger(bits) || bits < 0 || bits > 32)
    throw new AppError('INVALID_INPUT', `src: ${cidr} is not an IPv4 CIDR block`);
  const size = 2 ** (32 - bits);
  const first = Math.floor(base / size) * size;
  return [first, first + size - 1];
}

/** Each whitespace-separated term as a quoted FTS5 string (trigram: a substring match), ANDed. */
export function ftsQuery(text: string | undefined): string | null {
  const terms = (text ?? '').trim().split(/\s+/).filter(Boolean);
  if (terms.length === 0) return null;
  return terms.map((t) => `"${t.replaceAll('"', '""')}"`).join(' AND ');
}

/**
 * Keyset cursors: the sort key of the last row of a page, base64url JSON. A cursor is checked on
 * the way back in because it crosses a trust boundary (the console API).
 */
export function encodeCursor(key: readonly (string | number)[]): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

export function decodeCursor<T extends 'nn' | 'ns'>(
  cursor: string,
  shape: T,
): T extends 'nn' ? [number, number] : [number, string] {
  let key: unknown;
  try {
    key = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    key = null;
  }
  const ok =
    Array.isArray(key) &&
    key.length === 2 &&
    Number.isSafeInteger(key[0]) &&
    (shape === 'nn' ? Number.isSafeInteger(key[1]) : typeof key[1] === 'string');
  if (!ok) throw new AppError('INVALID_INPUT', 'cursor: not a cursor this master issued (pass back nextCursor as is)');
  return key as never;
}

import Database from 'better-sqlite3';
import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttackerEvent } from '../../../../shared/domain/events';
import { silentLogger } from '../../../../shared/node/logger';
import { openEventStore, type EventStore } from '../../../../main/core/attacker-events/event-store';
import { createSourceView } from '../../../../main/core/attacker-events/source-view';
import { makeTmpDir } from '../../../helpers/tmp-dir';

const DAY = 86_400_000;
const NOW = Date.UTC(2026, 11, 1);
let seed = 7;
const rnd = (n: number) => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) >> 8) % n;

function event(i: number): AttackerEvent {
  const kind = ['connect', 'auth', 'command', 'request'][rnd(4)]!;
  const data: Record<string, unknown> =
    kind === 'auth'
      ? { session: `s${rnd(5)}`, username: ['root', 'pi'][rnd(2)], password: `pw${rnd(4)}`, success: false }
      : kind === 'command'
        ? { session: `s${rnd(5)}`, user: 'root', command: ['id', 'uname -a'][rnd(2)] }
        : { session: `s${rnd(5)}` };
  return {
    id: randomUUID(),
    ts: new Date(NOW - 10 * DAY + Math.floor((i / 400) * 10 * DAY)).toISOString(),
    decky: `decky-${rnd(4)}`,
    service: (['ssh', 'http', 'ftp'] as const)[rnd(3)]!,
    src: `198.51.100.${rnd(25)}`,
    kind,
    data,
    host: '00000000-0000-4000-8000-000000000001',
  };
}

let tmp: Awaited<ReturnType<typeof makeTmpDir>> | null = null;
let store: EventStore | null = null;
afterEach(async () => {
  await store?.close();
  await tmp?.remove();
  store = null;
  tmp = null;
});

/** The summary's answer (every event) against the aggregation over events (an `until` forces it). */
function expectSummaryMatchesEvents(s: EventStore): void {
  const view = createSourceView(s);
  const raw = view.sources({ until: new Date(NOW + DAY).toISOString(), limit: 1000 });
  expect(view.sources({ limit: 1000 })).toEqual(raw);
  expect(view.sources({ since: new Date(0).toISOString(), limit: 1000 })).toEqual(raw);
  // Paging through the summary in threes gives the same rows in the same order.
  const paged = [];
  let cursor: string | null = null;
  do {
    const p = view.sources({ limit: 3, ...(cursor ? { cursor } : {}) });
    paged.push(...p.sources);
    cursor = p.nextCursor;
  } while (cursor);
  expect(paged).toEqual(raw.sources);
}

describe('per-source summary kept at ingest', () => {
  it('answers the all-time attacker list exactly as the aggregation over events, through re-sends, retention and a rebuild', async () => {
    tmp = await makeTmpDir();
    store = await openEventStore({ dir: tmp.dir, log: silentLogger });
    const events = Array.from({ length: 400 }, (_, i) => event(i));
    for (let i = 0; i < events.length; i += 50) await store.append(events.slice(i, i + 50));
    // A batch re-sent after a lost ack is not counted twice.
    await store.append(events.slice(0, 50));
    expectSummaryMatchesEvents(store);
    expect(
      createSourceView(store)
        .sources({ limit: 1000 })
        .sources.reduce((n, s) => n + s.events, 0),
    ).toBe(400);

    // A source seen only in the oldest days disappears with them; the others are derived again.
    await store.append([{ ...event(0), src: '203.0.113.1', ts: new Date(NOW - 9.5 * DAY).toISOString() }]);
    expect(store.prune(NOW, { maxAgeDays: 5, maxBytes: null })).toBeGreaterThan(0);
    expectSummaryMatchesEvents(store);
    expect(
      createSourceView(store)
        .sources({ limit: 1000 })
        .sources.map((s) => s.src),
    ).not.toContain('203.0.113.1');

    // A database from before the summary existed is summarised once when opened.
    await store.close();
    const db = new Database(join(tmp.dir, 'events.db'));
    db.exec("DROP TABLE source_summary; DROP TABLE source_sets; DELETE FROM marks WHERE name = 'source-summary-v1'");
    db.close();
    store = await openEventStore({ dir: tmp.dir, log: silentLogger });
    expectSummaryMatchesEvents(store);
  });

  it('a narrowed or partial range still aggregates the events it keeps', async () => {
    tmp = await makeTmpDir();
    store = await openEventStore({ dir: tmp.dir, log: silentLogger });
    await store.append(Array.from({ length: 100 }, (_, i) => event(i * 4)));
    const view = createSourceView(store);
    const since = new Date(NOW - 3 * DAY).toISOString();
    const recent = view.sources({ since, limit: 1000 }).sources;
    const all = view.sources({ limit: 1000 }).sources;
    expect(recent.reduce((n, s) => n + s.events, 0)).toBeLessThan(all.reduce((n, s) => n + s.events, 0));
    expect(recent.every((s) => s.firstSeen >= since)).toBe(true);
  });
});

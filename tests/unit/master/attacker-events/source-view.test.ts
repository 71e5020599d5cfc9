import { randomUUID } from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../shared/node/logger';
import type { AttackerEvent } from '../../../../shared/domain/events';
import { openEventStore, type EventStore } from '../../../../main/core/attacker-events/event-store';
import { createSourceView } from '../../../../main/core/attacker-events/source-view';
import { makeTmpDir } from '../../../helpers/tmp-dir';

const T0 = Date.UTC(2026, 0, 1);
let n = 0;
const ev = (src: string, decky: string, kind: string, data: Record<string, unknown>, service = 'ssh'): AttackerEvent =>
  ({ id: randomUUID(), ts: new Date(T0 + n++ * 1000).toISOString(), decky, service, src, kind, data }) as AttackerEvent;

let tmp: Awaited<ReturnType<typeof makeTmpDir>> | null = null;
let store: EventStore | null = null;
afterEach(async () => {
  await store?.close();
  await tmp?.remove();
  store = null;
  tmp = null;
});

describe('source view', () => {
  it('summarises sources, groups a timeline into sessions in order, and buckets the chart', async () => {
    tmp = await makeTmpDir();
    store = await openEventStore({ dir: tmp.dir, log: silentLogger });
    const a = '198.51.100.7';
    await store.append([
      ev(a, 'web-01', 'connect', { session: 's1', port: 22 }),
      ev(a, 'web-01', 'auth', { session: 's1', username: 'root', password: 'toor', success: false }),
      ev(a, 'web-01', 'auth', { session: 's1', username: 'root', password: 'admin', success: true }),
      ev(a, 'web-01', 'command', { session: 's1', user: 'root', mode: 'shell', command: 'uname -a' }),
      ev('203.0.113.1', 'db-01', 'connect', { session: 'x', port: 80 }, 'http'),
      ev(a, 'db-01', 'request', { session: 's2', path: '/admin' }, 'http'),
      ev(a, 'web-01', 'command', { session: 's1', user: 'root', mode: 'shell', command: 'cat /etc/passwd' }),
    ]);
    const view = createSourceView(store);
    const page = view.sources({});
    expect(page.sources.map((s) => s.src)).toEqual([a, '203.0.113.1']);
    expect(page.sources[0]).toMatchObject({
      events: 6,
      deckies: ['db-01', 'web-01'],
      services: ['http', 'ssh'],
      credentials: 2,
      commands: 2,
      firstSeen: new Date(T0).toISOString(),
    });
    const first = view.sources({ limit: 1 });
    expect(view.sources({ limit: 1, cursor: first.nextCursor! }).sources.map((s) => s.src)).toEqual(['203.0.113.1']);
    expect(view.sources({ decky: 'db-01' }).sources.map((s) => [s.src, s.events])).toEqual([
      [a, 1],
      ['203.0.113.1', 1],
    ]);

    const t = view.timeline({ src: a });
    expect(t.sessions.map((s) => [s.decky, s.session, s.events.length])).toEqual([
      ['web-01', 's1', 5],
      ['db-01', 's2', 1],
    ]);
    expect(t.sessions[0]!.credentials.map((c) => [c.username, c.password, c.success])).toEqual([
      ['root', 'toor', false],
      ['root', 'admin', true],
    ]);
    expect(t.sessions[0]!.commands.map((c) => c.command)).toEqual(['uname -a', 'cat /etc/passwd']);
    expect(view.timeline({ src: a, limit: 2 }).truncated).toBe(true);

    const h = view.histogram(
      { since: new Date(T0).toISOString(), until: new Date(T0 + 3_600_000).toISOString(), buckets: 60 },
      0,
    );
    expect(h.width).toBe(60_000);
    expect(h.buckets).toHaveLength(60);
    expect(h.buckets[0]!.counts).toEqual({ ssh: 5, http: 2 });
    expect(view.histogram({ src: a, service: 'http', since: new Date(T0).toISOString() }, T0 + 60_000).buckets).toEqual(
      [{ start: T0, counts: { http: 1 } }],
    );
  });

  it('"All time" (no since) starts the chart at the oldest stored event, not 24 h back', async () => {
    tmp = await makeTmpDir();
    store = await openEventStore({ dir: tmp.dir, log: silentLogger });
    const view = createSourceView(store);
    const now = T0 + 30 * 86_400_000;
    // An empty store keeps the last day.
    expect(view.histogram({}, now).from).toBeGreaterThanOrEqual(now - 86_400_000 - 86_400_000 / 48);
    const old = { ...ev('198.51.100.9', 'web-01', 'connect', {}), ts: new Date(T0 + 5_000).toISOString() };
    const recent = { ...ev('198.51.100.9', 'web-01', 'connect', {}), ts: new Date(now - 60_000).toISOString() };
    await store.append([old, recent]);
    const h = view.histogram({}, now);
    expect(h.from).toBeLessThanOrEqual(T0 + 5_000);
    expect(h.buckets.length).toBeLessThanOrEqual(48);
    const counted = h.buckets.flatMap((b) => Object.values(b.counts)).reduce((a, b) => a + b, 0);
    expect(counted).toBe(2);
    // The same filter with a range still keeps to it.
    const day = view.histogram({ since: new Date(now - 86_400_000).toISOString() }, now);
    expect(day.buckets.flatMap((b) => Object.values(b.counts)).reduce((a, b) => a + b, 0)).toBe(1);
  });
});

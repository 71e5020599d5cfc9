import type { Adapter } from 'lowdb';
import { describe, expect, it } from 'vitest';
import { Memory } from 'lowdb';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { silentLogger, type Logger } from '../../../shared/node/logger';
import { seenFile } from '../../../main/core/store/seen-file';
import { openStore } from '../../../main/core/store/store';
import { openDb } from '../../../main/core/store/db';
import { migrate, SCHEMA_VERSION, type DbData } from '../../../main/core/store/schema';
import { createWriteCoalescer } from '../../../main/core/store/write-coalescer';
import { fakeClock, hostRecord, memoryStore } from './helpers';

/** An adapter whose writes finish only when the test releases them. */
function gatedAdapter(initial: unknown = null) {
  const writes: string[] = [];
  const gates: Array<() => void> = [];
  const adapter: Adapter<DbData> = {
    read: () => Promise.resolve(initial as DbData | null),
    write: (data) => {
      writes.push(JSON.stringify(data));
      return new Promise<void>((r) => gates.push(r));
    },
  };
  return { adapter, writes, release: () => gates.splice(0).forEach((g) => g()) };
}

describe('write coalescing', () => {
  it('keeps at most one write in flight and one pending, however many commits', async () => {
    const g = gatedAdapter();
    const db = await openDb(g.adapter, silentLogger);
    g.release(); // the migration write of an empty store
    await db.flush();
    const base = g.writes.length;
    for (let i = 0; i < 1000; i++) {
      db.data().settings[`k${i}`] = i;
      db.commit();
    }
    expect(g.writes.length - base).toBe(1); // one started, the other 999 collapsed into one pending
    g.release();
    await new Promise((r) => setImmediate(r));
    expect(g.writes.length - base).toBe(2);
    g.release();
    await db.flush();
    // The pending write snapshotted the data when it started: it holds all 1000 keys.
    expect(Object.keys((JSON.parse(g.writes.at(-1)!) as DbData).settings)).toHaveLength(1000);
  });

  it('a flush waits for the write holding its changes, not for writes of changes made after it', async () => {
    const g = gatedAdapter();
    const db = await openDb(g.adapter, silentLogger);
    g.release();
    await db.flush();
    db.data().settings.a = 1;
    db.commit(); // write 1 (holds a) starts
    let flushed = false;
    const f = db.flush().then(() => (flushed = true));
    db.data().settings.b = 2;
    db.commit(); // pending write 2 (holds b)
    g.release(); // write 1 done; write 2 starts and stays open
    await f;
    expect(flushed).toBe(true);
    expect(JSON.parse(g.writes.at(-1)!) as DbData).toMatchObject({ settings: { a: 1, b: 2 } });
    // A steady stream of commits (heartbeats) never holds a flush until the store is idle.
    db.data().settings.c = 3;
    db.commit();
    const f2 = db.flush();
    for (let i = 0; i < 5; i++) {
      g.release();
      await new Promise((r) => setImmediate(r));
      db.data().settings[`more${i}`] = i;
      db.commit();
    }
    await f2;
    // Drain: release each write as it starts until the last commit is on disk.
    const f3 = db.flush().then(() => true);
    const tick = () => new Promise<false>((r) => setImmediate(() => r(false)));
    while (!(await Promise.race([f3, tick()]))) g.release();
  });

  it('a failed write does not wedge the queue', async () => {
    let n = 0;
    const c = createWriteCoalescer(() => (++n === 1 ? Promise.reject(new Error('disk full')) : Promise.resolve()));
    await expect(c.request()).rejects.toThrow('disk full');
    await c.request();
    expect(n).toBe(2);
  });
});

describe('schema', () => {
  it('migrates a document without schemaVersion and refuses a newer one', () => {
    const m = migrate({ hosts: [{ uuid: 'x' }] });
    expect(m.schemaVersion).toBe(SCHEMA_VERSION);
    expect(m.hosts).toHaveLength(1);
    expect(m.lifecycle).toEqual([]);
    expect(() => migrate({ schemaVersion: SCHEMA_VERSION + 1 })).toThrow(/newer DECNET/);
  });
});

describe('last-seen times', () => {
  it('stay in memory until flushed, then cost one write', async () => {
    const clock = fakeClock();
    const store = await memoryStore(clock);
    store.hosts.add(hostRecord('h1'));
    await store.flush();
    const before = store.writes();
    for (let i = 0; i < 100; i++) store.hosts.markSeen('h1', 'heartbeat', new Date(clock.now() + i).toISOString());
    expect(store.writes()).toBe(before);
    expect(store.hosts.get('h1')?.lastHeartbeatAt).toBe(new Date(clock.now() + 99).toISOString());
    await store.flush();
    expect(store.writes()).toBe(before + 1);
  });

  it('with a last-seen file, persist there and never rewrite the document; a reopen restores them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'decnet-seen-'));
    try {
      const path = join(dir, 'hosts-seen.json');
      const memory = new Memory<DbData>(); // master.json: its content survives a reopen
      const open = (log: Logger = silentLogger, adapter = memory) =>
        openStore({ adapter, clock: fakeClock(), log, seen: seenFile(path, log) });
      const store = await open();
      store.hosts.add(hostRecord('h1'));
      store.hosts.add(hostRecord('h2'));
      await store.flush();
      const before = store.writes();
      store.hosts.markSeen('h1', 'heartbeat', '2026-12-01T00:00:01.000Z', '1.2.3');
      store.hosts.markSeen('h2', 'events', '2026-12-01T00:00:02.000Z');
      await store.flush(); // an ack's flush: the document's changes only
      await expect(readFile(path, 'utf8')).rejects.toThrow(/ENOENT/);
      await store.flushSeen(); // the interval's
      expect(store.writes()).toBe(before); // master.json (the whole fleet) is not rewritten for them
      expect(JSON.parse(await readFile(path, 'utf8'))).toEqual({
        version: 1,
        hosts: {
          h1: { heartbeatAt: '2026-12-01T00:00:01.000Z', agentVersion: '1.2.3' },
          h2: { eventsAt: '2026-12-01T00:00:02.000Z' },
        },
      });
      // Nothing new: no write of the file either.
      const mtime = (await stat(path)).mtimeMs;
      await store.flushSeen();
      expect((await stat(path)).mtimeMs).toBe(mtime);

      // A restart: the same hosts in the document, the times from the file.
      const again = await open();
      expect(again.hosts.get('h1')).toMatchObject({
        lastHeartbeatAt: '2026-12-01T00:00:01.000Z',
        agentVersion: '1.2.3',
      });
      expect(again.hosts.get('h2')?.lastEventsAt).toBe('2026-12-01T00:00:02.000Z');

      // A damaged file is display data: the store opens without it and says so.
      await writeFile(path, '{"version":1,"hosts":{"h1":{"heartbeatAt":');
      const warnings: string[] = [];
      const log: Logger = { ...silentLogger, warn: (msg) => void warnings.push(msg) };
      const damaged = await open(log);
      expect(damaged.hosts.get('h1')).toMatchObject({ lastHeartbeatAt: null, agentVersion: null });
      expect(warnings).toEqual(['hosts last-seen file is damaged; starting without it']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

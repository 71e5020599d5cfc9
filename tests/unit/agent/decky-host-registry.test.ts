import { mkdir, writeFile } from 'node:fs/promises';
import { createServer, type Server, type Socket } from 'node:net';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { systemClock } from '../../../agent/clock';
import { hostFiles, isAlive, readRegistry, writeRegistry } from '../../../agent/runtime/native/decky-host-channel';
import { HOST_SPOOL_MAX_EVENTS, openHostSpool } from '../../../agent/runtime/native/decky-host-spool';
import { HostProcess } from '../../../agent/runtime/native/host-process';
import type { AttackerEvent } from '../../../shared/domain/events';
import { createLogger } from '../../../shared/node/logger';
import { makeTmpDir } from '../../helpers/tmp-dir';

const log = createLogger({ level: 'critical' });
const ID = '0123456789abcdef';
const event = (i: number): AttackerEvent => ({
  id: `e-${i}`,
  ts: new Date().toISOString(),
  decky: 'd1',
  service: 'http',
  src: '127.0.0.1',
  kind: 'login',
  data: { i },
});
const decky = { name: 'd1', ip: '127.0.0.9', hostname: 'd1', distro: 'debian', services: ['http'], serviceConfig: {} };

describe('decky host registry and re-attach', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let server: Server | null = null;
  const conns: Socket[] = [];
  beforeEach(async () => {
    tmp = await makeTmpDir('decnet-registry-unit-');
  });
  afterEach(async () => {
    for (const c of conns) c.destroy();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
    server = null;
    await tmp.remove();
  });

  /** A fake host process: answers every connection with `hello` (this test process's pid). */
  const fakeHost = async (hello: object) => {
    await mkdir(tmp.dir, { recursive: true });
    const sock = hostFiles(tmp.dir, ID).socket;
    server = createServer(
      (s) =>
        conns.push(s) &&
        s.write(JSON.stringify(hello) + '\n' + JSON.stringify({ type: 'event', event: event(1) }) + '\n'),
    );
    await new Promise<void>((r) => server!.listen(sock, () => r()));
    await writeRegistry(tmp.dir, {
      id: ID,
      pid: process.pid,
      socket: sock,
      startedAt: new Date().toISOString(),
      deckies: ['d1'],
    });
    return (await readRegistry(tmp.dir)).entries[0]!;
  };
  const opts = (events: AttackerEvent[]) => ({
    hostScript: '/nonexistent',
    hostsDir: tmp.dir,
    onEvent: (e: AttackerEvent) => events.push(e),
    flushEvents: () => Promise.resolve(),
    clock: systemClock,
    log,
    onGone: () => undefined,
  });

  it('reads entries and reports unreadable ones instead of failing', async () => {
    await writeRegistry(tmp.dir, { id: ID, pid: 4242, socket: '/x.sock', startedAt: 'now', deckies: ['a', 'b'] });
    await writeFile(join(tmp.dir, 'fedcba9876543210.json'), '{not json');
    await writeFile(join(tmp.dir, 'notes.txt'), 'ignored');
    const { entries, bad } = await readRegistry(tmp.dir);
    expect(entries.map((e) => [e.id, e.pid, e.deckies])).toEqual([[ID, 4242, ['a', 'b']]]);
    expect(bad.map((b) => b.file)).toEqual([join(tmp.dir, 'fedcba9876543210.json')]);
    expect((await readRegistry(join(tmp.dir, 'missing'))).entries).toEqual([]);
  });

  it('tells a live process from a gone one', () => {
    expect(isAlive(process.pid)).toBe(true);
    expect(isAlive(2 ** 22 + 17)).toBe(false);
  });

  it('adopts a host whose socket answers with the same id and pid, with its deckies and early events', async () => {
    const hello = {
      type: 'hello',
      id: ID,
      pid: process.pid,
      startedAt: new Date().toISOString(),
      deckies: [
        {
          start: { type: 'start', decky, dataDir: '/tmp/d1' },
          ready: { type: 'ready', name: 'd1', services: { http: 'running' }, errors: {} },
        },
      ],
    };
    const entry = await fakeHost(hello);
    const events: AttackerEvent[] = [];
    const h = await HostProcess.reattach(opts(events), entry);
    expect(h.names()).toEqual(['d1']);
    expect(h.status('d1')).toEqual({ running: true, restarts: 0, services: { http: 'running' } });
    expect(h.pid).toBe(process.pid);
    await expect.poll(() => events.map((e) => e.id)).toEqual(['e-1']);
    await h.detach();
  });

  it('refuses a socket that answers as another host (a reused pid or a stale entry)', async () => {
    const entry = await fakeHost({
      type: 'hello',
      id: 'ffffffffffffffff',
      pid: process.pid,
      startedAt: 'x',
      deckies: [],
    });
    await expect(HostProcess.reattach(opts([]), entry)).rejects.toThrow(/answered as host ffffffffffffffff/);
  });

  it('refuses a registry entry whose socket does not answer', async () => {
    const entry = { id: ID, pid: process.pid, socket: join(tmp.dir, 'nobody.sock'), startedAt: 'x', deckies: [] };
    await expect(HostProcess.reattach(opts([]), entry, 500)).rejects.toThrow();
  });
});

describe('host event spool', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => {
    tmp = await makeTmpDir('decnet-host-spool-unit-');
  });
  afterEach(() => tmp.remove());

  it('keeps events on disk until acked, across a reopen', async () => {
    const path = join(tmp.dir, 'spool.jsonl');
    const a = await openHostSpool({ path, log, onStored: () => undefined });
    for (let i = 0; i < 5; i++) a.add(event(i));
    await a.flush();
    await a.ack(['e-1', 'e-3']);
    const b = await openHostSpool({ path, log, onStored: () => undefined });
    expect(b.list().map((e) => e.id)).toEqual(['e-0', 'e-2', 'e-4']);
  });

  it('is bounded: beyond maxEvents new events are dropped and counted, and room returns after an ack', async () => {
    const path = join(tmp.dir, 'spool.jsonl');
    let stored = 0;
    const s = await openHostSpool({ path, log, maxEvents: 3, onStored: () => stored++ });
    expect([0, 1, 2, 3, 4].map((i) => s.add(event(i)))).toEqual([true, true, true, false, false]);
    await s.flush();
    expect(stored).toBe(1);
    expect(s.size()).toBe(3);
    expect(s.dropped()).toBe(2);
    await s.ack(['e-0']);
    expect(s.add(event(9))).toBe(true);
    await s.flush();
    expect(s.list().map((e) => e.id)).toEqual(['e-1', 'e-2', 'e-9']);
    expect(HOST_SPOOL_MAX_EVENTS).toBeGreaterThan(1000);
  });
});

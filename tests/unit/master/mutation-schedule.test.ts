import { describe, expect, it } from 'vitest';
import { archetypes } from '../../../shared/catalog/archetypes';
import { findPortClash } from '../../../shared/catalog/services';
import { DeckyConfig } from '../../../shared/domain/decky';
import { silentLogger } from '../../../shared/node/logger';
import { createMutationScheduler, type Timers } from '../../../main/core/deckies/scheduler';
import {
  dueAt,
  intervalOf,
  isDue,
  MAX_DRAWS,
  mutationPool,
  pickNewServices,
} from '../../../main/core/deckies/schedule';
import type { HostRecord } from '../../../main/core/store/schema';
import { makeDecky } from '../../fixtures/decky';
import { fakeClock, memoryStore } from './helpers';

/** A deterministic PRNG (mulberry32) so a failing draw sequence can be replayed. */
function rng(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('selection rule', () => {
  it('draws 1 to 3 services from the archetype, never the current set, never a clash', () => {
    const r = rng(7);
    for (const [name, a] of Object.entries(archetypes)) {
      if (a.services.length < 2) continue;
      const config = DeckyConfig.parse(
        makeDecky({
          archetype: name as keyof typeof archetypes,
          services: [...a.services].slice(0, 2),
          nmapOs: a.nmapOs,
        }),
      );
      for (let i = 0; i < 50; i++) {
        const next = pickNewServices(config, r);
        if (next === null) continue;
        expect(next.length).toBeGreaterThanOrEqual(1);
        expect(next.length).toBeLessThanOrEqual(3);
        for (const s of next) expect(a.services).toContain(s);
        expect([...next].sort()).not.toEqual([...config.services].sort());
        expect(findPortClash(next)).toBeNull();
        expect(new Set(next).size).toBe(next.length);
      }
    }
  });

  it('keeps a persona without archetype: a Windows decky never draws a Linux-only service', () => {
    const config = DeckyConfig.parse(makeDecky({ services: ['smb'], nmapOs: 'windows_server' }));
    const pool = mutationPool(config);
    expect(pool).not.toContain('ssh');
    expect(pool).toContain('rdp');
    const r = rng(3);
    for (let i = 0; i < 100; i++) for (const s of pickNewServices(config, r) ?? []) expect(pool).toContain(s);
  });

  it('gives up after 20 draws when nothing new can come out', () => {
    // deaddeck is ssh only and the decky already runs ssh: every draw repeats the current set.
    const config = DeckyConfig.parse(makeDecky({ archetype: 'deaddeck', services: ['ssh'] }));
    let calls = 0;
    const counting = () => {
      calls++;
      return 0.5;
    };
    expect(pickNewServices(config, counting)).toBeNull();
    // Two random numbers per draw (size, one pick): exactly MAX_DRAWS draws were made.
    expect(calls).toBe(MAX_DRAWS * 2);
  });

  it('returns null for an empty pool', () => {
    expect(pickNewServices({ services: [], nmapOs: 'linux', archetype: undefined } as never, rng(1))).not.toBeNull();
    expect(mutationPool({ archetype: 'deaddeck', services: ['ssh'], nmapOs: 'linux' })).toEqual(['ssh']);
    // No archetype shares the decky's OS and it has no services of its own: nothing to draw from.
    expect(pickNewServices({ services: [], nmapOs: 'macos' as never }, rng(1))).toBeNull();
  });
});

describe('due computation', () => {
  it('uses the decky interval, then the fleet default; null is off', () => {
    expect(intervalOf({ mutateInterval: 10 }, 30)).toBe(10);
    expect(intervalOf({}, 30)).toBe(30);
    expect(intervalOf({ mutateInterval: null }, 30)).toBeNull();
    expect(intervalOf({}, null)).toBeNull();
  });

  it('is due exactly at base + interval·unit', () => {
    expect(dueAt(1000, 5, 60_000)).toBe(301_000);
    expect(isDue(300_999, 1000, 5, 60_000)).toBe(false);
    expect(isDue(301_000, 1000, 5, 60_000)).toBe(true);
    expect(isDue(10 ** 12, 1000, null, 60_000)).toBe(false);
  });
});

const UNIT = 1000;

async function world() {
  const clock = fakeClock();
  const store = await memoryStore(clock);
  const host: HostRecord = {
    uuid: '8d0f4f2e-4b7a-4a77-9a1e-5f0d2a1f0c01',
    name: 'w1',
    address: '127.0.0.1',
    agentPort: 8765,
    fingerprint: null,
    certExpiresAt: null,
    enrolledAt: new Date(clock.now()).toISOString(),
    local: false,
    lastHeartbeatAt: new Date(clock.now()).toISOString(),
    lastEventsAt: null,
    agentVersion: null,
    topology: null,
  };
  store.hosts.add(host);
  const calls: Array<{ deckyName: string; services: string[]; trigger?: string }> = [];
  const timers: Timers & { pending: Array<{ fn: () => void; ms: number }> } = {
    pending: [],
    setTimeout(fn, ms) {
      this.pending.push({ fn, ms });
      return this.pending.length;
    },
    clearTimeout: () => undefined,
  };
  let online = true;
  const scheduler = createMutationScheduler({
    store,
    clock,
    timers,
    log: silentLogger,
    unitMs: UNIT,
    heartbeatIntervalMs: 30_000,
    fleetDefault: () => 5,
    random: rng(11),
    mutator: {
      hostOf: () => ({
        ...host,
        lastHeartbeatAt: online ? new Date(clock.now()).toISOString() : new Date(0).toISOString(),
      }),
      mutate: (a) => {
        calls.push(a);
        // What the delta does on success: commit services and lastMutated.
        const rec = store.fleet.get(a.deckyName)!;
        store.fleet.patch(a.deckyName, { config: { ...rec.config, services: a.services, lastMutated: clock.now() } });
        return Promise.resolve({ lifecycleId: crypto.randomUUID() });
      },
    },
  });
  const add = (name: string, extra: Partial<Parameters<typeof makeDecky>[0]> = {}) =>
    store.fleet.upsert({
      config: DeckyConfig.parse(
        makeDecky({ name, archetype: 'web-server', services: ['http'], hostUuid: host.uuid, ...extra }),
      ),
      placedOn: host.uuid,
      state: 'running',
      services: {},
      lastError: null,
      updatedAt: new Date(clock.now()).toISOString(),
    });
  return { clock, store, scheduler, calls, timers, add, setOnline: (v: boolean) => void (online = v) };
}

describe('scheduler with an injected clock', () => {
  it('mutates a due decky with trigger scheduled and sleeps until the next due one', async () => {
    const w = await world();
    w.add('a');
    w.add('b', { ip: '127.77.0.11', mutateInterval: 2 });
    const first = await w.scheduler.tick();
    expect(first.mutated).toEqual([]);
    expect(first.nextInMs).toBe(2 * UNIT);
    w.clock.advance(2 * UNIT);
    const second = await w.scheduler.tick();
    expect(second.mutated).toEqual(['b']);
    expect(w.calls[0]!.trigger).toBe('scheduled');
    expect(second.nextInMs).toBe(2 * UNIT); // a is due at 5, b again at 4
    w.clock.advance(2 * UNIT);
    expect((await w.scheduler.tick()).mutated).toEqual(['b']);
    w.clock.advance(UNIT);
    expect((await w.scheduler.tick()).mutated).toEqual(['a']);
  });

  it('runs a decky that missed many intervals once, not once per interval', async () => {
    const w = await world();
    w.add('a', { mutateInterval: 1, lastMutated: w.clock.now() });
    w.clock.advance(100 * UNIT); // the master was down for 100 intervals
    expect((await w.scheduler.tick()).mutated).toEqual(['a']);
    expect((await w.scheduler.tick()).mutated).toEqual([]);
    expect(w.calls).toHaveLength(1);
  });

  it('skips a decky whose host is offline and retries it when the host is back', async () => {
    const w = await world();
    w.add('a', { mutateInterval: 1, lastMutated: w.clock.now() });
    w.clock.advance(UNIT);
    w.setOnline(false);
    const t = await w.scheduler.tick();
    expect(t.skippedOffline).toEqual(['a']);
    expect(w.calls).toHaveLength(0);
    expect((await w.scheduler.tick()).skippedOffline).toEqual(['a']);
    w.setOnline(true);
    expect((await w.scheduler.tick()).mutated).toEqual(['a']);
  });

  it('leaves off deckies and deckies with a mutation in flight alone', async () => {
    const w = await world();
    w.add('off', { mutateInterval: null });
    w.add('busy', { ip: '127.77.0.11', mutateInterval: 1, lastMutated: 0 });
    w.store.fleet.patch('busy', { pendingMutation: { lifecycleId: crypto.randomUUID(), services: ['ssh'] } });
    w.clock.advance(1000 * UNIT);
    expect((await w.scheduler.tick()).mutated).toEqual([]);
  });

  it('the loop sleeps adaptively through the injected timers', async () => {
    const w = await world();
    w.add('a', { mutateInterval: 3, lastMutated: w.clock.now() });
    w.scheduler.start();
    expect(w.timers.pending[0]!.ms).toBeLessThanOrEqual(50);
    w.timers.pending[0]!.fn();
    await new Promise((r) => setImmediate(r));
    expect(w.timers.pending[1]!.ms).toBe(3 * UNIT);
    w.scheduler.stop();
  });
});

import { randomUUID } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../shared/node/logger';
import type { LifecycleDelta } from '../../../../shared/domain/lifecycle';
import { createLifecycleService } from '../../../../main/core/deckies/lifecycle-service';
import { fakeClock, memoryStore, recordEvents } from '../helpers';

const H1 = randomUUID();
const H2 = randomUUID();

async function setup(deadlineMs = 60_000) {
  const clock = fakeClock();
  const store = await memoryStore(clock);
  const { bus, seen } = recordEvents();
  const svc = createLifecycleService({ store, events: bus, clock, log: silentLogger, deadlineMs, sweepEveryMs: 1000 });
  return { clock, store, svc, seen };
}

const delta = (over: Partial<LifecycleDelta> & Pick<LifecycleDelta, 'deckyName'>): LifecycleDelta => ({
  deltaId: randomUUID(),
  operation: 'deploy',
  status: 'succeeded',
  completedAt: new Date().toISOString(),
  ...over,
});

describe('pivot rule', () => {
  it('a delta with lifecycleId closes exactly that row', async () => {
    const { svc } = await setup();
    const [a, b] = svc.create([
      { deckyName: 'd1', hostUuid: H1, operation: 'deploy' },
      { deckyName: 'd1', hostUuid: H1, operation: 'deploy' },
    ]);
    const r = svc.pivot(H1, delta({ deckyName: 'd1', lifecycleId: a!.id }));
    expect(r.outcome).toBe('applied');
    expect(svc.get([a!.id, b!.id]).map((x) => x.status)).toEqual(['succeeded', 'pending']);
  });

  it('without lifecycleId, the newest open row for (decky, operation, host) is closed', async () => {
    const { svc, clock } = await setup();
    const [older] = svc.create([{ deckyName: 'd1', hostUuid: H1, operation: 'deploy' }]);
    clock.advance(1000);
    const [newer] = svc.create([{ deckyName: 'd1', hostUuid: H1, operation: 'deploy' }]);
    svc.create([
      { deckyName: 'd1', hostUuid: H2, operation: 'deploy' },
      { deckyName: 'd1', hostUuid: H1, operation: 'mutate' },
    ]);
    svc.pivot(H1, delta({ deckyName: 'd1', status: 'failed', error: 'port 22 busy' }));
    const rows = svc.get([older!.id, newer!.id]);
    expect(rows[0]!.status).toBe('pending');
    expect(rows[1]).toMatchObject({ status: 'failed', error: 'port 22 busy' });
    expect(rows[1]!.completedAt).not.toBeNull();
  });

  it('duplicates, late deltas and unknown ids are dropped without changing anything', async () => {
    const { svc, seen } = await setup();
    const [row] = svc.create([{ deckyName: 'd1', hostUuid: H1, operation: 'deploy' }]);
    const d = delta({ deckyName: 'd1', lifecycleId: row!.id });
    expect(svc.pivot(H1, d).outcome).toBe('applied');
    const after = svc.get([row!.id])[0];
    const events = seen.length;
    expect(svc.pivot(H1, d).outcome).toBe('sealed');
    expect(
      svc.pivot(H1, { ...delta({ deckyName: 'd1', lifecycleId: row!.id }), status: 'failed', error: 'late' }).outcome,
    ).toBe('sealed');
    expect(svc.pivot(H1, delta({ deckyName: 'd1', lifecycleId: randomUUID() })).outcome).toBe('unknown');
    expect(svc.pivot(H1, delta({ deckyName: 'ghost' })).outcome).toBe('unknown');
    expect(svc.get([row!.id])[0]).toEqual(after);
    expect(seen.length).toBe(events);
  });

  it('a host cannot close another host’s row, even by id', async () => {
    const { svc } = await setup();
    const [row] = svc.create([{ deckyName: 'd1', hostUuid: H1, operation: 'deploy' }]);
    expect(svc.pivot(H2, delta({ deckyName: 'd1', lifecycleId: row!.id })).outcome).toBe('unknown');
    expect(svc.get([row!.id])[0]!.status).toBe('pending');
  });

  it('master-resident rows (hostUuid null) pivot on the null host key', async () => {
    const { svc } = await setup();
    const [row] = svc.create([{ deckyName: 'd1', hostUuid: null, operation: 'mutate' }]);
    svc.pivot(null, delta({ deckyName: 'd1', operation: 'mutate' }));
    expect(svc.get([row!.id])[0]!.status).toBe('succeeded');
  });

  it('emits lifecycle.changed for every pivot and calls settle hooks for terminal rows', async () => {
    const { svc, seen } = await setup();
    const settled: string[] = [];
    svc.onSettled((r) => settled.push(r.id));
    const [row] = svc.create([{ deckyName: 'd1', hostUuid: H1, operation: 'deploy' }]);
    svc.markRunning([row!.id]);
    svc.pivot(H1, delta({ deckyName: 'd1' }));
    expect(seen.filter((e) => e.name === 'lifecycle.changed')).toHaveLength(3);
    expect(settled).toEqual([row!.id]);
  });

  it('a 202 arriving after the delta never reopens the row', async () => {
    const { svc } = await setup();
    const [row] = svc.create([{ deckyName: 'd1', hostUuid: H1, operation: 'deploy' }]);
    svc.pivot(H1, delta({ deckyName: 'd1', lifecycleId: row!.id }));
    svc.markRunning([row!.id]);
    expect(svc.get([row!.id])[0]!.status).toBe('succeeded');
  });
});

describe('deadline sweep', () => {
  it('runs periodically and fails only open rows past the deadline, with a clear reason', async () => {
    const { svc, clock } = await setup(60_000);
    const [old] = svc.create([{ deckyName: 'old', hostUuid: H1, operation: 'deploy' }]);
    const [done] = svc.create([{ deckyName: 'done', hostUuid: H1, operation: 'deploy' }]);
    svc.pivot(H1, delta({ deckyName: 'done', lifecycleId: done!.id }));
    clock.advance(30_000);
    const [young] = svc.create([{ deckyName: 'young', hostUuid: H1, operation: 'mutate' }]);
    svc.start();
    clock.advance(31_000); // old is 61 s, young 31 s
    const rows = svc.get([old!.id, done!.id, young!.id]);
    expect(rows.map((r) => r.status)).toEqual(['failed', 'succeeded', 'pending']);
    expect(rows[0]!.error).toMatch(/no result from host .* within 60 s.*DECNET_LIFECYCLE_DEADLINE_S/);
    clock.advance(30_000);
    expect(svc.get([young!.id])[0]!.status).toBe('failed');
    svc.stop();
  });

  it('a retry is a new row; the swept one stays failed', async () => {
    const { svc, clock } = await setup(1000);
    const [first] = svc.create([{ deckyName: 'd1', hostUuid: H1, operation: 'deploy' }]);
    clock.advance(2000);
    expect(svc.sweep()).toBe(1);
    const [retry] = svc.create([{ deckyName: 'd1', hostUuid: H1, operation: 'deploy' }]);
    svc.pivot(H1, delta({ deckyName: 'd1' }));
    expect(svc.get([first!.id, retry!.id]).map((r) => r.status)).toEqual(['failed', 'succeeded']);
  });
});

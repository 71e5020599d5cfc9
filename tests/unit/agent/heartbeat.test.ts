import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { HeartbeatBody } from '../../../shared/domain/agent-status';
import { silentLogger } from '../../../shared/node/logger';
import type { Clock } from '../../../agent/clock';
import { createHeartbeat } from '../../../agent/heartbeat';
import { openOutbox } from '../../../agent/store/outbox';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';

/** Timers that fire only when the test says so. */
function manualClock(): Clock & { fire: () => void; pending: () => number[] } {
  let timers: Array<{ fn: () => void; ms: number }> = [];
  return {
    now: () => new Date(),
    setTimer: (fn, ms) => {
      const t = { fn, ms };
      timers.push(t);
      return () => void (timers = timers.filter((x) => x !== t));
    },
    fire: () => {
      const due = timers;
      timers = [];
      due.forEach((t) => t.fn());
    },
    pending: () => timers.map((t) => t.ms),
  };
}

const snapshot = (): Promise<Omit<HeartbeatBody, 'lifecycle'>> =>
  Promise.resolve({
    hostUuid: randomUUID(),
    agentVersion: '0.1.0',
    protocol: 1,
    status: { deployed: false, deckies: [], runtime: {} },
    topology: { topologyId: null, appliedVersionHash: null, appliedAt: null, lastError: null },
  });

const delta = () => ({
  deltaId: randomUUID(),
  deckyName: 'd1',
  operation: 'deploy' as const,
  status: 'succeeded' as const,
  completedAt: new Date().toISOString(),
});

describe('heartbeat', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => void (tmp = await makeTmpDir('decnet-hb-')));
  afterEach(() => tmp.remove());

  it('never overlaps beats; a push during a flight causes exactly one more beat right after', async () => {
    const outbox = await openOutbox(tmp.dir, silentLogger);
    const clock = manualClock();
    let inFlight = 0;
    let maxInFlight = 0;
    const bodies: HeartbeatBody[] = [];
    let release: () => void = () => undefined;
    const hb = createHeartbeat({
      intervalMs: 3_600_000,
      snapshot,
      outbox,
      clock,
      log: silentLogger,
      send: async (body) => {
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        bodies.push(body);
        await new Promise<void>((r) => (release = r));
        inFlight--;
        return { ackedDeltaIds: body.lifecycle.map((d) => d.deltaId) };
      },
    });
    hb.start();
    await eventually(() => bodies.length === 1);
    const d = delta();
    await outbox.add(d);
    hb.push();
    hb.push();
    hb.push();
    release();
    await eventually(() => bodies.length === 2);
    expect(bodies[1]!.lifecycle.map((x) => x.deltaId)).toEqual([d.deltaId]);
    release();
    await hb.settled();
    expect(bodies).toHaveLength(2);
    expect(maxInFlight).toBe(1);
    expect(outbox.pending()).toEqual([]);
    await hb.stop();
  });

  it('re-sends unacked deltas on every beat until the master acks them', async () => {
    const outbox = await openOutbox(tmp.dir, silentLogger);
    const clock = manualClock();
    const seen: string[][] = [];
    let masterUp = false;
    const hb = createHeartbeat({
      intervalMs: 30_000,
      snapshot,
      outbox,
      clock,
      log: silentLogger,
      send: (body) => {
        seen.push(body.lifecycle.map((x) => x.deltaId));
        if (!masterUp) return Promise.reject(new Error('ECONNREFUSED'));
        return Promise.resolve({ ackedDeltaIds: body.lifecycle.map((x) => x.deltaId) });
      },
    });
    const d = delta();
    await outbox.add(d);
    hb.start();
    await hb.settled();
    // Failing with deltas waiting: the retry comes sooner than the interval.
    expect(clock.pending()).toEqual([1000]);
    clock.fire();
    await hb.settled();
    expect(clock.pending()).toEqual([2000]);
    masterUp = true;
    clock.fire();
    await hb.settled();
    expect(seen).toEqual([[d.deltaId], [d.deltaId], [d.deltaId]]);
    expect(outbox.pending()).toEqual([]);
    expect(clock.pending()).toEqual([30_000]);
    await hb.stop();
    expect(clock.pending()).toEqual([]);
  });
});

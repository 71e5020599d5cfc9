import { randomUUID } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { AttackerEvent } from '../../../../shared/domain/events';
import { silentLogger } from '../../../../shared/node/logger';
import { systemClock } from '../../../../agent/clock';
import { openEventSpool } from '../../../../agent/store/event-spool';
import { eventually } from '../../../helpers/eventually';
import { makeTmpDir } from '../../../helpers/tmp-dir';

const event = (i: number): AttackerEvent => ({
  id: randomUUID(),
  ts: new Date().toISOString(),
  decky: 'd1',
  service: 'ssh',
  src: '127.0.0.1',
  kind: 'login',
  data: { username: `u${i}`, password: 'p' },
});

describe('event spool', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  beforeEach(async () => void (tmp = await makeTmpDir('decnet-spool-')));
  afterEach(() => tmp.remove());

  it('keeps events on disk while the master is down, then uploads each exactly once', async () => {
    let up = false;
    const received: string[] = [];
    const upload = (events: readonly AttackerEvent[]) => {
      if (!up) return Promise.reject(new Error('master down'));
      received.push(...events.map((e) => e.id));
      return Promise.resolve({ ackedIds: events.map((e) => e.id) });
    };
    const first = await openEventSpool({ stateDir: tmp.dir, upload, clock: systemClock, log: silentLogger });
    first.start();
    const events = Array.from({ length: 30 }, (_, i) => event(i));
    events.forEach((e) => first.add(e));
    await first.flush();
    await first.stop();
    expect(received).toEqual([]);

    // A restart: the new spool finds everything on disk.
    up = true;
    const second = await openEventSpool({ stateDir: tmp.dir, upload, clock: systemClock, log: silentLogger });
    expect(second.pendingCount()).toBe(30);
    second.start();
    await eventually(() => second.pendingCount() === 0);
    expect(received).toEqual(events.map((e) => e.id));
    await second.stop();
    expect(
      (await openEventSpool({ stateDir: tmp.dir, upload, clock: systemClock, log: silentLogger })).pendingCount(),
    ).toBe(0);
  });
});

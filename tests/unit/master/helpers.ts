import { Memory } from 'lowdb';
import { silentLogger } from '../../../shared/node/logger';
import type { Clock } from '../../../main/core/clock';
import { createEventBus, type MasterEventBus, type MasterEvents } from '../../../main/core/bus';
import type { DbData, HostRecord } from '../../../main/core/store/schema';
import { openStore } from '../../../main/core/store/store';

/** A clock that only moves when told; intervals fire on advance(). */
export function fakeClock(start = Date.parse('2026-01-01T00:00:00Z')) {
  let now = start;
  const timers = new Map<number, { fn: () => void; every: number; next: number }>();
  let seq = 0;
  const clock: Clock & { advance(ms: number): void } = {
    now: () => now,
    setInterval: (fn, ms) => {
      timers.set(++seq, { fn, every: ms, next: now + ms });
      return seq;
    },
    clearInterval: (h) => void timers.delete(h as number),
    advance(ms) {
      const end = now + ms;
      for (;;) {
        const due = [...timers.values()].filter((t) => t.next <= end).sort((a, b) => a.next - b.next)[0];
        if (!due) break;
        now = due.next;
        due.next += due.every;
        due.fn();
      }
      now = end;
    },
  };
  return clock;
}

export async function memoryStore(clock: Clock = fakeClock()) {
  return openStore({ adapter: new Memory<DbData>(), clock, log: silentLogger });
}

/** An enrolled, never-seen remote host record with the given uuid. */
export function hostRecord(uuid: string): HostRecord {
  return {
    uuid,
    name: `w-${uuid}`,
    address: '127.0.0.2',
    agentPort: 8765,
    fingerprint: uuid.padEnd(64, 'a'),
    certExpiresAt: null,
    enrolledAt: new Date(0).toISOString(),
    local: false,
    lastHeartbeatAt: null,
    lastEventsAt: null,
    agentVersion: null,
    topology: null,
  };
}

/** Records every event emitted on a bus. */
export function recordEvents(): { bus: MasterEventBus; seen: Array<{ name: keyof MasterEvents; payload: unknown }> } {
  const bus = createEventBus();
  const seen: Array<{ name: keyof MasterEvents; payload: unknown }> = [];
  bus.onAny((name, payload) => seen.push({ name, payload }));
  return { bus, seen };
}

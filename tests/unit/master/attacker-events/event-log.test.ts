import { randomUUID } from 'node:crypto';
import { readdir } from 'node:fs/promises';
import { afterEach, describe, expect, it } from 'vitest';
import { silentLogger } from '../../../../shared/node/logger';
import type { AttackerEvent } from '../../../../shared/domain/events';
import { openEventLog } from '../../../../main/core/attacker-events/event-log';
import { makeTmpDir } from '../../../helpers/tmp-dir';

const ev = (i: number, decky = 'd1'): AttackerEvent => ({
  id: randomUUID(),
  ts: new Date(Date.UTC(2026, 0, 1, 0, 0, i)).toISOString(),
  decky,
  service: 'ssh',
  src: '203.0.113.7',
  kind: 'auth',
  data: { username: 'root', password: `pw${i}`, pad: 'x'.repeat(200) },
});

let cleanup: (() => Promise<void>) | null = null;
afterEach(async () => {
  await cleanup?.();
  cleanup = null;
});

describe('event log', () => {
  it('appends JSONL, rotates by size, dedupes re-sent batches and survives a restart', async () => {
    const tmp = await makeTmpDir();
    cleanup = tmp.remove;
    const log = await openEventLog({ dir: tmp.dir, segmentBytes: 4096, ringSize: 50, log: silentLogger });
    const batch = Array.from({ length: 40 }, (_, i) => ev(i, i % 2 ? 'd1' : 'd2'));
    for (let i = 0; i < 40; i += 10) await log.append(batch.slice(i, i + 10));
    const again = await log.append(batch.slice(0, 10));
    expect(again.stored).toEqual([]);
    expect(again.acked).toHaveLength(10);
    const files = (await readdir(tmp.dir)).filter((f) => f.endsWith('.jsonl'));
    expect(files.length).toBeGreaterThan(1);
    const l = log.list({ decky: 'd1', limit: 5 });
    expect(l.total).toBe(20);
    expect(l.events.map((e) => e.data.password)).toEqual(['pw39', 'pw37', 'pw35', 'pw33', 'pw31']);
    expect(log.list({ since: batch[30]!.ts }).total).toBe(10);
    await log.close();
    const reopened = await openEventLog({ dir: tmp.dir, segmentBytes: 4096, ringSize: 50, log: silentLogger });
    expect(reopened.list({}).total).toBe(40);
    expect((await reopened.append([batch[39]!])).stored).toEqual([]);
    await reopened.close();
  });

  it("shares the ring fairly: a flooding host cannot evict another host's events", async () => {
    const tmp = await makeTmpDir();
    cleanup = tmp.remove;
    const log = await openEventLog({ dir: tmp.dir, segmentBytes: 1 << 20, ringSize: 100, log: silentLogger });
    const [a, b] = [randomUUID(), randomUUID()];
    const real = Array.from({ length: 30 }, (_, i) => ({ ...ev(i, 'real'), host: b }));
    await log.append(real);
    for (let round = 0; round < 5; round++)
      await log.append(Array.from({ length: 200 }, (_, i) => ({ ...ev(i, 'flood'), host: a })));
    expect(log.list({ decky: 'real', limit: 1000 }).total).toBe(30);
    expect(log.list({ limit: 1000 }).total).toBeLessThanOrEqual(125);
    // The same id from another host is a different event (no pre-empting another host's ids).
    expect((await log.append([{ ...real[0]!, host: a }])).stored).toEqual([real[0]!.id]);
    await log.close();
  });
});

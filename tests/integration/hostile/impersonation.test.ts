import { randomUUID } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import type { AttackerEvent } from '../../../shared/domain/events';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { asWorker, freePort, loopbackBlock, settled, startAgent, startMaster, STUB_HOST } from '../master/harness';

// A worker holding its own valid certificate tries to speak for another worker: events naming the
// other worker's decky, and a heartbeat claiming that decky as its own. Real master, real agents.
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const ev = (decky: string, i: number): AttackerEvent => ({
  id: randomUUID(),
  ts: new Date().toISOString(),
  decky,
  service: 'ssh',
  src: '203.0.113.9',
  kind: 'auth',
  data: { username: 'root', password: `forged-${i}` },
});

async function world() {
  const tmp = await makeTmpDir('decnet-hostile-imp-');
  cleanups.push(tmp.remove);
  const agentPort = await freePort();
  const gate = join(tmp.dir, 'gate');
  await writeFile(gate, 'go');
  const ip = loopbackBlock();
  const m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort });
  cleanups.push(() => m.stop());
  const env = { DECNET_DECKY_HOST: STUB_HOST, DECNET_TEST_GATE: gate };
  const w1 = await startAgent(m, { root: tmp.dir, name: 'imp-w1', ip: ip(1), agentPort, env });
  cleanups.push(() => w1.kill('SIGKILL'));
  const w2 = await startAgent(m, { root: tmp.dir, name: 'imp-w2', ip: ip(2), agentPort, env });
  cleanups.push(() => w2.kill('SIGKILL'));
  const res = await m.call('deckies.deploy', {
    hostUuid: w2.hostUuid,
    services: ['ssh'],
    deckies: [{ name: 'w2-only', ip: ip(20) }],
  });
  const [row] = await settled(m, res.lifecycleIds);
  expect(row!.status).toBe('succeeded');
  const alerts: Array<{ kind: string; hostUuid: string | null }> = [];
  m.master.events.on('security.alerted', (a) => alerts.push(a));
  return { m, w1, w2, ip, alerts };
}

describe('a worker speaks only for itself', () => {
  it('refuses events naming another host’s decky or an unknown decky, counts them and raises security.alerted', async () => {
    const { m, w1, w2, alerts } = await world();
    const forged = [
      ...Array.from({ length: 20 }, (_, i) => ev('w2-only', i)),
      ...Array.from({ length: 5 }, (_, i) => ev('no-such-decky', i)),
    ];
    const r = await asWorker(m, w1, '/swarm/events', { events: forged });
    expect(r.status).toBe(200);
    // Acked (re-sending could never make them acceptable) but never stored as genuine.
    expect((r.body as { ackedIds: string[] }).ackedIds).toHaveLength(25);
    const listed = await m.call('events.list', { limit: 500 });
    expect(listed.events.filter((e) => String(e.data.password).startsWith('forged-'))).toEqual([]);
    expect(alerts.some((a) => a.kind === 'event-impersonation' && a.hostUuid === w1.hostUuid)).toBe(true);
    const health = await m.call('settings.get', {});
    expect(health.trust.refusedEvents).toEqual([{ hostUuid: w1.hostUuid, unknownDecky: 5, foreignDecky: 20 }]);
    // The real owner's events are stored, stamped with the uuid from its certificate (not the body).
    const own = { ...ev('w2-only', 99), host: w1.hostUuid };
    const ok = await asWorker(m, w2, '/swarm/events', { events: [own] });
    expect(ok.status).toBe(200);
    const stored = await eventually(async () =>
      (await m.call('events.list', { decky: 'w2-only' })).events.find((e) => e.id === own.id),
    );
    expect(stored.host).toBe(w2.hostUuid);
  });

  it('a flood beyond the per-host quota is refused with 429, and does not evict another host’s events', async () => {
    const { m, w1, w2 } = await world();
    const mine = await m.call('deckies.deploy', {
      hostUuid: w1.hostUuid,
      services: ['ssh'],
      deckies: [{ name: 'w1-own', ip: loopbackBlock()(30) }],
    });
    await settled(m, mine.lifecycleIds);
    const real = ev('w2-only', 1);
    expect((await asWorker(m, w2, '/swarm/events', { events: [real] })).status).toBe(200);
    const statuses: number[] = [];
    for (let round = 0; round < 3; round++) {
      statuses.push(
        (await asWorker(m, w1, '/swarm/events', { events: Array.from({ length: 5000 }, (_, i) => ev('w1-own', i)) }))
          .status,
      );
    }
    expect(statuses[0]).toBe(200);
    expect(statuses.slice(1)).toContain(429);
    expect((await m.call('events.list', { decky: 'w2-only' })).events.map((e) => e.id)).toContain(real.id);
  });

  it('a heartbeat claiming another host’s decky changes nothing and raises security.alerted', async () => {
    const { m, w1, w2, alerts } = await world();
    const before = (await m.call('deckies.list', {})).find((d) => d.config.name === 'w2-only')!;
    const body = {
      hostUuid: w1.hostUuid,
      agentVersion: '0.0.0-forged',
      protocol: 1,
      status: {
        deployed: true,
        deckies: [{ ...before.config, hostUuid: w1.hostUuid }],
        runtime: { 'w2-only': { running: true, services: { ssh: 'running' }, restarts: 0 } },
      },
      topology: { topologyId: null, appliedVersionHash: null, appliedAt: null, lastError: null },
      lifecycle: [],
    };
    const r = await asWorker(m, w1, '/swarm/heartbeat', body);
    expect(r.status, JSON.stringify(r.body)).toBe(200);
    expect(alerts.some((a) => a.kind === 'placement-conflict' && a.hostUuid === w1.hostUuid)).toBe(true);
    const after = (await m.call('deckies.list', {})).find((d) => d.config.name === 'w2-only')!;
    expect(after.hostName).toBe('imp-w2');
    expect(after.config.hostUuid).toBe(w2.hostUuid);
  });
});

import { randomUUID } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { eventually } from '../../helpers/eventually';
import {
  asWorker,
  freePort,
  loopbackBlock,
  settled,
  startAgent,
  startMaster,
  type TestAgent,
  type TestMaster,
} from './harness';

// One real master (in process) and two real agents (processes) over real mTLS on 127.0.0.0/8.
let tmp: { dir: string; remove: () => Promise<void> };
let m: TestMaster;
let a1: TestAgent;
let a2: TestAgent;
const ip = loopbackBlock();
const blockers: Server[] = [];

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-master-it-');
  const agentPort = await freePort();
  m = await startMaster({ dataDir: `${tmp.dir}/master`, agentPort });
  a1 = await startAgent(m, { root: tmp.dir, name: 'worker-a', ip: ip(1), agentPort });
  a2 = await startAgent(m, { root: tmp.dir, name: 'worker-b', ip: ip(2), agentPort });
});

afterAll(async () => {
  await a1?.kill();
  await a2?.kill();
  await m?.stop();
  for (const b of blockers) b.close();
  await tmp?.remove();
});

describe('deploy over two real agents', () => {
  it('returns lifecycle ids while rows are still open, then every row succeeds via pushed deltas', async () => {
    const timeline: string[] = [];
    const off = m.master.events.on('lifecycle.changed', (p) =>
      p.rows.forEach((r) => timeline.push(`${r.deckyName}:${r.status}`)),
    );
    const res = await m.call('deckies.deploy', {
      services: ['http'],
      deckies: [
        { name: 'web-1', ip: ip(11) },
        { name: 'web-2', ip: ip(12) },
        { name: 'web-3', ip: ip(13) },
      ],
    });
    timeline.push('answered');
    expect(res.lifecycleIds).toHaveLength(3);
    // Order, not time: at the moment the command answered, no row had been closed yet.
    const atAnswer = await m.call('lifecycle.get', { ids: res.lifecycleIds });
    expect(atAnswer.rows.every((r) => r.status === 'pending' || r.status === 'running')).toBe(true);
    const rows = await settled(m, res.lifecycleIds);
    off();
    expect(rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect(timeline.indexOf('answered')).toBeLessThan(timeline.findIndex((t) => t.endsWith(':succeeded')));
    // Spread over both hosts, each row carrying its host.
    expect(new Set(rows.map((r) => r.hostUuid))).toEqual(new Set([a1.hostUuid, a2.hostUuid]));
    const deckies = await eventually(async () => {
      const list = await m.call('deckies.list', {});
      return list.length === 3 && list.every((d) => d.state === 'running') ? list : undefined;
    });
    expect(deckies.map((d) => d.hostName).sort()).toEqual(['worker-a', 'worker-a', 'worker-b']);
  });

  it('a failing deploy on one host fails only that host’s rows, with its error text', async () => {
    // Occupy the HTTP port of the address the decky on worker-b will get.
    const blocked = ip(22);
    await new Promise<void>((resolve) => {
      const s = createServer().listen(80, blocked, () => resolve());
      blockers.push(s);
    });
    const okRes = await m.call('deckies.deploy', {
      hostUuid: a1.hostUuid,
      services: ['http'],
      deckies: [{ name: 'fine-1', ip: ip(21) }],
    });
    const badRes = await m.call('deckies.deploy', {
      hostUuid: a2.hostUuid,
      services: ['http'],
      deckies: [{ name: 'busy-1', ip: blocked }],
    });
    const [good] = await settled(m, okRes.lifecycleIds);
    const [bad] = await settled(m, badRes.lifecycleIds);
    expect(good!.status).toBe('succeeded');
    expect(bad!.status).toBe('failed');
    expect(bad!.hostUuid).toBe(a2.hostUuid);
    expect(bad!.error).toMatch(/EADDRINUSE|in use/i);
    // The failed decky's name and address are free again.
    await eventually(async () => !(await m.call('deckies.list', {})).some((d) => d.config.name === 'busy-1'));
  });

  it('a duplicate or late delta changes nothing and is acked', async () => {
    const res = await m.call('deckies.deploy', {
      hostUuid: a1.hostUuid,
      services: ['http'],
      deckies: [{ name: 'dup-1', ip: ip(31) }],
    });
    const [row] = await settled(m, res.lifecycleIds);
    const status = { deployed: false, deckies: [], runtime: {} };
    const topology = { topologyId: null, appliedVersionHash: null, appliedAt: null, lastError: null };
    const late = {
      deltaId: randomUUID(),
      lifecycleId: row!.id,
      deckyName: 'dup-1',
      operation: 'deploy',
      status: 'failed',
      error: 'late',
      completedAt: new Date().toISOString(),
    };
    const stray = {
      deltaId: randomUUID(),
      deckyName: 'never-deployed',
      operation: 'deploy',
      status: 'succeeded',
      completedAt: new Date().toISOString(),
    };
    const hb = await asWorker(m, a1, '/swarm/heartbeat', {
      hostUuid: a1.hostUuid,
      agentVersion: 'test',
      protocol: 1,
      status,
      topology,
      lifecycle: [late, stray],
    });
    expect(hb).toEqual({ status: 200, body: { ackedDeltaIds: [late.deltaId, stray.deltaId] } });
    expect((await m.call('lifecycle.get', { ids: [row!.id] })).rows[0]).toEqual(row);
  });

  it('a delta is on disk before it is acked (the agent drops acked deltas from its outbox)', async () => {
    const res = await m.call('deckies.deploy', {
      hostUuid: a1.hostUuid,
      services: ['http'],
      deckies: [{ name: 'durable-1', ip: ip(41) }],
    });
    const id = res.lifecycleIds[0]!;
    const topology = { topologyId: null, appliedVersionHash: null, appliedAt: null, lastError: null };
    const delta = {
      deltaId: randomUUID(),
      lifecycleId: id,
      deckyName: 'durable-1',
      operation: 'deploy',
      status: 'failed',
      error: 'synthetic',
      completedAt: new Date().toISOString(),
    };
    const hb = await asWorker(m, a1, '/swarm/heartbeat', {
      hostUuid: a1.hostUuid,
      agentVersion: 'test',
      protocol: 1,
      status: { deployed: false, deckies: [], runtime: {} },
      topology,
      lifecycle: [delta],
    });
    expect(hb).toEqual({ status: 200, body: { ackedDeltaIds: [delta.deltaId] } });
    // Read the store file right after the ack: whichever delta sealed the row is already durable.
    const onDisk = findById(JSON.parse(await readFile(join(tmp.dir, 'master', 'master.json'), 'utf8')), id) as {
      status?: string;
    } | null;
    const inMemory = (await m.call('lifecycle.get', { ids: [id] })).rows[0]!;
    expect(['succeeded', 'failed']).toContain(inMemory.status);
    expect(onDisk?.status).toBe(inMemory.status);
  });

  it('a heartbeat naming another host is refused', async () => {
    const body = {
      hostUuid: a2.hostUuid,
      agentVersion: 't',
      protocol: 1,
      status: { deployed: false, deckies: [], runtime: {} },
      topology: { topologyId: null, appliedVersionHash: null, appliedAt: null, lastError: null },
      lifecycle: [],
    };
    expect((await asWorker(m, a1, '/swarm/heartbeat', body)).status).toBe(403);
  });

  it('swarm mutate goes through the agent; dry-run changes nothing; the record changes on success', async () => {
    const before = (await m.call('deckies.list', {})).find((d) => d.config.name === 'web-1')!;
    const rowsBefore = (await m.call('lifecycle.recent', { limit: 1000 })).rows.length;
    const dry = await m.call('deckies.mutate', { deckyName: 'web-1', services: ['http', 'ftp'], dryRun: true });
    expect(dry).toEqual({ dryRun: true, deckyName: 'web-1', before: ['http'], after: ['http', 'ftp'] });
    expect((await m.call('lifecycle.recent', { limit: 1000 })).rows.length).toBe(rowsBefore);
    expect((await m.call('deckies.list', {})).find((d) => d.config.name === 'web-1')!.config.services).toEqual(
      before.config.services,
    );
    const res = await m.call('deckies.mutate', { deckyName: 'web-1', services: ['http', 'ftp'] });
    if (!('lifecycleId' in res)) throw new Error('expected a lifecycle id');
    const [row] = await settled(m, [res.lifecycleId]);
    expect(row).toMatchObject({ status: 'succeeded', operation: 'mutate', hostUuid: before.config.hostUuid });
    await eventually(async () => {
      const d = (await m.call('deckies.list', {})).find((x) => x.config.name === 'web-1')!;
      return d.config.services.join() === 'http,ftp' && d.services.ftp === 'running';
    });
  });

  it('a deploy for a driver the agent does not run fails with the fix; cleared settings deploy again', async () => {
    await m.call('hosts.setNetwork', { hostUuid: a1.hostUuid, settings: { driver: 'macvlan' } });
    const refused = await m.call('deckies.deploy', {
      hostUuid: a1.hostUuid,
      services: ['http'],
      deckies: [{ name: 'net-1', ip: ip(61) }],
    });
    const [bad] = await settled(m, refused.lifecycleIds);
    expect(bad!.status).toBe('failed');
    expect(bad!.error).toMatch(
      /runs its deckies on the loopback driver, the console asks for macvlan: set DECNET_AGENT_NETWORK=macvlan in \/etc\/decnet\/agent.env/,
    );
    await eventually(async () => !(await m.call('deckies.list', {})).some((d) => d.config.name === 'net-1'));

    await m.call('hosts.setNetwork', { hostUuid: a1.hostUuid, settings: {} });
    const again = await m.call('deckies.deploy', {
      hostUuid: a1.hostUuid,
      services: ['http'],
      deckies: [{ name: 'net-1', ip: ip(61) }],
    });
    const [ok] = await settled(m, again.lifecycleIds);
    expect(ok, ok?.error ?? '').toMatchObject({ status: 'succeeded' });
  });

  it('teardown removes the decky from the fleet once the agent confirms', async () => {
    const { lifecycleId } = await m.call('deckies.teardown', { deckyName: 'web-3' });
    const [row] = await settled(m, [lifecycleId]);
    expect(row!.status).toBe('succeeded');
    await eventually(async () => !(await m.call('deckies.list', {})).some((d) => d.config.name === 'web-3'));
  });
});

/** The object with `id` anywhere inside a parsed JSON document. */
function findById(doc: unknown, id: string): unknown {
  if (Array.isArray(doc)) {
    for (const v of doc) {
      const hit = findById(v, id);
      if (hit) return hit;
    }
  } else if (doc && typeof doc === 'object') {
    if ((doc as { id?: unknown }).id === id) return doc;
    for (const v of Object.values(doc)) {
      const hit = findById(v, id);
      if (hit) return hit;
    }
  }
  return null;
}

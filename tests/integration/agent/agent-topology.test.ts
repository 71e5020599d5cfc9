import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canonicalHash } from '../../../shared/canonical-hash';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import {
  type AgentProcess,
  agentCaller,
  createPki,
  paths,
  type Receiver,
  startAgentProcess,
  startReceiver,
  STUB_HOST,
  writeWorker,
} from './harness';

/** A hydrated topology with every default spelled out (what the master hashes). */
function topology(id: string, deckies: Array<{ name: string; ip: string }>) {
  return {
    topology: { id, name: `topo ${id}`, targetHostUuid: null, status: 'deploying', version: 1 },
    lans: [{ id: 'lan-dmz', name: 'LAN-00', subnet: '127.94.0.0/24', isDmz: true }],
    deckies: deckies.map((d, i) => ({
      uuid: `d-${i}`,
      name: d.name,
      services: ['http'],
      ipsByLan: { 'lan-dmz': d.ip },
      forwardsL3: false,
      serviceConfig: {},
    })),
    edges: deckies.map((_, i) => ({ id: `e-${i}`, deckyUuid: `d-${i}`, lanId: 'lan-dmz', isBridge: false })),
  };
}

describe('agent topology', () => {
  let tmp: { dir: string; remove: () => Promise<void> };
  let receiver: Receiver;
  let agent: AgentProcess;
  let api: ReturnType<typeof agentCaller>;

  beforeAll(async () => {
    tmp = await makeTmpDir('decnet-agent-topo-');
    const p = paths(tmp.dir);
    const pki = await createPki(p.ca);
    receiver = await startReceiver(pki);
    const worker = await writeWorker(pki, p.identity, receiver.url);
    agent = await startAgentProcess({
      identityDir: p.identity,
      stateDir: p.state,
      env: { DECNET_HEARTBEAT_INTERVAL_S: '1', DECNET_DECKY_HOST: STUB_HOST },
    });
    api = agentCaller(pki, worker.fingerprint, agent.port);
  });
  afterAll(async () => {
    await api?.close();
    await agent?.kill();
    await receiver?.stop();
    await tmp?.remove();
  });

  it('answers 400 on a hash mismatch or an invalid topology, and changes nothing', async () => {
    const t = topology('t1', [{ name: 'gw-01', ip: '127.94.0.10' }]);
    const mismatch = await api.call('POST', '/topology/apply', { hydrated: t, versionHash: '0'.repeat(64) });
    expect(mismatch.status).toBe(400);
    expect(mismatch.body.error.message).toMatch(/does not match the topology/);
    const noDmz = { ...t, lans: [{ ...t.lans[0]!, isDmz: false }] };
    const invalid = await api.call('POST', '/topology/apply', { hydrated: noDmz, versionHash: canonicalHash(noDmz) });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error.message).toMatch(/\[DMZ_MISSING\]/);
    expect((await api.call('GET', '/topology/state')).body).toEqual({
      topologyId: null,
      appliedVersionHash: null,
      appliedAt: null,
      lastError: null,
      observed: {},
    });
  });

  it('applies, reports the hash on the heartbeat, supersedes with another topology, and tears down', async () => {
    const t1 = topology('t1', [
      { name: 'gw-01', ip: '127.94.0.10' },
      { name: 'db-01', ip: '127.94.0.11' },
    ]);
    const h1 = canonicalHash(t1);
    expect(await api.call('POST', '/topology/apply', { hydrated: t1, versionHash: h1 })).toEqual({
      status: 200,
      body: { status: 'applied', topologyId: 't1', versionHash: h1 },
    });
    const s1 = (await api.call('GET', '/topology/state')).body;
    expect(s1).toMatchObject({
      topologyId: 't1',
      appliedVersionHash: h1,
      lastError: null,
      observed: { 'gw-01': true, 'db-01': true },
    });
    await eventually(() => receiver.heartbeats.at(-1)?.topology.appliedVersionHash === h1, {
      what: 'hash on the heartbeat',
    });

    const t2 = topology('t2', [{ name: 'web-09', ip: '127.94.0.20' }]);
    const h2 = canonicalHash(t2);
    expect((await api.call('POST', '/topology/apply', { hydrated: t2, versionHash: h2 })).status).toBe(200);
    const s2 = (await api.call('GET', '/topology/state')).body;
    expect(s2).toMatchObject({ topologyId: 't2', appliedVersionHash: h2, observed: { 'web-09': true } });
    expect(Object.keys(s2.observed)).toEqual(['web-09']);

    expect(await api.call('POST', '/topology/teardown', { topologyId: 't2' })).toEqual({
      status: 200,
      body: { status: 'torn_down', topologyId: 't2' },
    });
    expect((await api.call('GET', '/topology/state')).body).toEqual({
      topologyId: null,
      appliedVersionHash: null,
      appliedAt: null,
      lastError: null,
      observed: {},
    });
    // Idempotent.
    expect((await api.call('POST', '/topology/teardown', { topologyId: 't2' })).status).toBe(200);
  });
});

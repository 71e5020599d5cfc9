import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createAgentClient } from '../../../main/core/agents/agent-client';
import { AppError } from '../../../shared/errors';
import type { CommandInput } from '../../../shared/ipc/types';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { eventually } from '../../helpers/eventually';
import {
  freePort,
  loopbackBlock,
  startAgent,
  startMaster,
  STUB_HOST,
  type TestAgent,
  type TestMaster,
} from './harness';

let tmp: { dir: string; remove: () => Promise<void> };
let m: TestMaster;
let a: TestAgent;
let agentPort: number;
const ip = loopbackBlock();
// Both LANs inside this file's loopback /24: the loopback driver binds 127.0.0.0/8 only.
const dmzSubnet = `${ip(0)}/25`;
const coreSubnet = `${ip(128)}/25`;

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-master-topo-');
  agentPort = await freePort();
  m = await startMaster({ dataDir: join(tmp.dir, 'master'), agentPort });
  a = await startAgent(m, {
    root: tmp.dir,
    name: 'topo-worker',
    ip: ip(1),
    agentPort,
    env: { DECNET_DECKY_HOST: STUB_HOST },
  });
});

afterAll(async () => {
  await a?.kill();
  await m?.stop();
  await tmp?.remove();
});

const draft = (): CommandInput<'topologies.create'> => ({
  name: 'maze-1',
  lans: [
    { id: 'dmz', name: 'dmz', subnet: dmzSubnet, isDmz: true },
    { id: 'core', name: 'core', subnet: coreSubnet, isDmz: false },
  ],
  deckies: [
    { uuid: 'gw', name: 'maze-gw', services: ['ssh'], ipsByLan: { dmz: ip(10), core: ip(129) } },
    { uuid: 'db', name: 'maze-db', services: ['mysql'], ipsByLan: { core: ip(140) } },
  ],
  edges: [
    { id: 'e1', deckyUuid: 'gw', lanId: 'dmz' },
    { id: 'e2', deckyUuid: 'gw', lanId: 'core', isBridge: true },
    { id: 'e3', deckyUuid: 'db', lanId: 'core' },
  ],
});

async function beats(n: number): Promise<void> {
  const host = async () => (await m.call('hosts.list', {})).find((h) => h.uuid === a.hostUuid)!;
  const since = Date.parse((await host()).lastHeartbeatAt!);
  await eventually(async () => Date.parse((await host()).lastHeartbeatAt!) - since >= n * 1000, {
    timeoutMs: (n + 5) * 1000,
    what: `${n} more heartbeats`,
  });
}

describe('topologies', () => {
  it('refuses an invalid topology with every issue named', async () => {
    const bad = draft();
    bad.lans[1]!.isDmz = true;
    bad.deckies[1]!.ipsByLan = { core: ip(20) };
    const err = await m.call('topologies.create', bad).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AppError);
    expect((err as AppError).code).toBe('INVALID_INPUT');
    expect((err as AppError).message).toMatch(
      /\[DMZ_MULTIPLE\].*\[IP_OUT_OF_SUBNET\] decky maze-db: [\d.]+ is outside LAN core/,
    );
  });

  it('applies to a host, reports state, resyncs exactly once after drift, and tears down', async () => {
    const created = await m.call('topologies.create', draft());
    expect(created).toMatchObject({ name: 'maze-1', status: 'pending', deckyCount: 2, lanCount: 2, appliedHash: null });
    const { versionHash } = await m.call('topologies.apply', { topologyId: created.id, hostUuid: a.hostUuid });
    // The target host is part of what is hashed, so the applied hash is the one listed now.
    expect((await m.call('topologies.list', {})).find((t) => t.id === created.id)?.versionHash).toBe(versionHash);
    const state = await m.call('topologies.state', { topologyId: created.id });
    expect(state).toMatchObject({ topologyId: created.id, appliedVersionHash: versionHash, expectedHash: versionHash });
    expect((await m.call('topologies.list', {})).find((t) => t.id === created.id)).toMatchObject({
      status: 'active',
      appliedHash: versionHash,
    });

    // Drift: the worker loses its topology behind the master's back.
    const id = await m.master.ca.ensureMasterIdentity();
    const host = (await m.call('hosts.list', {})).find((h) => h.uuid === a.hostUuid)!;
    const direct = createAgentClient({
      identity: id,
      host: {
        uuid: host.uuid,
        name: host.name,
        address: host.address!,
        port: host.agentPort,
        fingerprint: host.fingerprint!,
      },
    });
    await direct.topologyTeardown({ topologyId: created.id });
    await direct.close();
    // The next heartbeat reports no topology; the master pushes it again, once.
    const resynced = await eventually(
      async () => {
        const s = await m.call('topologies.state', { topologyId: created.id });
        return s.appliedVersionHash === versionHash && s.appliedAt !== state.appliedAt ? s : undefined;
      },
      { timeoutMs: 15_000, what: 'resync applied' },
    );
    await beats(3);
    const later = await m.call('topologies.state', { topologyId: created.id });
    expect(later.appliedAt).toBe(resynced.appliedAt); // no ping-pong: nothing re-applied since

    expect(await m.call('topologies.delete', { topologyId: created.id }).catch((e: AppError) => e.code)).toBe(
      'CONFLICT',
    );
    expect(await m.call('topologies.teardown', { topologyId: created.id })).toEqual({ tornDown: true });
    expect((await m.call('topologies.list', {})).find((t) => t.id === created.id)?.status).toBe('torn_down');
    expect(await m.call('topologies.delete', { topologyId: created.id })).toEqual({ deleted: true });
  });
});

import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { eventually } from '../../helpers/eventually';
import {
  asWorker,
  freePort,
  loopbackBlock,
  settled,
  startAgent,
  startMaster,
  STUB_HOST,
  type TestAgent,
  type TestMaster,
} from './harness';

// These agents run the stub decky host, gated by a file, so each test decides exactly when the
// agent's background work may finish relative to the master's own steps (order, not time).
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function world(env: Record<string, string> = {}) {
  const tmp = await makeTmpDir('decnet-master-res-');
  cleanups.push(tmp.remove);
  const agentPort = await freePort();
  const gate = join(tmp.dir, 'gate');
  const ip = loopbackBlock();
  const dataDir = join(tmp.dir, 'master');
  let m = await startMaster({ dataDir, agentPort, env });
  cleanups.push(() => m.stop());
  const agentEnv = { DECNET_DECKY_HOST: STUB_HOST, DECNET_TEST_GATE: gate };
  const agent = async (name: string, host: number, extra: Record<string, string> = {}): Promise<TestAgent> => {
    const a = await startAgent(m, { root: tmp.dir, name, ip: ip(host), agentPort, env: { ...agentEnv, ...extra } });
    cleanups.push(() => a.kill('SIGKILL'));
    return a;
  };
  return {
    tmp,
    ip,
    get m() {
      return m;
    },
    agent,
    openGate: () => writeFile(gate, 'go'),
    /** Stops the master and starts a new one on the same data dir and swarm port. */
    async restart(): Promise<TestMaster> {
      const port = m.started.swarm.port;
      await m.stop();
      m = await startMaster({ dataDir, agentPort, swarmPort: port, env });
      return m;
    },
    async stopMaster() {
      await m.stop();
    },
    async startAgain() {
      m = await startMaster({ dataDir, agentPort, swarmPort: m.started.swarm.port, env });
    },
  };
}

const runningRows = async (m: TestMaster, ids: string[]) =>
  eventually(async () => (await m.call('lifecycle.get', { ids })).rows.every((r) => r.status === 'running'), {
    what: 'rows running (202 received)',
  });

describe('master outage during a deploy', () => {
  it('every row still becomes terminal via the agents’ outboxes after the master restarts', async () => {
    const w = await world();
    await w.agent('res-a', 1);
    await w.agent('res-b', 2);
    const res = await w.m.call('deckies.deploy', {
      services: ['ssh'],
      deckies: [1, 2, 3].map((i) => ({ name: `out-${i}`, ip: w.ip(10 + i) })),
    });
    await runningRows(w.m, res.lifecycleIds);
    await w.stopMaster(); // the agents finish while the master is down: deltas wait in their outboxes
    await w.openGate();
    await w.startAgain();
    const rows = await settled(w.m, res.lifecycleIds, 30_000);
    expect(rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
  });
});

describe('deadline sweep', () => {
  it('a row whose agent died is failed by the periodic sweep with a clear reason', async () => {
    const w = await world({ DECNET_LIFECYCLE_DEADLINE_S: '2' });
    const a = await w.agent('dead-a', 1);
    const res = await w.m.call('deckies.deploy', { services: ['ssh'], deckies: [{ name: 'doomed', ip: w.ip(20) }] });
    await runningRows(w.m, res.lifecycleIds);
    await a.kill('SIGKILL');
    const [row] = await settled(w.m, res.lifecycleIds, 15_000);
    expect(row!.status).toBe('failed');
    expect(row!.error).toMatch(/no result from host .* within 2 s/);
  });
});

describe('decommission', () => {
  it('the worker wipes itself, its next heartbeat is refused, and its open rows fail', async () => {
    const w = await world();
    const root = join(w.tmp.dir, 'install-root');
    await mkdir(join(root, 'etc', 'decnet'), { recursive: true });
    await writeFile(join(root, 'etc', 'decnet', 'marker'), 'x');
    const a = await w.agent('doomed-worker', 1, { DECNET_INSTALL_ROOT: root });
    const res = await w.m.call('deckies.deploy', {
      hostUuid: a.hostUuid,
      services: ['ssh'],
      deckies: [{ name: 'left-open', ip: w.ip(30) }],
    });
    await runningRows(w.m, res.lifecycleIds);
    // Keep the identity: the reaper may delete it, and we want to knock with it afterwards.
    const identity = await Promise.all(
      ['ca.crt', 'worker.crt', 'worker.key', 'agent.json'].map((f) => readFile(join(a.identityDir, f), 'utf8')),
    );
    const out = await w.m.call('hosts.decommission', { hostUuid: a.hostUuid });
    expect(out).toEqual({ wiped: true, failedRows: 1 });
    const [row] = await settled(w.m, res.lifecycleIds);
    expect(row).toMatchObject({ status: 'failed', error: 'host decommissioned' });
    expect((await w.m.call('hosts.list', {})).some((h) => h.uuid === a.hostUuid)).toBe(false);
    // The agent's wipe waits for its in-flight deploy task; let that (gated) task finish.
    await w.openGate();
    await eventually(
      async () =>
        await readFile(join(root, 'etc', 'decnet', 'marker')).then(
          () => false,
          () => true,
        ),
      { timeoutMs: 20_000, what: 'reaper wiped <root>/etc/decnet' },
    );
    await mkdir(a.identityDir, { recursive: true });
    await Promise.all(
      ['ca.crt', 'worker.crt', 'worker.key', 'agent.json'].map((f, i) =>
        writeFile(join(a.identityDir, f), identity[i]!),
      ),
    );
    const hb = await asWorker(w.m, a, '/swarm/heartbeat', {
      hostUuid: a.hostUuid,
      agentVersion: 't',
      protocol: 1,
      status: { deployed: false, deckies: [], runtime: {} },
      topology: { topologyId: null, appliedVersionHash: null, appliedAt: null, lastError: null },
      lifecycle: [],
    });
    expect(hb.status).toBe(403);
    expect(JSON.stringify(hb.body)).toMatch(/not enrolled or was revoked/);
  });

  it('a dead worker does not block decommission', async () => {
    const w = await world();
    const a = await w.agent('gone-worker', 1);
    await a.kill('SIGKILL');
    const out = await w.m.call('hosts.decommission', { hostUuid: a.hostUuid });
    expect(out).toEqual({ wiped: false, failedRows: 0 });
  });
});

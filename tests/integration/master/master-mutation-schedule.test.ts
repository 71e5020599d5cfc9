import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { services } from '../../../shared/catalog/services';
import type { LifecycleRow } from '../../../shared/domain/lifecycle';
import { eventually } from '../../helpers/eventually';
import { makeTmpDir } from '../../helpers/tmp-dir';
import { freePort, loopbackBlock, settled, startAgent, startMaster, type TestAgent, type TestMaster } from './harness';

// One "minute" of mutation interval is 1 s here (DECNET_MUTATE_UNIT_MS, test-only), so an
// interval of 3 is 3 s on a real agent over real mTLS.
const UNIT_MS = 1000;
const INTERVAL = 3;
const env = { DECNET_MUTATE_UNIT_MS: String(UNIT_MS) };

let tmp: { dir: string; remove: () => Promise<void> };
let m: TestMaster;
let agent: TestAgent;
let agentPort: number;
let swarmPort: number;
const ip = loopbackBlock();

beforeAll(async () => {
  tmp = await makeTmpDir('decnet-master-mut-');
  agentPort = await freePort();
  swarmPort = await freePort();
  m = await startMaster({ dataDir: `${tmp.dir}/master`, agentPort, swarmPort, env });
  agent = await startAgent(m, { root: tmp.dir, name: 'worker-m', ip: ip(1), agentPort });
});

afterAll(async () => {
  await agent?.kill();
  await m?.stop();
  await tmp?.remove();
});

const scheduledRows = async (name: string): Promise<LifecycleRow[]> =>
  (await m.call('lifecycle.recent', { limit: 1000 })).rows.filter(
    (r) => r.deckyName === name && r.operation === 'mutate' && r.trigger === 'scheduled',
  );

function tcpOpen(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ host, port, timeout: 2000 });
    s.once('connect', () => (s.destroy(), resolve(true)));
    s.once('error', () => resolve(false));
    s.once('timeout', () => (s.destroy(), resolve(false)));
  });
}

describe('scheduled mutation on a real agent', () => {
  it('mutates two deckies at least twice each, every time a lifecycle row closed by a delta, without a burst after a restart', async () => {
    const names = ['mut-1', 'mut-2'];
    const events: string[] = [];
    const res = await m.call('deckies.deploy', {
      hostUuid: agent.hostUuid,
      archetype: 'web-server',
      services: ['http'],
      mutateInterval: INTERVAL,
      deckies: names.map((name, i) => ({ name, ip: ip(10 + i) })),
    });
    expect((await settled(m, res.lifecycleIds)).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    const off = m.master.events.on('deckies.mutated', (p) => events.push(`${p.deckyName}:${p.trigger}`));

    for (const name of names) {
      const rows = await eventually(
        async () => {
          const r = (await scheduledRows(name)).filter((x) => x.status === 'succeeded');
          return r.length >= 2 ? r : undefined;
        },
        { timeoutMs: 150_000, what: `${name} mutated twice` },
      );
      // Each row was closed by the agent's delta (a completion time, no error).
      for (const r of rows) expect(r).toMatchObject({ status: 'succeeded', error: null, hostUuid: agent.hostUuid });
    }
    off();
    expect(events.filter((e) => e.endsWith(':scheduled')).length).toBeGreaterThanOrEqual(4);

    // Master outage of several intervals: afterwards each decky runs once, not once per missed interval.
    const before = Object.fromEntries(
      await Promise.all(names.map(async (n) => [n, (await scheduledRows(n)).length] as const)),
    );
    await m.stop();
    const down = Date.now();
    await eventually(() => Date.now() - down > 4 * INTERVAL * UNIT_MS, { timeoutMs: 30_000, intervalMs: 200 });
    m = await startMaster({ dataDir: `${tmp.dir}/master`, agentPort, swarmPort, env });
    const restartedAt = Date.now();
    for (const name of names)
      await eventually(async () => (await scheduledRows(name)).length > before[name]!, {
        timeoutMs: 30_000,
        what: `${name} mutated after restart`,
      });
    const early = await Promise.all(
      names.map(
        async (n) =>
          (await scheduledRows(n)).filter(
            (r) =>
              Date.parse(r.startedAt) >= restartedAt &&
              Date.parse(r.startedAt) < restartedAt + (INTERVAL * UNIT_MS) / 2,
          ).length,
      ),
    );
    // In the first half interval after the restart: at most one new row per decky (no burst).
    for (const n of early) expect(n).toBeLessThanOrEqual(1);

    // Stop further mutation, let the last one settle, then every current service answers.
    for (const name of names) await m.call('deckies.setMutateInterval', { deckyName: name, mutateInterval: null });
    for (const name of names) {
      const open = (await scheduledRows(name))
        .filter((r) => r.status === 'pending' || r.status === 'running')
        .map((r) => r.id);
      if (open.length) await settled(m, open, 90_000);
    }
    for (const [i, name] of names.entries()) {
      const d = await eventually(
        async () => {
          const x = (await m.call('deckies.list', {})).find((y) => y.config.name === name);
          return x && x.config.services.every((s) => x.services[s] === 'running') ? x : undefined;
        },
        { timeoutMs: 90_000, what: `${name} services running` },
      );
      expect(d.config.mutateInterval).toBeNull();
      for (const s of d.config.services) {
        for (const p of services[s].ports.filter((x) => x.proto === 'tcp')) {
          expect({ s, port: p.port, open: await tcpOpen(ip(10 + i), p.port) }).toEqual({ s, port: p.port, open: true });
        }
      }
    }
  }, 590_000);
});

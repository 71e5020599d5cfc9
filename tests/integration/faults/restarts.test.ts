import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { eventually } from '../../helpers/eventually';
import { killHostsByRegistry } from '../agent/harness';
import { makeTmpDir } from '../../helpers/tmp-dir';
import {
  AGENT_CLI,
  freePort,
  loopbackBlock,
  settled,
  startAgent,
  startMaster,
  STUB_HOST,
  type TestAgent,
  type TestMaster,
} from '../master/harness';

// Restarts at the worst moments, with real agent processes. The lifecycle deadline stays at its
// 900 s default, so a row that closes here was closed by recovery, never by the sweep.
const cleanups: Array<() => Promise<unknown>> = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function world(defer?: (fn: () => Promise<void>) => void) {
  const tmp = await makeTmpDir('decnet-fault-restart-');
  cleanups.push(tmp.remove);
  const agentPort = await freePort();
  const gate = join(tmp.dir, 'gate');
  const hostLog = join(tmp.dir, 'host-starts.jsonl');
  const ip = loopbackBlock();
  const dataDir = join(tmp.dir, 'master');
  let m: TestMaster = await startMaster({ dataDir, agentPort, ...(defer ? { defer } : {}) });
  cleanups.push(() => m.stop());
  const env = { DECNET_DECKY_HOST: STUB_HOST, DECNET_TEST_GATE: gate, DECNET_TEST_HOST_LOG: hostLog };
  const a: TestAgent = await startAgent(m, { root: tmp.dir, name: 'rs-a', ip: ip(1), agentPort, env });
  cleanups.push(() => a.kill('SIGKILL'));
  return {
    ip,
    a,
    stateDir: join(tmp.dir, 'rs-a', 'state'),
    get m() {
      return m;
    },
    openGate: () => writeFile(gate, 'go'),
    /** deckies started per name by the agent's decky hosts (a double dispatch would show 2). */
    starts: async () => {
      const counts = new Map<string, number>();
      for (const l of (await readFile(hostLog, 'utf8').catch(() => '')).split('\n').filter(Boolean)) {
        const n = (JSON.parse(l) as { decky: string }).decky;
        counts.set(n, (counts.get(n) ?? 0) + 1);
      }
      return counts;
    },
    async restartMaster() {
      const port = m.started.swarm.port;
      await m.stop();
      m = await startMaster({ dataDir, agentPort, swarmPort: port });
    },
    /** `decnet-agent run` again on the same identity and state (after a kill -9). */
    restartAgent() {
      const child = spawn(
        process.execPath,
        [
          AGENT_CLI,
          'run',
          '--dir',
          a.identityDir,
          '--state-dir',
          join(tmp.dir, 'rs-a', 'state'),
          '--listen',
          `${a.ip}:${agentPort}`,
          '--network',
          'loopback',
        ],
        {
          env: { ...process.env, DECNET_HEARTBEAT_INTERVAL_S: '1', DECNET_LOG_LEVEL: 'warn', ...env },
          stdio: 'ignore',
        },
      );
      const exited = new Promise((resolve) => child.once('exit', resolve));
      cleanups.push(() => {
        if (child.exitCode === null) child.kill('SIGKILL');
        return exited;
      });
    },
  };
}

describe('agent SIGKILL mid-deploy', () => {
  it('the restarted agent closes every job it had accepted at once (failed: interrupted), and the deckies can be deployed again', async () => {
    const w = await world();
    const names = [1, 2, 3, 4, 5].map((i) => ({ name: `kill-${i}`, ip: w.ip(10 + i) }));
    const res = await w.m.call('deckies.deploy', { services: ['ssh'], deckies: names });
    await eventually(
      async () =>
        (await w.m.call('lifecycle.get', { ids: res.lifecycleIds })).rows.every((r) => r.status === 'running'),
      { what: 'rows running' },
    );
    await w.a.kill('SIGKILL'); // the stub hosts wait for the gate: every deploy is mid-flight
    w.restartAgent();
    const rows = await settled(w.m, res.lifecycleIds, 15_000);
    expect(rows.map((r) => r.status)).toEqual(Array(5).fill('failed'));
    for (const r of rows)
      expect(r.error).toMatch(/interrupted: the agent restarted before the deploy of kill-\d finished/);
    // Names and addresses were freed: the same deploy now succeeds.
    await w.openGate();
    const again = await w.m.call('deckies.deploy', { services: ['ssh'], deckies: names });
    expect((await settled(w.m, again.lifecycleIds, 15_000)).map((r) => r.status)).toEqual(Array(5).fill('succeeded'));
  });
});

describe('master death between its answer and the dispatch', () => {
  it('the acknowledged rows are on disk and re-driven by the next master: every row succeeds, none twice', async () => {
    // A defer that never runs: this master answers the deploy (rows on disk) and never dispatches,
    // exactly what a SIGKILL between the answer and the dispatch leaves behind.
    const w = await world(() => undefined);
    await w.openGate();
    const res = await w.m.call('deckies.deploy', {
      services: ['ssh'],
      deckies: [1, 2, 3].map((i) => ({ name: `redrive-${i}`, ip: w.ip(20 + i) })),
    });
    expect((await w.m.call('lifecycle.get', { ids: res.lifecycleIds })).rows.map((r) => r.status)).toEqual([
      'pending',
      'pending',
      'pending',
    ]);
    await w.restartMaster();
    const rows = await settled(w.m, res.lifecycleIds, 15_000);
    expect(rows.map((r) => r.status)).toEqual(['succeeded', 'succeeded', 'succeeded']);
    expect([...(await w.starts()).entries()].sort()).toEqual([
      ['redrive-1', 1],
      ['redrive-2', 1],
      ['redrive-3', 1],
    ]);
  });

  it('a job the agent already accepted is not run twice when the next master re-sends it', async () => {
    const w = await world();
    const res = await w.m.call('deckies.deploy', { services: ['ssh'], deckies: [{ name: 'twice-1', ip: w.ip(30) }] });
    await eventually(
      async () =>
        (await w.m.call('lifecycle.get', { ids: res.lifecycleIds })).rows.every((r) => r.status === 'running'),
      { what: 'row running' },
    );
    // The agent holds the job; re-send it exactly as a re-driving master would.
    const rec = (await w.m.call('deckies.list', {})).find((d) => d.config.name === 'twice-1')!;
    const host = w.m.master.store.hosts.get(w.a.hostUuid)!;
    await w.m.master.agents.for(host).deploy({
      config: { mode: 'swarm', network: { driver: 'loopback' }, deckies: [rec.config] },
      lifecycleIds: { 'twice-1': res.lifecycleIds[0]! },
    });
    await w.openGate();
    expect((await settled(w.m, res.lifecycleIds)).map((r) => r.status)).toEqual(['succeeded']);
    await eventually(async () => (await w.starts()).get('twice-1') === 1);
    expect((await w.starts()).get('twice-1')).toBe(1);
  });
});

describe('a degraded decky', () => {
  it('is redeployed by name and by "redeploy all degraded" on its host after its agent came back without it', async () => {
    const w = await world();
    await w.openGate();
    const res = await w.m.call('deckies.deploy', {
      services: ['ssh'],
      deckies: [1, 2].map((i) => ({ name: `deg-${i}`, ip: w.ip(40 + i) })),
    });
    expect((await settled(w.m, res.lifecycleIds)).map((r) => r.status)).toEqual(['succeeded', 'succeeded']);
    await w.a.kill('SIGKILL');
    // Decky hosts outlive their agent (#13): take them down too, as a reboot of the worker would.
    await killHostsByRegistry(w.stateDir);
    w.restartAgent(); // the agent keeps the deckies in its state but does not start them by itself
    const state = async (n: string) => (await w.m.call('deckies.list', {})).find((d) => d.config.name === n)?.state;
    await eventually(async () => (await state('deg-1')) === 'degraded' && (await state('deg-2')) === 'degraded', {
      timeoutMs: 15_000,
      what: 'both degraded',
    });
    const one = await w.m.call('deckies.redeploy', { deckyName: 'deg-1' });
    expect((await settled(w.m, one.lifecycleIds)).map((r) => r.status)).toEqual(['succeeded']);
    await eventually(async () => (await state('deg-1')) === 'running', { what: 'deg-1 running' });
    await expect(w.m.call('deckies.redeploy', { deckyName: 'deg-1' })).rejects.toThrow(/is running; only a degraded/);
    const all = await w.m.call('deckies.redeploy', { hostUuid: w.a.hostUuid, degradedOnly: true });
    expect(all.deckies).toEqual(['deg-2']);
    expect((await settled(w.m, all.lifecycleIds)).map((r) => r.status)).toEqual(['succeeded']);
    await eventually(async () => (await state('deg-2')) === 'running', { what: 'deg-2 running' });
  });
});
